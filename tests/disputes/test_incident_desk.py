"""The incident desk (警情工作台): who sees which incidents, the day's and the month's
non-police share counted by hand, pushing and linking an incident to an order."""

from datetime import date

import pytest
from django.core.management import call_command

from disputes import desk
from disputes.desk import (
    DeskFilters,
    desk_figures,
    desk_incidents,
    desk_scope,
    incident_link,
    incident_push,
    incidents_visible_to,
)
from disputes.models import EventKind, Incident, Order, Source, State
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.desk_world import command_room, desk_types, desk_user, local, make_incident

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 10)
NOW = local(2026, 11, 10, 18, 0)


@pytest.fixture
def types(world):
    return desk_types(world)


@pytest.fixture
def duty(world):
    return desk_user(command_room(world))


@pytest.fixture
def month(world, types):
    """November 2026 built by hand. On the 10th (Asia/Shanghai): 9 incidents, 6 not police
    matters; 7 of them in 湖滨 (5 not police matters). The rest of the month: 3 more (1
    not a police matter); just outside it, 2 calls for help."""
    zk, sg, fl = world.zk, world.sg, world.fl_community
    day = [
        ("JF-LZ", zk, local(2026, 11, 10, 0, 0, 0)),  # the day's first second
        ("JF-LZ", zk, local(2026, 11, 10, 9, 30)),
        ("JF-LZ", zk, local(2026, 11, 10, 23, 59, 59)),  # its last
        ("QZ", zk, local(2026, 11, 10, 10, 0)),
        ("XS", zk, local(2026, 11, 10, 11, 0)),
        ("XS", zk, local(2026, 11, 10, 12, 0)),
        ("WX", sg, local(2026, 11, 10, 13, 0)),
        ("QZ", fl, local(2026, 11, 10, 14, 0)),
        ("ZA", fl, local(2026, 11, 10, 15, 0)),
    ]
    rest = [
        ("QZ", zk, local(2026, 11, 11, 0, 0, 0)),  # the next day, same month
        ("XS", zk, local(2026, 11, 1, 0, 0, 0)),  # the month's first second
        ("ZA", fl, local(2026, 11, 30, 23, 59, 59)),  # its last
    ]
    outside = [
        ("QZ", zk, local(2026, 10, 31, 23, 59, 59)),
        ("QZ", zk, local(2026, 12, 1, 0, 0, 0)),
    ]
    return [make_incident(types, code, where, at) for code, where, at in day + rest + outside]


# --- scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, sees, acts",
    [
        ("duty", 14, True),  # the command room: the whole city
        ("handler", 11, True),  # 湖滨派出所: its street's communities
        ("head", 11, True),
        ("fl_handler", 3, True),  # 凤里派出所
        ("fl_reporter", 3, True),  # a reporter of 凤里派出所
        ("supervisor", 14, False),  # the city's supervisor reads all
        ("hb_supervisor", 11, False),  # 湖滨's reads 湖滨
        ("admin", 14, False),  # a superuser reads, reports nothing
        ("dispatcher", None, False),  # no desk
        ("committee_handler", None, False),
        ("reporter", None, False),
        ("nobody", None, False),
    ],
)
def test_who_sees_which_incidents(world, month, duty, who, sees, acts):
    user = duty if who == "duty" else getattr(world, who)
    scope = desk_scope(user)
    if sees is None:
        assert scope is None
        assert incidents_visible_to(user).count() == 0
        return
    assert incidents_visible_to(user).count() == sees
    assert scope.may_act is acts


def test_a_station_covering_communities_sees_them_and_its_street(world, types):
    """A station whose covered areas are communities (as the seed's are)."""
    world.fl_police.covered_areas.set([world.zk])
    mine = make_incident(types, "QZ", world.zk, NOW)
    street = make_incident(types, "QZ", world.fl_community, NOW)
    other = make_incident(types, "QZ", world.sg, NOW)
    seen = set(incidents_visible_to(world.fl_handler).values_list("pk", flat=True))
    assert seen == {mine.pk, street.pk}
    assert other.pk not in seen


# --- the figures ------------------------------------------------------------------------------


