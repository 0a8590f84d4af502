// The map page (docs/MAP.md): the community outlines (approximate, from a static GeoJSON
// file) with their counts, the orders as markers by colour grade and state, and a heat
// layer of the same orders, all from /api/v1/map/ with the page's filters. The points are
// WGS-84; they are converted only for drawing when the tiles are GCJ-02. Without tiles
// (no MAP_TILE_URL) the outlines and markers are drawn on a blank background.
(() => {
  const el = document.getElementById("orders-map");
  if (!el || !window.L) return;
  const L = window.L;
  const geo = window.ShishiGeo;
  const crs = el.dataset.crs || "wgs84";
  const show = (lat, lng) => L.latLng(geo.toDisplay(lat, lng, crs));
  el.hidden = false;

  const [cLat, cLng] = (el.dataset.center || "24.73,118.65").split(",").map(Number);
  const map = L.map(el, { attributionControl: Boolean(el.dataset.attribution), preferCanvas: false });
  map.setView(show(cLat, cLng), 12);
  if (el.dataset.tileUrl) {
    const opts = { attribution: el.dataset.attribution, maxZoom: 18 };
    if (el.dataset.subdomains) opts.subdomains = el.dataset.subdomains;
    L.tileLayer(el.dataset.tileUrl, opts).addTo(map);
    if (el.dataset.labelsUrl) L.tileLayer(el.dataset.labelsUrl, opts).addTo(map);
  }

  const text = (s) => String(s == null ? "" : s);
  const popup = (p, id) => {
    const box = document.createElement("div");
    const a = document.createElement("a");
    a.href = el.dataset.orderUrl.replace("/0/", `/${id}/`);
    a.textContent = p.number;
    const title = document.createElement("div");
    title.textContent = p.title;
    const meta = document.createElement("div");
    meta.textContent = `${p.state_label} · ${p.colour_label} · ${p.category_name}`;
    box.append(a, title, meta);
    return box;
  };

  const load = (url) => fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); });

  const failed = () => {
    const note = document.getElementById("map-note");
    if (note) note.prepend(`${el.dataset.failed} `);
  };

  const data = load(el.dataset.api);
  const outlines = el.dataset.outlines ? load(el.dataset.outlines).catch(() => null) : Promise.resolve(null);

  Promise.all([data, outlines]).then(([body, shapes]) => {
    const counts = new Map(body.communities.map((c) => [c.path, c]));
    const overlays = {};
    let bounds = null; // the orders', else the outlines'
    let outlineBounds = null;

    if (shapes) {
      const inScope = { ...shapes, features: shapes.features.filter((f) => counts.has(f.properties.area_path)) };
      const outlineLayer = L.geoJSON(inScope, {
        coordsToLatLng: (c) => show(c[1], c[0]),
        style: () => ({ className: "outline", weight: 2, fillOpacity: 0.12 }),
        onEachFeature: (f, layer) => {
          const c = counts.get(f.properties.area_path);
          // A community with orders keeps its count in view; the others show it on hover.
          layer.bindTooltip(`${f.properties.name} ${c.total} ${el.dataset.countLabel}`, {
            permanent: c.total > 0, direction: "center", className: "community-label",
          });
        },
      }).addTo(map);
      overlays[el.dataset.outlinesLabel] = outlineLayer;
      if (inScope.features.length) outlineBounds = outlineLayer.getBounds();
    }

    const markers = L.layerGroup();
    const heat = [];
    body.features.forEach((f) => {
      const [lng, lat] = f.geometry.coordinates;
      const p = f.properties;
      const here = show(lat, lng);
      L.circleMarker(here, {
        radius: 7, weight: 2,
        className: `order-marker colour-${p.colour} state-${p.open ? "open" : "ended"}`,
      }).bindPopup(popup(p, f.id)).addTo(markers);
      heat.push([here.lat, here.lng, 1]);
      bounds = bounds ? bounds.extend(here) : L.latLngBounds(here, here);
    });
    markers.addTo(map);
    overlays[el.dataset.ordersLabel] = markers;
    if (L.heatLayer) overlays[el.dataset.heatLabel] = L.heatLayer(heat, { radius: 25, blur: 18, minOpacity: 0.3 });
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    const view = bounds || outlineBounds;
    if (view && view.isValid()) map.fitBounds(view, { padding: [24, 24], maxZoom: 16 });
    el.dataset.ready = "1";
  }).catch(failed);
})();
