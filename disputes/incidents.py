"""Police incidents (警情) from the command system: the API and the CSV import call
``incident_receive``.

Who may submit: a user holding a non-supervisor membership in a police-station unit (the
command room's integration account is a reporter of the city bureau's command unit,
whose kind is "police station"). Anyone else gets ``Forbidden``.

What happens, in one transaction per incident:

* the incident is stored, unique by its number: a repeat changes nothing and returns
  the first result (``created=False``) to the account that sent it or a colleague in
  its police unit; anyone else gets ``Conflict`` and learns nothing of the incident. A
  concurrent repeat loses on the unique index and is answered the same way;
* a type the ``IncidentType`` table marks as a dispute becomes an order (source "police
  incident", reported by the submitting account through ``order_report``) and is
  dispatched at once to the community's police station, which is told of it
  (``order_dispatch_incident``: the intake routes, not the account's roles); other types
  are stored and counted only;
* if no police station covers the community, the order stays in its street's dispatch
  queue (the street's dispatchers were told by ``order_report``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dispatch.models import Area, Category, Role, Unit
from dispatch.selectors import memberships_of
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from shishi_mediation.validators import normalise_phone, validate_phone

from .models import Incident, IncidentType, Source
from .services import PartyInput, ReportInput, order_dispatch_incident, order_report

log = logging.getLogger(__name__)

# Received times further ahead than this are a clock or data error, not a real incident.
FUTURE_SKEW = timedelta(minutes=10)
EARLIEST_RECEIVED = datetime(2000, 1, 1)  # naive; compared in local time

# Types a fresh installation starts with (code, name, dispute?, category code). The
# table is edited in the admin; ``incident_types_seed`` only adds what is missing.
DEFAULT_INCIDENT_TYPES: list[tuple[str, str, bool, str | None]] = [
    ("JF-LZ", "劳资纠纷", True, "wages"),
    ("JF-LL", "邻里纠纷", True, "neighbour"),
    ("JF-HJ", "婚姻家庭纠纷", True, "family"),
    ("JF-WY", "物业纠纷", True, "property"),
    ("JF-XF", "消费纠纷", True, "consumer"),
    ("JF-JT", "交通事故纠纷", True, "traffic"),
    ("JF-TD", "土地山林纠纷", True, "land"),
    ("JF-ZW", "合同债务纠纷", True, "contract"),
    ("JF-YL", "医疗纠纷", True, "medical"),
    ("XS", "刑事案件", False, None),
    ("ZA", "治安案件", False, None),
    ("JT", "交通事故（无纠纷）", False, None),
    ("QZ", "群众求助", False, None),
    ("HZ", "火灾", False, None),
    ("WX", "无效警情", False, None),
]


# Of the default types, those that are police matters; the rest (disputes, calls for help,
# invalid calls) make the desk's non-police share (docs/REPORTS.md).
POLICE_MATTER_CODES = frozenset({"XS", "ZA", "JT", "HZ"})


def incident_types_seed() -> int:
    """Add the default incident types that are missing (by code); returns how many.
    Dispute types whose category does not exist are skipped."""
    categories = {c.code: c for c in Category.objects.all()}
    existing = set(IncidentType.objects.values_list("code", flat=True))
    added = [
        IncidentType(
            code=code,
            name=name,
            is_dispute=is_dispute,
            is_police_matter=code in POLICE_MATTER_CODES,
            category=categories.get(category_code) if category_code else None,
        )
        for code, name, is_dispute, category_code in DEFAULT_INCIDENT_TYPES
        if code not in existing and (not is_dispute or category_code in categories)
    ]
    IncidentType.objects.bulk_create(added)
    return len(added)


@dataclass
class IncidentInput:
    number: str
    received_at: datetime
    type_code: str
    summary: str
    community: str
    address: str = ""
    caller_name: str = ""
    caller_phone: str = ""


@dataclass
class IncidentResult:
    incident: Incident
    created: bool


# --- who may submit ------------------------------------------------------------------------


def incident_units(user) -> list[Unit]:
    """The police-station units in which the user may submit incidents."""
    return [
        m.unit
        for m in memberships_of(user)
        if m.role != Role.SUPERVISOR and m.unit.kind == Unit.Kind.POLICE_STATION
    ]


def can_submit_incidents(user) -> bool:
    return bool(incident_units(user))


def _sent_by_own_unit(incident: Incident, *, actor, unit_ids: set[int]) -> bool:
    """Whether ``actor`` (a member of the police units ``unit_ids``) sent the incident, or
    a colleague of one of those units did: who may read what was sent."""
    if incident.submitted_by_id == actor.pk:
        return True
    sender = incident.submitted_by
    return sender is not None and bool({u.pk for u in incident_units(sender)} & unit_ids)


def _repeat(incident: Incident, *, actor, units: list[Unit]) -> IncidentResult:
    """A number sent again: its stored result for the account that first sent it or a
    colleague in one of its police units; anyone else may not read another unit's
    incident (the caller, the phone, the address), so hears only that it is taken."""
    if not _sent_by_own_unit(incident, actor=actor, unit_ids={u.pk for u in units}):
        raise Conflict(_("此警情编号已由其他单位报送。"))
    return IncidentResult(incident, created=False)


# --- lookups -------------------------------------------------------------------------------


def resolve_community(value: str) -> Area | None:
    """A community by its code path ("HB/ZK", "SS/HB/ZK/") or, if unique, its name."""
    value = (value or "").strip()
    if not value or len(value) > 255:
        return None
    communities = Area.objects.filter(level=Area.Level.COMMUNITY).select_related("parent")
    path = value.strip("/") + "/"
    by_path = list(communities.filter(Q(path=path) | Q(path__endswith="/" + path))[:2])
    if len(by_path) == 1:
        return by_path[0]
    by_name = list(communities.filter(name=value)[:2])
    return by_name[0] if len(by_name) == 1 else None


def police_station_for(community: Area) -> Unit | None:
    """The community's police station: one covering the community itself, else one whose
    area is the community's street (lowest id first, so the choice is stable)."""
    stations = Unit.objects.filter(kind=Unit.Kind.POLICE_STATION, is_active=True)
    return (
        stations.filter(covered_areas=community).order_by("pk").first()
        or stations.filter(area_id=community.parent_id).order_by("pk").first()
    )


