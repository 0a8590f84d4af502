"""What a supervisor reads on the report pages: durations as hours and days, the subsidy
statement without idle committees and its sheet to sign, and the bulletin's open counts
worded for the moment they stand at."""

from decimal import Decimal

import pytest
import time_machine

from supervision.reports import minutes_label
from tests.supervision.conftest import AS_OF, local

# The month is built once for the module (conftest.month_snapshot).
pytestmark = pytest.mark.usefixtures("month_snapshot")

NOV = "?month=2026-11"


@pytest.fixture
def frozen():
    with time_machine.travel(AS_OF, tick=False):
        yield


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (None, "—"),
        (0, "0分钟"),
        (Decimal("0.0"), "0分钟"),
        (Decimal("35.0"), "35分钟"),
        (Decimal("17.5"), "17.5分钟"),
        (Decimal("59.0"), "59分钟"),
        (Decimal("59.94"), "59.9分钟"),
        (Decimal("59.95"), "1小时"),  # rounds to 60.0: an hour, not "60分钟"
        (Decimal("60.0"), "1小时"),
        (Decimal("61.0"), "1小时1分"),
        (Decimal("135.0"), "2小时15分"),
        (Decimal("135.4"), "2小时15分"),
        (Decimal("135.5"), "2小时16分"),  # whole minutes, half up
        (Decimal("1439.0"), "23小时59分"),
        (Decimal("1439.5"), "1天"),  # 23 h 59.5 min rounds to a day
        (Decimal("1440.0"), "1天"),
        (Decimal("1469.9"), "1天"),  # 24.498 h
        (Decimal("1470.0"), "1天1小时"),  # 24.5 h rounds half up
        (Decimal("1620.0"), "1天3小时"),
        (Decimal("1740.0"), "1天5小时"),
        (Decimal("2879.0"), "2天"),  # 47.98 h: the hours carry into a day
        (Decimal("2880.0"), "2天"),
        (Decimal("4560.0"), "3天4小时"),
        (Decimal("4590.0"), "3天5小时"),  # 76.5 h rounds half up
        (Decimal("43200.0"), "30天"),
    ],
)
def test_a_duration_reads_in_minutes_hours_or_days(minutes, text):
    assert minutes_label(minutes) == text


def test_the_filter_is_the_same_reading(built_month):
    from django.template import Context, Template

    html = Template("{% load report_format %}{{ m|minutes_label }}").render(
        Context({"m": Decimal("1620.0")})
    )
    assert html == "1天3小时"


def test_the_monthly_page_shows_medians_in_hours_not_minutes(built_month, client, frozen):
    html = page(client, built_month.world.supervisor, "/reports/monthly/" + NOV)
    # 湖滨派出所: contact 1740 and meet 2550 minutes; 湖滨劳动保障所: meet 2880 minutes.
    for text in ["1天5小时", "1天19小时", "2天", "17.5分钟", "2小时15分"]:
        assert text in html, text
    for minutes in ["1740.0", "2550.0", "2880.0"]:
        assert minutes not in html, minutes
    assert 'class="group">用时中位数</th>' in html  # no "（分钟）" over hours and days


def test_the_bulletin_gives_the_medians_in_hours(built_month, client, frozen):
    html = page(client, built_month.world.supervisor, "/reports/bulletin/" + NOV)
    assert "用时中位数：派单 5分钟，签收 15分钟，联系当事人 2小时15分，见面调解 1天。" in html


def test_the_exports_keep_the_minutes(built_month, client, frozen):
    client.force_login(built_month.world.supervisor)
    body = client.get("/reports/monthly/" + NOV + "&format=csv").content.decode()
    assert "联系用时中位数(分钟)" in body and "1740.0" in body


# --- the bulletin's open escalations --------------------------------------------------------


# Open from the sweep of 11-28 11:30 to past the month's end: level 1 and level 2 of I's
# sign clock, J's meet clock and K's dispatch clock (K still waits in the queue).


def test_a_finished_month_counts_what_was_open_at_its_end(built_month, client, frozen):
    html = page(client, built_month.world.supervisor, "/reports/bulletin/" + NOV)
    assert "月末尚有一级督办 3 件、二级督办 3 件未解除。" in html
    assert "截至" not in html


@pytest.mark.parametrize(
    ("now", "wording"),
    [
        (local(11, 30, 9, 30), "截至 11月30日 09:30 尚有一级督办 3 件、二级督办 3 件未解除"),
        (local(11, 30, 23, 59), "截至 11月30日 23:59 尚有一级督办 3 件、二级督办 3 件未解除"),
        (local(12, 1, 0, 0), "月末尚有一级督办 3 件、二级督办 3 件未解除。"),
    ],
)
def test_an_unfinished_month_says_when_its_counts_stand(built_month, client, now, wording):
    with time_machine.travel(now, tick=False):
        html = page(client, built_month.world.supervisor, "/reports/bulletin/" + NOV)
    assert wording in html
    assert ("月末尚有" in html) == (now == local(12, 1))


# --- the subsidy statement --------------------------------------------------------------------


def test_the_subsidy_page_lists_only_committees_with_cases(built_month, client, frozen):
    html = page(client, built_month.world.supervisor, "/reports/subsidy/" + NOV)
    assert "石光社区人民调解委员会" in html and "曾坑社区人民调解委员会" in html
    assert "凤里社区人民调解委员会" not in html  # no paid case in November
    assert "另有 1 个调委会本月无补贴案件。" in html
    assert "print=1" in html


def test_a_month_without_paid_cases_says_so(built_month, client, frozen):
    html = page(client, built_month.world.supervisor, "/reports/subsidy/?month=2026-09")
    assert "本月没有计补案件。" in html
    assert "另有 3 个调委会本月无补贴案件。" in html


def test_the_subsidy_sheet_to_sign(built_month, client, frozen):
    html = page(client, built_month.world.supervisor, "/reports/subsidy/" + NOV + "&print=1")
    assert "2026年11月补贴结算表" in html
    for label in ["制表人", "审核人", "负责人", "日期"]:
        assert f"{label}：" in html, label
    assert "石光社区人民调解委员会" in html and "凤里社区人民调解委员会" not in html
    assert "另有 1 个调委会本月无补贴案件。" in html
    assert ">1100.00<" in html and ">600.00<" in html and ">300.00<" in html
    # Printed on A4 through the shared stylesheet and button; nothing inline (CSP).
    assert 'reports/print.css" media="print"' in html and "reports/print.js" in html
    assert "data-print" in html
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert "format=xlsx" not in html  # the sheet only
