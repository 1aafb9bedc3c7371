"""Why the options differ: the difference in mean militia attacks split into its channels.

Over a period of ``T`` days, an option's mean militia attacks are, exactly::

    A = P x d x E_c x l_c  +  (T - P x d) x E_r x l_r

with, from the means over replications,

* ``P``: the chance of a campaign in the period (share of replications with campaign days);
* ``d``: campaign days when there is one (mean campaign days / P), so ``P x d`` is the mean
  campaign days and ``T - P x d`` the mean restraint days;
* ``E_c``, ``E_r``: mean exposure per campaign (restraint) day, exposure-days / day (the
  ``exposure`` outcome: personnel militias can reach, weighted as the attack rate weighs
  them, relative to the window start);
* ``l_c``, ``l_r``: intensity, attacks per exposure-day on campaign (in restraint): mean
  attacks on campaign days over mean campaign exposure-days (restraint likewise).

The difference between an option and the reference, ``A(option) - A(reference)``, is split
among the six factors by their Shapley values: each factor's part is its average effect of
switching from the reference's value to the option's, over every order of switching the
others. The parts are symmetric (no factor goes first) and sum exactly to the difference
(efficiency). A ratio that is undefined for one side (no campaign: ``d``, ``E_c``, ``l_c``;
no exposure: ``l``) takes the other side's value, so that channel contributes nothing; it
multiplies a zero, so the identity still holds.

Parts are grouped as the report reads them: campaign (``P`` and ``d``), exposure (``E_c``
and ``E_r``) and intensity (``l_c`` and ``l_r``). Intervals are 95% percentile bootstrap
intervals over replication pairs (common random numbers: replication r of each option
meets the same draws), from :func:`scipy.stats.bootstrap` with ``paired=True``.
"""

from __future__ import annotations

from itertools import product
from math import factorial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray
from scipy.stats import bootstrap

if TYPE_CHECKING:
    from .results import Results

FACTORS = ("chance", "length", "exposure_c", "exposure_r", "intensity_c", "intensity_r")
"""The six factors, in the order of the identity in the module docstring."""
PARTS: dict[str, str] = {
    "campaign_chance": "chance",
    "campaign_length": "length",
    "exposure_campaign": "exposure_c",
    "exposure_restraint": "exposure_r",
    "intensity_campaign": "intensity_c",
    "intensity_restraint": "intensity_r",
}
"""Part name -> the factor it is the Shapley value of."""
GROUPS: dict[str, tuple[str, ...]] = {
    "campaign": ("campaign_chance", "campaign_length"),
    "exposure": ("exposure_campaign", "exposure_restraint"),
    "intensity": ("intensity_campaign", "intensity_restraint"),
}
"""The channels the report shows: each the sum of its parts."""
LABELS: dict[str, str] = {
    "total": "Difference in mean attacks",
    "campaign": "Campaign: P(campaign) and its length",
    "campaign_chance": "P(campaign)",
    "campaign_length": "Campaign days when there is one",
    "exposure": "Exposure: personnel militias can reach",
    "exposure_campaign": "Exposure per campaign day",
    "exposure_restraint": "Exposure per restraint day",
    "intensity": "Intensity: attacks per exposure-day",
    "intensity_campaign": "Intensity per campaign day",
    "intensity_restraint": "Intensity per restraint day",
}
COLUMNS = ("attacks", "campaign_attacks", "campaign_days", "exposure", "campaign_exposure")
"""The per-replication outcomes the decomposition reads (with their _follow_on twins)."""
RESAMPLES = 2000
CONFIDENCE = 0.95


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    """num / den, NaN where den is 0 (undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def factors(columns: dict[str, NDArray[np.float64]], days: float) -> dict[str, Any]:
    """The six factors of the identity from per-replication ``columns`` (:data:`COLUMNS`;
    the last axis is replications, leading axes are resamples); NaN where undefined."""
    attacks, c_attacks = columns["attacks"], columns["campaign_attacks"]
    c_days, exposure, c_exposure = (
        columns["campaign_days"],
        columns["exposure"],
        columns["campaign_exposure"],
    )
    chance = (c_days > 0).mean(axis=-1)
    mean_days = c_days.mean(axis=-1)
    r_days = days - mean_days
    c_x, r_x = c_exposure.mean(axis=-1), (exposure - c_exposure).mean(axis=-1)
    c_a, r_a = c_attacks.mean(axis=-1), (attacks - c_attacks).mean(axis=-1)
    return {
        "chance": chance,
        "length": _ratio(mean_days, chance),
        "exposure_c": _ratio(c_x, mean_days),
        "exposure_r": _ratio(r_x, r_days),
        "intensity_c": _ratio(c_a, c_x),
        "intensity_r": _ratio(r_a, r_x),
    }


def attacks_from(f: dict[str, Any], days: float) -> Any:
    """Mean attacks from the six factors (the identity); NaN factors must be filled first."""
    campaign_days = f["chance"] * f["length"]
    return (
        campaign_days * f["exposure_c"] * f["intensity_c"]
        + (days - campaign_days) * f["exposure_r"] * f["intensity_r"]
    )


def _filled(
    own: dict[str, Any], ref: dict[str, Any]
) -> tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.float64]]]:
    """Undefined factors take the other side's value (0 when both are undefined)."""
    a, b = {}, {}
    for k in FACTORS:
        x, y = np.asarray(own[k], dtype=float), np.asarray(ref[k], dtype=float)
        a[k] = np.nan_to_num(np.where(np.isnan(x), y, x), nan=0.0)
        b[k] = np.nan_to_num(np.where(np.isnan(y), x, y), nan=0.0)
    return a, b


