"""Whether a page or API list costs the same number of queries with more rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"{url} answered {response.status_code}")
    return len(captured)


def assert_constant(client, urls: list[str], add_rows) -> None:
    """Count each URL's queries, add rows (``add_rows()``), count again: no growth. Each
    URL is read once first, so that caches filled on a first visit do not count."""
    for url in urls:
        queries_for(client, url)
    before = {url: queries_for(client, url) for url in urls}
    add_rows()
    after = {url: queries_for(client, url) for url in urls}
    if after != before:
        raise AssertionError(f"queries grew with the rows: {before} → {after}")
