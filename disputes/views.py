"""Server-rendered pages. Every page starts from ``orders_visible_to`` (through the
selectors); every write goes through ``disputes.services``; buttons come from
``available_actions`` and the services check again."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_GET, require_POST

from dispatch.models import Role
from dispatch.selectors import memberships_of, units_serving
from notifications.levels import EscalationLevel
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from shishi_mediation.ids import id_from_text
from shishi_mediation.replica import replica_reads
from shishi_mediation.text import display_name, joined
from shishi_mediation.web import (
    PAGE_SIZE,
    DomainErrorMixin,
    error_page,
    page_size,
    paginate,
    safe_next,
)

from . import services
from .actions import ORDER_ACTIONS
from .alliance_forms import invitation_context
from .clocks import Clock, stage_rows, with_clocks
from .clocks import urgency as urgency_of
from .colours import Colour
from .downloads import attachment_response
from .filters import OrderFilter
from .forms import (
    AddAssistingForm,
    AssistanceForm,
    AssistOpinionForm,
    ContactForm,
    DirectForm,
    DirectReplyForm,
    DispatchForm,
    GradeReviewForm,
    LeaderReviewForm,
    MeetingForm,
    MergeForm,
    NoteForm,
    PartyForm,
    PartyFormSet,
    PauseDecideForm,
    PauseForm,
    ReasonForm,
    RecolourForm,
    ReferralResultForm,
    ReportForm,
    ResumeForm,
    ReturnReviewForm,
    ReturnVisitForm,
    RouteForm,
)
from .locations import map_settings
from .merging import merged_rows
from .models import (
    Attachment,
    ContactMethod,
    Directive,
    Escalation,
    EventKind,
    Order,
    Outcome,
    Party,
    PartyConfirmation,
    ReferralOutcome,
    ReturnVisit,
    Review,
    State,
)
from .radar import radar_for_viewer, radar_query_for
from .referrals import referral_follow_up
from .review_links import closing_rows, review_link_rows
from .selectors import (
    ALL_NUMBERS,
    BOARD_SORTS,
    HANDLER_ROLES,
    URGENCIES,
    VisibleRows,
    allowed_actions,
    assist_actions,
    assistance_parts,
    attachment_for,
    available_actions,
    board_counts,
    board_orders,
    can_report,
    dispatch_queue,
    handled_unit_ids,
    handler_orders,
    handlers_of_unit,
    is_alliance_only,
    is_dispatcher,
    my_reports,
    order_for_page,
    order_list,
    order_pauses,
    orders_visible_to,
    party_numbers,
    party_numbers_in_full,
    pause_actions,
    reporter_units,
    street_state_counts,
    suggested_units_by_order,
)
from .services import PartyInput, ReportInput
from .stages import CLOCK

BOARD_FILTERS = ("q", "state", "colour", "category", "unit", "community", "overdue")
LIST_FILTERS = (
    "q",
    "state",
    "colour",
    "category",
    "unit",
    "street",
    "community",
    "risk_level",
    "overdue",
    "reported_after",
    "reported_before",
)


@login_required
def home(request):
    """Each person lands on the page of their main job."""
    user = request.user
    roles = {m.role for m in memberships_of(user)}
    if Role.DISPATCHER in roles:
        return redirect("queue")
    if roles & set(HANDLER_ROLES):
        return redirect("handling")
    if Role.REPORTER in roles:
        return redirect("my-reports")
    if Role.SUPERVISOR in roles or user.is_superuser:
        return redirect("overview")
    if Role.VOLUNTEER in roles:
        return redirect("my-assists")  # the mediation alliance: the orders it assists
    return render(request, "disputes/no_role.html")


def _filters(request) -> tuple[OrderFilter, Callable | None]:
    """OrderFilter (the API's filters too) from the query string, and the function that
    applies it to a list's queryset (``VisibleRows`` applies it to each of its parts)."""
    filterset = OrderFilter(request.GET or None, request=request)
    filterset.form.fields["q"].widget.attrs.update(
        {"placeholder": _("编号、当事人姓名或内容"), "type": "search", "aria-label": _("搜索")}
    )
    filterset.is_open = any(
        k not in ("q", "page", "per_page", "urgency", "sort") for k in request.GET
    )
    if not filterset.is_bound:
        return filterset, None
    filterset.form.is_valid()  # invalid fields show their errors and filter nothing
    return filterset, filterset.filter_queryset


def _shown(filterset: OrderFilter, names) -> list:
    """The filter form's fields a page offers under "筛选", in its order."""
    return [filterset.form[name] for name in names if name != "q"]


# --- lists --------------------------------------------------------------------------------


class PageWithoutCount:
    """A page of a list that is never counted: one row more than the page is read, and
    a next page exists if it came back. The total is known on the last page only."""

    paginator = None

    def __init__(self, rows: list, *, number: int, size: int):
        self.number = number
        self.object_list = rows[:size]
        self._more = len(rows) > size
        last = not self._more and (self.object_list or number == 1)
        self.total = (number - 1) * size + len(self.object_list) if last else None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


MAX_PAGE = 10_000  # deeper than that, a search or a filter finds it sooner


def page_without_count(request, rows: VisibleRows, *, default: int = PAGE_SIZE) -> PageWithoutCount:
    """``?page=`` of a list (``?per_page=`` as ``paginate``), without counting it."""
    size = page_size(request, default=default)
    try:
        number = min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        number = 1
    start = (number - 1) * size
    return PageWithoutCount(rows[start : start + size + 1], number=number, size=size)


@replica_reads
@login_required
def order_search(request):
    """Every order the user may see, with filters and search. Its pages are not counted:
    a street's center sees ~160,000 orders at a million, and counting them would cost
    more than the page."""
    filterset, filters = _filters(request)
    page = page_without_count(request, order_list(request.user, filters=filters))
    with_clocks(page.object_list)
    return render(
        request,
        "disputes/order_list.html",
        {"page": page, "filter": filterset, "filter_fields": _shown(filterset, LIST_FILTERS)},
    )


URGENCY_LABELS = {
    "all": gettext_lazy("全部"),
    "overdue": gettext_lazy("超时"),
    "warning": gettext_lazy("临期"),
    "ok": gettext_lazy("按时"),
    "waiting": gettext_lazy("待派单/待结单"),
}


URGENCY_CLASSES = {
    "all": "",
    "overdue": "clock clock-overdue",
    "warning": "clock clock-warning",
    "ok": "clock clock-ok",
    "waiting": "clock clock-queue",
}


def _sort_links(request, current: str) -> list[dict]:
    """The board's two orders (nearest deadline first, red first), each a link keeping
    the other filters, from the first page."""
    labels = {"due": _("按时限"), "colour": _("红色优先")}
    links = []
    for key in BOARD_SORTS:
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("sort", None)
        if key != "due":
            query["sort"] = key
        url = f"?{query.urlencode()}" if query else request.path
        links.append({"key": key, "label": labels[key], "url": url, "current": key == current})
    return links


def _urgency_legend(request, counts: dict[str, int], *, current: str | None = None) -> list:
    """The legend's entries with their counts; with ``current``, each links to the same
    list showing only its orders (the other filters kept, from the first page)."""
    legend = []
    for key in ("all", *URGENCIES):
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("urgency", None)
        if key != "all":
            query["urgency"] = key
        legend.append(
            {
                "key": key,
                "label": URGENCY_LABELS[key],
                "n": counts[key],
                "cls": URGENCY_CLASSES[key],
                "url": f"?{query.urlencode()}" if query else request.path,
                "current": key == (current or "all"),
            }
        )
    return legend


@replica_reads
@login_required
def board(request):
    """The live board: open orders with their SLA countdowns, refreshed by htmx polling
    of the same URL (which then answers with the board fragment only). The legend counts
    them by urgency and ``?urgency=`` shows one kind only."""
    if is_alliance_only(request.user):  # a volunteer sees its invited orders one by one
        return error_page(request, Forbidden(), 403)
    filterset, filters = _filters(request)
    now = timezone.now()
    urgency = request.GET.get("urgency")
    urgency = urgency if urgency in URGENCIES else None
    sort = request.GET.get("sort")
    sort = sort if sort in BOARD_SORTS else "due"
    counts = board_counts(request.user, filters=filters, now=now)
    rows = board_orders(request.user, filters=filters, urgency=urgency, now=now, sort=sort)
    page = paginate(request, rows, default=50, count=counts[urgency or "all"])
    with_clocks(page.object_list, now)
    for order in page.object_list:
        level = order.escalation_level
        order.escalation = str(EscalationLevel(level).label) if level is not None else ""
    context = {
        "page": page,
        "filter": filterset,
        "filter_fields": _shown(filterset, BOARD_FILTERS),
        "urgency": urgency,
        "sort": sort,
        "sort_links": _sort_links(request, sort),
        "counts": counts,
        "legend": _urgency_legend(request, counts, current=urgency),
        "now": now,
        "refresh_seconds": getattr(settings, "BOARD_REFRESH_SECONDS", 30),
    }
    if request.htmx:
        return render(request, "disputes/_board.html", context)
    return render(request, "disputes/board.html", context)


@replica_reads
@login_required
def queue(request):
    """The dispatch queue: reported orders of the user's streets with suggested units and
    each one's dispatch countdown."""
    if not is_dispatcher(request.user):
        return error_page(request, Forbidden(_("只有调处中心派单员可以派单。")), 403)
    page = paginate(request, dispatch_queue(request.user))
    with_clocks(page.object_list)
    suggestions = suggested_units_by_order(page.object_list)
    for order in page.object_list:
        order.suggested = suggestions.get(order.pk, [])
    return render(request, "disputes/queue.html", {"page": page})


@login_required
@require_POST
def queue_dispatch_bulk(request):
    """The queue's ticked orders, each to its first suggested unit
    (``services.orders_dispatch_bulk``); back on the queue, one message for those sent
    and one per order that was not, with its reason."""
    back = safe_next(request, reverse("queue"))
    # A tick that is not an id is passed as it came, so the service names the field.
    ids = [id_from_text(v) or v for v in request.POST.getlist("ids")]
    try:
        outcomes = services.orders_dispatch_bulk(order_ids=ids, actor=request.user)
    except Forbidden as e:
        return error_page(request, e, 403)
    except InvalidInput as e:
        for problems in e.errors.values():
            for problem in problems:
                messages.error(request, problem)
        return redirect(back)
    sent = [o for o in outcomes if o.dispatched]
    if sent:
        listed = joined(f"{o.number} → {o.lead_unit.name}" for o in sent)
        messages.success(
            request, _("已派出 %(count)d 张订单：%(list)s") % {"count": len(sent), "list": listed}
        )
    for o in outcomes:
        if not o.dispatched:
            messages.warning(
                request,
                _("%(number)s 未派出：%(reason)s")
                % {"number": o.number or f"#{o.order_id}", "reason": o.reason},
            )
    return redirect(back)


@replica_reads
@login_required
def handling(request):
    """My unit's open orders, the nearest deadline first, with one-tap signing; those it
    only assists in a section after them. Counts by urgency of those it leads."""
    user = request.user
    now = timezone.now()
    rows = handler_orders(user, now=now)
    page = paginate(request, rows)
    with_clocks(page.object_list, now)
    my_units = handled_unit_ids(user)
    for order in page.object_list:
        order.actions = available_actions(user, order)
    context = {
        "page": page,
        "my_units": my_units,
        "lead": [o for o in page.object_list if o.lead_unit_id in my_units],
        "assisting": [o for o in page.object_list if o.lead_unit_id not in my_units],
        "counts": rows.counts,
        "legend": _urgency_legend(request, rows.counts)[1:],  # of the orders it leads
    }
    return render(request, "disputes/handling.html", context)


@login_required
def reports_mine(request):
    page = paginate(request, my_reports(request.user))
    with_clocks(page.object_list)
    return render(request, "disputes/my_reports.html", {"page": page})


@replica_reads
@login_required
def overview(request):
    """Counts per state and street over everything the user may see."""
    if is_alliance_only(request.user):
        return error_page(request, Forbidden(), 403)
    now = timezone.now()
    rows = street_state_counts(request.user, now=now)
    states = list(State)
    for row in rows:
        row["cells"] = [(s.value, row["states"].get(s.value, 0)) for s in states]
    totals = {
        "cells": [(s.value, sum(r["states"].get(s.value, 0) for r in rows)) for s in states],
        "overdue": sum(r["overdue"] for r in rows),
        "total": sum(r["total"] for r in rows),
    }
    # Each escalated running stage counted once, at its highest open level.
    by_level = (
        Escalation.objects.filter(
            order__in=orders_visible_to(request.user).values("pk")
        ).open_counts_by_level()
        if rows
        else dict.fromkeys(EscalationLevel.values, 0)
    )
    return render(
        request,
        "disputes/overview.html",
        {
            "rows": rows,
            "states": states,
            "totals": totals,
            "overdue_escalations": sum(n for lv, n in by_level.items() if lv > 0),
            "escalations_by_level": by_level.items(),
        },
    )


# --- the order page -------------------------------------------------------------------------


def _load(user, pk) -> Order:
    try:
        return order_for_page(user, pk)
    except Order.DoesNotExist:
        raise NotFound() from None


def _party_rows(order: Order, *, in_full: frozenset[str]) -> list[dict]:
    """The parties as the viewer sees them (``party_numbers_in_full``); ``phone_in_full``
    says whether the phone may be a ``tel:`` link."""
    rows = []
    for p in order.parties.all():
        rows.append(
            {
                "party": p,
                **party_numbers(p, in_full=in_full),
                "phone_in_full": "phone" in in_full,
                "flags": [
                    Party._meta.get_field(f).verbose_name for f in PartyForm.FLAGS if getattr(p, f)
                ],
            }
        )
    return rows


def _colour_label(value) -> str:
    return str(Colour(value).label) if value in Colour.values else ""


def _colour_detail(d: dict) -> str:
    """A dispatch's or a 改色's colour: "黄 → 红", the system's judgement if overridden,
    and the 包案 leader."""
    colour = _colour_label(d.get("colour"))
    if not colour:
        return ""
    before = _colour_label(d.get("previous_colour"))
    text = f"{before} → {colour}" if before else colour
    if d.get("computed_colour"):
        text += " " + _("（系统判定：%(colour)s）") % {
            "colour": _colour_label(d["computed_colour"])
        }
    if d.get("case_leader"):
        text += " · " + _("包案领导：%(name)s") % {"name": d["case_leader"]}
    return text


def _event_detail(event) -> str:
    """A short line from an event's data (the note is shown separately)."""
    d = event.data or {}
    if event.kind in (EventKind.DISPATCHED, EventKind.REASSIGNED):
        parts = [d.get("lead_unit", "")]
        if d.get("assignee"):
            parts.append(d["assignee"])
        text = " · ".join(p for p in parts if p)
        if d.get("assisting_units"):
            text += " " + _("协办：%(units)s") % {"units": "、".join(d["assisting_units"])}
        if d.get("previous_unit"):
            text = _("原单位：%(unit)s") % {"unit": d["previous_unit"]} + " → " + text
        return " · ".join(p for p in (text, _colour_detail(d)) if p)
    if event.kind == EventKind.RETURNED and d.get("returned_by_unit"):
        text = _("退单单位：%(unit)s") % {"unit": d["returned_by_unit"]}
        if d.get("approved"):
            text += " · " + _("经审核批准")
        return text
    if event.kind in (EventKind.RETURN_REQUESTED, EventKind.ASSISTANCE_ASKED) and d.get("unit"):
        return d["unit"]
    if event.kind == EventKind.CONTACTED and d.get("method"):
        return str(ContactMethod(d["method"]).label) if d["method"] in ContactMethod.values else ""
    if event.kind == EventKind.MET and d.get("place"):
        return d["place"]
    if event.kind in (EventKind.CLOSED, EventKind.CLOSING_PROPOSED) and d.get("outcome"):
        text = str(Outcome(d["outcome"]).label) if d["outcome"] in Outcome.values else ""
        if d.get("forced"):
            text += " · " + _("逾期结单")
        if event.kind == EventKind.CLOSING_PROPOSED and d.get("due_at"):
            due = d["due_at"][:16].replace("T", " ")
            text += " · " + _("确认截止：%(due)s") % {"due": due}
        return text
    if event.kind in (EventKind.PARTY_CONFIRMED, EventKind.PARTY_REFUSED) and d.get("party"):
        how = PartyConfirmation.How
        way = str(how(d["how"]).label) if d.get("how") in how.values else ""
        return " · ".join(p for p in (d["party"], way) if p)
    if event.kind == EventKind.CLOSING_SIGNED and d.get("signed"):
        names = {"reporter": _("报单人"), "center": _("调解中心")}
        return "、".join(str(names[w]) for w in d["signed"] if w in names)
    if event.kind == EventKind.ATTACHMENT and d.get("name"):
        return d["name"]
    if event.kind == EventKind.REVIEWED and d.get("rating"):
        rating = d["rating"]
        text = str(Review.Rating(rating).label) if rating in Review.Rating.values else ""
        if d.get("second_visit"):  # a bad review asks for a second visit (二次回访)
            text += " · " + _("安排二次回访，截止 %(due)s") % {"due": _due(d["second_visit"])}
        return text
    if event.kind in (EventKind.DIRECTED, EventKind.DIRECT_REPLIED) and d.get("due_at"):
        text = _("回复期限：%(due)s") % {"due": d["due_at"][:16].replace("T", " ")}
        if "on_time" in d:
            text += " · " + (_("按时回复") if d["on_time"] else _("超时回复"))
        return text
    if event.kind == EventKind.RECOLOURED:
        return _colour_detail(d)
    if event.kind == EventKind.REFERRAL_RESULT and d.get("outcome"):
        outcome = d["outcome"]
        parts = [
            str(ReferralOutcome(outcome).label) if outcome in ReferralOutcome.values else "",
            d.get("body", ""),
            d.get("case_number", ""),
        ]
        if "on_time" in d:  # the first result: the follow-up met
            parts.append(_("按时跟踪") if d["on_time"] else _("超时跟踪"))
        return " · ".join(p for p in parts if p)
    if event.kind == EventKind.RETURN_VISIT and "satisfied" in d:
        return _visit_detail(d)
    if event.kind == EventKind.MERGED and d.get("merged_into"):
        return _("合并至 %(number)s") % {"number": d["merged_into"]["number"]}
    if event.kind == EventKind.MERGED_IN and d.get("duplicate"):
        return _("重复报单 %(number)s 已合并至本单") % {"number": d["duplicate"]["number"]}
    if event.kind == EventKind.REPORTED and d.get("reopened_from"):
        return _("重新调解自原订单 %(number)s") % {"number": d["reopened_from"]["number"]}
    return ""


def _due(duty: dict) -> str:
    return (duty.get("due_at") or "")[:16].replace("T", " ")


def _visit_detail(d: dict) -> str:
    """A return visit's line: satisfied or not, the agreement kept, the visit due it met
    (on time or late) and what followed (a second visit, a reopened order)."""
    parts = [{True: _("满意"), False: _("不满意")}.get(d["satisfied"], _("未表态"))]
    kept = d.get("agreement_kept")
    if kept in ReturnVisit.AgreementKept.values:
        parts.append(_("协议：%(kept)s") % {"kept": ReturnVisit.AgreementKept(kept).label})
    if d.get("met"):
        parts.append(_("按时回访") if d["met"].get("on_time") else _("超时回访"))
    if d.get("second_visit"):
        parts.append(_("安排二次回访，截止 %(due)s") % {"due": _due(d["second_visit"])})
    if d.get("reopened"):
        parts.append(_("重新调解为新订单 %(number)s") % {"number": d["reopened"]["number"]})
    return " · ".join(parts)


def _pending_return_row(order: Order, now) -> dict | None:
    """The return request awaiting review, with its review clock's countdown."""
    request = services.pending_return(order)
    if request is None:
        return None
    clock = None
    if request.duty is not None:
        duty = request.duty
        clock = Clock(
            stage="review",
            label=duty.get_kind_display(),
            due=duty.due_at,
            limit=duty.limit,
            urgency=urgency_of(due=duty.due_at, limit=duty.limit, now=now),
            remaining=duty.due_at - now,
        )
    return {"request": request, "clock": clock}


def _part_clock(duty, now) -> Clock | None:
    if duty is None or not duty.is_running:
        return None
    return Clock(
        stage=duty.kind,
        label="",
        due=duty.due_at,
        limit=duty.limit,
        urgency=urgency_of(due=duty.due_at, limit=duty.limit, now=now),
        remaining=duty.due_at - now,
    )


def _assistance_rows(parts, user, now) -> list[dict]:
    """The assisting units' parts as the order page lists them: each with the running
    clock of its signing or its opinion, and whether it is one of the user's units."""
    units = set(handled_unit_ids(user))
    return [
        {
            "part": a,
            "mine": a.unit_id in units and a.ended_at is None,
            "sign_clock": _part_clock(a.sign_duty, now),
            "opinion_clock": _part_clock(a.opinion_duty, now),
        }
        for a in parts
    ]


@replica_reads
@login_required
def order_detail(request, pk: int):
    user = request.user
    try:
        order = order_for_page(user, pk)
    except Order.DoesNotExist:
        return error_page(request, NotFound(), 404)
    now = timezone.now()
    pauses = order_pauses(order)
    parts = assistance_parts(order)
    actions = pause_actions(available_actions(user, order), pauses, order, now)
    actions = assist_actions(actions, parts, user)
    events = list(order.events.all())
    for e in events:
        e.detail = _event_detail(e)
    numbers_in_full = party_numbers_in_full(user, order)
    reviews = []
    # The handling unit, the center; for a dispute settled on the spot, its reporter.
    if order.state == State.CLOSED and (
        numbers_in_full == ALL_NUMBERS or (order.on_the_spot and order.reporter_id == user.pk)
    ):
        reviews = review_link_rows(request, order, phone_in_full="phone" in numbers_in_full)
    visits = list(order.return_visits.select_related("visited_by"))
    context = {
        "order": order,
        "actions": actions,
        "events": events,
        "parties": _party_rows(order, in_full=numbers_in_full),
        "numbers_in_full": numbers_in_full,
        "stages": stage_rows(order, now),
        "open_escalations": list(order.escalations.highest_open().order_by("raised_at")),
        "reviews": reviews,
        "return_visits": visits,
        "pauses": pauses,
        "running_pauses": {p.stage: p.ends_at for p in pauses if p.is_running(now)},
        "assistances": _assistance_rows(parts, user, now),
        "opinion_form": AssistOpinionForm() if "assist_opinion" in actions else None,
        **_directive_context(order, actions, now),
        "note_form": NoteForm() if "note" in actions else None,
        "visit_form": ReturnVisitForm(order=order) if "return_visit" in actions else None,
        **_visit_context(order, visits, now),
        "pending_return": _pending_return_row(order, now),
        "review_form": ReturnReviewForm() if "return_review" in actions else None,
        "closing": closing_rows(request, order, numbers_in_full=numbers_in_full, actions=actions),
        **_referral_context(order, actions, now),
        # 重复报单合并: the duplicates merged into this order, read-only.
        "merged": merged_rows(order, in_full=numbers_in_full),
        "now": now,
        **_radar_context(order, user),
        **invitation_context(order, user, actions),  # the mediation alliance (邀请协助)
    }
    return render(request, "disputes/order_detail.html", context)


def _radar_context(order: Order, user) -> dict:
    """The repeat radar (issue 17): the earlier orders and incidents the viewer may open,
    and how many others it found (counted, not shown)."""
    return {
        "radar": radar_for_viewer(radar_query_for(order, order.parties.all()), user),
        "radar_window_days": settings.RADAR_WINDOW_DAYS,
    }


def _referral_context(order: Order, actions: set[str], now) -> dict:
    """移交跟踪: a closed referred order's follow-up (due time, on time or not, results)
    and, for its lead unit while no final result is in, the form to record one."""
    follow_up = referral_follow_up(order)
    if follow_up is None:
        return {"referral": None, "referral_form": None}
    clock = None
    if follow_up.duty is not None and follow_up.duty.is_running:
        duty = follow_up.duty
        clock = Clock(
            stage="referral",
            label=_("移交跟踪"),
            due=duty.due_at,
            limit=duty.limit,
            urgency=urgency_of(due=duty.due_at, limit=duty.limit, now=now),
            remaining=duty.due_at - now,
        )
    form = None
    if "referral_result" in actions and not follow_up.finished:
        form = ReferralResultForm(order=order, initial={"decided_on": timezone.localdate(now)})
    return {"referral": follow_up, "referral_clock": clock, "referral_form": form}


def _visit_context(order: Order, visits: list, now) -> dict:
    """The return visits a closed order owes (回访计划), soonest first, each with its due
    time and whether it was made on time, late, is still due (with its countdown) or
    ended; and the order a visit reopened it as (重新调解). None for an open order."""
    if order.state != State.CLOSED:
        return {"scheduled_visits": [], "reopened_as": []}
    rows = []
    for s in order.scheduled_visits.select_related("duty").order_by("duty__due_at", "pk"):
        duty = s.duty
        if duty.met_at is not None:
            status, css = (_("按时回访"), "ok") if duty.on_time else (_("超时回访"), "late")
        elif duty.ended_at is not None:
            status, css = _("不再回访"), "ended"
        elif duty.due_at < now:
            status, css = _("逾期未回访"), "late"
        else:
            status, css = _("待回访"), "due"
        rows.append(
            {
                "scheduled": s,
                "due": duty.due_at,
                "met": duty.met_at,
                "status": status,
                "css": css,
                "clock": _part_clock(duty, now),
            }
        )
    reopened = any(v.follow_up == ReturnVisit.FollowUp.REOPEN for v in visits)
    return {
        "scheduled_visits": rows,
        "reopened_as": list(order.reopened_as.order_by("pk").only("pk", "number"))
        if reopened
        else [],
    }


def _directive_context(order: Order, actions: set[str], now) -> dict:
    """The order's 督办 with a countdown on the one awaiting its reply, and the forms the
    viewer may use: issue one (none awaiting), or answer the one awaiting."""
    directives = list(
        Directive.objects.filter(order=order).select_related("duty", "issued_by", "replied_by")
    )
    awaiting = next((d for d in directives if d.is_awaiting_reply), None)
    if awaiting is not None:
        limit = awaiting.reply_due_at - awaiting.issued_at
        awaiting.clock = Clock(
            stage="reply",
            label=_("督办回复"),
            due=awaiting.reply_due_at,
            limit=limit,
            urgency=urgency_of(due=awaiting.reply_due_at, limit=limit, now=now),
            remaining=awaiting.reply_due_at - now,
        )
    reply_form = None
    if awaiting is not None and "direct_reply" in actions:
        reply_form = DirectReplyForm(initial={"directive": awaiting.pk})
    return {
        "directives": directives,
        "awaiting_directive": awaiting,
        "direct_form": DirectForm() if "direct" in actions and awaiting is None else None,
        "direct_reply_form": reply_form,
    }


# Opened in the browser rather than saved: pictures and PDF (served with nosniff).
INLINE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "pdf"})


@login_required
def attachment_download(request, pk: int):
    """An attachment, only to those who may see its order (never a public media URL)."""
    try:
        attachment = attachment_for(request.user, pk)
    except Attachment.DoesNotExist:
        return error_page(request, NotFound(), 404)
    inline = attachment.original_name.lower().rsplit(".", 1)[-1] in INLINE_EXTENSIONS
    return attachment_response(attachment, inline=inline)


@login_required
def attachment_thumbnail(request, pk: int):
    """A photo's thumbnail, to the same people as the photo."""
    try:
        attachment = attachment_for(request.user, pk)
    except Attachment.DoesNotExist:
        return error_page(request, NotFound(), 404)
    return attachment_response(attachment, thumbnail=True, inline=True)


# --- reporting ------------------------------------------------------------------------------


class ReportView(LoginRequiredMixin, DomainErrorMixin, View):
    """The reporter's short form: works one-handed on a phone."""

    template_name = "disputes/report.html"

    def setup_forms(self, data=None, files=None):
        user = self.request.user
        units = reporter_units(user)
        default_community = next(
            (u.area_id for u in units if u.area.level == u.area.Level.COMMUNITY), None
        )
        self.form = ReportForm(data, files, units=units, default_community=default_community)
        self.parties = PartyFormSet(data, prefix="parties")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_report(request.user):
            return error_page(request, Forbidden(_("您没有报单权限。")), 403)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        self.setup_forms()
        return self.render()

    def render(self, status=200, dropped_files=()):
        return render(
            self.request,
            self.template_name,
            {
                "form": self.form,
                "parties": self.parties,
                "dropped_files": dropped_files,
                "map": map_settings(),
            },
            status=status,
        )

    def form_invalid(self, form):
        # A browser cannot refill a file input, and files of a report that was not made
        # are not kept: say plainly which ones to choose again.
        dropped = [f.name for f in self.request.FILES.getlist("files")]
        return self.render(status=400, dropped_files=dropped)

    def apply_errors(self, errors):
        for key, msgs in errors.items():
            if key.startswith("parties[") and "]." in key:
                index, field = key[len("parties[") :].split("].", 1)
                forms = self.parties.forms
                if index.isdigit() and int(index) < len(forms):
                    form = forms[int(index)]
                    form.add_error(field if field in form.fields else None, list(msgs))
                    continue
            key = "files" if key == "file" else key  # order_attach names its one file
            key = "latitude" if key == "location" else key  # the point's error by its inputs
            name = key if key in self.form.fields else None
            self.form.add_error(name, list(msgs))

    def post(self, request):
        self.setup_forms(request.POST, request.FILES)
        forms_ok = self.form.is_valid()
        parties_ok = self.parties.is_valid()
        if not (forms_ok and parties_ok):
            return self.form_invalid(self.form)
        data = self.form.cleaned_data
        parties = [
            PartyInput(**{k: v for k, v in f.cleaned_data.items() if k != "DELETE"})
            for f in self.parties.forms
            if f.has_changed() or not f.empty_permitted
        ]
        report = ReportInput(
            title=data["title"] or self.form.default_title(),
            narrative=data["narrative"],
            category_id=data["category"].pk,
            community_id=data["community"],
            risk_level=data["risk_level"],
            source=data["source"],
            address=data["address"],
            parties=parties,
            reporter_unit_id=data.get("reporter_unit"),
            latitude=data["latitude"],
            longitude=data["longitude"],
            location_source=data["location_source"],
        )
        # Photos are checked and re-encoded first: the report's transaction holds the
        # street's number counter until it commits.
        files = [
            services.attachment_prepare(upload=upload, keep_location=data["keep_location"])
            for upload in data["files"]
        ]
        # The report and its files commit together; a reporter always sees its report.
        with transaction.atomic():
            if data["on_the_spot"]:
                order = services.order_settle_on_the_spot(
                    actor=request.user, data=report, summary=data["summary"]
                )
                done = _("已记录就地化解并结单，编号 %(number)s。")
            else:
                order = services.order_report(actor=request.user, data=report)
                done = _("已报单，编号 %(number)s。")
            for prepared in files:
                services.order_attach(order_id=order.pk, actor=request.user, upload=prepared)
        messages.success(request, done % {"number": order.number})
        if order.is_repeat:  # the repeat radar found earlier disputes (issue 17)
            messages.warning(request, _("发现早先的相关纠纷，已标记为重复纠纷，见订单页。"))
        return redirect("order-detail", pk=order.pk)


@login_required
@require_GET
def report_party_form(request):
    """One more party on the report form (htmx), with the formset's count updated."""
    try:
        index = int(request.GET.get("index", "1"))
    except ValueError:
        index = 1
    index = max(1, min(index, 19))
    form = PartyForm(prefix=f"parties-{index}")
    return render(
        request, "disputes/_party_form.html", {"pf": form, "index": index, "total": index + 1}
    )


# --- actions on an order ---------------------------------------------------------------------


class OrderActionView(LoginRequiredMixin, DomainErrorMixin, View):
    """One view for every action form: load the visible order (404), check the role
    (403) and the state (a message on the order page), show the form, and on POST call
    the service, which checks all of it again under a row lock."""

    action = ""  # a key of ``ORDER_ACTIONS``
    form_class = None
    title = ""  # the action's label unless set
    submit_label = gettext_lazy("提交")
    template_name = "disputes/action.html"
    success_message = gettext_lazy("已保存。")

    def order_url(self) -> str:
        return reverse("order-detail", args=[self.kwargs["pk"]])

    def conflict_url(self) -> str:
        return self.order_url()

    def load(self) -> None:
        self.order = _load(self.request.user, self.kwargs["pk"])

    def check_role(self) -> None:
        user = self.request.user
        if self.action not in allowed_actions(user, self.order, ignore_assignee=True):
            raise Forbidden()
        if self.action not in allowed_actions(user, self.order):
            raise Forbidden(_("此订单已指定其他责任人。"))

    def check_state(self) -> None:
        if self.action not in available_actions(self.request.user, self.order):
            raise Conflict(
                _("当前状态“%(state)s”不能执行此操作。")
                % {"state": self.order.get_state_display()},
                state=self.order.state,
            )

    def form_kwargs(self) -> dict:
        return {}

    def get_form(self, data=None, files=None):
        return self.form_class(data, files, **self.form_kwargs())

    def context(self) -> dict:
        return {}

    def render(self, status=200):
        context = {
            "order": self.order,
            "form": self.form,
            "title": self.title or ORDER_ACTIONS[self.action].label,
            "submit_label": self.submit_label,
            "action": self.action,
            "next": safe_next(self.request, ""),
            **self.context(),
        }
        return render(self.request, self.template_name, context, status=status)

    def form_invalid(self, form):
        return self.render(status=400)

    def get(self, request, pk):
        self.load()
        self.check_role()
        self.check_state()
        self.form = self.get_form()
        return self.render()

    def post(self, request, pk):
        self.load()
        self.check_role()  # a forged POST stops here; the service would refuse it too
        self.form = self.get_form(request.POST, request.FILES)
        if not self.form.is_valid():
            return self.form_invalid(self.form)
        self.perform(self.form.cleaned_data)
        messages.success(request, self.success_message)
        return redirect(safe_next(request, self.order_url()))

    def perform(self, data):
        """Call the action's service with the form's data."""
        return services.service_for(self.action)(
            order_id=self.order.pk, actor=self.request.user, **self.service_kwargs(data)
        )

    def service_kwargs(self, data) -> dict:
        """The service's arguments (beyond the order and the actor) from the form's data."""
        raise NotImplementedError


