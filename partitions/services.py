"""Monthly partitions of the event tables (``tables.TABLES``): create months ahead,
detach old ones for archive, list them. PostgreSQL only; elsewhere (SQLite) the tables
are plain and every function here does nothing.

A month is the Asia/Shanghai calendar month: partition ``<table>_pYYYYMM`` holds the
rows whose key is in [local midnight of the 1st, local midnight of the next 1st). Rows
outside every created month go to ``<table>_default``, so an insert never fails for lack
of a partition. The functions take a cursor too, so the conversion migrations share them.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction

from shishi_mediation.text import SHANGHAI

from .tables import TABLES, PartitionedTable

log = logging.getLogger(__name__)

# A maintenance statement waits at most this long for a table lock (creating or
# detaching a partition locks the parent briefly); a busy table is tried again by the
# next daily run, months ahead leave room for that.
LOCK_TIMEOUT = "5s"


def month_of(moment: datetime | date) -> date:
    """The first day of the Asia/Shanghai month ``moment`` falls in."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(SHANGHAI).date()
    return moment.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    """Local midnight of the month's 1st, Asia/Shanghai (an aware datetime)."""
    return datetime(month.year, month.month, 1, tzinfo=SHANGHAI)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def attached_months(cursor, table: str) -> set[date]:
    """The months with a partition attached to ``table`` (by our naming)."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [table],
    )
    pattern = re.compile(re.escape(table) + r"_p(\d{4})(\d{2})$")
    return {
        date(int(m[1]), int(m[2]), 1) for (name,) in cursor.fetchall() if (m := pattern.match(name))
    }


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


def ensure_default(cursor, spec: PartitionedTable) -> bool:
    """Create ``<table>_default`` unless it exists; True when created."""
    name = default_name(spec.table)
    cursor.execute("SELECT to_regclass(%s) IS NULL", [name])
    if not cursor.fetchone()[0]:
        return False
    cursor.execute(f"CREATE TABLE {_qn(name)} PARTITION OF {_qn(spec.table)} DEFAULT")
    return True


def create_month(cursor, spec: PartitionedTable, month: date) -> None:
    """Create ``spec``'s partition for ``month`` (its default partition must hold no
    row of that month: ``ensure_partitions`` moves them first)."""
    cursor.execute(
        f"CREATE TABLE {_qn(partition_name(spec.table, month))} PARTITION OF "
        f"{_qn(spec.table)} FOR VALUES FROM (%s) TO (%s)",
        [month_start(month), month_start(add_months(month, 1))],
    )


@dataclass(frozen=True, slots=True)
class Created:
    partition: str
    moved_rows: int


def _create_months(cursor, specs: list[PartitionedTable], month: date) -> list[Created]:
    """Create ``month``'s partition of each table in ``specs``, in the caller's
    transaction. Rows of that month already in a default partition (written while the
    month had none) are moved into it: PostgreSQL refuses the new partition while the
    default one holds rows of its range. The rows are set aside, the partitions made and
    the rows put back through the parent. A foreign key that points at a default
    partition is checked at once meanwhile (PostgreSQL would otherwise look for the
    moved row in the default partition alone at commit): the referencing rows are set
    aside first (``TABLES`` lists a referencing table first) and put back last."""
    low, high = month_start(month), month_start(add_months(month, 1))
    held: list[tuple[PartitionedTable, str, str, int]] = []
    immediate: list[str] = []
    for spec in specs:
        default = default_name(spec.table)
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [default])
        if not cursor.fetchone()[0]:
            continue
        key = _qn(spec.key)
        cursor.execute(
            f"SELECT count(*) FROM {_qn(default)} WHERE {key} >= %s AND {key} < %s", [low, high]
        )
        count = cursor.fetchone()[0]
        if not count:
            continue
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass",
            [default],
        )
        immediate += [name for (name,) in cursor.fetchall()]
        columns = ", ".join(_qn(c) for c in _columns(cursor, spec.table))
        held.append((spec, f"partition_move_{len(held)}", columns, count))
    if immediate:
        cursor.execute(f"SET CONSTRAINTS {', '.join(_qn(n) for n in immediate)} IMMEDIATE")
    for spec, temp, columns, _count in held:
        key = _qn(spec.key)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS WITH gone AS (DELETE FROM "
            f"{_qn(default_name(spec.table))} WHERE {key} >= %s AND {key} < %s "
            f"RETURNING {columns}) SELECT * FROM gone",
            [low, high],
        )
    for spec in specs:
        create_month(cursor, spec, month)
    for spec, temp, columns, count in reversed(held):
        cursor.execute(
            f"INSERT INTO {_qn(spec.table)} ({columns}) OVERRIDING SYSTEM VALUE "
            f"SELECT {columns} FROM {temp}"
        )
        cursor.execute(f"DROP TABLE {temp}")
        log.warning(
            "partition %s: moved %d rows from the default partition",
            partition_name(spec.table, month),
            count,
        )
    if immediate:
        cursor.execute(f"SET CONSTRAINTS {', '.join(_qn(n) for n in immediate)} DEFERRED")
    moved = {spec.table: count for spec, _temp, _columns, count in held}
    return [Created(partition_name(s.table, month), moved.get(s.table, 0)) for s in specs]


def ensure_partitions(*, now: datetime, months_ahead: int, months_back: int = 0) -> list[Created]:
    """Create every partitioned table's partitions for the month of ``now``, the
    ``months_ahead`` months after it and the ``months_back`` before it (a bulk load of
    history: ``bench/generate.py``), and its default partition; those that exist are
    left alone, so running it again changes nothing. One transaction per month. Called
    daily by the beat task (``partitions.maintain``) and by ``manage.py partitions``."""
    if not _postgres():
        return []
    first = add_months(month_of(now), -months_back)
    created: list[Created] = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        for spec in TABLES:
            ensure_default(cursor, spec)
    for month in (add_months(first, n) for n in range(months_back + months_ahead + 1)):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            missing = [s for s in TABLES if month not in attached_months(cursor, s.table)]
            if missing:
                created += _create_months(cursor, missing, month)
    return created


def detach_before(*, month: date, now: datetime) -> list[str]:
    """Detach every monthly partition wholly before ``month`` (its whole range is
    earlier) and return their names. A detached partition stays as an ordinary table of
    the same name, without foreign keys, for ``pg_dump`` and then ``DROP TABLE`` by the
    operator (docs/BACKUP.md, "Retention"). The month of ``now`` and later months are
    never detached: asking for a later ``month`` is an error."""
    month = month_of(month)
    if month > month_of(now):
        raise ValueError(f"refusing to detach the current month or later ({month:%Y-%m})")
    if not _postgres():
        return []
    detached: list[str] = []
    for spec in TABLES:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            for old in sorted(m for m in attached_months(cursor, spec.table) if m < month):
                name = partition_name(spec.table, old)
                cursor.execute(f"ALTER TABLE {_qn(spec.table)} DETACH PARTITION {_qn(name)}")
                # An archive stands alone: its foreign keys would pin the rows it points
                # at (and a delivery's would stop its notification month detaching).
                cursor.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'f' AND conparentid = 0",
                    [name],
                )
                for (fk,) in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {_qn(name)} DROP CONSTRAINT {_qn(fk)}")
                detached.append(name)
                log.info("partition %s detached (archive, then drop)", name)
    return detached


def retention_month(*, now: datetime, keep_months: int) -> date:
    """The first month kept online when ``keep_months`` months (the current one
    included) are kept: everything before it is detached."""
    return add_months(month_of(now), -(max(keep_months, 1) - 1))


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    table: str
    partition: str
    bounds: str
    attached: bool
    rows: int


def partitions_list() -> list[PartitionInfo]:
    """Every partition of the partitioned tables, attached or detached (an ordinary
    table still named ``<table>_pYYYYMM``), with its bounds and row count estimate."""
    if not _postgres():
        return []
    out = []
    with connection.cursor() as cursor:
        for spec in TABLES:
            cursor.execute(
                "SELECT c.relname, coalesce(pg_get_expr(c.relpartbound, c.oid), ''), "
                "c.relispartition, greatest(c.reltuples, 0)::bigint FROM pg_class c "
                "WHERE c.relkind = 'r' AND (c.relname = %s OR c.relname ~ %s) "
                "ORDER BY c.relname",
                [default_name(spec.table), "^" + re.escape(spec.table) + r"_p\d{6}$"],
            )
            out.extend(PartitionInfo(spec.table, *row) for row in cursor.fetchall())
    return out


@dataclass(frozen=True, slots=True)
class Maintenance:
    created: list[Created]
    detached: list[str]


def maintain_partitions(
    *, now: datetime, months_ahead: int, retention_months: int | None
) -> Maintenance:
    """The daily run: the months ahead, then, when ``retention_months`` is a number,
    detach the months before the last ``retention_months`` (the current one counted);
    None keeps every month attached."""
    created = ensure_partitions(now=now, months_ahead=months_ahead)
    detached = []
    if retention_months is not None:
        keep_from = retention_month(now=now, keep_months=retention_months)
        detached = detach_before(month=keep_from, now=now)
    return Maintenance(created, detached)
