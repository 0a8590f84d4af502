"""Who sees which orders (``orders_visible_to``) and may press which buttons
(``allowed_actions``); the scoping path every list, page and export starts from."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from dispatch.models import Role
from disputes.models import OPEN_STATES, Order, State
from disputes.selectors import (
    VisibleRows,
    allowed_actions,
    board_orders,
    can_report,
    handler_orders,
    my_reports,
    next_due_expression,
    order_for_page,
    order_list,
    orders_visible_to,
    visibility_branches,
    visibility_q,
)
from tests.factories import T0, MembershipFactory, UnitFactory, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(world, order_in):
    """Six orders across both streets, named by what makes them differ."""
    return {
        # 曾坑, world.reporter's, waiting in the HB queue.
        "queued": order_in(State.REPORTED),
        # other_reporter's, led by the police station with the committee assisting.
        "assisted": order_in(
            State.DISPATCHED, reporter=world.other_reporter, assisting_units=[world.hb_committee]
        ),
        # 石光, led by the committee, signed.
        "committee": order_in(State.SIGNED, community=world.sg, lead_unit=world.hb_committee),
        # 凤里 street.
        "fl": order_in(State.DISPATCHED, reporter=world.fl_reporter, community=world.fl_community),
        "closed": order_in(State.CLOSED),
        "cancelled": order_in(State.CANCELLED),
    }


def visible(user, orders) -> set[str]:
    names = {o.pk: name for name, o in orders.items()}
    pks = list(orders_visible_to(user).values_list("pk", flat=True))
    assert len(pks) == len(set(pks)), "an order is listed twice"
    return {names[pk] for pk in pks}


HB = {"queued", "assisted", "committee", "closed", "cancelled"}
ALL = HB | {"fl"}


SCOPES = {
    # A reporter sees only what it reported.
    "reporter": {"queued", "committee", "closed", "cancelled"},
    "other_reporter": {"assisted"},
    "fl_reporter": {"fl"},
    # A dispatcher sees its street, whatever the state.
    "dispatcher": HB,
    "fl_dispatcher": {"fl"},
    # Handlers and heads see their unit's orders as lead or assisting.
    "handler": {"assisted", "closed"},
    "handler2": {"assisted", "closed"},  # named assignee or not, the unit sees it
    "head": {"assisted", "closed"},
    "committee_handler": {"assisted", "committee"},
    "committee_head": {"assisted", "committee"},
    "labour_handler": set(),
    "fl_handler": {"fl"},
    # Supervisors see their jurisdiction: the city everything, a street its own.
    "supervisor": ALL,
    "hb_supervisor": HB,
    "admin": ALL,
    "nobody": set(),
}


def test_each_role_sees_its_scope(world, orders):
    seen = {who: visible(getattr(world, who), orders) for who in SCOPES}
    assert seen == SCOPES


def test_anonymous_sees_nothing(orders):
    assert visible(AnonymousUser(), orders) == set()


def test_a_unit_that_is_both_lead_and_assisting_lists_the_order_once(world, order_in):
    # One user handling in both the police station and the committee; the order is led by
    # one and assisted by the other, plus a second assisting unit of the same user.
    both = world.handler
    MembershipFactory(user=both, unit=world.hb_committee, role=Role.HANDLER)
    MembershipFactory(user=both, unit=world.hb_labour, role=Role.UNIT_HEAD)
    order = order_in(State.DISPATCHED, assisting_units=[world.hb_committee, world.hb_labour])
    listed = list(orders_visible_to(fresh(both)))
    assert listed == [order]
    assert orders_visible_to(fresh(both)).count() == 1


def test_roles_add_up(world, orders):
    # The grid worker also handles for the committee: its reports plus the committee's.
    MembershipFactory(user=world.reporter, unit=world.hb_committee, role=Role.HANDLER)
    assert visible(fresh(world.reporter), orders) == {
        "queued",
        "committee",
        "closed",
        "cancelled",
        "assisted",
    }


def test_a_deactivated_unit_takes_its_members_view_away(world, orders):
    world.hb_police.is_active = False
    world.hb_police.save()
    assert visible(fresh(world.handler), orders) == set()
    assert visible(fresh(world.head), orders) == set()


def test_return_to_queue_takes_the_order_out_of_the_units_view(world, order_in):
    from disputes import services

    order = order_in(State.SIGNED, assisting_units=[world.hb_committee])
    assert orders_visible_to(world.handler).filter(pk=order.pk).exists()
    services.order_return(
        order_id=order.pk, actor=world.dispatcher, reason="非本单位职责", now=order.signed_at
    )
    assert not orders_visible_to(world.handler).filter(pk=order.pk).exists()
    assert not orders_visible_to(world.committee_handler).filter(pk=order.pk).exists()
    assert orders_visible_to(world.dispatcher).filter(pk=order.pk).exists()


def test_a_community_level_supervisor_sees_its_community(world, orders):
    unit = UnitFactory(supervision=True, name="曾坑社区督导", area=world.zk)
    user = MembershipFactory(unit=unit, role=Role.SUPERVISOR).user
    # "queued", "assisted", "closed" and "cancelled" are in 曾坑; "committee" is in 石光.
    assert visible(user, orders) == {"queued", "assisted", "closed", "cancelled"}


# --- query counts ----------------------------------------------------------------------------


QUERIES = {
    # memberships + orders, however many orders there are
    "reporter": 2,
    "dispatcher": 2,
    "handler": 2,
    "committee_head": 2,
    "supervisor": 2,
    "admin": 1,  # a superuser needs no memberships
}


def test_listing_visible_orders_takes_constant_queries(world, order_in, django_assert_num_queries):
    def listing(who):
        user = fresh(getattr(world, who))
        with django_assert_num_queries(QUERIES[who]):
            return list(orders_visible_to(user).select_related("category", "community"))

    order_in(State.DISPATCHED, assisting_units=[world.hb_committee])
    few = {who: len(listing(who)) for who in QUERIES}

    for _ in range(6):
        order_in(State.DISPATCHED, assisting_units=[world.hb_committee])
    order_in(State.SIGNED, lead_unit=world.hb_committee, assisting_units=[world.hb_police])
    many = {who: len(listing(who)) for who in QUERIES}
    assert all(many[who] > few[who] >= 1 for who in QUERIES), (few, many)


def test_nobody_costs_at_most_the_membership_lookup(world, order_in, django_assert_max_num_queries):
    order_in(State.REPORTED)
    nobody = fresh(world.nobody)
    with django_assert_max_num_queries(1):
        assert list(orders_visible_to(nobody)) == []
    with django_assert_max_num_queries(0):
        assert list(orders_visible_to(AnonymousUser())) == []


def test_the_order_page_query_count_does_not_grow_with_its_timeline(world, order_in):
    from disputes import services

    short = order_in(State.DISPATCHED, assisting_units=[world.hb_committee])
    long = order_in(State.MET, assisting_units=[world.hb_committee])
    for i in range(5):
        services.order_add_note(order_id=long.pk, actor=world.handler, note=f"备注 {i}")

    def page_queries(order):
        user = fresh(world.dispatcher)
        with CaptureQueriesContext(connection) as ctx:
            page = order_for_page(user, order.pk)
            list(page.events.all())
            [e.actor for e in page.events.all()]
            list(page.parties.all())
            list(page.assisting_units.all())
        return len(ctx.captured_queries)

    page_queries(short)  # the first read of a process also loads disputes.reference
    assert page_queries(long) == page_queries(short)


def test_the_order_page_of_an_order_out_of_scope_does_not_exist(world, order_in):
    order = order_in(State.DISPATCHED)
    with pytest.raises(Order.DoesNotExist):
        order_for_page(world.fl_dispatcher, order.pk)
    assert order_for_page(world.dispatcher, order.pk) == order


# --- allowed actions -------------------------------------------------------------------------

# The lead unit asks to return an order (申请退单); the center returns it at once or
# reviews the unit's request (退单审核).
HANDLING = {"sign", "return_request", "contact", "meet", "close", "note"}
DISPATCHING = {"dispatch", "reassign", "return", "return_review", "cancel", "close", "note"}
# Other features add their own actions (return visits, reviews…); these tests pin down the
# lifecycle's.
LIFECYCLE = {
    "dispatch",
    "reassign",
    "sign",
    "return",
    "return_request",
    "return_review",
    "contact",
    "meet",
    "close",
    "cancel",
}


def lifecycle_actions(user, order) -> set[str]:
    return allowed_actions(user, order) & (LIFECYCLE | {"note"})


def test_allowed_actions_on_a_dispatched_order(world, order_in):
    order = order_in(
        State.DISPATCHED,
        reporter=world.other_reporter,
        assignee=world.handler,
        assisting_units=[world.hb_committee],
    )
    expected = {
        "dispatcher": DISPATCHING,
        "handler": HANDLING,  # the named assignee
        "head": HANDLING,
        "handler2": {"note"},  # same unit, not the assignee
        "committee_handler": {"note"},  # assisting unit
        "committee_head": {"note"},
        "other_reporter": {"note"},  # its own report
        "reporter": set(),
        "supervisor": set(),
        "hb_supervisor": set(),
        "admin": set(),
        "fl_dispatcher": set(),
        "fl_handler": set(),
        "nobody": set(),
    }
    assert {who: lifecycle_actions(getattr(world, who), order) for who in expected} == expected


def test_allowed_actions_on_an_order_in_the_queue(world, order_in):
    order = order_in(State.REPORTED)
    expected = {
        "dispatcher": DISPATCHING,
        "reporter": {"note"},
        "handler": set(),  # no lead unit yet
        "head": set(),
    }
    assert {who: lifecycle_actions(getattr(world, who), order) for who in expected} == expected


def test_any_handler_of_the_lead_unit_may_act_on_an_unnamed_order(world, order_in):
    order = order_in(State.DISPATCHED)
    assert lifecycle_actions(world.handler, order) == HANDLING
    assert lifecycle_actions(world.handler2, order) == HANDLING


@pytest.mark.parametrize(
    ("who", "may"),
    [
        ("reporter", True),
        ("dispatcher", True),
        ("handler", True),
        ("head", True),
        ("supervisor", False),
        ("hb_supervisor", False),
        ("nobody", False),
    ],
)
def test_who_may_report(world, who, may):
    assert can_report(getattr(world, who)) is may


def test_anonymous_may_not_report():
    assert can_report(AnonymousUser()) is False


# --- lists read as a union of the ways a user sees orders ---------------------------------------


@pytest.fixture
def many_orders(world, order_in):
    """Orders in every state, both streets, with assisting units, reported by people who
    also dispatch or handle, so that each user's ways of seeing them overlap."""
    made = []
    for i, state in enumerate(["reported", "dispatched", "signed", "contacted", "met"] * 2):
        start = T0 + timedelta(minutes=7 * i)
        made.append(order_in(state, start=start))
        made.append(order_in(state, start=start, assisting_units=[world.hb_committee]))
        made.append(order_in(state, start=start, community=world.sg, lead_unit=world.hb_committee))
    made.append(order_in("closed", assisting_units=[world.hb_committee]))
    made.append(order_in("cancelled"))
    # The HB dispatcher and the police officer report too, one in the other street.
    made.append(order_in("signed", reporter=world.dispatcher, community=world.fl_community))
    made.append(order_in("dispatched", reporter=world.handler))
    made.append(order_in("signed", reporter=world.fl_reporter, community=world.fl_community))
    # The grid worker also handles for the committee.
    MembershipFactory(user=world.reporter, unit=world.hb_committee, role=Role.HANDLER)
    return made