class RouteView(OrderActionView):
    form_class = RouteForm
    error_aliases = {"assisting_unit_ids": "assisting_units"}

    def form_kwargs(self):
        suggested = suggested_units_by_order([self.order]).get(self.order.pk, [])
        self.suggested = suggested
        # The unit asked for (a queue button, the form), else the best suggestion.
        lead = self.request.POST.get("lead_unit") or self.request.GET.get("lead_unit") or ""
        lead_id = id_from_text(lead)
        if lead_id is None and self.action == "dispatch" and suggested:
            lead_id = suggested[0].pk
        initial = {"lead_unit": lead_id} if lead_id else {}
        handlers = handlers_of_unit(lead_id) if lead_id else []
        return {
            "order": self.order,
            "suggested": suggested,
            "handlers": handlers,
            "initial": initial,
        }

    def context(self):
        return {"suggested": self.suggested, "route_form": True}

    def service_kwargs(self, data):
        return {
            "lead_unit_id": data["lead_unit"],
            "assignee_id": data.get("assignee"),
            "assisting_unit_ids": data.get("assisting_units") or [],
            "note": data.get("note", ""),
        }

    def perform(self, data):
        order = super().perform(data)
        self.success_message = _("已派至 %(unit)s。") % {"unit": order.lead_unit.name}
        return order


