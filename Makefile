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

# Mutation testing of the model and the comparison's bootstrap against the fast channel tests
# (docs/mutation.md); not part of `make test`. One module at a time on one child process (the
# machine is shared); `make mutation MUTATE=drawdown_sim.model.politics` runs one. mutmut
# remembers results in mutants/ and re-runs only what changed.
MUTATE ?= drawdown_sim.model.politics drawdown_sim.model.escalation \
	drawdown_sim.model.retaliation drawdown_sim.model.damage drawdown_sim.model.isis \
	drawdown_sim.model.forces drawdown_sim.model.militia drawdown_sim.model.world \
	drawdown_sim.model.simulate drawdown_sim.model.streams drawdown_sim.model.scan \
	drawdown_sim.series.daily drawdown_sim.model.events \
	drawdown_sim.analysis.comparison.x__bootstrap_mean_interval__mutmut_
MUTMUT_CHILDREN ?= 1

mutation: $(STAMP)
	@for module in $(MUTATE); do \
		echo "== mutmut: $$module"; \
		$(BIN)/mutmut run --max-children $(MUTMUT_CHILDREN) "$$module*" > mutants.log 2>&1 \
			|| { tail -n 40 mutants.log; exit 1; }; \
	done
	@$(BIN)/python tests/mutation_score.py $(MUTATE)

clean:
	rm -rf $(VENV) results mutants mutants.log .pytest_cache .mypy_cache .ruff_cache
