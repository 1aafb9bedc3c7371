"""Compare advisory-retention options with common random numbers (paired differences).

Every option is run with the same root seed, so replication r of each option meets the same
shocks and correlated attack and ISIS draws: differences are paired, and far less noisy than
the outcomes themselves. The table reports that gain as a variance reduction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from ..common.text import clean
from ..model import OUTCOMES, direction
from ..runner.engines import Engine, engine_in_use
from ..runner.files import atomic_write_bytes, read_csv
from ..runner.manifest import (
    CompareManifest,
    ManifestError,
    environment,
    read_manifest,
    write_manifest,
)
from ..runner.outputs import prepare_folder
from ..runner.protocol import Job, RunSpec, stream
from ..runner.store import RunDirectory, RunRefused, atomic_write_json
from ..scenario import Scenario
from .completion import Estimate, proportion
from .decomposition import joined, option_decomposition
from .results import CENSORED_OUTCOMES, Results
from .run import begin_run, complete_run

KEY_OUTCOMES = (
    "attacks",
    "killed",
    "wounded",
    "isis_attacks",
    "isis_resurgence",
    "completed_on_time",
    "drawdown_complete",
    "slip_days",
    "option_cancelled",
    "attacks_follow_on",
    "killed_follow_on",
    "wounded_follow_on",
    "isis_attacks_follow_on",
    "isis_resurgence_follow_on",
)
"""Outcomes shown in the terminal table: the window's, then the follow-on's (when present)."""
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_BLOCK_CELLS = 128_000
"""Most (resample, pair) counts of a joint bootstrap held at once (a megabyte of them)."""

OptionProgress = Callable[[str, int, int], None]
"""Called with (option name, replications done, replications in its run)."""


@dataclass
class Comparison:
    """Results of every option and the paired comparison table."""

    results: dict[str, Results]
    table: pd.DataFrame
    reference: str
    path: Path | None = None
    manifest: CompareManifest | None = None
    decomposition: pd.DataFrame | None = None
    """Why the options differ in militia attacks (:mod:`drawdown_sim.analysis.decomposition`)."""

    @property
    def options(self) -> list[str]:
        return list(self.results)

    def summary(self) -> pd.DataFrame:
        """The paired comparison: per option and outcome, the mean difference from the
        reference with its 95% interval (``comparison.csv``)."""
        return self.table

    def tables(self) -> dict[str, pd.DataFrame]:
        """The comparison table and each option's outcomes, by name."""
        return {"comparison": self.table} | {
            f"outcomes/{name}": result.outcomes for name, result in self.results.items()
        }

    def __repr__(self) -> str:
        from .display import comparison_repr

        return comparison_repr(self)

    def _repr_html_(self) -> str:
        """What a notebook shows (see :mod:`drawdown_sim.analysis.display`)."""
        from .display import comparison_html

        return comparison_html(self)

    @classmethod
    def load(cls, path: str | Path) -> Comparison:
        """Open a finished compare directory.

        Raises:
            ManifestError: not a finished compare (one line saying why).
        """
        root = Path(path)
        manifest = read_manifest(root)
        if not isinstance(manifest, CompareManifest):
            raise ManifestError(f"{root} holds a {manifest.kind}, not a compare")
        results = {name: Results.load(root / name) for name in manifest.options}
        for name, result in results.items():
            if result.manifest.scenario_hash != manifest.scenario_hashes.get(name):
                raise ManifestError(
                    f"{root / name} is not the run this compare was made from; rerun the "
                    "compare with --force"
                )
        table = read_csv(root / "comparison.csv")
        parts = root / "decomposition.csv"
        decomposition = read_csv(parts) if parts.is_file() else None
        return cls(results, table, manifest.reference, root, manifest, decomposition)


BOOTSTRAP_BINS = 4096
"""Distinct values above which a continuous difference is binned for the bootstrap."""


@cache
def _blas() -> ThreadpoolController:
    """The loaded BLAS libraries, found once (finding them reads every loaded library's
    name: milliseconds, against microseconds to limit them once found)."""
    return ThreadpoolController()


