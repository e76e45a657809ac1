# install-service: build, run and test.  `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

HOST ?= 127.0.0.1
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
PYTEST_ARGS ?=
BENCH_ARGS ?=
BENCH_ONLY ?=
RUN_EVENT_BENCH_ARGS ?=
CALLBACK_BENCH_ARGS ?=
# Parallel test processes (pytest-xdist): one per core; the e2e tests stay together on one
# worker (their xdist_group), every other test gets its own database. JOBS=0: no workers.
JOBS ?= auto
PYTEST = $(VENV)/bin/python -m pytest -ra $(PYTEST_ARGS)
PYTEST_PARALLEL = $(PYTEST) -n $(JOBS) --dist loadgroup

# Stamps: reinstall only when the dependency declaration is newer than the last install.
VENV_STAMP := $(VENV)/.install.stamp
NPM_STAMP := node_modules/.install.stamp
# The SDK as served (minified, brotli, gzip, source map): rebuilt when its source changes.
SDK_BUILD := build/sdk/manifest.json

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup system-deps browsers run test test-unit test-e2e bench clean

help: ## Show this help
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'
	@echo "  Variables: HOST=$(HOST) PORT=$(PORT) JOBS=$(JOBS) PYTEST_ARGS='$(PYTEST_ARGS)'"

setup: system-deps $(VENV_STAMP) $(NPM_STAMP) $(SDK_BUILD) browsers ## Install system packages (as root), .venv and node_modules

system-deps:
	@scripts/install-system-deps.sh

$(VENV_STAMP): pyproject.toml
	@[[ -x $(VENV)/bin/python ]] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[test]'
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(SDK_BUILD): $(NPM_STAMP) install_service/static/embedded.js install_service/sdk/build.mjs
	npm run --silent build:sdk

# Without a system Chromium the e2e tests use Playwright's own build. Never in CI: there
# only package registries are reachable and Debian's chromium is installed instead.
browsers: $(VENV_STAMP)
	@if [[ "$${CI:-}" != true ]] && ! command -v chromium >/dev/null \
	    && [[ ! -x /usr/lib/chromium/chromium ]]; then \
	    $(VENV)/bin/playwright install chromium; \
	fi

run: setup ## Run the demo server on HOST:PORT
	$(VENV)/bin/install-service demo --host $(HOST) --port $(PORT)

test: setup ## Run all tests (unit, integration, e2e) against a throwaway PostgreSQL
	@mkdir -p artifacts
	scripts/with-postgres.sh $(PYTEST_PARALLEL) --durations=25 tests e2e

test-unit: setup ## Run the unit tests only
	$(PYTEST_PARALLEL) tests/unit

test-e2e: setup ## Run the browser tests only (screenshots in artifacts/)
	@mkdir -p artifacts
	$(PYTEST) e2e

# The P1-P8 suite (bench/suite.py) against its own servers and a throwaway PostgreSQL.
# BENCH_ONLY=P1,P3 runs a subset; BENCH_ARGS=--quick a smoke run with small sizes;
# RUN_EVENT_BENCH_ARGS and CALLBACK_BENCH_ARGS go to bench/run_event.py and bench/callback.py.
bench: setup ## Run the benchmark suite P1-P8 (BENCH_ONLY=P1,P3, BENCH_ARGS=--quick; writes bench/results.md)
	scripts/with-postgres.sh env PYTHONPATH=$(CURDIR) BENCH_ONLY=$(BENCH_ONLY) \
	    $(VENV)/bin/python bench/suite.py $(BENCH_ARGS) \
	    --run-event-args '$(RUN_EVENT_BENCH_ARGS)' --callback-args '$(CALLBACK_BENCH_ARGS)'

clean: ## Remove runtime state and test artifacts (var/, artifacts/)
	rm -rf var artifacts
