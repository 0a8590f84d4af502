"""The care register's pages (phone first): the list, a subject's page, and the forms to
register a subject, record a visit and add aid. Every page starts from
``selectors``: a subject outside what the user sees in full is a 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, F, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from deadlines.selectors import urgency
from dispatch.models import Area
from shishi_mediation.errors import DomainError, InvalidInput
from shishi_mediation.ids import id_from_text
from shishi_mediation.web import add_domain_errors, error_page

from . import services
from .forms import AidForm, SubjectForm, VisitForm
from .models import CareKind, CareSubject
from .selectors import (
    can_register,
    care_scope,
    linked_orders,
    mask_name,
    open_deadlines,
    registrable_communities,
    subjects_in_full,
    subjects_listed,
    visit_overdue_q,
)

PAGE_SIZE = 50


def _subject_or_404(user, pk: int) -> CareSubject:
    subject = subjects_in_full(user).select_related("community", "created_by").filter(pk=pk).first()
    if subject is None:
        raise Http404(_("关爱对象不存在或无权查看。"))
    return subject


@login_required
def subject_list(request):
    scope = care_scope(request.user)
    if not scope.any:
        raise Http404(_("关爱对象不存在或无权查看。"))
    now = timezone.now()
    rows = subjects_listed(request.user).select_related("community")
    kind = request.GET.get("kind", "")
    if kind in CareKind.values:
        rows = rows.filter(kind=kind)
    else:
        kind = ""
    community = request.GET.get("community", "")
    communities = Area.objects.filter(
        level=Area.Level.COMMUNITY, pk__in=subjects_listed(request.user).values("community_id")
    ).order_by("path")
    community_id = id_from_text(community)
    if community_id is not None:
        rows = rows.filter(community_id=community_id)
    else:
        community = ""
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        rows = rows.filter(visit_overdue_q(now))
    active = request.GET.get("inactive") != "1"
    # By name where the viewer sees names; masked rows in the order they were registered,
    # so that their order does not hint at the hidden characters.
    order = ["community__path"]
    if scope.full is None:
        order.append("name")
    elif scope.full:
        order.append(Case(When(scope.full_q(), then=F("name")), default=Value("")))
    rows = rows.filter(is_active=active).order_by(*order, "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    clocks = open_deadlines(s.pk for s in page.object_list)
    items = []
    for s in page.object_list:
        full = scope.sees_in_full(s.community_id)
        clock = clocks.get(s.pk)
        items.append(
            {
                "subject": s,
                "full": full,
                "name": s.name if full else mask_name(s.name),
                "clock": clock,
                "urgency": urgency(clock, now) if clock else "",
            }
        )
    return render(
        request,
        "care/list.html",
        {
            "items": items,
            "page": page,
            "kinds": CareKind.choices,
            "kind": kind,
            "communities": communities,
            "community": community,
            "overdue": overdue,
            "inactive": not active,
            "can_register": scope.full is None or bool(scope.full),
            "masked_view": scope.full is not None and scope.masked is not None,
        },
    )


@login_required
def subject_detail(request, pk: int):
    subject = _subject_or_404(request.user, pk)
    now = timezone.now()
    clock = open_deadlines([subject.pk]).get(subject.pk)
    return render(
        request,
        "care/detail.html",
        {
            "subject": subject,
            "clock": clock,
            "urgency": urgency(clock, now) if clock else "",
            "visits": subject.visits.select_related("visited_by"),
            "aids": subject.aids.select_related("recorded_by"),
            "orders": list(linked_orders(subject, request.user)[:50]),
        },
    )


def _form_page(request, template, form, context, status=200):
    return render(request, template, {"form": form, **context}, status=status)


@login_required
def subject_register(request):
    if not can_register(request.user):
        raise Http404(_("关爱对象不存在或无权查看。"))
    communities = registrable_communities(request.user).order_by("path")
    form = SubjectForm(request.POST or None, communities=communities)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                subject = services.care_subject_register(
                    actor=request.user,
                    data=services.SubjectInput(
                        name=d["name"],
                        kind=d["kind"],
                        community_id=d["community"].pk,
                        address=d["address"],
                        phone=d["phone"],
                        id_number=d["id_number"],
                        guardian_name=d["guardian_name"],
                        guardian_phone=d["guardian_phone"],
                        needs=d["needs"],
                    ),
                )
            except InvalidInput as e:
                add_domain_errors(form, e.errors)
            else:
                return redirect("care:detail", subject.pk)
        return _form_page(request, "care/form.html", form, {"title": _("登记关爱对象")}, 400)
    return _form_page(request, "care/form.html", form, {"title": _("登记关爱对象")})


def _subject_step(request, pk: int, form_class, title, record):
    """A form about one subject (a visit, an aid): 404 outside the scope, 400 with the
    form's errors (the service's named on their fields), back to the subject when saved."""
    subject = _subject_or_404(request.user, pk)
    form = form_class(request.POST or None)
    context = {"title": title, "subject": subject}
    if request.method == "POST":
        if form.is_valid():
            try:
                record(subject, form.cleaned_data)
            except InvalidInput as e:
                add_domain_errors(form, e.errors)
            except DomainError as e:
                return error_page(request, e, e.status_code)
            else:
                return redirect("care:detail", subject.pk)
        return _form_page(request, "care/form.html", form, context, 400)
    return _form_page(request, "care/form.html", form, context)


@login_required
def visit_record(request, pk: int):
    return _subject_step(
        request,
        pk,
        VisitForm,
        _("记录走访"),
        lambda subject, d: services.care_visit_record(
            actor=request.user,
            subject_id=subject.pk,
            visited_at=d["visited_at"],
            condition=d["condition"],
            needs_found=d["needs_found"],
        ),
    )


@login_required
def aid_record(request, pk: int):
    return _subject_step(
        request,
        pk,
        AidForm,
        _("添加帮扶记录"),
        lambda subject, d: services.care_aid_record(
            actor=request.user,
            subject_id=subject.pk,
            kind=d["kind"],
            given_on=d["given_on"],
            amount=d["amount"],
            outcome=d["outcome"],
        ),
    )


@require_POST
@login_required
def subject_set_active(request, pk: int):
    subject = _subject_or_404(request.user, pk)
    try:
        services.care_subject_set_active(
            actor=request.user, subject_id=subject.pk, active=request.POST.get("active") == "1"
        )
    except DomainError as e:
        return error_page(request, e, e.status_code)
    return redirect("care:detail", subject.pk)
