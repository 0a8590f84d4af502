"""The map in Chromium (docs/MAP.md), with no tile server (no network in the tests):

- the demo's map page, for the city supervisor at a desk and on a 390 px phone, draws
  every located order of the demo as a marker and the communities' approximate outlines,
  and its table counts each community's orders right;
- on the report form, a point picked on the small map, or the phone's position given on
  request, lands in the saved order (WGS-84).
"""

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

from dispatch.models import Area
from disputes.models import OPEN_STATES, Order

from ..test_demo_outlines import inside
from .test_offline_report import fill_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)


def expected_rows() -> dict[str, list[str]]:
    """Each community's row, counted here in Python from the orders themselves."""
    orders = list(Order.objects.values("community_id", "state", "colour", "latitude"))
    total = Counter(o["community_id"] for o in orders)
    open_ = Counter(o["community_id"] for o in orders if o["state"] in OPEN_STATES)
    red = Counter(o["community_id"] for o in orders if o["colour"] == "red")
    located = Counter(o["community_id"] for o in orders if o["latitude"] is not None)
    return {
        c.path: [str(n[c.pk]) for n in (total, open_, red, located)]
        for c in Area.objects.filter(level=Area.Level.COMMUNITY)
    }


def table_rows(page) -> dict[str, list[str]]:
    return page.evaluate(
        """() => Object.fromEntries(
          [...document.querySelectorAll('#community-counts tbody tr')].map((tr) => [
            tr.dataset.path,
            [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()),
          ]))"""
    )


def watch_csp(page) -> list[str]:
    """The console's Content-Security-Policy complaints (a blocked style or script)."""
    seen: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text))
    return seen


def check_map(page) -> None:
    page.wait_for_selector("#orders-map[data-ready='1']")
    located = Order.objects.filter(latitude__isnull=False).count()
    assert located >= 30  # the demo's orders have points
    markers = page.locator("#orders-map path.order-marker")
    assert markers.count() == located
    assert page.locator("#orders-map path.order-marker.colour-red").count() == (
        Order.objects.filter(latitude__isnull=False, colour="red").count()
    )
    # One outline per community of the demo (the GeoJSON covers all 31), labelled.
    communities = Area.objects.filter(level=Area.Level.COMMUNITY).count()
    assert page.locator("#orders-map path.outline").count() == communities == 31
    # Those with orders keep their count in view ("曾坑社区 11 件").
    with_orders = Order.objects.values("community_id").distinct().count()
    assert page.locator("#orders-map .community-label").count() == with_orders
    # The layers: outlines, orders, heat (leaflet.heat), switchable.
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in labels] == ["社区边界（示意）", "订单", "热力图"]
    page.get_by_label("热力图").check()
    assert page.locator("#orders-map canvas.leaflet-heatmap-layer").count() == 1
    # No tiles were asked for: no tile server is configured.
    assert page.locator("#orders-map img.leaflet-tile").count() == 0
    # A marker opens its order's card with a link to the order. The click is sent to the
    # marker itself: at 390 px another marker or a label may lie over the first one's
    # centre, where a click by coordinates would land (which one is first varies).
    markers.first.dispatch_event("click")
    link = page.locator(".leaflet-popup-content a")
    assert link.get_attribute("href").startswith("/orders/")


def test_the_demo_map_at_a_desk_and_on_a_phone(open_as, live_server, django_user_model):
    call_command("seed_demo", verbosity=0)
    supervisor = django_user_model.objects.get(username="supervisor")
    expected = expected_rows()

    desk = open_as(supervisor, password="demo12345")
    blocked = watch_csp(desk)
    assert desk.goto("/map/").status == 200
    check_map(desk)
    assert blocked == []  # Leaflet's styles are set from script or a file: all allowed
    assert table_rows(desk) == expected
    desk.screenshot(path="/tmp/map-desk.png", full_page=True)

    phone = open_as(supervisor, phone=True, password="demo12345")
    assert phone.goto("/map/").status == 200
    check_map(phone)
    assert table_rows(phone) == expected
    # The map fills the screen's width and nothing scrolls the page sideways.
    box = phone.locator("#orders-map").bounding_box()
    assert box["width"] >= 340 and box["height"] >= 300
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path="/tmp/map-phone.png", full_page=True)

    # A street's dispatcher sees its street only.
    center = django_user_model.objects.get(username="center")
    page = open_as(center, phone=True, password="demo12345")
    page.goto("/map/")
    page.wait_for_selector("#orders-map[data-ready='1']")
    hb = Order.objects.filter(street__code="HB", latitude__isnull=False).count()
    assert page.locator("#orders-map path.order-marker").count() == hb
    assert page.locator("#orders-map path.outline").count() == 4  # 湖滨's four communities


def test_a_picked_point_lands_in_the_order(world, open_as):
    page = open_as(world.reporter, phone=True)
    blocked = watch_csp(page)
    page.goto("/report/")
    fill_report(page, "楼上孩子夜间跑跳，楼下多次交涉未果。")
    pick_map = page.locator("#pick-map")
    pick_map.scroll_into_view_if_needed()
    page.wait_for_selector("#pick-map path.outline")  # 曾坑's outline, from the GeoJSON
    box = pick_map.bounding_box()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pick_map.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    assert page.locator("#pick-map .pick-pin").count() == 1
    pick_map.screenshot(path="/tmp/report-location-phone.png")
    lat, lng = page.input_value("#id_latitude"), page.input_value("#id_longitude")
    assert page.input_value("#id_location_source") == "picked"
    # The map showed 曾坑 (the chosen community): its middle is inside 曾坑's outline.
    ring = next(
        f["geometry"]["coordinates"][0]
        for f in json.loads(Path(finders.find(settings.MAP_COMMUNITY_OUTLINES)).read_text())[
            "features"
        ]
        if f["properties"]["area_path"] == world.zk.path
    )
    assert inside(float(lng), float(lat), ring)
    with page.expect_navigation():
        page.get_by_role("button", name="提交报单").click()

    order = Order.objects.get()
    assert (order.latitude, order.longitude) == (Decimal(lat), Decimal(lng))
    assert order.location_source == "picked"
    assert blocked == []
    assert f"{lat}, {lng}" in page.locator(".order-location").inner_text()


def test_my_position_is_read_only_when_asked(world, open_as, live_server):
    page = open_as(world.reporter, phone=True)
    asked = []
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 24.741234, "longitude": 118.660987})
    page.add_init_script(
        """(() => {
          const geo = navigator.geolocation;
          const real = geo.getCurrentPosition.bind(geo);
          geo.getCurrentPosition = (...a) => {
            window.__asked = (window.__asked || 0) + 1;
            return real(...a);
          };
        })()"""
    )
    page.goto("/report/")
    fill_report(page, "邻居装修噪音。")
    page.wait_for_selector("#pick-map path.outline")
    asked.append(page.evaluate("window.__asked || 0"))
    page.get_by_role("button", name="使用我的位置").click()
    # A function, not an expression: the page's CSP allows no eval.
    page.wait_for_function("() => document.getElementById('id_latitude').value !== ''")
    asked.append(page.evaluate("window.__asked || 0"))
    assert asked == [0, 1]  # not on opening the form: only when the button was pressed
    assert page.input_value("#id_location_source") == "gps"
    with page.expect_navigation():
        page.get_by_role("button", name="提交报单").click()
    order = Order.objects.get()
    assert (order.latitude, order.longitude, order.location_source) == (
        Decimal("24.741234"),
        Decimal("118.660987"),
        "gps",
    )
