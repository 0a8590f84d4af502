from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rollups.services import rollups_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the monthly report's roll-ups and median snapshots (the nightly beat task "
        "runs the same). Run it once after deploying, and after importing past data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="ISO time to settle as of, e.g. 2026-11-29T03:00+08:00 (default: now). "
            "A naive time is read in Asia/Shanghai.",
        )

    def handle(self, *args, now=None, **options):
        moment = timezone.now()
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now: not an ISO date-time: {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        result = rollups_refresh(now=moment)
        self.stdout.write(
            f"report roll-ups settled before {timezone.localtime(result.cutoff).isoformat()}: "
            f"{result.rows} rows, {result.medians} median rows"
        )
