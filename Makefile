# The two commands of the README: `make run` and `make test`.
PYTHON := $(shell bin/find-python)
VENV := .venv
PY := $(VENV)/bin/python
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/portal

.PHONY: run run-prod test test-postgres test-calendar browser lint messages bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is required (see above)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	@touch $@

.env:
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is required (see above)."; exit 1; }
	$(PYTHON) bin/make-env > .env

## run: install, migrate, load the demo data, start the web server and a worker
run: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_portal
	$(PY) manage.py load_demo
	bin/run-demo

## run-prod: the production shape on this machine (local PostgreSQL and Redis): 2 web, 2 workers
run-prod: $(VENV)/.installed
	bin/run-prod

## test: the whole suite on SQLite, browser tests included
test: $(VENV)/.installed browser
	$(VENV)/bin/pytest

## test-postgres: the whole suite again on PostgreSQL (POSTGRES_URL)
test-postgres: $(VENV)/.installed browser
	DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest

## test-calendar: the suite (browser tests apart: they pin their own clock) on the days that
## break date arithmetic: mid-month, the 1st, and from the last minutes of a month (and year) across Shanghai's midnight
CALENDAR := 2027-01-15T12:00:00+08:00 2027-02-28T23:58:30+08:00 2027-03-01T00:00:30+08:00 2027-12-31T23:58:30+08:00
test-calendar: $(VENV)/.installed
	@for moment in $(CALENDAR); do \
		echo "== clock from $$moment"; \
		PORTAL_TEST_NOW=$$moment $(VENV)/bin/pytest -q -m "not browser" || exit 1; \
	done

browser:
	@bin/ensure-chromium

## lint: ruff, and the import contracts of pyproject.toml (no import runs back down the stack)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

## messages: recompile the English catalogue after editing locale/en/LC_MESSAGES/django.po
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l en --no-obsolete --ignore '.venv/*' --ignore 'artifacts/*'
	$(PY) manage.py compilemessages -l en --ignore .venv

## bench: the benchmarks (PostgreSQL and Redis on 127.0.0.1, wrk); figures go in docs/PERFORMANCE.md
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || { echo "wrk is needed (Debian: apt-get install wrk)"; exit 1; }
	$(PY) bench/link_endpoint.py --write-through
	$(PY) bench/rebate_orders_page.py
	$(PY) bench/events_ingest.py
	$(PY) bench/redecision_history.py
	$(PY) bench/payout_export.py
	$(PY) -m bench.settlement

## soak: the soak test of the production shape, long form (16 min of load; PostgreSQL and Redis on 127.0.0.1)
.PHONY: soak
soak: $(VENV)/.installed
	$(PY) -m tests.system.soak --long
