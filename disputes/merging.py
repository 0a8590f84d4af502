"""What the pages and the API read of merged duplicates (重复报单合并): the duplicates
merged into an order (and theirs, when a duplicate kept others before it was merged
itself), each with its parties, notes and attachments, shown read-only on the kept
order. The merge itself is ``services.order_merge``."""

from dataclasses import dataclass, field

from .models import Attachment, EventKind, Order, OrderEvent, Party
from .selectors import MERGE_DEPTH, party_numbers

# The duplicate's timeline events the kept order shows as its notes.
NOTE_KINDS = (EventKind.NOTE, EventKind.ATTACHMENT)


def merged_duplicates(order: Order) -> list[Order]:
    """The orders merged into ``order``, directly or through a duplicate of it, oldest
    merge first: one query per level (the links form no cycle)."""
    found: list[Order] = []
    level = [order.pk]
    for _depth in range(MERGE_DEPTH):
        rows = list(Order.objects.filter(merged_into__in=level).order_by("merged_at", "pk"))
        if not rows:
            break
        found += rows
        level = [o.pk for o in rows]
    return found


@dataclass
class MergedDuplicate:
    """A duplicate as the kept order's page shows it."""

    order: Order
    parties: list[dict] = field(default_factory=list)
    notes: list[OrderEvent] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def merged_rows(order: Order, *, in_full: frozenset[str]) -> list[MergedDuplicate]:
    """The duplicates merged into ``order`` with their parties (numbers shown as the
    viewer sees the kept order's: ``in_full``), notes and attachments: four queries
    whatever their number; none when the order says it has none (``has_merged``, as
    ``selectors.order_for_page`` reads it)."""
    if not getattr(order, "has_merged", True):
        return []
    duplicates = merged_duplicates(order)
    if not duplicates:
        return []
    rows = {d.pk: MergedDuplicate(order=d) for d in duplicates}
    for p in Party.objects.filter(order_id__in=rows).order_by("order_id", "pk"):
        rows[p.order_id].parties.append({"party": p, **party_numbers(p, in_full=in_full)})
    notes = OrderEvent.objects.filter(order_id__in=rows, kind__in=NOTE_KINDS).exclude(note="")
    for e in notes.select_related("actor").order_by("order_id", "seq"):
        rows[e.order_id].notes.append(e)
    for a in Attachment.objects.filter(order_id__in=rows):
        rows[a.order_id].attachments.append(a)
    return list(rows.values())
