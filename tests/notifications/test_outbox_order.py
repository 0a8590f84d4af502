"""Each outbox batch is read off its ``*_pending_due`` index in (next_attempt_at, id)
order. Before, the index had next_attempt_at alone and every batch sorted the whole
backlog: a sweep's 235,000 notices at 10M orders took about a second a batch."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from disputes.models import IncidentResultMessage
from notifications.delivery import due_batch
from notifications.models import Delivery, SmsMessage

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans"),
    pytest.mark.django_db,
]


@pytest.mark.parametrize("model", [Delivery, SmsMessage, IncidentResultMessage])
def test_a_batch_is_read_in_index_order_without_sorting(model):
    batch = due_batch(model.objects.all(), now=timezone.now(), batch_size=100)
    sql, params = batch.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cur:
        # With sorting priced out, a plan still sorts only when no index gives the order.
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "pending_due" in plan or "next_attempt_at_id_idx" in plan, plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan
