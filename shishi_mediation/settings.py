"""Settings for Shishi mediation, read from the environment through one ``environ.Env``.

With nothing set, the project runs on the embedded default: SQLite in the project folder
and kombu's filesystem transport as the Celery broker, so neither PostgreSQL nor Redis is
needed to try it. Production sets ``DJANGO_ENV=production`` (see ``.env.example``).
"""

import hashlib
import hmac
import re
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Only the process environment is read (no .env file), so the compose file's .env never
# leaks into `make run` or `make test`.
env = environ.Env()
VAR_DIR.mkdir(exist_ok=True)  # beat's schedule file and the embedded broker live here

PRODUCTION = env.str("DJANGO_ENV", default="development") == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION:
    # No default: refuse to start without one, or with the placeholder or a short key.
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY or SECRET_KEY.startswith("change-me") or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs SECRET_KEY: a random string of at least 50 "
            "characters, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")

# The timeline's hash chain is an HMAC under a key kept out of the database
# (disputes/chain.py). Each event names its key's id; old keys stay listed, by id, until
# ``rechain_timeline`` has moved their events to the current one (docs/TIMELINE.md).
TIMELINE_CHAIN_KEY = env.str("TIMELINE_CHAIN_KEY", default="")
if PRODUCTION and (len(TIMELINE_CHAIN_KEY) < 32 or TIMELINE_CHAIN_KEY.startswith("change-me")):
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs TIMELINE_CHAIN_KEY: a random string of at least 32 "
        "characters, kept apart from the database and its backups, e.g. "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'."
    )
# Development derives one from SECRET_KEY, under its own id ("dev").
TIMELINE_CHAIN_KEY_ID = env.str(
    "TIMELINE_CHAIN_KEY_ID", default="k1" if TIMELINE_CHAIN_KEY else "dev"
)
TIMELINE_CHAIN_KEY = (
    TIMELINE_CHAIN_KEY
    or hmac.new(SECRET_KEY.encode(), b"shishi-mediation timeline chain", hashlib.sha256).hexdigest()
)
TIMELINE_CHAIN_KEYS = {
    **env.dict("TIMELINE_CHAIN_OLD_KEYS", default={}),  # "k1=<key>,k2=<key>"
    TIMELINE_CHAIN_KEY_ID: TIMELINE_CHAIN_KEY,
}
if not all(re.fullmatch(r"[A-Za-z0-9_-]{1,16}", key_id) for key_id in TIMELINE_CHAIN_KEYS):
    raise ImproperlyConfigured("Timeline chain key ids are 1-16 letters, digits, _ or -.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "partitions",  # monthly partitions of the event tables (docs/ARCHITECTURE.md)
    "idempotency",
    "dispatch",
    "alliance",  # the mediation alliance (issue 18): volunteers, joint activities
    "training",  # issue 18: training sessions and attendance (培训)
    "notifications",
    "deadlines",
    "disputes",
    # 隐患排查 (issue 18): hazards, their rectification clock, the screening log.
    "hazards",
    "care",  # the care register (关爱对象, issue 18)
    "supervision",
    # Holds only the migrations that built the roll-up tables; their models are
    # supervision's now (docs/ARCHITECTURE.md, "Moving a model").
    "rollups",
]

MIDDLEWARE = [
    # First: every line logged while serving a request carries its id (shishi_mediation.logs).
    "shishi_mediation.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shishi_mediation.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dispatch.context_processors.header",
                "notifications.context_processors.header",
            ],
            # Project-wide template tags (shishi_mediation is not an app).
            "libraries": {"shishi": "shishi_mediation.templatetags.shishi"},
        },
    },
]

