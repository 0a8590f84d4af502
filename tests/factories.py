"""Factories for the whole suite, and builders that reach a state through the services.

``build_world()`` makes a small city (two streets, their units and one user per role);
``order_in_state()`` walks an order to any state by calling the services in order, so
every order a test sees has the timeline, clocks and numbers real use would give it.
Nothing here sets ``Order.state``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from dispatch.models import Area, Category, Membership, Role, RoutingRule, Unit
from disputes import services
from disputes.colours import Colour
from disputes.models import ContactMethod, Grade, Order, Outcome, Party, SlaPolicy, State
from disputes.services import PartyInput, ReportInput
from shishi_mediation.validators import id_check_digit

User = get_user_model()

# 2026-11-10 09:00 in Asia/Shanghai: a plain weekday morning, far from month ends.
T0 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)


# --- identity numbers ------------------------------------------------------------------------


def valid_id_number(first17: str = "35058119900101123") -> str:
    """A resident ID number with a correct check digit (泉州 石狮, born 1990-01-01)."""
    return first17 + id_check_digit(first17)


def id_number_with_x() -> str:
    """A valid ID number whose check digit is X (to test the lower-case x path)."""
    for seq in range(1000):
        first17 = f"35058119900101{seq:03d}"
        if id_check_digit(first17) == "X":
            return first17 + "X"
    raise AssertionError("no X check digit in range")  # pragma: no cover


def invalid_id_number() -> str:
    """Right shape, wrong check digit."""
    good = valid_id_number()
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


# --- model factories -------------------------------------------------------------------------


class AreaFactory(DjangoModelFactory):
    """A community by default (with a fresh street and city above it).

    Traits: ``city=True``, ``street=True``, ``community=True`` (the default shape).
    Street codes are upper-case letters and double as order-number prefixes.
    """

    class Meta:
        model = Area

    name = factory.Sequence(lambda n: f"社区{n}")
    code = factory.Sequence(lambda n: f"C{n}")
    level = Area.Level.COMMUNITY
    parent = factory.SubFactory("tests.factories.AreaFactory", street=True)

    class Params:
        city = factory.Trait(
            level=Area.Level.CITY,
            parent=None,
            name=factory.Sequence(lambda n: f"城市{n}"),
            code=factory.Sequence(lambda n: f"CITY{n}"),
        )
        street = factory.Trait(
            level=Area.Level.STREET,
            parent=factory.SubFactory("tests.factories.AreaFactory", city=True),
            name=factory.Sequence(lambda n: f"街道{n}"),
            code=factory.Sequence(lambda n: f"S{n}"),
        )
        community = factory.Trait(level=Area.Level.COMMUNITY)


class CategoryFactory(DjangoModelFactory):
    """A duty category; ``code`` is get-or-create so ``CategoryFactory(code="wages")`` is
    stable. Traits: ``wages``, ``neighbours``, ``family``."""

    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"类别{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")

    class Params:
        wages = factory.Trait(code="wages", name="劳资纠纷", name_en="Wages")
        neighbours = factory.Trait(code="neighbours", name="邻里纠纷", name_en="Neighbours")
        family = factory.Trait(code="family", name="婚姻家庭纠纷", name_en="Family")


class UnitFactory(DjangoModelFactory):
    """A police station in a fresh street by default.

    Traits set the kind: ``street_center``, ``police_station``, ``community_committee``,
    ``mediation_committee``, ``department``, ``social_force``, ``supervision``.
    ``covered_areas=[...]`` and ``categories=[...]`` fill the many-to-many fields.
    """

    class Meta:
        model = Unit
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = Unit.Kind.POLICE_STATION
    area = factory.SubFactory(AreaFactory, street=True)

    class Params:
        street_center = factory.Trait(kind=Unit.Kind.STREET_CENTER)
        police_station = factory.Trait(kind=Unit.Kind.POLICE_STATION)
        community_committee = factory.Trait(kind=Unit.Kind.COMMUNITY_COMMITTEE)
        mediation_committee = factory.Trait(kind=Unit.Kind.MEDIATION_COMMITTEE)
        department = factory.Trait(kind=Unit.Kind.DEPARTMENT)
        social_force = factory.Trait(kind=Unit.Kind.SOCIAL_FORCE)
        supervision = factory.Trait(kind=Unit.Kind.SUPERVISION)

    @factory.post_generation
    def covered_areas(self, create, extracted, **kwargs):
        if create and extracted:
            self.covered_areas.set(extracted)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)


class UserFactory(DjangoModelFactory):
    """A user with password ``pw``; trait ``superuser``."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = ""
    password = factory.django.Password("pw")

    class Params:
        superuser = factory.Trait(is_superuser=True, is_staff=True)


