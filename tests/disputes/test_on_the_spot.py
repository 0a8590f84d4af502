"""Settled on the spot (就地化解): a reporter records a dispute settled on the spot in
one step; it is reported and closed at once, with no clock and no dispatch."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from disputes import services
from disputes.models import Alarm, Escalation, Order, Outcome, Review, State
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput
from tests.disputes.lifecycle import timeline
from tests.factories import party_input, report_input

pytestmark = pytest.mark.django_db


def settle(world, *, actor=None, summary="双方同意赔偿 500 元，当场付清。", now=None, **kw):
    return services.order_settle_on_the_spot(
        actor=actor or world.reporter,
        data=report_input(community=world.zk, category=world.wages, **kw),
        summary=summary,
        now=now,
    )


def test_one_step_reports_and_closes_it_as_mediated(world, t0):
    order = settle(
        world,
        now=t0,
        parties=[
            party_input(name="王某", phone="13812345678", sms_consent=True),
            party_input(name="李某", role="respondent", phone="13912345678"),
        ],
    )

    order = Order.objects.get(pk=order.pk)
    assert order.on_the_spot
    assert order.state == State.CLOSED
    assert order.outcome == Outcome.MEDIATED
    assert order.agreement_summary == "双方同意赔偿 500 元，当场付清。"
    assert order.reported_at == order.closed_at == t0
    assert order.reporter == world.reporter and order.reporter_unit == world.zk_residents
    assert order.lead_unit is None and order.dispatched_at is None and order.grade == "simple"
    assert all(p.confirmed_at == t0 for p in order.parties.all())

    events = timeline(order)
    assert [(e.kind, e.from_state, e.to_state) for e in events] == [
        ("reported", "", "reported"),
        ("closed", "reported", "closed"),
    ]
    assert all(e.actor == world.reporter and e.at == t0 for e in events)
    assert events[1].note == "双方同意赔偿 500 元，当场付清。"
    assert events[1].data["on_the_spot"] is True


def test_no_clock_runs_and_nothing_is_left_for_the_sweep(world, t0):
    order = settle(world, now=t0)
    order.refresh_from_db()
    assert order.running_clocks() == {}
    assert order.dispatch_due_at is None and order.sign_due_at is None
    # Only its return visit falls due (回访, owed by the reporter's unit), no order clock.
    assert [a.stage for a in Alarm.objects.filter(order=order)] == ["visit"]
    assert not Escalation.objects.filter(order=order).exists()
    # The timeline records no order clock's due time either.
    assert all(not any(k.endswith("_due_at") for k in e.data) for e in timeline(order))


def test_the_timeline_chain_stays_intact(world, t0, capsys):
    settle(world, now=t0)
    world.report(now=t0)
    call_command("verify_timeline")
    assert "0 with a broken timeline" in capsys.readouterr().out


def test_each_party_gets_a_review_link(world, t0):
    order = settle(
        world,
        now=t0,
        parties=[
            party_input(name="王某", phone="13812345678", sms_consent=True),
            party_input(name="李某", role="respondent", phone="13912345678"),
        ],
    )
    reviews = Review.objects.filter(order=order)
    assert sorted(r.party.name for r in reviews) == ["李某", "王某"]
    assert len({r.token for r in reviews}) == 2 and all(len(r.token) >= 32 for r in reviews)


def test_the_street_dispatchers_are_not_asked_to_dispatch_it(world, t0, client):
    order = settle(world, now=t0)
    client.force_login(world.dispatcher)
    queue = client.get("/queue/")
    assert queue.status_code == 200
    assert order.number not in queue.content.decode()


def test_a_dispatcher_may_settle_on_the_spot_too(world, t0):
    order = settle(world, actor=world.dispatcher, now=t0)
    assert order.state == State.CLOSED and order.reporter == world.dispatcher


@pytest.mark.parametrize("who", ["supervisor", "hb_supervisor", "nobody"])
def test_whoever_may_not_report_may_not_settle(world, who):
    with pytest.raises(Forbidden):
        settle(world, actor=getattr(world, who))
    assert not Order.objects.exists()


@pytest.mark.parametrize("summary", ["", "   ", "\u200b"])
def test_what_was_agreed_is_required_and_nothing_is_left_behind(world, t0, summary):
    with pytest.raises(InvalidInput) as exc:
        settle(world, now=t0, summary=summary)
    assert set(exc.value.errors) == {"summary"}
    assert not Order.objects.exists()
    # The number was not used up.
    assert world.report(now=t0).number == "HB-202611-00001"


def test_report_errors_and_the_missing_agreement_come_together(world, t0):
    with pytest.raises(InvalidInput) as exc:
        settle(world, now=t0, summary="", title="", parties=[])
    assert {"summary", "title", "parties"} <= set(exc.value.errors)
    assert not Order.objects.exists()


def test_the_settle_step_is_never_offered_on_an_order(world, t0):
    from disputes.selectors import available_actions

    reported = world.report(now=t0)
    settled = settle(world, now=t0)
    assert "settle" not in available_actions(world.reporter, reported)
    assert "settle" not in available_actions(world.reporter, settled)
    with pytest.raises(Conflict):
        services._transition(
            order_id=reported.pk,
            actor=world.reporter,
            action="settle",
            kind="closed",
            now=t0,
            apply=lambda o: (o.settle_on_the_spot(at=t0, summary="x"), ("", {}))[1],
        )
    reported.refresh_from_db()
    assert reported.state == State.REPORTED


def test_the_settler_and_the_street_police_may_record_the_return_visit(world, t0):
    order = settle(world, now=t0)
    later = t0 + timedelta(days=7)
    visit = services.order_record_return_visit(
        order_id=order.pk, actor=world.reporter, satisfied=True, note="已履行。", now=later
    )
    assert visit.visited_by == world.reporter
    assert [e.kind for e in timeline(order)][-1] == "return_visit"
    # A reporter of an ordinary order may not visit it again (the lead unit does).
    ordinary = world.order("closed")
    with pytest.raises(Forbidden):
        services.order_record_return_visit(
            order_id=ordinary.pk, actor=world.reporter, satisfied=True, now=later
        )