WSGI_APPLICATION = "shishi_mediation.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once when web, worker and beat share the file.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Read replica (issue 19; shishi_mediation/replica.py, docs/ARCHITECTURE.md) ----------
# A streaming standby of the primary. Set, the reports, exports, charts, the board, the
# queue and the lists read from it (the primary when it is down or lags, and for a user
# until it has replayed their last write); unset, there is no alias and no router.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **{k: v for k, v in DATABASES["default"].items() if k not in ("NAME", "HOST", "PORT")},
        **env.db("DATABASE_REPLICA_URL"),
        # Tests never commit: their reads see the test database through the same server.
        "TEST": {"MIRROR": "default"},
    }
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.sqlite3":
        # A replica that does not answer fails over to the primary quickly.
        DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
            "REPLICA_CONNECT_TIMEOUT", default=2
        )
    DATABASE_ROUTERS = ["shishi_mediation.replica.ReplicaRouter"]
    # After authentication: a write is remembered under the user who made it.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "shishi_mediation.replica.ReplicaMiddleware",
    )
# Reads leave a replica whose replay is this far behind (seconds) for the primary.
REPLICA_MAX_LAG_SECONDS = env.int("REPLICA_MAX_LAG_SECONDS", default=10)
# How long one probe of the replica's health is trusted (seconds, in the cache).
REPLICA_CHECK_SECONDS = env.int("REPLICA_CHECK_SECONDS", default=5)
# How long a user who wrote is checked against the replica's replay (seconds).
REPLICA_OWN_WRITE_SECONDS = env.int("REPLICA_OWN_WRITE_SECONDS", default=300)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out username and address before any password
# is checked (see "Login lockout" below).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Development serves static files straight from the app folders; production from the
# collected, hashed STATIC_ROOT.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# The dispatcher board polls for fresh countdowns this often (htmx).
BOARD_REFRESH_SECONDS = env.int("BOARD_REFRESH_SECONDS", default=30)
# The most orders one bulk dispatch (queue page, API) may send at once.
BULK_DISPATCH_MAX = env.int("BULK_DISPATCH_MAX", default=50)
# The longest pause of a clock (暂停计时) a handler may ask for, in minutes (7 days).
PAUSE_MAX_MINUTES = env.int("PAUSE_MAX_MINUTES", default=7 * 24 * 60)
# --- Repeat-dispute radar (issue 17; disputes/radar.py) ---------------------------------
# Phones, ID numbers and addresses are matched on keyed hashes (HMAC-SHA256) stored beside
# the masked values. Production should set its own RADAR_KEY; development derives one from
# SECRET_KEY. Changing it (or SECRET_KEY without it) needs `manage.py radar_rekey`.
RADAR_KEY = (
    env.str("RADAR_KEY", default="")
    or hmac.new(SECRET_KEY.encode(), b"shishi-mediation repeat radar", hashlib.sha256).hexdigest()
)
# How far back the radar looks from an order's report, in days.
RADAR_WINDOW_DAYS = env.int("RADAR_WINDOW_DAYS", default=365)
# Whether reporting runs it (the 重复纠纷 flag and the colour one step up). Off, e.g. while
# `radar_rekey` rebuilds the keys after a key change; the order page still lists matches.
RADAR_AT_REPORT = env.bool("RADAR_AT_REPORT", default=True)
# After this many returns to the queue an order's next dispatch is final (终审派单): its
# lead unit may no longer ask to return it, only for assistance.
FINAL_ASSIGNMENT_AFTER_RETURNS = env.int("FINAL_ASSIGNMENT_AFTER_RETURNS", default=2)
# The fair ranking (docs/REPORTS.md): each rate is shrunk toward the scope's rate as if the
# unit had this many more cases at that rate; a unit with fewer cases than the minimum
# in the month is listed in the ranking, not ranked.
RANKING_PRIOR_CASES = env.int("RANKING_PRIOR_CASES", default=10)
RANKING_MIN_CASES = env.int("RANKING_MIN_CASES", default=5)
# Return visits (回访, docs/REPORTS.md): each is due this many days after closing besides
# the policy's one (``SlaPolicy.visit_minutes``, 7 days) for a red order; a second visit
# after an unsatisfied visit or a bad review is due this many days later.
RETURN_VISIT_RED_DAYS = tuple(env.list("RETURN_VISIT_RED_DAYS", cast=int, default=[3, 30]))
RETURN_VISIT_SECOND_DAYS = env.int("RETURN_VISIT_SECOND_DAYS", default=3)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Attachments: what a handler may upload to an order.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_EXTENSIONS = [
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "txt",
    "mp3",
    "m4a",
]
# Photos (jpg, jpeg, png, webp) are re-encoded on upload (disputes.images): turned upright
# from their EXIF orientation, shrunk to this longest edge, their EXIF dropped (the GPS
# position kept only when the uploader asks), and given a thumbnail of this edge. A photo
# of more pixels than the limit is refused before it is decoded (a decompression bomb).
ATTACHMENT_IMAGE_MAX_EDGE = env.int("ATTACHMENT_IMAGE_MAX_EDGE", default=2048)
ATTACHMENT_THUMBNAIL_EDGE = env.int("ATTACHMENT_THUMBNAIL_EDGE", default=320)
ATTACHMENT_IMAGE_MAX_PIXELS = env.int("ATTACHMENT_IMAGE_MAX_PIXELS", default=64_000_000)
# Request limits. Form fields and JSON bodies (everything but uploaded files) are small
# here: 2 MiB is ample and refuses a huge body with 400 before it is parsed. Uploaded files
# are not counted there: up to FILE_UPLOAD_MAX_MEMORY_SIZE a file is held in memory, a
# larger one streams to a temporary file; validate_attachment then refuses a file over
# ATTACHMENT_MAX_BYTES or of another type. The reverse proxy should cap the whole body
# (e.g. nginx client_max_body_size 12m) so an oversized upload never reaches gunicorn.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# Uploaded files and their folders: readable by the service account only.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# --- Celery -------------------------------------------------------------------------
# Without a broker URL, kombu's filesystem transport keeps messages in var/broker/, so
# the worker and beat run with no server at all.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
    # The transport does not create its folders; worker, beat and web all load settings.
    for _folder in ("queue", "control", "processed"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# A task is acknowledged after it ran, so a killed worker's task is delivered again;
# every task here is idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_TASK_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Publishing fails fast when the broker is down: the outbox keeps the work and the
# periodic delivery below catches up.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_ROUTES = {
    "dispatch.sla_sweep": {"queue": "sla"},
    "dispatch.sla_sweep_batch": {"queue": "sla"},
    "deadlines.sweep": {"queue": "sla"},
}
# How many more `sla` workers a sweep that finds a full batch (1,000 due alarms) asks to
# share the rest (disputes.sweep.sla_sweep): the `sla` workers you run, minus one.
SLA_SWEEP_FANOUT = env.int("SLA_SWEEP_FANOUT", default=2)
# The schedule lives in code (reviewed and versioned with the tasks it runs); two beats
# by mistake are harmless because the sweep and the delivery are idempotent.
CELERY_BEAT_SCHEDULER = "celery.beat:PersistentScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {
        "task": "dispatch.sla_sweep",
        "schedule": env.float("SLA_SWEEP_SECONDS", default=60.0),
        "options": {"queue": "sla", "expires": 55},
    },
    "deadlines-sweep": {  # warnings and escalations of care visits, hazards (deadlines/)
        "task": "deadlines.sweep",
        "schedule": 60.0,
        "options": {"queue": "sla", "expires": 55},
    },
    "deliver-notifications": {
        "task": "dispatch.deliver_notifications",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "deliver-incident-results": {  # results back to the command system (docs/API.md)
        "task": "disputes.deliver_incident_results",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "refresh-report-rollups": {  # the monthly report's roll-ups (docs/REPORTS.md)
        "task": "rollups.refresh",
        "schedule": crontab(hour=2, minute=30),  # nightly, Asia/Shanghai (CELERY_TIMEZONE)
        "options": {"expires": 3600},
    },
    "publish-bulletins": {  # last month's bulletin to every unit (docs/REPORTS.md)
        "task": "supervision.publish_bulletins",
        "schedule": crontab(day_of_month=1, hour=9, minute=0),  # Asia/Shanghai
        "options": {"expires": 3600},
    },
    "maintain-partitions": {  # months ahead, retention (partitions/, docs/BACKUP.md)
        "task": "partitions.maintain",
        "schedule": crontab(hour=3, minute=20),
        "options": {"expires": 3600},
    },
    "purge-idempotency-keys": {  # keys older than IDEMPOTENCY_KEY_DAYS
        "task": "idempotency.purge_keys",
        "schedule": crontab(hour=3, minute=40),
        "options": {"expires": 3600},
    },
}

# The event tables' monthly partitions (docs/ARCHITECTURE.md, "Partitioned tables"):
# months created ahead by the daily task, and how many months stay attached (the current
# one counted); unset keeps every month (docs/BACKUP.md, "Retention").
PARTITION_MONTHS_AHEAD = env.int("PARTITION_MONTHS_AHEAD", default=3)
PARTITION_RETENTION_MONTHS = env.int("PARTITION_RETENTION_MONTHS", default=None)

# How long an Idempotency-Key is remembered: a phone offline for days still gets the
# first answer when it resends (idempotency/services.py).
IDEMPOTENCY_KEY_DAYS = env.int("IDEMPOTENCY_KEY_DAYS", default=7)

# --- Notifications -----------------------------------------------------------------------
# The in-app inbox always gets every notification; these channels go through the outbox.
# Per person, e-mail, SMS and Web Push also follow their preferences and what is possible
# (notifications.services.channels_for); Web Push is off while the VAPID keys are unset.
NOTIFICATION_CHANNELS = env.list("NOTIFICATION_CHANNELS", default=["email", "webpush"])
NOTIFICATION_SENDERS = {
    "email": "notifications.channels.send_email",
    "webhook": "notifications.channels.send_webhook",
    "webpush": "notifications.webpush.send_webpush",
    "sms": "notifications.sms.send_notice_sms",
    **env.dict("NOTIFICATION_SENDERS", default={}),
}
NOTIFICATION_WEBHOOK_URL = env.str("NOTIFICATION_WEBHOOK_URL", default="")
NOTIFICATION_WEBHOOK_TIMEOUT = env.float("NOTIFICATION_WEBHOOK_TIMEOUT", default=5.0)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)

