from django.core.management.base import BaseCommand
from django.utils import timezone

from shishi_mediation.commands import add_now_argument, parse_now
from supervision.rollups import rollups_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the monthly report's roll-ups and median snapshots (the nightly beat task "
        "runs the same). Run it once after deploying, and after importing past data."
    )

    def add_arguments(self, parser):
        add_now_argument(parser, what="settle")

    def handle(self, *args, now=None, **options):
        moment = parse_now(now)
        result = rollups_refresh(now=moment)
        self.stdout.write(
            f"report roll-ups settled before {timezone.localtime(result.cutoff).isoformat()}: "
            f"{result.rows} rows, {result.medians} median rows"
        )
