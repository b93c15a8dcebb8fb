# Tercero — two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# The first Python >= 3.12 found on this machine (Django 6 needs it).
PYTHON ?= $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.12 /usr/bin/python3.13; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export DJANGO_SETTINGS_MODULE := tercero.config.settings

.PHONY: run test lint lint-style install install-dev lock serve clean system-packages

$(BIN)/uv:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (python3.12 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed-main: requirements/main.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements/main.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-dev; touch $@

$(VENV)/.installed-dev: requirements/dev.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements/dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-main; touch $@

install: $(VENV)/.installed-main
install-dev: $(VENV)/.installed-dev

## make run: install, migrate the embedded SQLite database, load the demo, serve on :8000
run: $(if $(wildcard $(VENV)/.installed-dev),install-dev,install)
	$(BIN)/tercero migrate --no-input
	$(BIN)/tercero demo
	$(BIN)/tercero serve --bind 127.0.0.1:8000

## make test: lint, layer contract, tests on SQLite and (when reachable) PostgreSQL
## (the run ends with its wall time, counted from here: TERCERO_TEST_STARTED)
test: export TERCERO_TEST_STARTED := $(shell date +%s)
## (mypy checks the types beside the tests: TERCERO_TEST_TYPECHECK)
test: system-packages install-dev lint-style
	TERCERO_TEST_TYPECHECK=1 $(BIN)/python tools/testrun.py

## the Debian packages the suite needs (WeasyPrint's libraries, Chromium, Dovecot)
system-packages:
	@tools/system-packages

lint: lint-style
	$(BIN)/mypy

## format, lint rules and the layer contract (`lint` adds mypy)
lint-style: install-dev
	$(BIN)/ruff format --check src tools bench tests conftest.py
	$(BIN)/ruff check src tools bench tests conftest.py
	$(BIN)/lint-imports

## make lock: refresh the pinned lock files from pyproject.toml
lock: | $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.12 --generate-hashes -o requirements/main.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 --generate-hashes -o requirements/dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
