from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dispatch.notifications import notify_raised
from dispatch.sla import sla_sweep


class Command(BaseCommand):
    help = "Raise every SLA warning and escalation due by now (the beat task runs the same)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="ISO time to sweep as of, e.g. 2026-11-29T10:00+08:00 (default: now). "
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
        result = sla_sweep(now=moment)
        told = notify_raised(now=moment)
        self.stdout.write(
            f"sla sweep at {timezone.localtime(moment).isoformat()}: raised {result.raised} "
            f"in {result.batches} batch(es) {result.by_level or ''}".rstrip()
            + f"; {told} notice(s)"
        )
