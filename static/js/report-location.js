// The report form's location (docs/MAP.md): "使用我的位置" reads the phone's position only
// when pressed (the browser asks for consent then); or a point is picked on the small map.
// Both fill the WGS-84 inputs (typed in by hand without JS) and say how the point was taken.
(() => {
  const box = document.getElementById("report-location");
  if (!box) return;
  const form = box.closest("form");
  const lat = form.elements.latitude;
  const lng = form.elements.longitude;
  const source = form.elements.location_source;
  const status = document.getElementById("location-status");
  const crs = box.dataset.crs || "wgs84";
  const geo = window.ShishiGeo;
  const say = (text) => { status.textContent = text || ""; };

  box.querySelector(".location-actions").hidden = false;
  let map = null;
  let marker = null;

  const show = (wgsLat, wgsLng) => {
    if (!map) return;
    const here = geo.toDisplay(wgsLat, wgsLng, crs);
    if (marker) marker.setLatLng(here);
    else marker = window.L.marker(here, { icon: pinIcon(), keyboard: false }).addTo(map);
    map.setView(here, Math.max(map.getZoom(), 15));
  };

  const set = (wgsLat, wgsLng, how) => {
    lat.value = wgsLat.toFixed(6);
    lng.value = wgsLng.toFixed(6);
    source.value = how;
    show(wgsLat, wgsLng);
  };

  const pinIcon = () => window.L.divIcon({ className: "pick-pin", iconSize: [18, 18], iconAnchor: [9, 9] });

  if (window.L) {
    const el = document.getElementById("pick-map");
    el.hidden = false;
    const [cLat, cLng] = (box.dataset.center || "24.73,118.65").split(",").map(Number);
    map = window.L.map(el, { zoomControl: true, attributionControl: Boolean(box.dataset.attribution) });
    map.setView(geo.toDisplay(cLat, cLng, crs), 13);
    if (box.dataset.tileUrl) {
      const opts = { attribution: box.dataset.attribution, maxZoom: 18 };
      if (box.dataset.subdomains) opts.subdomains = box.dataset.subdomains;
      window.L.tileLayer(box.dataset.tileUrl, opts).addTo(map);
      if (box.dataset.labelsUrl) window.L.tileLayer(box.dataset.labelsUrl, opts).addTo(map);
    }
    if (box.dataset.outlines) {
      fetch(box.dataset.outlines, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .then((data) => {
          if (!data) return;
          const byName = new Map();
          const layer = window.L.geoJSON(data, {
            coordsToLatLng: (c) => window.L.latLng(geo.toDisplay(c[1], c[0], crs)),
            style: { className: "outline", weight: 1, fillOpacity: 0.05 },
            interactive: false,
            onEachFeature: (f, shape) => byName.set(`${f.properties.street}/${f.properties.name}`, shape),
          }).addTo(map);
          // The chosen community's outline fills the map (else all of them): a point is
          // picked where the dispute is, not across the city.
          const community = form.elements.community;
          const focus = () => {
            if (lat.value) return;
            const option = community && community.selectedOptions[0];
            const group = option && option.parentElement.label;
            const shape = option && byName.get(`${group}/${option.textContent.trim()}`);
            map.fitBounds((shape || layer).getBounds());
          };
          focus();
          if (community) community.addEventListener("change", focus);
        })
        .catch(() => {});
    }
    map.on("click", (e) => {
      const [wLat, wLng] = geo.fromDisplay(e.latlng.lat, e.latlng.lng, crs);
      set(wLat, wLng, "picked");
      say(box.dataset.picked);
    });
    if (lat.value && lng.value && !isNaN(Number(lat.value)) && !isNaN(Number(lng.value))) {
      show(Number(lat.value), Number(lng.value));
    }
  }

  document.getElementById("use-my-location").addEventListener("click", () => {
    if (!navigator.geolocation) { say(box.dataset.denied); return; }
    say(box.dataset.locating);
    navigator.geolocation.getCurrentPosition(
      (pos) => { set(pos.coords.latitude, pos.coords.longitude, "gps"); say(box.dataset.located); },
      () => say(box.dataset.denied),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });

  document.getElementById("clear-location").addEventListener("click", () => {
    lat.value = ""; lng.value = ""; source.value = "";
    if (marker) { marker.remove(); marker = null; }
    say(box.dataset.cleared);
  });

  // Typed by hand: a picked point, whatever filled it before.
  [lat, lng].forEach((input) => input.addEventListener("input", () => { source.value = "picked"; }));
})();
