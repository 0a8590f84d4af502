"""Bulk benchmark data: SCALE orders over the last MONTHS months, written with COPY.

The services are the only way real orders are made (``tests/factories.py``), and they
take ~20 ms an order: a million would take hours. So this fixture writes rows directly,
computing every field the services would have computed, consistently:

* configuration (areas, categories, units, routing rules, SLA policies, demo users) from
  ``seed_demo``'s ``Seeder``, plus handlers, heads, dispatchers and reporters for every
  unit, so lists and escalations spread over realistic unit sizes;
* each order is *simulated*: reported at a time drawn over the months (more recent months
  a little busier, daytime hours busier), then dispatched, signed, contacted, met and
  closed after delays drawn from log-normal distributions scaled by its SLA policy's
  limits (so ~10 % of stages are late), or cancelled (3 %); its state is the last step
  that happened before ``now``. Limits, due times, on-time flags and the alarms
  (``disputes.Alarm``) follow the model's transition methods exactly;
* the SLA sweep is taken to have last run at ``now - SWEEP_GAP`` (one hour ago): every
  escalation that fired before then exists (raised a few seconds after it fired, resolved
  when its stage was met), the alarms point at the next level, and exactly ``due``
  running stages have come due since (``backlog`` orders, picked among the last ten days'
  reports and re-timed so one of their levels fired in the last hour). Other open orders
  are re-drawn until none of their levels falls in that hour, so the count is exact;
* numbers are ``<street>-<YYYYMM>-<seq>`` in report order per street and month, with the
  counters left where the services would continue;
* timeline events, parties (from a pool of valid names, phones and ID numbers), assisting
  units, escalations, reviews and return visits are derived in SQL from the order rows.

Notifications and outbox rows of the past are not generated (the inbox is per user and
does not affect what is measured); nor are attachments, notes, returns and reassigns.

Foreign-key triggers are skipped during the load (``session_replication_role=replica``,
when the role may) and secondary indexes are dropped and rebuilt afterwards, like a
restore; then everything is VACUUM ANALYZEd, as autovacuum would have done in life.
"""

from __future__ import annotations

import io
import json
import math
import multiprocessing
import os
import random
import time
from bisect import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction

from dispatch.models import Area, Category, Membership, Role, Unit
from dispatch.selectors import suggested_units
from disputes.colours import colour_for
from disputes.models import Order, OrderNumberCounter
from disputes.radar_keys import address_key, id_number_key, phone_key
from disputes.selectors import sla_policy_for
from partitions.services import ensure_partitions
from shishi_mediation.validators import id_check_digit

SHANGHAI = ZoneInfo("Asia/Shanghai")
SWEEP_GAP = timedelta(hours=1)  # the sweep last ran this long before the bench's now
BACKLOG_DAYS = 10  # backlog orders are picked among reports this recent
DAY = 86400.0
CHUNK = 50_000

