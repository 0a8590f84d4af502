from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from partitions.services import detach_before, ensure_partitions, partitions_list
from shishi_mediation.commands import add_now_argument, parse_now


class Command(BaseCommand):
    help = (
        "Monthly partitions of the timeline, escalations, notifications and deliveries "
        "(PostgreSQL): create the current month and PARTITION_MONTHS_AHEAD ahead, detach "
        "the months before one for archive, or list them (docs/BACKUP.md, 'Retention')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ensure", action="store_true", help="create missing months")
        parser.add_argument(
            "--ahead", type=int, default=None, help="months ahead (PARTITION_MONTHS_AHEAD)"
        )
        parser.add_argument(
            "--detach-before",
            metavar="YYYY-MM",
            dest="before",
            help="detach every month before this one (never the current month or later)",
        )
        parser.add_argument("--list", action="store_true", help="list the partitions")
        add_now_argument(parser, what="count months")

    def handle(self, *args, ensure, ahead, before: str | None, list: bool, now, **opts):
        moment = parse_now(now)
        if not (ensure or before or list):
            raise CommandError("say --ensure, --detach-before YYYY-MM or --list")
        if ensure:
            months = settings.PARTITION_MONTHS_AHEAD if ahead is None else ahead
            for made in ensure_partitions(now=moment, months_ahead=months):
                moved = f" ({made.moved_rows} rows moved from default)" if made.moved_rows else ""
                self.stdout.write(f"created {made.partition}{moved}")
        if before:
            try:
                year, month = (int(part) for part in before.split("-"))
                first = date(year, month, 1)
            except ValueError as exc:
                raise CommandError(f"--detach-before: not YYYY-MM: {before!r}") from exc
            try:
                names = detach_before(month=first, now=moment)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            for name in names:
                self.stdout.write(f"detached {name} (pg_dump it, then DROP TABLE)")
        if list:
            for info in partitions_list():
                state = "attached" if info.attached else "DETACHED"
                self.stdout.write(
                    f"{info.partition:40} {state:9} ~{info.rows:>10} rows  {info.bounds}"
                )
