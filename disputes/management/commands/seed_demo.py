"""Load demo data for the Shishi (石狮市) police bureau: ``manage.py seed_demo``.

What it creates
    * the area tree 石狮市 → 2 subdistricts + 7 towns → communities/villages;
    * the dispute categories, the units (street centers, police stations, community and
      mediation committees, city departments, social forces, the supervision office) with
      their covered areas and duty categories, routing rules and extra SLA policies;
    * demo users (password ``demo12345``) with their memberships;
    * ~40 demo orders spread over the last six weeks, in every state, created by calling
      the services in ``disputes.services`` in time order with back-dated ``now=`` values,
      so timelines, due times and on-time flags are genuine. A handful are overdue at the
      moment the command first runs (for the SLA sweep demo).

Idempotency
    * Configuration (areas, categories, units, rules, SLA policies, users, memberships) is
      keyed on natural keys (area parent+code, category code, unit name, rule
      category+area+unit, policy category+risk, username) and upserted, so re-running
      restores the demo configuration without duplicates. Memberships and rules are only
      added, never removed.
    * Passwords are set only when a demo user is created (or has no usable password), so
      re-running never changes a password someone set since.
    * A demo order is identified by (title, reporter username). Orders already present
      are skipped; only missing ones are created (all of them on a fresh database). The
      first run's orders therefore stay, including the ones that were overdue then.
    * The incident desk's week of police incidents (``DEMO_INCIDENTS``: received through
      the intake as the command system's account, some pushed or linked from the desk by
      ``duty``) is made once: a database with any demo incident keeps what it has.

Everything runs in one transaction.
"""

import functools
import json
import logging
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from alliance.models import ActivityKind, JointActivity, VolunteerProfile
from dispatch.models import (
    AllianceKind,
    Area,
    Category,
    Membership,
    Profile,
    Role,
    RoutingRule,
    Unit,
)
from disputes import services
from disputes.actions import ORDER_ACTIONS
from disputes.incidents import incident_types_seed
from disputes.models import Directive, Invitation, Order, SlaPolicy, State
from disputes.services import PartyInput, ReportInput
from disputes.stages import overdue_q
from shishi_mediation.errors import DomainError, InvalidInput
from shishi_mediation.validators import id_check_digit
from training import services as training_services
from training.models import Kind as TrainingKind
from training.models import TrainingSession

DEMO_PASSWORD = "demo12345"
HOUR = 60  # offsets are in minutes
DAY = 24 * HOUR

# --- places ---------------------------------------------------------------------------

CITY = ("SS", "石狮市")
# (code, name, [(code, community/village name), …]); the police station is "<2 chars>派出所".
STREETS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "HB",
        "湖滨街道",
        [("ZK", "曾坑社区"), ("YH", "玉湖社区"), ("HBS", "湖边社区"), ("CS", "厝上社区")],
    ),
    (
        "FL",
        "凤里街道",
        [("XH", "新华社区"), ("LH", "仑后社区"), ("KR", "宽仁社区"), ("DL", "大仑社区")],
    ),
    ("LX", "灵秀镇", [("TY", "塘园村"), ("GH", "古湖村"), ("CK", "钞坑村"), ("HS", "华山村")]),
    ("BG", "宝盖镇", [("TH", "塘后村"), ("GK", "郭坑村"), ("QY", "前园村")]),
    ("HJ", "蚶江镇", [("LD", "莲埭村"), ("SD", "石渡村"), ("ST", "水头村")]),
    ("XZ", "祥芝镇", [("DB", "大堡村"), ("XN", "祥农村"), ("GF", "古浮村")]),
    ("HS", "鸿山镇", [("DP", "东埔村"), ("WB", "伍堡村"), ("QX", "邱下村")]),
    ("JS", "锦尚镇", [("LC", "卢厝村"), ("XC", "谢厝村"), ("DD", "东店村")]),
    ("YN", "永宁镇", [("ML", "梅林村"), ("ZY", "子英村"), ("GB", "港边村"), ("SM", "沙美村")]),
]

CATEGORIES = [
    ("wages", "劳资纠纷", "Wage disputes"),
    ("neighbour", "邻里纠纷", "Neighbour disputes"),
    ("family", "婚姻家庭纠纷", "Marriage and family disputes"),
    ("property", "物业纠纷", "Property management disputes"),
    ("consumer", "消费纠纷", "Consumer disputes"),
    ("traffic", "交通事故纠纷", "Traffic accident disputes"),
    ("land", "土地山林纠纷", "Land and forest disputes"),
    ("crisis", "心理危机/特殊人群", "Psychological crisis / special groups"),
    ("contract", "合同债务纠纷", "Contract and debt disputes"),
    ("medical", "医疗纠纷", "Medical disputes"),
]

LABOUR = "石狮市人力资源和社会保障局"
MARKET = "石狮市市场监督管理局"
HOUSING = "石狮市住房和城乡建设局"
HEALTH = "石狮市卫生健康局"
GARMENT = "石狮市服装行业协会"
VOLUNTEER = "石狮市志愿者协会"
SUPERVISION = "石狮市公安局督导考核办"
LAWYERS = "石狮市律师公益服务团"  # the mediation alliance's lawyers (issue 18)
# The command room pushes dispute-type 警情 to the community police (a police unit).
COMMAND = "石狮市公安局指挥中心"

# (name, kind, duty categories, phone), all at city level.
CITY_UNITS = [
    (LABOUR, Unit.Kind.DEPARTMENT, ["wages"], "0595-88712333"),
    (MARKET, Unit.Kind.DEPARTMENT, ["consumer"], "0595-88712315"),
    (HOUSING, Unit.Kind.DEPARTMENT, ["property"], "0595-88712456"),
    (HEALTH, Unit.Kind.DEPARTMENT, ["medical"], "0595-88712120"),
    (GARMENT, Unit.Kind.SOCIAL_FORCE, ["wages", "contract"], "0595-88716688"),
    (VOLUNTEER, Unit.Kind.SOCIAL_FORCE, ["crisis", "family"], "0595-88719090"),
    (SUPERVISION, Unit.Kind.SUPERVISION, [], "0595-88712110"),
    (COMMAND, Unit.Kind.POLICE_STATION, [], "0595-88712110"),
]

KIND_CATEGORIES = {
    Unit.Kind.STREET_CENTER: ["neighbour", "family", "property", "land", "contract"],
    Unit.Kind.POLICE_STATION: ["neighbour", "family", "traffic", "crisis", "wages", "land"],
    Unit.Kind.COMMUNITY_COMMITTEE: ["neighbour", "family", "property", "crisis"],
    Unit.Kind.MEDIATION_COMMITTEE: ["neighbour", "family", "land", "contract"],
}


def center_name(street: str) -> str:
    return f"{street}多元调处中心"


def police_name(street: str) -> str:
    return f"{street[:2]}派出所"


def committee_name(community: str) -> str:
    return f"{community}居委会" if community.endswith("社区") else f"{community}村民委员会"


def mediation_name(community: str) -> str:
    return f"{community}人民调解委员会"


# (category code, risk level or "", sign, contact, meet) in minutes. The default policy
# (any category, any risk: 30 min / 24 h / 48 h) comes from a data migration.
SLA_POLICIES = [
    (None, "high", 15, 12 * HOUR, 24 * HOUR),
    ("crisis", "", 10, 2 * HOUR, 24 * HOUR),
    ("wages", "high", 15, 4 * HOUR, 24 * HOUR),
]
# (colour, sign, contact, meet) in minutes: a colour's policy beats any category's or
# risk's (``selectors.sla_policy_for``). Red: sign within 15 minutes.
COLOUR_SLA_POLICIES = [("red", 15, 12 * HOUR, 24 * HOUR)]

# --- people ---------------------------------------------------------------------------

# (username, last name, first name, [(unit, role), …], what for)
USERS: list[tuple[str, str, str, list[tuple[str, str]], str]] = [
    ("center", "林", "晓燕", [("湖滨街道多元调处中心", Role.DISPATCHER)], "湖滨街道派单员"),
    (
        "center_head",
        "卢",
        "振华",
        [("湖滨街道多元调处中心", Role.UNIT_HEAD)],
        "湖滨街道多元调处中心主任（派单超时一级督办）",
    ),
    (
        "police",
        "蔡",
        "志强",
        [("湖滨派出所", Role.HANDLER), ("湖滨派出所", Role.REPORTER)],
        "湖滨派出所社区民警（办理+报单）",
    ),
    (
        "committee",
        "王",
        "秀英",
        [("曾坑社区人民调解委员会", Role.HANDLER), ("曾坑社区人民调解委员会", Role.UNIT_HEAD)],
        "曾坑社区调委会主任（办理+负责人）",
    ),
    ("head", "黄", "建国", [("湖滨派出所", Role.UNIT_HEAD)], "湖滨派出所所长"),
    ("supervisor", "施", "明辉", [(SUPERVISION, Role.SUPERVISOR)], "市局督导考核办（全市）"),
    ("admin", "李", "伟", [], "系统管理员（超级用户）"),
    ("grid", "吴", "雅婷", [("曾坑社区居委会", Role.REPORTER)], "曾坑社区网格员"),
    ("center_fl", "郑", "美玲", [("凤里街道多元调处中心", Role.DISPATCHER)], "凤里街道派单员"),
    (
        "leader_hb",
        "黄",
        "建国",
        [("湖滨街道多元调处中心", Role.LEADER)],
        "湖滨街道包案领导（红色订单）",
    ),
    (
        "leader_fl",
        "许",
        "文斌",
        [("凤里街道多元调处中心", Role.LEADER)],
        "凤里街道包案领导（红色订单）",
    ),
    ("labour", "许", "国平", [(LABOUR, Role.HANDLER)], "人社局劳动监察员"),
    (
        "yuhu",
        "洪",
        "素珍",
        [("玉湖社区人民调解委员会", Role.HANDLER), ("玉湖社区人民调解委员会", Role.UNIT_HEAD)],
        "玉湖社区调委会主任",
    ),
    (
        "police_fl",
        "邱",
        "文斌",
        [("凤里派出所", Role.HANDLER), ("凤里派出所", Role.REPORTER)],
        "凤里派出所社区民警（办理+报单）",
    ),
    ("grid_fl", "颜", "丽君", [("新华社区居委会", Role.REPORTER)], "新华社区网格员"),
    (
        "xinhua",
        "姚",
        "金水",
        [("新华社区人民调解委员会", Role.HANDLER), ("新华社区人民调解委员会", Role.UNIT_HEAD)],
        "新华社区调委会主任",
    ),
    ("market", "杨", "帆", [(MARKET, Role.HANDLER)], "市场监管局消费维权科"),
    ("housing", "张", "宏", [(HOUSING, Role.HANDLER)], "住建局物业科"),
    ("volunteer", "卓", "慧敏", [(VOLUNTEER, Role.HANDLER)], "志愿者协会心理援助队"),
    # The mediation alliance (issue 18): a 闽南话-speaking volunteer with nothing but the
    # orders she is invited to, and a lawyer of the lawyers' public-service team.
    (
        "minnan",
        "陈",
        "阿珠",
        [(VOLUNTEER, Role.VOLUNTEER)],
        "志愿者协会志愿者（闽南话·调解；只看受邀协助的订单）",
    ),
    ("lawyer", "洪", "律师", [(LAWYERS, Role.VOLUNTEER)], "律师公益服务团志愿律师"),
    ("command", "陈", "志远", [(COMMAND, Role.REPORTER)], "市局指挥中心（警情推送接口账号）"),
    ("duty", "林", "海峰", [(COMMAND, Role.REPORTER)], "市局指挥中心值班员（警情工作台）"),
]
SUPERUSERS = {"admin"}


def person(
    name: str, role: str, phone: str, region: str, birth: str, seq: int, **flags: bool
) -> PartyInput:
    """A party with a resident ID built from region, birth date and sequence (odd = male),
    completed with its correct check digit."""
    first17 = f"{region}{birth}{seq:03d}"
    assert len(first17) == 17, first17
    return PartyInput(
        name=name,
        role=role,
        phone=phone,
        id_number=first17 + id_check_digit(first17),
        **flags,
    )


APP, RESP, OTHER = "applicant", "respondent", "other"
SS_ID, JJ_ID, NA_ID, HA_ID = "350581", "350582", "350583", "350521"  # 石狮 晋江 南安 惠安

# --- orders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    offset: int  # minutes after the report
    action: str
    actor: str
    args: dict[str, Any]


def dispatch(offset, actor, lead, assignee=None, assisting=(), note="", leader=None) -> Step:
    """``leader``: a red order's 包案 leader (a user name)."""
    args = {"lead": lead, "assignee": assignee, "assisting": assisting, "note": note}
    return Step(offset, "dispatch", actor, {**args, "leader": leader})


def reassign(offset, actor, lead, assignee=None, assisting=(), note="") -> Step:
    args = {"lead": lead, "assignee": assignee, "assisting": assisting, "note": note}
    return Step(offset, "reassign", actor, args)


def sign(offset, actor) -> Step:
    return Step(offset, "sign", actor, {})


def ask_return(offset, actor, reason) -> Step:
    """The lead unit asks to return the order (申请退单); the center reviews it."""
    return Step(offset, "return_request", actor, {"reason": reason})


