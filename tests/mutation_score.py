"""Mutation score per module from mutmut's records in ``mutants/`` (``make mutation``).

A mutant counts as caught when a test failed, timed out or the type checker refused it; the
score is caught / checked, where mutants with no covering test count as not caught and
mutants not run yet are left out. Each score has its 95% interval (Clopper-Pearson): when
only a random sample of the mutants was judged (``--sample``), the interval is the range
the score of every mutant is likely to lie in. Survivors are listed by name (``mutmut show
NAME`` prints the change).

Usage:
    python tests/mutation_score.py [MODULE_PREFIX ...]
        the scores of what has run so far
    python tests/mutation_score.py --sample N [--seed S] [MODULE_PREFIX ...]
        print the names of a uniform random sample of N of the generated mutants, one a line
        (``make mutation MUTATION_SAMPLE=N`` judges them)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from scipy.stats import binomtest

CAUGHT = {1, 3, 36, 37, -24, 24, 152, 255}
"""mutmut exit codes of a caught mutant: tests failed (1, 3), timeout, type check (37)."""
NO_TESTS = {5, 33}
SKIPPED = {34, None}


def module_name(meta: Path) -> str:
    """``mutants/src/drawdown_sim/model/politics.py.meta`` -> ``drawdown_sim.model.politics``."""
    parts = meta.relative_to("mutants/src").with_suffix("").with_suffix("").parts
    return ".".join(parts)


def verdicts(prefixes: list[str]) -> dict[str, dict[str, int | None]]:
    """Each module's mutants (those whose names start with a prefix) and their exit codes,
    None for a mutant not judged yet."""
    found = {}
    for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if prefixes:
            codes = {k: v for k, v in codes.items() if any(k.startswith(p) for p in prefixes)}
        if codes:
            found[module_name(meta)] = codes
    return found


def interval(caught: int, checked: int) -> str:
    low, high = binomtest(caught, checked).proportion_ci(0.95, method="exact")
    return f"[{low:.1%}, {high:.1%}]"


def scores(prefixes: list[str]) -> int:
    out = sys.stdout.write
    rows = []
    survivors: list[str] = []
    for name, codes in verdicts(prefixes).items():
        checked = {k: v for k, v in codes.items() if v not in SKIPPED}
        if not checked:
            continue
        tally = Counter(
            "caught" if v in CAUGHT else "no tests" if v in NO_TESTS else "survived"
            for v in checked.values()
        )
        rows.append((name, len(codes), len(checked), tally))
        survivors += sorted(k for k, v in checked.items() if v not in CAUGHT)
    if not rows:
        out("no mutation results: run `make mutation` first\n")
        return 1
    out(
        f"{'module':32} {'mutants':>7} {'checked':>8} {'caught':>7} {'survived':>9} "
        f"{'no tests':>9} {'score':>6}  95% interval\n"
    )
    total: Counter[str] = Counter()
    mutants_all = 0
    for name, mutants, checked, tally in rows:
        total += tally
        mutants_all += mutants
        out(
            f"{name:32} {mutants:7d} {checked:8d} {tally['caught']:7d} {tally['survived']:9d} "
            f"{tally['no tests']:9d} {tally['caught'] / checked:6.1%}  "
            f"{interval(tally['caught'], checked)}\n"
        )
    checked_all = sum(total.values())
    out(
        f"{'all':32} {mutants_all:7d} {checked_all:8d} {total['caught']:7d} "
        f"{total['survived']:9d} {total['no tests']:9d} "
        f"{total['caught'] / checked_all:6.1%}  {interval(total['caught'], checked_all)}\n"
    )
    if survivors:
        out(f"\nsurvivors ({len(survivors)}; `mutmut show NAME` prints each):\n")
        for name in survivors:
            out(f"  {name}\n")
    return 0


def sample(prefixes: list[str], size: int, seed: int) -> int:
    names = sorted(name for codes in verdicts(prefixes).values() for name in codes)
    if not names:
        sys.stderr.write("no mutants generated yet: run `make mutation` once first\n")
        return 1
    chosen = random.Random(seed).sample(names, min(size, len(names)))
    sys.stdout.write("".join(f"{name}\n" for name in sorted(chosen)))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="module prefixes, e.g. drawdown_sim.model")
    parser.add_argument("--sample", type=int, help="print the names of N random mutants")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample")
    args = parser.parse_args(argv)
    if args.sample is not None:
        return sample(args.prefixes, args.sample, args.seed)
    return scores(args.prefixes)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
