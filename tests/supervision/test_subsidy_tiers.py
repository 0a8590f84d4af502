"""The subsidy's tiers (以案定补): which is in force, one per grade and date, seeded once,
read-only once in force; and on-the-spot settlements counted only by a committee member.
These read no hand-built month (tests/supervision/test_subsidy.py does)."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from disputes.models import Grade
from supervision.models import SubsidyTier
from supervision.reports import Month, report_scope
from supervision.subsidy import subsidy_statement
from tests.supervision.conftest import NOVEMBER

D = Decimal


def test_tiers_in_force_for_a_month_start_with_the_one_then_in_force(db):
    SubsidyTier.objects.create(grade=Grade.SIMPLE, amount=D("60"), effective_from=date(2025, 6, 1))
    SubsidyTier.objects.create(grade=Grade.SIMPLE, amount=D("70"), effective_from=date(2026, 3, 1))
    SubsidyTier.objects.create(grade=Grade.SIMPLE, amount=D("80"), effective_from=date(2026, 3, 31))
    SubsidyTier.objects.create(grade=Grade.SIMPLE, amount=D("90"), effective_from=date(2026, 4, 1))
    from supervision.subsidy import tiers_in_force

    simple = [
        (t.amount, t.effective_from) for t in tiers_in_force(Month(2026, 3)) if t.grade == "simple"
    ]
    assert simple == [(D("70.00"), date(2026, 3, 1)), (D("80.00"), date(2026, 3, 31))]


def test_one_tier_per_grade_and_date(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyTier.objects.create(
            grade=Grade.SIMPLE, amount=D("1"), effective_from=date(2024, 1, 1)
        )


def test_the_default_tiers_are_seeded_once_and_never_overwritten(db):
    seed = importlib.import_module("dispatch.migrations.0005_default_subsidy_tiers")
    assert {(t.grade, t.amount) for t in SubsidyTier.objects.all()} == {
        ("simple", D("50.00")),
        ("ordinary", D("100.00")),
        ("complex", D("200.00")),
        ("major", D("500.00")),
    }
    SubsidyTier.objects.filter(grade="major").update(amount=D("650"))
    # The models as that migration knew them (the tier lived in dispatch then).
    state = MigrationLoader(connection).project_state(("dispatch", "0005_default_subsidy_tiers"))
    seed.create_default_tiers(state.apps, None)
    assert SubsidyTier.objects.count() == 4
    assert SubsidyTier.objects.get(grade="major").amount == D("650.00")


# --- admin -----------------------------------------------------------------------------------


def test_a_tier_in_force_is_read_only_in_admin(world, client):
    client.force_login(world.admin)
    current = SubsidyTier.objects.get(grade="simple")
    future = SubsidyTier.objects.create(
        grade=Grade.SIMPLE, amount=D("55"), effective_from=date(2100, 1, 1)
    )
    page = client.get(f"/admin/supervision/subsidytier/{current.pk}/change/")
    assert page.status_code == 200
    assert 'name="amount"' not in page.content.decode()
    assert client.get(f"/admin/supervision/subsidytier/{current.pk}/delete/").status_code == 403
    page = client.get(f"/admin/supervision/subsidytier/{future.pk}/change/")
    assert 'name="amount"' in page.content.decode()

    response = client.post(
        "/admin/supervision/subsidytier/add/",
        {"grade": "ordinary", "amount": "130.00", "effective_from": "2100-02-01"},
    )
    assert response.status_code == 302
    assert SubsidyTier.objects.filter(grade="ordinary", amount=D("130")).exists()
    listing = client.get("/admin/supervision/subsidytier/")
    assert listing.status_code == 200
    assert "delete_selected" not in listing.content.decode()


def test_settled_on_the_spot_counts_only_when_a_committee_member_settled_it(world):
    """就地化解 is paid (a simple case, to the settler's committee) only when a mediation
    committee took part: its member settled it. A grid worker's is not the committees'."""
    from disputes import services
    from disputes.models import Order
    from tests.factories import report_input
    from tests.supervision.conftest import local

    SubsidyTier.objects.update_or_create(
        grade=Grade.SIMPLE, effective_from=date(2026, 1, 1), defaults={"amount": D("100")}
    )
    for actor, unit in ((world.committee_handler, world.hb_committee), (world.reporter, None)):
        services.order_settle_on_the_spot(
            actor=actor,
            data=report_input(
                community=world.zk,
                category=world.neighbours,
                **({"reporter_unit_id": unit.pk} if unit else {}),
            ),
            summary="当场和解",
            now=local(11, 8, 10),
        )
    report = subsidy_statement(scope=report_scope(world.supervisor), month=NOVEMBER)
    assert all(st.total_cases == 0 for st in report.statements)  # not yet confirmed
    settled = Order.objects.get(reporter=world.committee_handler)
    services.order_grade_review(
        order_id=settled.pk, actor=world.dispatcher, grade=Grade.SIMPLE, now=local(11, 9)
    )
    report = subsidy_statement(scope=report_scope(world.supervisor), month=NOVEMBER)
    paid = {s.committee: (s.total_cases, s.total_amount) for s in report.statements}
    assert paid["曾坑社区人民调解委员会"] == (1, D("100"))
    assert sum(cases for cases, _amount in paid.values()) == 1
