"""Snapshot a Shishi mediation database, and compare two snapshots: the two halves of
the upgrade-in-place proof driven by ``bin/upgrade-check``.

The proof: a database built and seeded by an older commit, migrated by the current
code, has lost nothing. ``snapshot`` records, for one checkout and its database:

* every table (by its database name: models may move between apps, tables may not), its
  columns, constraint names, row count and an order-independent checksum of its rows;
  the id sequences (an upgrade must not make ids be used again);
* the monthly report as the HTTP API serves it (``/api/v1/reports/monthly/``), for each
  month of the data and each street, as the demo city supervisor, with the clock frozen;
* ``manage.py verify_timeline``: exit status and output;
* facts about the seed: orders per state, open escalations, pending deliveries.

``compare`` prints a summary of two snapshots and their differences, and exits 1 if
anything was lost or changed. An upgrade may add: new columns (their tables' rows are
compared on the columns they had) and new report figures are listed, not failed.
``database`` creates or drops the scratch PostgreSQL database the check runs on.

It imports nothing from the project's apps (their module paths and app labels change
between versions): tables are read with raw SQL, the report through the test client.

    DATABASE_URL=... .venv/bin/python bin/upgrade_snapshot.py snapshot \\
        --project /path/to/checkout --at 2026-12-07T03:30:00Z --out old.json
    .venv/bin/python bin/upgrade_snapshot.py compare old.json new.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

# Rewritten by migrate itself (new migrations, content types and permissions of moved
# models): their row counts are shown, not compared.
MIGRATE_TABLES = {"django_migrations", "django_content_type", "auth_permission"}

# The seed facts, by table name (tables keep their names across versions).
ORDER_TABLE = "disputes_order"
ESCALATION_TABLE = "dispatch_escalation"
DELIVERY_TABLE = "dispatch_delivery"
ORDER_STATES = ["reported", "dispatched", "signed", "contacted", "met", "closed", "cancelled"]

REPORT_URL = "/api/v1/reports/monthly/"
MAX_DIFFS = 20


# --- snapshot -------------------------------------------------------------------------------


def setup_django(project: str) -> None:
    """Make ``project`` (a checkout) the code that Django loads, then set it up."""
    project = os.path.abspath(project)
    sys.path.insert(0, project)
    os.chdir(project)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shishi_mediation.settings")
    import django

    django.setup()


def row_checksum(connection, table: str, columns: list[str]) -> tuple[int, str]:
    """Row count and the sum of 60-bit row hashes: equal for equal multisets of rows,
    whatever their physical order. Columns are taken by name, in name order, so a table
    rebuilt with its columns in another order (SQLite's ALTER) sums the same."""
    qn = connection.ops.quote_name
    fields = ", ".join(qn(c) for c in sorted(columns))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The row's text form: every value as PostgreSQL prints it.
            cursor.execute(
                "SELECT COUNT(*), COALESCE(SUM(('x' || SUBSTR(MD5(ROW("
                + fields
                + f")::text), 1, 15))::bit(60)::bigint), 0)::text FROM {qn(table)}"
            )
            count, total = cursor.fetchone()
            return count, total
        cursor.execute(f"SELECT {fields} FROM {qn(table)}")
        count = total = 0
        while rows := cursor.fetchmany(2000):
            for row in rows:
                count += 1
                total += int(hashlib.md5(repr(tuple(row)).encode()).hexdigest()[:15], 16)
        return count, str(total)


def snapshot_tables(connection, old_columns: dict[str, list[str]] | None = None) -> dict:
    """Each table's columns, constraints, rows and checksum. With ``old_columns`` (the
    old snapshot's column names by table), a table that gained columns also gets the
    checksum of the columns it had: an upgrade may add columns, not change old ones."""
    tables = {}
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        for table in names:
            columns = [
                [c.name, str(c.type_code)]
                for c in connection.introspection.get_table_description(cursor, table)
            ]
            constraints = sorted(connection.introspection.get_constraints(cursor, table))
            count, checksum = row_checksum(connection, table, [c[0] for c in columns])
            tables[table] = {
                "columns": columns,
                "constraints": constraints,
                "rows": count,
                "checksum": checksum,
            }
            before = (old_columns or {}).get(table)
            names = {c[0] for c in columns}
            if before and names > set(before):
                tables[table]["checksum_old_columns"] = row_checksum(connection, table, before)[1]
    return tables


def snapshot_sequences(connection) -> dict:
    """The last value of every id sequence (PostgreSQL) or AUTOINCREMENT counter (SQLite)."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"
        )
    else:
        sql = "SELECT name, seq FROM sqlite_sequence"
    return dict(query(connection, sql) or [])


def query(connection, sql: str, params=()) -> list | None:
    """The rows of ``sql``, or None if this schema cannot answer it (a column renamed)."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    except DatabaseError:
        return None


def seed_facts(connection) -> dict:
    """Orders per state, open escalations, pending deliveries (None: not answerable)."""
    by_state = query(connection, f"SELECT state, COUNT(*) FROM {ORDER_TABLE} GROUP BY state")
    escalations = query(
        connection, f"SELECT COUNT(*) FROM {ESCALATION_TABLE} WHERE resolved_at IS NULL"
    )
    deliveries = query(
        connection, f"SELECT COUNT(*) FROM {DELIVERY_TABLE} WHERE status = %s", ["pending"]
    )
    return {
        "orders_by_state": None if by_state is None else dict(by_state),
        "open_escalations": None if escalations is None else escalations[0][0],
        "pending_deliveries": None if deliveries is None else deliveries[0][0],
    }


def month_key(moment: datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m")


def previous_month(key: str) -> str:
    year, month = (int(x) for x in key.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def data_months(connection, at: datetime) -> list[str]:
    """The months from the one before the first order (an empty month) to ``at``'s."""
    months = [month_key(at)]
    first = None
    rows = query(connection, f"SELECT MIN(reported_at) FROM {ORDER_TABLE}")
    if rows:
        # SQLite returns the text it stores, PostgreSQL a datetime.
        from django.utils.dateparse import parse_datetime

        value = rows[0][0]
        if isinstance(value, str):
            value = parse_datetime(value)
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        first = month_key(value) if value else None
    while first and months[0] > first:
        months.insert(0, previous_month(months[0]))
    months.insert(0, previous_month(months[0]))
    return months


def snapshot_reports(at: datetime, username: str, months: list[str]) -> dict:
    """GET the monthly report for each month, city-wide and for each street, as
    ``username`` at the frozen instant ``at``; every write (the login) is rolled back."""
    import time_machine
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test import Client

    answers: dict = {}
    with transaction.atomic(), time_machine.travel(at, tick=False):
        # A view that fails is recorded as its 500, not raised.
        client = Client(HTTP_HOST="localhost", raise_request_exception=False)
        client.force_login(get_user_model().objects.get(username=username))

        def get(url: str) -> dict:
            # Each request in a savepoint rolled back: a failed query on PostgreSQL does not
            # abort the requests after it.
            savepoint = transaction.savepoint()
            response = client.get(url, HTTP_ACCEPT="application/json")
            transaction.savepoint_rollback(savepoint)
            body = (
                response.json() if response["Content-Type"].startswith("application/json") else None
            )
            answers[url] = {"status": response.status_code, "json": body}
            return answers[url]

        for month in months:
            city = get(f"{REPORT_URL}?month={month}")
            streets = [row["id"] for row in (city["json"] or {}).get("streets", [])]
            for street in streets:
                get(f"{REPORT_URL}?month={month}&street={street}")
        transaction.set_rollback(True)
    return answers


def verify_timeline(project: str) -> dict:
    """``manage.py verify_timeline`` in its own process, as an operator runs it."""
    run = subprocess.run(
        [sys.executable, "manage.py", "verify_timeline"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return {"status": run.returncode, "output": (run.stdout + run.stderr).strip()}


def stale_content_types() -> list[str]:
    """Content types whose model the code no longer has (a model moved to another app
    without relabelling its content type leaves the old one behind), with the permissions
    granted through them."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    User = get_user_model()
    stale = []
    for ct in ContentType.objects.order_by("app_label", "model"):
        try:
            apps.get_model(ct.app_label, ct.model)
        except LookupError:
            grants = (
                Group.permissions.through.objects.filter(permission__content_type=ct).count()
                + User.user_permissions.through.objects.filter(permission__content_type=ct).count()
            )
            stale.append(f"{ct.app_label}.{ct.model} ({grants} permission grant(s))")
    return stale


def snapshot(args) -> int:
    started = time.monotonic()
    project = os.path.abspath(args.project)
    setup_django(project)
    from django.db import connection

    at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    if at.tzinfo is None:
        sys.exit("--at needs a time zone, e.g. 2026-12-07T03:30:00Z")
    old_columns = None
    if args.columns_from:
        with open(args.columns_from) as f:
            old_columns = {
                t: [c[0] for c in info["columns"]] for t, info in json.load(f)["tables"].items()
            }
    tables = snapshot_tables(connection, old_columns)
    if args.months_from:
        with open(args.months_from) as f:
            months = json.load(f)["months"]
    else:
        months = data_months(connection, at)
    result = {
        "project": project,
        "vendor": connection.vendor,
        "at": at.isoformat(),
        "tables": tables,
        "sequences": snapshot_sequences(connection),
        "facts": seed_facts(connection),
        "months": months,
        "reports": snapshot_reports(at, args.user, months),
        "verify_timeline": verify_timeline(project),
        "stale_content_types": stale_content_types(),
    }
    result["seconds"] = round(time.monotonic() - started, 1)
    with open(args.out, "w") as f:
        json.dump(result, f, ensure_ascii=False, indent=1, sort_keys=True)
    print(
        f"snapshot of {project}: {len(tables)} tables, "
        f"{sum(t['rows'] for t in tables.values())} rows, {len(result['reports'])} report "
        f"requests, verify_timeline exit {result['verify_timeline']['status']} "
        f"({result['seconds']} s)"
    )
    return 0


# --- compare --------------------------------------------------------------------------------


ADDED = "new after the upgrade"


def json_diffs(old, new, path: str = "") -> list[str]:
    """Where two JSON values differ, as paths (``.units[3 湖滨派出所].score: 51.7 != 52.0``)."""
    if type(old) is not type(new):
        return [f"{path or '.'}: {old!r} != {new!r}"]
    if isinstance(old, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            if key not in new:
                out.append(f"{path}.{key}: missing after the upgrade")
            elif key not in old:
                out.append(f"{path}.{key}: {ADDED}")
            else:
                out += json_diffs(old[key], new[key], f"{path}.{key}")
        return out
    if isinstance(old, list):
        out = [f"{path}: {len(old)} items != {len(new)}"] if len(old) != len(new) else []
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            # A row of the report is named by its unit, street or (trend) month.
            name = (
                (a.get("name") or a.get("unit") or a.get("month")) if isinstance(a, dict) else None
            )
            label = f"{i} {name}" if name else str(i)
            out += json_diffs(a, b, f"{path}[{label}]")
        return out
    return [] if old == new else [f"{path or '.'}: {old!r} != {new!r}"]


def compare(args) -> int:
    with open(args.old) as f:
        old = json.load(f)
    with open(args.new) as f:
        new = json.load(f)
    allowed_new, allowed_dropped = set(args.allow_new_table), set(args.allow_dropped_index)
    allowed_emptied = set(args.allow_emptied_table)
    problems: list[str] = []  # each one fails the check
    notes: list[str] = []  # shown, not failing

    # The old database must hold what the proof is about.
    facts = old["facts"]
    states = facts["orders_by_state"] or {}
    empty = [s for s in ORDER_STATES if not states.get(s)]
    if empty:
        problems.append(f"old database: no order in state(s) {', '.join(empty)}")
    if not facts["open_escalations"]:
        problems.append("old database: no open escalation (resolved_at IS NULL)")
    if not facts["pending_deliveries"]:
        problems.append("old database: no pending delivery (status = 'pending')")

    # Tables: same set, same columns, same rows.
    old_t, new_t = old["tables"], new["tables"]
    for table in sorted(set(old_t) - set(new_t)):
        problems.append(f"table {table}: gone after the upgrade ({old_t[table]['rows']} rows)")
    for table in sorted(set(new_t) - set(old_t)):
        what = f"table {table}: created by the upgrade ({new_t[table]['rows']} rows)"
        if table in allowed_new:
            notes.append(what + ", allowed")
        else:
            problems.append(what + " (allow it with --allow-new-table)")
    for table in sorted(set(old_t) & set(new_t)):
        a, b = old_t[table], new_t[table]
        if table in MIGRATE_TABLES:
            notes.append(f"table {table}: {a['rows']} -> {b['rows']} rows (rewritten by migrate)")
            continue
        names_a, names_b = [c[0] for c in a["columns"]], [c[0] for c in b["columns"]]
        gone = [c for c in names_a if c not in names_b]
        new_columns = [c for c in names_b if c not in names_a]
        if gone:
            problems.append(f"table {table}: columns gone {gone}, new {new_columns}")
        elif new_columns:
            notes.append(
                f"table {table}: new columns {', '.join(new_columns)} (rows compared on the "
                "columns it had)"
            )
        else:
            if names_a != names_b:
                notes.append(f"table {table}: same columns in another order (rebuilt)")
            types_a, types_b = dict(a["columns"]), dict(b["columns"])
            changed = [
                f"{c} {types_a[c]} -> {types_b[c]}" for c in names_a if types_a[c] != types_b[c]
            ]
            if changed:
                notes.append(f"table {table}: column types {', '.join(changed)}")
        if a["rows"] != b["rows"] and b["rows"] == 0 and table in allowed_emptied:
            notes.append(f"table {table}: {a['rows']} rows -> 0, a cache emptied, allowed")
        elif a["rows"] != b["rows"]:
            problems.append(f"table {table}: {a['rows']} rows -> {b['rows']}")
        elif a["checksum"] != b.get("checksum_old_columns", b["checksum"]):
            problems.append(f"table {table}: {a['rows']} rows, contents changed (checksum)")
        dropped = sorted(set(a["constraints"]) - set(b["constraints"]))
        added = sorted(set(b["constraints"]) - set(a["constraints"]))
        for name in dropped:
            what = f"table {table}: index or constraint {name} gone after the upgrade"
            if name in allowed_dropped:
                notes.append(what + ", allowed")
            else:
                problems.append(what + " (allow it with --allow-dropped-index)")
        if added:
            notes.append(f"table {table}: new index or constraint {', '.join(added)}")

    # Id sequences: none may go back.
    for seq, value in sorted(old["sequences"].items()):
        after = new["sequences"].get(seq)
        if after is None and value is not None:
            problems.append(f"sequence {seq}: at {value}, gone after the upgrade")
        elif value is not None and after < value:
            problems.append(f"sequence {seq}: back from {value} to {after} (ids used again)")

    # verify_timeline: clean with both codes.
    for side, snap in (("old", old), ("new", new)):
        run = snap["verify_timeline"]
        if run["status"] != 0:
            lines = run["output"].splitlines()
            shown = " / ".join(lines if len(lines) <= 3 else [*lines[:2], "…", lines[-1]])
            problems.append(f"{side} code: verify_timeline exit {run['status']}: {shown}")

    # The monthly report, request by request (its differences listed apart: one lost row
    # can change dozens of figures).
    report_diffs: list[str] = []
    report_added: set[str] = set()
    allowed_report = tuple(args.allow_changed_report)
    report_redefined: dict[str, int] = {}
    old_r, new_r = old["reports"], new["reports"]
    for url in old_r:
        if old_r[url]["status"] != 200:
            problems.append(f"old code: GET {url} answered {old_r[url]['status']}")
        elif url not in new_r:
            problems.append(f"new code: GET {url} not requested")
        elif new_r[url]["status"] != 200:
            problems.append(f"new code: GET {url} answered {new_r[url]['status']}")
        else:
            for diff in json_diffs(old_r[url], new_r[url]):
                redefined = next((p for p in allowed_report if diff.startswith(p)), None)
                if diff.endswith(ADDED):  # a figure the new code adds: nothing lost
                    report_added.add(diff.rsplit(".", 1)[-1].removesuffix(f": {ADDED}"))
                elif redefined:  # a part whose definition changed on purpose
                    report_redefined[redefined] = report_redefined.get(redefined, 0) + 1
                else:
                    report_diffs.append(f"GET {url}: {diff}")
    if not old_r:
        problems.append("no report requested")

    notes += [f"stale content type after the upgrade: {s}" for s in new["stale_content_types"]]
    notes += [
        f"monthly report: {prefix} redefined on purpose ({n} differences), allowed"
        for prefix, n in report_redefined.items()
    ]
    if report_added:
        notes.append(
            f"monthly report: figures new after the upgrade: {', '.join(sorted(report_added))}"
        )

    # Summary.
    checked = [t for t in set(old_t) & set(new_t) if t not in MIGRATE_TABLES]
    print(
        f"tables: {len(old_t)} before, {len(new_t)} after; {len(checked)} compared row by "
        f"row ({sum(old_t[t]['rows'] for t in checked)} rows), "
        f"{len(MIGRATE_TABLES & set(old_t))} counted only; {len(old['sequences'])} id sequences"
    )
    print("orders: " + ", ".join(f"{s} {states.get(s, 0)}" for s in ORDER_STATES))
    print(
        f"open escalations: {facts['open_escalations']}; "
        f"pending deliveries: {facts['pending_deliveries']}"
    )
    print(
        f"monthly report: months {', '.join(old['months'])} as at {old['at']}; "
        f"{len(old_r)} requests (city and each street) compared"
    )
    for side, snap in (("old", old), ("new", new)):
        lines = snap["verify_timeline"]["output"].splitlines() or [""]
        print(
            f"verify_timeline ({side} code): exit {snap['verify_timeline']['status']}, {lines[-1]}"
        )
    for note in notes:
        print(f"note: {note}")
    if problems or report_diffs:
        print(f"\nUPGRADE CHECK FAILED: {len(problems) + len(report_diffs)} difference(s)")
        for problem in problems[:MAX_DIFFS]:
            print(f"  {problem}")
        if len(problems) > MAX_DIFFS:
            print(f"  … and {len(problems) - MAX_DIFFS} more")
        if report_diffs:
            urls = {d.split(": ", 1)[0] for d in report_diffs}
            print(
                f"  monthly report: {len(report_diffs)} figure(s) differ in {len(urls)} request(s):"
            )
            for diff in report_diffs[:MAX_DIFFS]:
                print(f"    {diff}")
            if len(report_diffs) > MAX_DIFFS:
                print(f"    … and {len(report_diffs) - MAX_DIFFS} more")
        return 1
    added = " (and new figures beside them)" if report_added else ""
    print(f"\nupgrade check passed: nothing lost, report figures identical{added}")
    return 0


# --- a scratch PostgreSQL database ---------------------------------------------------------


def database(args) -> int:
    """Create (dropping a leftover of the same name first) or drop the database ``--name``
    on the server of ``--url``; ``create`` prints the URL of the new database."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(args.url)
    server = urlunsplit(parts._replace(scheme="postgresql"))
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cursor:
        name = sql.Identifier(args.name)
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if args.action == "create":
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
            print(urlunsplit(parts._replace(path=f"/{args.name}")))
    conn.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot", help="snapshot the database of one checkout")
    snap.add_argument("--project", required=True, help="the checkout whose code reads the database")
    snap.add_argument("--out", required=True, help="the JSON file to write")
    snap.add_argument("--at", required=True, help="the frozen instant of the report, ISO with zone")
    snap.add_argument("--user", default="supervisor", help="a supervisor (default: supervisor)")
    snap.add_argument("--months-from", help="take the report months from this snapshot")
    snap.add_argument(
        "--columns-from", help="also checksum the columns each table had in this snapshot"
    )
    comp = sub.add_parser("compare", help="compare two snapshots; exit 1 on any difference")
    comp.add_argument("old")
    comp.add_argument("new")
    comp.add_argument("--allow-new-table", action="append", default=[], metavar="TABLE")
    comp.add_argument("--allow-dropped-index", action="append", default=[], metavar="NAME")
    comp.add_argument("--allow-emptied-table", action="append", default=[], metavar="TABLE")
    comp.add_argument("--allow-changed-report", action="append", default=[], metavar="PATH")
    db = sub.add_parser("database", help="create or drop a scratch PostgreSQL database")
    db.add_argument("action", choices=["create", "drop"])
    db.add_argument("--url", required=True, help="a PostgreSQL URL on the server to use")
    db.add_argument("--name", required=True, help="the database to create or drop")
    args = parser.parse_args()
    return {"snapshot": snapshot, "compare": compare, "database": database}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
