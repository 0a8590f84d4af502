"""The report pages: who may see them, what they show, and the CSV/XLSX downloads."""

import csv
import io
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from tests.supervision.conftest import AS_OF
from tests.supervision.test_monthly_figures import COMMITTEE, POLICE, TOTAL

# The month is built once for the module (conftest.month_snapshot).
pytestmark = pytest.mark.usefixtures("month_snapshot")

PAGES = ["/reports/monthly/", "/reports/bulletin/", "/reports/subsidy/"]
NOV = "?month=2026-11"


@pytest.fixture
def frozen():
    with time_machine.travel(AS_OF, tick=False):
        yield


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_log_in(client, db, url):
    response = client.get(url + NOV)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("who", ["handler", "head", "dispatcher", "reporter", "nobody"])
def test_others_are_forbidden(world, as_user, url, who):
    assert as_user(getattr(world, who)).get(url + NOV).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_a_street_supervisor_is_kept_to_its_street(world, as_user, frozen, url):
    client = as_user(world.hb_supervisor)
    page = client.get(url + NOV)
    assert page.status_code == 200
    assert "湖滨街道" in page.content.decode()
    assert client.get(f"{url}{NOV}&street={world.fl.pk}").status_code == 404
    assert client.get(f"{url}{NOV}&street={world.hb.pk}").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?month=2026-13", "month"),
        ("?month=november", "month"),
        ("?month=2027-01", "month"),  # after the current month
        ("?month=2026-11&street=abc", "street"),
        ("?month=2026-11&street=%C2%B2", "street"),  # "²" is a digit to str.isdigit()
        ("?month=2026-11&format=pdf", "format"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(world, as_user, frozen, query, field):
    response = as_user(world.supervisor).get("/reports/monthly/" + query)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()


def test_the_bulletin_has_no_download(world, as_user, frozen):
    assert as_user(world.supervisor).get("/reports/bulletin/?format=csv").status_code == 400


def test_reports_index_leads_to_the_monthly_report(world, as_user):
    response = as_user(world.supervisor).get("/reports/")
    assert response.status_code == 302
    assert response["Location"] == "/reports/monthly/"


def test_without_a_month_the_page_shows_the_current_one(world, as_user, frozen):
    page = as_user(world.supervisor).get("/reports/monthly/").content.decode()
    assert "2026年12月" in page


def test_a_superuser_sees_the_reports(world, as_user, frozen):
    assert as_user(world.admin).get("/reports/monthly/" + NOV).status_code == 200


# --- content ----------------------------------------------------------------------------------


def test_the_monthly_page_shows_the_figures_charts_and_footnotes(built_month, as_user, frozen):
    page = as_user(built_month.world.supervisor).get("/reports/monthly/" + NOV)
    assert page.status_code == 200
    html = page.content.decode()
    for text in [
        "月度考核报表",
        "2026年11月",
        "76.9%",  # the total's on-time signing
        "91.8",  # the committee's score
        "82.1",  # the committee's fair score (排名得分), the only ranked unit
        "新上榜",  # it had too few cases in October to be ranked
        "案件不足 5 件，不参与排名",  # the four others
        "排名得分",
        "案件数",
        "（未派单）",
        'class="chart chart-bars"',
        'class="chart chart-trend"',
        "综合得分",
        "逾期未办",
        "按北京时间（Asia/Shanghai）自然月统计",
        "format=xlsx",
    ]:
        assert text in html, text
    # The bar chart has one group per ranked unit, four bars each: the dispatch, sign,
    # contact and meet rates (one rate is missing for no unit here, but 凤里派出所 met
    # nobody on time: a zero-width bar). K's 0.0 dispatch rate is the unassigned row's,
    # which is not ranked, so not charted.
    assert html.count('height="9"') == 5 * 4


def test_the_bulletin_is_printable(built_month, as_user, frozen):
    page = as_user(built_month.world.supervisor).get("/reports/bulletin/" + NOV)
    html = page.content.decode()
    assert page.status_code == 200
    assert "2026年11月工作通报" in html
    assert "reports/print.css" in html and 'media="print"' in html
    assert "data-print" in html and "reports/print.js" in html  # no inline handler (CSP)
    assert "本月共受理报单 14 件，派单 12 件，结单 9 件，其中调解成功 7 件" in html
    assert html.index("石光社区人民调解委员会") < html.index("湖滨派出所")
    # The fair ranking with each unit's cases: 曾坑 (6 cases) is ranked first with its
    # composite score 91.8 and ranking score 82.1; the others are listed under it.
    ranking = html[html.index("二、单位综合排名") : html.index("三、各街道情况")]
    assert ranking.index("曾坑社区人民调解委员会") < ranking.index("石光社区人民调解委员会")
    for text in ['data-label="案件数">6<', ">91.8<", ">82.1<", "另加 10 件"]:
        assert text in ranking, text
    assert ranking.count("案件不足 5 件，不参与排名") == 4  # the four unranked rows


def test_the_subsidy_page(built_month, as_user, frozen):
    page = as_user(built_month.world.supervisor).get("/reports/subsidy/" + NOV)
    html = page.content.decode()
    assert page.status_code == 200
    for text in ["以案定补结算表", "陈主任", "600.00", "1100.00", "300.00"]:
        assert text in html, text


# --- downloads --------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


def as_text(value) -> str:
    return "" if value is None else str(value)


def test_monthly_csv(built_month, as_user, frozen):
    response = as_user(built_month.world.supervisor).get("/reports/monthly/" + NOV + "&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="monthly-report-2026-11.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    header = rows[0]
    assert header[:6] == ["月份", "类别", "名称", "单位类型", "报单数", "其中撤销"]
    assert header[-6:] == ["综合得分", "排名", "上月得分", "得分环比", "案件数", "排名得分"]
    assert "按时签收率(%)" in header and "见面调解用时中位数(分钟)" in header
    table = {row[2]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert list(table) == [
        "合计",
        "凤里街道",
        "湖滨街道",
        "凤里派出所",
        "湖滨劳动保障所",
        "湖滨派出所",
        "湖滨街道多元调处中心",  # its reviews of the committees' grades
        "石光社区人民调解委员会",
        "曾坑社区人民调解委员会",
        "（未派单）",
    ]
    total = table["合计"]
    assert total["报单数"] == "14"
    assert total["按时签收率(%)"] == "76.9"
    assert total["联系用时中位数(分钟)"] == "135.0"
    assert total["好评率(%)"] == "60.0"
    assert total["综合得分"] == "78.3"
    police = table["湖滨派出所"]
    assert police["类别"] == "单位" and police["单位类型"] == "派出所"
    assert police["超时签收"] == "1"
    assert (police["排名"], police["上月得分"], police["得分环比"]) == ("", "76.5", "-24.8")
    assert (police["案件数"], police["排名得分"]) == ("3", "73.5")
    assert table["湖滨街道"]["排名"] == ""


def test_monthly_xlsx(built_month, as_user, frozen):
    response = as_user(built_month.world.supervisor).get("/reports/monthly/" + NOV + "&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["街道", "单位", "综合排名", "近12个月趋势", "指标说明"]

    units = wb["单位"]
    header = [c.value for c in units[1]]
    assert header[:5] == ["单位", "单位类型", "报单数", "其中撤销", "派单数"]
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in units.iter_rows(min_row=2, values_only=True)
    }
    committee = rows["曾坑社区人民调解委员会"]
    assert committee["报单数"] == COMMITTEE["received"]
    assert committee["按时签收率(%)"] == float(COMMITTEE["sign_rate"])
    assert committee["签收用时中位数(分钟)"] == 17.5
    assert committee["好评率(%)"] == 100
    assert committee["综合得分"] == float(COMMITTEE["score"])
    assert rows["湖滨派出所"]["联系用时中位数(分钟)"] == float(POLICE["median_contact_minutes"])
    assert rows["合计"]["未解除二级督办"] == TOTAL["escalations_level2"]  # I's, J's, K's
    assert rows["合计"]["按时派单率(%)"] == float(TOTAL["dispatch_rate"])

    streets = wb["街道"]
    assert [r[0] for r in streets.iter_rows(min_row=2, values_only=True)] == [
        "凤里街道",
        "湖滨街道",
        "合计",
    ]
    ranking = list(wb["综合排名"].iter_rows(values_only=True))
    assert ranking[0][:3] == ("排名", "单位", "单位类型")
    assert ranking[0][3] == "案件数"
    assert ranking[1][:4] == (1, "曾坑社区人民调解委员会", "人民调解委员会", 6)
    # Listed, not ranked (3 cases); its fair score rose 63.1 → 73.5 on October.
    assert ranking[5][:2] == (None, "湖滨派出所") and ranking[5][-3:] == (63.1, 10.4, None)
    trend = list(wb["近12个月趋势"].iter_rows(values_only=True))
    assert trend[0] == (
        "月份",
        "按时派单率(%)",
        "按时签收率(%)",
        "按时联系率(%)",
        "按时见面调解率(%)",
        "调解成功率(%)",
        "好评率(%)",
    )
    assert trend[-1] == ("2026-11", 92.9, 76.9, 90.9, 81.8, 77.8, 60)
    notes = {r[0]: r[1] for r in wb["指标说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["范围"] == "石狮市"
    assert "按时签收率×25％" in notes["综合得分"]
    assert "（分母＋10）" in notes["案件数、排名得分"] and "不足5件" in notes["案件数、排名得分"]


def test_subsidy_xlsx(built_month, as_user, frozen):
    response = as_user(built_month.world.supervisor).get("/reports/subsidy/" + NOV + "&format=xlsx")
    assert response.status_code == 200
    assert 'filename="subsidy-2026-11.xlsx"' in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["补贴汇总", "案件明细", "补贴标准", "说明"]
    lines = list(wb["补贴汇总"].iter_rows(values_only=True))
    assert lines[0] == (
        "月份",
        "人民调解委员会",
        "主任",
        "案件等级",
        "每案补贴(元)",
        "案件数",
        "小计(元)",
    )
    assert lines[1:] == [
        ("2026-11", "凤里社区人民调解委员会", "（未设主任）", "小计", None, 0, 0),
        ("2026-11", "石光社区人民调解委员会", "陈主任", "重大疑难", 500, 1, 500),
        ("2026-11", "石光社区人民调解委员会", "陈主任", "小计", None, 1, 500),
        ("2026-11", "曾坑社区人民调解委员会", "committee_head", "简易", 50, 2, 100),
        ("2026-11", "曾坑社区人民调解委员会", "committee_head", "复杂", 200, 1, 200),
        ("2026-11", "曾坑社区人民调解委员会", "committee_head", "复杂", 300, 1, 300),
        ("2026-11", "曾坑社区人民调解委员会", "committee_head", "小计", None, 4, 600),
        ("2026-11", "合计", None, None, None, 5, 1100),
    ]
    cases = list(wb["案件明细"].iter_rows(values_only=True))
    assert cases[0] == (
        "人民调解委员会",
        "主任",
        "订单编号",
        "标题",
        "结单时间",
        "案件等级",
        "补贴(元)",
    )
    assert len(cases) == 1 + 5
    d = built_month.orders["D"]
    row = next(r for r in cases if r[2] == d.number)
    assert row[4].strftime("%Y-%m-%d %H:%M") == "2026-11-16 00:30"  # Shanghai wall clock
    assert (row[5], row[6]) == ("复杂", 300)
    tiers = list(wb["补贴标准"].iter_rows(min_row=2, values_only=True))
    assert [(t[0], t[1]) for t in tiers] == [
        ("简易", 50),
        ("一般", 100),
        ("复杂", 200),
        ("复杂", 300),
        ("重大疑难", 500),
    ]


def test_subsidy_csv(built_month, as_user, frozen):
    response = as_user(built_month.world.hb_supervisor).get(
        f"/reports/subsidy/{NOV}&format=csv&street={built_month.world.hb.pk}"
    )
    assert 'filename="subsidy-2026-11-HB.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][1:] == [
        "人民调解委员会",
        "主任",
        "案件等级",
        "每案补贴(元)",
        "案件数",
        "小计(元)",
    ]
    assert rows[-1] == ["2026-11", "合计", "", "", "", "5", "1100.00"]
    assert [
        "2026-11",
        "曾坑社区人民调解委员会",
        "committee_head",
        "复杂",
        "300.00",
        "1",
        "300.00",
    ] in rows
    assert Decimal(rows[-1][-1]) == sum(Decimal(r[-1]) for r in rows[1:-1] if r[3] != "小计")


def test_the_pages_only_read(world, as_user):
    assert as_user(world.supervisor).post("/reports/monthly/" + NOV).status_code == 405
