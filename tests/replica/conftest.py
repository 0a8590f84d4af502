"""A ``replica`` alias under the test's control, the router and the middleware installed.

``use_replica(settings_dict)`` puts a connection named ``replica`` in place for the test
(the settings' own alias, if ``DATABASE_REPLICA_URL`` is set, comes back afterwards):
``mirror_of_default()`` names the test database itself (committed rows are the same on
both, so tests use ``transaction=True``: the router never reads the replica inside an
atomic block, which a non-transactional test is); ``closed_port()`` names a server that
is not there.
"""

import contextlib
import copy
import socket

import pytest
from django.core.cache import cache
from django.db import connections
from django.db.utils import load_backend

from shishi_mediation import replica

MIDDLEWARE_AFTER = "django.contrib.auth.middleware.AuthenticationMiddleware"

# Django lets a test touch only the aliases it names, which must exist when the test
# database is set up: without DATABASE_REPLICA_URL there is none, so one is declared here
# as a mirror of the default (no router goes with it; the tests install theirs).
if "replica" not in connections.settings:
    connections.settings["replica"] = {
        **copy.deepcopy(connections.settings["default"]),
        "TEST": {**connections.settings["default"].get("TEST", {}), "MIRROR": "default"},
    }


def mirror_of_default() -> dict:
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "MIRROR": "default"}
    return settings_dict


def closed_port() -> dict:
    """PostgreSQL on a loopback port nobody listens on (whatever the default database)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed, and nothing listens on it
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict.update(
        ENGINE="django.db.backends.postgresql",
        NAME="shishi",
        USER="postgres",
        PASSWORD="",
        HOST="127.0.0.1",
        PORT=str(port),
        OPTIONS={"connect_timeout": 2},
        TEST={"MIRROR": "default"},
    )
    return settings_dict


@contextlib.contextmanager
def use_replica(settings_dict: dict):
    """The ``replica`` alias connects as ``settings_dict`` says for the block."""
    before, before_settings = connections["replica"], connections.settings["replica"]
    connections.settings["replica"] = settings_dict
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "replica")
    connections["replica"] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        connections.settings["replica"] = before_settings
        connections["replica"] = before


@pytest.fixture
def routed(settings):
    """The router and the middleware, as the settings install them with a replica."""
    settings.DATABASE_ROUTERS = ["shishi_mediation.replica.ReplicaRouter"]
    if "shishi_mediation.replica.ReplicaMiddleware" not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(
            middleware.index(MIDDLEWARE_AFTER) + 1, "shishi_mediation.replica.ReplicaMiddleware"
        )
        settings.MIDDLEWARE = middleware
    for key in (replica.HEALTH_KEY, replica.OUTAGE_KEY):
        cache.delete(key)
    yield settings
    cache.clear()


@pytest.fixture
def mirrored(routed):
    with use_replica(mirror_of_default()) as wrapper:
        yield wrapper
