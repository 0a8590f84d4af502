"""``manage.py import_incidents FILE.csv``: the same service as the API, row by row."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from disputes.models import Incident, Order, Source, State

pytestmark = pytest.mark.django_db

HEADER = "number,received_at,type,summary,address,community,caller_name,caller_phone\n"
ROWS = [
    # two good dispute rows, in two communities
    "J001,2026-11-10 09:30:00,JF-LZ,工地拖欠工资,曾坑村12号,HB/ZK,王某,13812345678",
    "J002,2026/11/10 10:05,JF-LL,邻居噪音,石光社区3栋,石光社区,陈某,0595-88881234",
    # a duplicate of the first (same number, even with other content)
    "J001,2026-11-10 09:30:00,JF-LZ,工地拖欠工资（重复）,曾坑村12号,HB/ZK,王某,13812345678",
    # a bad date
    "J003,2026-02-30 08:00,JF-LZ,日期不对,,HB/ZK,李某,",
    # an unknown community
    "J004,2026-11-10 11:00,JF-LZ,社区不存在,,火星社区,赵某,",
    # a non-dispute type: stored, no order
    "J005,2026-11-10 12:00,XS-DQ,电动车被盗,曾坑村5号,HB/ZK,孙某,13900001111",
    # a good row with quoting, a comma and a newline in the summary
    'J006,2026-11-10T13:00:00+08:00,JF-LZ,"欠薪, 多人\n聚集",,HB/ZK,,',
]


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "incidents-20261110.csv"
    path.write_text("\ufeff" + HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_incidents", str(path), *args, stdout=out)
    return out.getvalue()


def test_import_twice_gives_the_right_counts_and_no_duplicate_orders(
    world, command_user, incident_types, csv_file
):
    first = run(csv_file)
    assert first.splitlines()[-1] == "created 4 (3 orders), duplicate 1, rejected 2"
    assert "line 5: rejected: received_at" in first
    assert "line 6: rejected: community" in first and "火星社区" in first
    assert Incident.objects.count() == 4
    assert Order.objects.count() == 3
    assert set(Order.objects.values_list("source", flat=True)) == {Source.POLICE_INCIDENT}
    assert set(Order.objects.values_list("state", flat=True)) == {State.DISPATCHED}
    assert Incident.objects.get(number="J005").order is None
    assert Incident.objects.get(number="J006").summary == "欠薪, 多人\n聚集"

    second = run(csv_file)
    assert second.splitlines()[-1] == "created 0 (0 orders), duplicate 5, rejected 2"
    assert Incident.objects.count() == 4
    assert Order.objects.count() == 3


def test_a_rejected_row_leaves_nothing_behind(world, command_user, incident_types, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "J010,2026-11-10 09:30,JF-LZ,电话不对,,HB/ZK,王某,12345\n")
    out = run(path)
    assert "line 2: rejected: caller_phone" in out
    assert Incident.objects.count() == 0 and Order.objects.count() == 0


def test_a_number_another_unit_sent_is_rejected_without_its_content(
    world, command_user, incident_types, tmp_path
):
    path = tmp_path / "one.csv"
    path.write_text(HEADER + ROWS[0] + "\n")
    run(path)
    # 凤里派出所's officer imports the same number.
    out = run(path, "--user", world.fl_reporter.username)
    assert "line 2: rejected: 此警情编号已由其他单位报送。" in out
    assert "王某" not in out and Incident.objects.count() == 1


def test_gb18030_exports(world, command_user, incident_types, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + ROWS[0] + "\n").encode("gb18030"))
    assert run(path, "--encoding", "gb18030").splitlines()[-1].startswith("created 1 (1 orders)")
    with pytest.raises(CommandError, match="encoding"):
        run(path, "--encoding", "utf-8")


def test_unusable_files_and_accounts_stop_the_command(world, command_user, tmp_path, csv_file):
    with pytest.raises(CommandError, match="cannot open"):
        run(tmp_path / "missing.csv")
    no_header = tmp_path / "no_header.csv"
    no_header.write_text("number,summary\nJ1,x\n")
    with pytest.raises(CommandError, match="missing columns"):
        run(no_header)
    with pytest.raises(CommandError, match="no active user"):
        run(csv_file, "--user", "ghost")
    with pytest.raises(CommandError, match="police-station"):
        run(csv_file, "--user", world.dispatcher.username)