class DispatchView(RouteView):
    action = "dispatch"
    form_class = DispatchForm
    submit_label = gettext_lazy("派单")

    def context(self):
        return {**super().context(), "colour_form": True}

    def service_kwargs(self, data):
        return {
            **super().service_kwargs(data),
            "colour": data.get("colour") or "",
            "colour_reason": data.get("colour_reason") or "",
            "case_leader_id": data.get("case_leader"),
        }


class ReassignView(RouteView):
    action = "reassign"
    submit_label = gettext_lazy("改派")


class RecolourView(OrderActionView):
    action = "recolour"
    form_class = RecolourForm
    submit_label = gettext_lazy("改色")
    success_message = gettext_lazy("已改色。")

    def form_kwargs(self):
        return {"order": self.order}

    def service_kwargs(self, data):
        return {
            "colour": data["colour"],
            "reason": data["reason"],
            "case_leader_id": data.get("case_leader"),
        }


class LeaderReviewView(OrderActionView):
    action = "leader_review"
    form_class = LeaderReviewForm
    submit_label = gettext_lazy("提交审核")
    success_message = gettext_lazy("已记录包案审核。")

    def service_kwargs(self, data):
        return {"note": data["note"]}


class CancelView(OrderActionView):
    action = "cancel"
    form_class = ReasonForm
    title = gettext_lazy("撤销订单")
    submit_label = gettext_lazy("撤销")
    success_message = gettext_lazy("订单已撤销。")

    def context(self):
        return {"reason_hint": _("如：重复报单、无效报单")}

    def service_kwargs(self, data):
        return {"reason": data["reason"]}


