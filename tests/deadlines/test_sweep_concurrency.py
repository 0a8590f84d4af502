"""Two deadline sweeps at once on PostgreSQL: each level raised and told once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from deadlines.kinds import KINDS, DeadlineKind, declare
from deadlines.models import Deadline
from deadlines.services import deadline_start
from deadlines.sweep import sweep
from notifications.models import Notification
from tests.factories import T0, UserFactory
from tests.threads import race_ok

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks with SKIP LOCKED need PostgreSQL; SQLite serialises writers",
    ),
]


def test_two_concurrent_sweeps_raise_each_deadline_once():
    officer = UserFactory()
    kind = declare(
        DeadlineKind(
            name="test_conc",
            label="测试",
            told=lambda deadline, level: [officer.pk],
            describe=lambda deadline: (str(deadline.subject_id), "/"),
        )
    )
    try:
        for subject in range(60):
            deadline_start(kind=kind.name, subject_id=subject, at=T0, due=T0 + timedelta(days=1))
        now = T0 + timedelta(hours=20)  # past the warning, before the due time
        raised = race_ok([lambda: sweep(now=now, batch_size=7)] * 2)
        assert sum(raised) == 60
        assert set(Deadline.objects.values_list("level", flat=True)) == {0}
        per_subject = Notification.objects.values("subject").annotate(n=Count("id"))
        assert len(per_subject) == 60 and {row["n"] for row in per_subject} == {1}
    finally:
        KINDS.pop(kind.name)
