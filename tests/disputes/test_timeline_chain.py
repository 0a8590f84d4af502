"""The timeline is tamper-evident: edits behind the application's back are found, the
order's own fields included, and a chain recomputed without the key does not pass."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from disputes import services
from disputes.chain import _unkeyed_hash, event_hash
from disputes.models import Grade, OrderEvent, State
from disputes.sweep import sla_sweep
from tests.factories import T0, first_handler_of


def verify(capsys):
    try:
        call_command("verify_timeline")
        failed = False
    except CommandError:
        failed = True
    return failed, capsys.readouterr().out


@pytest.fixture
def orders(world):
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


# --- the order's own fields ------------------------------------------------------------


def test_an_edited_grade_is_found(orders, capsys):
    """简易 → 重大疑难 would raise the committee's subsidy for the case from 50 to 500."""
    closed = orders[1]
    assert closed.grade != Grade.MAJOR
    sql("UPDATE disputes_order SET grade = %s WHERE id = %s", [Grade.MAJOR, closed.pk])
    failed, out = verify(capsys)
    assert failed
    assert f"{closed.number}: the order's grade is 'major', its timeline says" in out


@pytest.mark.parametrize(
    ("column", "value", "which"),
    [
        ("state", State.CLOSED, 0),
        ("outcome", "failed", 1),
        ("sign_on_time", False, 0),
        ("contact_on_time", False, 1),
        ("meet_on_time", None, 1),
        ("sign_due_at", T0 + timedelta(days=9), 2),
        ("meet_due_at", T0 + timedelta(days=9), 0),
    ],
)
def test_an_edited_state_flag_or_due_time_is_found(orders, capsys, column, value, which):
    order = orders[which]
    sql(f"UPDATE disputes_order SET {column} = %s WHERE id = %s", [value, order.pk])
    failed, out = verify(capsys)
    assert failed and f"{order.number}: the order's {column} is" in out


def test_every_path_through_the_services_verifies(world, capsys):
    """Returned and dispatched again, reassigned, cancelled after signing: replaying the
    events gives the order's fields back."""
    police, committee = world.hb_police, world.hb_committee
    returned = world.order(State.SIGNED)
    services.order_return_request(
        order_id=returned.pk,
        actor=first_handler_of(police),
        reason="不属本单位",
        now=T0 + timedelta(minutes=50),
    )
    services.order_return_review(
        order_id=returned.pk, actor=world.dispatcher, approve=True, now=T0 + timedelta(hours=1)
    )
    services.order_dispatch(
        order_id=returned.pk,
        actor=world.dispatcher,
        lead_unit_id=committee.pk,
        now=T0 + timedelta(hours=2),
    )
    reassigned = world.order(State.DISPATCHED)
    services.order_reassign(
        order_id=reassigned.pk,
        actor=world.dispatcher,
        lead_unit_id=committee.pk,
        now=T0 + timedelta(hours=1),
    )
    world.order(State.CANCELLED, cancel_from=State.SIGNED)
    world.order(State.REPORTED)
    failed, out = verify(capsys)
    assert not failed, out
    assert "checked 4 orders: 0 with a broken timeline" in out


def test_deleting_every_event_and_the_head_is_found(orders, capsys):
    signed = orders[0]
    sql("DELETE FROM disputes_orderevent WHERE order_id = %s", [signed.pk])
    sql("UPDATE disputes_order SET timeline_seq = 0, timeline_hash = '' WHERE id = %s", [signed.pk])
    failed, out = verify(capsys)
    assert failed and f"{signed.number}: the order's state is 'signed', its timeline says ''" in out


# --- a chain recomputed by someone without the key ---------------------------------------


def forge(order, link) -> None:
    """Rewrite the closing event's note and recompute every link after it with ``link``
    (as someone with write access to the database but not the key would), head included."""
    prev = ""
    for event in order.events.order_by("seq"):
        if event.kind == "closed":
            event.note = "改写的协议"
        prev = link(event, prev)
        sql(
            "UPDATE disputes_orderevent SET note = %s, hash = %s WHERE id = %s",
            [event.note, prev, event.pk],
        )
    sql("UPDATE disputes_order SET timeline_hash = %s WHERE id = %s", [prev, order.pk])


