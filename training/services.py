"""Every write of training: a session with its attendance, recorded, changed or deleted.

Who may: the street center's dispatchers and heads for their street, supervisors for
their jurisdiction (``selectors.recording_areas``). A session outside what the actor may
see is ``NotFound`` (404); one it may see (it attended) but not record is ``Forbidden``
(403); bad input is ``InvalidInput`` naming each field (400)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from dispatch.models import Area, Membership
from shishi_mediation.errors import Forbidden, InvalidInput, NotFound
from shishi_mediation.text import visible_text

from .models import MAX_HOURS, Attendance, Kind, TrainingSession, UnitHeadcount
from .selectors import can_record, may_record_in, organizer_units, sessions_visible_to, units_in

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class AttendeeInput:
    user_id: int
    unit_id: int | None = None  # None: the person's first unit in the session's area
    status: str = Attendance.Status.ATTENDED


@dataclass(frozen=True)
class HeadcountInput:
    unit_id: int
    count: int


@dataclass
class SessionInput:
    topic: str
    kind: str
    date: date
    trainer_name: str
    organizer_id: int
    area_id: int
    start_time: time | None = None
    end_time: time | None = None
    hours: Decimal | None = None
    place: str = ""
    trainer_unit: str = ""
    note: str = ""
    # None leaves a session's lists as they are (an update that does not name them).
    attendance: list[AttendeeInput] | None = field(default_factory=list)
    headcounts: list[HeadcountInput] | None = field(default_factory=list)


def hours_between(start: time, end: time) -> Decimal:
    """The hours from ``start`` to ``end`` on one day, to the hundredth, half up."""
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return (Decimal(minutes) / 60).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _hours(data: SessionInput, errors: dict) -> Decimal | None:
    if data.end_time is not None and data.start_time is None:
        errors["start_time"] = _("填写结束时间时须同时填写开始时间。")
        return None
    derived = None
    if data.start_time is not None and data.end_time is not None:
        if data.end_time <= data.start_time:
            errors["end_time"] = _("结束时间须晚于开始时间。")
            return None
        derived = hours_between(data.start_time, data.end_time)
    given = data.hours
    if given is not None:
        try:
            given = Decimal(given)
            ok = given.is_finite()
        except (InvalidOperation, TypeError, ValueError):
            ok = False
        if not ok:
            errors["hours"] = _("学时须为数字。")
            return None
        if given <= 0:
            errors["hours"] = _("学时须大于0。")
            return None
        if given > MAX_HOURS:
            errors["hours"] = _("学时不能超过24小时。")
            return None
        if given != given.quantize(HUNDREDTH):
            errors["hours"] = _("学时最多两位小数。")
            return None
        if derived is not None and given != derived:
            errors["hours"] = _("学时与起止时间不符（按时间应为%(h)s小时）。") % {"h": derived}
            return None
    hours = derived if derived is not None else given
    if hours is None:
        errors["hours"] = _("请填写学时，或填写起止时间。")
    elif hours <= 0:
        errors["hours"] = _("学时须大于0。")
        return None
    return hours


def _attendance(area: Area, rows: list[AttendeeInput], errors: dict) -> list[Attendance]:
    """The attendance rows to save, or errors naming ``attendance[i].user`` / ``.unit``."""
    units_of: dict[int, list[int]] = {}
    for user_id, unit_id in (
        Membership.objects.filter(
            user_id__in={r.user_id for r in rows},
            unit__in=units_in(area),
            user__is_active=True,
        )
        .order_by("unit__area__path", "unit__name", "unit_id")
        .values_list("user_id", "unit_id")
    ):
        units_of.setdefault(user_id, [])
        if unit_id not in units_of[user_id]:
            units_of[user_id].append(unit_id)
    seen: set[int] = set()
    out = []
    for i, row in enumerate(rows):
        key = f"attendance[{i}]"
        if row.status not in Attendance.Status.values:
            errors[f"{key}.status"] = _("不是有效的选项。")
            continue
        if row.user_id in seen:
            errors[f"{key}.user"] = _("此人已在名单中，不能重复。")
            continue
        seen.add(row.user_id)
        units = units_of.get(row.user_id)
        if not units:
            errors[f"{key}.user"] = _("此人不属于培训范围内的单位。")
            continue
        unit_id = row.unit_id or units[0]
        if unit_id not in units:
            errors[f"{key}.unit"] = _("此人不是该单位的成员，或该单位不在培训范围内。")
            continue
        out.append(Attendance(user_id=row.user_id, unit_id=unit_id, status=row.status))
    return out


def _headcounts(area: Area, rows: list[HeadcountInput], errors: dict) -> list[UnitHeadcount]:
    allowed = set(
        units_in(area).filter(pk__in={r.unit_id for r in rows}).values_list("pk", flat=True)
    )
    seen: set[int] = set()
    out = []
    for i, row in enumerate(rows):
        key = f"headcounts[{i}]"
        if row.unit_id in seen:
            errors[f"{key}.unit"] = _("此单位已填写人数，不能重复。")
        elif row.unit_id not in allowed:
            errors[f"{key}.unit"] = _("该单位不在培训范围内。")
        elif (
            isinstance(row.count, bool)
            or not isinstance(row.count, int)
            or not 1 <= row.count <= 999
        ):
            errors[f"{key}.count"] = _("人数须为1到999之间的整数。")
        else:
            seen.add(row.unit_id)
            out.append(UnitHeadcount(unit_id=row.unit_id, count=row.count))
    return out


def _validated(actor, data: SessionInput) -> tuple[dict, list | None, list | None]:
    """The session's fields, attendance and headcounts; ``InvalidInput`` naming every
    field that is wrong."""
    errors: dict[str, str] = {}
    topic = visible_text(data.topic)
    trainer_name = visible_text(data.trainer_name)
    if not topic:
        errors["topic"] = _("请填写培训主题。")
    if not trainer_name:
        errors["trainer_name"] = _("请填写授课人。")
    if data.kind not in Kind.values:
        errors["kind"] = _("不是有效的选项。")
    if not isinstance(data.date, date) or isinstance(data.date, datetime):
        errors["date"] = _("请填写日期。")
    hours = _hours(data, errors)
    area = Area.objects.filter(pk=data.area_id).first()
    if area is None or not may_record_in(actor, area):
        errors["area"] = _("该区域不在您可登记培训的范围内。")
        area = None
    organizer = organizer_units(actor).filter(pk=data.organizer_id).first()
    if organizer is None:
        errors["organizer"] = _("组织单位须为您登记范围内的单位。")
    attendance = headcounts = None
    if area is not None:
        if data.attendance is not None:
            attendance = _attendance(area, data.attendance, errors)
        if data.headcounts is not None:
            headcounts = _headcounts(area, data.headcounts, errors)
    if errors:
        raise InvalidInput(errors)
    fields = {
        "topic": topic,
        "kind": data.kind,
        "date": data.date,
        "start_time": data.start_time,
        "end_time": data.end_time,
        "hours": hours,
        "place": visible_text(data.place),
        "trainer_name": trainer_name,
        "trainer_unit": visible_text(data.trainer_unit),
        "organizer": organizer,
        "area": area,
        "note": (data.note or "").strip(),
    }
    return fields, attendance, headcounts


def _save_lists(session: TrainingSession, attendance: list | None, headcounts: list | None):
    if attendance is not None:
        session.attendances.all().delete()
        for row in attendance:
            row.session = session
        Attendance.objects.bulk_create(attendance)
    if headcounts is not None:
        session.headcounts.all().delete()
        for row in headcounts:
            row.session = session
        UnitHeadcount.objects.bulk_create(headcounts)


def session_create(*, actor, data: SessionInput) -> TrainingSession:
    """Record a session with its attendance. Called by a recorder (a street center's
    dispatcher or head, a supervisor) for an area of its street or jurisdiction:
    ``Forbidden`` for anyone else, ``InvalidInput`` naming the fields."""
    if not can_record(actor):
        raise Forbidden(_("只有街道调处中心的派单员、负责人和督导员可以登记培训。"))
    fields, attendance, headcounts = _validated(actor, data)
    with transaction.atomic():
        session = TrainingSession.objects.create(created_by=actor, **fields)
        _save_lists(session, attendance, headcounts)
    return session


def _locked(actor, session_id: int) -> TrainingSession:
    session = (
        sessions_visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("area")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound(_("培训不存在或无权查看。"))
    if not may_record_in(actor, session.area):
        raise Forbidden(_("您不能修改这次培训的记录。"))
    return session


def session_update(*, actor, session_id: int, data: SessionInput) -> TrainingSession:
    """Change a session (and, when given, replace its attendance and headcounts). Only a
    recorder of the session's area (and of the new area, when it moves): ``NotFound``
    when the actor may not see it, ``Forbidden`` when it may see but not record it."""
    with transaction.atomic():
        session = _locked(actor, session_id)
        fields, attendance, headcounts = _validated(actor, data)
        for name, value in fields.items():
            setattr(session, name, value)
        session.save()
        _save_lists(session, attendance, headcounts)
    return session


def session_delete(*, actor, session_id: int) -> None:
    """Delete a session recorded in error, with its attendance (same checks as update)."""
    with transaction.atomic():
        _locked(actor, session_id).delete()


def session_input_of(session: TrainingSession) -> SessionInput:
    """A session as input (to change a few fields of it), lists left as they are."""
    return SessionInput(
        topic=session.topic,
        kind=session.kind,
        date=session.date,
        trainer_name=session.trainer_name,
        organizer_id=session.organizer_id,
        area_id=session.area_id,
        start_time=session.start_time,
        end_time=session.end_time,
        hours=session.hours,
        place=session.place,
        trainer_unit=session.trainer_unit,
        note=session.note,
        attendance=None,
        headcounts=None,
    )
