"""Mixed workload of the demo's real roles (issue 8), for locust.

Run by ``loadtest/run`` (headless, fixed users, fixed time); it also works against any
seeded server (``make run``): ``locust -f loadtest/locustfile.py --host
http://127.0.0.1:8000 --headless -u 19 -r 19 -t 60s``.

Who does what (demo logins from ``manage.py seed_demo``, password demo12345):

* **Reporter** (community police ``police`` ×2, ``police_fl`` ×2): reports orders through
  the REST API (``POST /api/v1/orders/``) and through the web form (``GET`` then ``POST
  /report/``, session and CSRF), looks at "my reports" and at one of its orders.
* **Dispatcher** (``center`` ×4 for 湖滨, ``center_fl`` ×2 for 凤里): lists and filters orders
  (API), views the live board (HTML, and its htmx refresh), the dispatch queue (HTML),
  an order (API), open escalations (API), and dispatches a reported order (API) to the
  unit whose handler is a load-test user.
* **Handler** (``police`` ×2 and the unit head ``head`` of 湖滨派出所, ``police_fl`` ×2 of
  凤里派出所, the directors of three mediation committees ``committee`` 曾坑, ``yuhu`` 玉湖,
  ``xinhua`` 新华): its unit's list (HTML ``/handling/``), an order (API and HTML page),
  the timeline and unread notifications (API), signs a dispatched order and records the
  contact of an order it signed itself (API; signing names the signer as the assignee).
* **Supervisor** (``supervisor``): the monthly report (API JSON and the HTML page), the
  overview page, open escalations.

API calls use a token (``Authorization: Token …``), fetched once per demo login at test
start (the token endpoint allows 10 calls a minute per address); HTML pages use a session
opened by each simulated user through the login form.

The rate is fixed: a fixed number of users per class (``fixed_count``) each running its
tasks at ``constant_throughput`` (tasks per second, scaled by ``LOAD_PACE``). Every
response whose status is not the expected one is a failure in locust's statistics. A 409
on a race that the workload provokes on purpose (two users of one unit signing the same
order, two dispatchers of one street dispatching the same order, two handlers recording
the same contact) is expected and counted apart, by name, in the outcome file
(``LOAD_OUTCOMES``, JSON) that ``loadtest/summary.py`` reads.
"""

from __future__ import annotations

import copy
import json
import os
import random
import threading
import time
from collections import Counter, deque
from datetime import datetime, timedelta, timezone

import requests
from locust import HttpUser, constant_throughput, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "demo12345")
PACE = float(os.environ.get("LOAD_PACE", "1.0"))
OUTCOMES_PATH = os.environ.get("LOAD_OUTCOMES", "")
STEPPED = os.environ.get("LOAD_MODE", "fixed") == "stepped"  # see the end of this file
SHANGHAI = timezone(timedelta(hours=8))

# (request name, classification) → count. Classifications: "ok", "expected 409 …",
# "unexpected <status>". Written at the end of the test.
OUTCOMES: Counter = Counter()
# 5xx and connection errors, with the X-Request-ID the server logged them under.
SERVER_ERRORS: list[dict] = []

# Filled once at test start (not counted in the statistics).
CATALOG: dict = {}
TOKENS: dict[str, str] = {}
# Stepped mode: the session cookies of each demo login, opened once at test start and
# shared by all its users (a login costs ~0.4 s of a quiet CPU in the password hasher;
# the 19 new users of every step logging in again would measure the hasher).
SESSIONS: dict[str, list] = {}
_token_lock = threading.Lock()


def _results(body):
    return body["results"] if isinstance(body, dict) and "results" in body else body


@events.test_start.add_listener
def load_catalog(environment, **_kwargs):
    """Ids the workload needs (categories, communities per street, units), read from the
    API as the dispatcher once, before any user starts."""
    host = environment.host.rstrip("/")
    token = token_for(host, "center")
    headers = {"Authorization": f"Token {token}"}

    def get(path):
        r = requests.get(host + path, headers=headers, timeout=30)
        r.raise_for_status()
        return _results(r.json())

    categories = [c for c in get("/api/v1/categories/") if c["code"] != "crisis"]
    communities = get("/api/v1/areas/?level=community")
    units = {u["name"]: u["id"] for u in get("/api/v1/units/")}
    by_street: dict[str, list[dict]] = {"HB": [], "FL": []}
    for c in communities:
        street = c["path"].split("/")[1]
        if street in by_street:
            by_street[street].append(c)
    CATALOG.update(
        categories=[c["id"] for c in categories],
        communities=by_street,
        units=units,
        # Which unit each street's dispatcher sends an order to: a community's own
        # mediation committee where a load-test handler sits there, else the station.
        route={
            "HB": {
                "ZK": units["曾坑社区人民调解委员会"],
                "YH": units["玉湖社区人民调解委员会"],
                None: units["湖滨派出所"],
            },
            "FL": {"XH": units["新华社区人民调解委员会"], None: units["凤里派出所"]},
        },
        handler_unit={
            "police": units["湖滨派出所"],
            "head": units["湖滨派出所"],
            "committee": units["曾坑社区人民调解委员会"],
            "yuhu": units["玉湖社区人民调解委员会"],
            "police_fl": units["凤里派出所"],
            "xinhua": units["新华社区人民调解委员会"],
        },
    )


