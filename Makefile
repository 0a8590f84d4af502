# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1
export PORT HOST

.PHONY: run test install migrate demo lint format messages clean bench loadtest upgrade-check

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	@echo ""
	@echo "  Shishi mediation: http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo logins, password demo12345:"
	@echo "    center      dispatcher, 湖滨街道多元调处中心"
	@echo "    police      handler and reporter, 湖滨派出所"
	@echo "    committee   handler, 曾坑社区人民调解委员会"
	@echo "    head        unit head, 湖滨派出所"
	@echo "    supervisor  city supervisor"
	@echo "    duty        command room (石狮市公安局指挥中心): the incident desk"
	@echo "    minnan      闽南话 volunteer, 石狮市志愿者协会: only the orders she is invited to"
	@echo "    grid        grid worker, 曾坑社区: reports orders, hazards and screening visits"
	@echo "    housing     住建局: rectifies the housing hazards routed to it"
	@echo "    admin       superuser"
	@echo "  Web, Celery worker and beat run together; Ctrl-C stops all three."
	@echo "  E-mails the demo sends are kept as files in var/mail/."
	@echo ""
	@$(PY) manage.py make_vapid_keys --env-file var/webpush-vapid.env --subject mailto:admin@localhost
	$(VENV)/bin/honcho start

# With DATABASE_URL / REDIS_URL set, the suite runs against real PostgreSQL and Redis.
# pytest exits 5 when no test ran; make treats that as a failure like any other.
# The suite runs on every core (pytest-xdist, one test database per worker);
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: install
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks at scale against PostgreSQL and django-helpdesk (issue 7); local only, as root.
# `make bench SCALE=10000` takes about a minute; the default 1,000,000 see docs/PERFORMANCE.md.
SCALE ?= 1000000
bench: install
	SCALE=$(SCALE) bash bench/run

# Upgrade in place (bin/upgrade-check): a database built by UPGRADE_FROM's code migrates to
# this checkout with nothing lost. SQLite unless DATABASE_URL names a PostgreSQL server.
# The tables added on purpose since UPGRADE_FROM (a new table loses nothing; an unlisted
# one fails the check, so each is a decision): issue 14's profile phone, push devices,
# channel preferences, the SMS outbox and the Idempotency-Key store.
UPGRADE_FROM ?= b93634c
UPGRADE_NEW_TABLES ?= dispatch_profile notifications_pushsubscription \
	notifications_notificationpreference notifications_smsmessage idempotency_idempotencykey \
	disputes_duty disputes_assistance disputes_clockpause disputes_returnrequest \
	disputes_directive disputes_closingproposal disputes_partyconfirmation \
	disputes_referralresult disputes_scheduledvisit supervision_bulletinissue \
	supervision_bulletinstanding disputes_incidentresultmessage \
	care_caresubject care_carevisit care_careaid care_carevisitinterval \
	deadlines_deadline disputes_invitation alliance_volunteerprofile alliance_jointactivity \
	alliance_jointactivity_members alliance_jointactivity_units hazards_hazard \
	hazards_hazardcategory hazards_hazardevent hazards_hazardphoto hazards_hazardroute \
	hazards_screeningvisit hazards_screeningvisit_checked training_attendance \
	training_trainingsession training_unitheadcount
# The report's roll-ups gained colour counts (supervision 0005 empties the cache; the
# nightly refresh or `manage.py refresh_report_rollups` rebuilds it); one alarm per
# stage became one per clock (a duty's too).
UPGRADE_EMPTIED_TABLES ?= rollups_monthlyrollup
UPGRADE_DROPPED_INDEXES ?= alarm_one_per_stage
# The ranking is by the fair, volume-aware score since issue 16 (docs/REPORTS.md); every
# figure is still compared.
UPGRADE_CHANGED_REPORT ?= .json.ranking
upgrade-check: install
	bash bin/upgrade-check $(foreach t,$(UPGRADE_NEW_TABLES),--allow-new-table $(t)) \
		$(foreach t,$(UPGRADE_EMPTIED_TABLES),--allow-emptied-table $(t)) \
		$(foreach t,$(UPGRADE_DROPPED_INDEXES),--allow-dropped-index $(t)) \
		$(foreach t,$(UPGRADE_CHANGED_REPORT),--allow-changed-report $(t)) $(UPGRADE_FROM)

# Load test (issue 8): gunicorn + PostgreSQL + Redis + Celery on loopback, locust for
# LOAD_SECONDS (default 600) at a fixed rate; local only, as root. See docs/RELIABILITY.md.
loadtest: install
	bash loadtest/run

# Refresh the English catalogue after adding strings (msgids are the Chinese source text);
# translate the new entries in locale/en/LC_MESSAGES/django.po, then compile. The .mo is
# committed so a fresh machine needs no gettext.
messages: install
	$(PY) manage.py makemessages -l en --no-obsolete --ignore='tests/*' --ignore='bench/*' --ignore='.venv/*'
	msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles
