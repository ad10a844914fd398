# Firebell: `make run` starts the bot on SQLite, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run sandbox test test-sqlite test-postgres lint format bench check migrate clean

# The PostgreSQL run uses this server (a fresh database per test is created from it).
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

config/firebell.yml:
	cp config/firebell.example.yml $@
	@echo "Created config/firebell.yml from the example: put your channel and user ids in it."

# With Slack credentials this serves Slack; with none at all it starts the sandbox instead
# (`firebell serve` never does: it refuses without its credentials).
run: $(VENV)/.installed config/firebell.yml
	$(PY) -m bot

# Firebell without Slack: the bot and a stand-in for Slack, at http://127.0.0.1:3000/sandbox
sandbox: $(VENV)/.installed
	$(PY) -m bot sandbox

check: $(VENV)/.installed config/firebell.yml
	$(PY) -m bot check

migrate: $(VENV)/.installed
	$(PY) -m bot migrate

test: test-sqlite test-postgres

test-sqlite: $(VENV)/.installed
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
		echo "Skipping the PostgreSQL run (set PG_TEST_URL to a server to include it)."; \
	fi

format: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(VENV)/.installed
	$(PY) -m bench.ack_latency
	$(PY) -m bench.oncall_timers
	$(PY) -m bench.alert_storm
	$(PY) -m bench.replicas
	$(PY) -m bench.reports

clean:
	rm -rf $(VENV) *.egg-info
