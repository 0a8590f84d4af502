"""Forms of the web pages. They shape and pre-check input; the services decide.

Every rule that matters (who may act, which state, required fields, dates) is checked
again by the service the view calls, whose ``InvalidInput`` lands on these same fields.
"""

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Area, Category, RiskLevel, Unit
from dispatch.selectors import units_serving
from shishi_mediation.text import display_name
from shishi_mediation.validators import MOBILE_RE, validate_id_number, validate_phone
from shishi_mediation.web import IdsChoiceField

from .colours import Colour
from .locations import clean_location
from .models import (
    REPORTER_SOURCES,
    ClockPause,
    ContactMethod,
    Grade,
    LocationSource,
    Outcome,
    Party,
    Referral,
    ReferralOutcome,
    ReturnVisit,
    Source,
    validate_attachment,
)
from .selectors import colour_at_dispatch, street_leaders

ACCEPT = ",".join(f".{ext}" for ext in settings.ATTACHMENT_EXTENSIONS) + ",image/*"


def keep_location_field() -> forms.BooleanField:
    """The uploader's choice to keep a photo's GPS position (``images.photo_prepare``)."""
    return forms.BooleanField(
        label=_("保留照片的拍摄位置"),
        required=False,
        help_text=_("照片上传时会去除拍摄设备等信息；不勾选则位置也一并去除。"),
    )


def local_now_input() -> str:
    """Now in the value format of ``<input type="datetime-local">`` (Asia/Shanghai)."""
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def moment_or_now(value):
    """A time entered to the minute; the current minute means "now" (None), so a step
    recorded within a minute of the previous one is not "before" it."""
    if value is None:
        return None
    if value == timezone.now().replace(second=0, microsecond=0):
        return None
    return value


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (photos from the phone's camera or gallery)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("validators", [validate_attachment])
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data]
        return [one(data, initial)] if data else []


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and obj.name_en:
            return obj.name_en
        return obj.name


def community_choices() -> list:
    """Communities grouped by their street (one query)."""
    groups: dict[str, list] = {}
    for c in (
        Area.objects.filter(level=Area.Level.COMMUNITY)
        .select_related("parent")
        .order_by("parent__path", "path")
    ):
        groups.setdefault(c.parent.name if c.parent else "", []).append((c.pk, c.name))
    return [("", "—")] + list(groups.items())


# --- reporting -------------------------------------------------------------------------