def token_for(host: str, username: str) -> str:
    """The demo login's API token (one call to the token endpoint per login)."""
    with _token_lock:
        if username not in TOKENS:
            r = requests.post(
                host.rstrip("/") + "/api/v1/auth/token/",
                data={"username": username, "password": PASSWORD},
                timeout=60,
            )
            r.raise_for_status()
            TOKENS[username] = r.json()["token"]
        return TOKENS[username]


@events.quitting.add_listener
def write_outcomes(environment, **_kwargs):
    if not OUTCOMES_PATH:
        return
    rows = [
        {"name": name, "outcome": outcome, "count": count}
        for (name, outcome), count in sorted(OUTCOMES.items())
    ]
    with open(OUTCOMES_PATH, "w", encoding="utf-8") as f:
        json.dump(
            {"outcomes": rows, "server_errors": SERVER_ERRORS}, f, ensure_ascii=False, indent=1
        )


def this_month() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m")


class Role(HttpUser):
    """Shared plumbing: a demo login, its token, a session for the HTML pages, and one
    request helper that classifies every response."""

    abstract = True
    logins: tuple[str, ...] = ()
    pace = 1.0  # tasks per second per user, before LOAD_PACE
    web_login = True
    _next_login: Counter = Counter()

    def on_start(self):
        cls = type(self)
        with _token_lock:
            i = Role._next_login[cls.__name__]
            Role._next_login[cls.__name__] += 1
        self.username = cls.logins[i % len(cls.logins)]
        self.token = token_for(self.host, self.username)
        self.api_headers = {"Authorization": f"Token {self.token}"}
        self.seen: deque[int] = deque(maxlen=50)  # order ids this user saw in lists
        if self.web_login:
            if STEPPED and self.username in SESSIONS:
                for cookie in SESSIONS[self.username]:  # with their domain: no duplicates
                    self.client.cookies.set_cookie(copy.copy(cookie))
            else:
                self.login()
                SESSIONS[self.username] = list(self.client.cookies)

    # --- requests ----------------------------------------------------------------------

    def call(self, method, path, *, name, expect=(200,), races=(), api=True, **kwargs):
        """One request. ``expect``: the statuses that mean success; ``races``: statuses
        that are an expected race (counted apart, not a failure). Anything else is a
        failure named by its status (and the API's detail, shortened)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if api:
            headers.update(self.api_headers)
        with self.client.request(
            method,
            path,
            name=name,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
            **kwargs,
        ) as r:
            status = r.status_code
            if status in expect:
                OUTCOMES[(name, "ok")] += 1
                r.success()
            elif status in races:
                OUTCOMES[(name, f"expected {status} (race: another user acted first)")] += 1
                r.success()
            else:
                if status == 0 or status >= 500:
                    what = (
                        f"HTTP {status}"
                        if status
                        else f"connection error: {type(r.error).__name__}"
                    )
                    if len(SERVER_ERRORS) < 200:
                        SERVER_ERRORS.append(
                            {
                                "at": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
                                "name": name,
                                "path": path,
                                "status": status,
                                "request_id": r.headers.get("X-Request-ID", ""),
                            }
                        )
                else:
                    detail = ""
                    try:
                        detail = str(r.json().get("detail", ""))[:60]
                    except Exception:  # noqa: BLE001 - an HTML page or no body
                        location = r.headers.get("Location", "")
                        detail = f"-> {location}" if location else ""
                    what = f"HTTP {status} {detail}".strip()
                OUTCOMES[(name, f"unexpected {status}")] += 1
                r.failure(what)
            return r

    def api_list(self, query: str, name="GET /api/v1/orders/ (list)") -> list[dict]:
        r = self.call("GET", f"/api/v1/orders/?{query}", name=name)
        if r.status_code != 200:
            return []
        rows = r.json().get("results", [])
        self.seen.extend(o["id"] for o in rows)
        return rows

    def page(self, path, name, headers=None):
        return self.call("GET", path, name=name, api=False, headers=headers)

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def login(self):
        """The login form: GET sets the CSRF cookie, POST answers 302 on success."""
        self.page("/accounts/login/", "GET /accounts/login/")
        self.call(
            "POST",
            "/accounts/login/",
            name="POST /accounts/login/",
            expect=(302,),
            api=False,
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.csrf(),
            },
        )

    def some_order(self) -> int | None:
        return random.choice(self.seen) if self.seen else None


def street_of(username: str) -> str:
    return "FL" if username.endswith("_fl") else "HB"


class Reporter(Role):
    """A community police officer reporting disputes from the street."""

    logins = ("police", "police_fl", "police", "police_fl")
    fixed_count = 4
    pace = 0.5
    wait_time = constant_throughput(pace * PACE)

    def report_data(self) -> dict:
        """A new dispute: its own address and party names (``n``), so the repeat radar
        (issue 17) finds no earlier one and a medium risk stays yellow, never red (a red
        order is dispatched only with a 包案 leader, which this workload does not name)."""
        community = random.choice(CATALOG["communities"][street_of(self.username)])
        n = random.randint(10**8, 10**9 - 1)
        return {
            "title": f"压测报单 {community['name']} {n}",
            "narrative": f"{community['name']}居民反映纠纷（负载测试 {n}），请尽快处理。",
            "category": random.choice(CATALOG["categories"]),
            "community": community["id"],
            "risk_level": random.choice(["low", "low", "medium"]),
            "address": f"{community['name']}{n}号",
            "phone": f"139{random.randint(0, 99999999):08d}",
            "n": n,
        }

    @task(3)
    def report_api(self):
        d = self.report_data()
        body = {k: d[k] for k in ("title", "narrative", "category", "community", "risk_level")} | {
            "address": d["address"],
            "parties": [
                {"name": f"陈某{d['n']}", "role": "applicant", "phone": d["phone"]},
                {"name": f"林某{d['n']}", "role": "respondent"},
            ],
        }
        r = self.call(
            "POST",
            "/api/v1/orders/",
            name="POST /api/v1/orders/ (report)",
            expect=(201,),
            json=body,
        )
        if r.status_code == 201:
            self.seen.append(r.json()["id"])

    @task(2)
    def report_web(self):
        self.page("/report/", "GET /report/ (form)")
        d = self.report_data()
        r = self.call(
            "POST",
            "/report/",
            name="POST /report/ (form)",
            expect=(302,),
            api=False,
            data={
                "csrfmiddlewaretoken": self.csrf(),
                "category": d["category"],
                "community": d["community"],
                "address": d["address"],
                "risk_level": d["risk_level"],
                "narrative": d["narrative"],
                "title": "",
                "source": "patrol",
                "parties-TOTAL_FORMS": "1",
                "parties-INITIAL_FORMS": "0",
                "parties-MIN_NUM_FORMS": "1",
                "parties-MAX_NUM_FORMS": "20",
                "parties-0-name": f"王某{d['n']}",
                "parties-0-role": "applicant",
                "parties-0-phone": d["phone"],
            },
        )
        location = r.headers.get("Location", "")
        if r.status_code == 302 and location.startswith("/orders/"):
            self.seen.append(int(location.strip("/").split("/")[-1]))

    @task(2)
    def my_reports(self):
        self.page("/my-reports/", "GET /my-reports/")

    @task(2)
    def my_order(self):
        pk = self.some_order()
        if pk:
            self.call("GET", f"/api/v1/orders/{pk}/", name="GET /api/v1/orders/[id]/")
        else:
            self.api_list("page_size=10")


class Dispatcher(Role):
    """The street center's dispatcher: queue, board, search, dispatch."""

    logins = ("center", "center_fl", "center", "center", "center_fl", "center")
    fixed_count = 6
    pace = 1.2
    wait_time = constant_throughput(pace * PACE)

    FILTERS = (
        "state=reported",
        "overdue=true",
        "state=dispatched&state=signed",
        "risk_level=medium",
        "state=contacted",
        "q=%E7%BA%A0%E7%BA%B7",  # 纠纷
        "source=patrol",
    )

    def on_start(self):
        super().on_start()
        self.street = street_of(self.username)
        self.api_list("page_size=25")

    @task(4)
    def search(self):
        query = random.choice(self.FILTERS)
        if random.random() < 0.3:
            community = random.choice(CATALOG["communities"][self.street])
            query = f"community={community['id']}"
        self.api_list(f"{query}&page_size=25")

    @task(3)
    def board(self):
        self.page("/board/", "GET /board/")

    @task(2)
    def board_refresh(self):
        # The board's htmx poll (every BOARD_REFRESH_SECONDS): the fragment only.
        self.page("/board/", "GET /board/ (htmx refresh)", headers={"HX-Request": "true"})

    @task(1)
    def queue(self):
        self.page("/queue/", "GET /queue/")

    @task(2)
    def detail(self):
        pk = self.some_order()
        if pk:
            self.call("GET", f"/api/v1/orders/{pk}/", name="GET /api/v1/orders/[id]/")

    @task(1)
    def escalations(self):
        self.call(
            "GET", "/api/v1/escalations/?open=true", name="GET /api/v1/escalations/?open=true"
        )

    @task(3)
    def dispatch(self):
        waiting = self.api_list("state=reported&page_size=10")
        if not waiting:
            return
        order = random.choice(waiting)
        routes = CATALOG["route"][self.street]
        lead = routes.get(order["community"]["code"], routes[None])
        self.call(
            "POST",
            f"/api/v1/orders/{order['id']}/dispatch/",
            name="POST /api/v1/orders/[id]/dispatch/",
            races=(409,),
            json={"lead_unit": lead, "note": "负载测试派单"},
        )


