"""Every list page runs a constant number of queries, whatever the number of rows on
the page: measured with one row and with two page sizes over many rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes import services
from disputes.models import State

pytestmark = pytest.mark.django_db

# A generous ceiling: session, user, memberships, unread count, count, rows, prefetches,
# filter choices. What matters is that it does not grow with the rows.
MAX_QUERIES = 16


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def assert_constant(client, url, grow, django_assert_max_num_queries):
    """Queries for one row == queries for 10 rows == queries for 14 rows."""
    sep = "&" if "?" in url else "?"
    client.get(url)  # the first request of a process also loads disputes.reference
    one = queries(client, url)
    grow()
    rows_10 = queries(client, f"{url}{sep}per_page=10")
    rows_25 = queries(client, f"{url}{sep}per_page=25")
    assert one == rows_10 == rows_25, (one, rows_10, rows_25)
    for size in (10, 25):
        with django_assert_max_num_queries(MAX_QUERIES):
            client.get(f"{url}{sep}per_page={size}")
    return one


def many(make, n=13):
    return lambda: [make() for _ in range(n)]


def test_board(world, order_in, as_user, django_assert_max_num_queries):
    client = as_user(world.dispatcher)
    order_in(State.SIGNED, assisting_units=[world.hb_labour])

    def varied():
        for state in [State.REPORTED, State.DISPATCHED, State.SIGNED, State.CONTACTED, State.MET]:
            for _ in range(3):
                order_in(state, assignee=world.handler, assisting_units=[world.hb_labour])

    assert_constant(client, reverse("board"), varied, django_assert_max_num_queries)
    # The htmx fragment and a filtered board too.
    url = reverse("board") + "?state=signed&q=拖欠"
    assert queries(client, url) <= MAX_QUERIES
    # The legend's counts come with the page; showing one urgency costs nothing more (an
    # empty page one query less).
    plain = queries(client, reverse("board"))
    for urgency in ["overdue", "warning", "ok", "waiting"]:
        assert queries(client, reverse("board") + f"?urgency={urgency}") <= plain


def test_order_search(world, order_in, as_user, django_assert_max_num_queries):
    client = as_user(world.supervisor)
    order_in(State.CLOSED)
    assert_constant(
        client,
        reverse("order-list"),
        many(lambda: order_in(State.SIGNED, assisting_units=[world.hb_committee])),
        django_assert_max_num_queries,
    )


def test_dispatch_queue(world, order_in, routing, as_user, django_assert_max_num_queries):
    client = as_user(world.dispatcher)
    order_in(State.REPORTED)

    def queued():
        for i in range(13):
            order = order_in(
                State.DISPATCHED if i % 3 == 0 else State.REPORTED,
                category=world.neighbours if i % 2 else world.wages,
                community=world.sg if i % 4 else world.zk,
            )
            if order.state == State.DISPATCHED:  # returned: the queue shows why
                services.order_return(
                    order_id=order.pk, actor=world.dispatcher, reason="非本所职责"
                )

    assert_constant(client, reverse("queue"), queued, django_assert_max_num_queries)


def test_handler_list(world, order_in, as_user, django_assert_max_num_queries):
    client = as_user(world.handler)
    order_in(State.DISPATCHED)

    def mine():
        for i in range(13):
            state = [State.DISPATCHED, State.SIGNED, State.CONTACTED, State.MET][i % 4]
            order_in(
                state,
                assignee=world.handler if i % 2 else None,
                assisting_units=[world.hb_committee],
            )
        # and orders where the station only assists
        for _ in range(2):
            order_in(State.SIGNED, lead_unit=world.hb_committee, assisting_units=[world.hb_police])

    one = assert_constant(client, reverse("handling"), mine, django_assert_max_num_queries)
    # A page holding the orders it assists, alone or after its own, costs the same.
    assert queries(client, reverse("handling") + "?per_page=10&page=2") == one


def test_my_reports(world, order_in, as_user, django_assert_max_num_queries):
    client = as_user(world.reporter)
    order_in(State.REPORTED)
    assert_constant(
        client,
        reverse("my-reports"),
        many(lambda: order_in(State.SIGNED, assisting_units=[world.hb_labour])),
        django_assert_max_num_queries,
    )


def test_inbox(world, order_in, as_user, django_assert_max_num_queries):
    client = as_user(world.handler)
    order_in(State.DISPATCHED)  # notifies the station's handlers
    one = queries(client, reverse("inbox"))
    for _ in range(13):
        order_in(State.DISPATCHED)
    assert queries(client, reverse("inbox")) == one
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(reverse("inbox"))


def test_overview(world, order_in, as_user):
    client = as_user(world.supervisor)
    order_in(State.CLOSED)
    one = queries(client, reverse("overview"))
    for state in [State.REPORTED, State.SIGNED, State.CANCELLED]:
        order_in(state)
        order_in(state, reporter=world.fl_reporter, community=world.fl_community)
    assert queries(client, reverse("overview")) == one <= MAX_QUERIES


def test_order_page(world, order_in, as_user):
    """The order page's queries do not grow with its parties, events or attachments."""
    client = as_user(world.dispatcher)
    small = order_in(State.DISPATCHED)
    big = order_in(State.CLOSED, assisting_units=[world.hb_labour, world.hb_committee])
    for i in range(5):
        services.order_add_note(order_id=big.pk, actor=world.dispatcher, note=f"备注{i}")
    small_q = queries(client, reverse("order-detail", args=[small.pk]))
    big_q = queries(client, reverse("order-detail", args=[big.pk]))
    # A closed order adds its reviews, return visits, and its closing with the parties'
    # confirmations (结单确认): a fixed four more. The incidents it came from (警情工作台)
    # are one query on every order page; the repeat radar (issue 17) adds two to every
    # page with matches (here: the factories' same parties): them, and which the viewer
    # may open.
    assert big_q <= small_q + 4 <= 25