# Nine streets/towns of Shishi (seed_demo's codes) and their share of disputes.
STREET_WEIGHTS = {
    "HB": 0.16,
    "FL": 0.15,
    "LX": 0.11,
    "BG": 0.10,
    "HJ": 0.10,
    "XZ": 0.08,
    "HS": 0.08,
    "JS": 0.09,
    "YN": 0.13,
}
CATEGORY_WEIGHTS = {
    "neighbour": 0.25,
    "family": 0.18,
    "wages": 0.15,
    "property": 0.10,
    "consumer": 0.08,
    "traffic": 0.07,
    "contract": 0.07,
    "land": 0.04,
    "crisis": 0.03,
    "medical": 0.03,
}
RISK_WEIGHTS = {"low": 0.75, "medium": 0.20, "high": 0.05}
SOURCE_WEIGHTS = {
    "patrol": 0.35,
    "police_incident": 0.30,
    "hotline": 0.15,
    "walk_in": 0.12,
    "referral": 0.08,
}
# Reports by hour of day (Asia/Shanghai): quiet nights, busy mornings and evenings.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 7, 8, 9, 9, 9, 8, 8, 9, 8, 6, 4, 2]
OUTCOMES = [("mediated", 0.82), ("partly_mediated", 0.06), ("failed", 0.08), ("withdrawn", 0.04)]
GRADES = [("simple", 0.50), ("ordinary", 0.35), ("complex", 0.12), ("major", 0.03)]
REFERRALS = ["court", "arbitration", "petition"]
CONTACT_METHODS = ["phone", "phone", "phone", "visit", "online", "in_person"]
TITLES = {
    "neighbour": ["楼上漏水纠纷", "噪音扰民", "宅基地界址争议", "共用通道堵塞", "排水沟纠纷"],
    "family": ["赡养老人纠纷", "离婚财产分割", "抚养费纠纷", "家庭矛盾", "遗产继承纠纷"],
    "wages": ["拖欠工资", "工伤赔偿纠纷", "加班费争议", "解除劳动合同补偿", "工程款拖欠"],
    "property": ["物业费纠纷", "电梯维修费分摊", "停车位纠纷", "小区公共收益", "装修扰民"],
    "consumer": ["预付卡退费", "网购质量纠纷", "装修合同纠纷", "餐饮消费纠纷", "二手车纠纷"],
    "traffic": ["交通事故赔偿", "电动车碰撞", "停车剐蹭", "行人受伤赔偿", "车辆损坏赔偿"],
    "contract": ["借款纠纷", "房屋租赁纠纷", "买卖合同纠纷", "合伙纠纷", "货款纠纷"],
    "land": ["土地承包纠纷", "山林权属争议", "征地补偿纠纷", "坟地纠纷", "农田灌溉纠纷"],
    "crisis": ["独居老人情绪异常", "精神障碍患者滋扰", "未成年人离家", "轻生倾向", "家暴求助"],
    "medical": ["诊疗费用争议", "医疗事故赔偿", "药品不良反应", "美容整形纠纷", "护理纠纷"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美金淑惠珠翠雅芝玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"  # noqa: E501
# The repeat radar's realistic rates (issue 17): most parties are seen once; REPEAT_PER_MILLE
# of orders have an applicant who comes back (about REPEAT_VISITS orders a year each), and
# HOT_FLAT_SHARE of orders come from one of HOT_FLATS addresses of their community.
REPEAT_PER_MILLE = 80
REPEAT_VISITS = 3
HOT_FLAT_SHARE = 0.05
HOT_FLATS = 40


def weighted(weights: dict[str, float] | list[tuple[str, float]]):
    """A fast sampler over (value, weight) pairs: call it with a uniform random number."""
    items = list(weights.items()) if isinstance(weights, dict) else list(weights)
    values = [v for v, _w in items]
    cum = list(accumulate(w for _v, w in items))
    total = cum[-1]
    cum = [c / total for c in cum]
    last = len(values) - 1

    def pick(u: float):
        return values[min(bisect(cum, u), last)]

    return pick


@dataclass
class Stats:
    orders: int = 0
    by_state: Counter = field(default_factory=Counter)
    backlog: int = 0
    redraws: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class World:
    """What the simulation draws from, looked up once."""

    streets: list[Area]
    communities: dict[int, list[Area]]  # street id → communities
    categories: dict[str, Category]
    limits: dict[tuple[int, str], tuple[float, float, float]]  # seconds
    suggestions: dict[tuple[int, int], list[int]]  # (category, community) → unit ids
    handlers: dict[int, list[int]]  # unit id → handler/head user ids
    dispatchers: dict[int, list[int]]  # street id → dispatcher user ids
    grid: dict[int, tuple[int, int]]  # community id → (reporter user, unit)
    police: dict[int, tuple[list[int], int]]  # street id → (reporter users, unit)
    supervisor_unit: int = 0


# --- configuration -------------------------------------------------------------------------


def build_configuration(now: datetime, log) -> World:
    """seed_demo's areas, categories, units, rules, policies and users, plus staff."""
    from disputes.management.commands.seed_demo import Seeder

    seeder = Seeder(now=now)
    with transaction.atomic():
        seeder.seed_areas()
        seeder.seed_categories()
        seeder.seed_units()
        seeder.seed_alliance_units()  # the lawyers' unit that seed_users names
        seeder.seed_routing_rules()
        seeder.seed_sla_policies()
        seeder.seed_users()
        _add_staff(log)
    return _lookup_world()


# Extra people per unit kind: (role, how many).
STAFF = {
    Unit.Kind.STREET_CENTER: [(Role.DISPATCHER, 3)],
    Unit.Kind.POLICE_STATION: [(Role.HANDLER, 8), (Role.UNIT_HEAD, 1)],
    Unit.Kind.COMMUNITY_COMMITTEE: [(Role.REPORTER, 2), (Role.HANDLER, 2)],
    Unit.Kind.MEDIATION_COMMITTEE: [(Role.HANDLER, 2), (Role.UNIT_HEAD, 1)],
    Unit.Kind.DEPARTMENT: [(Role.HANDLER, 4), (Role.UNIT_HEAD, 1)],
    Unit.Kind.SOCIAL_FORCE: [(Role.HANDLER, 3), (Role.UNIT_HEAD, 1)],
    Unit.Kind.SUPERVISION: [(Role.SUPERVISOR, 2)],
}


def _add_staff(log) -> None:
    User = get_user_model()
    if User.objects.filter(username__startswith="bench_").exists():
        return
    password = make_password("bench12345")
    rng = random.Random(11)
    plan = []
    for unit in Unit.objects.order_by("pk"):
        for role, count in STAFF.get(unit.kind, []):
            for i in range(count):
                plan.append((unit, role, f"bench_{unit.pk}_{role}_{i}"))
    users = User.objects.bulk_create(
        User(
            username=username,
            last_name=rng.choice(SURNAMES),
            first_name=rng.choice(GIVEN) + rng.choice(GIVEN),
            email=f"{username}@bench.example",
            password=password,
        )
        for _unit, _role, username in plan
    )
    memberships = [
        Membership(user=user, unit=unit, role=role)
        for user, (unit, role, _u) in zip(users, plan, strict=True)
    ]
    # Police officers report too (警情, patrols), as the demo's officers do.
    memberships += [
        Membership(user=user, unit=unit, role=Role.REPORTER)
        for user, (unit, role, _u) in zip(users, plan, strict=True)
        if unit.kind == Unit.Kind.POLICE_STATION and role == Role.HANDLER
    ]
    Membership.objects.bulk_create(memberships)
    log(f"  staff: {len(users)} users, {len(memberships)} memberships added")


def _lookup_world() -> World:
    streets = list(Area.objects.filter(level=Area.Level.STREET).order_by("path"))
    communities: dict[int, list[Area]] = defaultdict(list)
    for c in Area.objects.filter(level=Area.Level.COMMUNITY).order_by("path"):
        communities[c.parent_id].append(c)
    categories = {c.code: c for c in Category.objects.filter(code__in=CATEGORY_WEIGHTS)}
    limits = {}
    for cat in categories.values():
        for risk in RISK_WEIGHTS:
            colour = colour_for(risk_level=risk, parties=())
            policy = sla_policy_for(category_id=cat.pk, risk_level=risk, colour=colour)
            limits[cat.pk, risk] = tuple(
                policy.limits[s].total_seconds() for s in ("sign", "contact", "meet")
            )
    suggestions = {}
    for cat in categories.values():
        for street in streets:
            for community in communities[street.pk]:
                units = suggested_units(category_id=cat.pk, community=community)
                suggestions[cat.pk, community.pk] = [u.pk for u in units] or []
    handlers: dict[int, list[int]] = defaultdict(list)
    dispatchers: dict[int, list[int]] = defaultdict(list)
    reporters: dict[int, list[int]] = defaultdict(list)
    supervisor_unit = 0
    for m in Membership.objects.select_related("unit").order_by("pk"):
        if m.role in (Role.HANDLER, Role.UNIT_HEAD):
            handlers[m.unit_id].append(m.user_id)
        elif m.role == Role.DISPATCHER:
            dispatchers[m.unit.area_id].append(m.user_id)
        elif m.role == Role.REPORTER:
            reporters[m.unit_id].append(m.user_id)
        elif m.role == Role.SUPERVISOR:
            supervisor_unit = m.unit_id
    grid, police = {}, {}
    for unit in Unit.objects.all():
        if unit.kind == Unit.Kind.COMMUNITY_COMMITTEE and reporters.get(unit.pk):
            grid[unit.area_id] = (reporters[unit.pk], unit.pk)
        elif unit.kind == Unit.Kind.POLICE_STATION and reporters.get(unit.pk):
            police[unit.area_id] = (reporters[unit.pk], unit.pk)
    return World(
        streets=streets,
        communities=dict(communities),
        categories=categories,
        limits=limits,
        suggestions=suggestions,
        handlers=dict(handlers),
        dispatchers=dict(dispatchers),
        grid=grid,
        police=police,
        supervisor_unit=supervisor_unit,
    )


# --- the simulation --------------------------------------------------------------------------


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def fire_times(due: float, limit: float) -> tuple[float, float, float]:
    """``disputes.stages.escalation_fire_at`` for levels 0, 1, 2 (epoch seconds)."""
    return (due - limit / 5, due, due + limit)


def alert(due: float, limit: float, swept: float) -> tuple[float | None, int | None]:
    """The next unraised level after a sweep at ``swept``: (fire time, level) or None."""
    for level, at in enumerate(fire_times(due, limit)):
        if at > swept:
            return at, level
    return None, None


@dataclass
class Sim:
    """One order's simulated life (epoch seconds; None where a step did not happen)."""

    state: str
    dispatched: float | None = None
    signed: float | None = None
    contacted: float | None = None
    met: float | None = None
    closed: float | None = None
    cancelled: float | None = None


def simulate(rng: random.Random, r: float, limits, now: float) -> Sim:
    """Draw the steps after a report at ``r`` and keep those that happened by ``now``."""
    sign_l, contact_l, meet_l = limits
    cancel_at = None
    if rng.random() < 0.03:
        cancel_at = r + lognormal(rng, 3 * 3600, 1.0)
    dispatched = r + min(lognormal(rng, 25 * 60, 1.0), 3 * DAY)
    signed = dispatched + sign_l * lognormal(rng, 0.4, 0.8)
    contacted = signed + contact_l * lognormal(rng, 0.25, 0.9)
    met = max(signed + meet_l * lognormal(rng, 0.55, 0.5), contacted + 1800)
    closed = met + lognormal(rng, 20 * 3600, 1.2)
    if rng.random() < 0.004:  # stuck for weeks: waiting for a party, a court date...
        closed += rng.uniform(20, 120) * DAY
    steps = [
        ("dispatched", dispatched),
        ("signed", signed),
        ("contacted", contacted),
        ("met", met),
        ("closed", closed),
    ]
    sim = Sim(state="reported")
    for name, at in steps:
        if cancel_at is not None and cancel_at < at:
            if cancel_at <= now:
                sim.state, sim.cancelled = "cancelled", cancel_at
            return sim
        if at > now:
            return sim
        sim.state = name
        setattr(sim, name, at)
    return sim


def running(sim: Sim, limits) -> list[tuple[str, float, float]]:
    """(stage, due, limit) of the stages whose clocks run now (``Order.running_clocks``)."""
    sign_l, contact_l, meet_l = limits
    if sim.state == "dispatched":
        return [("sign", sim.dispatched + sign_l, sign_l)]
    if sim.state == "signed":
        return [
            ("contact", sim.signed + contact_l, contact_l),
            ("meet", sim.signed + meet_l, meet_l),
        ]
    if sim.state == "contacted":
        return [("meet", sim.signed + meet_l, meet_l)]
    return []


def fires_in_gap_count(sim: Sim, limits, swept: float, now: float) -> int:
    return sum(
        swept < at <= now
        for _stage, due, limit in running(sim, limits)
        for at in fire_times(due, limit)
    )


def fires_in_gap(sim: Sim, limits, swept: float, now: float) -> bool:
    return fires_in_gap_count(sim, limits, swept, now) > 0


STAGE_PICK = weighted({"sign": 0.40, "contact": 0.35, "meet": 0.25})
LEVEL_PICK = weighted({0: 0.5, 1: 0.3, 2: 0.2})
LEVEL_OFFSET = (0.8, 1.0, 2.0)  # a level's fire time after its clock starts, in limits


def backlog_sim(rng: random.Random, r: float, limits, swept: float, now: float) -> Sim | None:
    """An open order with one of its levels firing in (swept, now]; None if ``r`` is too
    recent for the drawn stage and level (the caller tries another draw)."""
    sign_l, contact_l, meet_l = limits
    stage, level = STAGE_PICK(rng.random()), LEVEL_PICK(rng.random())
    fire = rng.uniform(swept + 1, now)
    if stage == "sign":
        dispatched = fire - LEVEL_OFFSET[level] * sign_l
        if dispatched < r + 120 or dispatched > now:
            return None
        return Sim(state="dispatched", dispatched=dispatched)
    limit = contact_l if stage == "contact" else meet_l
    signed = fire - LEVEL_OFFSET[level] * limit
    if signed < r + 900:
        return None
    dispatched = r + (signed - r) * rng.uniform(0.1, 0.6)
    if stage == "contact":
        return Sim(state="signed", dispatched=dispatched, signed=signed)
    contacted = signed + (now - signed) * rng.uniform(0.05, 0.5)
    return Sim(state="contacted", dispatched=dispatched, signed=signed, contacted=contacted)


# --- writing rows ----------------------------------------------------------------------------


def ts(x: float | None) -> str:
    if x is None:
        return r"\N"
    return datetime.fromtimestamp(x, UTC).isoformat(sep=" ")


def secs(x: float | None) -> str:
    return r"\N" if x is None else f"{x:.0f} seconds"


def boolean(x: bool | None) -> str:
    return r"\N" if x is None else ("t" if x else "f")


def num(x) -> str:
    return r"\N" if x is None else str(x)


def copy_rows(table: str, columns: list[str], rows: list[str]) -> None:
    buf = io.StringIO("".join(rows))
    with connection.cursor() as cur:
        cur.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)


ORDER_FIELDS = [
    "id",
    "number",
    "title",
    "narrative",
    "category_id",
    "source",
    "street_id",
    "community_id",
    "address",
    "risk_level",
    "reporter_id",
    "reporter_unit_id",
    "lead_unit_id",
    "assignee_id",
    "state",
    "reported_at",
    "dispatched_at",
    "signed_at",
    "contacted_at",
    "met_at",
    "closed_at",
    "cancelled_at",
    "sign_limit",
    "contact_limit",
    "meet_limit",
    "sign_due_at",
    "contact_due_at",
    "meet_due_at",
    "sign_on_time",
    "contact_on_time",
    "meet_on_time",
    "contact_method",
    "contact_note",
    "meeting_place",
    "meeting_participants",
    "meeting_result",
    "outcome",
    "referral",
    "agreement_summary",
    "grade",
    "cancel_reason",
]


def _extra_order_columns() -> dict[str, str]:
    """Columns other issues may have added to the order table: their defaults."""
    extra = {}
    for f in Order._meta.concrete_fields:
        if f.column in ORDER_FIELDS or f.column == "address_key":
            continue
        default = f.get_default()
        value = f.get_db_prep_save(default, connection)
        if value is None:
            extra[f.column] = r"\N"
        elif isinstance(value, bool):
            extra[f.column] = boolean(value)
        else:
            extra[f.column] = str(value).replace("\\", "\\\\").replace("\t", " ")
    return extra


def sample_report_times(rng: random.Random, n: int, now: float, months: int) -> list[float]:
    """Report instants over the last ``months`` months, busier towards now (+25 % over the
    period) and by the hour of day, sorted."""
    span = months * 30.4375 * DAY
    start = now - span
    hour_pick = weighted([(h, w) for h, w in enumerate(HOUR_WEIGHTS)])
    growth = 0.25
    out = []
    for _ in range(n):
        # Inverse CDF of a density rising linearly by ``growth`` over the span.
        u = rng.random()
        a = 1.0
        b = growth
        x = (-a + math.sqrt(a * a + 2 * b * u * (a + b / 2))) / b
        day = start + math.floor(x * span / DAY) * DAY
        local = datetime.fromtimestamp(day, SHANGHAI).replace(hour=0, minute=0, second=0)
        t = local.timestamp() + hour_pick(rng.random()) * 3600 + rng.random() * 3600
        if t <= now - 60 and t > start:
            out.append(t)
        else:
            out.append(now - rng.uniform(60, 7 * DAY))
    out.sort()
    return out


def generate(
    *,
    scale: int,
    due: int,
    now: datetime,
    months: int = 12,
    seed: int = 7,
    log=print,
    derived: tuple[str, ...] | None = None,
):
    """Write ``scale`` orders with exactly ``due`` stages newly due at ``now``. ``derived``:
    only these of the derived rows (e.g. ``("parties", "incidents")`` for the repeat
    radar alone: ``bench.main --only radar``); all of them by default."""
    stats = Stats()
    t_start = time.perf_counter()
    world = build_configuration(now, log)
    # The event tables' months (partitions/) exist before COPY writes into them: rows
    # of a month without its partition would pile up in the default partition.
    ensure_partitions(now=now, months_ahead=settings.PARTITION_MONTHS_AHEAD, months_back=months + 1)
    stats.seconds["configuration"] = time.perf_counter() - t_start

    rng = random.Random(seed)
    now_s = now.timestamp()
    swept = now_s - SWEEP_GAP.total_seconds()

    t0 = time.perf_counter()
    times = sample_report_times(rng, scale, now_s, months)
    street_pick = weighted(
        [
            (s, STREET_WEIGHTS.get(s.code, 0.05))
            for s in world.streets
            if world.communities.get(s.pk)
        ]
    )
    cat_pick = weighted([(world.categories[c], w) for c, w in CATEGORY_WEIGHTS.items()])
    risk_pick = weighted(RISK_WEIGHTS)
    source_pick = weighted(SOURCE_WEIGHTS)
    outcome_pick = weighted(OUTCOMES)
    grade_pick = weighted(GRADES)

    # Draw who/what/where first: the backlog needs each candidate's limits.
    draws = []
    for _ in range(scale):
        street = street_pick(rng.random())
        community = rng.choice(world.communities[street.pk])
        draws.append((street, community, cat_pick(rng.random()), risk_pick(rng.random())))

    recent = [i for i, t in enumerate(times) if t >= now_s - BACKLOG_DAYS * DAY]
    rng.shuffle(recent)
    backlog: dict[int, Sim] = {}
    for i in recent:
        if len(backlog) >= due:
            break
        _street, _community, cat, risk = draws[i]
        limits = world.limits[cat.pk, risk]
        for _try in range(20):
            sim = backlog_sim(rng, times[i], limits, swept, now_s)
            # Exactly one level of one stage in the gap: K due stages, K escalations.
            if sim is not None and fires_in_gap_count(sim, limits, swept, now_s) == 1:
                backlog[i] = sim
                break
    stats.backlog = len(backlog)
    if len(backlog) < due:
        log(f"  warning: only {len(backlog)} backlog orders could be placed (wanted {due})")

    extra = _extra_order_columns()
    columns = ORDER_FIELDS + ["address_key"] + list(extra)
    address_keys: dict[str, str] = {}
    extra_tail = "".join("\t" + v for v in extra.values())
    counters: Counter = Counter()
    order_rows: list[str] = []
    assisting_rows: list[str] = []
    alarm_rows: list[str] = []
    legacy_replication = _fast_load_begin()
    dropped = _drop_secondary_indexes(
        ["disputes_order", "disputes_order_assisting_units", "dispatch_alarm"]
    )
    for i in range(scale):
        r = times[i]
        street, community, cat, risk = draws[i]
        limits = world.limits[cat.pk, risk]
        sign_l, contact_l, meet_l = limits
        if i in backlog:
            sim = backlog[i]
        else:
            sim = simulate(rng, r, limits, now_s)
            tries = 0
            while fires_in_gap(sim, limits, swept, now_s) and tries < 50:
                sim = simulate(rng, r, limits, now_s)
                tries += 1
            stats.redraws += tries

        month = datetime.fromtimestamp(r, SHANGHAI).strftime("%Y%m")
        counters[street.pk, month] += 1
        number = f"{street.code}-{month}-{counters[street.pk, month]:05d}"
        source = source_pick(rng.random())
        if source == "police_incident" or community.pk not in world.grid or rng.random() < 0.3:
            reporters, reporter_unit = world.police[street.pk]
        else:
            reporters, reporter_unit = world.grid[community.pk]
        reporter = rng.choice(reporters)
        title = rng.choice(TITLES[cat.code])
        if rng.random() < HOT_FLAT_SHARE:  # a flat whose disputes come back
            address = f"{community.name}{rng.randint(1, HOT_FLATS)}号"
        else:
            address = (
                f"{community.name}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋"
                f"{rng.randint(1, 33)}0{rng.randint(1, 4)}室"
            )
        akey = address_keys.get(address)
        if akey is None:
            akey = address_keys[address] = address_key(address)

        lead = assignee = None
        units = world.suggestions.get((cat.pk, community.pk)) or []
        if sim.dispatched is not None and units:
            u = rng.random()
            lead = units[0] if u < 0.8 or len(units) == 1 else units[1 if u < 0.95 else -1]
            people = world.handlers.get(lead) or [None]
            if sim.signed is not None or rng.random() < 0.6:
                assignee = rng.choice(people)
            if rng.random() < 0.1 and len(units) > 1:
                other = rng.choice([x for x in units if x != lead])
                assisting_rows.append(f"{i + 1}\t{other}\n")
        elif sim.dispatched is not None:
            sim = Sim(state="reported")  # no fitting unit: it waits in the queue
        stats.by_state[sim.state] += 1

        sign_due = contact_due = meet_due = None
        sign_ok = contact_ok = meet_ok = None
        if sim.dispatched is not None:
            sign_due = sim.dispatched + sign_l
        if sim.signed is not None:
            sign_ok = sim.signed <= sign_due
            contact_due, meet_due = sim.signed + contact_l, sim.signed + meet_l
        if sim.contacted is not None:
            contact_ok = sim.contacted <= contact_due
        if sim.met is not None:
            meet_ok = sim.met <= meet_due
        for stage, stage_due, limit in running(sim, limits):
            fire, level = alert(stage_due, limit, swept)
            if fire is not None:
                alarm_rows.append(f"{i + 1}\t{stage}\t{level}\t{ts(fire)}\n")

        contact_method = contact_note = ""
        place = participants = result = ""
        outcome = referral = summary = grade = cancel_reason = ""
        if sim.contacted is not None:
            contact_method = rng.choice(CONTACT_METHODS)
            contact_note = "已联系双方当事人，约定调解时间。"
        if sim.met is not None:
            place = f"{community.name}调解室"
            participants = "双方当事人、调解员"
            result = "组织双方面对面调解。"
        if sim.closed is not None:
            outcome = outcome_pick(rng.random())
            if outcome in ("mediated", "partly_mediated"):
                grade = grade_pick(rng.random())
                summary = "双方达成调解协议，按期履行。"
            elif outcome == "failed":
                referral = rng.choice(REFERRALS)
                summary = "调解不成，已告知当事人其他救济途径。"
            else:
                summary = "当事人撤回申请。"
        if sim.cancelled is not None:
            cancel_reason = "重复报单"

        order_rows.append(
            "\t".join(
                (
                    str(i + 1),
                    number,
                    title,
                    f"{address}，{title}，当事人请求调解。",
                    str(cat.pk),
                    source,
                    str(street.pk),
                    str(community.pk),
                    address,
                    risk,
                    str(reporter),
                    str(reporter_unit),
                    num(lead),
                    num(assignee),
                    sim.state,
                    ts(r),
                    ts(sim.dispatched),
                    ts(sim.signed),
                    ts(sim.contacted),
                    ts(sim.met),
                    ts(sim.closed),
                    ts(sim.cancelled),
                    secs(sign_l if sim.dispatched is not None else None),
                    secs(contact_l if sim.signed is not None else None),
                    secs(meet_l if sim.signed is not None else None),
                    ts(sign_due),
                    ts(contact_due),
                    ts(meet_due),
                    boolean(sign_ok),
                    boolean(contact_ok),
                    boolean(meet_ok),
                    contact_method,
                    contact_note,
                    place,
                    participants,
                    result,
                    outcome,
                    referral,
                    summary,
                    grade,
                    cancel_reason,
                    akey,
                )
            )
            + extra_tail
            + "\n"
        )
        if len(order_rows) >= CHUNK:
            copy_rows("disputes_order", columns, order_rows)
            order_rows.clear()
    if order_rows:
        copy_rows("disputes_order", columns, order_rows)
    if assisting_rows:
        copy_rows("disputes_order_assisting_units", ["order_id", "unit_id"], assisting_rows)
    copy_rows("dispatch_alarm", ["order_id", "stage", "level", "fire_at"], alarm_rows)
    stats.orders = scale
    stats.rows["orders"] = scale
    stats.rows["assisting units"] = len(assisting_rows)
    stats.seconds["orders"] = time.perf_counter() - t0

    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('disputes_order', 'id'), %s)", [max(scale, 1)]
        )
    OrderNumberCounter.objects.bulk_create(
        [OrderNumberCounter(street_id=s, month=m, last=n) for (s, m), n in counters.items()],
        ignore_conflicts=True,
    )

    t0 = time.perf_counter()
    _derived_rows(rng, world, now_s, swept, stats, log, only=derived)
    stats.seconds["derived rows"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _recreate_indexes(dropped)
    _fast_load_end(legacy_replication)
    stats.seconds["indexes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    vacuum_analyze()
    stats.seconds["vacuum analyze"] = time.perf_counter() - t0
    stats.seconds["total"] = time.perf_counter() - t_start
    return stats


def vacuum_analyze() -> None:
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")


# --- bulk-load helpers -----------------------------------------------------------------------


def _fast_load_begin() -> bool:
    """Skip FK triggers while loading, when this role may (a superuser)."""
    with connection.cursor() as cur:
        try:
            cur.execute("SET session_replication_role = replica")
            return True
        except Exception:  # noqa: BLE001 - not a superuser: load with the checks on
            return False


def _fast_load_end(enabled: bool) -> None:
    if enabled:
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = DEFAULT")


DERIVED_TABLES = [
    "disputes_orderevent",
    "disputes_party",
    "disputes_incident",
    "disputes_review",
    "disputes_returnvisit",
    "dispatch_escalation",
]


def _drop_secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """Drop indexes that back no constraint; returns (name, definition) to rebuild."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
            """,
            [tables],
        )
        found = cur.fetchall()
        for name, _definition in found:
            cur.execute(f'DROP INDEX "{name}"')
    return found


def _recreate_indexes(dropped: list[tuple[str, str]]) -> None:
    """Rebuild them. A partitioned table's index is defined ``ON ONLY`` the parent (its
    partitions' indexes are attached one by one); rebuilt as written it would stay an
    empty, invalid parent, so it is rebuilt ``ON`` the table: on every partition."""
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in dropped:
            cur.execute(definition.replace(" ON ONLY ", " ON ", 1))
        cur.execute(
            "SELECT string_agg(i.relname, ', ') FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE NOT x.indisvalid"
        )
        invalid = cur.fetchone()[0]
    if invalid:
        raise RuntimeError(f"indexes left invalid after generation: {invalid}")


def person_pool_size(scale: int) -> tuple[int, int]:
    """(people seen once, people who come back): two parties an order, a third for one
    order in ten, and the repeat applicants."""
    repeaters = max(1, scale * REPEAT_PER_MILLE // 1000 // REPEAT_VISITS)
    return 2 * scale + scale // 10 + 1, repeaters


def _person_pool(rng: random.Random, scale: int) -> None:
    """Valid names, phones and ID numbers, with their radar keys (disputes/radar.py)."""
    once, repeaters = person_pool_size(scale)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_person")
        cur.execute(
            "CREATE UNLOGGED TABLE bench_person (i int PRIMARY KEY, name text, phone text, "
            "id_number text, phone_key text, id_key text)"
        )
    rows = []
    surnames, given = list(SURNAMES), list(GIVEN)
    for i in range(once + repeaters):
        name = rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if i % 3 else "")
        # Distinct for distinct i (7919 is prime to 10**9): no repeats but the planned ones.
        phone = f"1{3 + i % 7}{(i * 7919 + 12345) % 1_000_000_000:09d}"
        # Distinct too: a birth date per thousand people (a week apart), then i's last digits.
        birth = datetime(1950, 1, 1) + timedelta(days=7 * (i // 1000))
        first17 = f"35058{1 + i % 3}{birth:%Y%m%d}{i % 1000:03d}"
        id_number = first17 + id_check_digit(first17)
        rows.append(
            f"{i}\t{name}\t{phone}\t{id_number}\t{phone_key(phone)}\t{id_number_key(id_number)}\n"
        )
        if len(rows) >= CHUNK:
            copy_rows(
                "bench_person", ["i", "name", "phone", "id_number", "phone_key", "id_key"], rows
            )
            rows.clear()
    if rows:
        copy_rows("bench_person", ["i", "name", "phone", "id_number", "phone_key", "id_key"], rows)


def _derived_rows(
    rng: random.Random, world: World, now_s: float, swept: float, stats, log, only=None
):
    """Parties, escalations, timeline events, reviews and return visits, in SQL."""
    scale = stats.orders
    _person_pool(rng, scale)
    once, repeaters = person_pool_size(scale)
    dropped = _drop_secondary_indexes(DERIVED_TABLES)
    street_dispatcher = "".join(
        f"{street_id}\t{users[0]}\n" for street_id, users in world.dispatchers.items() if users
    )
    street_police = "".join(
        f"{street_id}\t{users[0]}\n" for street_id, (users, _unit) in world.police.items()
    )
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_street_user")
        cur.execute("CREATE UNLOGGED TABLE bench_street_user (street_id int, user_id int, k text)")
    copy_rows(
        "bench_street_user",
        ["street_id", "user_id", "k"],
        [line.rstrip("\n") + "\tdispatcher\n" for line in street_dispatcher.splitlines(True)]
        + [line.rstrip("\n") + "\tpolice\n" for line in street_police.splitlines(True)],
    )
    swept_at = datetime.fromtimestamp(swept, UTC)
    steps = [
        (
            "parties",
            """
            INSERT INTO disputes_party (order_id, name, role, phone, id_number,
                is_elderly_alone, is_disabled, has_mental_illness, is_minor, confirmed_at,
                phone_key, id_key, sms_consent)
            SELECT o.id, p.name, r.role, p.phone, p.id_number,
                   (o.id + r.n) %% 97 = 0, (o.id + r.n) %% 211 = 0,
                   o.category_id = %(crisis)s AND r.n = 1, (o.id + r.n) %% 157 = 0,
                   o.closed_at, p.phone_key, p.id_key, false
            FROM disputes_order o
            CROSS JOIN (VALUES (1, 'applicant'), (2, 'respondent'), (3, 'other')) r(n, role)
            JOIN bench_person p ON p.i = CASE
                -- a returning applicant (the radar's repeats), else someone seen once
                WHEN r.n = 1 AND (o.id * 2654435761) %% 1000 < %(repeat_per_mille)s
                    THEN %(once)s + (o.id * 40503) %% %(repeaters)s
                WHEN r.n = 3 THEN 2 * %(scale)s + o.id / 10
                ELSE 2 * (o.id - 1) + r.n - 1 END
            WHERE r.n < 3 OR o.id %% 10 = 0
            """,
        ),
        (
            "incidents",
            # The police incidents the police-incident orders were made from: caller =
            # applicant, same address and community, received ten minutes before.
            """
            INSERT INTO disputes_incident (number, received_at, type_id, summary, address,
                community_id, caller_name, caller_phone, order_id, submitted_by_id,
                created_at, caller_phone_key, address_key, link_kind)
            SELECT 'J' || o.number, o.reported_at - interval '10 minutes', %(incident_type)s,
                   o.title, o.address, o.community_id, p.name, p.phone, o.id, NULL,
                   o.reported_at, p.phone_key, o.address_key, ''  -- made by the intake
            FROM disputes_order o
            JOIN disputes_party p ON p.order_id = o.id AND p.role = 'applicant'
            WHERE o.source = 'police_incident'
            """,
        ),
        (
            "escalations",
            """
            INSERT INTO dispatch_escalation (order_id, stage, level, stage_due_at, fire_at,
                raised_at, resolved_at, unit_id, notified_at)
            SELECT id, stage, lvl, due, fire, fire + interval '20 seconds', ended,
                   lead_unit_id, fire + interval '20 seconds'
            FROM (
                SELECT o.id, o.lead_unit_id, s.stage, s.due, s.ended, l.lvl,
                       CASE l.lvl WHEN 0 THEN s.due - s.lim / 5 WHEN 1 THEN s.due
                                  ELSE s.due + s.lim END AS fire
                FROM disputes_order o
                CROSS JOIN LATERAL (VALUES
                    ('sign', o.sign_due_at, o.sign_limit,
                     COALESCE(o.signed_at, o.cancelled_at)),
                    ('contact', o.contact_due_at, o.contact_limit,
                     COALESCE(o.contacted_at, o.cancelled_at)),
                    ('meet', o.meet_due_at, o.meet_limit, COALESCE(o.met_at, o.cancelled_at))
                ) s(stage, due, lim, ended)
                CROSS JOIN (VALUES (0), (1), (2)) l(lvl)
                WHERE s.due IS NOT NULL
            ) f
            WHERE fire <= LEAST(COALESCE(ended, 'infinity'), %(swept)s)
            """,
        ),
        ("timeline events", None),
        (
            "reviews",
            """
            INSERT INTO disputes_review (order_id, party_id, token, rating, comment,
                created_at, submitted_at)
            SELECT p.order_id, p.id, md5('review' || p.id),
                   CASE WHEN p.id %% 20 < 11 THEN
                        CASE WHEN p.id %% 13 = 0 THEN 'bad' ELSE 'good' END ELSE '' END,
                   '', o.closed_at,
                   CASE WHEN p.id %% 20 < 11 THEN o.closed_at + interval '1 day' END
            FROM disputes_party p JOIN disputes_order o ON o.id = p.order_id
            WHERE o.state = 'closed'
            """,
        ),
        (
            "return visits",
            """
            INSERT INTO disputes_returnvisit (order_id, visited_by_id, visited_at, satisfied,
                note, agreement_kept, follow_up)
            SELECT o.id, u.user_id, o.closed_at + (2 + o.id %% 6) * interval '1 day',
                   o.id %% 17 <> 0, '电话回访，当事人表示协议已履行。',
                   CASE WHEN o.outcome IN ('mediated', 'partly_mediated') THEN 'yes'
                        ELSE '' END,
                   CASE WHEN o.id %% 17 = 0 THEN 'second_visit' ELSE '' END
            FROM disputes_order o
            JOIN bench_street_user u ON u.street_id = o.street_id AND u.k = 'police'
            WHERE o.state = 'closed' AND o.id %% 10 < 3
              AND o.closed_at + (2 + o.id %% 6) * interval '1 day' <= %(now)s
            """,
        ),
    ]
    crisis = world.categories["crisis"].pk if "crisis" in world.categories else 0
    params = {
        "crisis": crisis,
        "scale": scale,
        "once": once,
        "repeaters": repeaters,
        "repeat_per_mille": REPEAT_PER_MILLE,
        "incident_type": _incident_type(),
        "swept": swept_at,
        "now": datetime.fromtimestamp(now_s, UTC),
    }
    for name, sql in steps:
        if only is not None and name not in only:
            continue
        t0 = time.perf_counter()
        if sql is None:
            stats.rows[name] = _timeline(params)
        else:
            with connection.cursor() as cur:
                cur.execute(sql, params)
                stats.rows[name] = cur.rowcount
        log(f"  {name}: {stats.rows[name]:,} rows in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cur:
        for table in DERIVED_TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        cur.execute("DROP TABLE bench_person")
        cur.execute("DROP TABLE bench_street_user")
    t0 = time.perf_counter()
    _recreate_indexes(dropped)
    log(f"  indexes of derived tables rebuilt in {time.perf_counter() - t0:.1f} s")


# Every event of every order, in timeline order: the transitions the order's columns
# record, and one "escalated" event per escalation raised (20 s after it fired).
EVENTS_SELECT = """
SELECT order_id, kind, actor, at, from_state, to_state, note, data, k
FROM (
    SELECT o.id AS order_id, e.kind, e.actor, e.at, e.from_state, e.to_state, e.note,
           e.data, e.k
    FROM disputes_order o
    LEFT JOIN bench_street_user d ON d.street_id = o.street_id AND d.k = 'dispatcher'
    CROSS JOIN LATERAL (VALUES
        ('reported', o.reporter_id, o.reported_at, '', 'reported', '', '{}'::jsonb, 1),
        ('dispatched', d.user_id, o.dispatched_at, 'reported', 'dispatched', '',
         jsonb_build_object('sign_due_at', %(local_iso)s(o.sign_due_at)), 2),
        ('signed', o.assignee_id, o.signed_at, 'dispatched', 'signed', '',
         jsonb_build_object('on_time', o.sign_on_time,
                            'contact_due_at', %(local_iso)s(o.contact_due_at),
                            'meet_due_at', %(local_iso)s(o.meet_due_at)), 3),
        ('contacted', o.assignee_id, o.contacted_at, 'signed', 'contacted',
         o.contact_note, jsonb_build_object('method', o.contact_method,
                                            'on_time', o.contact_on_time), 4),
        ('met', o.assignee_id, o.met_at, 'contacted', 'met', o.meeting_result,
         jsonb_build_object('place', o.meeting_place, 'on_time', o.meet_on_time), 5),
        ('closed', o.assignee_id, o.closed_at, 'met', 'closed', o.agreement_summary,
         jsonb_build_object('outcome', o.outcome, 'grade', o.grade), 6),
        ('cancelled', d.user_id, o.cancelled_at, '', 'cancelled', o.cancel_reason,
         '{}'::jsonb, 7)
    ) e(kind, actor, at, from_state, to_state, note, data, k)
    WHERE e.at IS NOT NULL
    UNION ALL
    SELECT e.order_id, 'escalated', NULL, e.raised_at, '', '',
           CASE e.level WHEN 0 THEN '【临期预警】' WHEN 1 THEN '【一级督办】'
                        ELSE '【二级督办】' END || o.number,
           jsonb_build_object('escalation_id', e.id, 'stage', e.stage, 'level', e.level,
                              'stage_due_at', %(local_iso)s(e.stage_due_at)),
           10 + e.level
    FROM dispatch_escalation e JOIN disputes_order o ON o.id = e.order_id
) ev
"""
# Python's isoformat(): microseconds only when there are some (the chain's replay compares).
LOCAL_ISO = (
    "CREATE OR REPLACE FUNCTION pg_temp.bench_local_iso(t timestamptz) RETURNS text "
    "LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(t AT TIME ZONE 'Asia/Shanghai', "
    "CASE WHEN date_trunc('second', t) = t THEN 'YYYY-MM-DD\"T\"HH24:MI:SS' "
    "ELSE 'YYYY-MM-DD\"T\"HH24:MI:SS.US' END) || '+08:00' $$"
)


def _incident_type() -> int:
    """The incident type of the generated incidents (a dispute type)."""
    from disputes.incidents import incident_types_seed
    from disputes.models import IncidentType

    incident_types_seed()
    found = IncidentType.objects.filter(is_dispute=True).order_by("pk").first()
    if found is None:
        found = IncidentType.objects.create(code="JF-LL", name="邻里纠纷", is_dispute=True)
    return found.pk


def _columns(table: str) -> set[str]:
    with connection.cursor() as cur:
        return {c.name for c in connection.introspection.get_table_description(cur, table)}


def _timeline(params: dict) -> int:
    """Write the events; number them (``seq``) and hash-chain them (``hash``, the
    order's ``timeline_seq``/``timeline_hash``) when the schema has the timeline chain."""
    event_cols = _columns("disputes_orderevent")
    order_cols = _columns("disputes_order")
    with connection.cursor() as cur:
        cur.execute(LOCAL_ISO)
    select = EVENTS_SELECT.replace("%(local_iso)s", "pg_temp.bench_local_iso")
    base = ["order_id", "kind", "actor_id", "at", "from_state", "to_state", "note", "data"]
    try:
        from disputes.chain import event_hash
    except ImportError:
        event_hash = None
    if "seq" not in event_cols:
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO disputes_orderevent ({', '.join(base)}) "
                f"SELECT order_id, kind, actor, at, from_state, to_state, note, data "
                f"FROM ({select}) x",
                params,
            )
            return cur.rowcount
    if event_hash is None or "hash" not in event_cols:
        extra = ", ''" if "hash" in event_cols else ""
        cols = base + ["seq"] + (["hash"] if extra else [])
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO disputes_orderevent ({', '.join(cols)}) "
                f"SELECT order_id, kind, actor, at, from_state, to_state, note, data, "
                f"row_number() OVER (PARTITION BY order_id ORDER BY at, k){extra} "
                f"FROM ({select}) x ORDER BY order_id, at, k",
                params,
            )
            written = cur.rowcount
            if "timeline_seq" in order_cols:
                cur.execute(
                    "UPDATE disputes_order o SET timeline_seq = c.n FROM (SELECT order_id, "
                    "count(*) n FROM disputes_orderevent GROUP BY order_id) c "
                    "WHERE o.id = c.order_id"
                )
        return written
    return _chained_timeline(select, params, order_cols)


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _chained_timeline(select, params, order_cols) -> int:
    """Stream the events in timeline order, number and hash each after the previous one
    of its order exactly as ``disputes.chain`` does, and COPY them in that order (so each
    order's ids follow its timeline); then store each order's head.

    The hashing is Python's work, one event after another within an order but independent
    across orders: the orders are cut into id ranges, one forked process each
    (``BENCH_GEN_WORKERS``, default one per CPU), each with its own connection and COPY."""
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM disputes_order")
        lo, hi = cur.fetchone()
        cur.execute("DROP TABLE IF EXISTS bench_heads")
        cur.execute("CREATE UNLOGGED TABLE bench_heads (order_id bigint, seq int, hash text)")
    written = 0
    if lo is not None:
        workers = max(1, int(os.environ.get("BENCH_GEN_WORKERS") or os.cpu_count() or 1))
        step = (hi - lo) // workers + 1
        ranges = [(lo + i * step, min(hi, lo + (i + 1) * step - 1)) for i in range(workers)]
        if workers == 1:
            written = _chain_range(select, params, *ranges[0])
        else:
            with connection.cursor() as cur:
                cur.execute("SHOW session_replication_role")
                fast = cur.fetchone()[0] == "replica"
            connections.close_all()  # a forked child must not share the parent's socket
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                written = sum(
                    pool.starmap(_chain_range, [(select, params, a, b) for a, b in ranges])
                )
            if fast:  # the new connection's session, as the closed one was
                _fast_load_begin()
    if "timeline_seq" in order_cols:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE disputes_order o SET timeline_seq = h.seq, timeline_hash = h.hash "
                "FROM bench_heads h WHERE o.id = h.order_id"
            )
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_heads")
    return written


def _chain_range(select: str, params: dict, lo: int, hi: int) -> int:
    """Number, hash and COPY the events of the orders with ids in [lo, hi], and their heads."""
    from disputes.chain import event_hash

    cols = ["order_id", "kind", "actor_id", "at", "from_state", "to_state", "note", "data"]
    cols += ["seq", "hash"]
    written = 0
    rows: list[str] = []
    heads: list[str] = []
    current, prev, seq = None, "", 0
    _fast_load_begin()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(LOCAL_ISO)
        named = connection.connection.cursor(name="bench_events")
        named.itersize = 20_000
        named.execute(
            f"SELECT * FROM ({select}) r WHERE order_id BETWEEN %(lo)s AND %(hi)s "
            "ORDER BY order_id, at, k",
            {**params, "lo": lo, "hi": hi},
        )
        for order_id, kind, actor, at, from_state, to_state, note, data, _k in named:
            if order_id != current:
                if current is not None:
                    heads.append(f"{current}\t{seq}\t{prev}\n")
                current, prev, seq = order_id, "", 0
            seq += 1
            if isinstance(data, str):  # Django's connection leaves jsonb undecoded
                data = json.loads(data)
            prev = event_hash(
                prev=prev,
                order_id=order_id,
                seq=seq,
                kind=kind,
                actor_id=actor,
                at=at,
                from_state=from_state,
                to_state=to_state,
                note=note,
                data=data,
            )
            rows.append(
                "\t".join(
                    (
                        str(order_id),
                        kind,
                        num(actor),
                        at.isoformat(),
                        from_state,
                        to_state,
                        _text(note),
                        _text(json.dumps(data, ensure_ascii=False)),
                        str(seq),
                        prev,
                    )
                )
                + "\n"
            )
            if len(rows) >= CHUNK:
                copy_rows("disputes_orderevent", cols, rows)
                written += len(rows)
                rows.clear()
        named.close()
        if current is not None:
            heads.append(f"{current}\t{seq}\t{prev}\n")
        if rows:
            copy_rows("disputes_orderevent", cols, rows)
            written += len(rows)
        copy_rows("bench_heads", ["order_id", "seq", "hash"], heads)
    return written


def verify_timelines(*, sample: int = 1000, seed: int = 7, log=print) -> dict:
    """Check the hash chain and the replayed fields (``disputes.chain.broken_link``) of a
    random sample of the generated orders, as the application would."""
    from disputes.chain import broken_link

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM disputes_order")
        lo, hi = cur.fetchone()
    rng = random.Random(seed)
    ids = {rng.randint(lo, hi) for _ in range(sample)} | {lo, hi}
    broken = {}
    checked = 0
    for order in Order.objects.filter(pk__in=ids).iterator(chunk_size=500):
        checked += 1
        problem = broken_link(order, order.events.order_by("seq"))
        if problem:
            broken[order.pk] = problem
    seconds = time.perf_counter() - t0
    log(
        f"  timelines verified: {checked - len(broken):,} of {checked:,} sampled orders "
        f"in {seconds:.1f} s" + (f"; first broken: {next(iter(broken.items()))}" if broken else "")
    )
    return {"checked": checked, "broken": len(broken), "seconds": seconds}
