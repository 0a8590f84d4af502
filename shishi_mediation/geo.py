"""Points on the earth: WGS-84 ⇄ GCJ-02, and the checks on a reported position.

Orders store WGS-84 (what a phone's GPS and the browser's geolocation give, and what
Tianditu's CGCS2000 tiles match to within a metre). Gaode and Tencent tiles are drawn in
GCJ-02, the obfuscated datum China's map providers must use, offset by up to ~700 m from
WGS-84: a point is converted to GCJ-02 only to be drawn on such tiles, and a point
picked on them converted back before it is stored. ``static/js/geo.js`` is the same
pair of functions for the browser; both are tested against the same reference points.
See docs/MAP.md.
"""

from __future__ import annotations

import math

# Krasovsky 1940 ellipsoid, as the published GCJ-02 algorithm uses.
_A = 6378245.0
_EE = 0.00669342162296594323

LAT_RANGE = (-90.0, 90.0)
LNG_RANGE = (-180.0, 180.0)


def out_of_china(lat: float, lng: float) -> bool:
    """Outside the rough box where GCJ-02 applies (it leaves such points as they are)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _shift_lng(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """A WGS-84 point as drawn on GCJ-02 tiles (Gaode, Tencent)."""
    if out_of_china(lat, lng):
        return lat, lng
    dlat = _shift_lat(lng - 105.0, lat - 35.0)
    dlng = _shift_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    root = math.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * root) * math.pi)
    dlng = dlng * 180.0 / (_A / root * math.cos(rad) * math.pi)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """The WGS-84 point drawn at a GCJ-02 position: the forward function inverted by a
    few fixed-point steps (each cuts the error about a hundredfold; five reach well under
    a millimetre, where the one-step inverse often quoted is off by metres)."""
    if out_of_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _step in range(5):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        w_lat, w_lng = w_lat + (lat - g_lat), w_lng + (lng - g_lng)
    return w_lat, w_lng
