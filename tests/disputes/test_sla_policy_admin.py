"""The SLA policy's admin form says in words what is wrong (not a constraint's name) and
saves nothing it should not."""

import pytest

from disputes.models import RiskLevel, SlaPolicy
from tests.factories import CategoryFactory, SlaPolicyFactory

ADD = "/admin/disputes/slapolicy/add/"
CONSTRAINT_NAMES = (
    "sla_policy_unique",
    "sla_policy_unique_any_category",
    "sla_policy_positive_limits",
    "sla_policy_meet_after_contact",
)


@pytest.fixture
def admin_client(world, client):
    client.force_login(world.admin)
    return client


def post(client, url=ADD, **fields):
    data = {
        "category": "",
        "risk_level": "",
        "dispatch_minutes": 30,
        "sign_minutes": 30,
        "contact_minutes": 24 * 60,
        "meet_minutes": 48 * 60,
        "review_minutes": 30,
        "grade_review_minutes": 3 * 24 * 60,
        "visit_minutes": 7 * 24 * 60,
        **fields,
    }
    return client.post(url, data)


def assert_refused(response, message: str) -> None:
    assert response.status_code == 200  # the form again, not a redirect
    page = response.content.decode()
    assert message in page
    assert not any(name in page for name in CONSTRAINT_NAMES), page


def test_a_meeting_limit_shorter_than_the_contact_limit_is_refused(admin_client):
    category = CategoryFactory()
    before = SlaPolicy.objects.count()
    response = post(
        admin_client, category=category.pk, contact_minutes=24 * 60, meet_minutes=12 * 60
    )
    assert_refused(response, "见面调解时限不能短于联系时限")
    assert SlaPolicy.objects.count() == before


def test_a_changed_policy_is_held_to_the_same_rule(admin_client):
    policy = SlaPolicyFactory()
    response = post(
        admin_client,
        f"/admin/disputes/slapolicy/{policy.pk}/change/",
        category=policy.category_id,
        contact_minutes=600,
        meet_minutes=599,
    )
    assert_refused(response, "见面调解时限不能短于联系时限")
    policy.refresh_from_db()
    assert (policy.contact_minutes, policy.meet_minutes) == (24 * 60, 48 * 60)


def test_a_duplicate_policy_is_refused_in_words(admin_client):
    existing = SlaPolicyFactory(risk_level=RiskLevel.HIGH)
    response = post(admin_client, category=existing.category_id, risk_level=RiskLevel.HIGH)
    assert_refused(response, "该类别、风险等级和颜色等级的时限规则已存在")
    assert SlaPolicy.objects.filter(category=existing.category).count() == 1


def test_a_second_default_policy_is_refused_in_words(admin_client):
    # The migration seeds the default (any category, any risk).
    response = post(admin_client)
    assert_refused(response, "适用于所有类别、该风险等级和颜色等级的时限规则已存在")
    assert SlaPolicy.objects.filter(category=None, risk_level="").count() == 1


def test_a_zero_limit_is_refused_in_words(admin_client):
    response = post(admin_client, category=CategoryFactory().pk, sign_minutes=0)
    assert_refused(response, "时限都必须大于0分钟")


def test_a_zero_review_limit_is_refused_in_words(admin_client):
    response = post(admin_client, category=CategoryFactory().pk, review_minutes=0)
    assert_refused(response, "时限都必须大于0分钟")


def test_a_sound_policy_is_saved(admin_client):
    category = CategoryFactory()
    response = post(admin_client, category=category.pk, contact_minutes=60, meet_minutes=60)
    assert response.status_code == 302
    assert SlaPolicy.objects.filter(category=category, meet_minutes=60).exists()
