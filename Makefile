# The two commands: `make demo` and `make test`. Each bootstraps .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint types unit bench clean browser

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,pg]'
	@touch $(STAMP)

setup: $(STAMP)

# The guided walk, then the web application on the demo's database (Ctrl+C to stop).
demo: setup
	$(BIN)/sons demo --serve

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: setup
	$(BIN)/mypy src

test: lint types browser
	$(BIN)/sons referential check
	$(BIN)/pytest -n auto --durations=15

# Debian's chromium for the browser tests (tests/web); does nothing when it is installed.
browser:
	sh scripts/install-browser.sh

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,pg,bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
