"""Summaries and comparisons of very large runs hold a column or two at a time, never a table.

A synthetic outcomes file of 3,000,000 rows (about 770 MB as a table in memory) is written
without simulating; the summary and the paired comparison are then computed in a fresh
process under tracemalloc (numpy's allocations) and pyarrow's own pool accounting. Loading
the whole table, as earlier versions did, would need several times the bound."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from drawdown_sim.model import OUTCOME_SPECS
from drawdown_sim.runner.manifest import write_manifest
from drawdown_sim.runner.store import ROW_GROUP_ROWS
from drawdown_sim.runner.tables import OUTCOME_SCHEMA
from tests.helpers import run_manifest, scenario

ROWS = 3_000_000
BOUND_MB = 300
"""Peak memory allowed: one column is 24 MB; the whole table about 770 MB."""


def _write_outcomes(root: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    with pq.ParquetWriter(root / "outcomes.parquet", OUTCOME_SCHEMA) as writer:
        for first in range(0, ROWS, ROW_GROUP_ROWS):
            n = min(ROW_GROUP_ROWS, ROWS - first)
            columns: dict[str, Any] = {
                "replication": np.arange(first, first + n),
                "seed": np.full(n, 1),
                "completion_date": pa.nulls(n, pa.date32()),
            }
            for name, spec in OUTCOME_SPECS.items():
                if spec.kind == "int":
                    columns[name] = rng.poisson(20, n)
                elif spec.kind == "bool":
                    columns[name] = rng.random(n) < 0.3
                else:
                    columns[name] = rng.gamma(2.0, 30.0, n)
            table = pa.Table.from_pydict(columns, schema=OUTCOME_SCHEMA)
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
    pq.write_table(pa.table({"day": np.arange(10)}), root / "series.parquet")
    write_manifest(root, run_manifest(scenario("baseline"), ROWS))


MEASURE = """
import json, sys, tracemalloc
import pyarrow as pa
from drawdown_sim.analysis.results import Results
from drawdown_sim.analysis.comparison import comparison_table
a, b, what = Results.load(sys.argv[1]), Results.load(sys.argv[2]), sys.argv[3]
tracemalloc.start()
if what == "summary":
    a.summary(); a.completion()
elif what == "compare":
    comparison_table({"a": a, "b": b}, "a")
else:  # the whole table, as a check that the bound would catch it
    a.outcomes
print(json.dumps({"traced": tracemalloc.get_traced_memory()[1] / 2**20,
                  "pool": pa.default_memory_pool().max_memory() / 2**20}))
"""


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("large")
    _write_outcomes(root / "a", 1)
    _write_outcomes(root / "b", 2)
    return root / "a", root / "b"


def _peak(two_runs, what: str) -> float:
    a, b = two_runs
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(a), str(b), what],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    used = json.loads(done.stdout.strip().splitlines()[-1])
    return used["traced"] + used["pool"]


@pytest.mark.slow
def test_summary_holds_one_column_at_a_time(two_runs):
    assert _peak(two_runs, "summary") < BOUND_MB


@pytest.mark.slow
def test_paired_comparison_holds_one_column_at_a_time(two_runs):
    assert _peak(two_runs, "compare") < BOUND_MB


@pytest.mark.slow
def test_the_bound_would_catch_a_whole_table(two_runs):
    # The measurement sees a whole-table load: the test above is not vacuous.
    assert _peak(two_runs, "table") > 2 * BOUND_MB
