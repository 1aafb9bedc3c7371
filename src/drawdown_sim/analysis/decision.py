"""Many outcomes, one answer: the Pareto set of options, their weighted score and regret,
what flips the ranking between two options, and which uncertainty is worth resolving first.

Every figure is paired over *units* that all options share: the states of a sweep (each
option run in each state with the same seeds), or the replications of a compare (common
random numbers). The inputs are tables of units (rows) x options (columns), one per judged
column, and each judged column's direction (``lower`` or ``higher`` is better).

Dominance. Option A dominates option B when, on every judged column, the paired difference
A - B is not distinguishably worse for A (its 95% bootstrap interval does not exclude zero on
A's bad side), and on at least one column it is distinguishably better (the interval excludes
zero on A's good side). A difference whose interval includes zero never dominates, so an
option is only left out of the Pareto set on evidence, not on noise.

Weighted score. With weights ``w``, an option's loss in a unit is ``sum_c w_c s_c y_c``,
``s_c`` +1 for a lower-is-better column and -1 for a higher-is-better one: lower is better.
Regret is the loss less the lowest loss of any option in the same unit.

What flips the ranking. For a pair of options, PRIM (EMA Workbench, as ``discover``) finds
the box of parameter values where the option that wins in fewer states beats the other,
checked on held-out states (:mod:`drawdown_sim.analysis.discovery`).

Value of information. The expected value of partial perfect information (EVPPI) of a
parameter is how much lower the expected loss would be if the parameter were known before
choosing: ``E_theta[min_d E(L_d | theta)] - min_d E(L_d)``, as a gain (>= 0). It is estimated
by the regression method of Strong, Oakley and Brennan (2014, Medical Decision Making 34:311):
each option's loss over the states is regressed on the one parameter, here with a cubic
spline basis and a ridge penalty chosen by cross-validation (scikit-learn
``SplineTransformer`` and ``RidgeCV``: a one-variable generalised additive model), and the
option with the lowest fitted loss is the choice given the parameter. Read on the same states
it was fitted to, that estimate is never below zero, even for a parameter with no effect
(the fit chases noise). The estimate reported is therefore cross-fitted: the states are split
into :data:`FOLDS` folds, the regressions fitted on the other folds choose an option for each
held-out state, and the gain is the held-out states' loss under the best option on average
less their loss under the option chosen. Its mean over the states estimates the value of the
learned rule (at most the EVPPI, and equal to it as states grow); its 95% interval is a
bootstrap over the states, so a parameter that does not matter has an interval that includes
zero. The in-sample Strong-Oakley figure is given beside it (``strong_oakley``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .completion import wilson

FOLDS = 5
"""Folds of the cross-fitted EVPPI."""

MIN_FLIP_STATES = 10
"""States below which no box is sought for a flip (PRIM's halves would hold a handful)."""

PRIM_THRESHOLD = 0.8
"""Least density of PRIM's box for a flip (as ``discover``'s default)."""


def _interval(values: NDArray[np.float64], seed: int) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean over the units (NaN units left out),
    every call drawing from a fresh generator of ``seed``: so intervals over the same units
    are paired whatever the order in which they are computed."""
    from .comparison import _bootstrap_mean_intervals

    kept = values[~np.isnan(values)]
    if kept.size < 2:
        return math.nan, math.nan
    ((low, high),) = _bootstrap_mean_intervals(kept[:, None], np.random.default_rng(seed))
    return low, high


def _sign(better: str) -> float:
    return 1.0 if better == "lower" else -1.0


@dataclass
class Pareto:
    """The Pareto set and the paired differences it was judged on."""

    table: pd.DataFrame  # option, pareto (bool), dominated_by (names joined by ", ")
    differences: pd.DataFrame  # first, second, column, difference, low, high, verdict

    @property
    def members(self) -> list[str]:
        return [str(o) for o in self.table.loc[self.table["pareto"], "option"]]


def pareto_set(samples: dict[str, pd.DataFrame], better: dict[str, str], seed: int) -> Pareto:
    """The options no other option dominates (see the module), judged on ``samples``: per
    judged column, a table of units x options. Units where a column is null (not applicable)
    for either option are left out of that column's difference; a column null for an option
    throughout is not judged for it."""
    columns = list(samples)
    options = [str(o) for o in next(iter(samples.values())).columns]
    rows = []
    for first, second in itertools.permutations(options, 2):
        for column in columns:
            a = samples[column][first].to_numpy(dtype=float)
            b = samples[column][second].to_numpy(dtype=float)
            d = a - b
            if np.isnan(d).all():
                continue
            low, high = _interval(d, seed)
            sign = _sign(better[column])
            good = sign * high < 0 if sign > 0 else sign * low < 0
            bad = sign * low > 0 if sign > 0 else sign * high > 0
            rows.append(
                {
                    "first": first,
                    "second": second,
                    "column": column,
                    "difference": float(np.nanmean(d)),
                    "low": low,
                    "high": high,
                    "verdict": "better" if good else "worse" if bad else "same",
                }
            )
    differences = pd.DataFrame(
        rows, columns=["first", "second", "column", "difference", "low", "high", "verdict"]
    )
    dominated: dict[str, list[str]] = {o: [] for o in options}
    for key, pair in differences.groupby(["first", "second"], sort=False):
        first, second = str(key[0]), str(key[1])  # type: ignore[index]
        verdicts = set(pair["verdict"])
        if "better" in verdicts and "worse" not in verdicts:
            dominated[second].append(first)
    table = pd.DataFrame(
        {
            "option": options,
            "pareto": [not dominated[o] for o in options],
            "dominated_by": [", ".join(dominated[o]) for o in options],
        }
    )
    return Pareto(table, differences)


def losses(
    samples: dict[str, pd.DataFrame], weights: dict[str, float], better: dict[str, str]
) -> pd.DataFrame:
    """The weighted loss per unit (rows) and option (columns): lower is better. A unit where
    a weighted column is null for an option is null for it."""
    total: pd.DataFrame | None = None
    for column, weight in weights.items():
        part = samples[column] * (weight * _sign(better[column]))
        total = part if total is None else total + part
    assert total is not None
    return total


def weighted_table(loss: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Per option: the weighted score (mean loss over the units) and its regret against the
    best option of each unit, each mean with its 95% bootstrap interval over the units, the
    regret's 90th percentile, and the share of units where the option is best with its 95%
    Wilson interval. Sorted best first."""
    regret = loss.sub(loss.min(axis=1), axis=0)
    rows = []
    for option in loss.columns:
        values = loss[option].to_numpy(dtype=float)
        regrets = regret[option].to_numpy(dtype=float)
        score_lo, score_hi = _interval(values, seed)
        regret_lo, regret_hi = _interval(regrets, seed)
        judged = regrets[~np.isnan(regrets)]
        best = int((judged == 0).sum())
        best_lo, best_hi = wilson(best, judged.size)
        rows.append(
            {
                "option": str(option),
                "score": float(np.nanmean(values)),
                "score_lo": score_lo,
                "score_hi": score_hi,
                "regret": float(np.nanmean(regrets)),
                "regret_lo": regret_lo,
                "regret_hi": regret_hi,
                "regret_p90": float(np.nanquantile(regrets, 0.9)),
                "best_in": best / judged.size if judged.size else math.nan,
                "best_in_lo": best_lo,
                "best_in_hi": best_hi,
            }
        )
    return pd.DataFrame(rows).sort_values("score", kind="stable").reset_index(drop=True)


FLIP_COLUMNS = [
    "first",
    "second",
    "judged_on",
    "winner",
    "loser",
    "states",
    "winner_share",
    "deciding_parameter",
    "box",
    "coverage",
    "density",
    "held_out_coverage",
    "held_out_coverage_lo",
    "held_out_coverage_hi",
    "held_out_density",
    "held_out_density_lo",
    "held_out_density_hi",
    "sentence",
]


def _number(value: float) -> str:
    from ..common.numbers import number

    return number(value)


MAX_BOX_WORDS = 3
"""Restrictions named in a flip's sentence (the clearest first; all are in ``box``)."""


def box_words(limits: pd.DataFrame, clear_only: bool = False) -> str:
    """'sites.2.attack_propensity is above 0.45 and isis.sensitivity is below 1.2'.

    ``clear_only``: only the restrictions whose quasi-p-value is below
    :data:`~drawdown_sim.analysis.discovery.QUASI_P_CLEAR`,
    at most :data:`MAX_BOX_WORDS` of them, the
    clearest first (``limits`` comes sorted so from the discovery)."""
    from .discovery import QUASI_P_CLEAR

    restricted = limits[limits["restricted"]]
    if clear_only:
        qp = restricted["qp"].to_numpy(dtype=float) if "qp" in restricted else np.array([])
        restricted = restricted[qp < QUASI_P_CLEAR].head(MAX_BOX_WORDS)
    parts = []
    for r in restricted.to_dict("records"):
        low, high = float(r["low"]), float(r["high"])
        lower, upper = low > float(r["full_low"]), high < float(r["full_high"])
        if lower and upper:
            parts.append(f"{r['parameter']} is between {_number(low)} and {_number(high)}")
        elif lower:
            parts.append(f"{r['parameter']} is above {_number(low)}")
        else:
            parts.append(f"{r['parameter']} is below {_number(high)}")
    return " and ".join(parts)


def flip(
    x: pd.DataFrame, loss: pd.DataFrame, first: str, second: str, judged_on: str
) -> dict[str, Any]:
    """What decides whether ``first`` or ``second`` has the lower loss (``loss``: units x
    options, ``x``: the units' parameter values): PRIM's box of the states where the option
    that wins in fewer states wins, and a sentence for the report."""
    from .discovery import prim_discovery

    a = loss[first].to_numpy(dtype=float)
    b = loss[second].to_numpy(dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    first_wins = a[keep] < b[keep]
    n = int(keep.sum())
    row: dict[str, Any] = dict.fromkeys(FLIP_COLUMNS, math.nan)
    row.update(first=first, second=second, judged_on=judged_on, states=n)
    wins = int(first_wins.sum())
    winner, loser, holds = (first, second, first_wins)
    if wins > n - wins:
        winner, loser, holds = second, first, ~first_wins
    row.update(winner=winner, loser=loser, winner_share=holds.mean() if n else math.nan)
    if n < MIN_FLIP_STATES and holds.sum() > 0:
        row.update(
            box="",
            deciding_parameter="",
            sentence=f"{winner} beats {loser} on {judged_on} in {int(holds.sum())} of the {n} "
            f"states; too few states to say when (at least {MIN_FLIP_STATES}).",
        )
        return row
    if holds.sum() == 0:
        row.update(
            box="",
            deciding_parameter="",
            sentence=f"{loser} beats {winner} on {judged_on} in every one of the {n} states "
            "sampled: nothing in the swept ranges flips this pair.",
        )
        return row
    states = x[keep].reset_index(drop=True).astype(float)
    found = prim_discovery(
        states, holds, f"{winner} beats {loser} on {judged_on}", winner, PRIM_THRESHOLD
    )
    restricted = found.limits[found.limits["restricted"]]
    words = box_words(found.limits, clear_only=True)
    share = f"{holds.mean():.0%} of the {n} states"
    held = found.held_out
    from .discovery import QUASI_P_CLEAR

    clear = restricted[restricted["qp"].to_numpy(dtype=float) < QUASI_P_CLEAR]
    row.update(
        # The clearest restriction, and only one that is clearly more than chance.
        deciding_parameter=str(clear["parameter"].iloc[0]) if len(clear) else "",
        box=box_words(found.limits),
        coverage=found.sample.coverage if found.sample else math.nan,
        density=found.sample.density if found.sample else math.nan,
    )
    if held is not None:
        (clo, chi), (dlo, dhi) = held.coverage_interval, held.density_interval
        row.update(
            held_out_coverage=held.coverage,
            held_out_coverage_lo=clo,
            held_out_coverage_hi=chi,
            held_out_density=held.density,
            held_out_density_lo=dlo,
            held_out_density_hi=dhi,
        )
    if not words:
        row["sentence"] = (
            f"{winner} beats {loser} on {judged_on} in {share}, with no range of any parameter "
            "that is clearly more than chance (every quasi-p-value of PRIM's box is 0.05 or "
            "more): what decides it is not one of the swept parameters, or is noise."
        )
        return row
    more = len(restricted) - min(len(clear), MAX_BOX_WORDS)
    sentence = f"{winner} beats {loser} on {judged_on} when {words}" + (
        f" (and {more} looser restrictions)" if more > 0 else ""
    )
    sentence += f" ({share} overall"
    if held is not None:
        sentence += (
            f"; on held-out states the box holds {held.coverage:.0%} of them and "
            f"{held.density:.0%} of its states are such"
        )
    row["sentence"] = sentence + ")."
    return row


def flip_pairs(pareto: Pareto, ranking: list[str]) -> list[tuple[str, str]]:
    """The pairs whose ranking is analysed: every pair of the Pareto set, or with a single
    member, that member and the runner-up of ``ranking`` (best first)."""
    members = pareto.members
    if len(members) >= 2:
        return list(itertools.combinations(members, 2))
    best = members[0] if members else ranking[0]
    others = [o for o in ranking if o != best]
    return [(best, others[0])] if others else []


def flips_table(
    x: pd.DataFrame, losses_by: dict[str, pd.DataFrame], pairs: list[tuple[str, str]]
) -> pd.DataFrame:
    """:func:`flip` for every pair and every loss (``losses_by``: name -> units x options)."""
    rows = [
        flip(x, loss, first, second, name)
        for name, loss in losses_by.items()
        for first, second in pairs
    ]
    return pd.DataFrame(rows, columns=FLIP_COLUMNS)


def _spline_fit(
    theta: NDArray[np.float64], y: NDArray[np.float64], at: NDArray[np.float64]
) -> NDArray[np.float64]:
    """A one-variable additive model: cubic splines with a ridge penalty chosen by
    leave-one-out cross-validation, fitted on (theta, y) and predicted at ``at``."""
    from sklearn.linear_model import RidgeCV  # type: ignore[import-untyped]
    from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
    from sklearn.preprocessing import SplineTransformer  # type: ignore[import-untyped]

    distinct = np.unique(theta).size
    if distinct < 2:
        return np.full(at.shape[0], float(np.mean(y)))
    knots = int(min(5, max(2, distinct - 1)))
    model = make_pipeline(
        SplineTransformer(n_knots=knots, degree=3, extrapolation="linear"),
        RidgeCV(alphas=np.logspace(-4, 4, 17)),
    )
    model.fit(theta, y)
    return np.asarray(model.predict(at), dtype=float)


def evppi(
    values: NDArray[np.float64], loss: NDArray[np.float64], seed: int, folds: int = FOLDS
) -> dict[str, float]:
    """The EVPPI of one parameter (``values`` per unit) on ``loss`` (units x options), by
    the cross-fitted regression estimator of the module docstring: ``evppi`` with its 95%
    bootstrap interval (``low``, ``high``), and the in-sample Strong-Oakley figure."""
    from sklearn.model_selection import KFold  # type: ignore[import-untyped]

    keep = np.isfinite(values) & np.isfinite(loss).all(axis=1)
    theta, y = values[keep][:, None], loss[keep]
    n, options = y.shape
    if n < 2 * folds or options < 2:
        return {"evppi": math.nan, "low": math.nan, "high": math.nan, "strong_oakley": math.nan}
    gain = np.empty(n)
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(theta):
        fitted = np.column_stack(
            [_spline_fit(theta[train], y[train, d], theta[test]) for d in range(options)]
        )
        default = int(np.argmin(y[train].mean(axis=0)))
        chosen = fitted.argmin(axis=1)
        gain[test] = y[test, default] - y[test, chosen]
    low, high = _interval(gain, seed)
    fitted_all = np.column_stack([_spline_fit(theta, y[:, d], theta) for d in range(options)])
    strong_oakley = float(y.mean(axis=0).min() - fitted_all.min(axis=1).mean())
    return {"evppi": float(gain.mean()), "low": low, "high": high, "strong_oakley": strong_oakley}


def value_of_information(
    x: pd.DataFrame, losses_by: dict[str, pd.DataFrame], seed: int
) -> pd.DataFrame:
    """EVPPI of every parameter (columns of ``x``) on every loss (name -> units x options),
    largest first within each loss. Columns ``judged_on``, ``parameter``, ``evppi``, ``low``,
    ``high``, ``strong_oakley``, ``share_of_loss`` (EVPPI over the best option's mean loss's
    magnitude), ``decisive`` (whether the interval excludes zero)."""
    rows = []
    for name, loss in losses_by.items():
        y = loss.to_numpy(dtype=float)
        scale = float(np.abs(np.nanmean(y, axis=0)).min()) if y.size else math.nan
        part: list[dict[str, Any]] = []
        for parameter in x.columns:
            found = evppi(x[parameter].to_numpy(dtype=float), y, seed)
            part.append(
                {
                    "judged_on": name,
                    "parameter": str(parameter),
                    **found,
                    "share_of_loss": found["evppi"] / scale if scale > 0 else math.nan,
                    "decisive": bool(found["low"] > 0),
                }
            )
        part.sort(key=lambda r: -float(r["evppi"]) if r["evppi"] == r["evppi"] else math.inf)
        rows.extend(part)
    return pd.DataFrame(
        rows,
        columns=[
            "judged_on",
            "parameter",
            "evppi",
            "low",
            "high",
            "strong_oakley",
            "share_of_loss",
            "decisive",
        ],
    )