class MergeView(OrderActionView):
    """重复报单合并: the street's dispatchers merge this order into the one it repeats."""

    action = "merge"
    form_class = MergeForm
    title = gettext_lazy("合并重复报单")
    submit_label = gettext_lazy("合并")

    def service_kwargs(self, data):
        return {"into": data["into"], "reason": data["reason"]}

    def perform(self, data):
        order = super().perform(data)
        self.success_message = _("已合并至 %(number)s。") % {"number": order.merged_into.number}
        return order


class ReturnView(OrderActionView):
    """退单: the street's dispatchers pull the order back at once; the lead unit asks
    (申请退单) and the center reviews (``ReturnReviewView``)."""

    action = "return"
    form_class = ReasonForm

    def load(self) -> None:
        super().load()
        if "return" not in allowed_actions(self.request.user, self.order):
            self.action = "return_request"
            self.submit_label = _("提交退单申请")
            self.success_message = _("退单申请已提交，等待调处中心审核。")
        else:
            self.submit_label = _("退回派单队列")
            self.success_message = _("已退回派单队列。")

    def check_state(self) -> None:
        if self.action == "return_request" and self.order.final_assignment:
            raise Conflict(_("终审派单，不能退单，可申请协办。"), state=self.order.state)
        super().check_state()

    def context(self):
        return {"reason_hint": _("如：不属本单位职责")}

    def service_kwargs(self, data):
        return {"reason": data["reason"]}

    def post(self, request, pk):
        response = super().post(request, pk)
        # After a handler's return the order usually leaves the unit's sight.
        if (
            response.status_code == 302
            and not orders_visible_to(request.user).filter(pk=pk).exists()
        ):
            return redirect("home")
        return response


