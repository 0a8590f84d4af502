"""The repeat-dispute radar (issue 17): keys, matches, window, queries, flag and colour."""

from datetime import timedelta

import pytest

from dispatch.selectors import memberships_of
from disputes import services
from disputes.colours import Colour, colour_for
from disputes.models import Incident, IncidentType, Order, Party
from disputes.radar import Reason, radar_find, radar_for_viewer, radar_query, radar_query_for
from disputes.radar_keys import (
    address_key,
    id_number_key,
    normalise_address,
    phone_key,
    rebuild_keys,
)
from shishi_mediation.errors import InvalidInput
from tests.factories import id_number_with_x, party_input, report_order, valid_id_number

pytestmark = pytest.mark.usefixtures("radar_on")

OTHER_ID = valid_id_number("35058219850505001")
THIRD_ID = valid_id_number("35058319700101002")


def person(name="赵某", phone="13600000001", id_number=OTHER_ID, **kwargs):
    return party_input(name=name, phone=phone, id_number=id_number, **kwargs)


def report(world, *, now, parties, address="湖滨路 1 号", **kwargs) -> Order:
    return report_order(world, now=now, parties=parties, address=address, **kwargs)


def first_and_repeat(world, t0, first: dict, second: dict, *, later=timedelta(days=30)):
    """An order reported at t0, then one ``later``: each with one party and an address
    (defaults that match nothing), overridden by ``first`` / ``second``."""

    def make(spec, now, name, phone, id_number, address):
        spec = dict(spec)
        party = person(
            name=spec.pop("name", name),
            phone=spec.pop("phone", phone),
            id_number=spec.pop("id_number", id_number),
        )
        return report(world, now=now, parties=[party], address=spec.pop("address", address), **spec)

    a = make(first, t0, "甲某", "13600000001", OTHER_ID, "湖滨路 1 号")
    b = make(second, t0 + later, "乙某", "13700000002", THIRD_ID, "宝岛路 99 号")
    return a, b


# --- normalising and keys -----------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "曾坑村12号3栋401室",
        "曾坑村十二号三幢四〇一",
        "曾坑村１２号３号楼４０１室",
        "曾坑村 12 号 3 座 401",
        "曾坑村12号3#楼401",
        "曾坑村，12号（3栋）401号",
        "曾坑村12号三栋四零一房间",
    ],
)
def test_address_spellings_of_one_flat_have_one_key(variant):
    assert normalise_address(variant) == "曾坑村12号3栋401"
    assert address_key(variant) == address_key("曾坑村12号3栋401室")


def test_address_shorthand_and_numerals():
    assert normalise_address("曾坑村12号3-2-401") == normalise_address("曾坑村12号3栋2单元401室")
    assert normalise_address("宝盖镇一百零五号") == "宝盖镇105号"
    assert normalise_address("二十号") == "20号"
    # A different flat, building or street number is another address.
    assert address_key("曾坑村12号3栋402室") != address_key("曾坑村12号3栋401室")
    assert address_key("曾坑村12号") != address_key("曾坑村12号3栋401室")
    assert address_key("") == "" and address_key("，。 ") == ""
    # Without a number (a community, village or estate alone) it is too vague to match.
    assert address_key("凤里街道新华社区") == "" and address_key("仑后旧村") == ""


def test_phone_and_id_keys_ignore_how_they_are_written():
    assert phone_key("+86 138 1234 5678") == phone_key("13812345678")
    assert phone_key("0086-13812345678") == phone_key("13812345678")
    assert phone_key("0595-88881234") == phone_key("059588881234")
    assert phone_key("13812345679") != phone_key("13812345678")
    x = id_number_with_x()
    assert id_number_key(x.lower()) == id_number_key(x) == id_number_key(f" {x[:6]} {x[6:]} ")
    assert phone_key("") == "" and id_number_key("") == ""


def test_keys_are_keyed_and_say_nothing_of_the_number(settings):
    key = phone_key("13812345678")
    assert len(key) == 32 and "13812345678" not in key
    settings.RADAR_KEY = "another key"
    assert phone_key("13812345678") != key


