import pytest

from alliance.models import VolunteerProfile
from dispatch.models import AllianceKind, Membership, Role
from tests.factories import UnitFactory, UserFactory


class Alliance:
    """A volunteer team with two volunteers (one speaks 闽南话) and a lawyers' unit with
    one; a second volunteer team that is never invited."""

    def __init__(self, world):
        self.team = UnitFactory(
            social_force=True,
            name="石狮志愿者协会",
            area=world.city,
            alliance_kind=AllianceKind.VOLUNTEERS,
        )
        self.lawyers = UnitFactory(
            social_force=True,
            name="石狮律师公益团",
            area=world.city,
            alliance_kind=AllianceKind.LAWYERS,
        )
        self.vol = self.volunteer(
            self.team, "vol", "阿珠", dialects=["minnan"], skills=["mediation"]
        )
        self.vol2 = self.volunteer(self.team, "vol2", "阿华", dialects=["putonghua"])
        self.lawyer = self.volunteer(self.lawyers, "lawyer", "林律师", skills=["law"])

    @staticmethod
    def volunteer(unit, username, name, *, dialects=(), skills=()):
        user = UserFactory(username=username, first_name=name, last_name="")
        m = Membership.objects.create(user=user, unit=unit, role=Role.VOLUNTEER)
        VolunteerProfile.objects.create(
            membership=m, dialects=list(dialects), skills=list(skills), availability="周末"
        )
        return user


@pytest.fixture
def alliance(world):
    return Alliance(world)