LISTS = {
    "board": board_orders,
    "board, signed or met": lambda user: board_orders(
        user, filters=lambda qs: qs.filter(state__in=["signed", "met"])
    ),
    "search": order_list,
    "search, by the committee": lambda user: order_list(
        user, filters=lambda qs: qs.filter(lead_unit__name__contains="曾坑")
    ),
    "handler list": handler_orders,
    "my reports": my_reports,
}
WHO = [
    "reporter",
    "dispatcher",
    "fl_dispatcher",
    "handler",
    "head",
    "committee_handler",
    "labour_handler",
    "supervisor",
    "hb_supervisor",
    "admin",
    "nobody",
]


@pytest.mark.parametrize("name", LISTS)
def test_a_list_read_by_its_branches_is_its_plain_query(world, many_orders, name):
    """Every page and the count of a ``VisibleRows`` equal those of its query read
    directly (on PostgreSQL the pages come from a UNION of per-branch queries)."""
    for who in WHO:
        rows = LISTS[name](fresh(getattr(world, who)))
        expected = [o.pk for o in rows.queryset]
        assert rows.count() == len(expected), who
        for start, stop in [(0, 1), (0, 5), (3, 9), (0, 200), (len(expected), len(expected) + 5)]:
            assert [o.pk for o in rows[start:stop]] == expected[start:stop], (who, start, stop)


