"""``manage.py rechain_timeline``: move every timeline to the current chain key.

For the events written before the chain was keyed (plain SHA-256 links) and for a key
rotation (events under an old key, which can be retired afterwards). An order's chain is
re-keyed only if it verifies first, under the old scheme or its events' own keys, and its
fields agree with it; one that does not is reported and left as it is, so re-keying
never launders an edit (docs/TIMELINE.md).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Prefetch

from disputes.chain import VOUCHED_FIELDS, broken_link, relinked
from disputes.models import Order, OrderEvent
from shishi_mediation.bulk import update_rows


class Command(BaseCommand):
    help = (
        "Re-key the timelines that have events not under the current chain key (unkeyed "
        "links from before the chain was keyed, or an old key being retired). Orders whose "
        "timeline does not verify are reported and left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=500, help="orders per transaction")

    def handle(self, *args, chunk: int, **options):
        current = settings.TIMELINE_CHAIN_KEY_ID
        stale = sorted(
            set(
                OrderEvent.objects.exclude(hash__startswith=f"{current}:").values_list(
                    "order_id", flat=True
                )
            )
        )
        rekeyed = events = bad = 0
        for start in range(0, len(stale), chunk):
            with transaction.atomic():
                # Locked like a transition locks them, so no event is appended meanwhile.
                orders = (
                    Order.objects.filter(pk__in=stale[start : start + chunk])
                    .select_for_update(of=("self",), no_key=True)
                    .only("pk", "number", "timeline_seq", "timeline_hash", *VOUCHED_FIELDS)
                    .order_by("pk")
                    .prefetch_related(
                        Prefetch("events", queryset=OrderEvent.objects.order_by("seq", "id"))
                    )
                )
                links, heads = [], []
                for order in orders:
                    timeline = list(order.events.all())
                    reason = broken_link(order, timeline, accept_unkeyed=True)
                    if reason:
                        bad += 1
                        self.stdout.write(f"{order.number}: left as it is: {reason}")
                        continue
                    new = relinked(timeline)
                    links.extend((e.pk, link) for e, link in zip(timeline, new, strict=True))
                    heads.append((order.pk, new[-1]))
                update_rows(OrderEvent, ("hash",), links)
                update_rows(Order, ("timeline_hash",), heads)
                rekeyed += len(heads)
                events += len(links)
        self.stdout.write(
            f"re-keyed {rekeyed} orders ({events} events) under key {current!r}; "
            f"{bad} left as they were"
        )
        if bad:
            raise CommandError(f"{bad} order(s) did not verify and were not re-keyed")
