"""One filter set for order lists: the web pages and the API both use it."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Area, Category, RiskLevel, Unit

from .models import Order, Party, Source, State


def overdue_q(now) -> Q:
    """Orders with a running stage past its due time."""
    return (
        Q(state=State.DISPATCHED, sign_due_at__lt=now)
        | Q(state=State.SIGNED, contact_due_at__lt=now)
        | Q(state__in=[State.SIGNED, State.CONTACTED], meet_due_at__lt=now)
    )


class OrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        label=_("状态"), choices=State.choices, distinct=False
    )
    category = django_filters.ModelChoiceFilter(
        label=_("类别"), queryset=Category.objects.filter(is_active=True)
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("责任单位"), field_name="lead_unit", queryset=Unit.objects.filter(is_active=True)
    )
    street = django_filters.ModelChoiceFilter(
        label=_("街道/镇"), queryset=Area.objects.filter(level=Area.Level.STREET)
    )
    community = django_filters.ModelChoiceFilter(
        label=_("社区"), queryset=Area.objects.filter(level=Area.Level.COMMUNITY)
    )
    risk_level = django_filters.ChoiceFilter(label=_("风险等级"), choices=RiskLevel.choices)
    source = django_filters.ChoiceFilter(label=_("来源"), choices=Source.choices)
    overdue = django_filters.BooleanFilter(label=_("已超时"), method="filter_overdue")
    reported_after = django_filters.DateFilter(
        label=_("报单起始日"), field_name="reported_at", lookup_expr="date__gte"
    )
    reported_before = django_filters.DateFilter(
        label=_("报单截止日"), field_name="reported_at", lookup_expr="date__lte"
    )
    dispatched_after = django_filters.DateFilter(
        label=_("派单起始日"), field_name="dispatched_at", lookup_expr="date__gte"
    )
    dispatched_before = django_filters.DateFilter(
        label=_("派单截止日"), field_name="dispatched_at", lookup_expr="date__lte"
    )
    q = django_filters.CharFilter(label=_("搜索"), method="filter_search")

    class Meta:
        model = Order
        fields: list[str] = []

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = overdue_q(timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_search(self, queryset, name, value):
        """Number (exact or prefix), party name, or words of the title and narrative."""
        value = value.strip()[:100]
        if not value:
            return queryset
        party = Party.objects.filter(order_id=OuterRef("pk"), name__icontains=value)
        return queryset.filter(
            Q(number__istartswith=value)
            | Q(title__icontains=value)
            | Q(narrative__icontains=value)
            | Q(Exists(party))
        )
