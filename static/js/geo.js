// WGS-84 ⇄ GCJ-02, the twin of shishi_mediation/geo.py (same reference points tested on
// both sides, see docs/MAP.md). Orders store WGS-84; a point is converted to GCJ-02 only
// to be drawn on GCJ-02 tiles (Gaode, Tencent), and a point picked on them back.
// window.ShishiGeo = {wgs84ToGcj02, gcj02ToWgs84, toDisplay, fromDisplay}.
(() => {
  const A = 6378245.0;
  const EE = 0.00669342162296594323;
  const PI = Math.PI;

  const outOfChina = (lat, lng) => !(lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);

  const shiftLat = (x, y) => {
    let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
  };

  const shiftLng = (x, y) => {
    let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
  };

  const wgs84ToGcj02 = (lat, lng) => {
    if (outOfChina(lat, lng)) return [lat, lng];
    let dLat = shiftLat(lng - 105.0, lat - 35.0);
    let dLng = shiftLng(lng - 105.0, lat - 35.0);
    const rad = lat / 180.0 * PI;
    const magic = 1 - EE * Math.sin(rad) ** 2;
    const root = Math.sqrt(magic);
    dLat = dLat * 180.0 / ((A * (1 - EE)) / (magic * root) * PI);
    dLng = dLng * 180.0 / (A / root * Math.cos(rad) * PI);
    return [lat + dLat, lng + dLng];
  };

  const gcj02ToWgs84 = (lat, lng) => {
    if (outOfChina(lat, lng)) return [lat, lng];
    let wLat = lat;
    let wLng = lng;
    for (let step = 0; step < 5; step += 1) {
      const [gLat, gLng] = wgs84ToGcj02(wLat, wLng);
      wLat += lat - gLat;
      wLng += lng - gLng;
    }
    return [wLat, wLng];
  };

  // ``crs`` is the tiles' datum (the MAP_TILE_CRS setting, on the map's data-crs).
  const toDisplay = (lat, lng, crs) => (crs === "gcj02" ? wgs84ToGcj02(lat, lng) : [lat, lng]);
  const fromDisplay = (lat, lng, crs) => (crs === "gcj02" ? gcj02ToWgs84(lat, lng) : [lat, lng]);

  window.ShishiGeo = { wgs84ToGcj02, gcj02ToWgs84, toDisplay, fromDisplay };
})();
