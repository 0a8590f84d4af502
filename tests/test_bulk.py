"""The set-based writers of the sweep: what they write must read back exactly as the ORM
would have written it, on SQLite (VALUES) and on PostgreSQL (unnest arrays)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError

from disputes.models import Alarm, Escalation, EventKind, OrderEvent, State
from disputes.stages import Stage
from shishi_mediation.bulk import insert_rows, update_rows
from tests.factories import T0

AWKWARD = 'quote " backslash \\ comma, brace } 中文 NULL'


def test_insert_rows_round_trips_awkward_values(world):
    order = world.order(State.DISPATCHED)
    data = {"text": AWKWARD, "list": [1, None, "x"], "nested": {"k": "v\\n"}}
    rows = [
        (order.pk, EventKind.NOTE, None, T0, "", "", AWKWARD, data, 90, "h" * 64),
        (
            order.pk,
            EventKind.NOTE,
            world.handler.pk,
            T0 + timedelta(microseconds=7),
            "",
            "",
            "NULL",
            {},
            91,
            "",
        ),
    ]
    names = (
        "order",
        "kind",
        "actor",
        "at",
        "from_state",
        "to_state",
        "note",
        "data",
        "seq",
        "hash",
    )
    assert insert_rows(OrderEvent, names, rows) == []
    got = list(
        OrderEvent.objects.filter(order=order, seq__gte=90)
        .order_by("seq")
        .values_list("note", "data", "actor_id", "at", "hash")
    )
    assert got == [
        (AWKWARD, data, None, T0, "h" * 64),
        ("NULL", {}, world.handler.pk, T0 + timedelta(microseconds=7), ""),
    ]


def test_conflicting_rows_are_skipped_and_only_new_ones_come_back(world):
    order = world.order(State.DISPATCHED)
    names = ("order", "stage", "level", "stage_due_at", "fire_at", "raised_at", "unit")
    row = (order.pk, Stage.SIGN, 1, T0, T0, T0, None)
    [(first,)] = insert_rows(Escalation, names, [row], returning=("id",), ignore_conflicts=True)
    again = insert_rows(
        Escalation,
        names,
        [row, (order.pk, Stage.SIGN, 2, T0, T0, T0, None)],
        returning=("id", "level"),
        ignore_conflicts=True,
    )
    assert [level for _id, level in again] == [2]
    assert first not in {pk for pk, _level in again}
    with pytest.raises(IntegrityError):
        insert_rows(Escalation, names, [row])


def test_update_rows_sets_values_and_nulls_by_key(world):
    a, b = world.order(State.DISPATCHED), world.order(State.DISPATCHED)
    alarms = {x.order_id: x for x in Alarm.objects.filter(order__in=[a, b])}
    later = T0 + timedelta(hours=5, microseconds=3)
    assert (
        update_rows(
            Alarm, ("level", "fire_at"), [(alarms[a.pk].pk, 2, later), (alarms[b.pk].pk, 1, T0)]
        )
        == 2
    )
    assert Alarm.objects.get(order=a).level == 2 and Alarm.objects.get(order=a).fire_at == later
    assert Alarm.objects.get(order=b).fire_at == T0
    # A column of NULLs only (PostgreSQL would type it as text without the casts).
    escalation = Escalation.objects.create(
        order=a,
        stage=Stage.SIGN,
        level=0,
        stage_due_at=T0,
        fire_at=T0,
        raised_at=T0,
        notified_at=T0,
    )
    assert update_rows(Escalation, ("notified_at", "unit"), [(escalation.pk, None, None)]) == 1
    escalation.refresh_from_db()
    assert escalation.notified_at is None and escalation.unit_id is None
    assert update_rows(Escalation, ("notified_at",), []) == 0