# Results back to the command system (110): what became of each order born of an incident,
# POSTed as JSON signed with HMAC-SHA256 (docs/API.md, "Results back to the command
# system"). Unset URL or secret: nothing is sent, the results wait in their outbox.
COMMAND_RESULT_URL = env.str("COMMAND_RESULT_URL", default="")
COMMAND_RESULT_SECRET = env.str("COMMAND_RESULT_SECRET", default="")
COMMAND_RESULT_TIMEOUT = env.float("COMMAND_RESULT_TIMEOUT", default=5.0)

# Web Push (README "Web Push in production"): `manage.py make_vapid_keys` prints a pair.
# Outside production an unset pair is read from var/webpush-vapid.env, which `make run`
# writes once; production without keys runs with the channel off (a system check warns).
if not PRODUCTION and (VAR_DIR / "webpush-vapid.env").exists():
    environ.Env.read_env(str(VAR_DIR / "webpush-vapid.env"), overwrite=False)  # env wins
WEBPUSH_VAPID_PRIVATE_KEY = env.str("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_PUBLIC_KEY = env.str("WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env.str("WEBPUSH_VAPID_SUBJECT", default="mailto:admin@localhost")
WEBPUSH_TTL = env.int("WEBPUSH_TTL", default=12 * 3600)  # seconds a push service keeps it
WEBPUSH_TIMEOUT = env.float("WEBPUSH_TIMEOUT", default=5.0)
WEBPUSH_MAX_DEVICES = env.int("WEBPUSH_MAX_DEVICES", default=10)
# Plain http push endpoints on loopback (a local test push service); never in production.
WEBPUSH_ALLOW_LOOPBACK_HTTP = env.bool("WEBPUSH_ALLOW_LOOPBACK_HTTP", default=DEBUG)
# The push services a subscription may name (each host and its subdomains): the server
# POSTs to the endpoint, so an open list would let any user aim it at any https host.
# Chrome/Samsung (FCM), Firefox, Edge (WNS), Safari (Apple); empty: any public host.
WEBPUSH_ENDPOINT_HOSTS = env.list(
    "WEBPUSH_ENDPOINT_HOSTS",
    default=[
        "fcm.googleapis.com",
        "android.googleapis.com",
        "updates.push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    ],
)

# --- SMS (Tencent Cloud SMS; notifications/sms.py, README "SMS in production") -----------
# Staff notices go by SMS when "sms" is in NOTIFICATION_CHANNELS (to the mobile in each
# person's profile); parties who consented get their review code at closing once
# PUBLIC_BASE_URL and the "review_link" template are set.
SMS_PROVIDER = env.str("SMS_PROVIDER", default="notifications.tencent_sms.send")
SMS_SECRET_ID = env.str("SMS_SECRET_ID", default="")
SMS_SECRET_KEY = env.str("SMS_SECRET_KEY", default="")
SMS_SDK_APP_ID = env.str("SMS_SDK_APP_ID", default="")
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="")
SMS_REGION = env.str("SMS_REGION", default="ap-guangzhou")
SMS_ENDPOINT = env.str("SMS_ENDPOINT", default="sms.tencentcloudapi.com")
SMS_TIMEOUT = env.int("SMS_TIMEOUT", default=10)
# Message kind -> template id: the notice kinds and "review_link", e.g.
# SMS_TEMPLATES="dispatched=1234567,escalation_1=1234568,review_link=1234569".
SMS_TEMPLATES = env.dict("SMS_TEMPLATES", default={})
# The longest value one template variable may hold (Tencent: 6 unless the console says more).
SMS_PARAM_MAX_LENGTH = env.int("SMS_PARAM_MAX_LENGTH", default=6)
# The site's public address (https://tiaojie.example.gov.cn): the review template's
# constant link is PUBLIC_BASE_URL + "/review/". Without it no party SMS is sent.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")

# How many reverse proxies stand in front of gunicorn: the API throttles, the review
# page's rate limit and the login lockout take the client address from X-Forwarded-For
# only then (shishi_mediation.clientip); 0 means REMOTE_ADDR, whatever the header says.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# --- Cache ----------------------------------------------------------------------------
# API throttles and the public review page's rate limit count in the cache. The default
# is per process; production sets CACHE_URL (e.g. redis://redis:6379/1) so every web
# worker shares the counts.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Login lockout (django-axes) --------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one username from one client address, that
# pair is locked for AXES_COOLOFF_MINUTES: the login page (and the admin's) and the token
# endpoint answer 429, whatever the password. A successful login clears the count.
# Another user, or the same user from another address, is not affected. Unlock early with
# `manage.py axes_reset_username <name>` or in the admin (Axes → access attempts).
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A fixed lock: more tries during it do not extend it, and the middleware can say why.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
# The login page again, saying how long the lock lasts, with Retry-After (not axes' one line).
AXES_LOCKOUT_CALLABLE = "shishi_mediation.lockout.lockout_response"
AXES_COOLOFF_MESSAGE = _("登录失败次数过多，账号已暂时锁定，请稍后再试。")
# Successful logins are not logged in the database (only failures are, for the lockout).
AXES_DISABLE_ACCESS_LOG = True
# The client address, counted the same way as the API throttles (see NUM_PROXIES).
AXES_CLIENT_IP_CALLABLE = "shishi_mediation.clientip.client_ip"


# --- Content-Security-Policy (django-csp) ------------------------------------------------
# Everything from this origin only: no inline script, style or event handler, no
# javascript: links, no framing. CSP_REPORT_URI, if set, receives violation reports. Every
# page is covered, the API docs too (Swagger UI's start-up script and style are files).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}
_csp_report_uri = env.str("CSP_REPORT_URI", default="")
if _csp_report_uri:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]

