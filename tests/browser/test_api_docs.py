"""/api/docs/ in a real browser under the strict Content-Security-Policy (issue 8): Swagger
UI starts, loads the schema and lists the operations, and the browser reports no
violation of the policy."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_runs_under_the_csp(browser, live_server, world):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    console, errors = [], []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        response = page.goto("/api/docs/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".opblock-tag", state="attached")
        page.wait_for_selector(".opblock", state="attached")
        assert page.locator(".opblock").count() > 10  # every endpoint, from the schema
        assert page.locator(".info .title").inner_text().startswith("Shishi mediation API")
        violations = [
            line for line in console if "Content Security Policy" in line or "Refused" in line
        ]
        assert not violations, violations
        assert not errors, errors
    finally:
        context.close()
