# Quick start: `make run` (set up, then serve the demo: UI and API on http://127.0.0.1:8000/),
# `make test` (set up, then test).
# Each target creates .venv and installs what it needs when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format clean system-packages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-packages:
	@scripts/system-packages

DEMO_DB ?= qinglang-demo.db

run: $(STAMP) system-packages
	$(BIN)/qinglang serve --demo --db $(DEMO_DB)

test: $(STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

bench: $(STAMP) system-packages
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