_N = len(FACTORS)
_SUBSETS = list(product((False, True), repeat=_N))
_WEIGHTS = [factorial(s) * factorial(_N - s - 1) / factorial(_N) for s in range(_N)]


def shapley(
    own: dict[str, Any], ref: dict[str, Any], days: float
) -> dict[str, NDArray[np.float64]]:
    """Each factor's Shapley share of ``attacks_from(own) - attacks_from(ref)`` (exact:
    the shares sum to the difference)."""
    a, b = _filled(own, ref)
    value = {
        mask: attacks_from(
            {k: a[k] if on else b[k] for k, on in zip(FACTORS, mask, strict=True)}, days
        )
        for mask in _SUBSETS
    }
    shares: dict[str, NDArray[np.float64]] = {}
    for i, k in enumerate(FACTORS):
        total = np.zeros_like(np.asarray(value[_SUBSETS[0]], dtype=float))
        for mask in _SUBSETS:
            if mask[i]:
                continue
            with_i = (*mask[:i], True, *mask[i + 1 :])
            total = total + _WEIGHTS[sum(mask)] * (value[with_i] - value[mask])
        shares[k] = total
    return shares


def parts(
    own: dict[str, NDArray[np.float64]], ref: dict[str, NDArray[np.float64]], days: float
) -> dict[str, Any]:
    """The total difference in mean attacks, its six parts and the three channels, from
    per-replication columns of the option and the reference (paired along the last axis)."""
    fo, fr = factors(own, days), factors(ref, days)
    shares = shapley(fo, fr, days)
    out: dict[str, Any] = {
        "total": own["attacks"].mean(axis=-1) - ref["attacks"].mean(axis=-1),
    }
    for part, factor in PARTS.items():
        out[part] = shares[factor]
    for group, members in GROUPS.items():
        out[group] = sum(out[m] for m in members)
    return out


ORDER = ("total", "campaign", "exposure", "intensity", *PARTS)


