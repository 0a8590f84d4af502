from django.core.management.base import BaseCommand, CommandError
from django.db.models import Prefetch

from disputes.chain import VOUCHED_FIELDS, broken_link
from disputes.models import Order, OrderEvent


class Command(BaseCommand):
    help = (
        "Check every order's timeline against its keyed hash chain, and the order's state, "
        "outcome, grade, on-time flags and due times against its timeline; report the "
        "orders whose history or those fields were changed in the database behind the "
        "application (docs/TIMELINE.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=500, help="orders per query batch")

    def handle(self, *args, chunk: int, **options):
        events = OrderEvent.objects.order_by("seq", "id")
        orders = (
            Order.objects.only("pk", "number", "timeline_seq", "timeline_hash", *VOUCHED_FIELDS)
            .order_by("pk")
            .prefetch_related(Prefetch("events", queryset=events))
        )
        checked = bad = 0
        for order in orders.iterator(chunk_size=chunk):
            checked += 1
            reason = broken_link(order, order.events.all())
            if reason:
                bad += 1
                self.stdout.write(f"{order.number}: {reason}")
        self.stdout.write(f"checked {checked} orders: {bad} with a broken timeline")
        if bad:
            raise CommandError(f"{bad} order(s) failed verification")
