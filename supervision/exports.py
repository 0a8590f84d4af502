"""CSV and XLSX of the monthly report and the subsidy statement, with Chinese headers.

The tables are the page's tables, column for column (``FIGURE_COLUMNS``); the XLSX adds
the ranking, the trend, the definitions (``FIGURE_NOTES``) and, for the subsidy, every
paid case. CSV files start with a byte-order mark so that Excel reads them as UTF-8.
Every cell passes through ``inert``: text that a spreadsheet would run as a formula (a
title starting with ``=``) is written as plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.http import content_disposition_header
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from disputes.stages import CLOCKS, DUTIES
from shishi_mediation.text import SHANGHAI

from .reports import SCORE_WEIGHTS, MonthlyReport, Row
from .subsidy import SubsidyReport

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

# (key of Row.as_dict(), header). The page, CSV, XLSX and JSON use these keys.
FIGURE_COLUMNS: list[tuple[str, str]] = [
    ("received", gettext_lazy("报单数")),
    ("cancelled", gettext_lazy("其中撤销")),
    ("dispatched", gettext_lazy("派单数")),
    *(
        (f"{c.name}_{figure}", getattr(c.report, figure))
        for c in CLOCKS
        for figure in ("on_time", "late", "open", "rate")
    ),
    ("closed", gettext_lazy("结单数")),
    ("mediated", gettext_lazy("调解成功")),
    ("on_the_spot", gettext_lazy("就地化解数")),
    ("received_red", gettext_lazy("红色报单数")),
    ("received_yellow", gettext_lazy("黄色报单数")),
    ("received_green", gettext_lazy("绿色报单数")),
    ("success_rate", gettext_lazy("调解成功率(%)")),
    *((f"median_{c.name}_minutes", c.report.median) for c in CLOCKS),
    ("escalations_warning", gettext_lazy("未解除临期预警")),
    ("escalations_level1", gettext_lazy("未解除一级督办")),
    ("escalations_level2", gettext_lazy("未解除二级督办")),
    ("reviews_good", gettext_lazy("好评")),
    ("reviews_bad", gettext_lazy("差评")),
    ("good_rate", gettext_lazy("好评率(%)")),
    ("return_visits", gettext_lazy("回访次数")),
    *(
        (f"{d.name}_{figure}", getattr(d.report, figure))
        for d in DUTIES
        for figure in ("on_time", "late", "open", "rate")
    ),
    ("score", gettext_lazy("综合得分")),
]
RATE_KEYS = {
    *(f"{c.name}_rate" for c in (*CLOCKS, *DUTIES)),
    "success_rate",
    "good_rate",
    "score",
}
MINUTE_KEYS = {f"median_{c.name}_minutes" for c in CLOCKS}


def _joined(parts, sep):
    """``sep``.join of lazy texts, itself lazy (joined in the language of its reader)."""
    parts = list(parts)
    return lazy(lambda: str(sep).join(str(p) for p in parts), str)()


def _ranking_note() -> Promise:
    """The fair ranking's footnote, with the settings' numbers, in its reader's language."""

    def text() -> str:
        return _(
            "案件数＝当月判定的签收时限数（按时、逾期与逾期未办）。排名得分：每项比率按"
            "（按时数＋%(k)d×本范围同项比率）÷（分母＋%(k)d）向本范围的比率收缩后，"
            "按综合得分的权重加权。案件数不少于%(n)d件的单位按排名得分从高到低排名，"
            "得分相同并列；不足%(n)d件的列出但不排名。环比＝本月排名得分－上月排名得分。"
        ) % {"k": settings.RANKING_PRIOR_CASES, "n": settings.RANKING_MIN_CASES}

    return lazy(text, str)()