def parse_received_at(value: str) -> datetime | None:
    """ "2026-11-10 09:30[:00]", "2026/11/10 09:30" or ISO 8601; naive means Asia/Shanghai.
    None if it is not a date and time."""
    text = (value or "").strip().replace("/", "-")
    try:
        moment = parse_datetime(text)
    except ValueError:  # well-formed but impossible, e.g. month 13
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# --- counting (for reports) ---------------------------------------------------------------


def incident_counts(*, since: datetime, until: datetime, street_id: int | None = None) -> dict:
    """Incidents received in [since, until): total, dispute-type, made into orders, and
    per type code. One aggregate query; ``street_id`` narrows to one street."""
    qs = Incident.objects.filter(received_at__gte=since, received_at__lt=until)
    if street_id is not None:
        qs = qs.filter(community__parent_id=street_id)
    rows = qs.values("type__code", "type__is_dispute").annotate(
        n=Count("id"), orders=Count("order_id")
    )
    counts = {"total": 0, "disputes": 0, "orders": 0, "by_type": {}}
    for row in rows:
        counts["total"] += row["n"]
        counts["orders"] += row["orders"]
        if row["type__is_dispute"]:
            counts["disputes"] += row["n"]
        counts["by_type"][row["type__code"]] = row["n"]
    return counts


# --- the service ---------------------------------------------------------------------------


def _validate(data: IncidentInput, *, now: datetime) -> tuple[IncidentType, Area, str]:
    errors: dict[str, Any] = {}
    number = (data.number or "").strip()
    if not number:
        errors["number"] = _("此项为必填项。")
    elif len(number) > 64:
        errors["number"] = _("警情编号不超过64个字符。")
    received = data.received_at
    if received is None:
        errors["received_at"] = _("此项为必填项。")
    elif timezone.localtime(received).replace(tzinfo=None) < EARLIEST_RECEIVED:
        errors["received_at"] = _("接警时间无效。")
    elif received > now + FUTURE_SKEW:
        errors["received_at"] = _("接警时间不能晚于现在。")
    incident_type = (
        IncidentType.objects.select_related("category")
        .filter(code=(data.type_code or "").strip()[:32])
        .first()
    )
    if incident_type is None:
        errors["type"] = _("未知的警情类型：%(code)s。") % {"code": (data.type_code or "")[:32]}
    if not (data.summary or "").strip():
        errors["summary"] = _("此项为必填项。")
    elif len(data.summary) > 5000:
        errors["summary"] = _("警情摘要不超过5000字。")
    community = resolve_community(data.community)
    if community is None:
        errors["community"] = _("未知的社区：%(name)s。") % {"name": (data.community or "")[:64]}
    if len(data.address or "") > 200:
        errors["address"] = _("地址不超过200个字符。")
    if len(data.caller_name or "") > 64:
        errors["caller_name"] = _("报警人姓名不超过64个字符。")
    phone = normalise_phone(data.caller_phone)
    if phone:
        try:
            validate_phone(phone)
        except Exception as e:  # noqa: BLE001 - ValidationError: report it as a field error
            errors["caller_phone"] = list(getattr(e, "messages", [str(e)]))
    if errors:
        raise InvalidInput(errors)
    return incident_type, community, phone