def review_return(offset, actor, approve, note="") -> Step:
    return Step(offset, "return_review", actor, {"approve": approve, "note": note})


def ask_help(offset, actor, text) -> Step:
    """Under final assignment (终审派单) the lead unit asks for assistance (申请协办)."""
    return Step(offset, "ask_assistance", actor, {"note": text})


def add_assisting(offset, actor, units, text="") -> Step:
    """The center sends more assisting units (增派协办单位; unit names)."""
    return Step(offset, "add_assisting", actor, {"units": units, "note": text})


def assist_sign(offset, actor) -> Step:
    """A handler of an assisting unit signs for its part (协办签收)."""
    return Step(offset, "assist_sign", actor, {})


def assist_opinion(offset, actor, text) -> Step:
    """The assisting unit files its opinion (协办意见), after it signed."""
    return Step(offset, "assist_opinion", actor, {"opinion": text})


def contact(offset, actor, method, note) -> Step:
    return Step(offset, "contact", actor, {"method": method, "note": note})


def meet(offset, actor, place, participants, result) -> Step:
    args = {"place": place, "participants": participants, "result": result}
    return Step(offset, "meet", actor, args)


def close(offset, actor, outcome, summary, grade="", referral="", confirm="all") -> Step:
    """The handler proposes the closing (提交结单; a mediated one with its agreement, the
    facts from the narrative, the terms from ``summary``); then ``confirm``: "all" — the
    parties confirm through their links, the reporter and the center sign off within the
    next quarter hour and it closes; "refused_first" — the first party refuses, mediation
    goes on, a second proposal two hours later is confirmed by all; "pending" — one party
    has confirmed, the rest is awaited."""
    args = {"outcome": outcome, "summary": summary, "grade": grade, "referral": referral}
    return Step(offset, "close", actor, {**args, "confirm": confirm})


def referral_result(offset, actor, outcome, body, case_number="", text="") -> Step:
    """The lead unit records what the receiving body made of the referral (移交跟踪),
    dated the day it is recorded."""
    args = {"outcome": outcome, "body": body, "case_number": case_number, "note": text}
    return Step(offset, "referral_result", actor, args)


def leader_review(offset, actor, text) -> Step:
    return Step(offset, "leader_review", actor, {"note": text})


def recolour(offset, actor, colour, reason, leader=None) -> Step:
    return Step(offset, "recolour", actor, {"colour": colour, "reason": reason, "leader": leader})


def cancel(offset, actor, reason) -> Step:
    return Step(offset, "cancel", actor, {"reason": reason})


def merge(offset, actor, into, reason) -> Step:
    """重复报单合并: merged into the demo order titled ``into`` (reported before it)."""
    return Step(offset, "merge", actor, {"into": into, "reason": reason})


def note(offset, actor, text) -> Step:
    return Step(offset, "note", actor, {"note": text})


def visit(offset, actor, text, satisfied=True, kept="", follow_up="") -> Step:
    """回访: ``kept`` whether the agreement is kept (yes/partly/no); ``follow_up`` after an
    unsatisfied visit: a second visit (the default) or ``reopen`` (重新调解)."""
    args = {"note": text, "satisfied": satisfied, "agreement_kept": kept, "follow_up": follow_up}
    return Step(offset, "return_visit", actor, args)


def pause(offset, actor, stage, reason, minutes, text="") -> Step:
    args = {"stage": stage, "reason": reason, "minutes": minutes, "note": text}
    return Step(offset, "pause", actor, args)


def decide_pause(offset, actor, approve=True, text="") -> Step:
    return Step(offset, "pause_decide", actor, {"approve": approve, "note": text})


def direct(offset, actor, demand, within) -> Step:
    """督办: a reply due ``within`` minutes after it."""
    return Step(offset, "direct", actor, {"demand": demand, "within": within})


def direct_reply(offset, actor, text) -> Step:
    """督办回复 to the order's directive awaiting its reply."""
    return Step(offset, "direct_reply", actor, {"reply": text})


# --- the map (docs/MAP.md) -------------------------------------------------------------------


def demo_location(area_path: str, key: str) -> dict:
    """A point for a demo order inside its community's approximate outline (the GeoJSON
    of ``MAP_COMMUNITY_OUTLINES``), the same for the same order on every run: a spot
    around the outline's centre, within half of its nearest corner's distance."""
    ring = _demo_outlines().get(area_path)
    if not ring:
        return {}
    lng0 = sum(p[0] for p in ring) / len(ring)
    lat0 = sum(p[1] for p in ring) / len(ring)
    reach = min(math.hypot(p[0] - lng0, p[1] - lat0) for p in ring) * 0.5
    rng = random.Random(f"{area_path}{key}")
    angle, radius = rng.uniform(0, 2 * math.pi), reach * math.sqrt(rng.random())
    return {
        "latitude": Decimal(f"{lat0 + radius * math.sin(angle):.6f}"),
        "longitude": Decimal(f"{lng0 + radius * math.cos(angle):.6f}"),
        "location_source": "gps" if rng.random() < 0.7 else "picked",
    }


@functools.cache
def _demo_outlines() -> dict[str, list]:
    found = finders.find(settings.MAP_COMMUNITY_OUTLINES)
    if not found:
        return {}
    with open(found, encoding="utf-8") as f:
        shapes = json.load(f)
    return {
        f["properties"]["area_path"]: f["geometry"]["coordinates"][0][:-1]
        for f in shapes["features"]
        if f.get("geometry", {}).get("type") == "Polygon"
    }


@dataclass
class DemoOrder:
    title: str
    reporter: str
    place: tuple[str, str]  # (street code, community code)
    category: str
    # (days ago, "HH:MM" Asia/Shanghai) for older orders; minutes before now for recent ones
    when: tuple[int, str] | int
    narrative: str
    parties: list[PartyInput]
    steps: list[Step] = field(default_factory=list)
    risk: str = "low"
    source: str = "patrol"
    address: str = ""