class MembershipFactory(DjangoModelFactory):
    """A handler of a fresh unit by default. Traits: one per role (``reporter``,
    ``dispatcher``, ``handler``, ``unit_head``, ``supervisor``)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Role.HANDLER

    class Params:
        reporter = factory.Trait(role=Role.REPORTER)
        dispatcher = factory.Trait(role=Role.DISPATCHER)
        handler = factory.Trait(role=Role.HANDLER)
        unit_head = factory.Trait(role=Role.UNIT_HEAD)
        supervisor = factory.Trait(role=Role.SUPERVISOR)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        membership = super()._create(model_class, *args, **kwargs)
        # ``memberships_of`` caches on the user object; a new role must be seen at once.
        membership.user.__dict__.pop("_memberships_cache", None)
        return membership


class RoutingRuleFactory(DjangoModelFactory):
    class Meta:
        model = RoutingRule

    category = factory.SubFactory(CategoryFactory)
    area = factory.SubFactory(AreaFactory, street=True)
    unit = factory.SubFactory(UnitFactory)
    rank = 1


class SlaPolicyFactory(DjangoModelFactory):
    """An SLA policy; ``category=None, risk_level=""`` is the default policy (which the
    migration seeds, so update that one with ``set_default_sla_policy`` instead)."""

    class Meta:
        model = SlaPolicy

    category = factory.SubFactory(CategoryFactory)
    risk_level = ""
    sign_minutes = 30
    contact_minutes = 24 * 60
    meet_minutes = 48 * 60


def set_default_sla_policy(**minutes: int) -> SlaPolicy:
    policy, _ = SlaPolicy.objects.update_or_create(
        category=None, risk_level="", colour="", defaults=minutes or {"sign_minutes": 30}
    )
    return policy


def user_with_role(role: str, unit: Unit, **user_kwargs) -> User:
    return MembershipFactory(user=UserFactory(**user_kwargs), unit=unit, role=role).user


def fresh(user):
    """The same user re-read, without any cached memberships."""
    return User.objects.get(pk=user.pk)


# --- a small city ----------------------------------------------------------------------------


@dataclass
class World:
    """石狮市 with two streets (湖滨 HB, 凤里 FL), their units, and a user per role.

    HB: communities 曾坑 (zk) and 石光 (sg); center, police station (lead by default,
    handlers ``handler``/``handler2`` and head ``head``), 曾坑 mediation committee
    (``committee_handler``, ``committee_head``), labour department (``labour_handler``),
    and 曾坑 residents' committee where the reporters are grid workers.
    FL: community 凤里 (fl_community); center, police station (``fl_handler``).
    Supervisors: ``supervisor`` (city), ``hb_supervisor`` (HB only).
    ``admin`` is a superuser; ``nobody`` has no membership.
    """

    city: Area
    hb: Area
    fl: Area
    zk: Area
    sg: Area
    fl_community: Area
    wages: Category
    neighbours: Category
    hb_center: Unit
    hb_police: Unit
    hb_committee: Unit
    hb_labour: Unit
    zk_residents: Unit
    fl_center: Unit
    fl_police: Unit
    city_supervision: Unit
    hb_supervision: Unit
    reporter: User
    other_reporter: User
    fl_reporter: User
    dispatcher: User
    fl_dispatcher: User
    handler: User
    handler2: User
    head: User
    committee_handler: User
    committee_head: User
    labour_handler: User
    fl_handler: User
    supervisor: User
    hb_supervisor: User
    admin: User
    nobody: User

    def dispatcher_for(self, street: Area) -> User:
        return self.dispatcher if street.pk == self.hb.pk else self.fl_dispatcher

    def default_lead_unit(self, street: Area) -> Unit:
        return self.hb_police if street.pk == self.hb.pk else self.fl_police

    def report(self, **kwargs) -> Order:
        """``order_report`` with sensible defaults; see ``report_order``."""
        return report_order(self, **kwargs)

    def order(self, state: str, **kwargs) -> Order:
        """An order walked to ``state`` through the services; see ``order_in_state``."""
        return order_in_state(self, state, **kwargs)


def build_world() -> World:
    city = AreaFactory(city=True, name="石狮市", code="SS")
    hb = AreaFactory(street=True, parent=city, name="湖滨街道", code="HB")
    fl = AreaFactory(street=True, parent=city, name="凤里街道", code="FL")
    zk = AreaFactory(community=True, parent=hb, name="曾坑社区", code="ZK")
    sg = AreaFactory(community=True, parent=hb, name="石光社区", code="SG")
    fl_community = AreaFactory(community=True, parent=fl, name="凤里社区", code="FLC")
    wages = CategoryFactory(wages=True)
    neighbours = CategoryFactory(neighbours=True)

    hb_center = UnitFactory(street_center=True, name="湖滨街道多元调处中心", area=hb)
    hb_police = UnitFactory(
        police_station=True, name="湖滨派出所", area=hb, covered_areas=[hb], categories=[wages]
    )
    hb_committee = UnitFactory(
        mediation_committee=True,
        name="曾坑社区人民调解委员会",
        area=zk,
        covered_areas=[zk],
        categories=[neighbours],
    )
    hb_labour = UnitFactory(department=True, name="湖滨劳动保障所", area=hb, categories=[wages])
    zk_residents = UnitFactory(community_committee=True, name="曾坑社区居委会", area=zk)
    fl_center = UnitFactory(street_center=True, name="凤里街道多元调处中心", area=fl)
    fl_police = UnitFactory(police_station=True, name="凤里派出所", area=fl)
    city_supervision = UnitFactory(supervision=True, name="石狮市督导组", area=city)
    hb_supervision = UnitFactory(supervision=True, name="湖滨街道督导组", area=hb)

    # Users and memberships in two queries: the world is built for nearly every test.
    people = {
        # attribute: (username, unit, role, first name)
        "reporter": ("grid", zk_residents, Role.REPORTER, "网格员"),
        "other_reporter": ("grid2", zk_residents, Role.REPORTER, ""),
        "fl_reporter": ("fl_grid", fl_police, Role.REPORTER, ""),
        "dispatcher": ("center", hb_center, Role.DISPATCHER, ""),
        "fl_dispatcher": ("fl_center", fl_center, Role.DISPATCHER, ""),
        "handler": ("police", hb_police, Role.HANDLER, "张警官"),
        "handler2": ("police2", hb_police, Role.HANDLER, ""),
        "head": ("head", hb_police, Role.UNIT_HEAD, ""),
        "committee_handler": ("committee", hb_committee, Role.HANDLER, ""),
        "committee_head": ("committee_head", hb_committee, Role.UNIT_HEAD, ""),
        "labour_handler": ("labour", hb_labour, Role.HANDLER, ""),
        "fl_handler": ("fl_police", fl_police, Role.HANDLER, ""),
        "supervisor": ("supervisor", city_supervision, Role.SUPERVISOR, ""),
        "hb_supervisor": ("hb_supervisor", hb_supervision, Role.SUPERVISOR, ""),
    }
    password = make_password("pw")
    users = User.objects.bulk_create(
        [
            User(username=username, first_name=first_name, password=password)
            for username, _unit, _role, first_name in people.values()
        ]
        + [
            User(username="admin", password=password, is_superuser=True, is_staff=True),
            User(username="nobody", password=password),
        ]
    )
    Membership.objects.bulk_create(
        Membership(user=user, unit=unit, role=role)
        for user, (_username, unit, role, _first) in zip(users, people.values(), strict=False)
    )
    by_attr = dict(zip([*people, "admin", "nobody"], users, strict=True))

    return World(
        city=city,
        hb=hb,
        fl=fl,
        zk=zk,
        sg=sg,
        fl_community=fl_community,
        wages=wages,
        neighbours=neighbours,
        hb_center=hb_center,
        hb_police=hb_police,
        hb_committee=hb_committee,
        hb_labour=hb_labour,
        zk_residents=zk_residents,
        fl_center=fl_center,
        fl_police=fl_police,
        city_supervision=city_supervision,
        hb_supervision=hb_supervision,
        **by_attr,
    )


# --- orders through the services -------------------------------------------------------------


def party_input(**kwargs) -> PartyInput:
    defaults = {
        "name": "王某",
        "role": Party.PartyRole.APPLICANT,
        "phone": "13812345678",
        "id_number": valid_id_number(),
    }
    return PartyInput(**(defaults | kwargs))


def report_input(
    *,
    community: Area,
    category: Category,
    parties: Iterable[PartyInput] | None = None,
    **kwargs,
) -> ReportInput:
    defaults = {
        "title": "拖欠工资",
        "narrative": "工人反映工地拖欠三个月工资。",
        "risk_level": "low",
        "address": "曾坑村 12 号",
    }
    if parties is None:
        parties = [party_input(), party_input(name="李某", role=Party.PartyRole.RESPONDENT)]
    return ReportInput(
        category_id=category.pk,
        community_id=community.pk,
        parties=list(parties),
        **(defaults | kwargs),
    )


def report_order(
    world: World,
    *,
    actor=None,
    community: Area | None = None,
    category: Category | None = None,
    now: datetime | None = None,
    **input_kwargs,
) -> Order:
    """Report an order in 曾坑 (wages, low risk, two parties) unless told otherwise.

    Without ``now`` the service reads the clock (freeze it with time-machine)."""
    return services.order_report(
        actor=actor or world.reporter,
        data=report_input(
            community=community or world.zk, category=category or world.wages, **input_kwargs
        ),
        now=now,
    )


# Offsets from ``start`` at which ``order_in_state`` performs each step: all on time.
STEP_OFFSETS = {
    State.REPORTED: timedelta(0),
    State.DISPATCHED: timedelta(minutes=5),
    State.SIGNED: timedelta(minutes=15),
    State.CONTACTED: timedelta(hours=2),
    State.MET: timedelta(days=1),
    State.CONFIRMING: timedelta(days=1, minutes=50),
    State.CLOSED: timedelta(days=1, hours=1),
}
PATH = [
    State.REPORTED,
    State.DISPATCHED,
    State.SIGNED,
    State.CONTACTED,
    State.MET,
    State.CONFIRMING,
    State.CLOSED,
]

AGREEMENT = {
    "facts": "甲方拖欠乙方工资三个月，共计一万二千元。",
    "terms": "甲方分三期向乙方支付拖欠工资，每期四千元。",
    "performance": "银行转账，每月十五日前支付一期。",
}


def propose_close(
    order: Order,
    actor,
    *,
    outcome: str = Outcome.MEDIATED,
    summary: str = "分三期支付工资",
    grade: str | None = None,
    referral: str | None = None,
    now: datetime | None = None,
) -> Order:
    """The handler proposes the closing (提交结单), with the agreement when mediated."""
    if grade is None:
        grade = Grade.ORDINARY if outcome != Outcome.FAILED else ""
    if referral is None:
        referral = "court" if outcome == Outcome.FAILED else ""
    agreed = outcome in (Outcome.MEDIATED, Outcome.PARTLY_MEDIATED)
    return services.order_propose_close(
        order_id=order.pk,
        actor=actor,
        outcome=outcome,
        summary=summary,
        grade=grade,
        referral=referral,
        **(AGREEMENT if agreed else {}),
        now=now,
    )


def confirm_closing(order: Order, *, now: datetime | None = None) -> Order:
    """Every party confirms the proposed closing through its link, then its reporter
    (unless the command system) and a dispatcher of its street sign off: it closes."""
    from disputes.models import ClosingProposal

    proposal = ClosingProposal.objects.get(order=order, status=ClosingProposal.Status.PENDING)
    for confirmation in proposal.confirmations.all():
        services.closing_respond(token=confirmation.token, confirm=True, now=now)
    if proposal.reporter_needed:
        services.order_closing_sign(order_id=order.pk, actor=order.reporter, now=now)
    proposal.refresh_from_db()
    if proposal.center_signed_at is None:
        dispatcher = (
            User.objects.filter(
                memberships__role=Role.DISPATCHER,
                memberships__unit__kind=Unit.Kind.STREET_CENTER,
                memberships__unit__area=order.street,
            )
            .order_by("pk")
            .first()
        )
        services.order_closing_sign(order_id=order.pk, actor=dispatcher, now=now)
    return Order.objects.get(pk=order.pk)


def close_jointly(order: Order, actor, *, now: datetime | None = None, **proposal) -> Order:
    """Propose the closing and have everyone confirm it at ``now``: the order closes."""
    propose_close(order, actor, now=now, **proposal)
    return confirm_closing(order, now=now)


def order_in_state(
    world: World,
    state: str,
    *,
    start: datetime = T0,
    reporter=None,
    community: Area | None = None,
    category: Category | None = None,
    risk_level: str = "low",
    parties: Iterable[PartyInput] | None = None,
    lead_unit: Unit | None = None,
    assignee=None,
    assisting_units: Iterable[Unit] = (),
    signer=None,
    outcome: str = Outcome.MEDIATED,
    cancel_from: str = State.REPORTED,
    case_leader=None,
) -> Order:
    """An order in ``state``, reached by calling the services step by step.

    Defaults: reported by ``world.reporter`` in 曾坑 at ``start``; dispatched by the
    street's dispatcher to its police station (no named assignee) 5 min later; signed by
    ``signer`` (default: ``assignee`` or the station's first handler) at +15 min;
    contacted at +2 h; met at +1 d; closed (mediated, graded) at +1 d 1 h with every
    party confirming. A red order is dispatched with ``case_leader`` (default: the
    street center's ``street_leader``), who reviews it just before it closes.
    ``cancelled`` is reached by the dispatcher cancelling from ``cancel_from``. Returns a
    freshly read order.
    """
    target = state
    if state == State.CANCELLED:
        target = cancel_from
    if target not in PATH:
        raise ValueError(f"unknown state {state!r}")
    steps = PATH[: PATH.index(target) + 1]

    order = report_order(
        world,
        actor=reporter,
        community=community,
        category=category,
        now=start,
        risk_level=risk_level,
        parties=parties,
    )
    street = order.street
    dispatcher = world.dispatcher_for(street)
    lead_unit = lead_unit or world.default_lead_unit(street)
    at = {s: start + offset for s, offset in STEP_OFFSETS.items()}

    if order.colour == Colour.RED and case_leader is None:
        case_leader = street_leader(street)
    if State.DISPATCHED in steps:
        services.order_dispatch(
            order_id=order.pk,
            actor=dispatcher,
            lead_unit_id=lead_unit.pk,
            assignee_id=assignee.pk if assignee else None,
            assisting_unit_ids=[u.pk for u in assisting_units],
            note="请尽快处理",
            case_leader_id=case_leader.pk if case_leader else None,
            now=at[State.DISPATCHED],
        )
    handler = signer or assignee or first_handler_of(lead_unit)
    if State.SIGNED in steps:
        services.order_sign(order_id=order.pk, actor=handler, now=at[State.SIGNED])
    if State.CONTACTED in steps:
        services.order_record_contact(
            order_id=order.pk,
            actor=handler,
            method=ContactMethod.PHONE,
            note="已电话联系双方",
            now=at[State.CONTACTED],
        )
    if State.MET in steps:
        services.order_record_meeting(
            order_id=order.pk,
            actor=handler,
            place="曾坑社区调解室",
            participants="双方当事人、调解员",
            result="双方达成还款计划",
            now=at[State.MET],
        )
    if State.CONFIRMING in steps:
        if order.colour == Colour.RED:
            services.order_leader_review(
                order_id=order.pk,
                actor=case_leader,
                note="已审核，同意结单",
                now=at[State.CONFIRMING] - timedelta(minutes=1),
            )
        propose_close(order, handler, outcome=outcome, now=at[State.CONFIRMING])
    if State.CLOSED in steps:
        confirm_closing(order, now=at[State.CLOSED])
    if state == State.CANCELLED:
        services.order_cancel(
            order_id=order.pk,
            actor=dispatcher,
            reason="重复报单",
            now=at[target] + timedelta(minutes=1),
        )
    return Order.objects.get(pk=order.pk)


def street_leader(street: Area) -> User:
    """The 包案 leader of the street: ``leader_<code>``, a LEADER of its center (made on
    first use)."""
    center = Unit.objects.get(area=street, kind=Unit.Kind.STREET_CENTER)
    user = UserFactory(username=f"leader_{street.code.lower()}", first_name="包案领导")
    Membership.objects.get_or_create(user=user, unit=center, role=Role.LEADER)
    return fresh(user)


def first_handler_of(unit: Unit):
    membership = (
        Membership.objects.filter(unit=unit, role__in=[Role.HANDLER, Role.UNIT_HEAD])
        .select_related("user")
        .order_by("role", "pk")  # "handler" sorts before "unit_head"
        .first()
    )
    if membership is None:
        raise ValueError(f"{unit} has no handler")
    return membership.user
