"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django's guard against
ORM calls from async contexts must be lifted for the test's own database work.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A browser test waiting on something that never comes (a page, a navigation) fails after
# this many seconds (pytest-timeout) instead of holding its xdist worker until CI's limit.
BROWSER_TEST_TIMEOUT = 240
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}; install it or set CHROMIUM_PATH")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def open_as(browser, live_server):
    """``open_as(user, phone=True)`` → a logged-in page in a fresh browser context
    (Chinese first, Asia/Shanghai). Page errors fail the test at teardown."""
    contexts, errors = [], []

    def open_page(user, *, phone: bool = False, password: str = "pw"):
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **(PHONE if phone else DESK),
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/accounts/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert "/accounts/login/" not in page.url, "login failed"
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, errors


@pytest.fixture
def screenshot():
    """``screenshot(page, "board")`` writes docs/screenshots/board.png when
    SAVE_SCREENSHOTS=1 (so ordinary runs leave the committed images alone)."""

    enabled = os.environ.get("SAVE_SCREENSHOTS") == "1"

    def save(page, name: str, *, full_page: bool = True) -> None:
        if not enabled:
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # Sticky bars would float mid-image in a full-page capture. Through the CSSOM: the
        # pages' CSP refuses an added <style> element.
        page.evaluate(
            "() => document.querySelectorAll('.sticky-submit,.action-bar')"
            ".forEach(e => e.style.setProperty('position', 'static', 'important'))"
        )
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    save.enabled = enabled
    return save