class Handler(Role):
    """A handler of the lead unit: its list, orders, signing and the contact record."""

    logins = ("police", "committee", "police_fl", "head", "yuhu", "police", "xinhua", "police_fl")
    fixed_count = 8
    pace = 1.2
    wait_time = constant_throughput(pace * PACE)

    def on_start(self):
        super().on_start()
        self.unit = CATALOG["handler_unit"][self.username]
        self.api_list(f"unit={self.unit}&page_size=25")

    @task(3)
    def handling(self):
        self.page("/handling/", "GET /handling/")

    @task(2)
    def detail_api(self):
        pk = self.some_order()
        if pk:
            self.call("GET", f"/api/v1/orders/{pk}/", name="GET /api/v1/orders/[id]/")

    @task(2)
    def detail_page(self):
        pk = self.some_order()
        if pk:
            self.page(f"/orders/{pk}/", "GET /orders/[id]/")

    @task(1)
    def timeline(self):
        pk = self.some_order()
        if pk:
            self.call(
                "GET", f"/api/v1/orders/{pk}/timeline/", name="GET /api/v1/orders/[id]/timeline/"
            )

    @task(1)
    def notifications(self):
        self.call(
            "GET",
            "/api/v1/notifications/?unread=true",
            name="GET /api/v1/notifications/?unread=true",
        )

    @task(3)
    def sign(self):
        waiting = self.api_list(f"state=dispatched&unit={self.unit}&page_size=10")
        if waiting:
            order = random.choice(waiting)
            self.call(
                "POST",
                f"/api/v1/orders/{order['id']}/sign/",
                name="POST /api/v1/orders/[id]/sign/",
                races=(409,),
            )

    @task(2)
    def contact(self):
        # Signing names the signer as the assignee; only that person records the contact
        # (a colleague gets 403 "此订单已指定其他责任人"), so pick one's own signed orders.
        signed = [
            o
            for o in self.api_list(f"state=signed&unit={self.unit}&page_size=25")
            if (o.get("assignee") or {}).get("username", self.username) == self.username
        ]
        if signed:
            order = random.choice(signed)
            self.call(
                "POST",
                f"/api/v1/orders/{order['id']}/contact/",
                name="POST /api/v1/orders/[id]/contact/",
                races=(409,),
                json={"method": random.choice(["phone", "visit"]), "note": "已电话联系双方"},
            )


