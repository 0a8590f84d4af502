"""The care register's list, page and API cost the same queries with more subjects."""

import pytest

from tests.query_growth import assert_constant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["handler", "dispatcher"])  # in full; masked
def test_the_care_lists_do_not_grow_with_the_subjects(world, register, client, who):
    register(name="陈一", phone="13900000001", id_number="")
    client.force_login(getattr(world, who))

    def more():
        for n in range(2, 6):
            register(name=f"陈{n}", phone=f"1390000000{n}", id_number="")

    assert_constant(client, ["/care/", "/api/v1/care/subjects/"], more)
