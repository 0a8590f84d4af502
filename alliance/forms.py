from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.models import Unit
from shishi_mediation.web import IdsChoiceField

from .models import ActivityKind
from .selectors import alliance_units, member_rows


class ActivityForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("类型"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("名称"), max_length=100)
    organiser = forms.ModelChoiceField(label=_("组织单位"), queryset=Unit.objects.none())
    units = IdsChoiceField(
        label=_("参与联盟单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    members = forms.TypedMultipleChoiceField(
        label=_("参与志愿者"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    people_served = forms.IntegerField(label=_("服务人数"), min_value=0, initial=0)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, organisers=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = alliance_units()
        self.fields["units"].queryset = units
        self.fields["organiser"].queryset = Unit.objects.filter(
            pk__in=[u.pk for u in organisers or []] + list(units.values_list("pk", flat=True))
        )
        self.fields["members"].choices = [
            (r["user_id"], f"{r['name']} — {r['unit']}") for r in member_rows()
        ]
