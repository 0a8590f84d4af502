# The timeline and the escalations partitioned by month on PostgreSQL
# (docs/ARCHITECTURE.md, "Partitioned tables"); nothing changes on SQLite or in Django's
# model state.
#
# disputes_orderevent: key at, primary key (id, at). order_event_seq_unique becomes
# (order_id, seq, at): PostgreSQL requires the key in a partitioned table's unique
# index. Two events of one order with one seq are still refused within a month; across
# months the writers keep seq unique (each appends under the order's row lock, at the
# order's timeline_seq + 1, and moves that head in the same transaction), and
# verify_timeline reports any duplicate or gap (docs/TIMELINE.md).
# dispatch_escalation: key stage_due_at, already in escalation_once, which stays exact
# (the sweep's ON CONFLICT DO NOTHING keeps relying on it).

from django.db import migrations

from partitions.migration_ops import partition_table


class Migration(migrations.Migration):
    dependencies = [("disputes", "0047_alliance_invitations")]

    operations = [
        partition_table(
            "disputes_orderevent", "at", unique={"order_event_seq_unique": "UNIQUE (order_id, seq, at)"}
        ),
        partition_table("dispatch_escalation", "stage_due_at"),
    ]