ORDERS: list[DemoOrder] = [
    # ====================================================== 湖滨街道: closed ==========
    DemoOrder(
        title="服装厂拖欠12名外来务工人员工资",
        reporter="police",
        place=("HB", "ZK"),
        category="wages",
        when=(38, "09:20"),
        risk="high",
        source="police_incident",
        address="湖滨街道曾坑社区曾坑工业区8号",
        narrative=(
            "曾坑社区一家服装外贸加工厂（主营出口夹克）因海外订单回款延迟，拖欠12名外来务工"
            "人员三个月工资共计21.6万元。今晨工人聚集在厂门口讨薪，情绪激动，110接警后社区"
            "民警到场稳控。厂方负责人称资金周转困难，愿意分期支付；工人多来自贵州、四川，"
            "部分准备返乡，诉求尽快结清。"
        ),
        parties=[
            person("杨光明", APP, "15285712346", "520502", "19850312", 35),
            person("罗小芳", APP, "18781623459", "511602", "19900721", 28),
            person("蔡德辉", RESP, "13905958826", SS_ID, "19761105", 17),
        ],
        steps=[
            dispatch(
                12,
                "center",
                LABOUR,
                "labour",
                ["湖滨派出所", GARMENT],
                "群体性讨薪，人社局牵头，派出所、服装行业协会协办。",
                leader="leader_hb",
            ),
            assist_sign(20, "police"),
            sign(21, "labour"),
            contact(
                50,
                "labour",
                "phone",
                "已电话联系工人代表杨光明、罗小芳及厂方蔡德辉，约定当天下午面谈。",
            ),
            assist_opinion(
                4 * HOUR,
                "police",
                "派出所已安排两名民警在厂区门口值守，工人情绪基本稳定；建议当天面谈时厂方"
                "带齐考勤和工资表，现场核对金额。",
            ),
            meet(
                5 * HOUR,
                "labour",
                "石狮市劳动保障监察大队调解室",
                "人社局许国平、湖滨派出所蔡志强、服装行业协会代表、工人代表2名、厂方负责人",
                "逐一核对12名工人的考勤与工资表，确认欠薪21.6万元；服装行业协会协调面料"
                "供应商延后结账，厂方同意分两期支付。",
            ),
            leader_review(
                3 * DAY + 9 * HOUR,
                "leader_hb",
                "已听取人社局汇报，首期款到位、余款有还款计划，同意结单；余款到账情况由派出所回访。",
            ),
            close(
                3 * DAY + 10 * HOUR,
                "labour",
                "mediated",
                "厂方当场支付首期12万元，余款9.6万元于30日内付清；双方签署人民调解协议书，"
                "工人代表签字确认。",
                grade="major",
            ),
            visit(33 * DAY, "police", "余款已按期全部付清，12名工人均已领取，无反复。"),
        ],
    ),
    DemoOrder(
        title="曾坑社区金曾花园5楼与6楼住户噪音纠纷",
        reporter="police",
        place=("HB", "ZK"),
        category="neighbour",
        when=(33, "20:40"),
        source="police_incident",
        address="湖滨街道曾坑社区金曾花园3幢",
        narrative=(
            "6楼住户家中两名孩子晚间跑跳、拖动桌椅，5楼住户多次上楼敲门交涉未果。今晚双方"
            "在楼道发生争吵并推搡，5楼住户报警。民警到场劝开，双方无人受伤，但积怨较深，"
            "需社区调解。"
        ),
        parties=[
            person("施秀琴", APP, "13860712235", SS_ID, "19680417", 26),
            person("邱建伟", RESP, "15959832761", SS_ID, "19840902", 33),
        ],
        steps=[
            dispatch(13 * HOUR, "center", "曾坑社区人民调解委员会", "committee"),
            sign(13 * HOUR + 18, "committee"),
            contact(
                15 * HOUR,
                "committee",
                "visit",
                "与网格员分别上门走访两户，了解噪音时段和孩子作息情况。",
            ),
            meet(
                DAY + 20 * HOUR,
                "committee",
                "曾坑社区人民调解室",
                "调委会王秀英、网格员吴雅婷、双方当事人",
                "6楼同意在客厅铺设地垫、晚9点后孩子不再跑跳；5楼不再上楼拍门，有问题先找网格员。",
            ),
            close(
                DAY + 21 * HOUR,
                "committee",
                "mediated",
                "双方签订调解协议：6楼铺设地垫并控制夜间噪音；5楼有问题先联系网格员协调。",
                grade="simple",
            ),
            # Late (due 7 days after closing) and unsatisfied: a second visit in 3 days.
            visit(
                12 * DAY,
                "committee",
                "6楼住户反映楼上夜间仍有拖拽家具声，协议部分履行，不满意。",
                satisfied=False,
                kept="partly",
            ),
            visit(
                14 * DAY, "committee", "楼上已加装地垫，夜间噪音明显减少，双方满意。", kept="yes"
            ),
        ],
    ),
    DemoOrder(
        title="金曾花园3幢楼上楼下因噪音吵架",
        reporter="grid",
        place=("HB", "ZK"),
        category="neighbour",
        when=(32, "08:30"),
        address="湖滨街道曾坑社区金曾花园3幢",
        narrative="网格巡查时居民反映，昨晚金曾花园3幢5楼、6楼住户因噪音吵架，派出所已出警。",
        parties=[person("施秀琴", APP, "13860712235", SS_ID, "19680417", 26)],
        steps=[
            note(20, "grid", "5楼施阿姨说昨晚吵完后一夜没睡，血压偏高，希望尽快调解。"),
            merge(
                40,
                "center",
                "曾坑社区金曾花园5楼与6楼住户噪音纠纷",
                "重复报单：与前一晚派出所报送的5楼、6楼噪音纠纷为同一事件，并入该单办理。",
            ),
        ],
    ),
    # The repeat radar (重复纠纷, issue 17): the same flat and the same people a month on,
    # its address written otherwise; and the respondent's phone in another dispute.
    DemoOrder(
        title="金曾花园3幢5楼与6楼噪音纠纷再起",
        reporter="police",
        place=("HB", "ZK"),
        category="neighbour",
        when=(2, "21:30"),
        address="湖滨街道曾坑社区金曾花园三幢",
        narrative=(
            "调解后一个月，5楼住户再次报警称6楼夜间噪音又起，双方在楼道争吵。"
            "民警到场劝开，建议社区再次调解。"
        ),
        parties=[
            person("施秀琴", APP, "13860712235", SS_ID, "19680417", 26),
            person("邱建伟", RESP, "15959832761", SS_ID, "19840902", 33),
        ],
    ),
    DemoOrder(
        title="装修工人讨要工钱",
        reporter="police",
        place=("HB", "YH"),
        category="wages",
        when=(1, "10:05"),
        address="湖滨街道玉湖社区玉湖路88号",
        narrative="三名装修工人反映雇主拖欠工钱六千元，多次催讨未果。",
        parties=[
            person("黄明", APP, "13905951234", SS_ID, "19790312", 51),
            person("邱建伟", RESP, "15959832761", SS_ID, "19840902", 33),
        ],
    ),
    DemoOrder(
        title="精神障碍患者病情波动，家庭无力承担治疗费用",
        reporter="grid",
        place=("HB", "ZK"),
        category="crisis",
        when=(21, "10:15"),
        risk="high",
        address="湖滨街道曾坑社区曾坑南路17号",
        narrative=(
            "曾坑社区居民王某（39岁）患精神分裂症多年，近期自行停药后情绪不稳，夜间砸物、"
            "扬言轻生。其母年近七旬独自照料，家庭依靠低保生活，无力承担住院及长期服药费用，"
            "母亲多次向网格员哭诉。需派出所、社区、志愿者联合评估风险并落实救助。"
        ),
        parties=[
            person("林秀治", APP, "13599258147", SS_ID, "19570109", 24),
            person("王志斌", OTHER, "18050716638", SS_ID, "19870623", 19, has_mental_illness=True),
        ],
        steps=[
            dispatch(
                15,
                "center",
                "湖滨派出所",
                "police",
                [VOLUNTEER, "曾坑社区居委会"],
                "高风险，优先处置。",
                leader="leader_hb",
            ),
            sign(22, "police"),
            contact(
                40,
                "police",
                "visit",
                "与社区医生、网格员一同上门，患者情绪暂时平稳，已劝其恢复服药。",
            ),
            meet(
                6 * HOUR,
                "police",
                "曾坑社区党群服务中心",
                "湖滨派出所蔡志强、曾坑社区居委会、志愿者协会卓慧敏、社区医生、患者母亲林秀治",
                "评估为中高风险；协调民政临时救助3000元，申请纳入严重精神障碍患者免费服药，"
                "志愿者每周两次上门陪护。",
            ),
            leader_review(
                3 * DAY,
                "leader_hb",
                "救助和服药已落实，风险可控；长期费用纳入关爱帮扶名单跟进，同意结单。",
            ),
            close(
                4 * DAY,
                "police",
                "partly_mediated",
                "患者已由母亲陪同到市医院复诊并恢复服药；临时救助已到位，免费服药申请已受理。"
                "长期住院费用仍需跟进，已纳入社区关爱帮扶名单。",
                grade="complex",
            ),
            visit(14 * DAY, "police", "患者按时服药，情绪平稳，志愿者陪护正常。"),
        ],
    ),
    DemoOrder(
        title="玉湖社区某小区业主以电梯故障为由拒交物业费",
        reporter="center",
        place=("HB", "YH"),
        category="property",
        when=(27, "15:30"),
        risk="medium",
        source="hotline",
        address="湖滨街道玉湖社区玉湖新城2号楼",
        narrative=(
            "玉湖新城2号楼电梯自年初以来多次故障停运，业主认为物业维修不及时，二十余户集体"
            "拒交物业费；物业公司在楼道张贴催缴通知并称将停止保洁服务。双方在业主群中言辞"
            "激烈，有业主扬言到物业办公室讨说法，业主代表拨打12345热线求助。"
        ),
        parties=[
            person("洪志勇", APP, "13959723310", SS_ID, "19791214", 39),
            person("郭丽萍", RESP, "15060538872", JJ_ID, "19830530", 22),
        ],
        steps=[
            dispatch(20, "center", "湖滨派出所"),
            ask_return(40, "head", "物业服务合同纠纷，不属于派出所职责，建议改派住建部门牵头。"),
            review_return(45, "center", True),
            dispatch(
                70,
                "center",
                HOUSING,
                "housing",
                ["玉湖社区人民调解委员会"],
                "派出所退单，改派住建局牵头，玉湖社区调委会协办。",
            ),
            sign(85, "housing"),
            contact(
                DAY + 22 * HOUR,
                "housing",
                "phone",
                "电话联系业主代表洪志勇和物业经理郭丽萍，双方同意到调处中心面谈。",
            ),
            meet(
                DAY + 23 * HOUR + 30,
                "housing",
                "湖滨街道多元调处中心调解室",
                "住建局张宏、玉湖社区调委会洪素珍、业主代表3名、物业公司经理",
                "物业出示近半年电梯维保记录，承认配件更换拖延；业主同意在电梯修复后补交物业费。",
            ),
            close(
                6 * DAY,
                "housing",
                "partly_mediated",
                "物业公司承诺15日内更换电梯主板并公示维保记录，停运期间物业费减免20%；多数业主"
                "同意补交其余物业费，个别业主仍有异议，引导通过业主委员会协商。",
                grade="ordinary",
            ),
        ],
    ),
    DemoOrder(
        title="离婚后子女抚养权及探视争执",
        reporter="center",
        place=("HB", "YH"),
        category="family",
        when=(24, "14:05"),
        risk="medium",
        source="walk_in",
        address="湖滨街道玉湖社区玉湖花园",
        narrative=(
            "男方陈某与女方李某协议离婚后，对8岁儿子的抚养安排反复争执。男方指责女方阻挠"
            "探视，今天到女方住处强行接孩子，双方在小区门口争吵，孩子受到惊吓。女方到街道"
            "多元调处中心求助。"
        ),
        parties=[
            person("李雅琳", APP, "15880946513", NA_ID, "19890211", 44),
            person("陈俊杰", RESP, "13805952267", SS_ID, "19860819", 51),
            person("陈子轩", OTHER, "", SS_ID, "20171003", 13, is_minor=True),
        ],
        steps=[
            dispatch(25, "center", "玉湖社区人民调解委员会", "yuhu", ["湖滨派出所"]),
            assist_sign(35, "police"),
            sign(40, "yuhu"),
            contact(
                5 * HOUR, "yuhu", "phone", "分别电话联系双方，男方情绪激动，同意先暂停强行接孩子。"
            ),
            assist_opinion(
                DAY,
                "police",
                "已对男方进行法治教育，告知强行接走孩子可能违法；调解时派出所派员在场。",
            ),
            meet(
                2 * DAY + 20 * HOUR,
                "yuhu",
                "玉湖社区人民调解室",
                "调委会洪素珍、湖滨派出所民警、双方当事人",
                "双方就探视频次和抚养费金额分歧较大：男方要求每周末带走孩子，女方只同意每月两次。",
            ),
            close(
                5 * DAY,
                "yuhu",
                "failed",
                "双方在探视安排和抚养费金额上分歧较大，调解不成；已告知双方可向石狮市人民法院"
                "起诉，并提供法律援助指引。",
                referral="court",
            ),
            referral_result(
                12 * DAY,
                "yuhu",
                "accepted",
                "石狮市人民法院",
                "闽0581民初4471号",
                "女方已起诉，法院立案并排期开庭；调委会继续关注孩子探视安排。",
            ),
        ],
    ),
    DemoOrder(
        title="电动车与小轿车路口刮擦赔偿争议",
        reporter="police",
        place=("HB", "HBS"),
        category="traffic",
        when=(16, "07:50"),
        source="police_incident",
        address="湖滨街道湖滨路与长福路交叉口",
        narrative=(
            "早高峰时段，一辆电动自行车在湖滨路与长福路交叉口与右转小轿车发生刮擦，骑手"
            "膝盖擦伤，两车轻微受损。交警已按简易程序认定小轿车负主要责任，双方对医药费、"
            "误工费金额各执一词。"
        ),
        parties=[
            person("田永福", APP, "17750231185", "430521", "19920408", 57),
            person("蔡雅惠", RESP, "13615958024", SS_ID, "19911226", 48),
        ],
        steps=[
            dispatch(35, "center", "湖滨派出所", "police"),
            sign(35 + 48, "police"),
            contact(2 * HOUR, "police", "phone", "电话联系双方，约定下午到所调解。"),
            meet(
                7 * HOUR,
                "police",
                "湖滨派出所调解室",
                "湖滨派出所蔡志强、双方当事人",
                "核对门诊票据及维修报价，小轿车方同意承担医药费、误工费及电动车维修费。",
            ),
            close(
                7 * HOUR + 40,
                "police",
                "mediated",
                "小轿车方一次性赔偿医药费、误工费及车辆维修费共计1800元，当场支付，双方签字确认。",
                grade="simple",
            ),
            visit(6 * DAY, "police", "赔偿款已付清，车辆已修好，双方无异议。", kept="yes"),
        ],
    ),
    DemoOrder(
        title="小吃店转让停业，拖欠厨师两个月工资",
        reporter="center",
        place=("HB", "YH"),
        category="wages",
        when=(12, "11:00"),
        source="walk_in",
        address="湖滨街道玉湖社区玉湖路某小吃店",
        narrative=(
            "玉湖社区一家闽南小吃店停业转让，拖欠厨师黄某两个月工资9600元，老板称转让款未"
            "到手暂无力支付。黄某多次索要未果，到调处中心求助。"
        ),
        parties=[
            person("黄志明", APP, "18979712564", "360731", "19810915", 37),
            person("苏文斌", RESP, "13906950718", SS_ID, "19750303", 55),
        ],
        steps=[
            dispatch(18, "center", LABOUR, "labour", ["玉湖社区人民调解委员会"]),
            sign(40, "labour"),
            assist_sign(70, "yuhu"),
            assist_opinion(2 * HOUR, "yuhu", "调委会可提供调解室，建议约老板到场当面核对工资条。"),
            contact(3 * HOUR, "labour", "phone", "联系老板苏文斌，其承认欠薪，称转让款下周到账。"),
            meet(
                DAY + 2 * HOUR,
                "labour",
                "玉湖社区人民调解室",
                "人社局许国平、玉湖社区调委会洪素珍、双方当事人",
                "核对工资条，确认欠薪9600元，老板同意先付一部分。",
            ),
            close(
                DAY + 3 * HOUR,
                "labour",
                "mediated",
                "老板当场支付5000元，余款4600元7日内转账，双方签订调解协议。",
                grade="simple",
            ),
        ],
    ),
    DemoOrder(
        title="楼上卫生间漏水致楼下天花板受损",
        reporter="police",
        place=("HB", "CS"),
        category="neighbour",
        when=(9, "16:20"),
        address="湖滨街道厝上社区厝上路56号",
        narrative=(
            "厝上社区某楼4楼卫生间防水层老化，长期渗水导致3楼天花板发霉脱落。3楼住户要求"
            "赔偿并维修，4楼住户认为是楼体老化应由开发商负责，双方多次争吵。"
        ),
        parties=[
            person("许美玉", APP, "13799532014", SS_ID, "19630728", 22),
            person("吴金山", RESP, "15960475533", SS_ID, "19701010", 31),
        ],
        steps=[
            dispatch(25, "center", "湖滨派出所", "police", ["厝上社区人民调解委员会"]),
            sign(40, "head"),
            contact(20 * HOUR, "police", "visit", "上门查看，3楼卫生间正上方天花板大面积霉斑。"),
            meet(
                DAY + 18 * HOUR,
                "police",
                "厝上社区居委会调解室",
                "湖滨派出所蔡志强、厝上社区调委会、防水师傅、双方当事人",
                "经防水师傅闭水试验确认系4楼卫生间防水失效所致。",
            ),
            close(
                4 * DAY,
                "police",
                "mediated",
                "4楼住户出资重做卫生间防水，并承担3楼天花板修复费用2600元，双方签订协议。",
                grade="ordinary",
                confirm="refused_first",
            ),
            # Unsatisfied: the dispute is reopened as a new order (重新调解) in the queue.
            visit(
                8 * DAY + 7 * HOUR,
                "police",
                "楼下天花板再次渗水，楼上住户拒绝再次维修，双方争执升级。",
                satisfied=False,
                kept="no",
                follow_up="reopen",
            ),
        ],
    ),
    DemoOrder(
        title="楼道堆放杂物引发邻里争执",
        reporter="center",
        place=("HB", "YH"),
        category="neighbour",
        when=(19, "09:30"),
        source="hotline",
        address="湖滨街道玉湖社区玉湖新村12幢",
        narrative=(
            "玉湖社区某老旧小区一楼住户长期在楼道堆放纸箱、废旧家具，楼上住户认为存在消防"
            "隐患，双方争执并在业主群互相指责，楼上住户拨打12345投诉。"
        ),
        parties=[
            person("何丽娟", APP, "18359718826", SS_ID, "19720506", 28),
            person("林金福", RESP, "13015958370", SS_ID, "19460214", 11, is_elderly_alone=True),
        ],
        steps=[
            dispatch(20, "center", "玉湖社区人民调解委员会", "yuhu"),
            sign(28, "yuhu"),
            contact(4 * HOUR, "yuhu", "visit", "上门了解：林老伯独居，靠捡拾废品补贴生活。"),
            meet(
                DAY + HOUR,
                "yuhu",
                "玉湖社区人民调解室",
                "调委会洪素珍、社区志愿者、双方当事人",
                "志愿者协助林老伯清理楼道杂物，联系废品回收站定期上门收购。",
            ),
            close(
                DAY + 3 * HOUR,
                "yuhu",
                "withdrawn",
                "楼道已清理完毕，申请人表示问题已解决，撤回调解申请；林老伯纳入独居老人关爱名单。",
            ),
        ],
    ),
    DemoOrder(
        title="独居老人赡养费纠纷，三个儿子互相推诿",
        reporter="grid",
        place=("HB", "ZK"),
        category="family",
        when=(30, "10:00"),
        risk="medium",
        address="湖滨街道曾坑社区曾坑东路8号",
        narrative=(
            "曾坑社区82岁的蔡阿婆老伴去世后独自居住，三个儿子均已成家，对赡养费分摊及轮流"
            "照顾互相推诿。老人患高血压、行动不便，生活费用长期无着落。网格员走访时老人"
            "哭诉，请求社区出面。"
        ),
        parties=[
            person("蔡秀兰", APP, "0595-88712345", SS_ID, "19440319", 22, is_elderly_alone=True),
            person("蔡国栋", RESP, "13905957126", SS_ID, "19660520", 15),
            person("蔡国梁", RESP, "13506095543", SS_ID, "19690811", 37),
            person("蔡国平", RESP, "15805958867", SS_ID, "19731201", 53),
        ],
        steps=[
            dispatch(30, "center", "曾坑社区人民调解委员会", "committee", ["曾坑社区居委会"]),
            sign(45, "committee"),
            contact(6 * HOUR, "committee", "phone", "逐一电话联系三兄弟，长子、三子同意参加调解。"),
            meet(
                DAY + 22 * HOUR,
                "committee",
                "曾坑社区人民调解室",
                "调委会王秀英、网格员吴雅婷、社区老人会代表、蔡阿婆及三个儿子",
                "讲解赡养义务相关法律规定，三兄弟当场商定赡养费分摊和探望安排。",
            ),
            close(
                2 * DAY,
                "committee",
                "mediated",
                "三兄弟每人每月支付赡养费800元，由长子统一代收；三人轮流每周探望，社区为老人"
                "申请居家养老服务。",
                grade="complex",
            ),
        ],
    ),
    DemoOrder(
        title="旧村改造中相邻宅基地补偿面积争议",
        reporter="center",
        place=("HB", "ZK"),
        category="land",
        # Closed 35 days ago: its referral's follow-up (30 days) is overdue (移交跟踪).
        when=(44, "14:30"),
        risk="medium",
        source="walk_in",
        address="湖滨街道曾坑社区曾坑旧村",
        narrative=(
            "曾坑旧村改造项目中，两户相邻老宅的宅基地界线不清，双方均主张对方多占约6平方米，"
            "导致补偿面积无法确认、签约停滞。两户为堂兄弟，祖辈分家时未留书面凭据。"
        ),
        parties=[
            person("王清水", APP, "13859731427", SS_ID, "19580909", 13),
            person("王清河", RESP, "15159739904", SS_ID, "19610125", 51),
        ],
        steps=[
            dispatch(40, "center", "曾坑社区人民调解委员会", "committee", ["湖滨派出所"]),
            assist_sign(50, "police"),
            sign(55, "committee"),
            contact(3 * HOUR, "committee", "phone", "电话联系两户，约定到旧宅现场踏勘。"),
            assist_opinion(
                DAY + 20 * HOUR,
                "police",
                "两户近期未发生肢体冲突，派出所将在踏勘和调解时派员到场，防止矛盾激化。",
            ),
            meet(
                2 * DAY,
                "committee",
                "曾坑社区人民调解室",
                "调委会王秀英、改造指挥部工作人员、社区老人会代表、双方当事人",
                "现场踏勘并请老人会成员回忆原界址，双方各执一词，未能达成一致。",
            ),
            close(
                9 * DAY,
                "committee",
                "failed",
                "双方对祖宅界线各执一词，调解不成；已引导王清水通过信访渠道申请街道及自然资源"
                "部门确权，社区持续跟踪稳控。",
                referral="petition",
            ),
        ],
    ),
    # ====================================================== 湖滨街道: open ============
    DemoOrder(
        title="宠物犬咬伤邻居小孩，双方对赔偿有争议",
        reporter="police",
        place=("HB", "YH"),
        category="neighbour",
        when=20,
        risk="medium",
        source="police_incident",
        address="湖滨街道玉湖社区玉湖花园",
        narrative=(
            "玉湖社区某小区一住户遛狗未牵绳，犬只扑咬在楼下玩耍的7岁女孩，致其小腿两处咬伤，"
            "已送医注射狂犬疫苗。女孩父亲要求赔偿医药费并处理犬只，犬主认为孩子先逗狗，只愿"
            "承担部分费用，双方在小区门口争执，报警求助。"
        ),
        parties=[
            person("郑志华", APP, "13859958412", SS_ID, "19850619", 31),
            person("郑雨涵", OTHER, "", SS_ID, "20180405", 42, is_minor=True),
            person("颜宏伟", RESP, "15806025539", SS_ID, "19790222", 15),
        ],
    ),
    DemoOrder(
        title="电商仓库以货损为由拒付搬运工日结工资",
        reporter="grid",
        place=("HB", "ZK"),
        category="wages",
        when=3 * HOUR,
        risk="medium",
        address="湖滨街道曾坑社区曾坑工业区12号仓库",
        narrative=(
            "曾坑工业区一家服装电商仓库以“货品破损”为由，拒付6名日结搬运工上周工资共4320元。"
            "工人称破损系包装问题，与搬运无关，今天到仓库讨要未果，网格员巡查时发现并上报。"
        ),
        parties=[
            person("李长江", APP, "18385729904", "522401", "19940310", 53),
            person("龚志远", RESP, "13950785561", SS_ID, "19900715", 77),
        ],
        # Returned twice, so the third dispatch is final (终审派单): assistance, not return.
        steps=[
            dispatch(10, "center", "湖滨派出所"),
            ask_return(25, "police", "劳资纠纷，建议由人社部门牵头。"),
            review_return(30, "center", True),
            dispatch(40, "center", "曾坑社区人民调解委员会"),
            ask_return(55, "committee", "欠薪金额较大，调委会无法处理。"),
            review_return(60, "center", True),
            dispatch(70, "center", LABOUR, "labour", note="已退单两次，终审派单。"),
            sign(85, "labour"),
            ask_help(95, "labour", "工人情绪激动，需湖滨派出所派员到场维持秩序。"),
            # Recent: the police station's 协办签收 clock is still running.
            add_assisting(170, "center", ["湖滨派出所"], "请派出所派员到仓库维持秩序。"),
        ],
    ),
    DemoOrder(
        title="门前乱停车堵住通道，两户邻居发生口角",
        reporter="grid",
        place=("HB", "ZK"),
        category="neighbour",
        when=60,
        address="湖滨街道曾坑社区曾坑北路32号",
        narrative=(
            "曾坑北路两户相邻住户，一方长期将货车停在巷口，另一方的电动车、三轮车无法进出。"
            "今早双方因挪车问题发生口角，围观群众较多，网格员到场劝开后上报。"
        ),
        parties=[
            person("蔡文华", APP, "13906958870", SS_ID, "19741108", 19),
            person("陈金水", RESP, "15960433712", SS_ID, "19690320", 35),
        ],
        steps=[
            dispatch(15, "center", "曾坑社区人民调解委员会"),
            ask_return(40, "committee", "涉及占道停车，属交警和城管职责，建议改派派出所处理。"),
        ],
    ),
    DemoOrder(
        title="装修工程包工头拖欠8名工人工资，工人聚集项目部",
        reporter="police",
        place=("HB", "YH"),
        category="wages",
        when=90,
        risk="high",
        source="police_incident",
        address="湖滨街道玉湖社区宝岛中路某商铺",
        narrative=(
            "玉湖社区一商铺装修工程完工后，包工头以业主未结尾款为由拖欠8名装修工人工资约"
            "6.4万元。今天工人聚集在项目部，情绪激动，有人扬言堵门，民警到场稳控。"
        ),
        parties=[
            person("周德明", APP, "17373925586", "430521", "19800125", 11),
            person("彭国强", RESP, "13766013387", "360731", "19760808", 57),
        ],
        steps=[
            dispatch(
                20,
                "center",
                LABOUR,
                "labour",
                ["湖滨派出所"],
                "群体性讨薪，请尽快签收。",
                leader="leader_hb",
            ),
        ],
    ),
    DemoOrder(
        title="兄弟分家对祖厝使用权发生争执",
        reporter="police",
        place=("HB", "CS"),
        category="family",
        when=50,
        address="湖滨街道厝上社区厝上路21号",
        narrative=(
            "厝上社区一户兄弟在父亲去世后对祖厝的使用和出租收益分配意见不一，弟弟擅自将一楼"
            "出租，哥哥不满，兄弟之间多次争吵，年迈的母亲夹在中间十分为难。"
        ),
        parties=[
            person("施文忠", APP, "13505068871", SS_ID, "19650912", 13),
            person("施文义", RESP, "13860711902", SS_ID, "19680402", 31),
        ],
        steps=[
            dispatch(10, "center", "曾坑社区人民调解委员会"),
            reassign(
                40,
                "center",
                "湖滨派出所",
                "police",
                note="当事人住厝上社区，不在曾坑社区调委会辖区，改由湖滨派出所牵头。",
            ),
        ],
    ),
    DemoOrder(
        title="婆媳矛盾激化，儿媳带孩子回娘家",
        reporter="grid",
        place=("HB", "ZK"),
        category="family",
        when=27 * HOUR,
        address="湖滨街道曾坑社区曾坑西路5号",
        narrative=(
            "曾坑社区一户家庭婆媳长期因带孩子和家务分工不和，前天争吵中婆婆摔了儿媳手机，"
            "儿媳带5岁孩子回了娘家，丈夫两头为难。网格员走访时丈夫请求社区帮忙调解。"
        ),
        parties=[
            person("许志坚", APP, "15880965523", SS_ID, "19910618", 17),
            person("洪美华", RESP, "13799540017", SS_ID, "19620515", 26),
            person("苏晓丽", OTHER, "18860579218", JJ_ID, "19930909", 48),
        ],
        steps=[
            dispatch(30, "center", "曾坑社区人民调解委员会", "committee"),
            sign(60, "committee"),
            # A 督办 answered on time.
            direct(
                3 * HOUR,
                "supervisor",
                "涉及未成年人，请于明日上午前联系双方并报告调解安排。",
                20 * HOUR,
            ),
            direct_reply(
                19 * HOUR,
                "committee",
                "已分别联系婆媳双方及丈夫，约定后天上午在社区调解室面对面调解。",
            ),
        ],
    ),
    DemoOrder(
        title="小区内倒车碰倒停放电动车，车主索赔过高",
        reporter="police",
        place=("HB", "HBS"),
        category="traffic",
        when=21 * HOUR,
        source="police_incident",
        address="湖滨街道湖边社区湖边花园",
        narrative=(
            "湖边社区某小区内，一辆小轿车倒车时碰倒路边停放的电动车，电动车前灯、外壳损坏。"
            "车主索赔3000元，司机认为电动车停在消防通道上且维修报价过高，双方争执报警。"
        ),
        parties=[
            person("林国华", APP, "13605992267", SS_ID, "19830930", 55),
            person("蒋丽", RESP, "19959581126", SS_ID, "19920411", 64),
        ],
        steps=[
            dispatch(20, "center", "湖滨派出所", "police"),
            sign(60, "police"),
            # A 督办 still awaiting the station head's reply.
            direct(
                18 * HOUR,
                "center_head",
                "双方争执已近一天，请今日内组织定损并报告调解进展。",
                8 * HOUR,
            ),
        ],
    ),
    DemoOrder(
        title="空调外机滴水至楼下晾晒衣物",
        reporter="center",
        place=("HB", "YH"),
        category="neighbour",
        when=3 * HOUR,
        source="hotline",
        address="湖滨街道玉湖社区玉湖新城6号楼",
        narrative=(
            "玉湖社区某小区3楼空调外机冷凝水直接滴落在2楼阳台，2楼住户晾晒的衣物多次被弄脏，"
            "协商加装排水管未果，拨打12345热线投诉。"
        ),
        parties=[
            person("王丽华", APP, "13515956621", SS_ID, "19760719", 28),
            person("卢俊", RESP, "17859506684", SS_ID, "19950228", 13),
        ],
        steps=[
            dispatch(30, "center", "玉湖社区人民调解委员会"),
            sign(55, "yuhu"),
            ask_return(70, "yuhu", "空调外机属业主自有设施，建议由物业公司处理。"),
            review_return(85, "center", False, "相邻漏水纠纷属社区调委会调解范围，请继续调解。"),
        ],
    ),
    DemoOrder(
        title="小区消防通道被划为收费车位，业主与物业对峙",
        reporter="center",
        place=("HB", "YH"),
        category="property",
        when=51 * HOUR,
        risk="medium",
        source="hotline",
        address="湖滨街道玉湖社区玉湖名苑",
        narrative=(
            "玉湖社区某小区物业在消防通道划设收费停车位，业主认为占用消防通道且未经业主大会"
            "同意，十余名业主堵在物业办公室要求撤销，物业称系开发商授权，双方对峙。"
        ),
        parties=[
            person("柯志明", APP, "18059531276", SS_ID, "19810405", 79),
            person("王建设", RESP, "13906068812", JJ_ID, "19770715", 11),
        ],
        steps=[
            dispatch(30, "center", HOUSING, "housing"),
            sign(60, "housing"),
            contact(
                21 * HOUR,
                "housing",
                "phone",
                "已电话联系业主代表和物业经理，双方同意由住建局、消防部门共同参加现场协调，"
                "时间待物业总部确认。",
            ),
        ],
    ),
    DemoOrder(
        title="共用下水管道堵塞，邻居互相指责",
        reporter="police",
        place=("HB", "ZK"),
        category="neighbour",
        when=9 * HOUR,
        source="police_incident",
        address="湖滨街道曾坑社区曾坑中路44号",
        narrative=(
            "曾坑社区某自建房一楼与二楼住户共用一条下水管，近日堵塞返水淹了一楼厨房。一楼"
            "认为是二楼倾倒剩饭菜所致，二楼不认可，双方争吵中一楼住户报警。"
        ),
        parties=[
            person("蔡丽娜", APP, "13489701522", SS_ID, "19860823", 46),
            person("姚建华", RESP, "15159756620", SS_ID, "19820214", 57),
        ],
        steps=[
            dispatch(20, "center", "曾坑社区人民调解委员会"),
            sign(45, "committee"),
            contact(
                2 * HOUR,
                "committee",
                "phone",
                "已电话联系双方，约定明天上午疏通管道时到场查看堵塞原因后再调解。",
            ),
        ],
    ),
    DemoOrder(
        # A clock paused (暂停计时): the board shows it "暂停中 至 …".
        title="宅基地边界围墙纠纷，一方住院暂缓调解",
        reporter="grid",
        place=("HB", "ZK"),
        category="neighbour",
        when=6 * HOUR,
        address="湖滨街道曾坑社区曾坑南路18号",
        narrative=(
            "曾坑社区两户相邻自建房因新砌围墙是否越过宅基地边界发生争执，双方多次口角。"
            "被申请人次日因病住院，家属表示出院后才能到场参加调解。"
        ),
        parties=[
            person("黄志坚", APP, "13859781123", SS_ID, "19680512", 35),
            person("邱阿婆", RESP, "13055966318", SS_ID, "19480302", 22, is_elderly_alone=True),
        ],
        steps=[
            dispatch(20, "center", "曾坑社区人民调解委员会", "committee"),
            sign(40, "committee"),
            contact(
                2 * HOUR,
                "committee",
                "phone",
                "已电话联系双方；被申请人住院，家属请求出院后再调解。",
            ),
            pause(
                2 * HOUR + 10,
                "committee",
                "meet",
                "hospital",
                3 * DAY,
                "被申请人住院治疗，预计三日后出院，出院后组织现场测量和调解。",
            ),
            decide_pause(3 * HOUR, "center", text="同意暂停三天，出院后请尽快组织调解。"),
        ],
    ),
    DemoOrder(
        title="装修噪音及渣土堆放引发邻里冲突",
        reporter="center",
        place=("HB", "YH"),
        category="neighbour",
        when=(3, "09:10"),
        source="walk_in",
        address="湖滨街道玉湖社区玉湖花园9幢",
        narrative=(
            "玉湖社区某小区一户业主装修，中午和晚上仍在电钻作业，渣土长期堆在楼道。楼下住户"
            "家有高三学生，多次交涉无果后双方在楼道推搡，楼下住户到调处中心反映。"
        ),
        parties=[
            person("陈晓燕", APP, "13859796630", SS_ID, "19780312", 24),
            person("刘伟", RESP, "18650741158", NA_ID, "19880808", 33),
        ],
        steps=[
            dispatch(25, "center", "玉湖社区人民调解委员会", "yuhu"),
            sign(40, "yuhu"),
            contact(3 * HOUR, "yuhu", "phone", "电话联系装修户，其同意暂停午间施工并参加调解。"),
            meet(
                DAY + 6 * HOUR,
                "yuhu",
                "玉湖社区人民调解室",
                "调委会洪素珍、物业管家、双方当事人",
                "双方同意：施工时间限定为8:30—12:00、14:30—18:00，考试前两周停止电钻作业；"
                "装修方三日内清运渣土。待清运完成后结单。",
            ),
            close(
                2 * DAY + 2 * HOUR,
                "yuhu",
                "mediated",
                "施工时间限定为8:30—12:00、14:30—18:00，考试前两周停止电钻作业；装修方三日内"
                "清运渣土。",
                grade="simple",
                confirm="pending",
            ),
        ],
    ),
    DemoOrder(
        title="租户与房东因押金退还发生争执",
        reporter="police",
        place=("HB", "YH"),
        category="contract",
        when=(7, "10:40"),
        address="湖滨街道玉湖社区",
        narrative="租户退租时房东以墙面污损为由扣留押金3000元，双方争执，民警巡逻时发现。",
        parties=[
            person("马晓峰", APP, "18838262271", "411602", "19990909", 11),
            person("颜丽珍", RESP, "13906039961", SS_ID, "19700130", 24),
        ],
        steps=[
            cancel(
                35,
                "center",
                "经核实出租房位于宝盖镇，不属本街道辖区，已告知当事人向宝盖镇多元调处中心反映，"
                "本单撤销。",
            ),
        ],
    ),
    # ====================================================== 凤里街道: closed ==========
    DemoOrder(
        title="手机店将翻新机当新机出售，消费者要求退一赔三",
        reporter="center_fl",
        place=("FL", "XH"),
        category="consumer",
        when=(29, "15:20"),
        source="hotline",
        address="凤里街道新华社区新华路某手机店",
        narrative=(
            "消费者在新华路一家手机店以5299元购买一部标称全新的手机，使用一周后发现电池循环"
            "次数达300余次、机身有拆修痕迹，疑为翻新机。店家只同意换机，消费者要求退一赔三，"
            "双方在店内争吵，消费者拨打12345投诉。"
        ),
        parties=[
            person("刘思远", APP, "19859501236", "411602", "19980614", 39),
            person("陈少雄", RESP, "13960388254", SS_ID, "19880229", 15),
        ],
        steps=[
            dispatch(20, "center_fl", MARKET, "market"),
            sign(32, "market"),
            contact(
                2 * HOUR, "market", "phone", "联系双方，通知店家携进货凭证到市场监管所说明情况。"
            ),
            meet(
                DAY + HOUR,
                "market",
                "凤里市场监管所调解室",
                "市场监管局杨帆、双方当事人",
                "经第三方检测确认该机为翻新机，店家承认销售时未如实告知。",
            ),
            close(
                DAY + 2 * HOUR,
                "market",
                "mediated",
                "店家退还货款5299元，并按《消费者权益保护法》赔偿15897元；市场监管部门对该店"
                "经营行为另案调查。",
                grade="simple",
            ),
        ],
    ),
    DemoOrder(
        title="仑后旧村两户宅基地界址纠纷",
        reporter="police_fl",
        place=("FL", "LH"),
        category="land",
        when=(40, "09:00"),
        risk="medium",
        address="凤里街道仑后社区仑后旧村",
        narrative=(
            "仑后社区旧村两户村民因翻建房屋砌墙，对两家之间一条约1米宽巷道的归属发生争执。"
            "一方已砌起半堵墙，另一方扬言推倒，双方亲属聚集，存在冲突风险。"
        ),
        parties=[
            person("邱火炎", APP, "13906951182", SS_ID, "19600404", 19),
            person("邱明亮", RESP, "18906076623", SS_ID, "19780630", 35),
        ],
        steps=[
            dispatch(30, "center_fl", "凤里派出所", "police_fl", ["仑后社区人民调解委员会"]),
            sign(45, "police_fl"),
            contact(90, "police_fl", "visit", "到场劝停砌墙施工，稳控双方亲属情绪。"),
            meet(
                DAY + 23 * HOUR,
                "police_fl",
                "仑后社区人民调解室",
                "凤里派出所邱文斌、仑后社区调委会、社区老人会代表、双方当事人",
                "调取1987年宅基地登记资料，请老人会成员现场指认原界址。",
            ),
            close(
                6 * DAY,
                "police_fl",
                "mediated",
                "双方确认以登记图界址为准，巷道为公共通道，已砌半墙由砌墙方自行拆除，双方签订"
                "协议并由社区见证。",
                grade="complex",
            ),
        ],
    ),
    DemoOrder(
        title="鞋材厂解除劳动合同经济补偿争议",
        reporter="center_fl",
        place=("FL", "LH"),
        category="wages",
        when=(26, "10:30"),
        risk="medium",
        source="walk_in",
        address="凤里街道仑后社区仑后工业区",
        narrative=(
            "仑后社区一家鞋材厂因订单减少裁员，5名工人被口头辞退，厂方只愿支付当月工资。"
            "工人要求按工龄支付经济补偿（工龄最长者7年），双方差距较大。"
        ),
        parties=[
            person("廖春梅", APP, "15779712208", "360731", "19821111", 28),
            person("何建军", APP, "18283651179", "511602", "19790707", 71),
            person("施振华", RESP, "13860705519", SS_ID, "19700202", 13),
        ],
        steps=[
            dispatch(25, "center_fl", LABOUR, "labour", ["凤里派出所"]),
            sign(50, "labour"),
            contact(5 * HOUR, "labour", "phone", "联系厂方施振华，其同意到场协商。"),
            meet(
                DAY + 20 * HOUR,
                "labour",
                "石狮市劳动人事争议仲裁院调解室",
                "人社局许国平、凤里派出所民警、工人代表2名、厂方负责人",
                "厂方只同意每人补偿3000元，工人要求按工龄计算，双方差距较大。",
            ),
            close(
                3 * DAY,
                "labour",
                "failed",
                "调解不成；已指导工人向石狮市劳动人事争议仲裁委员会申请仲裁，并提供法律援助。",
                referral="arbitration",
            ),
        ],
    ),
    DemoOrder(
        title="广场舞音响扰民引发冲突",
        reporter="police_fl",
        place=("FL", "XH"),
        category="neighbour",
        when=(22, "19:45"),
        source="police_incident",
        address="凤里街道新华社区新华花园中心广场",
        narrative=(
            "新华社区某小区中心广场每晚有广场舞队伍跳舞，音响开到晚上九点半，临街住户多次"
            "劝说无果。今晚一名住户拔掉音响电源，与舞队成员发生争吵，报警求助。"
        ),
        parties=[
            person("颜志坚", APP, "13959706688", SS_ID, "19800315", 39),
            person("吴月娥", RESP, "13615953340", SS_ID, "19591012", 22),
        ],
        steps=[
            dispatch(14 * HOUR, "center_fl", "新华社区人民调解委员会", "xinhua"),
            sign(14 * HOUR + 12, "xinhua"),
            contact(
                16 * HOUR, "xinhua", "phone", "联系舞队领队吴月娥和住户颜志坚，约定次日晚面谈。"
            ),
            meet(
                DAY + 22 * HOUR,
                "xinhua",
                "新华社区党群服务中心",
                "调委会姚金水、舞队代表3名、住户代表2名",
                "双方协商调整跳舞时段与音量。",
            ),
            close(
                DAY + 23 * HOUR,
                "xinhua",
                "mediated",
                "舞队将时间调整为19:30—21:00，音量控制在60分贝以下并改用定向音箱，住户表示认可。",
                grade="simple",
            ),
        ],
    ),
    DemoOrder(
        title="小区地下车位只售不租，业主与物业争执",
        reporter="center_fl",
        place=("FL", "KR"),
        category="property",
        when=(14, "10:20"),
        risk="medium",
        source="hotline",
        address="凤里街道宽仁社区宽仁华庭",
        narrative=(
            "宽仁社区某小区物业（开发商关联公司）宣布地下车位只售不租，业主无法续租，晚间车辆"
            "只能停在小区道路，物业对占道车辆锁车，业主与保安发生推搡。"
        ),
        parties=[
            person("蔡志鹏", APP, "18059562213", SS_ID, "19870707", 57),
            person("黄丽芬", RESP, "13599218865", JJ_ID, "19801220", 46),
        ],
        steps=[
            dispatch(30, "center_fl", HOUSING, "housing", ["凤里派出所"]),
            sign(30 + 70, "housing"),
            contact(5 * HOUR, "housing", "phone", "联系物业主任黄丽芬，要求立即停止锁车。"),
            meet(
                2 * DAY,
                "housing",
                "宽仁社区居委会会议室",
                "住建局张宏、凤里派出所民警、业主代表4名、物业主任",
                "物业同意停止锁车，车位出租方案带回公司研究。",
            ),
            close(
                5 * DAY,
                "housing",
                "partly_mediated",
                "物业同意在车位售罄前以每月300元继续出租，停止锁车；对车位售价的异议，由住建局"
                "另行核查备案价格。",
                grade="ordinary",
            ),
        ],
    ),
    DemoOrder(
        title="快递三轮车撞倒老人，医药费赔偿争议",
        reporter="police_fl",
        place=("FL", "DL"),
        category="traffic",
        when=(10, "08:15"),
        risk="medium",
        source="police_incident",
        address="凤里街道大仑社区大仑菜市场门口",
        narrative=(
            "大仑社区菜市场门口，一名快递员驾驶电动三轮车倒车时撞倒一名78岁独居老人，老人"
            "手腕骨折住院。快递员垫付了部分医药费，对后续护理费、营养费数额与老人子女分歧"
            "大，快递公司称系个人行为不愿承担。"
        ),
        parties=[
            person("吴玉珠", APP, "0595-88926731", SS_ID, "19470918", 28, is_elderly_alone=True),
            person("吴志成", OTHER, "13505066128", SS_ID, "19720308", 37),
            person("马小龙", RESP, "17605950341", "500101", "19960120", 71),
        ],
        steps=[
            dispatch(30, "center_fl", "凤里派出所", "police_fl"),
            sign(45, "police_fl"),
            contact(3 * HOUR, "police_fl", "phone", "联系老人儿子吴志成及快递站点负责人。"),
            meet(
                2 * DAY - HOUR,
                "police_fl",
                "凤里派出所调解室",
                "凤里派出所邱文斌、快递站点负责人、快递员、老人儿子",
                "快递公司同意与快递员共同承担赔偿。",
            ),
            close(
                6 * DAY,
                "police_fl",
                "mediated",
                "快递员及快递公司共同赔偿医药费、护理费、营养费共计2.3万元，分两期支付；社区将"
                "老人纳入独居老人探访名单。",
                grade="ordinary",
            ),
        ],
    ),
    # ====================================================== 凤里街道: open ============
    DemoOrder(
        title="家庭暴力后夫妻分居，女方要求保障人身安全",
        reporter="police_fl",
        place=("FL", "XH"),
        category="family",
        when=(4, "11:00"),
        risk="high",
        source="police_incident",
        address="凤里街道新华社区",
        narrative=(
            "新华社区一对夫妻因丈夫酗酒多次争吵，前晚丈夫动手打伤妻子面部，派出所已出具"
            "家庭暴力告诫书。妻子带女儿暂住娘家，要求丈夫戒酒并保证不再动手，双方对是否离婚"
            "和孩子就学安排存在分歧。"
        ),
        parties=[
            person("林雅芳", APP, "15859512307", SS_ID, "19900505", 24),
            person("张文龙", RESP, "13328590216", HA_ID, "19871127", 35),
            person("张可欣", OTHER, "", SS_ID, "20140901", 26, is_minor=True),
        ],
        steps=[
            dispatch(
                20,
                "center_fl",
                "凤里派出所",
                "police_fl",
                ["新华社区人民调解委员会", VOLUNTEER],
                "涉家暴，高风险，注意保护女方及未成年人。",
                leader="leader_fl",
            ),
            assist_sign(28, "xinhua"),
            sign(30, "police_fl"),
            assist_sign(32, "volunteer"),
            contact(
                3 * HOUR,
                "police_fl",
                "visit",
                "上门看望女方及孩子，女方情绪稳定，已告知人身安全保护令申请途径。",
            ),
            assist_opinion(
                12 * HOUR,
                "xinhua",
                "调委会已走访邻居，男方长期酗酒；建议调解时要求男方书面保证戒酒，并由社区"
                "妇女之家跟进。",
            ),
            meet(
                22 * HOUR,
                "police_fl",
                "凤里派出所调解室",
                "凤里派出所邱文斌、新华社区调委会姚金水、志愿者协会心理咨询师、双方当事人",
                "男方书面保证戒酒、不再实施家暴；双方同意分居冷静一个月，孩子暂随母亲生活，"
                "一个月后再商议婚姻去留。",
            ),
            note(2 * DAY, "xinhua", "跟进：社区妇女之家已联系女方，提供心理疏导，孩子正常上学。"),
        ],
    ),
    DemoOrder(
        title="健身房预付卡闭店，三十余名会员要求退费",
        reporter="center_fl",
        place=("FL", "LH"),
        category="consumer",
        when=31 * HOUR,
        risk="medium",
        source="hotline",
        address="凤里街道仑后社区仑后路某健身房",
        narrative=(
            "仑后社区一家健身房突然闭店，门口贴出“装修升级”告示，经营者电话时通时不通。"
            "三十余名会员持有年卡、私教课预付卡，未消费金额合计约18万元，会员聚集在店门口并"
            "拨打12345投诉。"
        ),
        parties=[
            person("郭晓雯", APP, "18750538819", SS_ID, "19950808", 46),
            person("李泽宇", APP, "15160751102", NA_ID, "19930303", 17),
            person("周建华", RESP, "13599001234", "341202", "19851212", 51),
        ],
        steps=[
            dispatch(20, "center_fl", MARKET, "market"),
            sign(60, "market"),
            contact(
                6 * HOUR,
                "market",
                "phone",
                "已联系经营者周某，其称资金链断裂、愿意协商退费方案；已通知会员代表整理消费凭证。",
            ),
        ],
    ),
    DemoOrder(
        title="外墙瓷砖脱落砸坏车辆，业主与物业互相推责",
        reporter="grid_fl",
        place=("FL", "XH"),
        category="property",
        when=26 * HOUR,
        address="凤里街道新华社区新华花园5幢",
        narrative=(
            "新华社区某小区外墙瓷砖脱落，砸坏停在楼下的一辆小轿车挡风玻璃。车主要求物业赔偿，"
            "物业称外墙属全体业主共有、应动用维修基金，双方争执不下。"
        ),
        parties=[
            person("许晓东", APP, "13600852219", SS_ID, "19890304", 19),
            person("林美珍", RESP, "15259520776", SS_ID, "19811011", 22),
        ],
        steps=[
            dispatch(25, "center_fl", "凤里派出所"),
            ask_return(
                60, "police_fl", "属物业管理与房屋维修责任纠纷，不属于派出所职责，请改派住建部门。"
            ),
            review_return(70, "center_fl", True),
        ],
    ),
    DemoOrder(
        title="楼顶违规搭棚养鸽，邻居投诉异味噪音",
        reporter="grid_fl",
        place=("FL", "KR"),
        category="neighbour",
        when=5 * HOUR,
        address="凤里街道宽仁社区宽仁路88号",
        narrative=(
            "宽仁社区某楼顶层住户在楼顶平台搭建鸽棚，饲养赛鸽五十余羽，邻居反映异味、羽毛"
            "和清晨鸽哨扰民，要求拆除，饲养户称已养多年不愿搬离。"
        ),
        parties=[
            person("黄建成", APP, "13905067725", SS_ID, "19710913", 11),
            person("蔡志忠", RESP, "13859933318", SS_ID, "19660312", 33),
        ],
    ),
    DemoOrder(
        title="电动车追尾致后座乘客受伤，赔偿未谈拢",
        reporter="police_fl",
        place=("FL", "DL"),
        category="traffic",
        when=100,
        source="police_incident",
        address="凤里街道大仑社区长福路",
        narrative=(
            "大仑社区长福路上两辆电动自行车追尾，前车后座乘客摔倒致手肘擦伤、手机摔坏。交警"
            "已认定后车负全部责任，双方就手机维修费和误工费数额谈不拢。"
        ),
        parties=[
            person("石玉兰", APP, "18659503391", SS_ID, "19930321", 42),
            person("杨勇", RESP, "19885712270", "522401", "19970707", 71),
        ],
        steps=[dispatch(10, "center_fl", "凤里派出所")],
    ),
    DemoOrder(
        title="外卖商家食品变质，顾客索赔遭拒",
        reporter="center_fl",
        place=("FL", "XH"),
        category="consumer",
        when=40,
        source="hotline",
        address="凤里街道新华社区新华路某快餐店",
        narrative=(
            "顾客通过外卖平台在新华社区一家快餐店订餐，食用后发现米饭有馊味，当晚腹泻就医。"
            "顾客要求赔偿医药费并退款，商家只同意退款，顾客拨打12345投诉。"
        ),
        parties=[
            person("吴佳琪", APP, "17750587713", SS_ID, "20000515", 46),
            person("丁志刚", RESP, "13395975506", "341202", "19870909", 51),
        ],
        steps=[dispatch(14, "center_fl", MARKET)],
    ),
    DemoOrder(
        title="相邻两户因排水沟改道引发争执",
        reporter="grid_fl",
        place=("FL", "LH"),
        category="neighbour",
        when=28 * HOUR,
        address="凤里街道仑后社区仑后旧村",
        narrative=(
            "仑后社区旧村一户村民翻建房屋时将排水沟改道，雨水直接排向邻居墙根，导致邻居家"
            "墙体返潮。邻居要求恢复原状，翻建户拒绝，双方互相堵沟，昨日几乎动手。"
        ),
        parties=[
            person("邱春生", APP, "13959788843", SS_ID, "19670311", 15),
            person("邱金城", RESP, "18965535517", SS_ID, "19720606", 37),
        ],
        steps=[
            dispatch(20, "center_fl", "凤里派出所", "police_fl"),
            sign(45, "police_fl"),
        ],
    ),
    DemoOrder(
        title="保洁公司拖欠保洁员工资及加班费",
        reporter="center_fl",
        place=("FL", "KR"),
        category="wages",
        when=(5, "14:00"),
        source="walk_in",
        address="凤里街道宽仁社区",
        narrative=(
            "宽仁社区一家物业保洁外包公司拖欠5名保洁员两个月工资及节假日加班费共计约1.9万元，"
            "保洁员多为50岁以上的外来务工人员，到调处中心求助。"
        ),
        parties=[
            person("胡桂英", APP, "15181622793", "511602", "19700606", 28),
            person("谢明", RESP, "13959566618", SS_ID, "19840101", 35),
        ],
        steps=[
            dispatch(20, "center_fl", LABOUR, "labour"),
            sign(35, "labour"),
            contact(3 * HOUR, "labour", "phone", "联系保洁公司负责人谢明，其承认欠薪。"),
            meet(
                DAY + 20 * HOUR,
                "labour",
                "凤里街道多元调处中心调解室",
                "人社局许国平、保洁员代表2名、公司负责人",
                "公司确认欠付工资及加班费18960元，同意一周内分两次支付；待款项到账、保洁员确认"
                "后结单。",
            ),
        ],
    ),
    DemoOrder(
        title="夫妻深夜口角，邻居报警",
        reporter="police_fl",
        place=("FL", "XH"),
        category="family",
        when=(17, "21:10"),
        source="police_incident",
        address="凤里街道新华社区",
        narrative="邻居听到楼上夫妻激烈争吵并有摔东西声，拨打110报警。民警到场时双方情绪已平复，无人受伤。",
        parties=[
            person("李建明", APP, "13860733306", SS_ID, "19880417", 19),
            person("黄婷婷", RESP, "15005958842", SS_ID, "19900214", 28),
        ],
        steps=[
            dispatch(12 * HOUR, "center_fl", "新华社区人民调解委员会"),
            cancel(
                12 * HOUR + 50,
                "center_fl",
                "经核实系夫妻一时口角，双方已和好，明确不需要调解，按无效订单撤销。",
            ),
        ],
    ),
]


