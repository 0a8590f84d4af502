"""The incident desk's test world: the city bureau's command room, incident types with
the police-matter flag as the seed sets it, and a helper that stores an incident."""

from datetime import datetime

from dispatch.models import Role
from disputes.models import Incident, IncidentType
from shishi_mediation.text import SHANGHAI
from tests.factories import UnitFactory, user_with_role


def local(*args) -> datetime:
    """A moment in Asia/Shanghai: ``local(2026, 11, 10, 9, 30)``."""
    return datetime(*args, tzinfo=SHANGHAI)


def command_room(world):
    """The command room: a police-station-kind unit of the city bureau (area: the city)."""
    return UnitFactory(police_station=True, name="石狮市公安局指挥中心", area=world.city)


def desk_user(unit, username="duty"):
    return user_with_role(Role.REPORTER, unit, username=username)


def desk_types(world) -> dict[str, IncidentType]:
    def make(code, name, police, *, category=None):
        return IncidentType.objects.create(
            code=code,
            name=name,
            is_dispute=category is not None,
            category=category,
            is_police_matter=police,
        )

    return {
        "JF-LZ": make("JF-LZ", "劳资纠纷", False, category=world.wages),
        "QZ": make("QZ", "群众求助", False),
        "WX": make("WX", "无效警情", False),
        "XS": make("XS", "刑事案件", True),
        "ZA": make("ZA", "治安案件", True),
    }


_seq = iter(range(1, 10**6))


def make_incident(
    types,
    code: str,
    community,
    received_at: datetime,
    *,
    number: str | None = None,
    summary: str = "群众来电求助",
    address: str = "",
    caller_name: str = "王某",
    caller_phone: str = "",
    submitted_by=None,
) -> Incident:
    return Incident.objects.create(
        number=number or f"J{next(_seq):012d}",
        received_at=received_at,
        type=types[code],
        summary=summary,
        address=address,
        community=community,
        caller_name=caller_name,
        caller_phone=caller_phone,
        submitted_by=submitted_by,
        created_at=received_at,
    )