def plain_sha256(event, prev):
    return _unkeyed_hash(event, prev=prev, seq=event.seq)


def wrong_key(event, prev):
    """The current key's id on a link made with another key."""
    with override_settings(TIMELINE_CHAIN_KEYS={settings.TIMELINE_CHAIN_KEY_ID: "a guess"}):
        return event_hash(
            prev=prev,
            order_id=event.order_id,
            seq=event.seq,
            kind=event.kind,
            actor_id=event.actor_id,
            at=event.at,
            from_state=event.from_state,
            to_state=event.to_state,
            note=event.note,
            data=event.data,
        )


def test_the_links_name_their_key(orders):
    event = orders[0].events.get(seq=1)
    key_id, _sep, digest = event.hash.partition(":")
    assert key_id == settings.TIMELINE_CHAIN_KEY_ID and len(digest) == 64
    assert digest != plain_sha256(event, "")


@pytest.mark.parametrize("link", [plain_sha256, wrong_key], ids=["sha256", "wrong-key"])
def test_a_chain_recomputed_without_the_key_is_found(orders, capsys, link):
    closed = orders[1]
    forge(closed, link)
    failed, out = verify(capsys)
    assert failed and f"{closed.number}: event #" in out
    assert "1 with a broken timeline" in out


# --- key rotation and re-keying -------------------------------------------------------------


def rotate(new_id="k2", new_key="the-new-key-" * 3):
    """Settings after a rotation: a new current key, the old one kept by its id."""
    old = settings.TIMELINE_CHAIN_KEYS
    return override_settings(
        TIMELINE_CHAIN_KEY_ID=new_id,
        TIMELINE_CHAIN_KEY=new_key,
        TIMELINE_CHAIN_KEYS={**old, new_id: new_key},
    )


def test_a_chain_spans_a_key_rotation(world, capsys):
    order = world.order(State.SIGNED)
    old_id = settings.TIMELINE_CHAIN_KEY_ID
    with rotate():
        services.order_record_contact(
            order_id=order.pk,
            actor=first_handler_of(world.hb_police),
            method="phone",
            now=T0 + timedelta(hours=2),
        )
        ids = [e.hash.split(":")[0] for e in order.events.order_by("seq")]
        assert ids[0] == old_id and ids[-1] == "k2"
        assert not verify(capsys)[0]
        # Retiring the old key before re-keying leaves its events unverifiable...
        with override_settings(TIMELINE_CHAIN_KEYS={"k2": "the-new-key-" * 3}):
            failed, out = verify(capsys)
            assert failed and f"unknown key '{old_id}'" in out
        # ...re-keying moves them to the current key, and then it can go.
        call_command("rechain_timeline")
        with override_settings(TIMELINE_CHAIN_KEYS={"k2": "the-new-key-" * 3}):
            assert not verify(capsys)[0]


def unkey(order) -> None:
    """The order's chain as it was stored before the chain was keyed."""
    prev = ""
    for event in order.events.order_by("seq"):
        prev = _unkeyed_hash(event, prev=prev, seq=event.seq)
        sql("UPDATE disputes_orderevent SET hash = %s WHERE id = %s", [prev, event.pk])
    sql("UPDATE disputes_order SET timeline_hash = %s WHERE id = %s", [prev, order.pk])


def test_an_intact_unkeyed_chain_is_rekeyed_and_a_broken_one_is_not(orders, capsys):
    signed, closed, waiting = orders
    for order in orders:
        unkey(order)
    sql("UPDATE disputes_order SET grade = %s WHERE id = %s", [Grade.MAJOR, closed.pk])
    failed, out = verify(capsys)
    assert failed and "unkeyed hash" in out and "3 with a broken timeline" in out

    with pytest.raises(CommandError):
        call_command("rechain_timeline")
    out = capsys.readouterr().out
    assert f"{closed.number}: left as it is: the order's grade is 'major'" in out
    assert "re-keyed 2 orders" in out

    failed, out = verify(capsys)
    assert failed and "1 with a broken timeline" in out
    assert f"{closed.number}: event #" in out and "unkeyed hash" in out
    assert signed.number not in out and waiting.number not in out