def test_the_days_and_the_months_non_police_share(world, month, duty, django_assert_num_queries):
    with django_assert_num_queries(6):  # scope (2), day, month, by community, by type
        figures = desk_figures(duty, day=DAY)
    assert figures["day"] == {"total": 9, "non_police": 6, "share": 6 / 9, "percent": "66.7%"}
    assert figures["month"] == {
        "total": 12,
        "non_police": 7,
        "share": 7 / 12,
        "percent": "58.3%",
    }
    by_community = {r["community__name"]: r["n"] for r in figures["by_community"]}
    assert by_community == {"曾坑社区": 6, "石光社区": 1, "凤里社区": 2}
    by_type = {r["type__code"]: r["n"] for r in figures["by_type"]}
    assert by_type == {"JF-LZ": 3, "QZ": 2, "XS": 2, "WX": 1, "ZA": 1}


def test_a_station_counts_its_own_street_only(world, month):
    figures = desk_figures(world.handler, day=DAY)
    assert (figures["day"]["total"], figures["day"]["non_police"]) == (7, 5)
    assert figures["day"]["percent"] == "71.4%"
    assert (figures["month"]["total"], figures["month"]["non_police"]) == (9, 6)


def test_a_day_without_incidents_has_no_share(world, month, duty):
    figures = desk_figures(duty, day=date(2026, 11, 20))
    assert figures["day"] == {"total": 0, "non_police": 0, "share": None, "percent": ""}
    assert figures["month"]["total"] == 12


def test_the_filters_and_search(world, types, duty):
    phone = make_incident(
        types, "QZ", world.zk, NOW, caller_phone="13812345678", summary="老人走失"
    )
    pushed = make_incident(types, "JF-LZ", world.sg, NOW, address="石光路 8 号")
    pushed.order = world.order("reported")
    pushed.save()
    make_incident(types, "XS", world.fl_community, local(2026, 11, 9, 23, 0))

    def numbers(**f):
        return {i.number for i in desk_incidents(duty, DeskFilters(day=DAY, **f))}

    assert numbers() == {phone.number, pushed.number}
    assert numbers(type="QZ") == {phone.number}
    assert numbers(community=world.sg.pk) == {pushed.number}
    assert numbers(dispute="yes") == {pushed.number}
    assert numbers(dispute="no") == {phone.number}
    assert numbers(pushed="yes") == {pushed.number}
    assert numbers(pushed="no") == {phone.number}
    assert numbers(q="走失") == {phone.number}
    assert numbers(q="石光路") == {pushed.number}
    assert numbers(q=pushed.number[-5:]) == {pushed.number}
    # The caller's phone: whole, however it is written; never a part of it.
    assert numbers(q="+86 138 1234 5678") == {phone.number}
    assert numbers(q="0086-13812345678") == {phone.number}
    assert numbers(q="12345678") == set()


# --- pushing ----------------------------------------------------------------------------------


def test_a_call_for_help_is_pushed_to_the_community_officer(world, types, duty):
    incident = make_incident(
        types, "QZ", world.zk, local(2026, 11, 10, 9, 0), caller_phone="13812345678"
    )
    with pytest.raises(InvalidInput) as no_category:
        incident_push(actor=duty, number=incident.number, now=NOW)
    assert list(no_category.value.errors) == ["category"]

    pushed = incident_push(
        actor=duty, number=incident.number, category_id=world.neighbours.pk, now=NOW
    )
    order = Order.objects.get(pk=pushed.order_id)
    assert order.source == Source.POLICE_INCIDENT
    assert order.category == world.neighbours
    assert order.community == world.zk
    assert order.state == State.DISPATCHED
    assert order.lead_unit == world.hb_police  # police_station_for(曾坑)
    assert order.reporter == duty
    assert order.parties.get().phone == "13812345678"
    kinds = list(order.events.order_by("seq").values_list("kind", flat=True))
    assert kinds == [EventKind.REPORTED, EventKind.INCIDENT_LINKED, EventKind.DISPATCHED]
    linked = order.events.get(kind=EventKind.INCIDENT_LINKED)
    assert incident.number in linked.note
    assert linked.data["incident"]["number"] == incident.number
    assert linked.data["via"] == "push"
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.order, stored.link_kind, stored.linked_by) == (order, "push", duty)
    assert stored.linked_at == NOW
    call_command("verify_timeline")  # the new event is chained like any other


def test_a_dispute_type_keeps_its_own_category_unless_chosen(world, types, duty):
    incident = make_incident(types, "JF-LZ", world.zk, NOW)
    pushed = incident_push(actor=duty, number=incident.number, now=NOW)
    assert pushed.order.category == world.wages