def _one_blas_thread() -> Any:
    """A context in which matrix products run on one BLAS thread. The limit is the
    process's: another thread's products meanwhile (for the milliseconds a bootstrap
    takes) run on one thread too."""
    return _blas().limit(limits=1, user_api="blas")


def _bootstrap_mean_interval(d: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean of paired differences ``d``, for runs of
    more than :data:`JOINT_PAIRS` replications (memory of one column).

    A bootstrap resample of N values from the empirical distribution is a multinomial draw of
    counts over its distinct values, so the resampled means are drawn as multinomial counts
    times those values, in memory that does not grow with N. Whole-number differences (counts
    and booleans) are exact. Other differences are binned into :data:`BOOTSTRAP_BINS`
    equal-width bins, each represented by the mean of its values, so a resampled mean is off
    by at most half a bin width, (max - min) / 8192.
    """
    if d.size == 0:
        return float("nan"), float("nan")
    low, high = float(d.min()), float(d.max())
    if low == high:
        return low, low
    if high - low <= 1_000_000 and np.array_equal(d, np.rint(d)):
        counts = np.bincount((d - low).astype(np.int64))
        values = np.flatnonzero(counts) + low
        counts = counts[counts > 0]
    else:
        counts, edges = np.histogram(d, bins=BOOTSTRAP_BINS, range=(low, high))
        sums, _ = np.histogram(d, bins=edges, weights=d)
        keep = counts > 0
        values, counts = sums[keep] / counts[keep], counts[keep]
    n = int(counts.sum())
    p = counts / n
    means = np.empty(BOOTSTRAP_RESAMPLES)
    block = max(1, 2_000_000 // values.size)  # bounded scratch: block x values counts at once
    with _one_blas_thread():  # see _bootstrap_mean_intervals
        for start in range(0, BOOTSTRAP_RESAMPLES, block):
            size = min(block, BOOTSTRAP_RESAMPLES - start)
            means[start : start + size] = rng.multinomial(n, p, size=size) @ values / n
    lo, hi = np.quantile(means, [0.025, 0.975])
    return float(lo), float(hi)


JOINT_PAIRS = 50_000
"""Pairs up to which an option's outcomes are bootstrapped together (all their differences in
memory at once); above it, one outcome at a time over binned values."""


def _bootstrap_mean_intervals(
    differences: np.ndarray, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """95% percentile bootstrap intervals of the mean of each column of paired differences
    (pairs x outcomes), every column resampled with the same replications.

    The resamples are drawn once for all outcomes of an option, which is both the ordinary
    paired bootstrap of replications and far cheaper than a resampling per outcome: each
    block of resamples is a matrix of how often each pair is drawn, and the resampled means of
    every outcome come from one product of that matrix with the differences.
    """
    pairs, outcomes = differences.shape
    means = np.empty((BOOTSTRAP_RESAMPLES, outcomes))
    # Blocks of resamples whose counts fit in a core's cache (a megabyte): the scattered
    # increments of bincount then stay in cache, which makes the whole bootstrap about a
    # quarter faster than one block of every resample. Each resample's draws and its row of
    # the product are the same whatever the block, so the intervals are too.
    block = max(1, BOOTSTRAP_BLOCK_CELLS // pairs)
    # The product on one BLAS thread: a threaded product splits its sums by thread, so the
    # intervals' last digits would depend on the machine's CPU count, and its threads spin
    # waiting for work after each product, taking CPU from the workers still simulating.
    with _one_blas_thread():
        for start in range(0, BOOTSTRAP_RESAMPLES, block):
            size = min(block, BOOTSTRAP_RESAMPLES - start)
            drawn = rng.integers(0, pairs, size=(size, pairs))
            drawn += pairs * np.arange(size)[:, None]  # in place: these arrays are megabytes
            counts = np.bincount(drawn.ravel(), minlength=size * pairs).reshape(size, pairs)
            del drawn
            block_means = np.matmul(counts, differences, out=means[start : start + size])
            block_means /= pairs
    low, high = np.quantile(means, [0.025, 0.975], axis=0)
    # A constant difference (a tie in every pair, say) has exactly that interval, whatever
    # the rounding of the resampled means.
    constant = differences.min(axis=0) == differences.max(axis=0)
    low[constant] = high[constant] = differences[0, constant]
    return [(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]


def _paired(
    own: Results, ref: Results, outcome: str, index: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The outcome of ``own`` and ``ref`` on the replications both completed, aligned
    (``index`` None: the same replications in the same order, the usual case)."""
    if index is None:
        return own.column(outcome), ref.column(outcome)
    return own.column(outcome)[index[0]], ref.column(outcome)[index[1]]