class ReturnReviewView(OrderActionView):
    """退单审核 from the order page's two forms (approve, reject with a reason)."""

    action = "return_review"
    form_class = ReturnReviewForm
    submit_label = gettext_lazy("提交审核")

    def context(self):
        return {"pending": services.pending_return(self.order)}

    def service_kwargs(self, data):
        return {"approve": data["decision"] == "approve", "note": data.get("note", "")}

    def perform(self, data):
        order = super().perform(data)
        self.success_message = (
            _("已批准退单，订单已退回派单队列。")
            if data["decision"] == "approve"
            else _("已驳回退单申请。")
        )
        return order


class AssistanceView(OrderActionView):
    action = "ask_assistance"
    form_class = AssistanceForm
    submit_label = gettext_lazy("提交申请")
    success_message = gettext_lazy("已申请协办，等待调处中心安排协办单位。")

    def service_kwargs(self, data):
        return {"note": data["note"]}


class ContactView(OrderActionView):
    action = "contact"
    form_class = ContactForm
    title = gettext_lazy("记录联系")
    success_message = gettext_lazy("已记录联系。")

    def form_kwargs(self):
        return {"order": self.order}

    def context(self):
        # Whom to call, with a tel: link when the user may see the number.
        in_full = party_numbers_in_full(self.request.user, self.order)
        return {"parties": _party_rows(self.order, in_full=in_full)}

    def service_kwargs(self, data):
        return {
            "method": data["method"],
            "note": data.get("note", ""),
            "contacted_at": data.get("contacted_at"),
        }


class MeetingView(OrderActionView):
    action = "meet"
    form_class = MeetingForm
    success_message = gettext_lazy("已记录见面调解。")

    def form_kwargs(self):
        return {"order": self.order}

    def service_kwargs(self, data):
        return {
            "place": data["place"],
            "participants": data["participants"],
            "result": data["result"],
            "met_at": data.get("met_at"),
        }


class NoteView(OrderActionView):
    action = "note"
    form_class = NoteForm
    success_message = gettext_lazy("已添加。")

    def check_state(self) -> None:
        pass  # notes and attachments are welcome in any state

    def service_kwargs(self, data):
        return {
            "note": data.get("note", ""),
            "upload": data.get("file"),
            "keep_location": data.get("keep_location", False),
        }


class ReturnVisitView(OrderActionView):
    action = "return_visit"
    form_class = ReturnVisitForm
    success_message = gettext_lazy("已记录回访。")

    def form_kwargs(self):
        return {"order": self.order}

    def service_kwargs(self, data):
        return self.form.service_kwargs()


class PauseActionView(OrderActionView):
    """Asking for, deciding and ending a clock pause (暂停计时): the order page offers
    them only when they apply (``selectors.pause_actions``); ``?stage=`` names the clock
    when both have a pause."""

    unavailable = ""

    def check_state(self) -> None:
        super().check_state()
        pauses = order_pauses(self.order)
        if not pause_actions({self.action}, pauses, self.order, timezone.now()):
            raise Conflict(self.unavailable, state=self.order.state)

    def stage(self) -> str:
        return self.request.POST.get("stage") or self.request.GET.get("stage") or ""

    def open_pause(self, state: str):
        now = timezone.now()
        return next(
            (
                p
                for p in order_pauses(self.order)
                if (p.state == state if state == "requested" else p.is_running(now))
                and self.stage() in ("", p.stage)
            ),
            None,
        )


class PauseView(PauseActionView):
    action = "pause"
    form_class = PauseForm
    submit_label = gettext_lazy("提交申请")
    success_message = gettext_lazy("已申请暂停计时，等待调处中心审批。")
    unavailable = gettext_lazy("没有可暂停的计时（已超时、已有暂停申请或暂停中）。")
    error_aliases = {"requested_minutes": "minutes"}

    def form_kwargs(self):
        now = timezone.now()
        taken = {p.stage for p in order_pauses(self.order) if p.state == "requested"}
        taken |= {p.stage for p in order_pauses(self.order) if p.is_running(now)}
        stages = [
            (stage, CLOCK[stage].label)
            for stage, due in self.order.running_clocks().items()
            if CLOCK[stage].pausable and due is not None and due > now and stage not in taken
        ]
        return {"stages": stages}

    def service_kwargs(self, data):
        return {
            "stage": data["stage"],
            "reason": data["reason"],
            "minutes": data["minutes"],
            "note": data.get("note", ""),
        }


class PauseDecideView(PauseActionView):
    action = "pause_decide"
    form_class = PauseDecideForm
    success_message = gettext_lazy("已审批。")
    unavailable = gettext_lazy("没有待审批的暂停申请。")

    def context(self):
        pause = self.open_pause("requested")
        return {"pause": pause, "pause_stage": pause.stage if pause else self.stage()}

    def service_kwargs(self, data):
        return {
            "approve": data["decision"] == "approve",
            "note": data.get("note", ""),
            "stage": self.stage() or None,
        }


