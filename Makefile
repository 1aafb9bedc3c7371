# Two commands for a new user: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPS ?= 2000

.PHONY: demo test lint typecheck fmt bench mutation clean

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

# Mutation testing of the model and the comparison's bootstrap against the fast tests of the
# model (docs/mutation.md); not part of `make test`. One mutmut run over every module in MUTATE
# on MUTMUT_CHILDREN child processes; `make mutation MUTATE=drawdown_sim.model.politics` runs
# one module, and MUTATION_SAMPLE=N judges a random sample of N of MUTATE's mutants (seed
# MUTATION_SEED), whose score estimates the whole's with its interval. mutmut remembers its
# verdicts in mutants/ and re-runs only what changed.
MUTATE ?= drawdown_sim.model drawdown_sim.analysis.comparison.x__bootstrap_mean_interval__mutmut_
MUTMUT_CHILDREN ?= 2
MUTATION_SAMPLE ?=
MUTATION_SEED ?= 0
MUTMUT_RUN = $(BIN)/mutmut run --max-children $(MUTMUT_CHILDREN)

mutation: $(STAMP)
	@echo "== mutmut: $(MUTATE) (log: mutants.log)"
ifeq ($(MUTATION_SAMPLE),)
	@$(MUTMUT_RUN) $(foreach module,$(MUTATE),"$(module)*") > mutants.log 2>&1 \
		|| { tail -n 40 mutants.log; exit 1; }
else
	@test -d mutants || $(MUTMUT_RUN) "$(firstword $(MUTATE)).none*" > mutants.log 2>&1 || test -f mutants/mutmut-stats.json
	@$(BIN)/python tests/mutation_score.py --sample $(MUTATION_SAMPLE) \
		--seed $(MUTATION_SEED) $(MUTATE) > mutants.sample
	@xargs -a mutants.sample -d '\n' $(MUTMUT_RUN) > mutants.log 2>&1 \
		|| { tail -n 40 mutants.log; exit 1; }
endif
	@$(BIN)/python tests/mutation_score.py $(MUTATE)

clean:
	rm -rf $(VENV) results mutants mutants.log mutants.sample .pytest_cache .mypy_cache .ruff_cache
