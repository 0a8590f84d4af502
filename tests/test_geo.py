"""WGS-84 ⇄ GCJ-02 (shishi_mediation/geo.py and its browser twin static/js/geo.js),
against published reference points: those of eviltransform's tests (Shanghai, Shenzhen,
Beijing) and coordtransform's README example (Tiananmen)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shishi_mediation.geo import gcj02_to_wgs84, out_of_china, wgs84_to_gcj02

# (WGS-84 lat, lng) → (GCJ-02 lat, lng)
REFERENCE = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),  # Tiananmen
]
GEO_JS = Path(__file__).resolve().parents[1] / "static" / "js" / "geo.js"


@pytest.mark.parametrize("wgs,gcj", REFERENCE)
def test_wgs84_to_gcj02_matches_the_reference_points(wgs, gcj):
    got = wgs84_to_gcj02(*wgs)
    assert got == pytest.approx(gcj, abs=1e-9)


@pytest.mark.parametrize("wgs,gcj", REFERENCE)
def test_gcj02_to_wgs84_finds_the_point_back_to_a_millimetre(wgs, gcj):
    # 1e-8 degrees is about a millimetre; the one-step inverse is off by metres.
    assert gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-8)


def test_shishi_is_shifted_by_a_few_hundred_metres():
    lat, lng = wgs84_to_gcj02(24.73, 118.65)
    assert -0.01 < lat - 24.73 < 0 and 0 < lng - 118.65 < 0.01
    assert (lat, lng) != (24.73, 118.65)


def test_points_outside_china_are_left_alone():
    assert out_of_china(51.5, -0.12)
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)
    assert gcj02_to_wgs84(-33.86, 151.2) == (-33.86, 151.2)


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_browser_twin_gives_the_same_points():
    script = (
        "global.window = {};"
        f"require({json.dumps(str(GEO_JS))});"
        "const g = window.ShishiGeo;"
        f"const pts = {json.dumps([list(w) for w, _g in REFERENCE])};"
        "console.log(JSON.stringify(pts.map(([a, b]) => {"
        "  const c = g.wgs84ToGcj02(a, b); return [c, g.gcj02ToWgs84(c[0], c[1]),"
        "  g.toDisplay(a, b, 'gcj02'), g.toDisplay(a, b, 'wgs84')]; })));"
    )
    out = json.loads(subprocess.run(["node", "-e", script], capture_output=True, check=True).stdout)
    for (wgs, gcj), (forward, back, shown, plain) in zip(REFERENCE, out, strict=True):
        assert forward == pytest.approx(gcj, abs=1e-9)
        assert back == pytest.approx(wgs, abs=1e-8)
        assert shown == forward and plain == list(wgs)
