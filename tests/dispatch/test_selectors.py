"""Routing suggestions, SLA policy choice and membership reads in ``dispatch.selectors``."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from dispatch.models import Area, RiskLevel, Role
from dispatch.selectors import (
    area_ancestor_paths,
    dispatchers_of_street,
    has_role,
    memberships_of,
    suggested_units,
    units_with_role,
)
from disputes.models import SlaPolicy
from disputes.selectors import sla_policy_for
from tests.factories import (
    AreaFactory,
    CategoryFactory,
    MembershipFactory,
    RoutingRuleFactory,
    SlaPolicyFactory,
    UnitFactory,
    fresh,
    set_default_sla_policy,
)

pytestmark = pytest.mark.django_db


# --- the area tree ---------------------------------------------------------------------------


def test_area_paths_and_streets(world):
    assert (world.city.path, world.hb.path, world.zk.path) == ("SS/", "SS/HB/", "SS/HB/ZK/")
    assert world.zk.street == world.hb
    assert world.hb.street == world.hb
    assert world.city.street is None
    assert area_ancestor_paths(world.zk) == ["SS/", "SS/HB/", "SS/HB/ZK/"]
    assert area_ancestor_paths(world.city) == ["SS/"]


def test_area_factory_traits_build_a_tree():
    community = AreaFactory()
    assert community.level == Area.Level.COMMUNITY
    assert community.parent.level == Area.Level.STREET
    assert community.parent.parent.level == Area.Level.CITY
    assert community.parent.parent.parent is None
    assert community.path == (
        f"{community.parent.parent.code}/{community.parent.code}/{community.code}/"
    )
    assert AreaFactory(street=True).level == Area.Level.STREET
    assert AreaFactory(city=True).parent is None


# --- routing suggestions ---------------------------------------------------------------------


@pytest.fixture
def routing(world):
    """Wage disputes: a city-wide department, the HB police station and labour office on the
    street, and the 曾坑 committee on its community."""
    city_dept = UnitFactory(department=True, name="石狮市人社局", area=world.city)
    rules = {
        "city": RoutingRuleFactory(category=world.wages, area=world.city, unit=city_dept, rank=1),
        "street-2": RoutingRuleFactory(
            category=world.wages, area=world.hb, unit=world.hb_labour, rank=2
        ),
        "street-1": RoutingRuleFactory(
            category=world.wages, area=world.hb, unit=world.hb_police, rank=1
        ),
        "community": RoutingRuleFactory(
            category=world.wages, area=world.zk, unit=world.hb_committee, rank=5
        ),
    }
    return city_dept, rules


def test_the_nearest_area_comes_first_then_the_rank(world, routing):
    city_dept, _rules = routing
    assert suggested_units(category_id=world.wages.pk, community=world.zk) == [
        world.hb_committee,  # community rule, despite its rank 5
        world.hb_police,  # street rule, rank 1
        world.hb_labour,  # street rule, rank 2
        city_dept,  # city rule
    ]


def test_a_sibling_community_gets_only_street_and_city_rules(world, routing):
    city_dept, _rules = routing
    assert suggested_units(category_id=world.wages.pk, community=world.sg) == [
        world.hb_police,
        world.hb_labour,
        city_dept,
    ]


def test_another_street_gets_only_city_rules(world, routing):
    city_dept, _rules = routing
    assert suggested_units(category_id=world.wages.pk, community=world.fl_community) == [city_dept]


def test_a_unit_with_several_rules_is_suggested_once_at_its_best(world, routing):
    city_dept, _rules = routing
    # The city department also has a community rule: it moves up, and appears once.
    RoutingRuleFactory(category=world.wages, area=world.zk, unit=city_dept, rank=1)
    assert suggested_units(category_id=world.wages.pk, community=world.zk) == [
        city_dept,
        world.hb_committee,
        world.hb_police,
        world.hb_labour,
    ]


def test_inactive_units_and_other_categories_are_not_suggested(world, routing):
    world.hb_police.is_active = False
    world.hb_police.save()
    RoutingRuleFactory(category=world.neighbours, area=world.zk, unit=world.zk_residents)
    suggested = suggested_units(category_id=world.wages.pk, community=world.zk)
    assert world.hb_police not in suggested
    assert world.zk_residents not in suggested
    assert suggested_units(category_id=world.neighbours.pk, community=world.zk) == [
        world.zk_residents
    ]


def test_no_rule_no_suggestion(world):
    assert suggested_units(category_id=world.wages.pk, community=world.zk) == []


def test_suggestions_take_one_query(world, routing, django_assert_num_queries):
    with django_assert_num_queries(1):
        units = suggested_units(category_id=world.wages.pk, community=world.zk)
        [u.name for u in units]


# --- SLA policy ------------------------------------------------------------------------------


def test_the_seeded_default_policy_is_30_minutes_24_and_48_hours(db):
    policy = SlaPolicy.objects.get(category=None, risk_level="")
    assert policy.limits == {
        "dispatch": timedelta(minutes=30),  # from reporting, the column's default
        "sign": timedelta(minutes=30),
        "contact": timedelta(hours=24),
        "meet": timedelta(hours=48),
    }


def test_without_any_stored_policy_the_defaults_apply(world):
    SlaPolicy.objects.all().delete()
    policy = sla_policy_for(category_id=world.wages.pk, risk_level=RiskLevel.HIGH, colour="")
    assert policy.pk is None
    assert policy.limits == {
        "dispatch": timedelta(minutes=30),
        "sign": timedelta(minutes=30),
        "contact": timedelta(hours=24),
        "meet": timedelta(hours=48),
    }


@pytest.fixture
def policies(world):
    """Every level of specificity, told apart by their sign limits."""
    set_default_sla_policy(sign_minutes=30)
    other = CategoryFactory()
    return {
        30: SlaPolicy.objects.get(category=None, risk_level=""),
        20: SlaPolicyFactory(category=None, risk_level=RiskLevel.HIGH, sign_minutes=20),
        10: SlaPolicyFactory(category=world.wages, risk_level="", sign_minutes=10),
        5: SlaPolicyFactory(category=world.wages, risk_level=RiskLevel.HIGH, sign_minutes=5),
        # Never chosen for wage disputes or medium risk.
        1: SlaPolicyFactory(category=other, risk_level="", sign_minutes=1),
        2: SlaPolicyFactory(category=world.neighbours, risk_level=RiskLevel.LOW, sign_minutes=2),
    }


@pytest.mark.parametrize(
    ("category", "risk", "sign_minutes"),
    [
        ("wages", RiskLevel.HIGH, 5),  # (category, risk)
        ("wages", RiskLevel.LOW, 10),  # (category, any risk)
        ("wages", RiskLevel.MEDIUM, 10),
        ("neighbours", RiskLevel.HIGH, 20),  # (any category, risk)
        ("neighbours", RiskLevel.LOW, 2),
        ("neighbours", RiskLevel.MEDIUM, 30),  # the default
    ],
)
def test_the_most_specific_policy_wins(world, policies, category, risk, sign_minutes):
    policy = sla_policy_for(category_id=getattr(world, category).pk, risk_level=risk, colour="")
    assert policy == policies[sign_minutes]


def test_category_beats_risk(world, policies):
    # Both (wages, any) and (any, high) match a high-risk wage dispute without the
    # (wages, high) policy: the category-specific one wins.
    policies[5].delete()
    assert (
        sla_policy_for(category_id=world.wages.pk, risk_level=RiskLevel.HIGH, colour="")
        == policies[10]
    )


def test_choosing_a_policy_takes_one_query(world, policies, django_assert_num_queries):
    with django_assert_num_queries(1):
        sla_policy_for(category_id=world.wages.pk, risk_level=RiskLevel.HIGH, colour="")


# --- memberships -----------------------------------------------------------------------------


def test_memberships_are_read_once_per_user_object(world, django_assert_num_queries):
    user = fresh(world.head)
    with django_assert_num_queries(1):
        memberships_of(user)
        assert has_role(user, Role.UNIT_HEAD)
        assert not has_role(user, Role.DISPATCHER)
        assert units_with_role(user, Role.UNIT_HEAD, Role.HANDLER) == [world.hb_police]
        assert memberships_of(user)[0].unit.area == world.hb


def test_memberships_of_inactive_units_do_not_count(world):
    world.fl_police.is_active = False
    world.fl_police.save()
    assert memberships_of(fresh(world.fl_handler)) == []
    assert not has_role(fresh(world.fl_handler), Role.HANDLER)


def test_anonymous_and_role_less_users_have_no_memberships(world):
    assert memberships_of(AnonymousUser()) == []
    assert memberships_of(world.nobody) == []


def test_a_new_membership_made_by_the_factory_is_seen_at_once(world):
    assert not has_role(world.nobody, Role.REPORTER)
    MembershipFactory(user=world.nobody, unit=world.zk_residents, reporter=True)
    assert has_role(world.nobody, Role.REPORTER)


def test_dispatchers_of_a_street_are_its_centers_dispatchers(world):
    # A "dispatcher" membership outside a street center does not count.
    MembershipFactory(unit=world.hb_police, dispatcher=True)
    second = MembershipFactory(unit=world.hb_center, dispatcher=True).user
    assert {m.user for m in dispatchers_of_street(world.hb.pk)} == {world.dispatcher, second}
    assert {m.user for m in dispatchers_of_street(world.fl.pk)} == {world.fl_dispatcher}
