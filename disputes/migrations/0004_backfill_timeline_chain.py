"""Number and chain the events that existed before the chain. Re-runnable: it recomputes
every order's chain from its events in (at, id) order. The hash function is frozen here
on purpose (a migration must not change when disputes/chain.py does)."""

import hashlib
import json
from datetime import UTC

from django.db import migrations


def _hash(prev, event, seq):
    payload = json.dumps(
        [prev, event.order_id, seq, event.kind, event.actor_id,
         event.at.astimezone(UTC).isoformat(), event.from_state, event.to_state, event.note,
         event.data],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def backfill(apps, schema_editor):
    Order = apps.get_model("disputes", "Order")
    OrderEvent = apps.get_model("disputes", "OrderEvent")
    for order in Order.objects.only("pk").iterator(chunk_size=500):
        prev, seq, changed = "", 0, []
        for event in OrderEvent.objects.filter(order_id=order.pk).order_by("at", "id"):
            seq += 1
            event.seq, event.hash = seq, _hash(prev, event, seq)
            prev = event.hash
            changed.append(event)
        # bulk_update on the historical model: the app's append-only guard is not there.
        OrderEvent.objects.bulk_update(changed, ["seq", "hash"])
        Order.objects.filter(pk=order.pk).update(timeline_seq=seq, timeline_hash=prev)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0003_timeline_chain")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
