"""The tables that grow with events, partitioned by month (docs/ARCHITECTURE.md,
"Partitioned tables"): one declaration per table, by name, so this low app imports none
of the apps that own them."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PartitionedTable:
    """``table`` is split by ``key`` (a timestamptz) into one partition per Asia/Shanghai
    month, ``<table>_pYYYYMM``, plus ``<table>_default`` for rows outside them."""

    table: str
    key: str


# A referencing table comes before the table it references: its month is detached
# first, so detaching the referenced month finds no rows pointing at it.
TABLES: tuple[PartitionedTable, ...] = (
    PartitionedTable("disputes_orderevent", "at"),
    PartitionedTable("dispatch_escalation", "stage_due_at"),
    # A delivery is keyed by its notification's time (stored on it): the two tables'
    # months line up, and (notification_id, notification_created_at) is its foreign key.
    PartitionedTable("dispatch_delivery", "notification_created_at"),
    PartitionedTable("dispatch_notification", "created_at"),
)
