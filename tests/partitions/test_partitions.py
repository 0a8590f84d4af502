"""The event tables' monthly partitions on PostgreSQL: months created ahead, old ones
detached for archive, rows outside every month kept, and the timeline's chain and every
unique and foreign-key constraint still holding across partitions."""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from disputes import services
from disputes.models import Escalation, OrderEvent, State
from notifications.models import Delivery, Notification
from notifications.services import notify
from partitions.services import detach_before, ensure_partitions, maintain_partitions
from partitions.tables import TABLES
from partitions.tasks import maintain
from shishi_mediation.text import SHANGHAI

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="declarative partitioning is PostgreSQL's; on SQLite the tables are plain",
    ),
]

# Far from the months the test database's migration created around the real date.
FAR = datetime(2031, 5, 20, 12, 0, tzinfo=SHANGHAI)


def rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def partition_of(table: str, pk: int) -> str:
    return rows(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])[0][0]


def attached(table: str) -> dict[str, str]:
    """Partition name → its bounds, for the partitions attached to ``table``."""
    return dict(
        rows(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [table],
        )
    )


def check_foreign_keys_now():
    """Deferred foreign keys are checked at commit, which a test never reaches."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_daily_task_creates_the_months_ahead_in_shanghai_time(db, settings):
    settings.PARTITION_MONTHS_AHEAD = 2
    settings.PARTITION_RETENTION_MONTHS = None
    with time_machine.travel(FAR, tick=False):
        done = maintain()
    for spec in TABLES:
        parts = attached(spec.table)
        for month in ("203105", "203106", "203107"):
            assert f"{spec.table}_p{month}" in done["created"]
        # June 2031 runs from local midnight of 1 June to local midnight of 1 July.
        assert parts[f"{spec.table}_p203106"] == (
            "FOR VALUES FROM ('2031-05-31 16:00:00+00') TO ('2031-06-30 16:00:00+00')"
        )
        assert f"{spec.table}_p203108" not in parts
        assert parts[f"{spec.table}_default"] == "DEFAULT"
    assert done["detached"] == []


def test_ensuring_again_changes_nothing(db):
    ensure_partitions(now=FAR, months_ahead=1)
    before = {spec.table: attached(spec.table) for spec in TABLES}
    assert ensure_partitions(now=FAR, months_ahead=1) == []
    assert {spec.table: attached(spec.table) for spec in TABLES} == before


def test_a_row_outside_every_month_lands_in_the_default_and_stays_reachable(world):
    user = world.handler
    note = Notification.objects.create(
        recipient=user, kind="test", subject="默认分区", created_at=FAR
    )
    delivery = Delivery.objects.create(
        notification=note,
        notification_created_at=note.created_at,
        channel="email",
        next_attempt_at=FAR,
    )
    assert partition_of("dispatch_notification", note.pk) == "dispatch_notification_default"
    assert partition_of("dispatch_delivery", delivery.pk) == "dispatch_delivery_default"

    created = ensure_partitions(now=FAR, months_ahead=0)

    moved = {c.partition: c.moved_rows for c in created}
    assert moved["dispatch_notification_p203105"] == 1
    assert moved["dispatch_delivery_p203105"] == 1
    assert partition_of("dispatch_notification", note.pk) == "dispatch_notification_p203105"
    assert partition_of("dispatch_delivery", delivery.pk) == "dispatch_delivery_p203105"
    got = Delivery.objects.select_related("notification").get(pk=delivery.pk)
    assert got.notification.subject == "默认分区"
    assert not rows("SELECT 1 FROM dispatch_notification_default")
    check_foreign_keys_now()  # the moved delivery still points at its moved notification


def test_an_old_month_is_detached_for_archive_and_the_current_one_never(world):
    order = world.order(State.SIGNED, start=FAR - timedelta(days=62))  # March 2031
    events = OrderEvent.objects.filter(order=order).count()
    ensure_partitions(now=FAR - timedelta(days=62), months_ahead=2)
    assert events and {
        partition_of("disputes_orderevent", pk)
        for pk in OrderEvent.objects.filter(order=order).values_list("pk", flat=True)
    } == {"disputes_orderevent_p203103"}

    with pytest.raises(ValueError, match="current month or later"):
        detach_before(month=date(2031, 6, 1), now=FAR)
    check_foreign_keys_now()  # detaching alters the tables: nothing may be pending
    detached = detach_before(month=date(2031, 5, 1), now=FAR)

    assert "disputes_orderevent_p203103" in detached
    assert "dispatch_escalation_p203104" in detached
    assert not any(name.endswith("_p203105") for name in detached)
    assert not OrderEvent.objects.filter(order=order).exists()  # gone from the parent
    assert rows(
        "SELECT count(*) FROM disputes_orderevent_p203103 WHERE order_id = %s", [order.pk]
    ) == [(events,)]  # kept in the archive table
    assert "disputes_orderevent_p203105" in attached("disputes_orderevent")
    assert detach_before(month=date(2031, 5, 1), now=FAR) == []


def test_retention_detaches_only_months_before_the_ones_kept(db, settings):
    ensure_partitions(now=FAR - timedelta(days=92), months_ahead=5)  # Feb to July 2031
    kept = maintain_partitions(now=FAR, months_ahead=0, retention_months=None)
    assert kept.detached == []

    settings.PARTITION_MONTHS_AHEAD = 1
    settings.PARTITION_RETENTION_MONTHS = 2  # April and May stay
    with time_machine.travel(FAR, tick=False):
        done = maintain()

    months = {name[-6:] for name in done["detached"]}
    assert {"203102", "203103"} <= months
    assert not months & {"203104", "203105", "203106", "203107"}
    assert "disputes_orderevent_p203104" in attached("disputes_orderevent")


def test_the_chain_verifies_across_a_month_boundary_and_finds_a_tampered_old_month(world, capsys):
    boundary = datetime(2031, 2, 1, tzinfo=SHANGHAI)
    ensure_partitions(now=boundary - timedelta(days=1), months_ahead=1)
    order = world.order(State.CONTACTED, start=boundary - timedelta(minutes=30))
    homes = dict(
        rows(
            "SELECT seq, tableoid::regclass::text FROM disputes_orderevent WHERE order_id = %s",
            [order.pk],
        )
    )
    assert set(homes.values()) == {"disputes_orderevent_p203101", "disputes_orderevent_p203102"}
    call_command("verify_timeline")

    old = min(homes)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE disputes_orderevent_p203101 SET note = 'changed' "
            "WHERE order_id = %s AND seq = %s",
            [order.pk, old],
        )
    with pytest.raises(CommandError):
        call_command("verify_timeline")
    assert order.number in capsys.readouterr().out


def test_the_append_path_numbers_on_across_months(world, capsys):
    start = datetime(2031, 3, 31, 23, 0, tzinfo=SHANGHAI)
    ensure_partitions(now=start, months_ahead=1)
    order = world.order(State.DISPATCHED, start=start - timedelta(minutes=30))
    services.order_sign(order_id=order.pk, actor=world.handler, now=start + timedelta(hours=2))
    seqs = list(OrderEvent.objects.filter(order=order).order_by("seq").values_list("seq", "at"))
    assert [s for s, _at in seqs] == list(range(1, len(seqs) + 1))
    assert (
        seqs[-1][1].astimezone(SHANGHAI).month == 4 and seqs[0][1].astimezone(SHANGHAI).month == 3
    )
    call_command("verify_timeline")

    # Within a month the database itself refuses a second event with a used seq.
    first = OrderEvent.objects.filter(order=order).order_by("seq").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        rows(
            "INSERT INTO disputes_orderevent (order_id, kind, at, from_state, to_state, note, "
            "data, seq, hash) VALUES (%s, 'note', %s, '', '', '', '{}', %s, '')",
            [order.pk, first.at, first.seq],
        )
    # In another month only the chain sees it: verify_timeline reports the order.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO disputes_orderevent (order_id, kind, at, from_state, to_state, note, "
            "data, seq, hash) VALUES (%s, 'note', %s, '', '', '', '{}', %s, '')",
            [order.pk, first.at + timedelta(days=20), first.seq],
        )
    with pytest.raises(CommandError):
        call_command("verify_timeline")
    assert order.number in capsys.readouterr().out


def test_escalation_once_still_refuses_a_second_escalation(world):
    order = world.order(State.DISPATCHED)
    fields = dict(
        order=order,
        stage="sign",
        level=1,
        stage_due_at=FAR,
        fire_at=FAR,
        raised_at=FAR,
    )
    Escalation.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(**fields)


def test_delivery_once_and_the_composite_foreign_key_hold(world):
    user = world.handler
    [note] = notify(recipients=[user], order=None, kind="test", subject="s", now=FAR)
    fields = dict(
        notification=note,
        notification_created_at=note.created_at,
        channel="fax",
        next_attempt_at=FAR,
    )
    Delivery.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(**fields)
    for wrong in (
        {"notification_id": note.pk + 1000},  # no such notification
        {"notification_created_at": note.created_at + timedelta(days=40)},  # not its time
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Delivery.objects.create(**{**fields, "channel": "webhook", **wrong})
            check_foreign_keys_now()


def test_the_command_lists_ensures_and_refuses_to_detach_the_current_month(db, capsys):
    call_command("partitions", "--ensure", "--ahead", "0", "--now", "2031-05-20T12:00")
    assert "created disputes_orderevent_p203105" in capsys.readouterr().out
    call_command("partitions", "--list")
    out = capsys.readouterr().out
    assert "dispatch_delivery_p203105" in out and "dispatch_delivery_default" in out
    with pytest.raises(CommandError, match="current month or later"):
        call_command("partitions", "--detach-before", "2031-06", "--now", "2031-05-20T12:00")
    call_command("partitions", "--detach-before", "2031-05", "--now", "2031-05-20T12:00")
    out = capsys.readouterr().out
    assert "detached disputes_orderevent_p" in out and "_p203105" not in out
    call_command("partitions", "--list")
    assert re.search(r"disputes_orderevent_p203105 +attached", capsys.readouterr().out)
