# Two commands on a fresh machine: `make run` and `make test`. Both create .venv and install on first use.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: run test lint bench faults browsers reset messages

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/devstack.py run

test: $(STAMP) browsers
	$(BIN)/python scripts/devstack.py test $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python scripts/devstack.py test benchmarks -p no:cacheprovider -o python_files='bench_*.py' -s

# Fault drills (issue 8): real worker processes killed, servers stopped; each prints what it survived.
faults: $(STAMP)
	$(BIN)/python scripts/devstack.py test benchmarks/faults -p no:cacheprovider -o python_files='fault_*.py' -s

# Browser tests drive the system's Chromium (no tool downloads its own browser).
browsers:
	@bash scripts/ensure_chromium.sh

messages: $(STAMP)
	cd $(CURDIR) && $(BIN)/python manage.py makemessages -l en --no-obsolete && $(BIN)/python manage.py compilemessages -l en

reset: $(STAMP)
	$(BIN)/python scripts/devstack.py reset