def test_the_lists_keep_to_the_scope(world, many_orders):
    for who in WHO:
        user = fresh(getattr(world, who))
        scope = set(orders_visible_to(user).values_list("pk", flat=True))
        for name, make in LISTS.items():
            assert {o.pk for o in make(user)[0:500]} <= scope, (who, name)


def test_the_handler_list_is_its_units_open_orders(world, many_orders):
    user = fresh(world.committee_handler)
    mine = Q(lead_unit=world.hb_committee) | Q(assisting_units=world.hb_committee)
    expected = set(
        Order.objects.filter(mine, state__in=OPEN_STATES).values_list("pk", flat=True).distinct()
    )
    assert {o.pk for o in handler_orders(user)[0:500]} == expected
    assert handler_orders(user).count() == len(expected)


def test_visibility_q_is_the_or_of_the_branches(world, many_orders):
    for who in WHO:
        user = fresh(getattr(world, who))
        branches = visibility_branches(user)
        either = set()
        for branch in (branches or {}).values():
            either |= set(Order.objects.filter(branch).values_list("pk", flat=True))
        if branches is None:
            either = set(Order.objects.values_list("pk", flat=True))
        assert set(Order.objects.filter(visibility_q(user)).values_list("pk", flat=True)) == either


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite reads the plain query")
def test_on_postgresql_the_board_is_read_as_a_union(world, many_orders):
    user = fresh(world.dispatcher)  # it reports and dispatches: two branches
    rows = board_orders(user)
    with CaptureQueriesContext(connection) as ctx:
        rows[0:50]
    (page_sql,) = [q["sql"] for q in ctx.captured_queries if "disputes_order" in q["sql"]]
    assert " UNION " in page_sql and page_sql.count("LIMIT 50") == 3


def test_the_list_indexes_use_the_next_due_expression():
    """PostgreSQL uses an expression index only for the same expression."""
    for name in ("order_street_next_due", "order_unit_next_due"):
        index = next(i for i in Order._meta.indexes if i.name == name)
        assert index.expressions[1] == next_due_expression()


def test_within_a_way_of_seeing_the_user_lacks_is_empty(world, many_orders):
    rows = VisibleRows(fresh(world.supervisor), lambda qs: qs.order_by("id"), within={"lead": Q()})
    assert rows.count() == 0 and rows[0:10] == []