def test_every_write_keeps_the_keys(world, t0):
    order = report(world, now=t0, parties=[person(phone="13600000001")], address="湖滨路 1 号")
    party = order.parties.get()
    assert party.phone_key == phone_key("13600000001")
    assert party.id_key == id_number_key(OTHER_ID)
    assert order.address_key == address_key("湖滨路1号")
    # A party edit (the admin saves the model) and an address change re-key.
    party.phone = "13900000009"
    party.save(update_fields=["phone"])
    party.refresh_from_db()
    assert party.phone_key == phone_key("13900000009")
    order.address = "湖滨路 2 号"
    order.save(update_fields=["address"])
    order.refresh_from_db()
    assert order.address_key == address_key("湖滨路2号")


# --- matches ------------------------------------------------------------------------------


def test_same_phone_in_another_form_is_a_repeat(world, t0):
    # The form takes a landline with or without its dash (+86 forms come from incidents).
    a, b = first_and_repeat(world, t0, {"phone": "0595-88881234"}, {"phone": "059588881234"})
    assert not a.is_repeat
    assert b.is_repeat and b.repeat_reason_list == [Reason.PHONE]
    [match] = radar_find(radar_query_for(b))
    assert (match.kind, match.pk, match.reason_codes) == ("order", a.pk, [Reason.PHONE])


def test_same_id_number_with_a_lowercase_x_is_a_repeat(world, t0):
    x = id_number_with_x()
    a, b = first_and_repeat(world, t0, {"id_number": x}, {"id_number": x.lower()})
    assert b.is_repeat and b.repeat_reason_list == [Reason.ID_NUMBER]


def test_same_flat_written_otherwise_is_a_repeat(world, t0):
    a, b = first_and_repeat(
        world, t0, {"address": "曾坑村12号3栋401室"}, {"address": "曾坑村十二号三幢四〇一"}
    )
    assert b.is_repeat and b.repeat_reason_list == [Reason.ADDRESS]


def test_same_names_in_the_same_community_only(world, t0):
    a, b = first_and_repeat(world, t0, {"name": "陈大文"}, {"name": "陈大文"})
    assert b.is_repeat and b.repeat_reason_list == [Reason.NAME]
    # The same name in another community is someone else.
    c = report(
        world,
        now=t0 + timedelta(days=31),
        parties=[person(name="陈大文", phone="13500000003", id_number="")],
        address="石光路 5 号",
        community=world.sg,
    )
    assert not c.is_repeat
    assert radar_find(radar_query_for(c)) == []


def test_all_reasons_together_and_newest_first(world, t0):
    a = report(world, now=t0, parties=[person()], address="湖滨路 1 号")
    b = report(world, now=t0 + timedelta(days=1), parties=[person()], address="湖滨路1号")
    c = report(world, now=t0 + timedelta(days=2), parties=[person()], address="湖滨路一号")
    found = radar_find(radar_query_for(c))
    assert [m.pk for m in found] == [b.pk, a.pk]
    assert found[0].reason_codes == [Reason.PHONE, Reason.ID_NUMBER, Reason.ADDRESS, Reason.NAME]
    assert c.repeat_reason_list == ["phone", "id_number", "address", "name"]


def test_nothing_in_common_is_no_repeat_and_the_order_never_matches_itself(world, t0):
    a, b = first_and_repeat(world, t0, {}, {})
    assert not b.is_repeat and b.repeat_reasons == ""
    assert radar_find(radar_query_for(b)) == []
    assert radar_find(radar_query_for(a)) == []


def test_later_orders_are_not_earlier_disputes(world, t0):
    a, b = first_and_repeat(world, t0, {"phone": "13812345678"}, {"phone": "13812345678"})
    assert radar_find(radar_query_for(a)) == []


def test_a_reopened_order_is_not_a_repeat_of_the_one_it_continues(world, t0):
    old = report(world, now=t0, parties=[person()])
    data = services.ReportInput(
        title="再次调解",
        narrative="回访不满意，重新调解。",
        category_id=world.wages.pk,
        community_id=world.zk.pk,
        address="湖滨路 1 号",
        parties=[person()],
    )
    again = services.order_report(
        actor=world.reporter, data=data, now=t0 + timedelta(days=40), reopened_from=old
    )
    assert not again.is_repeat


