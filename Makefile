# Hiroba: every task a newcomer or CI needs. `make run` and `make test` are the two in README.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SETTINGS ?= pelicanconf.py
STAMP := $(VENV)/.installed

.PHONY: install build run check test test-fast lint format bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Build output/ once; exits non-zero on any content error.
build: $(STAMP)
	$(PY) -m pelican -s $(SETTINGS)

## Build, serve on http://127.0.0.1:8000 and rebuild on change.
run: $(STAMP)
	$(PY) -m infra.local.serve

## Run the content checks alone, writing nothing.
check: $(STAMP)
	$(PY) -m plugins.content_checks $(SETTINGS)

## Everything CI runs: lint, then the whole test suite.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -n 2

lint: $(STAMP)
	$(PY) -m ruff check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## Build-time benchmark (1,000 and 5,000 synthetic pages); see docs/benchmarks.md.
bench: $(STAMP)
	$(PY) bench/build_bench.py

clean:
	rm -rf output .hiroba bench/sites
