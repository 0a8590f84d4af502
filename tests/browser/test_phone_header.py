"""The header on a 390×844 phone, in Chinese and in English, for a dispatcher (eight tabs)
with a two-digit unread count: one compact line whose 退出 / Log out does not wrap, and a
tab row that shows it scrolls (a faded edge with a chevron) and keeps the current tab in
view, so the last tab can be reached."""

import pytest
from django.utils import timezone

from notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""
NAV = """() => {
  const nav = document.querySelector('.main-nav');
  const wrap = document.getElementById('main-nav-wrap');
  return {scrollWidth: nav.scrollWidth, clientWidth: nav.clientWidth,
          classes: [...wrap.classList]};
}"""
# The faded edge with its chevron is shown (once its fade-in is over).
OPAQUE = """edge =>
  getComputedStyle(document.getElementById('main-nav-wrap'), edge).opacity === '1'"""


@pytest.fixture
def busy_dispatcher(world):
    user = world.dispatcher
    user.last_name, user.first_name = "欧阳", "晓燕"
    user.save(update_fields=["last_name", "first_name"])
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient=user, kind="new_report", subject=f"新报单 {i}", created_at=now)
        for i in range(12)
    )
    return user


def in_view(box, width=390) -> bool:
    return box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_phone_header_is_one_line_and_its_tabs_show_they_scroll(
    busy_dispatcher, open_as, tmp_path, language
):
    page = open_as(busy_dispatcher, phone=True)
    if language == "en":
        with page.expect_navigation():
            page.click("header.top button[lang=en]")
    page.goto("/board/")
    logout_label = "Log out" if language == "en" else "退出"
    assert page.locator("html").get_attribute("lang") == language
    page.screenshot(path=str(tmp_path / f"header-{language}.png"))

    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 64, header
    assert page.locator("#unread-count").inner_text() == "12"
    logout = page.locator("header.top form.logout button")
    assert logout.inner_text() == logout_label
    assert logout.evaluate(LINES) == 1  # not wrapped
    assert in_view(logout.bounding_box())
    for item in ["a.brand", ".inbox-link", "form.lang button", "form.logout button"]:
        box = page.locator(f"header.top {item}").bounding_box()
        assert box["y"] + box["height"] <= header["y"] + header["height"] + 1, item

    tabs = page.locator(".main-nav a")
    # 本单位通报 for a unit member, 地图 for the center; 调解联盟, 隐患排查, 培训 and
    # 关爱对象 since issue 18
    assert tabs.count() == 12
    nav_box = page.locator(".main-nav").bounding_box()
    assert nav_box["height"] <= 48  # one row of tabs
    state = page.evaluate(NAV)
    if state["scrollWidth"] > state["clientWidth"]:
        # More tabs to the right: the edge says so, and scrolling reaches the last one.
        assert "more-right" in state["classes"], state
        page.wait_for_function(OPAQUE, arg="::after")
        page.locator(".main-nav").evaluate("nav => nav.scrollTo({left: nav.scrollWidth})")
        page.wait_for_function(
            "() => !document.getElementById('main-nav-wrap').classList.contains('more-right')"
        )
        assert "more-left" in page.evaluate(NAV)["classes"]
        page.wait_for_function(OPAQUE, arg="::before")
    page.wait_for_timeout(300)  # the smooth scroll and the fade settle
    assert in_view(tabs.last.bounding_box())
    page.screenshot(path=str(tmp_path / f"header-{language}-scrolled.png"))

    # The last tab's page opens with its tab in view, clear of the faded edge.
    with page.expect_navigation():
        tabs.last.click()
    current = page.locator('.main-nav a[aria-current="page"]')
    assert current.inner_text() == tabs.last.inner_text()
    page.wait_for_timeout(300)
    box = current.bounding_box()
    assert in_view(box), box
    if "more-right" in page.evaluate(NAV)["classes"]:  # clear of the faded right edge
        assert box["x"] + box["width"] <= 390 - 36, box
    page.screenshot(path=str(tmp_path / f"header-{language}-last.png"))
