"""Every write of the care register. Keyword-only, ``now`` injectable; each in one
transaction, the subject's row locked for a visit. Permission: the actor must see the
subject's community in full (``selectors.care_scope``), else ``NotFound`` (404) for an
existing subject, ``InvalidInput`` on ``community`` when registering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deadlines.services import deadline_end, deadline_meet, deadline_start
from dispatch.models import Area
from disputes.incidents import police_station_for
from shishi_mediation.errors import InvalidInput, NotFound

from .clock import KIND
from .models import AidKind, CareAid, CareKind, CareSubject, CareVisit, visit_interval
from .selectors import care_scope, subjects_in_full

# A visit's time is entered to the minute; allow it to fall in the minute of registration.
_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class SubjectInput:
    name: str
    kind: str
    community_id: int
    address: str = ""
    phone: str = ""
    id_number: str = ""
    guardian_name: str = ""
    guardian_phone: str = ""
    needs: str = ""


def _full_clean(instance, exclude=()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as e:
        raise InvalidInput(e.message_dict) from None


def _start_clock(subject: CareSubject, *, at: datetime) -> None:
    station = police_station_for(subject.community)
    deadline_start(
        kind=KIND,
        subject_id=subject.pk,
        unit_id=station.pk if station else None,
        at=at,
        due=at + visit_interval(subject.kind),
    )


def care_subject_register(*, actor, data: SubjectInput, now: datetime | None = None) -> CareSubject:
    """Register a person in a community the actor sees in full (the community's police or
    committee); starts the care visit clock. 400 on ``community`` elsewhere."""
    now = now or timezone.now()
    scope = care_scope(actor)
    community = Area.objects.filter(pk=data.community_id, level=Area.Level.COMMUNITY).first()
    if community is None or not scope.sees_in_full(community.pk):
        raise InvalidInput({"community": [_("请选择您负责的社区。")]})
    subject = CareSubject(
        name=data.name.strip(),
        kind=data.kind,
        community=community,
        address=data.address.strip(),
        phone=data.phone.strip(),
        id_number=data.id_number.strip().upper(),
        guardian_name=data.guardian_name.strip(),
        guardian_phone=data.guardian_phone.strip(),
        needs=data.needs.strip(),
        created_by=actor,
        created_at=now,
    )
    _full_clean(subject, exclude=["created_by"])
    with transaction.atomic():
        subject.save()
        _start_clock(subject, at=now)
    return subject


def _locked_subject(actor, subject_id) -> CareSubject:
    subject = (
        subjects_in_full(actor)
        .select_for_update(of=("self",))
        .select_related("community")
        .filter(pk=subject_id)
        .first()
    )
    if subject is None:
        raise NotFound(_("关爱对象不存在或无权查看。"))
    return subject


def care_visit_record(
    *,
    actor,
    subject_id: int,
    visited_at: datetime,
    condition: str,
    needs_found: str = "",
    now: datetime | None = None,
) -> CareVisit:
    """Record a visit (not in the future, not before registration or the last visit):
    it meets the running clock (on time if by its due time) and starts the next, due
    the kind's interval after the visit. An inactive subject's visit starts no clock."""
    now = now or timezone.now()
    errors: dict[str, list] = {}
    if not (condition or "").strip():
        errors["condition"] = [_("请填写对象状况。")]
    if visited_at is None:
        errors["visited_at"] = [_("请填写走访时间。")]
    elif visited_at > now:
        errors["visited_at"] = [_("走访时间不能晚于现在。")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        subject = _locked_subject(actor, subject_id)
        last = subject.visits.order_by("-visited_at").values_list("visited_at", flat=True).first()
        floor = max(subject.created_at - _SLACK, last or subject.created_at - _SLACK)
        if visited_at < floor:
            raise InvalidInput({"visited_at": [_("走访时间不能早于登记时间或上一次走访。")]})
        met = deadline_meet(kind=KIND, subject_id=subject.pk, at=visited_at)
        visit = CareVisit.objects.create(
            subject=subject,
            visited_at=visited_at,
            visited_by=actor,
            condition=condition.strip(),
            needs_found=(needs_found or "").strip(),
            on_time=met.on_time if met is not None else None,
            recorded_at=now,
        )
        if subject.is_active:
            _start_clock(subject, at=visited_at)
    return visit


def care_aid_record(
    *,
    actor,
    subject_id: int,
    kind: str,
    given_on: date | None,
    amount: Decimal | None = None,
    outcome: str = "",
    now: datetime | None = None,
) -> CareAid:
    """Record aid given (帮扶记录); money raised needs its amount, never below 0."""
    now = now or timezone.now()
    errors: dict[str, list] = {}
    if kind not in AidKind.values:
        errors["kind"] = [_("请选择帮扶类型。")]
    if given_on is None:
        errors["given_on"] = [_("请填写日期。")]
    elif given_on > timezone.localdate(now):
        errors["given_on"] = [_("日期不能晚于今天。")]
    if amount is not None and amount < 0:
        errors["amount"] = [_("金额不能为负数。")]
    elif amount is None and kind == AidKind.FUNDRAISING:
        errors["amount"] = [_("募捐须填写金额。")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        subject = _locked_subject(actor, subject_id)
        aid = CareAid(
            subject=subject,
            kind=kind,
            given_on=given_on,
            amount=amount,
            outcome=(outcome or "").strip(),
            recorded_by=actor,
            recorded_at=now,
        )
        _full_clean(aid, exclude=["subject", "recorded_by"])
        aid.save()
    return aid


def care_subject_set_active(
    *, actor, subject_id: int, active: bool, now: datetime | None = None
) -> CareSubject:
    """Take a subject off the register (moved away, died, no longer in need: its visit
    clock ends, not met) or back on (a clock starts from ``now``)."""
    now = now or timezone.now()
    with transaction.atomic():
        subject = _locked_subject(actor, subject_id)
        if subject.is_active == active:
            return subject
        subject.is_active = active
        subject.save(update_fields=["is_active"])
        if active:
            _start_clock(subject, at=now)
        else:
            deadline_end(kind=KIND, subject_id=subject.pk, at=now)
    return subject


__all__ = [
    "CareKind",
    "SubjectInput",
    "care_aid_record",
    "care_subject_register",
    "care_subject_set_active",
    "care_visit_record",
]
