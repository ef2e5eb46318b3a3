# Targets used by people and CI alike. Each installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := .reconciler/demo

.PHONY: help install test lint types unit clocks fuzz reliability bench bench-quick demo clean

help:
	@echo "make demo   plan and apply the sample budgets on a fresh sandbox ledger"
	@echo "make test   lint, type-check and run the whole test suite"
	@echo "make lint   ruff check + ruff format --check"
	@echo "make clocks the suite with the wall clock at year end, new year and a leap day"
	@echo "make reliability  long fault, kill, race and fuzz runs, with what they proved"
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

# The suite again with Python's clock at instants that broke date-dependent tests before: no
# outcome may depend on the wall clock (tests/conftest.py moves it for every run).
CLOCKS := 2026-12-31T23:59:50Z 2027-01-01T00:00:30Z 2028-02-29T12:00:00Z
clocks: $(STAMP)
	@set -e; for when in $(CLOCKS); do \
	  echo "==> pytest --wall-clock $$when"; \
	  $(BIN)/python -m pytest -n 2 -q --wall-clock $$when; \
	done

# Long runs, not part of make test: every fuzz target with many examples, and everything that
# proves money safety under faults, kills, races and hostile input, with a summary of what ran.
fuzz: $(STAMP)
	$(BIN)/python -m pytest tests/fuzz -p no:xdist -q --fuzz-examples 20000

reliability: $(STAMP)
	$(BIN)/python -m pytest -p no:xdist -q --reliability --fuzz-examples 5000 \
	  tests/reliability tests/fuzz tests/executor/test_crash_points.py \
	  tests/executor/test_stateful.py tests/executor/test_money_safety.py \
	  tests/executor/test_crash_over_http.py tests/executor/test_residual_window.py \
	  tests/commands/test_saved_plan_edits.py tests/config/test_hostile_corpus.py \
	  tests/ledger/test_hostile_answers.py tests/security

# Whole-process figures as ratios measured in one run (benchmarks/results.json), then the
# in-process micro-benchmarks. bench-quick only checks that the harness works (CI runs it).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.whole
	$(BIN)/python -m pytest benchmarks -q -p no:xdist --benchmark-only

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.whole --quick --out $(VENV)/bench-quick.json

# The demo uses its own sandbox ledger (DEMO_DB), recreated on every run, so it never touches
# .reconciler/sandbox.db (the sample Organization's default ledger) and is safe to run twice.
DEMO_DB := $(DEMO_DIR)/sandbox.db
DEMO_LEDGER := sqlite:///$(DEMO_DB)

demo: $(STAMP)
	@set -e; export PATH="$(abspath $(BIN)):$$PATH"; \
	echo "==> 1. A fresh sandbox ledger for org_acme at $(DEMO_DB), credited 60,000.00"; \
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm; \
	reconciler sandbox init --db $(DEMO_DB) --org org_acme --credit 60000.00; \
	echo; echo "==> 2. Validate the sample budgets (budgets/)"; \
	reconciler validate budgets; \
	echo; echo "==> 3. Plan: the movements that bring the ledger to the budgets"; \
	reconciler plan budgets --ledger $(DEMO_LEDGER); \
	echo; echo "==> 4. Apply them (every ledger note carries the git commit)"; \
	dirty=""; \
	if [ -n "$$(git status --porcelain --untracked-files=all -- budgets)" ]; then \
	  echo "note: budgets/ has local changes: applying with --allow-dirty (the notes will say dirty)"; \
	  dirty="--allow-dirty"; \
	fi; \
	reconciler apply budgets --ledger $(DEMO_LEDGER) --auto-approve $$dirty; \
	echo; echo "==> 5. The wallets after the apply"; \
	reconciler sandbox show --db $(DEMO_DB); \
	echo; echo "==> 6. The ledger entries of team_engineering, with their notes"; \
	reconciler sandbox transactions --db $(DEMO_DB) --team team_engineering; \
	echo; echo "==> 7. Plan again: nothing left to do"; \
	reconciler plan budgets --ledger $(DEMO_LEDGER) --detailed-exitcode; \
	echo; echo "==> 8. Simulated gateway traffic this period (seeded: the same every run)"; \
	reconciler sandbox traffic --db $(DEMO_DB) budgets --requests 20000 --seed 7 --days 19 --concurrency 2; \
	echo; echo "==> 9. Usage: spend per team against its envelope, burn rate, when it runs out"; \
	reconciler usage budgets --ledger $(DEMO_LEDGER); \
	echo; echo "==> 10. The forecast for team_engineering (JSON)"; \
	reconciler usage budgets --ledger $(DEMO_LEDGER) --format json | python3 -c 'import json,sys; t=[t for t in json.load(sys.stdin)["teams"] if t["team_id"]=="team_engineering"][0]; print(json.dumps({k: t[k] for k in ("spent","burn_rate_per_day","projected_spend","projected_exhaustion","forecast_basis")}, indent=2))'; \
	echo; echo "==> 11. Suggested envelopes (reconciler suggest budgets --write would edit the files)"; \
	reconciler suggest budgets --ledger $(DEMO_LEDGER); \
	echo; echo "==> 12. What-if: this period's traffic replayed against the suggested envelopes, next to the current ones"; \
	reconciler suggest budgets --ledger $(DEMO_LEDGER) --whatif | sed -n '/^What-if/,$$p'; \
	echo; echo "==> 13. The consumer-group mapping as the Keeptrusts gateway reads it (reconciler gateway diff compares it with a running gateway)"; \
	reconciler gateway render budgets; \
	echo; echo "Done. Try: edit budgets/teams/*.yaml, then \`reconciler plan budgets --ledger $(DEMO_LEDGER)\`."

clean:
	rm -rf $(VENV) .reconciler build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
