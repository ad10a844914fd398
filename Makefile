# Firebell: `make run` starts the bot on SQLite, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint format bench check migrate clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

config/firebell.yml:
	cp config/firebell.example.yml $@
	@echo "Created config/firebell.yml from the example: put your channel and user ids in it."

run: $(VENV)/.installed config/firebell.yml
	$(PY) -m bot serve

check: $(VENV)/.installed config/firebell.yml
	$(PY) -m bot check

migrate: $(VENV)/.installed
	$(PY) -m bot migrate

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

format: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(VENV)/.installed
	$(PY) -m bench.ack_latency
	$(PY) -m bench.oncall_timers

clean:
	rm -rf $(VENV) *.egg-info
