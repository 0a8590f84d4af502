"""The "notification settings" page's form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shishi_mediation.validators import MOBILE_RE


class NotificationSettingsForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        help_text=_("接收短信通知的11位手机号；留空则不修改。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    clear_phone = forms.BooleanField(label=_("删除手机号"), required=False)
    email = forms.BooleanField(label=_("电子邮件"), required=False)
    sms = forms.BooleanField(label=_("短信"), required=False)
    webpush = forms.BooleanField(label=_("浏览器推送"), required=False)
    quiet_start = forms.TimeField(
        label=_("免打扰开始"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        label=_("免打扰结束"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip().replace(" ", "").replace("-", "")
        if phone and not MOBILE_RE.match(phone):
            raise forms.ValidationError(_("请输入11位手机号（如 13812345678）。"))
        return phone

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        fields_ok = not (self.has_error("quiet_start") or self.has_error("quiet_end"))
        if fields_ok and (start is None) != (end is None):
            raise forms.ValidationError(_("免打扰时段须同时填写开始和结束时间。"))
        if start is not None and start == end:
            self.add_error("quiet_end", _("结束时间不能与开始时间相同。"))
        return data
