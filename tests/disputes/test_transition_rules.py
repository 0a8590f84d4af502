"""Who may do what, when, through ``disputes.services``: 409 for a state that forbids
it, 403 for a visible order, 404 for the rest and for ids that are not ids."""

import pytest

from disputes import services
from disputes.models import (
    EventKind,
    Order,
    OrderEvent,
    State,
)
from disputes.selectors import orders_visible_to
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.disputes.lifecycle import (
    ACTIONS,
    DISPATCHER_ACTIONS,
    MIN,
    act,
    expect,
    later,
    snapshot,
)
from tests.factories import (
    report_input,
)

pytestmark = pytest.mark.django_db


# --- illegal transitions → 409 ---------------------------------------------------------------

LEGAL_FROM = {
    "dispatch": {State.REPORTED},
    "reassign": {State.DISPATCHED},
    "sign": {State.DISPATCHED},
    "return": {State.DISPATCHED, State.SIGNED},
    "contact": {State.SIGNED},
    "meet": {State.CONTACTED},
    "close": {State.MET},
    "cancel": {State.REPORTED, State.DISPATCHED, State.SIGNED, State.CONTACTED, State.MET},
}
# (how the order is built, the state it is in)
BUILDS = {
    "reported": (State.REPORTED, {}),
    "dispatched": (State.DISPATCHED, {}),
    "signed": (State.SIGNED, {}),
    "contacted": (State.CONTACTED, {}),
    "met": (State.MET, {}),
    "closed": (State.CLOSED, {}),
    "cancelled-after-signing": (State.CANCELLED, {"cancel_from": State.SIGNED}),
    "cancelled-in-queue": (State.CANCELLED, {"cancel_from": State.REPORTED}),
}


def illegal_attempts(build: str):
    """(action, actor attribute) for every action the FSM refuses in this build's state,
    by someone whose role would allow it."""
    state, _kwargs = BUILDS[build]
    in_queue = build in ("reported", "cancelled-in-queue")
    for action in ACTIONS:
        if state in LEGAL_FROM[action]:
            continue
        if action in DISPATCHER_ACTIONS:
            yield action, "dispatcher"
        elif action == "close":
            yield action, "dispatcher" if in_queue else "handler"
        elif not in_queue:  # no lead unit: no handler can see it (tested below)
            yield action, "handler"


@pytest.mark.parametrize("build", list(BUILDS))
def test_illegal_transitions_are_conflicts_and_change_nothing(order_in, world, build):
    state, kwargs = BUILDS[build]
    order = order_in(state, **kwargs)
    before = snapshot(order.pk)
    attempts = list(illegal_attempts(build))
    assert attempts
    for action, actor in attempts:
        what = f"{action} by {actor} on a {build} order"
        exc = expect(
            Conflict,
            lambda action=action, actor=actor: act(
                action, order=order, actor=getattr(world, actor), world=world
            ),
            what,
        )
        assert (exc.status_code, exc.state) == (409, state), what
        assert snapshot(order.pk) == before, f"{what} changed the order"


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (State.DISPATCHED, "contact"),  # contact before sign
        (State.SIGNED, "sign"),  # a second sign
        (State.CONTACTED, "close"),  # close before meeting
        (State.SIGNED, "reassign"),
        (State.CLOSED, "cancel"),
    ],
)
def test_conflict_message_names_the_current_state(order_in, world, state, action):
    order = order_in(state)
    actor = world.dispatcher if action in DISPATCHER_ACTIONS else world.handler
    with pytest.raises(Conflict) as exc:
        act(action, order=order, actor=actor, world=world)
    assert exc.value.state == state
    assert str(Order(state=state).get_state_display()) in str(exc.value.message)