class ReportForm(forms.Form):
    category = CategoryChoiceField(
        label=_("纠纷类别"), queryset=Category.objects.filter(is_active=True), empty_label="—"
    )
    community = forms.TypedChoiceField(label=_("社区/村"), coerce=int)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    risk_level = forms.ChoiceField(
        label=_("风险等级"),
        choices=RiskLevel.choices,
        initial=RiskLevel.LOW,
        widget=forms.RadioSelect(attrs={"class": "segmented"}),
    )
    narrative = forms.CharField(
        label=_("情况描述"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("发生了什么、诉求是什么")}),
    )
    title = forms.CharField(
        label=_("标题"),
        max_length=120,
        required=False,
        help_text=_("可不填，默认为“社区 + 类别”。"),
    )
    source = forms.ChoiceField(label=_("来源"), choices=REPORTER_SOURCES, initial=Source.PATROL)
    reporter_unit = forms.TypedChoiceField(label=_("报单单位"), coerce=int, required=False)
    files = MultipleFileField(label=_("照片/附件"), required=False)
    keep_location = keep_location_field()
    # Settled on the spot (就地化解): reported and closed as mediated in one step.
    on_the_spot = forms.BooleanField(
        label=_("当场已化解"),
        required=False,
        help_text=_("纠纷已在现场调解成功：填写达成的协议，提交后直接结单，不再派单。"),
    )
    summary = forms.CharField(
        label=_("达成的协议"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("双方同意的内容、如何履行")}),
    )
    # The map's point (docs/MAP.md), optional: filled by "使用我的位置" (the phone's
    # position, read only when pressed) or a point picked on the form's map; typed in by
    # hand without JS. WGS-84; ``locations.clean_location`` checks it.
    latitude = forms.CharField(
        label=_("纬度"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    longitude = forms.CharField(
        label=_("经度"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    location_source = forms.ChoiceField(
        choices=[("", "")] + LocationSource.choices, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, units=(), default_community=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = community_choices()
        if default_community:
            self.fields["community"].initial = default_community
        units = list({u.pk: u for u in units}.values())
        if len(units) > 1:
            self.fields["reporter_unit"].choices = [(u.pk, u.name) for u in units]
            self.fields["reporter_unit"].initial = units[0].pk
        else:
            del self.fields["reporter_unit"]

    def clean(self):
        data = super().clean()
        if data.get("on_the_spot") and not (data.get("summary") or "").strip():
            self.add_error("summary", _("请填写达成的协议。"))
        errors: dict = {}
        location = clean_location(
            data.get("latitude"), data.get("longitude"), data.get("location_source") or "", errors
        )
        if errors:
            self.add_error("latitude", errors["location"])
        self.location = location
        return data

    def default_title(self) -> str:
        data = self.cleaned_data
        community = dict(
            (pk, name)
            for _group, options in self.fields["community"].choices[1:]
            for pk, name in options
        ).get(data.get("community"), "")
        category = data.get("category")
        return f"{community}{category.name if category else ''}"[:120]


class PartyForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    role = forms.ChoiceField(
        label=_("身份"), choices=Party.PartyRole.choices, initial=Party.PartyRole.APPLICANT
    )
    phone = forms.CharField(
        label=_("电话"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    is_elderly_alone = forms.BooleanField(label=_("独居老人"), required=False)
    is_disabled = forms.BooleanField(label=_("残疾人"), required=False)
    has_mental_illness = forms.BooleanField(label=_("精神障碍"), required=False)
    is_minor = forms.BooleanField(label=_("未成年人"), required=False)
    sms_consent = forms.BooleanField(label=_("当事人同意接收短信通知"), required=False)

    FLAGS = ("is_elderly_alone", "is_disabled", "has_mental_illness", "is_minor")

    def clean_phone(self):
        return self.cleaned_data["phone"].strip()

    def clean(self):
        data = super().clean()
        if data.get("sms_consent") and not MOBILE_RE.match(data.get("phone") or ""):
            self.add_error("sms_consent", _("同意接收短信须填写手机号。"))
        return data

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip().upper()
        validate_id_number(value)
        return value

    def flag_fields(self):
        return [self[name] for name in self.FLAGS]


PartyFormSet = forms.formset_factory(
    PartyForm, extra=0, min_num=1, validate_min=True, max_num=20, validate_max=True
)


# --- dispatching -------------------------------------------------------------------------


class RouteForm(forms.Form):
    """Dispatch or reassign: lead unit (suggested ones first), optional person,
    assisting units, note."""

    lead_unit = forms.TypedChoiceField(label=_("责任单位"), coerce=int)
    assignee = forms.TypedChoiceField(
        label=_("责任人（可选）"), coerce=int, required=False, empty_value=None
    )
    assisting_units = forms.TypedMultipleChoiceField(
        label=_("协办单位"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
    )
    note = forms.CharField(
        label=_("派单说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, order=None, suggested=(), handlers=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The units that can work here: city-wide ones, the street's, its communities'.
        # Supervision units assess the work; they never handle an order.
        if order is not None:
            units = list(units_serving(order.street).select_related("area"))
        else:
            units = list(
                Unit.objects.filter(is_active=True)
                .exclude(kind=Unit.Kind.SUPERVISION)
                .select_related("area")
            )
        suggested_ids = [u.pk for u in suggested]
        others = [(u.pk, u.name) for u in units if u.pk not in suggested_ids]
        lead_choices: list = [("", "—")]
        if suggested:
            lead_choices.append((_("建议单位"), [(u.pk, u.name) for u in suggested]))
            lead_choices.append((_("其他单位"), others))
        else:
            lead_choices += others
        self.fields["lead_unit"].choices = lead_choices
        # Picking the lead unit loads its people into the assignee list (htmx).
        self.fields["lead_unit"].widget.attrs.update(
            {
                "hx-get": reverse("assignee-options"),
                "hx-target": "#id_assignee",
                "hx-trigger": "change",
            }
        )
        self.fields["assisting_units"].choices = [(u.pk, u.name) for u in suggested] + others
        self.fields["assignee"].choices = [("", _("不指定，由单位签收"))] + [
            (u.pk, display_name(u)) for u in handlers
        ]

    def clean(self):
        data = super().clean()
        lead = data.get("lead_unit")
        if lead and lead in (data.get("assisting_units") or []):
            self.add_error("assisting_units", _("责任单位不能同时是协办单位。"))
        return data


def case_leader_field(order, **kwargs) -> forms.TypedChoiceField:
    """The 包案 leader to name: a LEADER of the order's street (``street_leaders``)."""
    leaders = street_leaders(order.street_id) if order is not None else []
    field = forms.TypedChoiceField(
        label=_("包案领导"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("红色订单必填：本街道的包案领导。"),
        **kwargs,
    )
    field.choices = [("", "—")] + [(u.pk, display_name(u)) for u in leaders]
    return field


class DispatchForm(RouteForm):
    """派单: the routing, and the order's colour (the computed one unless changed, with a
    reason) and a red order's 包案 leader."""

    colour = forms.ChoiceField(label=_("颜色等级"), required=False)
    colour_reason = forms.CharField(
        label=_("改定颜色的理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("与系统判定不同时必填。"),
    )

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, order=order, **kwargs)
        baseline, recoloured = (
            colour_at_dispatch(order) if order is not None else (Colour.GREEN, False)
        )
        label = _("已改色：%(colour)s") if recoloured else _("系统判定：%(colour)s")
        self.fields["colour"].choices = [
            ("", label % {"colour": Colour(baseline).label}),
            *Colour.choices,
        ]
        self.fields["case_leader"] = case_leader_field(order)
        if order is not None and order.case_leader_id:
            self.fields["case_leader"].initial = order.case_leader_id


class RecolourForm(forms.Form):
    """改色: the new colour, why, and a 包案 leader if it turns red without one."""

    colour = forms.ChoiceField(label=_("颜色等级"), choices=Colour.choices)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_leader"] = case_leader_field(order)
        if order is not None:
            self.fields["colour"].initial = order.colour
            self.fields["case_leader"].initial = order.case_leader_id


class LeaderReviewForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}))


class GradeReviewForm(forms.Form):
    """等级审核: confirm the proposed grade, or change it with a reason."""

    grade = forms.ChoiceField(label=_("审核等级"), choices=Grade.choices)
    reason = forms.CharField(
        label=_("改定理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("与拟定等级不同时必填。"),
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.fields["grade"].initial = order.grade

    def clean(self):
        data = super().clean()
        if data.get("grade") and data["grade"] != self.order.grade and not data.get("reason"):
            self.add_error("reason", _("改定等级须写明理由。"))
        return data


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ReferralResultForm(forms.Form):
    """移交结果: what the receiving body made of the referral. The service checks the date
    against today and the closing, and the case number against the outcome."""

    body = forms.CharField(
        label=_("接收机关"),
        max_length=120,
        help_text=_("如：石狮市人民法院、石狮市劳动人事争议仲裁委员会、石狮市信访局。"),
    )
    outcome = forms.ChoiceField(label=_("移交结果"), choices=ReferralOutcome.choices)
    case_number = forms.CharField(
        label=_("案号"),
        max_length=64,
        required=False,
        help_text=_("立案/受理、判决/裁决和司法确认的结果必填。"),
    )
    decided_on = forms.DateField(label=_("结果日期"), widget=DateInput())
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        if order is not None and order.referral != Referral.JUDICIAL_CONFIRMATION:
            # 司法确认有效 / 不予确认 only come from a court's confirmation.
            self.fields["outcome"].choices = [
                (v, label)
                for v, label in ReferralOutcome.choices
                if v not in (ReferralOutcome.CONFIRMED, ReferralOutcome.NOT_CONFIRMED)
            ]


class AddAssistingForm(forms.Form):
    """增派协办: units serving the order's street that are not yet on it."""

    units = IdsChoiceField(
        label=_("协办单位"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        taken = {order.lead_unit_id, *order.assisting_units.values_list("pk", flat=True)}
        self.fields["units"].queryset = (
            units_serving(order.street).exclude(pk__in=[pk for pk in taken if pk]).order_by("name")
        )


class AssistOpinionForm(forms.Form):
    opinion = forms.CharField(
        label=_("协办意见"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("本单位对调处的意见和建议")}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}))


class MergeForm(forms.Form):
    """重复报单合并: the kept order's number and why this one repeats it."""

    into = forms.CharField(
        label=_("保留订单编号"),
        max_length=32,
        help_text=_(
            "本单是该订单的重复报单，合并后本单办结，其当事人、备注和附件显示在保留订单上。"
        ),
        widget=forms.TextInput(attrs={"placeholder": "HB-202612-00001", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("合并原因"), widget=forms.Textarea(attrs={"rows": 3}))


# --- pausing a clock (暂停计时) --------------------------------------------------------------

# The durations the page offers, in minutes (the API takes any up to the bound).
PAUSE_DURATIONS = [
    (60, _("1小时")),
    (4 * 60, _("4小时")),
    (12 * 60, _("12小时")),
    (24 * 60, _("1天")),
    (2 * 24 * 60, _("2天")),
    (3 * 24 * 60, _("3天")),
    (5 * 24 * 60, _("5天")),
    (7 * 24 * 60, _("7天")),
]


class PauseForm(forms.Form):
    """Ask to pause a running clock: which, why, for how long (``services.order_pause``)."""

    stage = forms.ChoiceField(label=_("暂停环节"))
    reason = forms.ChoiceField(label=_("暂停原因"), choices=ClockPause.Reason.choices)
    minutes = forms.TypedChoiceField(label=_("暂停时长"), coerce=int)
    note = forms.CharField(
        label=_("说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("原因为“其他”时必填。"),
    )

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = stages
        cap = settings.PAUSE_MAX_MINUTES
        self.fields["minutes"].choices = [(m, label) for m, label in PAUSE_DURATIONS if m <= cap]


class PauseDecideForm(forms.Form):
    """Approve or reject a pause asked for (``services.order_pause_decide``)."""

    DECISIONS = [("approve", _("批准")), ("reject", _("驳回"))]
    decision = forms.ChoiceField(label=_("审批"), choices=DECISIONS, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("审批意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("驳回时必填。"),
    )


class ResumeForm(forms.Form):
    """End a running pause early (``services.order_resume``)."""

    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnReviewForm(forms.Form):
    """退单审核: approve, or reject with the reason why (the service checks again)."""

    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("approve", _("批准退单")), ("reject", _("驳回"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("驳回须填写理由。"))
        return data


class AssistanceForm(forms.Form):
    note = forms.CharField(
        label=_("需要的协助"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("如：需要司法所派员参与调解")}),
    )


# --- handling ----------------------------------------------------------------------------


class StepTimeForm(forms.Form):
    """A step recorded with its time (``time_field``): earlier than now is fine, but not
    in the future nor before the order's previous step. ``clean`` checks the time along
    with every other field, so all errors show in one round; the service checks again
    under its row lock, with the same messages."""

    time_field = ""
    future_message = ""
    before_message = ""

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.fields[self.time_field].initial = local_now_input

    def previous_step_at(self):
        """When the previous step was done (None: no order given, nothing to check)."""
        return None

    def clean(self):
        data = super().clean()
        if self.time_field not in data:  # unreadable: the field has said so
            return data
        at = data[self.time_field] or timezone.now()  # None means now
        previous = self.previous_step_at()
        if previous and previous > at == previous.replace(second=0, microsecond=0):
            # Typed to the minute, in the very minute of the previous step (a form opened
            # at 10:21 and sent at 10:22, after a step at 10:21:59): done right after it.
            data[self.time_field] = at = previous
        if at > timezone.now():
            self.add_error(self.time_field, self.future_message)
        elif previous and at < previous:
            self.add_error(self.time_field, self.before_message)
        return data


class ContactForm(StepTimeForm):
    time_field = "contacted_at"
    future_message = _("联系时间不能晚于现在。")
    before_message = _("联系时间不能早于签收时间。")

    method = forms.ChoiceField(
        label=_("联系方式"),
        choices=ContactMethod.choices,
        widget=forms.RadioSelect(attrs={"class": "segmented"}),
    )
    contacted_at = forms.DateTimeField(
        label=_("联系时间"), required=False, widget=DateTimeLocalInput()
    )
    note = forms.CharField(
        label=_("联系对象及情况"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("与谁联系、谈了什么")}),
    )

    def previous_step_at(self):
        return self.order.signed_at if self.order else None

    def clean_contacted_at(self):
        return moment_or_now(self.cleaned_data["contacted_at"])


class MeetingForm(StepTimeForm):
    time_field = "met_at"
    future_message = _("调解时间不能晚于现在。")
    before_message = _("调解时间不能早于联系时间。")

    place = forms.CharField(label=_("调解地点"), max_length=200)
    participants = forms.CharField(label=_("参加人员"), widget=forms.Textarea(attrs={"rows": 2}))
    result = forms.CharField(label=_("调解经过及结果"), widget=forms.Textarea(attrs={"rows": 4}))
    met_at = forms.DateTimeField(label=_("调解时间"), required=False, widget=DateTimeLocalInput())

    def previous_step_at(self):
        return self.order.contacted_at if self.order else None

    def clean_met_at(self):
        return moment_or_now(self.cleaned_data["met_at"])


class PartyChoiceField(IdsChoiceField):
    def label_from_instance(self, obj: Party) -> str:
        return f"{obj.name}（{obj.get_role_display()}）"


class CloseForm(forms.Form):
    """提交结单: the outcome, and for a mediated case the agreement (人民调解协议书)."""

    outcome = forms.ChoiceField(
        label=_("调解结果"), choices=Outcome.choices, widget=forms.RadioSelect()
    )
    summary = forms.CharField(label=_("协议摘要"), widget=forms.Textarea(attrs={"rows": 2}))
    grade = forms.ChoiceField(
        label=_("拟定案件等级"),
        choices=[("", "—"), *Grade.choices],
        required=False,
        help_text=_("调解成功或部分成功时必填（以案定补，由调解中心审核）。"),
    )
    referral = forms.ChoiceField(
        label=_("移交途径"),
        choices=[("", "—"), *Referral.choices],
        required=False,
        help_text=_("调解不成时必填；调解成功的协议可选司法确认。"),
    )
    facts = forms.CharField(
        label=_("纠纷事实"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("以下为人民调解协议书内容，调解成功或部分成功时必填。"),
    )
    terms = forms.CharField(
        label=_("协议内容"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    performance = forms.CharField(
        label=_("履行方式"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    perform_by = forms.DateField(
        label=_("履行期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        if order is not None:
            self.fields["facts"].initial = order.narrative
            self.fields["summary"].initial = order.meeting_result


class ClosingConfirmForm(forms.Form):
    """记录当面确认: a party's answer in person, with the signed agreement's photo."""

    ANSWERS = {"confirm": True, "refuse": False}

    party = forms.TypedChoiceField(label=_("当事人"), coerce=int, choices=())
    answer = forms.ChoiceField(
        label=_("当事人意见"),
        choices=[("confirm", _("同意结单")), ("refuse", _("不同意"))],
        initial="confirm",
        widget=forms.RadioSelect(attrs={"class": "segmented"}),
    )
    file = forms.FileField(
        label=_("签字协议书照片"),
        required=False,
        validators=[validate_attachment],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT, "capture": "environment"}),
        help_text=_("同意结单时必须上传当事人签字的协议书照片。"),
    )
    reason = forms.CharField(
        label=_("不同意的理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = [(p.pk, p.name) for p in parties]


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class OverdueCloseForm(forms.Form):
    reason = forms.CharField(
        label=_("逾期结单理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PartyAnswerForm(forms.Form):
    """The party's own page (no login): confirm, or refuse with a reason."""

    reason = forms.CharField(
        label=_("如不同意，请写明理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(
        label=_("附件"),
        required=False,
        validators=[validate_attachment],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    keep_location = keep_location_field()


class ReturnVisitForm(StepTimeForm):
    time_field = "visited_at"
    future_message = _("回访时间不能晚于现在。")
    before_message = _("回访时间不能早于结单时间。")

    SATISFIED = {"yes": True, "no": False, "": None}
    field_order = ["satisfied", "follow_up", "agreement_kept", "note", "visited_at"]

    satisfied = forms.ChoiceField(
        label=_("当事人是否满意"),
        choices=[("yes", _("满意")), ("no", _("不满意")), ("", _("未表态"))],
        required=False,
        widget=forms.RadioSelect(attrs={"class": "segmented"}),
    )
    visited_at = forms.DateTimeField(
        label=_("回访时间"), required=False, widget=DateTimeLocalInput()
    )
    agreement_kept = forms.ChoiceField(
        label=_("协议履行情况"),
        choices=[("", _("未了解")), *ReturnVisit.AgreementKept.choices],
        required=False,
        widget=forms.RadioSelect(attrs={"class": "segmented"}),
    )
    # Only when the parties are unsatisfied (the page shows it then); otherwise ignored.
    follow_up = forms.ChoiceField(
        label=_("当事人不满意时"),
        choices=[
            (ReturnVisit.FollowUp.SECOND_VISIT, _("安排二次回访")),
            (ReturnVisit.FollowUp.REOPEN, _("重新调解（作为新订单报单）")),
        ],
        initial=ReturnVisit.FollowUp.SECOND_VISIT,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "segmented"}),
        help_text=_("二次回访于三天内到期；重新调解则以原当事人和类别新报一单，与本单互相关联。"),
    )
    note = forms.CharField(
        label=_("回访情况"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, order=order, **kwargs)
        if order is not None and order.outcome not in (
            Outcome.MEDIATED,
            Outcome.PARTLY_MEDIATED,
        ):
            del self.fields["agreement_kept"]  # no agreement to keep

    def previous_step_at(self):
        return self.order.closed_at if self.order else None

    def clean_visited_at(self):
        return moment_or_now(self.cleaned_data["visited_at"])

    def service_kwargs(self) -> dict:
        """The service's arguments: the choice after an unsatisfied visit only."""
        data = self.cleaned_data
        satisfied = self.SATISFIED.get(data.get("satisfied") or "", None)
        return {
            "satisfied": satisfied,
            "note": data.get("note", ""),
            "visited_at": data.get("visited_at"),
            "agreement_kept": data.get("agreement_kept", ""),
            "follow_up": (data.get("follow_up") or "") if satisfied is False else "",
        }


# --- 督办 ----------------------------------------------------------------------------------


class DirectForm(forms.Form):
    """A 督办: the demand and the reply deadline (the service checks the deadline is ahead
    and within ``DIRECTIVE_MAX_DAYS`` days, naming ``reply_due_at``)."""

    demand = forms.CharField(
        label=_("督办要求"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("请写明督办事项和要求")}),
    )
    reply_due_at = forms.DateTimeField(label=_("回复期限"), widget=DateTimeLocalInput())


class DirectReplyForm(forms.Form):
    """督办回复: which directive (hidden) and the reply."""

    directive = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reply = forms.CharField(
        label=_("回复内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