# --- the window ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "after,found",
    [
        (timedelta(days=365), True),  # exactly at the window's edge: in
        (timedelta(days=365, microseconds=1), False),  # just past it: out
        (timedelta(days=1), True),
    ],
)
def test_window_edges(world, t0, after, found):
    a = report(world, now=t0, parties=[person(phone="13812345678")])
    query = radar_query(
        at=t0 + after,
        community_id=world.zk.pk,
        address_key="",
        parties=[Party(name="别人", phone_key=phone_key("13812345678"))],
    )
    assert [m.pk for m in radar_find(query)] == ([a.pk] if found else [])


def test_window_is_a_setting(world, t0, settings):
    a, b = first_and_repeat(
        world, t0, {"phone": "13812345678"}, {"phone": "13812345678"}, later=timedelta(days=40)
    )
    assert b.is_repeat
    settings.RADAR_WINDOW_DAYS = 30
    assert radar_find(radar_query_for(b)) == []
    c = report(world, now=t0 + timedelta(days=80), parties=[person(phone="13812345678")])
    assert not c.is_repeat  # b is 40 days back: outside a 30-day window


# --- queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("earlier", [1, 4])
def test_a_fixed_number_of_queries(world, t0, earlier, django_assert_num_queries):
    for i in range(earlier):
        report(world, now=t0 + timedelta(hours=i), parties=[person()], address="湖滨路 1 号")
    last = report(world, now=t0 + timedelta(days=1), parties=[person()], address="湖滨路 1 号")
    query = radar_query_for(last, list(last.parties.all()))
    with django_assert_num_queries(1):
        assert len(radar_find(query)) == earlier
    viewer = world.dispatcher
    memberships_of(viewer)  # read once per request, by every page
    with django_assert_num_queries(2):  # the matches, then which the viewer may see
        view = radar_for_viewer(query, viewer)
    assert len(view.matches) == earlier and view.hidden == 0


def test_no_query_without_anything_to_match(world, t0, django_assert_num_queries):
    query = radar_query(at=t0, community_id=None, address_key="", parties=[])
    with django_assert_num_queries(0):
        assert radar_find(query) == []


# --- the flag and the colour ----------------------------------------------------------------


def test_colour_for_a_repeat_is_one_step_up():
    assert colour_for(risk_level="low", parties=[], is_repeat=True) == Colour.YELLOW
    assert colour_for(risk_level="medium", parties=[], is_repeat=True) == Colour.RED
    assert colour_for(risk_level="high", parties=[], is_repeat=True) == Colour.RED
    assert colour_for(risk_level="low", parties=[], is_repeat=False) == Colour.GREEN


def test_a_repeat_is_reported_a_colour_up(world, t0):
    a, b = first_and_repeat(world, t0, {"phone": "13812345678"}, {"phone": "13812345678"})
    assert a.colour == Colour.GREEN and b.colour == Colour.YELLOW
    _, red = first_and_repeat(
        world, t0, {"phone": "13812340000"}, {"phone": "13812340000", "risk_level": "medium"}
    )
    assert red.colour == Colour.RED


def test_a_red_repeat_needs_its_case_leader_at_dispatch(world, t0):
    _, red = first_and_repeat(
        world, t0, {"phone": "13812340000"}, {"phone": "13812340000", "risk_level": "medium"}
    )
    with pytest.raises(InvalidInput) as e:
        services.order_dispatch(
            order_id=red.pk,
            actor=world.dispatcher,
            lead_unit_id=world.hb_police.pk,
            now=t0 + timedelta(days=30, minutes=5),
        )
    assert "case_leader" in e.value.errors


def test_off_at_report_no_flag(world, t0, settings):
    settings.RADAR_AT_REPORT = False
    a, b = first_and_repeat(world, t0, {"phone": "13812345678"}, {"phone": "13812345678"})
    assert not b.is_repeat and b.colour == Colour.GREEN
    assert [m.pk for m in radar_find(radar_query_for(b))] == [a.pk]  # the page still lists it


# --- what a viewer sees -----------------------------------------------------------------------


