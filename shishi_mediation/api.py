"""The REST API's shared plumbing: strict input fields, strict filters, cursor pages,
id parsing and the error shapes of the schema. Every app's API builds on these."""

import copy
from datetime import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from .errors import NotFound
from .ids import id_from_text

# Largest value a BIGINT primary key can hold: larger ids are a 400 (body) or 404 (path),
# never a database overflow.
MAX_ID = 2**63 - 1
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2100, 1, 1)


# Input fields are strict about JSON types: DRF would turn 1 into "1", "1" into 1 and
# "yes" into True; a machine client sending the wrong type gets a 400 instead.


class IdField(serializers.IntegerField):
    """A JSON integer 1 … 2⁶³−1 (not "1", not 1.0, not true)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class FormIdField(IdField):
    """An id in a form field: decimal digits (a multipart body carries text) or a JSON
    integer; not "1.0", not " 1"."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isascii() and data.isdigit() and len(data) <= 19:
            data = int(data)
        return super().to_internal_value(data)


class Text(serializers.CharField):
    """A JSON string (not a number)."""

    default_error_messages = {"not_a_string": _("须为字符串。")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class Choice(serializers.ChoiceField):
    """A choice whose error does not echo the input (which may hold characters, such as
    lone surrogates, that cannot even be encoded in the response)."""

    default_error_messages = {"invalid_choice": _("不是有效的选项。")}


class Flag(serializers.BooleanField):
    """A JSON true or false (not "yes", not 1)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class FormFlag(serializers.BooleanField):
    """A form field's true or false: the text ``true`` or ``false`` (a multipart body
    carries text), or a JSON boolean; not "1", "yes" or "on"."""

    default_error_messages = {"invalid": _("须为 true 或 false。")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if data in ("true", "false"):
            return data == "true"
        self.fail("invalid")


class BoundedDateTimeField(serializers.DateTimeField):
    """An aware date and time between 2000 and 2100 (naive input is Asia/Shanghai)."""

    default_error_messages = {"range": _("时间须在2000年至2100年之间。")}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        try:
            local = timezone.localtime(moment).replace(tzinfo=None)
        except (OverflowError, ValueError):
            self.fail("range")
        if not EARLIEST <= local < LATEST:
            self.fail("range")
        return moment


# --- errors, for the schema ------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=_("字段名 → 错误信息列表；当事人字段形如 parties[0].phone。"),
    )


# --- output ------------------------------------------------------------------------------------


class ModelSerializer(serializers.ModelSerializer):
    """DRF's, with its fields built once per class: DRF introspects the model and builds
    every field again for each instance, which for the order detail (six nested
    serializers) cost more than its database queries. Each instance still gets its own
    copy of the fields, as DRF gives each a copy of its declared fields: a shallow one of
    a plain field (binding sets attributes on the copy; DRF's deep copy builds the field
    again from its arguments), a deep one of a field that holds another (a nested
    serializer, a list's child), whose inner field is bound to its holder."""

    def get_fields(self):
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built
        return {name: _field_copy(field) for name, field in built.items()}


def _field_copy(field):
    holds = (
        isinstance(field, serializers.BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
    )
    return copy.deepcopy(field) if holds else copy.copy(field)


# --- filters, pages and ids -------------------------------------------------------------


ERROR_RESPONSES = {
    400: (ValidationErrorSerializer, _("输入有误：errors 列出各字段的错误。")),
    401: (ErrorSerializer, _("未登录或令牌无效。")),
    403: (ErrorSerializer, _("您的角色不能执行此操作。")),
    404: (ErrorSerializer, _("不存在或不在您的可见范围内（不区分两者）。")),
    429: (ErrorSerializer, _("请求过于频繁。")),
}


def error_responses(*codes: int, conflict=None) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an endpoint may answer (401 and 429 always);
    ``conflict`` is the 409 entry (serializer, description) of an API that has one."""
    known = {**ERROR_RESPONSES, **({409: conflict} if conflict else {})}
    wanted = sorted({401, 429, *codes})
    return {
        code: OpenApiResponse(response=known[code][0], description=known[code][1])
        for code in wanted
    }


def parse_id(value) -> int:
    """A URL id as an int, or ``NotFound`` (never a database overflow or a 500)."""
    number = id_from_text(str(value))
    if number is None:
        raise NotFound()
    return number


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.Filter):
    """An id query parameter: a whole number 1 … 2⁶³−1 (``1.5`` or ``1e3`` are a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter for machine clients, stricter than for web forms: a parameter given
    twice (unless it is multiple-choice), an empty value, or a boolean other than
    ``true``/``false`` is a 400 instead of being silently ignored."""

    single_params = ("cursor", "page_size")

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        filters = filterset_class.base_filters if filterset_class else {}
        errors: dict[str, list[str]] = {}
        for name in request.query_params:
            values = request.query_params.getlist(name)
            spec = filters.get(name)
            if spec is None:
                if name in self.single_params and len(values) > 1:
                    errors[name] = [_("只能给一个值。")]
                continue
            if len(values) > 1 and not isinstance(spec, django_filters.MultipleChoiceFilter):
                errors[name] = [_("只能给一个值。")]
            elif any(v == "" for v in values):
                errors[name] = [_("不能为空。")]
            elif isinstance(spec, django_filters.BooleanFilter) and values[0] not in (
                "true",
                "false",
            ):
                errors[name] = [_("须为 true 或 false。")]
        if errors:
            raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)


class StrictCursorPagination(CursorPagination):
    """Cursor pagination whose ``page_size`` must be 1–100 (else 400, not a silent default)."""

    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw[:4]) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [_("须为1到100之间的整数。")]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return params


class YesNoFilter(django_filters.ChoiceFilter):
    """``true`` / ``false`` only: anything else is a 400, not silently ignored."""

    def __init__(self, *args, predicate=None, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("method", self.apply)
        self.predicate = predicate
        super().__init__(*args, **kwargs)

    def apply(self, queryset, name, value):
        if value in ("", None):
            return queryset
        q = self.predicate()
        return queryset.filter(q) if value == "true" else queryset.exclude(q)


class SafeLookupMixin:
    """Any id in the URL reaches ``get_object``; a bad or unknown one is a JSON 404.
    Query parameters go through the strict filter backend."""

    lookup_value_regex = "[^/]+"
    filter_backends = [StrictFilterBackend]

    def get_object(self):
        obj = self.get_queryset().filter(pk=parse_id(self.kwargs["pk"])).first()
        if obj is None:
            raise NotFound(_("不存在或无权查看。"))
        return obj


def id_param(what: str) -> OpenApiParameter:
    return OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=what)
