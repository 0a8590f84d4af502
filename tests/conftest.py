"""Fixtures shared by the whole suite.

``world`` is the one most tests start from: 石狮市 with two streets, their units and one
user per role (see ``tests.factories.World``). ``order_in`` builds an order in a given
state through the services; ``t0`` is the fixed instant those orders start at.
"""

import pytest
from django.core.cache import cache
from django.db import connections

from disputes.agreements import pdf_available
from tests.factories import T0, World, build_world, order_in_state


@pytest.fixture
def world(db) -> World:
    """A small city: HB and FL streets, their centers, stations, committees, and users."""
    return build_world()


@pytest.fixture
def t0():
    """2026-11-10 09:00 Asia/Shanghai (01:00 UTC), when ``order_in`` orders are reported."""
    return T0


@pytest.fixture
def order_in(world):
    """``order_in("signed", assignee=world.handler2, ...)`` → an order walked to that state
    through the services (keyword arguments as ``tests.factories.order_in_state``)."""

    def make(state: str, **kwargs):
        return order_in_state(world, state, **kwargs)

    return make


@pytest.fixture
def media_root(tmp_path, settings):
    """Uploads go to a temporary folder for the test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The factories hash a password per user; PBKDF2 would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The agreement PDF needs WeasyPrint's system libraries (Pango) and a Chinese font, which
# .ci/run and the Dockerfile install; elsewhere its tests are skipped, saying why.
needs_pdf = pytest.mark.skipif(
    not pdf_available(),
    reason="WeasyPrint cannot load Pango or finds no Chinese font here: apt-get install "
    "libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk (.ci/run does)",
)


@pytest.fixture(autouse=True)
def _no_requests_counted():
    """Rate limits and throttles count per client address in the cache, and every test
    client is 127.0.0.1: each test starts with none counted (the browser tests reach the
    public review and confirmation pages often enough to hit REVIEW_RATE_PER_IP)."""
    cache.clear()


@pytest.fixture(autouse=True)
def _radar_off_at_report(settings):
    # The factories give every order the same parties and address (王某, 13812345678,
    # 曾坑村 12 号), so with the repeat radar on at reporting every order after the first
    # would be flagged 重复纠纷 and a colour up. Its own tests turn it on (``radar_on``).
    settings.RADAR_AT_REPORT = False


@pytest.fixture
def radar_on(settings):
    """The repeat radar runs at reporting, as in production (``RADAR_AT_REPORT``)."""
    settings.RADAR_AT_REPORT = True
    settings.RADAR_WINDOW_DAYS = 365


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """With DATABASE_REPLICA_URL set, the ``replica`` alias is a test mirror of the
    default, but Django points only its database name at the test database: its server is
    made the default's too, so ordinary tests never read from a standby that has not yet
    replayed their rows (tests/replica reads the real standby on purpose)."""
    replica = connections.settings.get("replica")
    if replica and replica.get("TEST", {}).get("MIRROR") == "default":
        default = connections.settings["default"]
        replica.update({k: default[k] for k in ("ENGINE", "HOST", "PORT", "USER", "PASSWORD")})
