# Two commands for a new user: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPS ?= 2000

.PHONY: demo test lint typecheck fmt bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/drawdown-sim validate scenarios/*.yaml scenarios/options/*.yaml
	$(BIN)/drawdown-sim run scenarios/baseline.yaml --reps $(REPS) --trace 3 --force

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

fmt: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_compare.py
	$(BIN)/python benchmarks/bench_cli.py
	$(BIN)/python benchmarks/bench_runner.py
	$(BIN)/python benchmarks/bench_ema.py
	$(BIN)/python benchmarks/bench_explore.py

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache .ruff_cache