def test_second_sign_by_the_same_handler_is_a_conflict(order_in, world):
    order = order_in(State.DISPATCHED, assignee=world.handler)
    services.order_sign(order_id=order.pk, actor=world.handler, now=later(order))
    with pytest.raises(Conflict) as exc:
        services.order_sign(order_id=order.pk, actor=world.handler, now=later(order) + MIN)
    assert exc.value.state == State.SIGNED
    assert OrderEvent.objects.filter(order=order, kind=EventKind.SIGNED).count() == 1


@pytest.mark.parametrize("action", ["sign", "return", "contact", "meet"])
def test_handler_actions_on_an_order_in_the_queue(order_in, world, action):
    """A reported order has no lead unit: to a handler it is out of scope (404), to the
    dispatcher who sees it the action is not theirs (403). Either way nothing changes."""
    order = order_in(State.REPORTED)
    before = snapshot(order.pk)
    with pytest.raises(NotFound):
        act(action, order=order, actor=world.handler, world=world)
    # The dispatcher may return orders (to the queue) but this one is already there.
    with pytest.raises(Conflict if action == "return" else Forbidden):
        act(action, order=order, actor=world.dispatcher, world=world)
    assert snapshot(order.pk) == before


# --- permissions: 403 for visible orders, 404 for the rest -----------------------------------


def test_reporter_cannot_dispatch_or_cancel_its_own_order(order_in, world):
    order = order_in(State.REPORTED)
    before = snapshot(order.pk)
    for action in ("dispatch", "cancel"):
        with pytest.raises(Forbidden) as exc:
            act(action, order=order, actor=world.reporter, world=world)
        assert exc.value.status_code == 403
    assert snapshot(order.pk) == before


@pytest.mark.parametrize("who", ["committee_handler", "committee_head"])
def test_assisting_unit_sees_but_cannot_sign(order_in, world, who):
    order = order_in(State.DISPATCHED, assisting_units=[world.hb_committee])
    actor = getattr(world, who)
    assert orders_visible_to(actor).filter(pk=order.pk).exists()
    before = snapshot(order.pk)
    with pytest.raises(Forbidden):
        act("sign", order=order, actor=actor, world=world)
    assert snapshot(order.pk) == before


@pytest.mark.parametrize("who", ["supervisor", "hb_supervisor"])
@pytest.mark.parametrize("state", [State.REPORTED, State.DISPATCHED, State.MET])
def test_supervisors_are_read_only(order_in, world, who, state):
    order = order_in(state)
    actor = getattr(world, who)
    assert orders_visible_to(actor).filter(pk=order.pk).exists()
    before = snapshot(order.pk)
    for action in [*ACTIONS, "note"]:
        with pytest.raises(Forbidden):
            act(action, order=order, actor=actor, world=world)
    assert snapshot(order.pk) == before


def test_a_superuser_sees_everything_but_acts_through_no_role(order_in, world):
    order = order_in(State.DISPATCHED)
    with pytest.raises(Forbidden):
        act("sign", order=order, actor=world.admin, world=world)


@pytest.mark.parametrize(
    ("who", "state", "action"),
    [
        ("fl_handler", State.DISPATCHED, "sign"),  # another street's unit
        ("labour_handler", State.DISPATCHED, "sign"),  # another unit of the same street
        ("committee_handler", State.SIGNED, "contact"),
        ("fl_dispatcher", State.REPORTED, "dispatch"),  # another street's center
        ("fl_dispatcher", State.DISPATCHED, "reassign"),
        ("fl_dispatcher", State.REPORTED, "cancel"),
        ("other_reporter", State.REPORTED, "note"),  # someone else's report
        ("other_reporter", State.REPORTED, "cancel"),
        ("fl_reporter", State.REPORTED, "note"),
        ("nobody", State.DISPATCHED, "sign"),
        ("nobody", State.REPORTED, "note"),
    ],
)
def test_orders_outside_the_users_scope_are_not_found(order_in, world, who, state, action):
    order = order_in(state)
    before = snapshot(order.pk)
    with pytest.raises(NotFound) as exc:
        act(action, order=order, actor=getattr(world, who), world=world)
    assert exc.value.status_code == 404
    assert snapshot(order.pk) == before


