"""重复纠纷 in the monthly report (``reports.repeat_figures``, issue 17): the addresses and
parties of the month with two or more orders in the radar's window ending with it.

The month, by hand (November 2026, Asia/Shanghai; the window is the 365 days before
2026-12-01 00:00, so it starts 2025-12-01 00:00). Orders in report order:

* C1 2025-12-01 00:00 (the window's first instant: in) 宝岛路1号, party Q (phone only)
* B1 2025-11-30 23:59 (just before the window: out) 石光路5号
* A1 2026-03-05 湖滨路8号3栋401室, party P (ID and phone)
* D1 2026-10-01 湖滨路30号, party Q; D2 2026-10-20 湖滨路30号 (no November order: not
  listed in November; October's only repeat address)
* E1 2026-11-03 湖滨路20号; E2 2026-11-04 湖滨路20号, cancelled (E counts once: not listed)
* A2 2026-11-10 湖滨路八号三幢四〇一 (the same flat as A1)
* B2 2026-11-12 石光路5号 (B1 is outside the window: not listed), party P
* C2 2026-11-15 宝岛路1号
* A3 2026-11-20 湖滨路8号3栋401, party Q
* F1 2026-11-21, F2 2026-11-22 凤里路9号 in 凤里 (another street)

City supervisor: addresses A (3 orders, 2 in November), F (2, 2), C (2, 1): 3. Parties:
Q (C1, D1, A3: 3, 1), P (A1, B2: 2, 1): 2. The 湖滨 supervisor: A and C; Q and P.
"""

import pytest

from disputes import services
from supervision.reports import mask_address, repeat_figures, report_scope
from tests.factories import party_input, report_order, valid_id_number
from tests.supervision.conftest import NOVEMBER, OCTOBER, local

pytestmark = pytest.mark.django_db

P_ID = valid_id_number("35058219800202001")
serial = iter(range(100, 200))


def someone():
    return party_input(name="路人", phone=f"13900000{next(serial)}", id_number="")


@pytest.fixture
def month(world):
    def order(at, address, party=None, **kw):
        return report_order(world, now=at, address=address, parties=[party or someone()], **kw)

    p = dict(name="彭某", phone="13600000001", id_number=P_ID)
    q = dict(name="钱某", phone="13600000002", id_number="")
    order(local(12, 1, 0, year=2025), "宝岛路1号", party_input(**q))  # C1
    order(local(11, 30, 23, 59, year=2025), "石光路5号")  # B1
    order(local(3, 5, 9), "湖滨路8号3栋401室", party_input(**p))  # A1
    order(local(10, 1, 9), "湖滨路30号", party_input(**q))  # D1
    order(local(10, 20, 9), "湖滨路30号")  # D2
    order(local(11, 3, 9), "湖滨路20号")  # E1
    e2 = order(local(11, 4, 9), "湖滨路20号")
    services.order_cancel(
        order_id=e2.pk, actor=world.dispatcher, reason="重复报单", now=local(11, 4, 10)
    )
    order(local(11, 10, 9), "湖滨路八号三幢四〇一")  # A2
    order(local(11, 12, 9), "石光路5号", party_input(**p))  # B2
    order(local(11, 15, 9), "宝岛路1号")  # C2
    order(local(11, 20, 9), "湖滨路8号3栋401", party_input(**q))  # A3
    for day in (21, 22):  # F1, F2
        order(
            local(11, day, 9),
            "凤里路9号",
            community=world.fl_community,
            actor=world.fl_reporter,
        )


def rows(section):
    addresses = [(r.address, r.community, r.orders, r.in_month) for r in section.addresses]
    parties = [(r.name, r.phone, r.id_number, r.orders, r.in_month) for r in section.parties]
    return addresses, parties


def test_november_for_the_city(world, month):
    section = repeat_figures(scope=report_scope(world.supervisor), month=NOVEMBER)
    addresses, parties = rows(section)
    assert addresses == [
        ("湖滨路8号…", "曾坑社区", 3, 2),
        ("凤里路9号", "凤里社区", 2, 2),
        ("宝岛路1号", "曾坑社区", 2, 1),
    ]
    assert parties == [
        ("钱某", "136****0002", "", 3, 1),
        ("彭某", "136****0001", P_ID[:4] + "*" * 10 + P_ID[-4:], 2, 1),
    ]
    assert (section.address_count, section.party_count, section.window_days) == (3, 2, 365)


def test_the_streets_supervisor_sees_its_street(world, month):
    section = repeat_figures(scope=report_scope(world.hb_supervisor), month=NOVEMBER)
    addresses, parties = rows(section)
    assert [a[0] for a in addresses] == ["湖滨路8号…", "宝岛路1号"]
    assert [p[0] for p in parties] == ["钱某", "彭某"]


def test_a_month_with_repeats_but_none_reported_in_it(world, month):
    # October: D1 and D2 (湖滨路30号) both in October and in the window; Q's D1 too,
    # with C1 before it.
    section = repeat_figures(scope=report_scope(world.supervisor), month=OCTOBER)
    addresses, parties = rows(section)
    assert addresses == [("湖滨路30号", "曾坑社区", 2, 2)]
    assert [(p[0], p[3], p[4]) for p in parties] == [("钱某", 2, 1)]


def test_masking_addresses():
    assert mask_address("湖滨路8号3栋401室") == "湖滨路8号…"
    assert mask_address("宝岛路1号") == "宝岛路1号"
    assert mask_address("曾坑社区西区楼下") == "曾坑社区西区…"


def test_the_report_page_shows_the_section(world, month, client):
    client.force_login(world.supervisor)
    page = client.get("/reports/monthly/?month=2026-11").content.decode()
    assert 'id="repeats"' in page and "湖滨路8号…" in page and "136****0002" in page
    assert "13600000002" not in page and "3栋401" not in page