def order_input(incident: Incident, *, category_id: int, unit: Unit) -> ReportInput:
    """What an order made from a stored incident says (the intake's own orders and the
    desk's pushes): the type and summary as its title, the incident's number, time and
    caller in its narrative, the caller as its party, reported for the police ``unit``."""
    summary = incident.summary.strip()
    received = timezone.localtime(incident.received_at).strftime("%Y-%m-%d %H:%M")
    title = f"{incident.type.name}：{summary}"
    if len(title) > 120:
        title = title[:119] + "…"
    narrative = _("%(summary)s\n\n（警情 %(number)s，%(received)s 接警，报警人 %(caller)s）") % {
        "summary": summary,
        "number": incident.number,
        "received": received,
        # The phone goes to the caller's party record, where it is masked per role.
        "caller": incident.caller_name or _("未留姓名"),
    }
    return ReportInput(
        title=title,
        narrative=narrative,
        category_id=category_id,
        community_id=incident.community_id,
        source=Source.POLICE_INCIDENT,
        address=incident.address,
        parties=[PartyInput(name=incident.caller_name or _("报警人"), phone=incident.caller_phone)],
        reporter_unit_id=unit.pk,
        from_incident_id=incident.pk,  # the radar does not count it as a repeat
    )


def incident_receive(*, actor, data: IncidentInput, now: datetime | None = None) -> IncidentResult:
    """Store a police incident once by its number; a dispute-type one becomes an order
    dispatched to the community's police station. Police-station members only.

    Raises ``Forbidden`` (not a police account) or ``InvalidInput`` (field errors: unknown
    type or community, bad time, bad phone…); a repeated number returns the stored
    incident with ``created=False`` whatever the rest of the input says, to its sender's
    unit only (else ``Conflict``).
    """
    now = now or timezone.now()
    units = incident_units(actor)
    if not units:
        raise Forbidden(_("只有派出所（含指挥中心）账号可以报送警情。"))
    number = (data.number or "").strip()
    stored = Incident.objects.select_related("submitted_by")
    existing = stored.filter(number=number).first() if number else None
    if existing is not None:
        return _repeat(existing, actor=actor, units=units)
    incident_type, community, phone = _validate(data, now=now)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                number=number,
                received_at=data.received_at,
                type=incident_type,
                summary=data.summary.strip(),
                address=(data.address or "").strip(),
                community=community,
                caller_name=(data.caller_name or "").strip(),
                caller_phone=phone,
                submitted_by=actor,
                created_at=now,
            )
            if incident_type.is_dispute:
                unit = units[0]
                station = police_station_for(community)
                # With a station to send it to, the dispatchers need not hear of it.
                order = order_report(
                    actor=actor,
                    data=order_input(incident, category_id=incident_type.category_id, unit=unit),
                    announce=station is None,
                    now=now,
                )
                incident.order = order
                incident.save(update_fields=["order"])
                if station is not None:
                    order = order_dispatch_incident(
                        order_id=order.pk,
                        actor=actor,
                        lead_unit_id=station.pk,
                        note=_("警情 %(number)s 自动派单至社区所属派出所。") % {"number": number},
                        now=now,
                    )
                    incident.order = order
    except IntegrityError:
        # A concurrent submission of the same number won; return its result.
        winner = stored.filter(number=number).first()
        if winner is None:
            raise
        return _repeat(winner, actor=actor, units=units)
    log.info(
        "incident %s stored (%s)%s",
        number,
        incident_type.code,
        f", order {incident.order.number}" if incident.order_id else "",
    )
    return IncidentResult(incident, created=True)


def well_formed_number(value: str | None) -> str | None:
    """An incident number as looked up: stripped, 1 to 64 printable characters; None
    otherwise (a NUL would be PostgreSQL's error, not a 404)."""
    number = (value or "").strip()
    return number if number and len(number) <= 64 and number.isprintable() else None


# --- who may read an incident's result (results back to the command system) ------------------


def incident_for_reader(*, actor, number: str) -> Incident:
    """The incident numbered ``number`` if ``actor`` may read it: the account that
    submitted it, or a colleague in one of that account's police units (``_repeat``'s
    rule), while the reader is itself a police-station member (not a supervisor).
    Anyone else, and a number that does not exist, get ``NotFound``: a guessed number
    reveals nothing."""
    number = well_formed_number(number)
    units = {u.pk for u in incident_units(actor)} if number else set()
    incident = (
        Incident.objects.select_related("submitted_by", "order__lead_unit")
        .filter(number=number)
        .first()
        if units
        else None
    )
    if incident is None or not _sent_by_own_unit(incident, actor=actor, unit_ids=units):
        raise NotFound(_("警情不存在或无权查看。"))
    return incident
