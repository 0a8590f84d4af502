"""The live board: SLA countdowns coloured by urgency, htmx refresh of a fragment, and
the shared order filters and search."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from disputes.models import State
from tests.factories import T0, party_input

from .conftest import html

pytestmark = pytest.mark.django_db


def row_of(page: str, order) -> str:
    return page.split(f'data-order="{order.number}"')[1].split("</tr>")[0]


@pytest.mark.parametrize(
    "minutes_after_t0, urgency, text",
    [
        (20, "ok", "剩余 15分钟"),  # dispatched at +5 min, due at +35 min
        (29, "warning", "剩余 6分钟"),  # 80% of the 30 minutes passed at +29 min
        (36, "overdue", "超时 1分钟"),
        (95, "overdue", "超时 1小时0分"),
    ],
)
def test_countdowns_are_coloured_by_urgency(
    world, order_in, as_user, minutes_after_t0, urgency, text
):
    order = order_in(State.DISPATCHED)
    with time_machine.travel(T0 + timedelta(minutes=minutes_after_t0), tick=False):
        page = html(as_user(world.dispatcher).get(reverse("board")))
    row = row_of(page, order)
    assert f"clock-{urgency}" in row
    assert f'class="row-{urgency}"' in page.split(f'data-order="{order.number}"')[0][-40:]
    assert text in row
    assert "签收" in row


def test_the_nearest_deadline_comes_first_and_waiting_orders_last(world, order_in, as_user):
    queued = order_in(State.REPORTED)
    met = order_in(State.MET)
    later = order_in(State.SIGNED, start=T0 + timedelta(hours=1))  # contact due T0+25h15m
    sooner = order_in(State.DISPATCHED)  # sign due T0+35m
    with time_machine.travel(T0 + timedelta(hours=1, minutes=30), tick=False):
        page = html(as_user(world.dispatcher).get(reverse("board")))
    # The queued order's dispatch deadline (T0+30m) is the nearest: overdue by an hour.
    positions = [page.index(o.number) for o in (queued, sooner, later)]
    assert positions == sorted(positions)
    assert max(positions) < page.index(met.number)
    assert "待结单" in row_of(page, met)
    assert "待派单" in row_of(page, queued) and "超时 1小时" in row_of(page, queued)


def test_htmx_polling_gets_only_the_board_fragment(world, order_in, as_user):
    order = order_in(State.DISPATCHED)
    client = as_user(world.dispatcher)
    full = html(client.get(reverse("board")))
    assert 'hx-trigger="every 30s"' in full and "<html" in full
    assert 'src="/static/vendor/htmx/htmx.min.js"' in full

    fragment = client.get(reverse("board") + "?state=dispatched", headers={"HX-Request": "true"})
    text = html(fragment)
    assert fragment.status_code == 200
    assert text.startswith('<section id="board"') and "<html" not in text
    assert order.number in text
    # The fragment polls the same filtered URL again.
    assert 'hx-get="/board/?state=dispatched"' in text


def test_the_refresh_interval_can_be_set(world, as_user, settings):
    settings.BOARD_REFRESH_SECONDS = 5
    assert 'hx-trigger="every 5s"' in html(as_user(world.dispatcher).get(reverse("board")))


def test_filters_and_search(world, order_in, as_user):
    wages = order_in(State.DISPATCHED)
    noise = order_in(
        State.SIGNED,
        category=world.neighbours,
        community=world.sg,
        lead_unit=world.hb_committee,
        parties=[party_input(name="欧阳修")],
    )
    client = as_user(world.dispatcher)

    def shown(**query):
        page = html(client.get(reverse("board"), query))
        return {o for o in (wages, noise) if o.number in page}

    assert shown() == {wages, noise}
    assert shown(state="signed") == {noise}
    assert shown(category=world.wages.pk) == {wages}
    assert shown(unit=world.hb_committee.pk) == {noise}
    assert shown(community=world.sg.pk) == {noise}
    assert shown(q="欧阳") == {noise}
    assert shown(q=wages.number) == {wages}
    assert shown(q="拖欠") == {wages, noise}  # both titles
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert shown(overdue="true") == {wages}  # sign was due at +35 min
        assert shown(overdue="false") == {noise}


def test_the_search_page_filters_by_date_and_keeps_filters_when_paging(world, order_in, as_user):
    for _ in range(12):
        order_in(State.REPORTED)
    client = as_user(world.dispatcher)
    page = html(client.get(reverse("order-list"), {"per_page": 10, "state": "reported"}))
    assert "per_page=10&amp;state=reported&amp;page=2" in page
    day = T0.date().isoformat()
    assert "共 12 条" in html(client.get(reverse("order-list"), {"reported_after": day}))
    assert "共 0 条" in html(client.get(reverse("order-list"), {"reported_after": "2030-01-01"}))
    bad = client.get(reverse("order-list"), {"reported_after": "not-a-date"})
    assert bad.status_code == 200  # a bad filter is a field error, never a 500


def test_open_escalations_are_flagged_on_the_board(world, order_in, as_user):
    from disputes.sweep import sla_sweep

    late = order_in(State.DISPATCHED)
    fresh = order_in(State.DISPATCHED, start=T0 + timedelta(minutes=20))
    sla_sweep(now=T0 + timedelta(minutes=40))  # late: sign due +35 min → level 1
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        page = html(as_user(world.dispatcher).get(reverse("board")))
    assert 'class="escalated lvl-1">一级督办' in row_of(page, late)
    assert "escalated" not in row_of(page, fresh)  # only its warning is due at +49 min


@pytest.fixture
def clocks(world, order_in):
    """Open orders whose clocks stand differently as time passes: signing (30 min),
    contacting and meeting, and none (waiting for dispatch or for closing)."""
    return [
        order_in(State.REPORTED),
        order_in(State.DISPATCHED),  # sign due +35 min, warning from +29 min
        order_in(State.DISPATCHED, start=T0 + timedelta(minutes=20)),
        order_in(State.DISPATCHED, start=T0 - timedelta(minutes=40)),
        order_in(State.SIGNED, start=T0 - timedelta(hours=20)),
        order_in(State.SIGNED, start=T0 - timedelta(days=2)),
        order_in(State.CONTACTED, start=T0 - timedelta(days=2)),
        order_in(State.CONTACTED),
        order_in(State.MET),
    ]


def urgency_of_rows(page: str, orders) -> dict:
    """Each order on the page → the urgency its row is coloured with ("none": no clock)."""
    shown = {}
    for order in orders:
        if f'data-order="{order.number}"' in page:
            before = page.split(f'data-order="{order.number}"')[0]
            shown[order] = before.rsplit('class="row-', 1)[1].split('"')[0]
    return shown


@pytest.mark.parametrize("minutes", [0, 30, 50, 24 * 60 - 30, 3 * 24 * 60])
def test_the_legend_counts_and_filters_what_the_rows_show(world, clocks, as_user, minutes):
    client = as_user(world.dispatcher)
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        page = html(client.get(reverse("board")))
        rows = urgency_of_rows(page, clocks)
        assert len(rows) == len(clocks)
        legend = page.split('id="board-legend"')[1].split("</nav>")[0]
        for key, row_class in [
            ("overdue", "overdue"),
            ("warning", "warning"),
            ("ok", "ok"),
            ("waiting", "none"),
        ]:
            expected = {o for o, shown in rows.items() if shown == row_class}
            count = legend.split(f'data-urgency="{key}"')[1].split("</a>")[0]
            assert f"<b>{len(expected)}</b>" in count, (key, minutes)
            filtered = html(client.get(reverse("board"), {"urgency": key}))
            assert set(urgency_of_rows(filtered, clocks)) == expected, (key, minutes)
        assert f"<b>{len(clocks)}</b>" in legend.split('data-urgency="all"')[1].split("</a>")[0]


def test_the_legend_keeps_the_other_filters_and_polling_keeps_the_legend(world, clocks, as_user):
    client = as_user(world.dispatcher)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        page = html(client.get(reverse("board"), {"state": "dispatched", "page": "1"}))
        legend = page.split('id="board-legend"')[1].split("</nav>")[0]
        assert 'href="?state=dispatched&amp;urgency=overdue"' in legend
        assert 'href="?state=dispatched" class="legend-item' in legend  # all of them
        assert "件在办" in page and "3 件在办" in page  # the filter's open orders
        fragment = html(
            client.get(
                reverse("board"),
                {"state": "dispatched", "urgency": "warning"},
                headers={"HX-Request": "true"},
            )
        )
    assert 'hx-get="/board/?state=dispatched&amp;urgency=warning"' in fragment
    current = fragment.split('aria-current="true"')[0].rsplit("<a ", 1)[1]
    assert 'data-urgency="warning"' in current
    assert set(urgency_of_rows(fragment, clocks)) == {clocks[1]}
    # The search form keeps the legend's choice.
    assert '<input type="hidden" name="urgency" value="warning">' not in fragment
    full = html(client.get(reverse("board"), {"urgency": "warning"}))
    assert '<input type="hidden" name="urgency" value="warning">' in full
    assert client.get(reverse("board"), {"urgency": "bogus"}).status_code == 200