# The incident desk (警情工作台): a week of police incidents (days ago, "HH:MM", or
# minutes before now for today's, type code, (street, community), summary, address, caller,
# phone, what the desk did: None, ("push", category code) or ("link", demo order title)).
# Mostly not police matters, as at a real station (docs/REPORTS.md, 非警务类警情占比).
DEMO_INCIDENTS: list[tuple] = [
    (
        0,
        200,
        "QZ",
        ("HB", "ZK"),
        "独居老人来电：楼上卫生间漏水至其卧室，与楼上住户争执",
        "曾坑社区新村12号",
        "黄阿婆",
        "13905951201",
        None,
    ),
    (0, 150, "WX", ("HB", "YH"), "来电无人应答，回拨为空号", "", "", "", None),
    (
        0,
        100,
        "QZ",
        ("HB", "YH"),
        "工人讨薪，聚集在装修项目部门口",
        "宝岛中路",
        "工友代表",
        "13905951211",
        ("link", "装修工程包工头拖欠8名工人工资，工人聚集项目部"),
    ),
    (0, 60, "XS", ("FL", "XH"), "电动车被盗", "新华路88号", "蔡某", "13905951203", None),
    (
        0,
        30,
        "QZ",
        ("LX", "TY"),
        "老人走失，家属求助寻找",
        "塘园村村口",
        "许某",
        "13905951204",
        None,
    ),
    (
        1,
        "09:20",
        "QZ",
        ("HB", "HBS"),
        "店铺门口堆放杂物堵住通道，两家店主争吵",
        "湖边社区步行街",
        "王某",
        "13905951205",
        ("push", "neighbour"),
    ),
    (
        1,
        "11:05",
        "ZA",
        ("FL", "LH"),
        "酒后滋事，砸坏店铺玻璃",
        "仑后社区夜市",
        "店主",
        "13905951206",
        None,
    ),
    (
        1,
        "14:40",
        "QZ",
        ("FL", "KR"),
        "夫妻吵架，妻子求助",
        "宽仁社区3栋",
        "李某",
        "13905951207",
        ("push", "family"),
    ),
    (1, "16:10", "WX", ("HB", "CS"), "儿童误拨", "", "", "", None),
    (
        1,
        "20:30",
        "QZ",
        ("BG", "TH"),
        "邻居装修噪音持续到深夜",
        "塘后村",
        "郭某",
        "13905951209",
        None,
    ),
    (2, "08:50", "JT", ("HS", "DP"), "两车刮擦，无人受伤，已自行协商", "东埔村路口", "", "", None),
    (
        2,
        "10:15",
        "JF-LZ",
        ("HB", "ZK"),
        "工人讨薪，围堵工地大门",
        "曾坑村工地",
        "工友代表",
        "13905951210",
        None,
    ),
    (
        2,
        "13:00",
        "QZ",
        ("XZ", "DB"),
        "渔船停靠位置纠纷",
        "大堡村码头",
        "蔡某某",
        "13905951212",
        None,
    ),
    (2, "19:45", "HZ", ("YN", "ML"), "厨房油锅起火，已扑灭", "梅林村", "", "13905951213", None),
    (
        3,
        "09:30",
        "QZ",
        ("FL", "DL"),
        "物业停水，业主聚集物业办公室",
        "大仑社区小区",
        "业主",
        "13905951214",
        None,
    ),
    (3, "15:20", "WX", ("JS", "LC"), "重复报警", "", "", "", None),
    (
        3,
        "21:10",
        "QZ",
        ("HJ", "LD"),
        "醉酒男子躺在路边，家属求助",
        "莲埭村",
        "陈某",
        "13905951216",
        None,
    ),
    (4, "10:00", "XS", ("HB", "YH"), "手机被抢", "玉湖社区公交站", "吴某", "13905951217", None),
    (4, "11:40", "QZ", ("LX", "GH"), "宅基地界址争执", "古湖村", "邱某", "13905951218", None),
    (
        4,
        "17:25",
        "QZ",
        ("HB", "CS"),
        "租客拖欠房租，房东求助",
        "厝上社区",
        "房东",
        "13905951219",
        None,
    ),
    (5, "08:15", "QZ", ("FL", "XH"), "小孩在商场走失", "新华路商场", "母亲", "13905951220", None),
    (5, "12:50", "ZA", ("BG", "GK"), "两人口角后推搡", "郭坑村", "", "13905951221", None),
    (
        5,
        "18:05",
        "QZ",
        ("HB", "ZK"),
        "宠物狗咬伤邻居小孩，双方争执医药费",
        "曾坑社区",
        "家长",
        "13905951222",
        None,
    ),
    (6, "09:05", "WX", ("HB", "HBS"), "报警后称打错", "", "", "", None),
    (
        6,
        "14:30",
        "QZ",
        ("HS", "WB"),
        "村民反映邻居养鸡臭味扰民",
        "伍堡村",
        "村民",
        "13905951224",
        None,
    ),
]


