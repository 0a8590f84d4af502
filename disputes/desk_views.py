"""The incident desk's pages (警情工作台): the day's incidents with their figures, one
incident's page with its order, and the push and link forms.

Scope and actions come from ``disputes.desk``: no desk is a 403 page, an incident outside
the viewer's scope a 404; the forms post as a browser posts and call ``desk``'s services.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from dispatch.models import Area, Category
from shishi_mediation.errors import Forbidden, NotFound
from shishi_mediation.validators import mask_phone
from shishi_mediation.web import DomainErrorMixin, add_domain_errors, error_page, paginate

from .desk import (
    DeskFilters,
    desk_figures,
    desk_incidents,
    desk_scope,
    incident_for,
    incident_link,
    incident_push,
    may_act_on,
    today,
)
from .models import IncidentType
from .selectors import orders_visible_to

YES_NO = [("", _("全部")), ("yes", _("是")), ("no", _("否"))]


class DeskFilterForm(forms.Form):
    date = forms.DateField(
        label=_("接警日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("警情编号、摘要、地址或报警电话")}
        ),
    )
    type = forms.ChoiceField(label=_("警情类型"), required=False)
    community = forms.TypedChoiceField(
        label=_("社区"), required=False, coerce=int, empty_value=None
    )
    dispute = forms.ChoiceField(label=_("纠纷类"), required=False, choices=YES_NO)
    pushed = forms.ChoiceField(label=_("已推送"), required=False, choices=YES_NO)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["type"].choices = everything + [
            (t.code, f"{t.code} {t.name}") for t in IncidentType.objects.order_by("code")
        ]
        communities = Area.objects.filter(level=Area.Level.COMMUNITY)
        if scope.read_paths is not None:
            communities = communities.filter(_path_q(scope.read_paths))
        self.fields["community"].choices = everything + [
            (a.pk, a.name) for a in communities.order_by("path")
        ]

    def filters(self, *, default_day) -> DeskFilters:
        """The valid filters; a field given badly filters nothing (its error shows)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DeskFilters(
            day=data.get("date") or default_day,
            type=data.get("type") or "",
            community=data.get("community"),
            dispute=data.get("dispute") or "",
            pushed=data.get("pushed") or "",
            q=data.get("q") or "",
        )


def _path_q(paths) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return q


def _order_links(user, incidents) -> set[int]:
    """Of the incidents' orders, those the viewer may open (one query)."""
    ids = {i.order_id for i in incidents if i.order_id}
    if not ids:
        return set()
    return set(orders_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def _rows(user, incidents) -> list:
    openable = _order_links(user, incidents)
    for incident in incidents:
        incident.phone_masked = mask_phone(incident.caller_phone)
        incident.order_openable = incident.order_id in openable
    return incidents


@login_required
def desk(request):
    """The desk: one day's incidents (default today, Asia/Shanghai), the day's and the
    month's non-police share, counts by community and type, filters and search."""
    user = request.user
    scope = desk_scope(user)
    if scope is None:
        message = gettext("只有派出所（含指挥中心）和督导账号可以查看警情。")
        return error_page(request, Forbidden(message), 403)
    form = DeskFilterForm(request.GET or None, scope=scope, initial={"date": today()})
    filters = form.filters(default_day=today())
    page = paginate(request, desk_incidents(user, filters))
    page.object_list = _rows(user, list(page.object_list))
    figures = desk_figures(user, day=filters.day)
    return render(
        request,
        "incidents/desk.html",
        {
            "form": form,
            "day": filters.day,
            "page": page,
            "figures": figures,
            "may_act": scope.may_act,
        },
    )


class PushForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("纠纷类别"),
        queryset=Category.objects.filter(is_active=True).order_by("pk"),
        required=False,
        empty_label=_("（按警情类型）"),
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        if incident.type.category_id is None:
            # A call for help (群众求助) has no category of its own: the person chooses one.
            self.fields["category"].required = True
            self.fields["category"].empty_label = _("请选择")
        else:
            self.fields["category"].initial = incident.type.category_id


class LinkForm(forms.Form):
    order = forms.CharField(
        label=_("订单编号"),
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "HB-202611-00042", "autocomplete": "off"}),
    )


def _incident_page(request, incident, *, push_form=None, link_form=None, status=200):
    user = request.user
    can_act = incident.order_id is None and may_act_on(user, incident)
    _rows(user, [incident])
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "order": incident.order,
            "can_act": can_act,
            "push_form": push_form or (PushForm(incident=incident) if can_act else None),
            "link_form": link_form or (LinkForm() if can_act else None),
        },
        status=status,
    )


@login_required
def incident_detail(request, number: str):
    try:
        incident = incident_for(request.user, number)
    except NotFound as e:
        return error_page(request, e, 404)
    return _incident_page(request, incident)


class IncidentActionView(LoginRequiredMixin, DomainErrorMixin, View):
    """A desk form posted: the service acts; field errors re-render the incident page
    (400), a second push is a message on it (409)."""

    form_class: type[forms.Form]

    def get_form(self, data):
        raise NotImplementedError

    def post(self, request, number: str):
        self.incident = incident_for(request.user, number)
        self.number = number
        self.form = self.get_form(request.POST)
        if not self.form.is_valid():
            return self.form_invalid(self.form)
        incident = self.act(request.user, self.form.cleaned_data)
        messages.success(request, self.done(incident))
        return redirect("incident-detail", number=incident.number)

    def form_invalid(self, form):
        forms_ = {"push_form" if isinstance(form, PushForm) else "link_form": form}
        return _incident_page(self.request, self.incident, status=400, **forms_)

    def apply_errors(self, errors):
        add_domain_errors(self.form, errors)

    def conflict_url(self):
        return reverse("incident-detail", kwargs={"number": self.incident.number})


class PushView(IncidentActionView):
    def get_form(self, data):
        return PushForm(data, incident=self.incident)

    def act(self, user, data):
        category = data.get("category")
        return incident_push(
            actor=user, number=self.number, category_id=category.pk if category else None
        )

    def done(self, incident):
        return gettext("已推送：订单 %(order)s 已派至 %(unit)s。") % {
            "order": incident.order.number,
            "unit": incident.order.lead_unit or gettext("街道派单队列"),
        }


class LinkView(IncidentActionView):
    def get_form(self, data):
        return LinkForm(data)

    def act(self, user, data):
        return incident_link(actor=user, number=self.number, order_number=data["order"])

    def done(self, incident):
        return gettext("已关联订单 %(order)s。") % {"order": incident.order.number}