def comparison_table(results: dict[str, Results], reference: str, seed: int = 0) -> pd.DataFrame:
    """One row per option and outcome: distribution, and paired difference to the reference.

    Censored outcomes (completion day and slip, null where the plan is unfinished at the end
    of the horizon) get Kaplan-Meier quantiles, no mean, and no paired difference unless
    every pair is uncensored. Outcomes null throughout (no follow-on period) are left out.
    Columns are read one at a time, so memory grows with one column, not the table.
    """
    rng = np.random.default_rng(seed)
    ref = results[reference]
    rows: list[dict[str, Any]] = []
    for option, result in results.items():
        rows.extend(_option_rows(option, result, ref, reference, rng))
    return pd.DataFrame(rows)


def _option_rows(
    option: str, result: Results, ref: Results, reference: str, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """The rows of :func:`comparison_table` of one option (``ref``: the reference's results),
    drawing its bootstrap resamples from ``rng``."""
    frame = result.summary()  # (DataFrame.to_dict takes milliseconds for these few rows)
    summary = {
        outcome: dict(zip(frame.columns, row, strict=True))
        for outcome, row in zip(frame.index, frame.to_numpy().tolist(), strict=True)
    }
    # Failed replications drop out of the pairs.
    own_ids, ref_ids = result.column("replication"), ref.column("replication")
    index: tuple[np.ndarray, np.ndarray] | None = None
    if not np.array_equal(own_ids, ref_ids):
        _, own_at, ref_at = np.intersect1d(
            own_ids, ref_ids, assume_unique=True, return_indices=True
        )
        index = (own_at, ref_at)
    del own_ids, ref_ids
    from ..scenario.outcomes import not_applicable

    own_missing = not_applicable(result.scenario)
    ref_missing = not_applicable(ref.scenario)
    rows: list[dict[str, Any]] = []
    # Outcomes whose every pair is kept, and not too many pairs (the usual case): their
    # differences are summarised together, as rows of one array, and bootstrapped together,
    # with the same resamples; the rest (a pair dropped for a missing value, or very many
    # pairs) one at a time.
    joint_rows: list[int] = []
    own_columns: list[np.ndarray] = []
    their_columns: list[np.ndarray] = []
    for outcome in OUTCOMES:
        stats = summary.get(outcome)
        if stats is None:
            continue
        if outcome in own_missing:
            # Not applicable (a completion outcome without a plan): null, never scored.
            rows.append(_not_applicable_row(option, outcome, reference))
            continue
        a, b = _paired(result, ref, outcome, index)
        censored = outcome in CENSORED_OUTCOMES and bool(np.isnan(a).any() | np.isnan(b).any())
        keep = np.isfinite(a) & np.isfinite(b)
        complete = bool(keep.all())
        if not complete:
            a, b = a[keep], b[keep]
        del keep
        row: dict[str, Any] = {
            "option": option,
            "outcome": outcome,
            "direction": direction(outcome),
            "mean": stats["mean"],
            "mean_lo": stats["mean_lo"],
            "mean_hi": stats["mean_hi"],
            "median": stats["median"],
            "q05": stats["q05"],
            "q95": stats["q95"],
            "censored": stats["censored"],
            "reference": reference,
            "pairs": int(a.size),
        }
        if option == reference or a.size < 2 or censored or outcome in ref_missing:
            row.update(
                diff_mean=0.0 if option == reference else np.nan,
                diff_lo=np.nan,
                diff_hi=np.nan,
                p_better=np.nan,
                p_better_lo=np.nan,
                p_better_hi=np.nan,
                p_worse=np.nan,
                p_worse_lo=np.nan,
                p_worse_hi=np.nan,
                p_tie=np.nan,
                p_tie_lo=np.nan,
                p_tie_hi=np.nan,
                variance_reduction=np.nan,
            )
        elif complete and a.size <= JOINT_PAIRS:
            joint_rows.append(len(rows))  # filled in below, with the option's others
            own_columns.append(a)
            their_columns.append(b)
        else:
            d = a - b
            if d.size <= JOINT_PAIRS:
                ((lo, hi),) = _bootstrap_mean_intervals(d[:, None], rng)
            else:
                lo, hi = _bootstrap_mean_interval(d, rng)
            _pair_figures(
                row,
                d.mean(),
                (lo, hi),
                d.var(ddof=1),
                a.var(ddof=1) + b.var(ddof=1),
                (int((d < 0).sum()), int((d > 0).sum()), int((d == 0).sum())),
            )
        rows.append(row)
        del a, b  # before the next column is read
    if joint_rows:
        own, theirs = np.stack(own_columns), np.stack(their_columns)  # an outcome per row
        del own_columns, their_columns
        differences = own - theirs
        # Each row is reduced as its column alone would be: exactly the one-column figures.
        means = differences.mean(axis=1)
        paired = differences.var(axis=1, ddof=1)
        independent = own.var(axis=1, ddof=1) + theirs.var(axis=1, ddof=1)
        del own, theirs
        below = np.count_nonzero(differences < 0, axis=1)
        above = np.count_nonzero(differences > 0, axis=1)
        ties = np.count_nonzero(differences == 0, axis=1)
        intervals = _bootstrap_mean_intervals(np.ascontiguousarray(differences.T), rng)
        for k, at in enumerate(joint_rows):
            counts = (int(below[k]), int(above[k]), int(ties[k]))
            _pair_figures(rows[at], means[k], intervals[k], paired[k], independent[k], counts)
    return rows


_NUMBERS = (
    "mean",
    "mean_lo",
    "mean_hi",
    "median",
    "q05",
    "q95",
    "censored",
    "diff_mean",
    "diff_lo",
    "diff_hi",
    "p_better",
    "p_better_lo",
    "p_better_hi",
    "p_worse",
    "p_worse_lo",
    "p_worse_hi",
    "p_tie",
    "p_tie_lo",
    "p_tie_hi",
    "variance_reduction",
)


def _not_applicable_row(option: str, outcome: str, reference: str) -> dict[str, Any]:
    """A comparison row of an outcome that means nothing for the option: every figure null
    (shown as "n/a"), so that no summary or comparison scores it."""
    row: dict[str, Any] = {"option": option, "outcome": outcome, "direction": direction(outcome)}
    row.update(dict.fromkeys(_NUMBERS[:7], np.nan))  # the table's column order
    row.update(reference=reference, pairs=0)
    row.update(dict.fromkeys(_NUMBERS[7:], np.nan))
    return row


def default_reference(scenarios: Sequence[Scenario]) -> str:
    """The option the others are compared with when none is named: a status quo (a scenario
    without a drawdown plan; one named ``status_quo...`` first, and of several the first by
    name, so ``status_quo_no_timetable`` before ``status_quo_talks``), else the first
    scenario."""
    # Sorted, so that the reference does not depend on the order of the arguments.
    without_plan = sorted(s.name for s in scenarios if s.planned_end_day is None)
    named = [n for n in without_plan if n.startswith("status_quo")]
    return (named or without_plan or [scenarios[0].name])[0]


def _pair_figures(
    row: dict[str, Any],
    mean: float,
    interval: tuple[float, float],
    paired: float,
    independent: float,
    signs: tuple[int, int, int],
) -> None:
    """Fill in ``row``'s paired figures, in the table's column order: the mean difference
    and its bootstrap ``interval``; the shares of pairs better, worse and tied, each with its
    95% Wilson interval (none without a direction); and the variance reduction of pairing
    (``independent`` over ``paired`` variance). ``signs``: pairs whose difference is below,
    above and at zero."""
    below, above, ties = signs
    pairs = below + above + ties
    better = {"lower": below, "higher": above}.get(row["direction"])
    worse = {"lower": above, "higher": below}.get(row["direction"])
    row.update(diff_mean=mean, diff_lo=interval[0], diff_hi=interval[1])
    for name, count in (("p_better", better), ("p_worse", worse), ("p_tie", ties)):
        share = proportion(count, pairs) if count is not None else Estimate(np.nan, np.nan, np.nan)
        row[name], row[f"{name}_lo"], row[f"{name}_hi"] = share.value, share.low, share.high
    row.update(variance_reduction=independent / paired if paired > 0 else np.inf)


class _Tables:
    """:func:`comparison_table` and :func:`completion_frame` built as options finish.

    A compare finishes its options one after another while the workers compute the next
    ones; tabulating each option as soon as it and the reference are finished keeps that
    work off the end of the run. Options are tabulated in their given order, from one
    generator seeded as :func:`comparison_table` seeds it, so the tables are the same as
    tabulating all options at the end.
    """

    def __init__(self, names: Sequence[str], reference: str, seed: int) -> None:
        self.names = list(names)
        self.reference = reference
        self.rng = np.random.default_rng(seed)
        self.finished: dict[str, Results] = {}
        self.rows: list[dict[str, Any]] = []
        self.completion: dict[str, dict[str, Any]] = {}
        self.tabulated = 0  # options whose rows are in, from the first
        self.seed = seed
        self.decomposed: list[pd.DataFrame] = []  # why each option differs, as tabulated

    def add(self, name: str, result: Results) -> None:
        self.finished[name] = result
        self.completion[name] = _completion_row(name, result)
        ref = self.finished.get(self.reference)
        if ref is None:
            return
        while self.tabulated < len(self.names) and self.names[self.tabulated] in self.finished:
            option = self.names[self.tabulated]
            self.rows.extend(
                _option_rows(option, self.finished[option], ref, self.reference, self.rng)
            )
            if option != self.reference:  # seeded as decomposition_table seeds it
                self.decomposed += option_decomposition(
                    option, self.finished[option], self.reference, ref, self.seed + self.tabulated
                )
            self.tabulated += 1

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(comparison, completion), once every option is finished."""
        assert self.tabulated == len(self.names), "tabulated before every option finished"
        return pd.DataFrame(self.rows), pd.DataFrame([self.completion[n] for n in self.names])


def completion_frame(results: dict[str, Results]) -> pd.DataFrame:
    """Per option: P(complete by the planned end / window end), censoring, and the
    Kaplan-Meier median completion day and slip, each with its 95% interval."""
    return pd.DataFrame([_completion_row(option, result) for option, result in results.items()])


def _completion_row(option: str, result: Results) -> dict[str, Any]:
    c = result.completion()
    row: dict[str, Any] = {"option": option, "runs": c.runs, "applicable": c.has_plan}
    for name in ("by_planned_end", "by_window_end", "censored", "median_day", "median_slip"):
        estimate = getattr(c, name)
        # Without a plan completion means nothing: null ("n/a"), never a day-0 completion.
        row[name] = estimate.value if c.has_plan else math.nan
        row[f"{name}_lo"] = estimate.low if c.has_plan else math.nan
        row[f"{name}_hi"] = estimate.high if c.has_plan else math.nan
    return row


def compare(
    scenarios: Sequence[Scenario],
    reps: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    engine: str | Engine = "local",
    *,
    reference: str | None = None,
    out: str | Path | None = None,
    force: bool = False,
    resume: bool = False,
    scheduler: str | None = None,
    progress: OptionProgress | None = None,
) -> Comparison:
    """Run every scenario with the same seeds and compare them pairwise to ``reference``.

    All options run on one engine, built once. Writes ``out/<name>/`` (the layout of
    ``run``) for each, then ``out/comparison.csv``, ``out/completion.csv``,
    ``out/decomposition.csv`` (why the options differ in attacks) and, last,
    ``out/manifest.json``. The derived tables of an earlier compare are removed before
    anything runs, so an interrupted compare never leaves an old table beside new runs.
    The reference defaults to a status quo (:func:`default_reference`), else the first
    scenario. Plots are the caller's to draw.

    Raises:
        ValueError: duplicate names or an unknown reference.
        RunRefused: a directory holds other results or an interrupted run.
    """
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared, got {names}")
    reference = reference or default_reference(scenarios)
    if reference not in names:
        raise ValueError(f"reference {reference!r} is not among the options {names}")
    seed = scenarios[0].seed if seed is None else seed
    reps = scenarios[0].replications if reps is None else reps
    from ..scenario.bounds import check_run

    for scenario in scenarios:  # before any folder is touched
        check_run(scenario, reps, seed)
    specs = [RunSpec(scenario, seed, reps) for scenario in scenarios]
    root_dir = RunDirectory(
        Path(out) if out is not None else Path("results") / "compare", kind="compare"
    )
    root = root_dir.root
    config = {
        "options": names,
        "scenario_hashes": [s.digest for s in scenarios],
        "seed": seed,
        "replications": reps,
        "reference": reference,
    }
    tables = _Tables(names, reference, seed)  # holds each option's results as it finishes
    with engine_in_use(engine, workers, scheduler) as chosen, root_dir.lock(), ExitStack() as held:
        # Everything is checked before anything is removed: the folder, then every option's.
        inventory = prepare_folder(root, "compare", force=force, what="comparison", options=names)
        _check_same_comparison(root_dir, config, force)
        option_dirs = []
        for spec in specs:
            option_dir = RunDirectory(root / spec.scenario.name)
            held.enter_context(option_dir.lock())
            option_dir.assess(spec.identity(), "run", resume, force)
            option_dirs.append(option_dir)
        # The derived tables go first: from here until the manifest is written last, the
        # directory does not look like a finished compare. Each option's own folder is
        # cleared by its run; the folders of options no longer compared go here.
        for name in names:
            inventory.options.pop(name, None)
        inventory.remove_ours()
        root_dir.partial.mkdir(exist_ok=True)
        atomic_write_json(root_dir.partial / "compare.json", config, durable=False)
        # All their chunks go to the engine as one stream, and each option is finished as
        # soon as its own chunks are in, while the workers go on with the next option's.
        jobs = [
            begin_run(
                option_dir,
                spec,
                resume=resume,
                force=force,
                progress=None if progress is None else partial(progress, spec.scenario.name),
            )
            for option_dir, spec in zip(option_dirs, specs, strict=True)
        ]

        def done(job: Job) -> None:
            # Tabulated while the workers go on with the next option.
            name = job.specs[0].scenario.name
            tables.add(name, complete_run(job, chosen, option=name))

        stream(jobs, chosen, on_done=done)
    results = {name: tables.finished[name] for name in names}
    table, completion = tables.tables()
    atomic_write_bytes(root / "completion.csv", completion.to_csv(index=False).encode())
    atomic_write_bytes(root / "comparison.csv", table.to_csv(index=False).encode())
    decomposition = joined(tables.decomposed)
    atomic_write_bytes(root / "decomposition.csv", decomposition.to_csv(index=False).encode())
    manifest = CompareManifest(
        run_config=config,
        options=names,
        reference=reference,
        seed=seed,
        replications=reps,
        scenario_hashes={s.name: s.digest for s in scenarios},
        environment=environment(),
    )
    write_manifest(root, manifest)
    (root_dir.partial / "compare.json").unlink(missing_ok=True)
    with suppress(OSError):
        root_dir.partial.rmdir()
    return Comparison(results, table, reference, root, manifest, decomposition)


def _check_same_comparison(root_dir: RunDirectory, config: dict[str, Any], force: bool) -> None:
    """Refuse to replace another comparison, or this one with other settings, unless
    ``force``.

    Raises:
        RunRefused: as said.
    """
    from ..runner.manifest import ManifestError

    if force:
        return
    try:
        existing = root_dir.manifest()
    except ManifestError as error:
        raise RunRefused(str(error)) from None
    if existing is None or existing.kind != "compare":
        return
    if existing.run_config != config:
        raise RunRefused(
            f"{clean(str(root_dir.root), 120)} holds another comparison (other options or "
            "settings); choose another --out or pass --force to replace it"
        )
