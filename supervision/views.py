"""Supervisor report pages (``/reports/…``) and the report API (``/api/v1/reports/…``).

Supervisors only: a supervisor sees its jurisdiction (a street supervisor its street);
anyone else gets 403, the anonymous are sent to log in (the API answers 401). Every page
takes ``?month=YYYY-MM`` (default: the current month) and ``?street=<id>``; the monthly
report and the subsidy statement also ``?format=csv|xlsx``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from disputes.stages import CLOCKS, DUTIES
from shishi_mediation.api import ErrorSerializer, ValidationErrorSerializer
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from shishi_mediation.replica import replica_reads

from .bulletins import (
    bulletin_publish,
    month_date,
    month_of_date,
    publishing_area,
    rank_text,
    standing_units,
    standings_of,
)
from .exports import (
    FIGURE_COLUMNS,
    FIGURE_NOTES,
    MINUTE_KEYS,
    RATE_KEYS,
    XLSX_TYPE,
    monthly_download,
    subsidy_download,
)
from .models import BulletinIssue, BulletinStanding
from .reports import (
    REFERRAL_KIND_COLUMNS,
    REFERRAL_OUTCOME_COLUMNS,
    RETURN_REVIEW_COLUMNS,
    SCORE_WEIGHTS,
    SHANGHAI,
    Month,
    MonthlyReport,
    Row,
    Scope,
    TrendPoint,
    alliance_figures,
    can_view_reports,
    care_figures,
    directive_figures,
    hazard_figures,
    incident_share_figures,
    location_figures,
    merge_figures,
    minutes_label,
    monthly_report,
    parse_month,
    pause_figures,
    referral_figures,
    repeat_figures,
    report_scope,
    return_review_rows,
    return_visit_figures,
    training_figures,
)
from .subsidy import subsidy_statement

FORMATS = ("csv", "xlsx")


class BadReportRequest(Exception):
    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(message)


def _street_id(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise BadReportRequest("street", _("街道参数无效。"))
    return int(raw)


def _page_params(request: HttpRequest, *, formats=FORMATS) -> tuple[Scope, Month, str]:
    fmt = request.GET.get("format", "")
    if fmt and fmt not in formats:
        raise BadReportRequest("format", _("导出格式只能是 %s。") % " / ".join(formats))
    try:
        month = parse_month(request.GET.get("month"))
    except ValueError as e:
        raise BadReportRequest("month", str(e)) from None
    scope = report_scope(request.user, street_id=_street_id(request.GET.get("street")))
    return scope, month, fmt


def supervisor_page(*, formats: tuple[str, ...] = FORMATS) -> Callable:
    """Log in first; then 403 for non-supervisors, 404 for a street outside the
    jurisdiction, 400 (with a way back) for a bad month, street or format. The view gets
    the scope, the month and the download format ("" for the page)."""

    def decorate(view: Callable) -> Callable:
        @require_safe
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not can_view_reports(request.user):
                raise PermissionDenied(_("只有督导员可以查看考核报表。"))
            try:
                scope, month, fmt = _page_params(request, formats=formats)
            except BadReportRequest as e:
                return render(
                    request,
                    "reports/bad_request.html",
                    {"field": e.field, "message": e.message},
                    status=400,
                )
            except Forbidden as e:
                raise PermissionDenied(str(e.message)) from None
            except NotFound as e:
                raise Http404(str(e.message)) from None
            return view(request, scope=scope, month=month, fmt=fmt)

        return wrapper

    return decorate


# --- presentation helpers -------------------------------------------------------------------

# Column groups of the page's tables: (group title, [(key, short header)]).
COLUMN_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        gettext_lazy("受理"),
        [
            ("received", gettext_lazy("报单")),
            ("cancelled", gettext_lazy("撤销")),
            ("dispatched", gettext_lazy("派单")),
        ],
    ),
    *[
        (
            title,
            [
                (f"{stage}_on_time", gettext_lazy("按时")),
                (f"{stage}_late", gettext_lazy("超时")),
                (f"{stage}_open", gettext_lazy("逾期未办")),
                (f"{stage}_rate", gettext_lazy("按时率")),
            ],
        )
        for stage, title in (
            *((c.name, c.report.group) for c in CLOCKS),
            *((d.name, d.report.group) for d in DUTIES),
        )
    ],
    (
        gettext_lazy("结单"),
        [
            ("closed", gettext_lazy("结单")),
            ("mediated", gettext_lazy("成功")),
            ("success_rate", gettext_lazy("成功率")),
            ("on_the_spot", gettext_lazy("就地化解")),
        ],
    ),
    (
        gettext_lazy("按颜色报单"),
        [
            ("received_red", gettext_lazy("红")),
            ("received_yellow", gettext_lazy("黄")),
            ("received_green", gettext_lazy("绿")),
        ],
    ),
    (
        gettext_lazy("用时中位数"),
        [
            *((f"median_{c.name}_minutes", c.report.median_short) for c in CLOCKS),
        ],
    ),
    (
        gettext_lazy("未解除督办"),
        [
            ("escalations_warning", gettext_lazy("预警")),
            ("escalations_level1", gettext_lazy("一级")),
            ("escalations_level2", gettext_lazy("二级")),
        ],
    ),
    (
        gettext_lazy("评价与回访"),
        [
            ("reviews_good", gettext_lazy("好评")),
            ("reviews_bad", gettext_lazy("差评")),
            ("good_rate", gettext_lazy("好评率")),
            ("return_visits", gettext_lazy("回访")),
        ],
    ),
    (gettext_lazy("考核"), [("score", gettext_lazy("综合得分"))]),
]
COLUMN_KEYS = [key for _g, cols in COLUMN_GROUPS for key, _h in cols]
FULL_HEADERS = dict(FIGURE_COLUMNS)


def fmt_value(key: str, value) -> str:
    if value is None:
        return "—"
    if key in RATE_KEYS - {"score"}:
        return f"{value}%"
    if key in MINUTE_KEYS:
        return minutes_label(value)
    if key == "score":
        return f"{value}"
    return str(value)


def table_rows(rows: list[Row]) -> list[dict]:
    out = []
    for row in rows:
        data = row.as_dict()
        out.append(
            {
                "row": row,
                "cells": [
                    {"key": k, "text": fmt_value(k, data[k]), "zero": data[k] in (0, None)}
                    for k in COLUMN_KEYS
                ],
            }
        )
    return out


def query_string(scope: Scope, month: Month, **extra) -> str:
    params = {"month": str(month)}
    if scope.street is not None:
        params["street"] = scope.street.pk
    params.update({k: v for k, v in extra.items() if v})
    return urlencode(params)


# --- charts (server-side SVG) ---------------------------------------------------------------

SERIES = {
    **{f"{c.name}_rate": (c.report.rate_name, c.report.colour) for c in CLOCKS},
    "success_rate": (gettext_lazy("调解成功率"), "#7a4fc4"),
    "good_rate": (gettext_lazy("好评率"), "#c23b3b"),
}
FONT = 'font-family="system-ui, PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"'


def _legend(keys: list[str], x: float, y: float) -> list[str]:
    parts, cursor = [], x
    for key in keys:
        label, color = SERIES[key]
        parts.append(f'<rect x="{cursor}" y="{y - 9}" width="12" height="10" fill="{color}"/>')
        parts.append(f'<text x="{cursor + 16}" y="{y}" font-size="12">{escape(label)}</text>')
        cursor += 28 + 13 * len(str(label))
    return parts


def on_time_chart(rows: list[Row], *, title: str) -> SafeString:
    """Horizontal grouped bars: each unit's on-time rate per stage (0–100 %)."""
    keys = [f"{c.name}_rate" for c in CLOCKS]
    label_w, plot_w, right = 200, 440, 46
    bar_h, gap, pad = 9, 2, 8
    group_h = len(keys) * bar_h + (len(keys) - 1) * gap + 2 * pad
    top = 52
    width = label_w + plot_w + right
    height = top + max(1, len(rows)) * group_h + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" {FONT} '
        'class="chart chart-bars">',
        f"<title>{escape(title)}</title>",
        *_legend(keys, label_w, 16),
    ]
    for pct in range(0, 101, 20):
        x = label_w + plot_w * pct / 100
        parts.append(f'<line x1="{x}" y1="{top - 6}" x2="{x}" y2="{height - 8}" stroke="#d9e0e7"/>')
        parts.append(
            f'<text x="{x}" y="{top - 12}" font-size="11" text-anchor="middle" '
            f'fill="#5b6b7c">{pct}%</text>'
        )
    if not rows:
        parts.append(
            f'<text x="{label_w}" y="{top + 20}" font-size="13" fill="#5b6b7c">'
            f"{escape(_('本月没有可考核的环节。'))}</text>"
        )
    for i, row in enumerate(rows):
        y0 = top + i * group_h
        rates = row.as_dict()
        parts.append(
            f'<text x="{label_w - 8}" y="{y0 + group_h / 2 + 4}" font-size="12" '
            f'text-anchor="end">{escape(row.name)}</text>'
        )
        for j, key in enumerate(keys):
            y = y0 + pad + j * (bar_h + gap)
            value: Decimal | None = rates[key]
            label, color = SERIES[key]
            if value is None:
                parts.append(
                    f'<text x="{label_w + 4}" y="{y + bar_h - 1}" font-size="9" '
                    f'fill="#5b6b7c">—</text>'
                )
                continue
            w = plot_w * float(value) / 100
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                f"<title>{escape(row.name)} {escape(label)} {value}%</title></rect>"
            )
            parts.append(
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 1}" font-size="9" '
                f'fill="#1d2733">{value}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def trend_chart(points: list[TrendPoint], *, title: str) -> SafeString:
    """Lines over the months: the on-time rates, the success rate and the good rate."""
    keys = list(SERIES)
    width, height = 720, 300
    left, right, top, bottom = 44, 16, 44, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(points) - 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(v: Decimal) -> float:
        return top + plot_h * (1 - float(v) / 100)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" {FONT} '
        'class="chart chart-trend">',
        f"<title>{escape(title)}</title>",
        *_legend(keys, left, 16),
    ]
    for pct in range(0, 101, 20):
        yy = y(Decimal(pct))
        parts.append(
            f'<line x1="{left}" y1="{yy}" x2="{width - right}" y2="{yy}" stroke="#d9e0e7"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{yy + 4}" font-size="11" text-anchor="end" '
            f'fill="#5b6b7c">{pct}%</text>'
        )
    for i, p in enumerate(points):
        label = f"{p.month.month}月"
        parts.append(
            f'<text x="{x(i)}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle" fill="#5b6b7c">{label}</text>'
        )
        if i == 0 or p.month.month == 1:
            parts.append(
                f'<text x="{x(i)}" y="{height - bottom + 30}" font-size="10" '
                f'text-anchor="middle" fill="#5b6b7c">{p.month.year}</text>'
            )
    for key in keys:
        label, color = SERIES[key]
        segments: list[list[tuple[float, float]]] = [[]]
        for i, p in enumerate(points):
            value = p.rates[key]
            if value is None:
                segments.append([])
                continue
            segments[-1].append((x(i), y(value)))
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{color}">'
                f"<title>{p.month} {escape(label)} {value}%</title></circle>"
            )
        for seg in segments:
            if len(seg) > 1:
                pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in seg)
                parts.append(
                    f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


# --- pages ----------------------------------------------------------------------------------


def _signed(value) -> str:
    return "—" if value is None else (f"+{value}" if value > 0 else str(value))


def _rank_move(moved: int | None) -> str:
    if moved is None:
        return "—"
    if moved == 0:
        return "="
    return f"↑{moved}" if moved > 0 else f"↓{-moved}"


# The ranking's rate columns, in the order of ``SCORE_WEIGHTS``.
RATE_LABELS = {
    **{f"{c.name}_rate": c.report.rate_name for c in (*CLOCKS, *DUTIES)},
    "success_rate": gettext_lazy("调解成功率"),
    "good_rate": gettext_lazy("好评率"),
}


def ranking_rows(report: MonthlyReport) -> list[dict]:
    """The ranking table: ranked units by rank, then the units with too few cases
    (rank "—" and a note); the change columns are of the fair score (排名得分)."""
    rows = []
    for r in report.ranking:
        data = r.row.as_dict()
        change, moved = r.fair_score_change, r.rank_change
        if not r.ranked:
            change_text = "—"
        elif r.previous_rank is None:
            change_text = _("新上榜")
        else:
            change_text = _signed(change)
        rows.append(
            {
                "rank": r.rank if r.ranked else "—",
                "ranked": r.ranked,
                "name": r.row.name,
                "kind": r.row.unit_kind_label,
                "cases": r.cases,
                "rates": [(RATE_LABELS[k], fmt_value(k, data[k])) for k in SCORE_WEIGHTS],
                "score": r.score,
                "fair_score": r.fair_score,
                "previous_score": fmt_value("score", r.previous_fair_score),
                "change": change_text,
                "change_class": ""
                if not change or not r.ranked
                else ("up" if change > 0 else "down"),
                "rank_change": _rank_move(moved) if r.ranked else "—",
                "rank_class": "" if not moved else ("up" if moved > 0 else "down"),
                "note": ""
                if r.ranked
                else _("案件不足 %(n)d 件，不参与排名") % {"n": settings.RANKING_MIN_CASES},
            }
        )
    return rows


BULLETIN_STREET_COLUMNS = [
    ("received", gettext_lazy("报单")),
    ("dispatched", gettext_lazy("派单")),
    ("closed", gettext_lazy("结单")),
    *((f"{c.name}_rate", c.report.rate_name) for c in CLOCKS),
    ("success_rate", gettext_lazy("调解成功率")),
    ("good_rate", gettext_lazy("好评率")),
    ("escalations", gettext_lazy("一级/二级督办")),
    ("score", gettext_lazy("综合得分")),
]


def street_summary(report: MonthlyReport) -> list[dict]:
    """The bulletin's street table; each cell carries its header (a card on a phone)."""
    out = []
    for row in [*report.streets, report.total]:
        data = row.as_dict()
        data["escalations"] = f"{data['escalations_level1']} / {data['escalations_level2']}"
        cells = [
            {"label": label, "text": fmt_value(key, data[key])}
            for key, label in BULLETIN_STREET_COLUMNS
        ]
        out.append({"name": row.name, "kind": row.kind, "cells": cells})
    return out


def _report_context(request, report: MonthlyReport) -> dict:
    scope, month = report.scope, report.month
    total = report.total.as_dict()
    return {
        "report": report,
        "scope": scope,
        "month": month,
        "current_month": Month.containing(report.as_of),
        # "截至 12月7日 09:30": the moment an unfinished month's open counts stand at.
        "as_of_text": date_format(timezone.localtime(report.as_of, SHANGHAI), _("n月j日 H:i")),
        "column_groups": [
            (title, [(key, short, FULL_HEADERS[key]) for key, short in cols])
            for title, cols in COLUMN_GROUPS
        ],
        "street_rows": table_rows([*report.streets, report.total]),
        "unit_rows": table_rows([*report.units, report.total]),
        "ranking_rows": ranking_rows(report),
        "ranking_prior_cases": settings.RANKING_PRIOR_CASES,
        "ranking_min_cases": settings.RANKING_MIN_CASES,
        "rate_labels": [RATE_LABELS[k] for k in SCORE_WEIGHTS],
        "street_summary": street_summary(report),
        "street_columns": [label for _key, label in BULLETIN_STREET_COLUMNS],
        "total": total,
        # Each clock's on-time rate and median time of the whole scope, in CLOCKS' order.
        "clock_totals": [
            (
                c.label,
                c.report.rate_name,
                total[f"{c.name}_rate"],
                total[f"median_{c.name}_minutes"],
            )
            for c in CLOCKS
        ],
        "notes": FIGURE_NOTES,
        # 退单审核: its own section, read live (reports.return_review_rows).
        "return_review_columns": [label for _key, label in RETURN_REVIEW_COLUMNS],
        "return_review_rows": [r.as_dict() for r in return_review_rows(scope, month)],
        "query": query_string(scope, month),
        "previous_query": query_string(scope, month.previous),
        "bar_chart": on_time_chart(
            report.ranked_units, title=_("%(month)s 各单位按时率") % {"month": month.label}
        ),
        "trend_chart": trend_chart(
            report.trend, title=_("近12个月趋势（%(scope)s）") % {"scope": scope.name}
        ),
    }


def index(request):
    """The monthly report for a supervisor; a unit's own standing for its members."""
    if not can_view_reports(request.user) and standing_units(request.user):
        return redirect("reports:standing")
    return redirect("reports:monthly")


@replica_reads
@supervisor_page()
def monthly(request, *, scope: Scope, month: Month, fmt: str):
    """The month's assessment per street and unit, ranking, charts and footnotes."""
    report = monthly_report(scope=scope, month=month)
    if fmt:
        return monthly_download(report, fmt)
    context = _report_context(request, report)
    context["pauses"] = pause_figures(scope=scope, month=month)
    context["merges"] = merge_figures(scope=scope, month=month)  # 重复报单合并, its own section
    context["directives"] = directive_figures(scope=scope, month=month)  # 督办, its own section
    context["referrals"] = referral_figures(scope=scope, month=month, now=report.as_of)
    context["referral_kind_columns"] = REFERRAL_KIND_COLUMNS
    context["referral_outcome_columns"] = REFERRAL_OUTCOME_COLUMNS
    context["visits"] = return_visit_figures(scope=scope, month=month)  # 回访, its own section
    context["incident_share"] = incident_share_figures(scope=scope, month=month)  # 警情
    context["locations"] = location_figures(scope=scope, month=month)  # 位置采集 (the map)
    context["repeats"] = repeat_figures(scope=scope, month=month)  # 重复纠纷, its own section
    context["alliance"] = alliance_figures(scope=scope, month=month)  # 调解联盟, its own section
    context["hazards"] = hazard_figures(scope=scope, month=month, now=report.as_of)  # 隐患排查
    context["care"] = care_figures(scope=scope, month=month, now=report.as_of)  # 关爱对象
    context["training"] = training_figures(scope=scope, month=month)  # 培训 (issue 18)
    return render(request, "reports/monthly.html", context)


@replica_reads
@supervisor_page(formats=())
def bulletin(request, *, scope: Scope, month: Month, fmt: str):
    """The printable monthly bulletin (通报): A4, title, month, tables, ranking; and, for
    an ended month, the button that publishes it to the units (发布通报)."""
    report = monthly_report(scope=scope, month=month)
    context = _report_context(request, report)
    try:
        area = publishing_area(scope)
    except InvalidInput:
        area = None  # several areas: published street by street
    context["training"] = training_figures(scope=scope, month=month)  # 培训 (issue 18)
    context["publish_area"] = area
    context["issue"] = (
        BulletinIssue.objects.filter(month=month_date(month), area=area).first() if area else None
    )
    context["alliance"] = alliance_figures(scope=scope, month=month)  # 致谢名单 (调解联盟)
    return render(request, "reports/bulletin.html", context)


def _bad_request(request, field: str, message, status: int = 400) -> HttpResponse:
    return render(
        request, "reports/bad_request.html", {"field": field, "message": message}, status=status
    )


@require_POST
@login_required
def bulletin_publish_view(request):
    """发布通报: a supervisor publishes the bulletin of the month and scope it shows
    (``month``, ``street`` posted) to the units; once per month and area."""
    if not can_view_reports(request.user):
        raise PermissionDenied(_("只有督导员可以发布通报。"))
    try:
        month = parse_month(request.POST.get("month") or "x")
        scope = report_scope(request.user, street_id=_street_id(request.POST.get("street")))
        area = publishing_area(scope)
        issue, created = bulletin_publish(
            area=area, month=month, actor=request.user, now=timezone.now()
        )
    except ValueError as e:
        return _bad_request(request, "month", str(e))
    except BadReportRequest as e:
        return _bad_request(request, e.field, e.message)
    except InvalidInput as e:
        field, errors = next(iter(e.errors.items()))
        return _bad_request(request, field, errors[0] if isinstance(errors, list) else errors)
    except Conflict as e:
        return _bad_request(request, "month", e.message, status=409)
    except Forbidden as e:
        raise PermissionDenied(str(e.message)) from None
    except NotFound as e:
        raise Http404(str(e.message)) from None
    if created:
        messages.success(
            request,
            _("%(month)s通报已发布，%(n)d个单位可在“本单位通报”查看。")
            % {"month": month.label, "n": issue.standings.count()},
        )
    else:
        messages.info(request, _("%(month)s通报此前已发布，未重复通知。") % {"month": month.label})
    return redirect(f"{reverse('reports:bulletin')}?{query_string(scope, month)}")


# The figures a unit reads of its own row (本单位通报), in this order.
STANDING_FIGURES = [
    ("received", gettext_lazy("报单")),
    ("dispatched", gettext_lazy("派单")),
    ("closed", gettext_lazy("结单")),
    ("mediated", gettext_lazy("调解成功")),
    ("success_rate", gettext_lazy("调解成功率")),
    *((f"{c.name}_rate", c.report.rate_name) for c in CLOCKS),
    *(
        (f"median_{c.name}_minutes", format_lazy(gettext_lazy("{stage}用时中位数"), stage=c.label))
        for c in CLOCKS
    ),
    ("good_rate", gettext_lazy("好评率")),
    ("return_visits", gettext_lazy("回访")),
]


def standing_card(s: BulletinStanding) -> dict:
    """One published row of a unit, as its card on 本单位通报."""
    issue = s.issue
    return {
        "month": month_of_date(issue.month),
        "area": issue.area.name,
        "unit": s.unit.name,
        "ranked": s.rank is not None,
        "rank_text": rank_text(
            rank=s.rank, ranked_units=issue.ranked_units, min_cases=issue.min_cases
        ),
        "rank": s.rank,
        "ranked_units": issue.ranked_units,
        "cases": s.cases,
        "score": fmt_value("score", s.score),
        "fair_score": fmt_value("score", s.fair_score),
        "published_at": issue.published_at,
        "figures": [(label, fmt_value(key, s.figures.get(key))) for key, label in STANDING_FIGURES],
    }


STANDING_MONTHS = 24


@require_safe
@login_required
def standing(request):
    """本单位通报: each published month's row of the user's own unit(s) (``?unit=`` one of
    them, ``?month=YYYY-MM`` one month): rank out of how many, cases, scores and
    figures. Never another unit's row: a unit not the user's is 404; someone with no
    unit to read (a reporter, a supervisor) is 403."""
    units = standing_units(request.user)
    if not units:
        raise PermissionDenied(_("本单位通报供单位的办理人、负责人和派单员查看。"))
    rows = standings_of(request.user)
    chosen = None
    raw_unit = request.GET.get("unit", "")
    if raw_unit:
        if not (raw_unit.isascii() and raw_unit.isdigit() and len(raw_unit) <= 18):
            return _bad_request(request, "unit", _("单位参数无效。"))
        chosen = next((u for u in units if u.pk == int(raw_unit)), None)
        if chosen is None:
            raise Http404(_("该单位不是您所在的单位。"))
        rows = rows.filter(unit=chosen)
    month = None
    if request.GET.get("month"):
        try:
            month = parse_month(request.GET["month"])
        except ValueError as e:
            return _bad_request(request, "month", str(e))
        rows = rows.filter(issue__month=month_date(month))
    return render(
        request,
        "reports/standing.html",
        {
            "units": units,
            "chosen": chosen,
            "month": month,
            "cards": [standing_card(s) for s in rows[:STANDING_MONTHS]],
        },
    )


@replica_reads
@supervisor_page()
def subsidy(request, *, scope: Scope, month: Month, fmt: str):
    """The per-case subsidy statement per mediation committee director (以案定补); with
    ``?print=1`` the sheet to print and sign."""
    report = subsidy_statement(scope=scope, month=month)
    if fmt:
        return subsidy_download(report, fmt)
    now = timezone.now()
    # ?print=1: the statement alone on an A4 sheet, with lines for the signatures.
    printable = request.GET.get("print") == "1"
    return render(
        request,
        "reports/subsidy_print.html" if printable else "reports/subsidy.html",
        {
            "report": report,
            "scope": scope,
            "month": month,
            "now": now,
            "current_month": Month.containing(now),
            "query": query_string(scope, month),
        },
    )


# --- the API ---------------------------------------------------------------------------------


class IsSupervisor(BasePermission):
    message = gettext_lazy("只有督导员可以查看考核报表。")

    def has_permission(self, request, view) -> bool:
        return can_view_reports(request.user)


class _DownloadRenderer(BaseRenderer):
    """Lets ``?format=csv|xlsx`` through content negotiation. The view answers with the
    file itself; anything else (an error) is sent as JSON (see ``finalize_response``)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):  # pragma: no cover
        return JSONRenderer().render(data)


class CSVRenderer(_DownloadRenderer):
    media_type, format = "text/csv", "csv"


class XLSXRenderer(_DownloadRenderer):
    media_type, format = XLSX_TYPE, "xlsx"


class ReportNegotiation(DefaultContentNegotiation):
    """An unknown ``?format=`` is the query check's 400 (naming the field), not DRF's 404."""

    def select_renderer(self, request, renderers, format_suffix=None):
        fmt = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if fmt and fmt not in {r.format for r in renderers}:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class MonthlyReportQuery(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM (Asia/Shanghai calendar month)")
    street = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    format = serializers.ChoiceField(choices=["json", *FORMATS], required=False)

    def validate_month(self, value: str) -> Month:
        try:
            return parse_month(value)
        except ValueError as e:
            raise serializers.ValidationError(str(e)) from None


def _row_schema(name: str, *, with_kind: bool) -> type[serializers.Serializer]:
    fields: dict = {
        "id": serializers.IntegerField(allow_null=True),
        "name": serializers.CharField(),
    }
    if with_kind:
        fields["unit_kind"] = serializers.CharField()
    for key, header in FIGURE_COLUMNS:
        if key in RATE_KEYS or key in MINUTE_KEYS:
            fields[key] = serializers.FloatField(allow_null=True, help_text=str(header))
        else:
            fields[key] = serializers.IntegerField(help_text=str(header))
    return type(name, (serializers.Serializer,), fields)


class ReportRankingSerializer(serializers.Serializer):
    rank = serializers.IntegerField(
        allow_null=True, help_text="By fair_score; null: too few cases to be ranked."
    )
    ranked = serializers.BooleanField(help_text="Whether the unit had RANKING_MIN_CASES cases.")
    unit_id = serializers.IntegerField()
    unit = serializers.CharField()
    cases = serializers.IntegerField(help_text="Sign clocks judged in the month (案件数).")
    score = serializers.FloatField(help_text="The composite score (综合得分).")
    fair_score = serializers.FloatField(
        help_text="The score over rates shrunk toward the scope's (排名得分); ranks the units."
    )
    previous_score = serializers.FloatField(allow_null=True)
    score_change = serializers.FloatField(allow_null=True)
    previous_fair_score = serializers.FloatField(allow_null=True)
    fair_score_change = serializers.FloatField(allow_null=True)
    previous_rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True)


ReportTrendPointSerializer = type(
    "ReportTrendPointSerializer",
    (serializers.Serializer,),
    {
        "month": serializers.CharField(),
        **{k: serializers.FloatField(allow_null=True) for k in SERIES},
    },
)


class MonthlyReportSerializer(serializers.Serializer):
    month = serializers.CharField()
    jurisdiction = serializers.CharField()
    street = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateTimeField()
    total = _row_schema("ReportTotalRow", with_kind=False)()
    streets = _row_schema("ReportStreetRow", with_kind=False)(many=True)
    units = _row_schema("ReportUnitRow", with_kind=True)(many=True)
    ranking = ReportRankingSerializer(many=True)
    trend = ReportTrendPointSerializer(many=True)


@replica_reads
class MonthlyReportAPI(APIView):
    """The monthly report of ``/reports/monthly/`` as JSON, CSV or XLSX."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]  # 401, not 403
    permission_classes = [IsSupervisor]
    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]
    content_negotiation_class = ReportNegotiation

    @extend_schema(
        operation_id="reports_monthly",
        tags=["reports"],
        summary="Monthly SLA report (月度考核)",
        description=(
            "Per street and per unit of the caller's jurisdiction for one Asia/Shanghai "
            "calendar month: orders received and dispatched, each stage on time / late / "
            "open with its rate, closed and mediation success rate, median stage times, "
            "open escalations by level, reviews and return visits, the composite score, "
            "the ranking with month-over-month change and the 12-month trend. Definitions: "
            "docs/REPORTS.md. Supervisors only."
        ),
        parameters=[
            OpenApiParameter("month", str, required=True, description="YYYY-MM"),
            OpenApiParameter(
                "street", int, description="a street of the jurisdiction (default: all)"
            ),
            OpenApiParameter(
                "format", str, enum=["json", *FORMATS], description="csv or xlsx to download"
            ),
        ],
        responses={
            (200, "application/json"): MonthlyReportSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV"),
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX"),
            (400, "application/json"): OpenApiResponse(
                ValidationErrorSerializer, description="bad month, street or format (named)"
            ),
            (401, "application/json"): OpenApiResponse(
                ErrorSerializer, description="not authenticated"
            ),
            (403, "application/json"): OpenApiResponse(
                ErrorSerializer, description="not a supervisor"
            ),
            (404, "application/json"): OpenApiResponse(
                ErrorSerializer, description="street outside the jurisdiction"
            ),
        },
    )
    def get(self, request):
        query = MonthlyReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = report_scope(request.user, street_id=query.validated_data.get("street"))
        report = monthly_report(scope=scope, month=query.validated_data["month"])
        fmt = query.validated_data.get("format") or request.accepted_renderer.format
        if fmt in FORMATS:
            return monthly_download(report, fmt)
        return Response(report.as_dict())

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors and JSON bodies are JSON even when a download was asked for.
        if isinstance(response, Response) and isinstance(
            getattr(request, "accepted_renderer", None), _DownloadRenderer
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


# --- the unit's own standing (本单位通报) -------------------------------------------------


class IsStandingReader(BasePermission):
    message = gettext_lazy("本单位通报供单位的办理人、负责人和派单员查看。")

    def has_permission(self, request, view) -> bool:
        return bool(standing_units(request.user))


class StandingQuery(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM (Asia/Shanghai calendar month)")
    unit = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="one of the caller's units"
    )

    def validate_month(self, value: str) -> Month:
        try:
            return parse_month(value)
        except ValueError as e:
            raise serializers.ValidationError(str(e)) from None


class StandingSerializer(serializers.Serializer):
    month = serializers.CharField()
    area_id = serializers.IntegerField(help_text="The area the bulletin was published for.")
    area = serializers.CharField()
    published_at = serializers.DateTimeField()
    unit_id = serializers.IntegerField()
    unit = serializers.CharField()
    rank = serializers.IntegerField(
        allow_null=True, help_text="null: listed, not ranked (fewer than min_cases cases)."
    )
    ranked = serializers.BooleanField()
    ranked_units = serializers.IntegerField(help_text="How many units were ranked.")
    listed_units = serializers.IntegerField(help_text="How many units the ranking listed.")
    min_cases = serializers.IntegerField(help_text="RANKING_MIN_CASES when published.")
    cases = serializers.IntegerField(help_text="Sign clocks judged in the month (案件数).")
    score = serializers.FloatField(allow_null=True, help_text="综合得分")
    fair_score = serializers.FloatField(allow_null=True, help_text="排名得分")
    figures = _row_schema("StandingFigures", with_kind=True)(
        help_text="The unit's row of the monthly report as published (durations in minutes)."
    )


class StandingResponseSerializer(serializers.Serializer):
    month = serializers.CharField()
    standings = StandingSerializer(many=True)


def standing_dict(s: BulletinStanding) -> dict:
    issue = s.issue
    return {
        "month": str(month_of_date(issue.month)),
        "area_id": issue.area_id,
        "area": issue.area.name,
        "published_at": timezone.localtime(issue.published_at, SHANGHAI).isoformat(),
        "unit_id": s.unit_id,
        "unit": s.unit.name,
        "rank": s.rank,
        "ranked": s.rank is not None,
        "ranked_units": issue.ranked_units,
        "listed_units": issue.listed_units,
        "min_cases": issue.min_cases,
        "cases": s.cases,
        "score": s.score,
        "fair_score": s.fair_score,
        # Stored as text (JSON has no decimals); numbers again, as in the monthly report.
        "figures": {
            k: Decimal(v) if isinstance(v, str) and (k in RATE_KEYS or k in MINUTE_KEYS) else v
            for k, v in s.figures.items()
        },
    }


class StandingAPI(APIView):
    """The caller's own units' rows of a published month's bulletin."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]  # 401, not 403
    permission_classes = [IsStandingReader]

    @extend_schema(
        operation_id="reports_standing",
        tags=["reports"],
        summary="My unit's standing in a published bulletin (本单位通报)",
        description=(
            "For a member of a unit (handler, unit head or dispatcher): the rows of the "
            "caller's own units in the bulletins published for the month (one per area "
            "published: the city's and/or a street's), with the rank out of how many "
            "units were ranked, the number of cases and the figures as published. Never "
            "another unit's row. 404 when no bulletin of the month was published to the "
            "caller's units. Definitions: docs/REPORTS.md."
        ),
        parameters=[
            OpenApiParameter("month", str, required=True, description="YYYY-MM"),
            OpenApiParameter("unit", int, description="one of the caller's units (default: all)"),
        ],
        responses={
            200: StandingResponseSerializer,
            400: OpenApiResponse(ValidationErrorSerializer, description="bad month or unit"),
            401: OpenApiResponse(ErrorSerializer, description="not authenticated"),
            403: OpenApiResponse(ErrorSerializer, description="not a member of a unit"),
            404: OpenApiResponse(
                ErrorSerializer, description="not published, or not the caller's unit"
            ),
        },
    )
    def get(self, request):
        query = StandingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        month = query.validated_data["month"]
        rows = standings_of(request.user).filter(issue__month=month_date(month))
        unit_id = query.validated_data.get("unit")
        if unit_id is not None:
            if unit_id not in {u.pk for u in standing_units(request.user)}:
                raise NotFound(_("该单位不是您所在的单位。"))
            rows = rows.filter(unit_id=unit_id)
        standings = [standing_dict(s) for s in rows]
        if not standings:
            raise NotFound(_("%(month)s的通报尚未发布。") % {"month": month.label})
        return Response({"month": str(month), "standings": standings})
