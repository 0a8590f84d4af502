"""One filter set for order lists: the web pages and the API both use it."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField

from dispatch.models import Area, Category, RiskLevel, Unit
from shishi_mediation.ids import id_from_text
from shishi_mediation.validators import LANDLINE_RE, MOBILE_RE

from . import reference
from .colours import Colour
from .models import Order, Party, Source, State
from .selectors import is_alliance_only
from .stages import overdue_q


def phone_forms(value: str) -> list[str]:
    """The ways a party's phone may be stored (``validate_phone``) that match a search
    for a whole number, typed with or without spaces, hyphens or +86: ``13812345678``;
    ``0595-88881234`` or ``059588881234``. Empty if it is not a whole phone number."""
    if not re.fullmatch(r"[\d\s()+-]{7,24}", value):
        return []
    digits = re.sub(r"\D", "", value)
    if len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    if MOBILE_RE.match(digits):
        return [digits]
    forms = {digits, digits[:3] + "-" + digits[3:], digits[:4] + "-" + digits[4:]}
    return sorted(f for f in forms if LANDLINE_RE.match(f))


class AnyYesNoSelect(forms.NullBooleanSelect):
    """Yes / no / either, the last labelled 全部 (Django's own label is "Unknown")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("全部")), *self.choices[1:]]


class ReferenceChoiceIterator(BaseChoiceIterator):
    """The choices of a ``ReferenceChoiceField``: its rows from ``disputes.reference``,
    without a query (``ModelChoiceIterator`` reads its queryset on every render)."""

    def __init__(self, field):
        self.field = field

    def __iter__(self):
        field = self.field
        if field.empty_label is not None:
            yield ("", field.empty_label)
        for obj in field.reference_rows():
            yield (obj.pk, field.label_from_instance(obj))

    def __len__(self) -> int:
        return len(self.field.reference_rows()) + (self.field.empty_label is not None)


class ReferenceChoiceField(ModelChoiceField):
    """A model choice whose choices and validation come from ``disputes.reference``:
    the rows of ``model`` that ``keep`` accepts, which must be those of ``queryset``."""

    iterator = ReferenceChoiceIterator

    def __init__(self, *args, model, keep, **kwargs):
        self.model, self.keep = model, keep
        super().__init__(*args, **kwargs)

    def reference_rows(self) -> list:
        return [obj for obj in reference.rows(self.model) if self.keep(obj)]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        pk = id_from_text(value)
        for obj in self.reference_rows():
            if obj.pk == pk:
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class ReferenceChoiceFilter(django_filters.ModelChoiceFilter):
    """``ModelChoiceFilter`` over a configuration table (same schema, same lookups),
    rendered and validated from the per-process copy: the board's filter form has three
    of them, which would otherwise cost a query each on every render."""

    field_class = ReferenceChoiceField


def _attrs(attrs: dict) -> str:
    """Django's ``attrs.html``."""
    return mark_safe(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


class QuickSelectMixin:
    """The HTML of Django's ``select.html`` and ``select_option.html`` (without option
    groups), written in Python: the board's filter form has ~140 options, and building
    and rendering a template context per option cost more than the rest of the form."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)  # option groups
        selected_values = self.format_value(value)
        widget_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            widget_attrs["multiple"] = True
        html = [format_html('<select name="{}"{}>', name, _attrs(widget_attrs))]
        has_selected = False
        for option_value, label in choices:
            option_value = "" if option_value is None else str(option_value)
            selected = (
                not has_selected or self.allow_multiple_selected
            ) and option_value in selected_values
            has_selected |= selected
            html += [
                '\n  <option value="',
                conditional_escape(option_value),
                '" selected>' if selected else '">',
                conditional_escape(label),
                "</option>\n",
            ]
        html.append("\n</select>")
        return mark_safe("".join(html))


class QuickSelect(QuickSelectMixin, forms.Select):
    pass


class QuickSelectMultiple(QuickSelectMixin, forms.SelectMultiple):
    pass


def _active(obj) -> bool:
    return obj.is_active


def _level(level: str):
    return lambda area: area.level == level


class OrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        label=_("状态"), choices=State.choices, distinct=False, widget=QuickSelectMultiple
    )
    category = ReferenceChoiceFilter(
        label=_("类别"),
        widget=QuickSelect,
        queryset=Category.objects.filter(is_active=True),
        model=Category,
        keep=_active,
    )
    unit = ReferenceChoiceFilter(
        label=_("责任单位"),
        widget=QuickSelect,
        field_name="lead_unit",
        queryset=Unit.objects.filter(is_active=True),
        model=Unit,
        keep=_active,
    )
    street = ReferenceChoiceFilter(
        label=_("街道/镇"),
        widget=QuickSelect,
        queryset=Area.objects.filter(level=Area.Level.STREET),
        model=Area,
        keep=_level(Area.Level.STREET),
    )
    community = ReferenceChoiceFilter(
        label=_("社区"),
        widget=QuickSelect,
        queryset=Area.objects.filter(level=Area.Level.COMMUNITY),
        model=Area,
        keep=_level(Area.Level.COMMUNITY),
    )
    risk_level = django_filters.ChoiceFilter(
        label=_("风险等级"), choices=RiskLevel.choices, widget=QuickSelect
    )
    source = django_filters.ChoiceFilter(
        label=_("来源"), choices=Source.choices, widget=QuickSelect
    )
    colour = django_filters.ChoiceFilter(
        label=_("颜色等级"), choices=Colour.choices, widget=QuickSelect
    )
    overdue = django_filters.BooleanFilter(
        label=_("已超时"), method="filter_overdue", widget=AnyYesNoSelect
    )
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
        """Number (exact or prefix), party name, or words of the title and narrative; a
        whole phone number also finds the orders of the parties with that phone (the
        ``party_phone`` index: a few ids, looked up once)."""
        value = value.strip()[:100]
        if not value:
            return queryset
        party = Party.objects.filter(order_id=OuterRef("pk"), name__icontains=value)
        match = (
            Q(number__istartswith=value)
            | Q(title__icontains=value)
            | Q(narrative__icontains=value)
            | Q(Exists(party))
        )
        phones = phone_forms(value)
        user = getattr(self.request, "user", None)
        if phones and not (user is not None and is_alliance_only(user)):
            # Not for an invited volunteer: with the phones masked to it, a match would
            # tell the hidden digits one guess at a time.
            match |= Q(pk__in=Party.objects.filter(phone__in=phones).values("order_id"))
        return queryset.filter(match)