@pytest.mark.parametrize("order_id", [999_999, "abc", None])
def test_a_missing_order_is_not_found(world, order_id):
    with pytest.raises(NotFound):
        services.order_sign(order_id=order_id, actor=world.handler)
    with pytest.raises(NotFound):
        services.order_add_note(order_id=order_id, actor=world.reporter, note="x")


def test_a_named_assignee_is_the_only_handler_who_may_act(order_in, world):
    order = order_in(State.DISPATCHED, assignee=world.handler)
    # Another handler of the same unit sees the order but may not take it.
    assert orders_visible_to(world.handler2).filter(pk=order.pk).exists()
    with pytest.raises(Forbidden):
        act("sign", order=order, actor=world.handler2, world=world)
    with pytest.raises(Forbidden):
        act("return", order=order, actor=world.handler2, world=world)
    services.order_sign(order_id=order.pk, actor=world.handler, now=later(order))
    order.refresh_from_db()
    assert order.state == State.SIGNED and order.assignee == world.handler
    # The unit head may act on any of the unit's orders.
    act("contact", order=order, actor=world.head, world=world)
    order.refresh_from_db()
    assert order.state == State.CONTACTED
    assert order.assignee == world.handler


def test_an_unnamed_order_belongs_to_whoever_signs_it(order_in, world):
    order = order_in(State.DISPATCHED)
    services.order_sign(order_id=order.pk, actor=world.handler2, now=later(order))
    order.refresh_from_db()
    assert order.assignee == world.handler2
    with pytest.raises(Forbidden):
        act("contact", order=order, actor=world.handler, world=world)
    act("contact", order=order, actor=world.handler2, world=world)
    order.refresh_from_db()
    assert order.state == State.CONTACTED


def test_signing_an_order_a_colleague_just_took_is_a_conflict(order_in, world):
    order = order_in(State.DISPATCHED)  # any handler of the station may take it
    services.order_sign(order_id=order.pk, actor=world.handler2, now=later(order))
    with pytest.raises(Conflict) as exc:
        services.order_sign(order_id=order.pk, actor=world.handler, now=later(order) + MIN)
    assert exc.value.state == State.SIGNED


def test_dispatcher_cannot_do_the_handlers_work(order_in, world):
    order = order_in(State.SIGNED)
    for action in ("sign", "contact", "meet"):
        with pytest.raises(Forbidden):
            act(action, order=order, actor=world.dispatcher, world=world)


def test_a_handler_cannot_dispatch_reassign_or_cancel(order_in, world):
    order = order_in(State.DISPATCHED)
    for action in ("reassign", "cancel"):
        with pytest.raises(Forbidden):
            act(action, order=order, actor=world.handler, world=world)


# --- ids the database cannot hold are simply not found -----------------------------------


@pytest.mark.parametrize("bad", [0, -1, 2**63, 10**30, "abc", None])
def test_an_impossible_order_id_is_not_found(world, bad):
    with pytest.raises(NotFound):
        services.order_sign(order_id=bad, actor=world.handler)


@pytest.mark.parametrize("bad", [2**63, 10**30, -5])
def test_impossible_unit_ids_are_field_errors(order_in, world, bad):
    order = order_in(State.REPORTED)
    with pytest.raises(InvalidInput) as exc:
        services.order_dispatch(
            order_id=order.pk,
            actor=world.dispatcher,
            lead_unit_id=bad,
            assignee_id=bad,
            assisting_unit_ids=[bad],
        )
    assert "lead_unit" in exc.value.errors and "assisting_units" in exc.value.errors


def test_impossible_category_and_community_ids_are_field_errors(world):

    data = report_input(community=world.zk, category=world.wages)
    data.category_id, data.community_id = 10**30, 2**63
    with pytest.raises(InvalidInput) as exc:
        services.order_report(actor=world.reporter, data=data)
    assert {"category", "community"} <= set(exc.value.errors)
