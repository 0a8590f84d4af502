"""Settings for the benchmark: the project's own, plus a bare JSON view as the HTTP
ceiling, e-mail kept in memory and quiet logs. Everything measured runs the project's
code unchanged; only ``ROOT_URLCONF`` gains one URL."""

import os

from shishi_mediation.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
NOTIFICATION_CHANNELS = ["email"]
# Persistent connections, as in production (settings.CONN_MAX_AGE defaults to 60 there).
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BENCH_LOG_LEVEL", "WARNING")},
}

# The bench's own embedded broker (kombu's filesystem transport), never the project's
# var/broker nor a Redis someone else uses: the sweep's delivery kicks and the bench's
# Celery task travel here.
BENCH_BROKER_DIR = BASE_DIR / "bench" / "out" / "broker"  # noqa: F405
CELERY_BROKER_URL = "filesystem://localhost//"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(BENCH_BROKER_DIR / "queue"),
    "data_folder_out": str(BENCH_BROKER_DIR / "queue"),
    "control_folder": str(BENCH_BROKER_DIR / "control"),
    "processed_folder": str(BENCH_BROKER_DIR / "processed"),
    "store_processed": False,
}
for _folder in ("queue", "control", "processed"):
    (BENCH_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
# How often an idle worker looks for a message (kombu's default 1 s); the sweep-workers
# part polls every 20 ms, so a queued batch is not measured as a second's wait.
CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = float(
    os.environ.get("BENCH_BROKER_POLL_SECONDS", "1.0")
)
CELERY_TASK_ALWAYS_EAGER = False

# The API's per-user throttle (600/min by default) is a policy, not a cost: the load test
# sends thousands of requests a minute from one token, so the rate is raised here. The
# throttle classes still run (their cache look-ups are part of every request's cost).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # noqa: F405
        "user": "10000000/min",
    },
}