class Command(BaseCommand):
    help = "Create the Shishi demo areas, units, rules, users and orders (idempotent)."

    def handle(self, *args, **options):
        # Local time, whole seconds: tidy timestamps in the timeline and event data.
        now = timezone.localtime(timezone.now()).replace(microsecond=0)
        # The services log every transition at INFO; show that only with -v 2.
        service_log = logging.getLogger("disputes.services")
        level = service_log.level
        if options["verbosity"] < 2:
            service_log.setLevel(logging.WARNING)
        try:
            with transaction.atomic():
                created = Seeder(now=now).run()
        finally:
            service_log.setLevel(level)
        self.print_summary(now=now, created=created)

    def print_summary(self, *, now: datetime, created: int) -> None:
        by_state = Counter(Order.objects.values_list("state", flat=True))
        out = self.stdout.write
        out(
            f"areas {Area.objects.count()} · categories {Category.objects.count()} · "
            f"units {Unit.objects.count()} · routing rules {RoutingRule.objects.count()} · "
            f"SLA policies {SlaPolicy.objects.count()} · users {get_user_model().objects.count()}"
        )
        states = ", ".join(f"{s} {by_state.get(s, 0)}" for s in State.values)
        out(f"orders {sum(by_state.values())} ({created} created now): {states}")
        overdue = Order.objects.filter(overdue_q(now)).count()
        out(f"open orders overdue now: {overdue}")
        out(self.style.SUCCESS(f"demo logins (password {DEMO_PASSWORD}):"))
        for username, last, first, _m, what in USERS:
            out(f"  {username:<11} {last}{first} — {what}")