class Supervisor(Role):
    """The city supervisor: the monthly report, the overview, escalations."""

    logins = ("supervisor",)
    fixed_count = 1
    pace = 0.25
    wait_time = constant_throughput(pace * PACE)

    @task(2)
    def monthly_api(self):
        self.call(
            "GET",
            f"/api/v1/reports/monthly/?month={this_month()}",
            name="GET /api/v1/reports/monthly/",
        )

    @task(1)
    def monthly_page(self):
        self.page(f"/reports/monthly/?month={this_month()}", "GET /reports/monthly/")

    @task(1)
    def overview(self):
        self.page("/overview/", "GET /overview/")

    @task(1)
    def escalations(self):
        self.call(
            "GET", "/api/v1/escalations/?open=true", name="GET /api/v1/escalations/?open=true"
        )


# --- Stepped mode (issue 19): LOAD_MODE=stepped -------------------------------------------
# After LOAD_SETTLE_SECONDS of unmeasured warm-up, the offered rate rises by
# LOAD_STEP_RATE mixed requests per second every LOAD_STEP_SECONDS until a step's p95
# exceeds LOAD_P95_MS or anything fails (an unexpected status, a 5xx, a connection error,
# an exception in a user); the highest passing rate is then held for LOAD_HOLD_SECONDS
# (after LOAD_SETTLE_SECONDS whose latencies are not measured), and if the hold fails, one
# step lower is held once more. A step's latencies and rate are measured after its first
# LOAD_RAMP_SECONDS (a quarter of the step, at most 10 s, while its new users start), its
# errors from its start. The rate is set by locust itself: a LoadTestShape sets the user
# count, in whole "crews" of the fixed mix (Reporter 4, Dispatcher 6, Handler 8, Supervisor
# 1), each user paced by constant_throughput so that one crew offers LOAD_STEP_RATE req/s.
# Each step's figures are written to LOAD_STEPS (JSON) as it ends; loadtest/summary.py
# prints them.
ROLES = (Reporter, Dispatcher, Handler, Supervisor)
CREW = sum(cls.fixed_count for cls in ROLES)  # 19 users
# A crew at pace 1 runs 19.05 tasks/s, about 1.25 requests a task (measured in fixed runs).
CREW_RPS_AT_PACE_1 = 19.05 * 1.25

