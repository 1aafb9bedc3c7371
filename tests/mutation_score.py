"""Mutation score per module from mutmut's records in ``mutants/`` (``make mutation``).

A mutant counts as caught when a test failed, timed out or the type checker refused it; the
score is caught / checked, where mutants with no covering test count as not caught and
mutants not run yet are left out. Survivors are listed by name (``mutmut show NAME`` prints
the change).

Usage: ``python tests/mutation_score.py [MODULE_PREFIX ...]``
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

CAUGHT = {1, 3, 36, 37, -24, 24, 152, 255}
"""mutmut exit codes of a caught mutant: tests failed (1, 3), timeout, type check (37)."""
NO_TESTS = {5, 33}
SKIPPED = {34, None}


def module_name(meta: Path) -> str:
    """``mutants/src/drawdown_sim/model/politics.py.meta`` -> ``drawdown_sim.model.politics``."""
    parts = meta.relative_to("mutants/src").with_suffix("").with_suffix("").parts
    return ".".join(parts)


def main(prefixes: list[str]) -> int:
    rows = []
    survivors: list[str] = []
    for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if prefixes:
            codes = {k: v for k, v in codes.items() if any(k.startswith(p) for p in prefixes)}
        checked = {k: v for k, v in codes.items() if v not in SKIPPED}
        if not checked:
            continue
        tally = Counter(
            "caught" if v in CAUGHT else "no tests" if v in NO_TESTS else "survived"
            for v in checked.values()
        )
        rows.append((module_name(meta), len(checked), tally))
        survivors += sorted(k for k, v in checked.items() if v not in CAUGHT)
    if not rows:
        sys.stdout.write("no mutation results: run `make mutation` first\n")
        return 1
    out = sys.stdout.write
    out(
        f"{'module':40} {'checked':>8} {'caught':>7} {'survived':>9} {'no tests':>9} {'score':>6}\n"
    )
    total = Counter()
    for name, checked, tally in rows:
        total += tally
        score = tally["caught"] / checked
        out(
            f"{name:40} {checked:8d} {tally['caught']:7d} {tally['survived']:9d} "
            f"{tally['no tests']:9d} {score:6.1%}\n"
        )
    checked_all = sum(total.values())
    out(f"{'all':40} {checked_all:8d} {total['caught']:7d} {total['survived']:9d} ")
    out(f"{total['no tests']:9d} {total['caught'] / checked_all:6.1%}\n")
    if survivors:
        out(f"\nsurvivors ({len(survivors)}; `mutmut show NAME` prints each):\n")
        for name in survivors:
            out(f"  {name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
