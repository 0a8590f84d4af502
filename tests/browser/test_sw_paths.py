"""What a pushed notice may open: the service worker's ``localPath``, run in Chromium
from the served /sw.js. A payload's url comes from this server, but a click must never
leave the site whatever it holds."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = {
    "/orders/12/": "/orders/12/",
    "/inbox/?page=2#top": "/inbox/?page=2#top",
    "//evil.example/x": "/",
    "/\\evil.example/x": "/",
    "https://evil.example/x": "/",
    "javascript:alert(1)": "/",
    "": "/",
    None: "/",
}


def test_a_notice_opens_only_a_path_on_this_site(world, open_as):
    page = open_as(world.handler, phone=True)
    source = page.evaluate("fetch('/sw.js').then((r) => r.text())")
    start = source.index("function localPath(")
    end = source.index("\n}\n", start) + 2
    got = page.evaluate(
        """([fn, inputs]) => {
            const self = { location: { origin: window.location.origin } };
            const localPath = new Function("self", fn + "; return localPath;")(self);
            return inputs.map((value) => localPath(value));
        }""",
        [source[start:end], list(CASES)],
    )
    assert dict(zip(CASES, got, strict=True)) == CASES
