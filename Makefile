# Two entry points: `make report` (demo data -> weekly report) and `make test` (lint + tests).
# Each creates the virtual environment and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test test-fast test-browser lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/workbench demo --out data/demo
	$(BIN)/workbench report --out reports

lint: $(STAMP)
	$(BIN)/ruff check .

# The full suite: browser tests need Debian's chromium (.ci/run installs it) and skip, saying so, without it.
test: lint
	$(BIN)/pytest -q

test-fast: lint
	$(BIN)/pytest -q -m "not browser and not slow"

test-browser: $(STAMP)
	$(BIN)/pytest -q -m "browser"

clean:
	rm -rf $(VENV) data/workbench.duckdb data/demo reports/20*
