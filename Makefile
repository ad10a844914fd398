# Firebell: `make run` starts the bot on SQLite, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run sandbox test test-sqlite test-postgres docs docs-check lint format bench check migrate lock clean

# The PostgreSQL run uses this server (a fresh database per test is created from it).
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

# What running needs, at the versions requirements.lock pins (the image installs the same).
$(VENV)/.runtime: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock -e .
	touch $@

# What testing, linting and benchmarking need on top (`make test` installs it).
$(VENV)/.installed: $(VENV)/.runtime
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

config/firebell.yml:
	cp config/firebell.example.yml $@
	@echo "Created config/firebell.yml from the example: put your channel and user ids in it."

# With Slack credentials this serves Slack (config/firebell.yml: `make check` creates it from
# the example and names what to edit); with none at all it starts the sandbox instead, which
# needs no config of yours (`firebell serve` never does: it refuses without its credentials).
run: $(VENV)/.runtime
	$(PY) -m bot

# Firebell without Slack: the bot and a stand-in for Slack, at http://127.0.0.1:3000/sandbox
sandbox: $(VENV)/.runtime
	$(PY) -m bot sandbox

check: $(VENV)/.runtime config/firebell.yml
	$(PY) -m bot check

migrate: $(VENV)/.runtime
	$(PY) -m bot migrate

# requirements.lock again from pyproject.toml's dependencies (not the dev ones), keeping the
# pins that still fit; `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest allowed.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip-tools>=7.4,<8'
	$(PY) -m piptools compile --quiet --strip-extras --no-emit-index-url \
		--no-emit-find-links $(LOCK_FLAGS) --output-file requirements.lock pyproject.toml

test: test-sqlite test-postgres

test-sqlite: $(VENV)/.installed docs-check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

# Everything that touches a database, again on PostgreSQL; skipped with a message when no
# server answers at PG_TEST_URL, unless FIREBELL_REQUIRE_POSTGRES is set (CI sets it). The
# sandbox's browser test runs once, above: the sandbox always runs on its own SQLite file.
test-postgres: $(VENV)/.installed
	@if $(PY) -m tests.support.pg_available "$(PG_TEST_URL)"; then \
		FIREBELL_TEST_DATABASE_URL="$(PG_TEST_URL)" $(PY) -m pytest --ignore=tests/core \
			--ignore=tests/sandbox/test_sandbox_browser.py; \
	elif [ -n "$$FIREBELL_REQUIRE_POSTGRES" ]; then \
		echo "FIREBELL_REQUIRE_POSTGRES is set: failing"; exit 1; \
	else \
		echo "Skipping the PostgreSQL run: no server answers at PG_TEST_URL=$(PG_TEST_URL)."; \
		echo "  It needs a database 'test' that user postgres reaches without a password, e.g."; \
		echo "  docker run -d -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test -p 5432:5432 postgres:15"; \
		echo "  or set PG_TEST_URL to another server (docs/development.md, 'Tests on PostgreSQL')."; \
	fi

# The docs site (docs/, mkdocs.yml) at http://127.0.0.1:8000, rebuilt as you edit.
docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs serve

# The site built as CI builds it: --strict, so a broken link, anchor or include fails.
docs-check: $(VENV)/.installed
	@site=$$(mktemp -d) && trap 'rm -rf "$$site"' EXIT && \
		NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir "$$site"

format: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# bench.targets prints issue #15's figures beside their targets and floors (and exits 1 while
# any is missed); every benchmark runs even when one before it fails, and make fails at the end.
bench: $(VENV)/.installed
	@status=0; for b in targets oncall_timers alert_storm replicas reports audit_verify \
		page_latency outbox_history audit_prune housekeeping overheads crash_soak; do $(PY) -m bench.$$b || status=1; done; exit $$status

clean:
	rm -rf $(VENV) *.egg-info