# --- The map (docs/MAP.md) -----------------------------------------------------------------
# Orders store WGS-84 points. MAP_TILE_URL is a Leaflet tile template ({z}/{x}/{y}, {s} for
# MAP_TILE_SUBDOMAINS); empty = no tiles, the map shows the community outlines and the
# orders only (the demo, the tests: no network). MAP_TILE_CRS is the tiles' datum: wgs84
# (Tianditu's CGCS2000, OpenStreetMap) or gcj02 (Gaode, Tencent: points are converted for
# display). MAP_TILE_LABELS_URL: an optional label layer on top (Tianditu's cva_w).
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_LABELS_URL = env.str("MAP_TILE_LABELS_URL", default="")
MAP_TILE_SUBDOMAINS = env.str("MAP_TILE_SUBDOMAINS", default="")
MAP_TILE_CRS = env.str("MAP_TILE_CRS", default="wgs84")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
if MAP_TILE_CRS not in ("wgs84", "gcj02"):
    raise ImproperlyConfigured("MAP_TILE_CRS must be wgs84 or gcj02")
# The community outlines (GeoJSON under static/, each feature's area_path an Area.path).
MAP_COMMUNITY_OUTLINES = env.str("MAP_COMMUNITY_OUTLINES", default="geo/shishi-communities.geojson")
MAP_CENTER = (24.73, 118.65)  # 石狮市 (lat, lng), where a map opens without orders
MAP_MAX_FEATURES = env.int("MAP_MAX_FEATURES", default=2000)  # orders per map response