if STEPPED:
    from locust import LoadTestShape

    STEP_RATE = float(os.environ.get("LOAD_STEP_RATE", "10"))
    STEP_SECONDS = int(os.environ.get("LOAD_STEP_SECONDS", "60"))
    HOLD_SECONDS = int(os.environ.get("LOAD_HOLD_SECONDS", "300"))
    SETTLE_SECONDS = int(os.environ.get("LOAD_SETTLE_SECONDS", "10"))
    # The first seconds of a step, while its new users log in, count errors but no times.
    RAMP_SECONDS = float(os.environ.get("LOAD_RAMP_SECONDS", str(min(10, STEP_SECONDS // 4))))
    START_CREWS = max(1, round(float(os.environ.get("LOAD_START_RATE", "10")) / STEP_RATE))
    MAX_CREWS = max(START_CREWS, int(float(os.environ.get("LOAD_MAX_RATE", "300")) / STEP_RATE))
    P95_LIMIT_MS = float(os.environ.get("LOAD_P95_MS", "300"))
    STEPS_PATH = os.environ.get("LOAD_STEPS", "")

    # Each user's pace (tasks/s) is scaled so that one crew offers STEP_RATE req/s; the
    # mix is kept by weights (locust spreads a multiple of 19 users 4:6:8:1 exactly).
    for _cls in ROLES:
        _cls.weight, _cls.fixed_count = _cls.fixed_count, 0
        _cls.wait_time = constant_throughput(_cls.pace * STEP_RATE / CREW_RPS_AT_PACE_1)
    del _cls  # locust takes every User class among the module's names: no second one

    class Window:
        """What completed during one phase: response times (ms) after the ramp, failures
        by kind from its start."""

        def __init__(self, phase: str, crews: int, ramp: float = 0.0):
            self.phase, self.crews = phase, crews
            self.times: list[float] = []
            self.errors: Counter = Counter()
            self.started = time.monotonic() + ramp  # times are measured from here

        def row(self) -> dict:
            seconds = time.monotonic() - self.started
            times = sorted(self.times)

            def pct(p: float) -> float | None:
                return round(times[min(len(times) - 1, int(p * len(times)))], 1) if times else None

            return {
                "phase": self.phase,
                "offered_rps": self.crews * STEP_RATE,
                "users": self.crews * CREW,
                "seconds": round(seconds, 1),
                "requests": len(times),
                "achieved_rps": round(len(times) / seconds, 2) if seconds else 0.0,
                "p50_ms": pct(0.50),
                "p95_ms": pct(0.95),
                "p99_ms": pct(0.99),
                "errors": sum(self.errors.values()),
                "error_kinds": dict(self.errors.most_common(5)),
                "load1": round(os.getloadavg()[0], 2),
                "passed": bool(times) and not self.errors and (pct(0.95) or 0) <= P95_LIMIT_MS,
            }

    SESSIONS_OPEN = threading.Event()

    @events.test_start.add_listener
    def open_sessions(environment, **_kwargs):
        """One web session per demo login, through the login form, before any user starts
        (not counted, like the API tokens)."""
        host = environment.host.rstrip("/")
        for username in sorted({name for cls in ROLES if cls.web_login for name in cls.logins}):
            with requests.Session() as session:
                session.get(host + "/accounts/login/", timeout=60).raise_for_status()
                r = session.post(
                    host + "/accounts/login/",
                    data={
                        "username": username,
                        "password": PASSWORD,
                        "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
                    },
                    allow_redirects=False,
                    timeout=60,
                )
                if r.status_code != 302:
                    raise RuntimeError(f"could not log in as {username}: HTTP {r.status_code}")
                SESSIONS[username] = list(session.cookies)
        SESSIONS_OPEN.set()

    WINDOW = Window("start", START_CREWS)
    STEPS: list[dict] = []
    HELD: dict = {}

    @events.user_error.add_listener
    def count_user_error(user_instance, exception, tb, **_kwargs):
        WINDOW.errors[f"{type(user_instance).__name__}: {exception!r}"[:120]] += 1

    @events.request.add_listener
    def count_in_window(response_time, name, exception=None, **_kwargs):
        if time.monotonic() >= WINDOW.started:
            WINDOW.times.append(response_time)
        if exception is not None:
            WINDOW.errors[f"{name}: {exception}"[:120]] += 1

    def save_steps() -> None:
        if STEPS_PATH:
            settings = {
                "step_rate": STEP_RATE,
                "step_seconds": STEP_SECONDS,
                "hold_seconds": HOLD_SECONDS,
                "settle_seconds": SETTLE_SECONDS,
                "ramp_seconds": RAMP_SECONDS,
                "start_rate": START_CREWS * STEP_RATE,
                "max_rate": MAX_CREWS * STEP_RATE,
                "p95_limit_ms": P95_LIMIT_MS,
            }
            with open(STEPS_PATH, "w", encoding="utf-8") as f:
                json.dump(
                    {"settings": settings, "steps": STEPS, "held": HELD},
                    f,
                    ensure_ascii=False,
                    indent=1,
                )

    class SteppedRate(LoadTestShape):
        """Step up until a step fails, hold the highest passing rate, step down once."""

        def __init__(self):
            super().__init__()
            self.crews, self.best, self.stepped_down = START_CREWS, 0, False
            self.phase, self.since = "warmup", 0.0

        def begin(self, phase: str, now: float) -> None:
            global WINDOW
            self.phase, self.since = phase, now
            settled = WINDOW.errors if phase == "hold" else Counter()
            WINDOW = Window(phase, self.crews, RAMP_SECONDS if phase == "step" else 0.0)
            WINDOW.errors.update(settled)  # an error while settling fails the hold

        def close(self) -> dict:
            STEPS.append(WINDOW.row())
            save_steps()
            return STEPS[-1]

        def tick(self):
            now = self.get_run_time()
            if WINDOW.phase == "start":
                # The first step starts once the test-start logins are done (they run
                # inside locust's start, after this shape's first answer).
                if not SESSIONS_OPEN.is_set():
                    return self.crews * CREW, self.crews * CREW
                self.begin("warmup", now)  # the servers' first requests, unmeasured
            elapsed = now - self.since
            if self.phase == "warmup" and elapsed >= SETTLE_SECONDS:
                self.begin("step", now)
                elapsed = 0.0
            if self.phase == "step" and elapsed >= STEP_SECONDS:
                if self.close()["passed"]:
                    self.best = self.crews
                if STEPS[-1]["passed"] and self.crews < MAX_CREWS:
                    self.crews += 1
                    self.begin("step", now)
                elif self.best:
                    self.crews = self.best
                    self.begin("settle", now)
                else:
                    self.phase = "done"
            elif self.phase == "settle" and elapsed >= SETTLE_SECONDS:
                self.begin("hold", now)
            elif self.phase == "hold" and elapsed >= HOLD_SECONDS:
                row = self.close()
                if row["passed"]:
                    HELD.update(row)
                    save_steps()
                    self.phase = "done"
                elif not self.stepped_down and self.crews > 1:
                    self.crews -= 1
                    self.stepped_down = True
                    self.begin("settle", now)
                else:
                    self.phase = "done"
            if self.phase == "done":
                return None
            return self.crews * CREW, max(CREW, self.crews * CREW)
