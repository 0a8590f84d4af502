from django.core.management.base import BaseCommand
from django.utils import timezone

from disputes.notices import notify_raised
from disputes.sweep import sla_sweep
from shishi_mediation.commands import add_now_argument, parse_now


class Command(BaseCommand):
    help = "Raise every SLA warning and escalation due by now (the beat task runs the same)."

    def add_arguments(self, parser):
        add_now_argument(parser, what="sweep")

    def handle(self, *args, now=None, **options):
        moment = parse_now(now)
        result = sla_sweep(now=moment)
        told = notify_raised(now=moment)
        self.stdout.write(
            f"sla sweep at {timezone.localtime(moment).isoformat()}: raised {result.raised} "
            f"in {result.batches} batch(es) {result.by_level or ''}".rstrip()
            + f"; {told} notice(s)"
        )