class Seeder:
    def __init__(self, *, now: datetime):
        self.now = now
        self.areas: dict[tuple[str, ...], Area] = {}
        self.categories: dict[str, Category] = {}
        self.units: dict[str, Unit] = {}
        self.users: dict[str, Any] = {}

    def run(self) -> int:
        self.seed_areas()
        self.seed_categories()
        incident_types_seed()
        self.seed_units()
        self.seed_routing_rules()
        self.seed_sla_policies()
        self.seed_alliance_units()
        self.seed_users()
        created = self.seed_orders()
        self.seed_incidents()
        self.seed_alliance()
        self.seed_training()  # issue 18: 培训, before the bulletin that shows its hours
        # Last month's bulletin, published as the beat task would on the 1st, so that a
        # unit's login finds its standing (本单位通报). By name: disputes may not import
        # supervision. Idempotent like the rest of the seed.
        call_command("publish_bulletins", now=self.now.isoformat(), stdout=StringIO())
        # 隐患排查 (issue 18): categories, hazards and screening visits, by name as above.
        call_command("seed_hazards", now=self.now.isoformat(), stdout=StringIO())
        # The care register (关爱对象, issue 18), by name as above: disputes may not
        # import care.
        call_command("seed_care", now=self.now.isoformat(), stdout=StringIO())
        return created

    # --- configuration --------------------------------------------------------------

    def _area(self, key: tuple[str, ...], name: str, level: str, parent: Area | None) -> Area:
        area, _ = Area.objects.update_or_create(
            parent=parent, code=key[-1], defaults={"name": name, "level": level}
        )
        self.areas[key] = area
        return area

    def seed_areas(self) -> None:
        city = self._area((CITY[0],), CITY[1], Area.Level.CITY, None)
        for code, name, communities in STREETS:
            street = self._area((code,), name, Area.Level.STREET, city)
            for c_code, c_name in communities:
                self._area((code, c_code), c_name, Area.Level.COMMUNITY, street)

    def seed_categories(self) -> None:
        for code, name, name_en in CATEGORIES:
            self.categories[code], _ = Category.objects.update_or_create(
                code=code, defaults={"name": name, "name_en": name_en, "is_active": True}
            )

    def _unit(self, name, kind, area, covered, categories, phone="") -> Unit:
        unit, _ = Unit.objects.update_or_create(
            name=name, defaults={"kind": kind, "area": area, "phone": phone, "is_active": True}
        )
        unit.covered_areas.set(covered)
        unit.categories.set([self.categories[c] for c in categories])
        self.units[name] = unit
        return unit

    def seed_units(self) -> None:
        city = self.areas[(CITY[0],)]
        for name, kind, categories, phone in CITY_UNITS:
            self._unit(name, kind, city, [city], categories, phone)
        for i, (code, name, communities) in enumerate(STREETS, start=1):
            street = self.areas[(code,)]
            members = [self.areas[(code, c)] for c, _n in communities]
            self._unit(
                center_name(name),
                Unit.Kind.STREET_CENTER,
                street,
                [street, *members],
                KIND_CATEGORIES[Unit.Kind.STREET_CENTER],
                f"0595-8870{i:02d}00",
            )
            self._unit(
                police_name(name),
                Unit.Kind.POLICE_STATION,
                street,
                members,
                KIND_CATEGORIES[Unit.Kind.POLICE_STATION],
                f"0595-8869{i:02d}10",
            )
            for community in members:
                for unit_name, kind in (
                    (committee_name(community.name), Unit.Kind.COMMUNITY_COMMITTEE),
                    (mediation_name(community.name), Unit.Kind.MEDIATION_COMMITTEE),
                ):
                    self._unit(unit_name, kind, community, [community], KIND_CATEGORIES[kind])

    def seed_routing_rules(self) -> None:
        """Community rules beat street rules beat city rules; within an area, rank."""
        u = self.units
        city = self.areas[(CITY[0],)]
        wanted: dict[tuple[str, Area, Unit], int] = {}

        def rule(category: str, area: Area, *units: Unit) -> None:
            for rank, unit in enumerate(units, start=1):
                wanted[(category, area, unit)] = rank

        rule("wages", city, u[LABOUR], u[GARMENT])
        rule("consumer", city, u[MARKET])
        rule("property", city, u[HOUSING])
        rule("medical", city, u[HEALTH])
        rule("crisis", city, u[VOLUNTEER])
        for code, name, communities in STREETS:
            street, police = self.areas[(code,)], u[police_name(name)]
            rule("wages", street, u[LABOUR], police, u[GARMENT])
            rule("traffic", street, police)
            rule("consumer", street, u[MARKET], police)
            rule("medical", street, u[HEALTH], police)
            for c_code, c_name in communities:
                area = self.areas[(code, c_code)]
                med, com = u[mediation_name(c_name)], u[committee_name(c_name)]
                rule("neighbour", area, med, police, com)
                rule("family", area, med, police, u[VOLUNTEER])
                rule("land", area, med, com, police)
                rule("property", area, u[HOUSING], com, med)
                rule("crisis", area, police, u[VOLUNTEER], com)
                rule("contract", area, med)

        existing = {
            (r.category_id, r.area_id, r.unit_id): r
            for r in RoutingRule.objects.filter(
                category__in=self.categories.values(), area__in=self.areas.values()
            )
        }
        to_create, to_update = [], []
        for (category, area, unit), rank in wanted.items():
            cat = self.categories[category]
            found = existing.get((cat.pk, area.pk, unit.pk))
            if found is None:
                to_create.append(RoutingRule(category=cat, area=area, unit=unit, rank=rank))
            elif found.rank != rank:
                found.rank = rank
                to_update.append(found)
        RoutingRule.objects.bulk_create(to_create)
        RoutingRule.objects.bulk_update(to_update, ["rank"])

    def seed_sla_policies(self) -> None:
        SlaPolicy.objects.get_or_create(
            category=None,
            risk_level="",
            colour="",
            defaults={"sign_minutes": 30, "contact_minutes": 24 * HOUR, "meet_minutes": 48 * HOUR},
        )
        for category, risk, sign_m, contact_m, meet_m in SLA_POLICIES:
            SlaPolicy.objects.update_or_create(
                category=self.categories[category] if category else None,
                risk_level=risk,
                colour="",
                defaults={
                    "sign_minutes": sign_m,
                    "contact_minutes": contact_m,
                    "meet_minutes": meet_m,
                },
            )
        for colour, sign_m, contact_m, meet_m in COLOUR_SLA_POLICIES:
            SlaPolicy.objects.update_or_create(
                category=None,
                risk_level="",
                colour=colour,
                defaults={
                    "sign_minutes": sign_m,
                    "contact_minutes": contact_m,
                    "meet_minutes": meet_m,
                },
            )

    def seed_users(self) -> None:
        User = get_user_model()
        password_hash = None
        for index, (username, last, first, memberships, _what) in enumerate(USERS, start=1):
            superuser = username in SUPERUSERS
            user, created = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_active": True,
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            if created or not user.password or not user.has_usable_password():
                # One hash for all demo users: hashing is deliberately slow.
                password_hash = password_hash or make_password(DEMO_PASSWORD)
                user.password = password_hash
                user.save(update_fields=["password"])
            for unit_name, role in memberships:
                Membership.objects.get_or_create(user=user, unit=self.units[unit_name], role=role)
            if memberships:
                # The mobile their SMS notices reach (a made-up demo number).
                Profile.objects.update_or_create(
                    user=user, defaults={"phone": f"1390595{index:04d}"}
                )
        # Fresh objects: the selectors cache memberships on the user object.
        self.users = {
            u.username: u for u in User.objects.filter(username__in=[x[0] for x in USERS])
        }

    # --- the mediation alliance (社会力量大调解联盟, issue 18) ---------------------------

    def seed_alliance_units(self) -> None:
        """The social-force units' sub-kinds, and a lawyers' unit (city-wide)."""
        city = self.areas[(CITY[0],)]
        self._unit(LAWYERS, Unit.Kind.SOCIAL_FORCE, city, [city], [], "0595-88715148")
        for name, kind in (
            (GARMENT, AllianceKind.ASSOCIATION),
            (VOLUNTEER, AllianceKind.VOLUNTEERS),
            (LAWYERS, AllianceKind.LAWYERS),
        ):
            Unit.objects.filter(name=name).update(alliance_kind=kind)

    def seed_alliance(self) -> None:
        """The volunteers' profiles; the lawyers invited to one open 湖滨 order (the
        闽南话 volunteer ``minnan`` is left for the center to invite); a joint activity
        last month. Idempotent."""
        profiles = {
            "minnan": (
                ["mediation", "psychology"],
                ["minnan", "putonghua"],
                [6, 7],
                "周末全天，工作日晚上",
            ),
            "lawyer": (["law"], ["putonghua", "minnan"], [3], "每周三下午"),
        }
        for username, (skills, dialects, weekdays, text) in profiles.items():
            m = Membership.objects.get(user__username=username, role=Role.VOLUNTEER)
            VolunteerProfile.objects.update_or_create(
                membership=m,
                defaults={
                    "skills": skills,
                    "dialects": dialects,
                    "weekdays": weekdays,
                    "availability": text,
                    "is_active": True,
                },
            )
        lawyers = self.units[LAWYERS]
        if not Invitation.objects.filter(unit=lawyers).exists():
            order = (
                Order.objects.filter(
                    street=self.areas[("HB",)], state__in=[State.SIGNED, State.CONTACTED]
                )
                .order_by("pk")
                .first()
            )
            if order is not None:
                services.order_invite(
                    order_id=order.pk,
                    actor=self.users["center"],
                    unit_id=lawyers.pk,
                    message="当事人咨询劳动合同条款，请律师协助释法。",
                    now=self.now,
                )
        first = (self.now.replace(day=1) - timedelta(days=1)).date().replace(day=15)
        activity, created = JointActivity.objects.get_or_create(
            title="法治宣传进社区（曾坑）",
            date=first,
            defaults={
                "kind": ActivityKind.LAW_PROMOTION,
                "organiser": self.units[center_name("湖滨街道")],
                "people_served": 120,
                "place": "曾坑社区文化广场",
                "created_by": self.users["center"],
                "created_at": self.now,
            },
        )
        if created:
            activity.units.set([self.units[VOLUNTEER], lawyers])
            activity.members.set([self.users["minnan"], self.users["lawyer"]])

    # --- training (培训, issue 18) --------------------------------------------------

    def seed_training(self) -> None:
        """A few training sessions last month and this month, with attendance, recorded
        through ``training.services`` by the street centers. Once: a session whose topic
        is already there is skipped."""
        today = self.now.date()
        this_month = today - timedelta(days=min(2, today.day - 1))
        last_month = today.replace(day=1) - timedelta(days=10)
        u, users = self.units, self.users
        hb, fl = self.areas[("HB",)], self.areas[("FL",)]
        hb_center, fl_center = u[center_name("湖滨街道")], u[center_name("凤里街道")]
        sessions = [
            # (actor, topic, kind, day, start, end, hours, trainer, trainer unit, area,
            #  organiser, [(username, status)], [(unit name, headcount)])
            (
                "center",
                "人民调解法与调解协议书规范",
                TrainingKind.LAW,
                last_month,
                time(14, 30),
                time(17, 0),
                None,
                "陈律师",
                "石狮市司法局",
                hb,
                hb_center,
                [
                    ("police", "attended"),
                    ("committee", "attended"),
                    ("grid", "attended"),
                    ("head", "absent"),
                ],
                [("曾坑社区居委会", 6)],
            ),
            (
                "center_head",
                "矛盾纠纷排查与风险研判",
                TrainingKind.BUSINESS,
                last_month + timedelta(days=3),
                time(9, 0),
                time(11, 0),
                None,
                "卢振华",
                "湖滨街道多元调处中心",
                hb,
                hb_center,
                [("police", "attended"), ("head", "attended"), ("center", "attended")],
                [],
            ),
            (
                "center",
                "心理危机识别与疏导",
                TrainingKind.COUNSELLING,
                this_month,
                None,
                None,
                Decimal("1.5"),
                "黄医生",
                "石狮市心理咨询中心",
                hb,
                hb_center,
                [("police", "attended"), ("committee", "attended"), ("grid", "absent")],
                [("曾坑社区居委会", 4)],
            ),
            (
                "center_fl",
                "调解技巧：用闽南话沟通",
                TrainingKind.MEDIATION,
                this_month,
                time(15, 0),
                time(17, 0),
                None,
                "许文斌",
                "凤里街道多元调处中心",
                fl,
                fl_center,
                [("center_fl", "attended")],
                [(police_name("凤里街道"), 8)],
            ),
        ]
        existing = set(TrainingSession.objects.values_list("topic", flat=True))
        for (
            actor,
            topic,
            kind,
            day,
            start,
            end,
            hours,
            trainer,
            trainer_unit,
            area,
            organizer,
            people,
            counts,
        ) in sessions:
            if topic in existing:
                continue
            training_services.session_create(
                actor=users[actor],
                data=training_services.SessionInput(
                    topic=topic,
                    kind=kind,
                    date=day,
                    start_time=start,
                    end_time=end,
                    hours=hours,
                    trainer_name=trainer,
                    trainer_unit=trainer_unit,
                    organizer_id=organizer.pk,
                    area_id=area.pk,
                    place=f"{organizer.name}会议室",
                    attendance=[
                        training_services.AttendeeInput(user_id=users[name].pk, status=status)
                        for name, status in people
                    ],
                    headcounts=[
                        training_services.HeadcountInput(unit_id=u[unit].pk, count=n)
                        for unit, n in counts
                    ],
                ),
            )

    # --- orders ---------------------------------------------------------------------

    def _start(self, spec: DemoOrder) -> datetime:
        if isinstance(spec.when, int):
            return self.now - timedelta(minutes=spec.when)
        days_ago, hhmm = spec.when
        hour, minute = (int(x) for x in hhmm.split(":"))
        day = timezone.localtime(self.now).date() - timedelta(days=days_ago)
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    def plan(self, specs: list[DemoOrder]) -> list[tuple[datetime, int, int, DemoOrder, Step]]:
        """Every report and step of the given orders, in the order they happened."""
        timeline = []
        for i, spec in enumerate(specs):
            start = self._start(spec)
            timeline.append((start, i, -1, spec, None))
            previous = 0
            for j, step in enumerate(spec.steps):
                at = start + timedelta(minutes=step.offset)
                if step.offset <= previous or at > self.now:
                    raise CommandError(f"demo order {spec.title!r}: step {j} is out of order")
                previous = step.offset
                timeline.append((at, i, j, spec, step))
        timeline.sort(key=lambda t: (t[0], t[1], t[2]))
        return timeline

    def seed_orders(self) -> int:
        present = set(
            Order.objects.filter(
                reporter__username__in={s.reporter for s in ORDERS},
                title__in=[s.title for s in ORDERS],
            ).values_list("title", "reporter__username")
        )
        missing = [s for s in ORDERS if (s.title, s.reporter) not in present]
        order_ids: dict[int, int] = {}
        for at, i, _j, spec, step in self.plan(missing):
            try:
                if step is None:
                    order_ids[i] = self._report(spec, at)
                else:
                    self._apply(order_ids[i], step, at)
            except DomainError as e:
                detail = e.errors if isinstance(e, InvalidInput) else e.message
                what = step.action if step else "report"
                raise CommandError(f"demo order {spec.title!r}, {what}: {detail}") from e
        return len(missing)

    def seed_incidents(self) -> int:
        """``DEMO_INCIDENTS`` through the intake as the command system's account, then
        the desk's pushes and links as ``duty``; once per database."""
        from disputes.desk import incident_link, incident_push
        from disputes.incidents import IncidentInput, incident_receive
        from disputes.models import Incident

        command, duty = self.users["command"], self.users["duty"]
        if Incident.objects.filter(submitted_by=command, number__startswith="J350581").exists():
            return 0
        titles = dict(Order.objects.values_list("title", "number"))
        made = 0
        for i, (days, hhmm, code, place, summary, address, caller, phone, desk) in enumerate(
            DEMO_INCIDENTS, start=1
        ):
            if isinstance(hhmm, int):
                at = self.now - timedelta(minutes=hhmm)
            else:
                hour, minute = (int(x) for x in hhmm.split(":"))
                day = timezone.localtime(self.now).date() - timedelta(days=days)
                at = timezone.make_aware(datetime.combine(day, time(hour, minute)))
            number = f"J350581{timezone.localtime(at):%Y%m%d}{i:04d}"
            incident_receive(
                actor=command,
                data=IncidentInput(
                    number=number,
                    received_at=at,
                    type_code=code,
                    summary=summary,
                    community="/".join(place),
                    address=address,
                    caller_name=caller,
                    caller_phone=phone,
                ),
                now=at + timedelta(minutes=1),
            )
            made += 1
            when = min(at + timedelta(minutes=20), self.now)
            if desk and desk[0] == "push":
                incident_push(
                    actor=duty,
                    number=number,
                    category_id=self.categories[desk[1]].pk,
                    now=when,
                )
            elif desk and desk[1] in titles:
                incident_link(actor=duty, number=number, order_number=titles[desk[1]], now=when)
        return made

    def _report(self, spec: DemoOrder, at: datetime) -> int:
        street, community = spec.place
        order = services.order_report(
            actor=self.users[spec.reporter],
            data=ReportInput(
                title=spec.title,
                narrative=spec.narrative,
                category_id=self.categories[spec.category].pk,
                community_id=self.areas[(street, community)].pk,
                risk_level=spec.risk,
                source=spec.source,
                address=spec.address,
                parties=spec.parties,
                **demo_location(f"{CITY[0]}/{street}/{community}/", spec.title),
            ),
            now=at,
        )
        if spec.source == "police_incident":
            self._incident_of(order, spec, at)
        return order.pk

    def _incident_of(self, order: Order, spec: DemoOrder, at: datetime) -> None:
        """The 警情 an incident-sourced demo order came from, sent by the command room's
        account: signing and ending the order queue its results for the command system
        (``disputes.results``), which the demo leaves unsent, pending in the admin (no
        COMMAND_RESULT_URL), and the command account can poll."""
        from disputes.models import Incident, IncidentType  # this block only

        Incident.objects.create(
            number="J" + order.number.replace("-", ""),
            received_at=at - timedelta(minutes=8),
            type=IncidentType.objects.filter(is_dispute=True, category=order.category_id)
            .order_by("code")
            .first()
            or IncidentType.objects.order_by("code").first(),
            summary=spec.title,
            address=spec.address,
            community=order.community,
            caller_name=spec.parties[0].name if spec.parties else "",
            order=order,
            submitted_by=self.users["command"],
            created_at=at,
        )

    def _apply(self, order_id: int, step: Step, at: datetime) -> None:
        if step.action not in ORDER_ACTIONS:  # pragma: no cover - a typo in the demo data
            raise CommandError(f"unknown demo step {step.action!r}")
        a = step.args
        if step.action in ("dispatch", "reassign"):
            routed = {
                "lead_unit_id": self.units[a["lead"]].pk,
                "assignee_id": self.users[a["assignee"]].pk if a["assignee"] else None,
                "assisting_unit_ids": [self.units[n].pk for n in a["assisting"]],
                "note": a["note"],
            }
            if a.get("leader"):
                routed["case_leader_id"] = self.users[a["leader"]].pk
            a = routed
        elif step.action == "recolour":
            leader = a["leader"]
            a = {
                "colour": a["colour"],
                "reason": a["reason"],
                "case_leader_id": self.users[leader].pk if leader else None,
            }
        elif step.action == "add_assisting":
            a = {"unit_ids": [self.units[n].pk for n in a["units"]], "note": a["note"]}
        elif step.action == "close":
            self._close_jointly(order_id, step, at)
            return
        elif step.action == "direct":
            a = {"demand": a["demand"], "reply_due_at": at + timedelta(minutes=a["within"])}
        elif step.action == "referral_result":
            a = {**a, "decided_on": timezone.localdate(at)}
        elif step.action == "merge":  # the kept demo order by its title
            kept = Order.objects.filter(title=a["into"]).order_by("pk").first()
            a = {"into": kept.number if kept else a["into"], "reason": a["reason"]}
        elif step.action == "direct_reply":
            awaiting = Directive.objects.filter(order_id=order_id, replied_at=None).latest("pk")
            a = {"directive_id": awaiting.pk, "reply": a["reply"]}
        service = services.service_for(step.action)
        service(order_id=order_id, actor=self.users[step.actor], now=at, **a)

    def _propose(self, order_id: int, step: Step, at: datetime) -> None:
        a = {k: v for k, v in step.args.items() if k != "confirm"}
        if a["outcome"] in ("mediated", "partly_mediated"):
            order = Order.objects.get(pk=order_id)
            a |= {
                "facts": order.narrative,
                "terms": a["summary"],
                "performance": "按本协议约定的方式和期限履行；履行完毕后由调解组织回访确认。",
                "perform_by": (at + timedelta(days=30)).date(),
            }
        services.order_propose_close(order_id=order_id, actor=self.users[step.actor], now=at, **a)

    def _close_jointly(self, order_id: int, step: Step, at: datetime) -> None:
        """The joint closing (结单确认) as ``close`` describes it."""
        mode = step.args["confirm"]
        self._propose(order_id, step, at)
        when = lambda minutes: min(at + timedelta(minutes=minutes), self.now)  # noqa: E731
        proposal = services.pending_closing(Order.objects.get(pk=order_id))
        confirmations = list(proposal.confirmations.order_by("party_id"))
        if mode == "refused_first":
            services.closing_respond(
                token=confirmations[0].token,
                confirm=False,
                reason="对赔偿金额还有异议，希望再协商。",
                now=when(5),
            )
            at = min(at + timedelta(hours=2), self.now)
            self._propose(order_id, step, at)
            proposal = services.pending_closing(Order.objects.get(pk=order_id))
            confirmations = list(proposal.confirmations.order_by("party_id"))
        if mode == "pending":
            services.closing_respond(token=confirmations[0].token, confirm=True, now=when(5))
            return
        for c in confirmations:
            services.closing_respond(token=c.token, confirm=True, now=when(5))
        order = Order.objects.get(pk=order_id)
        if proposal.reporter_needed and order.reporter_id != self._center_of(order).pk:
            services.order_closing_sign(order_id=order_id, actor=order.reporter, now=when(10))
        services.order_closing_sign(order_id=order_id, actor=self._center_of(order), now=when(15))
        self._review_grade(order_id, when(15))

    def _center_of(self, order: Order):
        """The street center's first dispatcher (who signs off and reviews grades)."""
        return (
            Membership.objects.filter(
                role=Role.DISPATCHER,
                unit__kind=Unit.Kind.STREET_CENTER,
                unit__area_id=order.street_id,
            )
            .select_related("user")
            .order_by("pk")
            .first()
            .user
        )

    def _review_grade(self, order_id: int, at: datetime) -> None:
        """The street center confirms a paid case's grade an hour after it closed (等级审核);
        cases closed in the last two days still await their review."""
        order = Order.objects.select_related("lead_unit", "reporter_unit", "street").get(
            pk=order_id
        )
        reviewed = at + timedelta(hours=1)
        if services.subsidised_unit(order) is None or reviewed > self.now - timedelta(days=2):
            return  # closed in the last two days: still within its review's three days
        services.order_grade_review(
            order_id=order_id, actor=self._center_of(order), grade=order.grade, now=reviewed
        )