# The footnotes: what each figure counts, in the words of docs/REPORTS.md.
FIGURE_NOTES: list[tuple[str, str]] = [
    (
        gettext_lazy("统计月份"),
        gettext_lazy(
            "按北京时间（Asia/Shanghai）自然月统计：当月1日00:00（含）至次月1日00:00（不含）。"
        ),
    ),
    (
        gettext_lazy("归属"),
        gettext_lazy(
            "街道按订单所在街道；单位按订单当前的责任单位（已结单的即结单时的责任单位）。"
            "尚未派单或已退回待派的订单列入“（未派单）”。督办按发出时的责任单位归属。"
        ),
    ),
    (
        gettext_lazy("报单数"),
        gettext_lazy("报单时间在当月的订单数，含其后撤销的；“其中撤销”为其中已撤销的订单数。"),
    ),
    (
        gettext_lazy("派单数"),
        gettext_lazy(
            "派单时间在当月的订单数（已撤销的除外）。改派会重新派单并重新起算签收时限，"
            "订单只计一次：计入最后一次派单或改派的月份和单位；退单后重新派单的按重新派单计。"
        ),
    ),
    (
        gettext_lazy("按时/超时/逾期未办"),
        format_lazy(
            gettext_lazy(
                "{stages}各环节分别统计截止时间在当月的环节（已撤销订单除外）："
                "按时＝在截止时间前（含）完成；超时＝截止后完成；逾期未办＝统计时仍未完成且已过截止时间。"
                "截止时间未到且尚未完成的不计入。是否按时以环节完成时记录的结果为准。"
            ),
            stages=_joined((c.label for c in CLOCKS), gettext_lazy("、")),
        ),
    ),
    (
        gettext_lazy("按时率"),
        gettext_lazy("按时 ÷（按时＋超时＋逾期未办）。逾期未办的环节计为未按时。"),
    ),
    (
        gettext_lazy("暂停计时"),
        gettext_lazy(
            "经调处中心批准的暂停使该环节截止时间顺延暂停时长（提前恢复的退回未用时间），"
            "按时率以顺延后的截止时间计算；当月批准的暂停次数和暂停时长按申请单位另表列出。"
        ),
    ),
    (
        gettext_lazy("结单数、调解成功率"),
        gettext_lazy(
            "结单时间在当月的订单数；调解成功率＝结果为“调解成功”的 ÷ 结单数"
            "（部分调解、调解不成、撤回均不计为成功）。"
        ),
    ),
    (
        gettext_lazy("就地化解数"),
        gettext_lazy(
            "报单人当场调解成功、报单即结单的纠纷（未派单），按结单时间计入当月，"
            "列在“未派单”行；不计入报单数、派单数、各环节按时率、结单数和调解成功率，"
            "不享受以案定补。"
        ),
    ),
    (
        gettext_lazy("红色 / 黄色 / 绿色报单数"),
        gettext_lazy(
            "当月报单按颜色等级（按现有颜色；结单或撤销后不再改变）分别计数，"
            "三者之和等于报单数。高风险为红色，中风险或有特殊群体当事人为黄色，其余为绿色，"
            "可经派单或改色调整。"
        ),
    ),
    (
        gettext_lazy("用时中位数"),
        format_lazy(
            gettext_lazy(
                "上述当月到期且已完成的环节的用时中位数（页面上不足1小时按分钟、不足1天按小时和分钟、"
                "再长按天和小时显示；导出文件按分钟，列名注明单位）：{spans}。偶数个时取中间两个的平均值。"
            ),
            spans=_joined(
                (
                    format_lazy(gettext_lazy("{stage}＝{span}"), stage=c.label, span=c.report.span)
                    for c in CLOCKS
                ),
                gettext_lazy("；"),
            ),
        ),
    ),
    (
        gettext_lazy("未解除督办"),
        gettext_lazy(
            "月末（当月尚未结束的，为统计时）已发出且尚未解除的临期预警、一级督办、二级督办数。"
        ),
    ),
    (
        gettext_lazy("好评、差评、好评率"),
        gettext_lazy("当月提交的群众评价；好评率＝好评 ÷（好评＋差评）。"),
    ),
    (gettext_lazy("回访次数"), gettext_lazy("回访时间在当月的回访记录数。")),
    (
        gettext_lazy("综合得分"),
        gettext_lazy(
            "按时签收率×25％＋按时联系率×20％＋按时见面调解率×20％＋调解成功率×20％"
            "＋好评率×15％＋协办按时签收率×5％＋协办意见按时率×5％；某项无数据时不计入，"
            "其余各项按权重比例折算；只有协办比率的单位不计综合得分。"
        ),
    ),
    (gettext_lazy("案件数、排名得分"), _ranking_note()),
]


def cell(value):
    """A figure as a CSV/XLSX cell: counts and Decimals as they are, None as empty."""
    return "" if value is None else value