class ResumeView(PauseActionView):
    action = "resume"
    form_class = ResumeForm
    submit_label = gettext_lazy("恢复计时")
    success_message = gettext_lazy("已恢复计时，未用的暂停时间已退回。")
    unavailable = gettext_lazy("没有进行中的暂停。")

    def context(self):
        pause = self.open_pause("approved")
        return {"pause": pause, "pause_stage": pause.stage if pause else self.stage()}

    def service_kwargs(self, data):
        return {"note": data.get("note", ""), "stage": self.stage() or None}


class DirectView(OrderActionView):
    """督办: a supervisor or the street center's head presses the lead unit."""

    action = "direct"
    form_class = DirectForm
    submit_label = gettext_lazy("督办")
    success_message = gettext_lazy("已督办，已通知责任单位负责人。")

    def service_kwargs(self, data):
        return {"demand": data["demand"], "reply_due_at": data["reply_due_at"]}


class DirectReplyView(OrderActionView):
    """督办回复: the lead unit's head answers the 督办 awaiting its reply."""

    action = "direct_reply"
    form_class = DirectReplyForm
    submit_label = gettext_lazy("回复")
    success_message = gettext_lazy("已回复督办。")

    def awaiting(self) -> Directive | None:
        """The order's directive awaiting its reply (read once per request)."""
        if not hasattr(self, "_awaiting"):
            directives = Directive.objects.filter(order=self.order).select_related(
                "duty", "issued_by"
            )
            self._awaiting = next((d for d in directives if d.is_awaiting_reply), None)
        return self._awaiting

    def check_state(self) -> None:
        super().check_state()
        if self.awaiting() is None:
            raise Conflict(_("此订单没有待回复的督办。"), state=self.order.state)

    def form_kwargs(self):
        awaiting = self.awaiting()
        return {"initial": {"directive": awaiting.pk}} if awaiting else {}

    def context(self):
        awaiting = self.awaiting()
        return {"directive": awaiting}

    def service_kwargs(self, data):
        return {"directive_id": data["directive"], "reply": data["reply"]}


class AddAssistingView(OrderActionView):
    action = "add_assisting"
    form_class = AddAssistingForm
    title = gettext_lazy("增派协办单位")
    submit_label = gettext_lazy("增派")
    success_message = gettext_lazy("已增派协办单位，已通知其签收。")

    def form_kwargs(self):
        return {"order": self.order}

    def service_kwargs(self, data):
        return {"unit_ids": [u.pk for u in data["units"]], "note": data.get("note", "")}


class GradeReviewView(OrderActionView):
    action = "grade_review"
    form_class = GradeReviewForm
    submit_label = gettext_lazy("提交审核")
    success_message = gettext_lazy("已审核等级。")

    def form_kwargs(self):
        return {"order": self.order}

    def service_kwargs(self, data):
        return {"grade": data["grade"], "reason": data.get("reason", "")}


class ReferralResultView(OrderActionView):
    """移交结果: the lead unit records what the receiving body made of the referral (the
    order page's 移交跟踪 form posts here)."""

    action = "referral_result"
    form_class = ReferralResultForm
    submit_label = gettext_lazy("记录移交结果")
    success_message = gettext_lazy("已记录移交结果。")

    def order_url(self) -> str:
        return reverse("order-detail", args=[self.kwargs["pk"]]) + "#referral"

    def form_kwargs(self):
        return {"order": self.order}

    def service_kwargs(self, data):
        return {
            "body": data["body"],
            "case_number": data.get("case_number", ""),
            "outcome": data["outcome"],
            "decided_on": data["decided_on"],
            "note": data.get("note", ""),
        }


class AssistOpinionView(OrderActionView):
    action = "assist_opinion"
    form_class = AssistOpinionForm
    title = gettext_lazy("提交协办意见")
    success_message = gettext_lazy("已提交协办意见。")

    def service_kwargs(self, data):
        return {"opinion": data["opinion"]}


class AssistSignView(LoginRequiredMixin, DomainErrorMixin, View):
    """One-tap signing for an assisting unit's part (POST only)."""

    http_method_names = ["post"]

    def conflict_url(self):
        return safe_next(self.request, reverse("order-detail", args=[self.kwargs["pk"]]))

    def post(self, request, pk):
        order = services.order_assist_sign(order_id=pk, actor=request.user)
        messages.success(request, _("已协办签收 %(number)s。") % {"number": order.number})
        return redirect(safe_next(request, reverse("order-detail", args=[pk])))


class SignView(LoginRequiredMixin, DomainErrorMixin, View):
    """One-tap signing (POST only). If a colleague signed first, say so plainly."""

    http_method_names = ["post"]

    def conflict_url(self):
        return safe_next(self.request, reverse("order-detail", args=[self.kwargs["pk"]]))

    def conflict_message(self, error):
        order = (
            orders_visible_to(self.request.user)
            .select_related("assignee")
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if order is not None and order.signed_at and order.state != State.DISPATCHED:
            return _("%(number)s 已由%(name)s于 %(time)s 签收，无需再签。") % {
                "number": order.number,
                "name": display_name(order.assignee),
                "time": timezone.localtime(order.signed_at).strftime("%H:%M"),
            }
        return str(error.message)

    def post(self, request, pk):
        order = services.order_sign(order_id=pk, actor=request.user)
        messages.success(request, _("已签收 %(number)s。") % {"number": order.number})
        return redirect(safe_next(request, reverse("order-detail", args=[pk])))


@login_required
@require_GET
def assignee_options(request):
    """The people of a unit, as ``<option>``s for the dispatch form (htmx). Only a unit
    the dispatcher's street may send orders to (the dispatch form's choices); another
    street's unit is a 404, like an order outside one's scope."""
    if not is_dispatcher(request.user):
        return HttpResponse(status=403)
    unit = id_from_text(request.GET.get("lead_unit", ""))
    if unit is None:
        return render(request, "disputes/_assignee_options.html", {"users": []})
    if not request.user.is_superuser:
        streets = [m.unit.area for m in memberships_of(request.user) if m.role == Role.DISPATCHER]
        if not units_serving(*streets).filter(pk=unit).exists():
            raise Http404
    users = handlers_of_unit(unit)
    return render(request, "disputes/_assignee_options.html", {"users": users})
