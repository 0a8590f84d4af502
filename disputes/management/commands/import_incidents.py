"""Import a day's police incident export: ``manage.py import_incidents FILE.csv``.

The CSV has a header row with these columns (any order; extra columns are ignored):

    number, received_at, type, summary, address, community, caller_name, caller_phone

``received_at`` is "YYYY-MM-DD HH:MM[:SS]" (or with slashes, or ISO 8601), Beijing time
unless it carries an offset; ``type`` is an incident type code; ``community`` a community
code path such as ``HB/ZK`` or its unique name. UTF-8 (with or without BOM) by default;
``--encoding gb18030`` for exports saved by Chinese Excel.

Each row goes through ``disputes.incidents.incident_receive`` — the same service as
``POST /api/v1/incidents/`` — in its own transaction, so a row is stored whole or not at
all. A number seen before (in the database or earlier in the file) is a duplicate and
changes nothing, which makes the command safe to run twice. It prints one line per
rejected row with the reason, then the counts; it exits non-zero only when the file or
the account is unusable, not because some rows were rejected.
"""

import csv
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from disputes.incidents import (
    IncidentInput,
    can_submit_incidents,
    incident_receive,
    parse_received_at,
)
from shishi_mediation.errors import DomainError, InvalidInput
from shishi_mediation.logs import mask_numbers

COLUMNS = [
    "number",
    "received_at",
    "type",
    "summary",
    "address",
    "community",
    "caller_name",
    "caller_phone",
]
REQUIRED = {"number", "received_at", "type", "summary", "community"}
MAX_FIELD = 10_000  # characters; a longer cell is a broken file, not an incident


def reason_of(error: DomainError) -> str:
    if isinstance(error, InvalidInput):
        return "; ".join(
            f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in error.errors.items()
        )
    return str(error.message)


class Command(BaseCommand):
    help = "Import police incidents (警情) from a CSV export; safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument(
            "--user",
            default=getattr(settings, "INCIDENT_IMPORT_USERNAME", "command"),
            help="the account the incidents are submitted as: a police-station member, "
            "e.g. the command room's integration account (default: %(default)s)",
        )
        parser.add_argument("--encoding", default="utf-8-sig", help="default: %(default)s")

    def handle(self, *args, file: Path, user: str, encoding: str, **options):
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"no active user {user!r} (use --user)")
        if not can_submit_incidents(actor):
            raise CommandError(f"{user!r} is not a member of a police-station unit")
        csv.field_size_limit(MAX_FIELD)
        try:
            handle = file.open(encoding=encoding, newline="")
        except (OSError, LookupError) as e:
            raise CommandError(f"cannot open {file}: {e}") from None
        created = duplicate = rejected = orders = 0
        with handle:
            try:
                reader = csv.DictReader(handle)
                header = [(h or "").strip().lower() for h in reader.fieldnames or []]
                missing = REQUIRED - set(header)
                if missing:
                    raise CommandError(f"{file}: missing columns: {', '.join(sorted(missing))}")
                reader.fieldnames = header
                for row in reader:
                    line = reader.line_num
                    outcome, detail = self.import_row(actor, row)
                    if outcome == "created":
                        created += 1
                        orders += bool(detail)
                        if detail:
                            self.stdout.write(f"line {line}: created, order {detail}")
                    elif outcome == "duplicate":
                        duplicate += 1
                    else:
                        rejected += 1
                        # A cell that slipped columns may hold a phone or ID number.
                        self.stdout.write(f"line {line}: rejected: {mask_numbers(detail)}")
            except (UnicodeDecodeError, csv.Error) as e:
                raise CommandError(f"{file}: unreadable CSV ({e}); try --encoding") from None
        self.stdout.write(
            f"created {created} ({orders} orders), duplicate {duplicate}, rejected {rejected}"
        )

    def import_row(self, actor, row: dict) -> tuple[str, str | None]:
        if None in row:  # more cells than the header has columns
            row.pop(None)
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        received = parse_received_at(values["received_at"])
        if received is None:
            bad = values["received_at"][:40]
            return "rejected", f"received_at: not a date and time ({bad!r})"
        data = IncidentInput(
            number=values["number"],
            received_at=received,
            type_code=values["type"],
            summary=values["summary"],
            community=values["community"],
            address=values["address"],
            caller_name=values["caller_name"],
            caller_phone=values["caller_phone"],
        )
        try:
            result = incident_receive(actor=actor, data=data, now=timezone.now())
        except DomainError as e:
            return "rejected", reason_of(e)
        if not result.created:
            return "duplicate", None
        order = result.incident.order
        return "created", order.number if order else ""