# What Excel, LibreOffice and Google Sheets read as the start of a formula (OWASP's list
# for CSV injection): a unit, party or order title may begin with any of them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """A cell's value that no spreadsheet runs: text starting a formula gets a leading
    apostrophe (OWASP's rule). Numbers, dates and None the code writes stay as they are."""
    if isinstance(value, Promise):  # a lazy label (a choice's display name)
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- the monthly report ---------------------------------------------------------------------


def _kind_label(row: Row) -> str:
    return {
        "street": _("街道"),
        "unit": _("单位"),
        "unassigned": _("单位"),
        "total": _("合计"),
    }[row.kind]


def monthly_table(report: MonthlyReport) -> tuple[list[str], list[list]]:
    """The CSV table: the total, each street, each unit, with the unit's rank."""
    ranks = {r.row.id: r for r in report.ranking}
    header = [
        _("月份"),
        _("类别"),
        _("名称"),
        _("单位类型"),
        *[str(h) for _k, h in FIGURE_COLUMNS],
        _("排名"),
        _("上月得分"),
        _("得分环比"),
        _("案件数"),
        _("排名得分"),
    ]
    rows = []
    for row in [report.total, *report.streets, *report.units]:
        data = row.as_dict()
        rank = ranks.get(row.id) if row.kind == "unit" else None
        rows.append(
            [
                str(report.month),
                _kind_label(row),
                row.name,
                row.unit_kind_label,
                *[cell(data[k]) for k, _h in FIGURE_COLUMNS],
                cell(rank and rank.rank),
                cell(rank and rank.previous_score),
                cell(rank and rank.score_change),
                cell(rank and rank.cases),
                cell(rank and rank.fair_score),
            ]
        )
    return header, rows


def csv_bytes(header: list, rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([inert(h) for h in header])
    writer.writerows([inert(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


HEAD_FONT = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDE5EE")


def _sheet(wb: Workbook, title: str, header: list, rows: Iterable[list], *, first=False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append([_xlsx_value(str(h)) for h in header])
    for c in ws[1]:
        c.font, c.fill = HEAD_FONT, HEAD_FILL
        c.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
        for c in ws[ws.max_row]:
            if isinstance(c.value, str):
                c.data_type = "s"  # openpyxl stores text opening with "=" as a formula
    ws.freeze_panes = "A2"
    for i, h in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(8, min(28, len(str(h)) * 2 + 2))
    return ws


def _xlsx_value(value):
    if isinstance(value, datetime) and value.tzinfo is not None:  # openpyxl wants naive
        return timezone.localtime(value, SHANGHAI).replace(tzinfo=None)
    return inert(value)


def _format_numbers(ws, header: list, keys: list[str | None]) -> None:
    for col, key in enumerate(keys, start=1):
        fmt = "0.0" if key in RATE_KEYS or key in MINUTE_KEYS else None
        fmt = "#,##0.00" if key == "yuan" else fmt
        if fmt:
            for (c,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                c.number_format = fmt


def monthly_xlsx(report: MonthlyReport) -> bytes:
    wb = Workbook()
    keys = [k for k, _h in FIGURE_COLUMNS]
    headers = [str(h) for _k, h in FIGURE_COLUMNS]

    def figures(rows: list[Row], with_kind: bool) -> list[list]:
        out = []
        for row in rows:
            data = row.as_dict()
            head = [row.name, row.unit_kind_label] if with_kind else [row.name]
            out.append([*head, *[data[k] for k in keys]])
        return out

    ws = _sheet(
        wb,
        _("街道"),
        [_("街道"), *headers],
        figures([*report.streets, report.total], False),
        first=True,
    )
    _format_numbers(ws, headers, [None, *keys])
    ws = _sheet(
        wb,
        _("单位"),
        [_("单位"), _("单位类型"), *headers],
        figures([*report.units, report.total], True),
    )
    _format_numbers(ws, headers, [None, None, *keys])

    rank_header = [
        _("排名"),
        _("单位"),
        _("单位类型"),
        _("案件数"),
        *[str(h) for k, h in FIGURE_COLUMNS if k in SCORE_WEIGHTS],
        _("综合得分"),
        _("排名得分"),
        _("上月排名"),
        _("上月排名得分"),
        _("排名得分环比"),
        _("名次变化"),
    ]
    rank_rows = []
    for r in report.ranking:
        data = r.row.as_dict()
        rank_rows.append(
            [
                r.rank,
                r.row.name,
                r.row.unit_kind_label,
                r.cases,
                *[data[k] for k, _h in FIGURE_COLUMNS if k in SCORE_WEIGHTS],
                r.score,
                r.fair_score,
                r.previous_rank,
                r.previous_fair_score,
                r.fair_score_change,
                r.rank_change,
            ]
        )
    ws = _sheet(wb, _("综合排名"), rank_header, rank_rows)
    _format_numbers(
        ws,
        rank_header,
        [None, None, None, None, *SCORE_WEIGHTS, "score", "score", None, "score", "score"],
    )

    trend_keys = [*(f"{c.name}_rate" for c in CLOCKS), "success_rate", "good_rate"]
    labels = dict(FIGURE_COLUMNS)
    ws = _sheet(
        wb,
        _("近12个月趋势"),
        [_("月份"), *[str(labels[k]) for k in trend_keys]],
        [[str(p.month), *[p.rates[k] for k in trend_keys]] for p in report.trend],
    )
    _format_numbers(ws, [], [None, *trend_keys])

    notes = [
        [_("报表"), _("月度考核报表")],
        [_("月份"), report.month.label],
        [_("范围"), report.scope.name],
        [_("统计时间"), report.as_of],
        *[[str(term), str(text)] for term, text in FIGURE_NOTES],
    ]
    ws = _sheet(wb, _("指标说明"), [_("项目"), _("说明")], notes)
    ws.column_dimensions["B"].width = 100
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the subsidy statement ------------------------------------------------------------------


def subsidy_lines(report: SubsidyReport) -> tuple[list[str], list[list]]:
    """One row per (committee, grade, rate), a total row per committee and a grand total."""
    header = [
        _("月份"),
        _("人民调解委员会"),
        _("主任"),
        _("案件等级"),
        _("每案补贴(元)"),
        _("案件数"),
        _("小计(元)"),
    ]
    rows: list[list] = []
    month = str(report.month)
    for s in report.statements:
        for line in s.lines:
            amount = line.amount if line.amount is not None else _("未设标准")
            rows.append(
                [month, s.committee, s.director, line.grade_label, amount, line.cases]
                + [line.subtotal if line.subtotal is not None else Decimal("0.00")]
            )
        rows.append(
            [month, s.committee, s.director, _("小计"), None, s.total_cases, s.total_amount]
        )
    rows.append([month, _("合计"), None, None, None, report.total_cases, report.total_amount])
    return header, rows


def subsidy_xlsx(report: SubsidyReport) -> bytes:
    wb = Workbook()
    header, rows = subsidy_lines(report)
    ws = _sheet(wb, _("补贴汇总"), header, rows, first=True)
    _format_numbers(ws, header, [None, None, None, None, "yuan", None, "yuan"])
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 4).value in (_("小计"), None):
            for c in ws[r]:
                c.font = HEAD_FONT

    case_header = [
        _("人民调解委员会"),
        _("主任"),
        _("订单编号"),
        _("标题"),
        _("结单时间"),
        _("案件等级"),
        _("补贴(元)"),
    ]
    case_rows = [
        [s.committee, s.director, c.number, c.title, c.closed_at, c.grade_label, c.amount]
        for s in report.statements
        for c in s.cases
    ]
    ws = _sheet(wb, _("案件明细"), case_header, case_rows)
    _format_numbers(ws, case_header, [None, None, None, None, None, None, "yuan"])
    for (c,) in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        c.number_format = "yyyy-mm-dd hh:mm"

    tier_header = [_("案件等级"), _("每案补贴(元)"), _("生效日期")]
    ws = _sheet(
        wb,
        _("补贴标准"),
        tier_header,
        [[t.get_grade_display(), t.amount, t.effective_from] for t in report.tiers],
    )
    _format_numbers(ws, tier_header, [None, "yuan", None])
    for (c,) in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        c.number_format = "yyyy-mm-dd"

    notes = [
        [_("月份"), report.month.label],
        [_("范围"), report.scope.name],
        [
            _("计补案件"),
            _(
                "结单时间在当月（北京时间）、结果为“调解成功”、结单时责任单位为人民调解委员会的订单，"
                "每件只计一次。"
            ),
        ],
        [
            _("补贴标准"),
            _(
                "按案件等级，适用结单日期（北京时间）当日有效的标准：生效日期不晚于结单日期的最新一条。"
            ),
        ],
        [_("主任"), _("该调委会的“单位负责人”成员。")],
    ]
    ws = _sheet(wb, _("说明"), [_("项目"), _("说明")], notes)
    ws.column_dimensions["B"].width = 100
    return _save(wb)


# --- responses ------------------------------------------------------------------------------


def download(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def report_filename(kind: str, report, ext: str) -> str:
    street = f"-{report.scope.street.code}" if report.scope.street else ""
    return f"{kind}-{report.month}{street}.{ext}"


def monthly_download(report: MonthlyReport, fmt: str) -> HttpResponse:
    if fmt == "csv":
        return download(
            csv_bytes(*monthly_table(report)),
            filename=report_filename("monthly-report", report, "csv"),
            content_type=CSV_TYPE,
        )
    return download(
        monthly_xlsx(report),
        filename=report_filename("monthly-report", report, "xlsx"),
        content_type=XLSX_TYPE,
    )


def subsidy_download(report: SubsidyReport, fmt: str) -> HttpResponse:
    if fmt == "csv":
        return download(
            csv_bytes(*subsidy_lines(report)),
            filename=report_filename("subsidy", report, "csv"),
            content_type=CSV_TYPE,
        )
    return download(
        subsidy_xlsx(report),
        filename=report_filename("subsidy", report, "xlsx"),
        content_type=XLSX_TYPE,
    )
