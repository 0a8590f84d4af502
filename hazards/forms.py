"""The hazard and screening pages' forms. They read what a browser posts; the services
check everything again (and name the same fields)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from disputes.forms import (
    DateTimeLocalInput,
    MultipleFileInput,
    community_choices,
    local_now_input,
)
from shishi_mediation.web import IdsChoiceField

from .models import HazardCategory, HazardState

PHOTO_ACCEPT = ".jpg,.jpeg,.png,.webp,image/*"


def photos_field(label) -> forms.FileField:
    # Checked by the service (type, size, content, pixels), which names ``photos``.
    return forms.FileField(
        label=label,
        required=False,
        widget=MultipleFileInput(attrs={"accept": PHOTO_ACCEPT, "capture": "environment"}),
    )


class PhotosMixin:
    def photos(self, files) -> list:
        return files.getlist("photos")


class HazardReportForm(PhotosMixin, forms.Form):
    category = forms.ModelChoiceField(
        label=_("隐患类别"), queryset=HazardCategory.objects.filter(is_active=True), empty_label="—"
    )
    community = forms.TypedChoiceField(label=_("社区/村"), coerce=int)
    address = forms.CharField(label=_("地点"), max_length=200)
    description = forms.CharField(label=_("隐患描述"), widget=forms.Textarea(attrs={"rows": 4}))
    photos = photos_field(_("现场照片（整改前）"))
    latitude = forms.CharField(label=_("纬度"), required=False, max_length=20)
    longitude = forms.CharField(label=_("经度"), required=False, max_length=20)
    screening = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = community_choices()


class HazardCloseForm(PhotosMixin, forms.Form):
    photos = photos_field(_("整改后照片"))
    note = forms.CharField(
        label=_("整改说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class HazardRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("不属隐患的理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class HazardFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部"))] + HazardState.choices
    )
    category = forms.ModelChoiceField(
        label=_("隐患类别"),
        required=False,
        queryset=HazardCategory.objects.all(),
        empty_label=_("全部"),
    )
    overdue = forms.BooleanField(label=_("仅超期未整改"), required=False)


class ScreeningForm(forms.Form):
    community = forms.TypedChoiceField(label=_("社区/村"), coerce=int)
    place = forms.CharField(label=_("排查地点"), max_length=200)
    visited_at = forms.DateTimeField(label=_("排查时间"), widget=DateTimeLocalInput())
    checked = IdsChoiceField(
        label=_("排查内容"),
        queryset=HazardCategory.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = community_choices()
        self.fields["visited_at"].initial = local_now_input
