# ledgerbridge: every target sets up what it needs (uv, the virtual environment, packages).
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
export UV_PYTHON_PREFERENCE := only-system
# The interpreter itself, not a shim in front of it: uv rebuilds a venv whose interpreter differs.
export UV_PYTHON := $(shell $(PYTHON) -c "import sys; print(sys.executable)")
DATA ?= .ledgerbridge

.PHONY: help setup browser demo test lint format bench clean

help:
	@echo "make demo   - seed the Zoho CRM and Xero sandbox, sync both ways, serve until Ctrl-C"
	@echo "make test   - the whole test suite (SQLite and PostgreSQL)"
	@echo "make lint   - ruff and mypy (strict)"
	@echo "make bench  - benchmarks; figures go to bench/results/"
	@echo "make reliability - sync processes killed at random moments (SQLite and PostgreSQL)"
	@echo "make load   - 50 integrations, two PostgreSQL workers and the web app under load"

$(UV):
	$(PYTHON) -m pip install --user --quiet uv || $(PYTHON) -m pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups
	@touch $@

setup: .venv/.synced

# Run from the environment `setup` synced: a `uv run` here would sync (and may rebuild) it again.
demo: setup
	LEDGERBRIDGE_DATA_DIR=$(DATA) .venv/bin/ledgerbridge demo $(DEMO_ARGS)

# Browser tests drive Debian's chromium; install it when missing and we may (root), else say how.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; \
	  else echo "the browser tests need chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

test: setup browser
	$(UV) run --frozen pytest -q -p no:cacheprovider -n 2

lint: setup
	$(UV) run --frozen ruff check src tests bench
	$(UV) run --frozen ruff format --check src tests bench
	$(UV) run --frozen mypy

format: setup
	$(UV) run --frozen ruff format src tests bench
	$(UV) run --frozen ruff check --fix src tests bench

bench: setup
	$(UV) run --frozen python bench/engine.py

reliability: setup
	$(UV) run --frozen python bench/reliability.py

load: setup
	$(UV) run --frozen python bench/load.py

clean:
	rm -rf .venv $(DATA) .pytest_cache .mypy_cache .ruff_cache
