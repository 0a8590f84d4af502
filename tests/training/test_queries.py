"""Training's list, 我的培训 and the API cost the same queries with more sessions."""

import pytest

from tests.query_growth import assert_constant
from tests.training.conftest import record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["dispatcher", "handler"])  # the recorder; an attendee
def test_the_training_lists_do_not_grow_with_the_sessions(world, client, who):
    record(world)
    client.force_login(getattr(world, who))
    urls = ["/training/", "/training/mine/", "/api/v1/training/sessions/"]
    assert_constant(client, urls, lambda: [record(world, topic=f"第{n}讲") for n in range(4)])
