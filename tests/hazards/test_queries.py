"""The hazard list, the screening log and their API cost the same queries with more rows."""

import pytest

from tests.query_growth import assert_constant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["reporter", "dispatcher"])
def test_the_hazard_lists_do_not_grow_with_the_hazards(world, report, client, who):
    report()
    client.force_login(getattr(world, who))
    urls = ["/hazards/", "/hazards/screenings/", "/api/v1/hazards/", "/api/v1/screenings/"]
    assert_constant(client, urls, lambda: [report() for _ in range(4)])