def _tile_origins(*urls: str) -> list[str]:
    """The origins tiles load from, for img-src ({s} → any subdomain)."""
    from urllib.parse import urlsplit

    origins = []
    for url in urls:
        if url:
            parts = urlsplit(url.replace("{s}", "0"))
            host = parts.netloc
            if "{s}" in urlsplit(url).netloc:  # t{s}.tianditu.gov.cn → *.tianditu.gov.cn
                host = "*." + host.split(".", 1)[1]
            origins.append(f"{parts.scheme}://{host}")
    return origins


CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] += _tile_origins(MAP_TILE_URL, MAP_TILE_LABELS_URL)

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an unauthenticated request then gets 401 with a WWW-Authenticate header
    # (DRF takes that header from the first class; session auth has none, which gives 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's, refusing deeply nested bodies with a 400.
    "DEFAULT_PARSER_CLASSES": ["shishi_mediation.api_errors.JSONParser"],
    # drf-spectacular's, documenting the Idempotency-Key header where it is honoured.
    "DEFAULT_SCHEMA_CLASS": "idempotency.api.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "shishi_mediation.api_errors.exception_handler",
    # DRF's, counting per shishi_mediation.clientip.client_ip.
    "DEFAULT_THROTTLE_CLASSES": [
        "shishi_mediation.clientip.AnonRateThrottle",
        "shishi_mediation.clientip.UserRateThrottle",
        "shishi_mediation.clientip.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        # Password guessing on the token endpoint, per client address.
        "auth": env.str("API_THROTTLE_AUTH", default="10/min"),
        # The command system may send a burst after an outage.
        "incidents": env.str("API_THROTTLE_INCIDENTS", default="600/min"),
    },
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shishi mediation API",
    "DESCRIPTION": (
        "订单分包 dispute orders: report, dispatch, handle, close; police incident intake.\n\n"
        "Authenticate with `Authorization: Token <token>` (POST /api/v1/auth/token/) or a "
        "browser session. Errors: 400 `{detail, errors}`, 401, 403, 404 (also for orders "
        "outside your scope), 409 `{detail, state}`, 413 (body over 2 MiB), 429."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the vendored drf-spectacular-sidecar assets: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderStateEnum": "disputes.models.State",
        "RiskLevelEnum": "dispatch.models.RiskLevel",
        "ContactMethodEnum": "disputes.models.ContactMethod",
        "UnitKindEnum": "dispatch.models.Unit.Kind",
        "EventKindEnum": "disputes.models.EventKind",
        "OrderSourceEnum": "disputes.models.Source",
        "ReporterSourceEnum": "disputes.models.REPORTER_SOURCES",
        "PausableStageEnum": "disputes.stages.PAUSABLE_CHOICES",
        "OutcomeEnum": "disputes.models.Outcome",
        "ReferralOutcomeEnum": "disputes.models.ReferralOutcome",
        # 隐患排查 (issue 18)
        "LocationSourceEnum": "disputes.models.LocationSource",
        "HazardStateEnum": "hazards.models.HazardState",
        "PhotoStageEnum": "hazards.models.PhotoStage",
        "HazardEventKindEnum": "hazards.models.HazardEventKind",
        "ScreeningOutcomeEnum": "hazards.models.ScreeningOutcome",
        "CareKindEnum": "care.models.CareKind",  # the care register (issue 18)
        "CareAidKindEnum": "care.models.AidKind",
        "TrainingKindEnum": "training.models.Kind",  # issue 18
        "TrainingAttendanceStatusEnum": "training.models.Attendance.Status",
    },
}

# --- Police incidents (警情) ------------------------------------------------------------
# The account `manage.py import_incidents` submits as unless --user says otherwise.
INCIDENT_IMPORT_USERNAME = env.str("INCIDENT_IMPORT_USERNAME", default="command")

# --- Public review page (好差评) --------------------------------------------------------
# Requests per client address and token, and per address over all tokens, in a window.
REVIEW_RATE_PER_TOKEN = env.int("REVIEW_RATE_PER_TOKEN", default=10)
REVIEW_RATE_PER_IP = env.int("REVIEW_RATE_PER_IP", default=60)
REVIEW_RATE_WINDOW_SECONDS = env.int("REVIEW_RATE_WINDOW_SECONDS", default=600)

# --- Joint closing (结单确认) -------------------------------------------------------------
# A party's confirmation link works this long after the closing is proposed (and only
# while the proposal is pending); the public page counts against the review page's limits.
CLOSING_LINK_TTL = timedelta(days=env.int("CLOSING_LINK_TTL_DAYS", default=7))

# --- E-mail ---------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.cn:587, sets backend and host.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
if not PRODUCTION and not env.str("EMAIL_URL", default=""):
    # Development (make run): one file per message under var/mail/, readable at leisure,
    # instead of pages of MIME burying the web server's banner in the terminal.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@shishi-mediation.local")

# --- Logging --------------------------------------------------------------------------
# One line per record on stderr. LOG_FORMAT=json (production's default): one JSON object per
# line with time (Asia/Shanghai), level, logger, message and, when known, the order number
# the line concerns, the request id and the user id (see shishi_mediation/logs.py).
# LOG_FORMAT=plain (development's default): the same fields for a human. Either way, phone
# and ID numbers in a message are masked.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "shishi_mediation.logs.ContextFilter"},
        "mask": {"()": "shishi_mediation.logs.MaskFilter"},
    },
    "formatters": {
        "plain": {"()": "shishi_mediation.logs.PlainFormatter"},
        "json": {"()": "shishi_mediation.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "mask"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (a DEBUG-only console, mail_admins, runserver's) are
        # replaced: its lines go through the handler above like everyone else's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # django-axes logs every login at INFO; its warnings (failures, lockouts) are enough.
        "axes": {"level": env.str("AXES_LOG_LEVEL", default="WARNING")},
        # Tencent's SDK logs whole requests at DEBUG (numbers, a party's review code).
        "tencentcloud_sdk_common": {"level": "INFO"},
        # WeasyPrint logs each step of every agreement PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Production -----------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
