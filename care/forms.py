"""Forms of the care pages: they shape input; the services decide (their
``InvalidInput`` lands on the same field names)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.forms import DateTimeLocalInput
from shishi_mediation.validators import validate_id_number, validate_phone

from .models import AidKind, CareKind


class SubjectForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    kind = forms.ChoiceField(label=_("类别"), choices=CareKind.choices)
    community = forms.ModelChoiceField(label=_("所在社区"), queryset=None, empty_label=None)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("电话"), max_length=20, required=False, validators=[validate_phone]
    )
    id_number = forms.CharField(
        label=_("身份证号"), max_length=18, required=False, validators=[validate_id_number]
    )
    guardian_name = forms.CharField(label=_("监护人"), max_length=64, required=False)
    guardian_phone = forms.CharField(
        label=_("监护人电话"), max_length=20, required=False, validators=[validate_phone]
    )
    needs = forms.CharField(
        label=_("需求"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        for name in ("phone", "guardian_phone"):
            self.fields[name].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off"})


class VisitForm(forms.Form):
    visited_at = forms.DateTimeField(label=_("走访时间"), widget=DateTimeLocalInput())
    condition = forms.CharField(
        label=_("状况"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("身体、生活、情绪等情况")}),
    )
    needs_found = forms.CharField(
        label=_("发现的需求"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "initial", {"visited_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
        super().__init__(*args, **kwargs)


class AidForm(forms.Form):
    kind = forms.ChoiceField(label=_("帮扶类型"), choices=AidKind.choices)
    amount = forms.DecimalField(
        label=_("金额（元）"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("募捐必填。"),
    )
    given_on = forms.DateField(
        label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    outcome = forms.CharField(
        label=_("结果"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"given_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal"})
