# Two commands do all the set-up on a fresh machine:
#   make serve   install, build the site into site/ and serve it on http://localhost:$(PORT)
#   make test    install the test dependencies and run the whole test suite
# Options: PORT=8000, PYTHON=python3, PYODIDE_WHEELS=DIR (local Pyodide wheels; otherwise
# downloaded from the official Pyodide distribution and hash-checked), PYTEST_ARGS="-m 'not browser'".

PYTHON ?= python3
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: serve site test lint bench clean

serve: $(VENV)/.app node_modules/.installed
	$(PY) -m tools.serve --port $(PORT)

site: $(VENV)/.app node_modules/.installed
	$(PY) -m tools.build_site --out site

test: $(VENV)/.dev node_modules/.installed
	bash tools/ensure_chromium.sh
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	node_modules/.bin/eslint web tools
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev node_modules/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	node_modules/.bin/eslint web tools
	node tools/lint_workflows.mjs .github/workflows/*.yml

bench: $(VENV)/.dev node_modules/.installed
	$(PY) -m bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The app needs only the runtime dependencies; the tests also need training (TensorFlow parity) and
# dev. Both install the hash-locked versions in requirements/ (each file says how to update it).
$(VENV)/.app: pyproject.toml requirements/site.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements/site.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: pyproject.toml requirements/dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.app

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf site .pytest_cache .ruff_cache
