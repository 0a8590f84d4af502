"""The session form (a phone's form): the session's fields, then who attended and who was
absent (checkboxes of the people of the recorder's units, grouped by unit), then the
headcounts of people without a login. Its values become a ``services.SessionInput``."""

from __future__ import annotations

from collections import OrderedDict

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.models import Area
from shishi_mediation.text import display_name

from .models import Attendance, Kind
from .selectors import attendee_memberships, organizer_units, recording_areas, under, units_in
from .services import AttendeeInput, HeadcountInput, SessionInput

HEADCOUNT_PREFIX = "hc_"


def person_key(unit_id: int, user_id: int) -> str:
    return f"{unit_id}:{user_id}"


class SessionForm(forms.Form):
    topic = forms.CharField(label=_("主题"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=Kind.choices, initial=Kind.BUSINESS)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("开始时间"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=_("结束时间"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    hours = forms.DecimalField(
        label=_("学时（小时）"),
        required=False,
        max_digits=4,
        decimal_places=2,
        help_text=_("填写起止时间的可不填，由时间计算。"),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    place = forms.CharField(label=_("地点"), max_length=120, required=False)
    trainer_name = forms.CharField(label=_("授课人"), max_length=64)
    trainer_unit = forms.CharField(label=_("授课人单位"), max_length=64, required=False)
    organizer = forms.ModelChoiceField(label=_("组织单位"), queryset=None)
    area = forms.ModelChoiceField(label=_("培训范围"), queryset=None)
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attendees = forms.MultipleChoiceField(label=_("出席人员"), required=False)
    absentees = forms.MultipleChoiceField(label=_("缺席人员（应到未到）"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        areas = recording_areas(user)
        self.fields["organizer"].queryset = organizer_units(user).order_by("area__path", "name")
        self.fields["area"].queryset = Area.objects.filter(under(areas)).order_by("path")
        # The people of every unit the recorder covers, grouped by unit; the service
        # checks they belong to the chosen area.
        groups: OrderedDict[int, tuple[str, list]] = OrderedDict()
        for m in (row for a in areas for row in attendee_memberships(a)):
            name, people = groups.setdefault(m.unit_id, (m.unit.name, []))
            key = person_key(m.unit_id, m.user_id)
            if all(k != key for k, _label in people):
                people.append((key, display_name(m.user)))
        self.people_groups = [(name, people) for name, people in groups.values()]
        choices = [(k, label) for _name, people in self.people_groups for k, label in people]
        self.fields["attendees"].choices = choices
        self.fields["absentees"].choices = choices
        self.headcount_units = []
        for area in areas:
            for unit in units_in(area).order_by("area__path", "name"):
                name = f"{HEADCOUNT_PREFIX}{unit.pk}"
                self.fields[name] = forms.IntegerField(
                    label=unit.name,
                    required=False,
                    min_value=1,
                    max_value=999,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
                )
                self.headcount_units.append(name)

    @property
    def headcount_fields(self):
        return [self[name] for name in self.headcount_units]

    def clean(self):
        data = super().clean()
        both = set(data.get("attendees") or []) & set(data.get("absentees") or [])
        users = [
            k.split(":")[1] for k in (data.get("attendees") or []) + (data.get("absentees") or [])
        ]
        if both or len(users) != len(set(users)):
            self.add_error("absentees", _("同一人不能重复出现在名单中（出席和缺席只能选一个）。"))
        return data

    def session_input(self) -> SessionInput:
        d = self.cleaned_data

        def rows(keys, status):
            for key in keys:
                unit_id, user_id = (int(x) for x in key.split(":"))
                yield AttendeeInput(user_id=user_id, unit_id=unit_id, status=status)

        return SessionInput(
            topic=d["topic"],
            kind=d["kind"],
            date=d["date"],
            start_time=d.get("start_time"),
            end_time=d.get("end_time"),
            hours=d.get("hours"),
            place=d.get("place", ""),
            trainer_name=d["trainer_name"],
            trainer_unit=d.get("trainer_unit", ""),
            organizer_id=d["organizer"].pk,
            area_id=d["area"].pk,
            note=d.get("note", ""),
            attendance=[
                *rows(d.get("attendees") or [], Attendance.Status.ATTENDED),
                *rows(d.get("absentees") or [], Attendance.Status.ABSENT),
            ],
            headcounts=[
                HeadcountInput(unit_id=int(name[len(HEADCOUNT_PREFIX) :]), count=d[name])
                for name in self.headcount_units
                if d.get(name)
            ],
        )

    @classmethod
    def initial_of(cls, session) -> dict:
        initial = {
            name: getattr(session, name)
            for name in (
                "topic",
                "kind",
                "date",
                "start_time",
                "end_time",
                "hours",
                "place",
                "trainer_name",
                "trainer_unit",
                "note",
            )
        }
        initial |= {"organizer": session.organizer_id, "area": session.area_id}
        rows = list(session.attendances.all())
        initial["attendees"] = [
            person_key(a.unit_id, a.user_id) for a in rows if a.status == Attendance.Status.ATTENDED
        ]
        initial["absentees"] = [
            person_key(a.unit_id, a.user_id) for a in rows if a.status == Attendance.Status.ABSENT
        ]
        for h in session.headcounts.all():
            initial[f"{HEADCOUNT_PREFIX}{h.unit_id}"] = h.count
        return initial
