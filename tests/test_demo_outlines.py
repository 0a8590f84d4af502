"""The demo's approximate community outlines (static/geo/, docs/MAP.md) and the points
the seed gives its orders inside them."""

import json

from django.conf import settings
from django.contrib.staticfiles import finders

from disputes.management.commands.seed_demo import CITY, STREETS, demo_location


def outlines() -> dict[str, dict]:
    with open(finders.find(settings.MAP_COMMUNITY_OUTLINES), encoding="utf-8") as f:
        return {feat["properties"]["area_path"]: feat for feat in json.load(f)["features"]}


def inside(lng: float, lat: float, ring: list) -> bool:
    """Ray casting: a point strictly inside a simple polygon."""
    hit = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > lat) != (y2 > lat) and lng < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def test_every_demo_community_has_an_outline_labelled_approximate():
    shapes = outlines()
    paths = {f"{CITY[0]}/{s}/{c}/" for s, _n, communities in STREETS for c, _m in communities}
    assert set(shapes) == paths and len(paths) == 31
    for feat in shapes.values():
        assert feat["properties"]["label"] == "示意边界，非精确"
        ring = feat["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]
        # Around Shishi (24.73 N, 118.65 E), in WGS-84 [lng, lat] order.
        assert all(118.55 < lng < 118.80 and 24.62 < lat < 24.86 for lng, lat in ring)


def test_the_outlines_do_not_overlap():
    shapes = outlines()
    for path, feat in shapes.items():
        for lng, lat in feat["geometry"]["coordinates"][0]:
            for other, o in shapes.items():
                if other != path:
                    assert not inside(lng, lat, o["geometry"]["coordinates"][0]), (path, other)


def test_demo_orders_get_a_point_inside_their_community_the_same_each_run():
    shapes = outlines()
    for path, feat in shapes.items():
        for key in ("服装厂拖欠工资", "噪音", "物业费", "x"):
            point = demo_location(path, key)
            assert point == demo_location(path, key)
            assert point["location_source"] in ("gps", "picked")
            ring = feat["geometry"]["coordinates"][0]
            assert inside(float(point["longitude"]), float(point["latitude"]), ring), path
    assert demo_location("SS/NOWHERE/", "x") == {}