def test_matches_outside_the_viewers_scope_are_counted_only(world, t0):
    fl = report(
        world,
        now=t0,
        parties=[person(phone="13812345678")],
        community=world.fl_community,
        actor=world.fl_reporter,
    )
    hb_old = report(world, now=t0 + timedelta(days=1), parties=[person(phone="13812345678")])
    b = report(world, now=t0 + timedelta(days=2), parties=[person(phone="13812345678")])
    query = radar_query_for(b)
    hb_view = radar_for_viewer(query, world.dispatcher)
    assert [m.pk for m in hb_view.matches] == [hb_old.pk]
    assert hb_view.hidden == 1 and hb_view.total == 2
    fl_view = radar_for_viewer(query, world.fl_dispatcher)
    assert [m.pk for m in fl_view.matches] == [fl.pk] and fl_view.hidden == 1
    nobody = radar_for_viewer(query, world.nobody)
    assert nobody.matches == [] and nobody.hidden == 2


# --- incidents ------------------------------------------------------------------------------


@pytest.fixture
def dispute_type(world):
    return IncidentType.objects.create(
        code="JF-LZ", name="劳资纠纷", is_dispute=True, category=world.wages
    )


def test_an_earlier_incident_is_a_match(world, t0, dispute_type):
    incident = Incident.objects.create(
        number="J1",
        received_at=t0,
        type=IncidentType.objects.create(code="QZ", name="群众求助", is_dispute=False),
        summary="求助",
        address="曾坑村12号3栋401",
        community=world.zk,
        caller_name="报警人",
        caller_phone="+8613812345678",
        created_at=t0,
        submitted_by=world.reporter,
    )
    assert incident.caller_phone_key == phone_key("13812345678")
    b = report(
        world,
        now=t0 + timedelta(days=3),
        parties=[person(phone="13812345678")],
        address="曾坑村十二号三栋四零一室",
    )
    assert b.is_repeat and b.repeat_reason_list == [Reason.PHONE, Reason.ADDRESS]
    [m] = radar_find(radar_query_for(b))
    assert (m.kind, m.number, m.state) == ("incident", "J1", "群众求助")
    # Its sender sees it; a dispatcher sees no incident that made no order it may see.
    assert radar_for_viewer(radar_query_for(b), world.reporter).matches == [m]
    assert radar_for_viewer(radar_query_for(b), world.dispatcher).hidden == 1


# --- re-keying --------------------------------------------------------------------------------


def test_rekey_after_a_key_change(world, t0, settings):
    a, b = first_and_repeat(world, t0, {"phone": "13812345678"}, {"phone": "13812345678"})
    settings.RADAR_KEY = "rotated"
    new = report(world, now=t0 + timedelta(days=60), parties=[person(phone="13812345678")])
    assert not new.is_repeat  # old rows still carry keys of the old key
    changed = rebuild_keys(
        {"disputes.party": Party, "disputes.order": Order, "disputes.incident": Incident}
    )
    assert changed["disputes.party"] == 2 and changed["disputes.order"] == 2
    assert {m.pk for m in radar_find(radar_query_for(new))} == {a.pk, b.pk}
    again = rebuild_keys(
        {"disputes.party": Party, "disputes.order": Order, "disputes.incident": Incident}
    )
    assert set(again.values()) == {0}


# --- with the incident desk and merging ------------------------------------------------------


def test_a_pushed_incident_is_not_its_own_orders_repeat(world, t0):
    """The desk pushes a call for help with a phone and an address: the order it makes
    shares both with the incident, which is not an earlier dispute of its own."""
    from disputes.desk import incident_push
    from tests.desk_world import command_room, desk_types, desk_user, make_incident

    duty = desk_user(command_room(world))
    incident = make_incident(
        desk_types(world),
        "QZ",
        world.zk,
        t0,
        address="曾坑村12号3栋401",
        caller_phone="13812345678",
        submitted_by=duty,
    )
    pushed = incident_push(
        actor=duty, number=incident.number, category_id=world.neighbours.pk, now=t0
    )
    order = Order.objects.get(pk=pushed.order_id)
    assert not order.is_repeat and radar_find(radar_query_for(order)) == []


def test_a_merged_duplicate_is_not_an_earlier_dispute(world, t0):
    """Two reports of one flat merged into one: a third report there finds the kept
    order only, as one dispute."""
    a, b = first_and_repeat(world, t0, {}, {"address": "湖滨路 1 号"}, later=timedelta(hours=1))
    services.order_merge(
        order_id=b.pk, actor=world.dispatcher, into=a.number, reason="重复报单", now=t0
    )
    c = report(world, now=t0 + timedelta(days=2), parties=[person(name="丙某")])
    assert [m.number for m in radar_find(radar_query_for(c))] == [a.number]