def decompose(
    own: dict[str, NDArray[np.float64]],
    ref: dict[str, NDArray[np.float64]],
    days: float,
    seed: int,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """One row per part (:data:`ORDER`): its value and 95% bootstrap interval over the
    replication pairs (attacks; the same replications in ``own`` and ``ref``, in order)."""
    point = parts(own, ref, days)
    names = list(COLUMNS)
    data = tuple(own[n] for n in names) + tuple(ref[n] for n in names)

    def statistic(*arrays: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
        a = dict(zip(names, arrays[: len(names)], strict=True))
        b = dict(zip(names, arrays[len(names) :], strict=True))
        values = parts(a, b, days)
        return np.stack([np.asarray(values[k], dtype=float) for k in ORDER])

    low = high = np.full(len(ORDER), np.nan)
    if own["attacks"].size >= 2:
        with np.errstate(invalid="ignore", divide="ignore"):
            ci = bootstrap(
                data,
                statistic,
                paired=True,
                vectorized=True,
                n_resamples=resamples,
                batch=200,
                confidence_level=CONFIDENCE,
                method="percentile",
                rng=np.random.default_rng(seed),
            ).confidence_interval
        low, high = np.asarray(ci.low), np.asarray(ci.high)
    return pd.DataFrame(
        {
            "part": ORDER,
            "label": [LABELS[k] for k in ORDER],
            "value": [float(point[k]) for k in ORDER],
            "low": low,
            "high": high,
        }
    )


def _columns(result: Results, suffix: str, at: NDArray[np.intp] | None) -> dict[str, Any]:
    out = {}
    for name in COLUMNS:
        column = result.column(f"{name}{suffix}")
        out[name] = np.asarray(column if at is None else column[at], dtype=float)
    return out


def _has_columns(result: Results) -> bool:
    """Whether ``result`` holds the outcomes the decomposition reads."""
    try:
        for name in COLUMNS:
            result.column(name)
    except (KeyError, ValueError, pa.ArrowException):
        return False
    return True


def periods(result: Results) -> list[tuple[str, str, float]]:
    """(period, column suffix, days) of each period ``result`` has."""
    scenario = result.scenario
    window = float(scenario.window_days)
    out = [("window", "", window)]
    follow_on = float(scenario.horizon_days) - window
    if scenario.follow_on is not None and follow_on > 0:
        out.append(("follow_on", "_follow_on", follow_on))
    return out


COLUMNS_OUT = ["option", "reference", "period", "part", "label", "value", "low", "high", "pairs"]
"""The columns of ``decomposition.csv``."""


def option_decomposition(
    option: str,
    result: Results,
    reference: str,
    ref: Results,
    seed: int,
    resamples: int = RESAMPLES,
) -> list[pd.DataFrame]:
    """The rows of one option against ``reference``, one frame per period both have (none
    for results from before the decomposition's outcomes existed)."""
    if not (_has_columns(result) and _has_columns(ref)):
        return []
    own_ids, ref_ids = result.column("replication"), ref.column("replication")
    _, own_at, ref_at = np.intersect1d(own_ids, ref_ids, return_indices=True)
    ref_periods = {p for p, _, _ in periods(ref)}
    frames = []
    for period, suffix, days in periods(result):
        if period not in ref_periods:
            continue
        own_cols, ref_cols = _columns(result, suffix, own_at), _columns(ref, suffix, ref_at)
        keep = np.logical_and.reduce(
            [np.isfinite(c) for c in (*own_cols.values(), *ref_cols.values())]
        )
        own_cols = {k: v[keep] for k, v in own_cols.items()}
        ref_cols = {k: v[keep] for k, v in ref_cols.items()}
        frame = decompose(own_cols, ref_cols, days, seed, resamples)
        frame.insert(0, "period", period)
        frame.insert(0, "reference", reference)
        frame.insert(0, "option", option)
        frame["pairs"] = int(keep.sum())
        frames.append(frame)
    return frames


def joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames of :func:`option_decomposition` as one table (empty, with its columns,
    when there are none)."""
    if not frames:
        return pd.DataFrame(columns=COLUMNS_OUT[:-1])
    return pd.concat(frames, ignore_index=True)


def decomposition_table(
    results: dict[str, Results], reference: str, seed: int = 0, resamples: int = RESAMPLES
) -> pd.DataFrame:
    """For each option against ``reference`` and each period both have: the difference in
    mean militia attacks and its parts (module docstring), with 95% intervals. Columns:
    option, reference, period, part, label, value, low, high, pairs. The option in place
    ``number`` of ``results`` is resampled from ``seed + number``."""
    ref = results[reference]
    frames = []
    for number, (option, result) in enumerate(results.items()):
        if option != reference:
            frames += option_decomposition(option, result, reference, ref, seed + number, resamples)
    return joined(frames)


def wide(table: pd.DataFrame, parts: tuple[str, ...] = ("total", *GROUPS)) -> pd.DataFrame:
    """The channels as columns, one row per option and period (value, low, high each)."""
    rows = []
    for (option, period), group in table.groupby(["option", "period"], sort=False):
        row: dict[str, Any] = {"option": option, "period": period}
        by = group.set_index("part")[["value", "low", "high"]].astype(float).to_dict("index")
        for part in parts:
            row[part] = by[part]["value"]
            row[f"{part}_low"] = by[part]["low"]
            row[f"{part}_high"] = by[part]["high"]
        rows.append(row)
    return pd.DataFrame(rows)
