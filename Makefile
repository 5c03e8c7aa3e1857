# Hiroba: every task a newcomer or CI needs. `make run` and `make test` are the two in README.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SETTINGS ?= pelicanconf.py
STAMP := $(VENV)/.installed

BROWSER_STAMP := node_modules/.hiroba-installed

.PHONY: install browser document-font build run check fix test lint format bench a11y-report emergency jma translations clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Headless Chromium and chromedriver from Debian (installed when running as root), and
## axe-core from the npm lockfile: what the browser tests need.
$(BROWSER_STAMP): package-lock.json
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! fc-list | grep -q "Noto Sans CJK JP" || ! command -v w3m >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk fonts-noto-core w3m >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: sudo apt-get install chromium chromium-driver fonts-noto-cjk fonts-noto-core w3m" >&2; exit 1; \
	  fi; \
	fi
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; } \
	  || { echo "npm is needed for axe-core: sudo apt-get install npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(BROWSER_STAMP)

browser: $(BROWSER_STAMP)

## The Japanese font that issued documents embed (IPAex Gothic, IPA Font License: may be
## redistributed, so the deployment package carries it too): Debian's fonts-ipaexfont-gothic.
DOCUMENT_FONT := /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf
$(DOCUMENT_FONT):
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-ipaexfont-gothic >/dev/null; \
	else \
	  echo "Issued documents need the IPAex Gothic font: sudo apt-get install fonts-ipaexfont-gothic" >&2; exit 1; \
	fi

document-font: $(DOCUMENT_FONT)

## Build output/ once; exits non-zero on any content error.
build: $(STAMP)
	$(PY) -m pelican -s $(SETTINGS)

## The web editor (Decap CMS, served at /admin/) from the npm lockfile, for `make run`.
## Without npm the site still runs, and /admin/ says how to install the editor.
EDITOR_STAMP := .hiroba/editor-installed
$(EDITOR_STAMP): package-lock.json
	@mkdir -p .hiroba
	@if [ -f node_modules/decap-cms/dist/decap-cms.js ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then \
	  touch $(EDITOR_STAMP); \
	elif command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $(EDITOR_STAMP); \
	else \
	  echo "The web editor (/admin/) needs npm: sudo apt-get install npm, then make run again" >&2; \
	fi

## Build, serve on http://127.0.0.1:8000 (the web editor at /admin/) and rebuild on change.
run: $(STAMP) $(EDITOR_STAMP) $(DOCUMENT_FONT)
	$(PY) -m infra.local.serve $(if $(PORT),--port $(PORT))

## Run the content checks alone, writing nothing (FORMAT=github: annotations for pull requests).
check: $(STAMP)
	$(PY) -m plugins.content_checks $(SETTINGS) $(if $(FORMAT),--format $(FORMAT))

## Apply the safe automatic fixes (encodings, 機種依存文字, 半角カナ, 全角英数, dates) to
## FILES (default: all of content/), printing each change as path:line: before → after.
fix: $(STAMP)
	$(PY) -m plugins.content_checks.fix $(FILES)

## Everything CI runs: lint, then the whole test suite.
test: $(STAMP) $(BROWSER_STAMP) $(DOCUMENT_FONT)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -n 2 --dist worksteal

lint: $(STAMP)
	$(PY) -m ruff check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## Build-time benchmark (1,000 and 5,000 synthetic pages); see docs/benchmarks.md.
bench: $(STAMP)
	$(PY) -m bench.build_bench

## Publish emergency information now, without waiting for a full build (see docs/content.md).
## FILE=content/news/x.md reads that notice (and its translations) instead of all content.
emergency: $(STAMP)
	$(PY) -m infra.tools.emergency $(SETTINGS) $(if $(FILE),--file $(FILE))

## Poll JMA's 防災情報XML every minute and publish what concerns Miyagi (see docs/content.md).
## ONCE=1 polls once and exits.
jma: $(STAMP)
	$(PY) -m infra.jma $(SETTINGS) $(if $(ONCE),--once)

## UI strings: pybabel extract, update the catalogs of every language, compile (a check).
translations: $(STAMP)
	$(PY) -m infra.i18n.catalogs extract
	$(PY) -m infra.i18n.catalogs update
	$(PY) -m infra.i18n.catalogs compile
	$(PY) -m infra.i18n.catalogs check

## Test every page in Chromium and record the results for the 試験結果 page.
a11y-report: $(STAMP) $(BROWSER_STAMP)
	$(PY) -m infra.a11y.report

## Deployment zips of both Chalice apps into .hiroba/dist/<app>/ (see docs/functions.md).
package: $(STAMP)
	$(PY) infra/aws/package.py publishing .hiroba/dist/publishing
	$(PY) infra/aws/package.py procedures .hiroba/dist/procedures

## Regenerate infra/aws/template.json (tables, TTL, per-app policies) and the API docs.
infra: $(STAMP)
	$(PY) -m infra.aws.template

api-docs: $(STAMP)
	$(PY) -m infra.tools openapi

clean:
	rm -rf output .hiroba bench/sites
