"""The timeline is tamper-evident: edits behind the application's back are found."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dispatch.sla import sla_sweep
from disputes.models import OrderEvent, State
from tests.factories import T0


def verify(capsys):
    try:
        call_command("verify_timeline")
        failed = False
    except CommandError:
        failed = True
    return failed, capsys.readouterr().out


@pytest.fixture
def orders(world):
    from datetime import timedelta

    signed = world.order(State.SIGNED)
    closed = world.order(State.CLOSED)
    waiting = world.order(State.DISPATCHED)
    sla_sweep(now=T0 + timedelta(hours=3))  # escalation events through the bulk path
    return signed, closed, waiting


def sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_untouched_timelines_verify(orders, capsys):
    failed, out = verify(capsys)
    assert not failed
    assert "checked 3 orders: 0 with a broken timeline" in out
    waiting = orders[2]
    waiting.refresh_from_db()
    seqs = list(waiting.events.order_by("seq").values_list("seq", "kind"))
    assert seqs[-3:] == [(3, "escalated"), (4, "escalated"), (5, "escalated")]
    assert waiting.timeline_seq == 5


def test_an_edited_note_is_found(orders, capsys):
    closed = orders[1]
    event = closed.events.get(kind="closed")
    sql("UPDATE disputes_orderevent SET note = %s WHERE id = %s", ["改写的协议", event.pk])
    failed, out = verify(capsys)
    assert failed
    assert f"{closed.number}: event #{event.pk}" in out and "does not match" in out
    assert "1 with a broken timeline" in out


def test_a_changed_time_or_actor_is_found(orders, capsys):
    signed = orders[0]
    event = signed.events.get(kind="signed")
    sql("UPDATE disputes_orderevent SET actor_id = NULL WHERE id = %s", [event.pk])
    failed, out = verify(capsys)
    assert failed and signed.number in out


def test_a_deleted_event_in_the_middle_is_found(orders, capsys):
    closed = orders[1]
    event = closed.events.get(kind="contacted")
    sql("DELETE FROM disputes_orderevent WHERE id = %s", [event.pk])
    failed, out = verify(capsys)
    assert failed and f"{closed.number}:" in out and "missing event" in out


def test_a_deleted_last_event_is_found(orders, capsys):
    closed = orders[1]
    last = closed.events.order_by("-seq").first()
    sql("DELETE FROM disputes_orderevent WHERE id = %s", [last.pk])
    failed, out = verify(capsys)
    assert failed and "last event removed" in out


def test_the_application_cannot_edit_events(orders):
    event = OrderEvent.objects.first()
    event.note = "x"
    with pytest.raises(TypeError):
        event.save()