def test_an_incident_is_pushed_once(world, types, duty):
    incident = make_incident(types, "QZ", world.zk, NOW)
    incident_push(actor=duty, number=incident.number, category_id=world.wages.pk, now=NOW)
    with pytest.raises(Conflict):
        incident_push(actor=duty, number=incident.number, category_id=world.wages.pk, now=NOW)
    order = world.order("signed")
    with pytest.raises(Conflict):
        incident_link(actor=duty, number=incident.number, order_number=order.number, now=NOW)
    assert Order.objects.filter(source=Source.POLICE_INCIDENT).count() == 1


def test_a_push_that_lost_the_race_changes_nothing(world, types, duty):
    """The claim is the database's: an incident pointed at an order after it was read
    (a concurrent push) refuses the second order, whose whole transaction rolls back."""
    incident = make_incident(types, "QZ", world.zk, NOW)
    other = world.order("reported")
    real_locked = desk._locked

    def stale(actor, number):
        found, unit = real_locked(actor, number)
        # The other push won (here in the same transaction, which the Conflict rolls
        # back with everything else).
        Incident.objects.filter(pk=found.pk).update(order=other)
        return found, unit

    desk._locked = stale
    try:
        with pytest.raises(Conflict):
            incident_push(actor=duty, number=incident.number, category_id=world.wages.pk, now=NOW)
    finally:
        desk._locked = real_locked
    # The order the losing push reported is gone with its transaction.
    assert not Order.objects.filter(source=Source.POLICE_INCIDENT).exists()


@pytest.mark.parametrize(
    "who, error",
    [
        ("supervisor", Forbidden),  # reads, never pushes
        ("admin", Forbidden),
        ("fl_handler", NotFound),  # another street's station
        ("dispatcher", NotFound),  # no desk
        ("nobody", NotFound),
    ],
)
def test_who_may_not_push(world, types, who, error):
    incident = make_incident(types, "QZ", world.zk, NOW)
    with pytest.raises(error):
        incident_push(
            actor=getattr(world, who),
            number=incident.number,
            category_id=world.wages.pk,
            now=NOW,
        )
    assert Incident.objects.get(pk=incident.pk).order is None


def test_the_station_itself_may_push_its_incidents(world, types):
    incident = make_incident(types, "QZ", world.sg, NOW)
    pushed = incident_push(
        actor=world.handler, number=incident.number, category_id=world.wages.pk, now=NOW
    )
    assert pushed.order.lead_unit == world.hb_police
    assert pushed.order.reporter_unit == world.hb_police


def test_a_bad_category_is_named(world, types, duty):
    incident = make_incident(types, "QZ", world.zk, NOW)
    for bad in (0, -1, 2**70, 999999):
        with pytest.raises(InvalidInput) as e:
            incident_push(actor=duty, number=incident.number, category_id=bad, now=NOW)
        assert list(e.value.errors) == ["category"]


# --- linking ----------------------------------------------------------------------------------


def test_an_incident_is_linked_to_an_order_already_there(world, types, duty):
    order = world.order("contacted")
    incident = make_incident(types, "QZ", world.zk, NOW)
    linked = incident_link(actor=duty, number=incident.number, order_number=order.number, now=NOW)
    assert linked.order == order
    assert linked.link_kind == "link"
    event = order.events.get(kind=EventKind.INCIDENT_LINKED)
    assert incident.number in event.note
    assert event.data["via"] == "link"
    assert Order.objects.get(pk=order.pk).state == State.CONTACTED  # nothing else moves
    # A second incident may point at the same order.
    second = make_incident(types, "ZA", world.zk, NOW)
    incident_link(actor=duty, number=second.number, order_number=order.number, now=NOW)
    assert order.incidents.count() == 2


def test_linking_needs_an_order_in_scope(world, types):
    hb_order = world.order("reported")
    fl_incident = make_incident(types, "QZ", world.fl_community, NOW)
    for number in ("", "HB-000000-00000", hb_order.number):  # 凤里 may not reach 湖滨's
        with pytest.raises(InvalidInput) as e:
            incident_link(
                actor=world.fl_handler, number=fl_incident.number, order_number=number, now=NOW
            )
        assert list(e.value.errors) == ["order"]
    cancelled = world.order("cancelled")
    hb_incident = make_incident(types, "QZ", world.zk, NOW)
    with pytest.raises(InvalidInput):
        incident_link(
            actor=world.handler, number=hb_incident.number, order_number=cancelled.number, now=NOW
        )
