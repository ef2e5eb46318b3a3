# Targets used by people and CI alike. Each installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := .reconciler/demo

.PHONY: help install test lint types unit bench demo clean

help:
	@echo "make demo   plan and apply the sample budgets on a fresh sandbox ledger"
	@echo "make test   lint, type-check and run the whole test suite"
	@echo "make lint   ruff check + ruff format --check"
	@echo "make bench  benchmarks"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests benchmarks
	$(BIN)/ruff format --check reconciler tests benchmarks

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

test: lint types unit

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks -q -p no:xdist --benchmark-only

demo: $(STAMP)
	@PATH="$(abspath $(BIN)):$$PATH" bash scripts/demo.sh

clean:
	rm -rf $(VENV) .reconciler build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
