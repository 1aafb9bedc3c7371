"""Scenario discovery: which uncertain parameters, in which ranges, lead to a condition.

Given a finished sweep (states of the world sampled from the scenario's ``uncertainties``,
each option run in each) and a condition on the outcomes, such as ``killed + wounded >= 10``
or ``slip_days >= 60``, PRIM (Friedman and Fisher 1999, the Patient Rule Induction Method)
peels the parameter space towards a box of states where the condition mostly holds. The
implementation is EMA Workbench's ``analysis.prim`` (the ``ema`` extra); this module only
evaluates the condition and chooses and reports the box.

Coverage is the share of all states meeting the condition that the box holds; density the
share of states in the box that meet it. Each restricted dimension carries PRIM's
quasi-p-value: a large one means the restriction may be chance.

PRIM chooses its box on the very states it is scored on, so the box's own coverage and
density flatter it. The box is therefore also checked on states it was not found on: the
states are split in two halves (stratified by the condition, with a fixed seed), PRIM finds a
box on each half by the same rule, and each box is scored on the other half. The pooled
held-out coverage and density, with their 95% Wilson intervals, are what the box can be
expected to do on new states: a held-out density no better than the share of all states where
the condition holds means the box may be fitted to chance.
"""

from __future__ import annotations

import ast
import operator
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..common.jsonable import records
from ..model import OUTCOMES
from .completion import wilson

_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE = {
    ast.GtE: operator.ge,
    ast.Gt: operator.gt,
    ast.LtE: operator.le,
    ast.Lt: operator.lt,
    ast.Eq: operator.eq,
}
MAX_CONDITION = 200
"""Characters allowed in a condition."""

QUASI_P_CLEAR = 0.05
"""A restriction whose quasi-p-value is below this is called more than chance."""

HOLD_OUT_SEED = 1999
"""Seed of the split into halves for the held-out check: fixed, so that a discovery is
reproducible (Friedman and Fisher's year, nothing more)."""


class ConditionError(ValueError):
    """A condition that is not an outcome expression compared with a number."""


def _evaluate(node: ast.AST, frame: pd.DataFrame) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ConditionError("use numbers, not true/false")
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in OUTCOMES:
            raise ConditionError(f"{node.id[:40]!r} is not an outcome (see the README's list)")
        if node.id not in frame:
            raise ConditionError(f"{node.id!r} is not in this sweep's results")
        return frame[node.id].astype(float)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, frame)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _evaluate(node.left, frame), _evaluate(node.right, frame)
        try:
            return _ARITHMETIC[type(node.op)](left, right)
        except (ZeroDivisionError, OverflowError):
            raise ConditionError("division by zero, or a number too large") from None
    raise ConditionError("only outcomes, numbers, + - * / and parentheses are allowed")


def evaluate_condition(text: str, frame: pd.DataFrame) -> np.ndarray:
    """Where ``text`` (``expression OP number``, OP one of >= > <= < ==) holds, per row.

    Raises:
        ConditionError: anything else (no names but outcomes, no calls or attributes).
    """
    if len(text) > MAX_CONDITION:
        raise ConditionError(f"a condition has at most {MAX_CONDITION} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ConditionError(
            'not an expression; write e.g. "killed + wounded >= 10" or "slip_days >= 60"'
        ) from None
    body = tree.body
    if not (isinstance(body, ast.Compare) and len(body.ops) == 1 and type(body.ops[0]) in _COMPARE):
        raise ConditionError('compare one expression with one value, e.g. "killed >= 2"')
    left = _evaluate(body.left, frame)
    right = _evaluate(body.comparators[0], frame)
    with np.errstate(invalid="ignore", divide="ignore"):
        holds = _COMPARE[type(body.ops[0])](left, right)
    return np.asarray(holds, dtype=bool)


@dataclass(frozen=True)
class BoxCounts:
    """How a box splits a set of states: all of them, those where the condition holds, those
    inside the box, and those inside where it holds."""

    states: int
    cases: int
    in_box: int
    cases_in_box: int

    @property
    def coverage(self) -> float:
        """Share of the states of interest inside the box (NaN with none)."""
        return self.cases_in_box / self.cases if self.cases else float("nan")

    @property
    def density(self) -> float:
        """Share of the box's states that are of interest (NaN for an empty box)."""
        return self.cases_in_box / self.in_box if self.in_box else float("nan")

    @property
    def coverage_interval(self) -> tuple[float, float]:
        """95% Wilson interval of the coverage."""
        return wilson(self.cases_in_box, self.cases)

    @property
    def density_interval(self) -> tuple[float, float]:
        """95% Wilson interval of the density."""
        return wilson(self.cases_in_box, self.in_box)

    def to_dict(self) -> dict[str, Any]:
        coverage_lo, coverage_hi = self.coverage_interval
        density_lo, density_hi = self.density_interval
        return {
            "states": self.states,
            "cases": self.cases,
            "in_box": self.in_box,
            "cases_in_box": self.cases_in_box,
            "coverage": self.coverage,
            "coverage_lo": coverage_lo,
            "coverage_hi": coverage_hi,
            "density": self.density,
            "density_lo": density_lo,
            "density_hi": density_hi,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> BoxCounts:
        return cls(
            int(payload["states"]),
            int(payload["cases"]),
            int(payload["in_box"]),
            int(payload["cases_in_box"]),
        )


@dataclass
class Discovery:
    """The box PRIM chose, the peeling trajectory it was chosen from, and how it does on the
    states it was found on (``sample``) and on states it was not (``held_out``; None when a
    half holds too few states of interest, or too many, for PRIM)."""

    condition: str
    option: str
    states: int
    cases: int  # states where the condition holds
    limits: pd.DataFrame  # parameter, low, high, full_low, full_high, restricted, qp
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame  # coverage, density, mass, res_dim per peeling step
    chosen: int  # row of the trajectory
    threshold: float
    sample: BoxCounts | None = None
    held_out: BoxCounts | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "option": self.option,
            "states": self.states,
            "cases": self.cases,
            "coverage": self.coverage,
            "density": self.density,
            "mass": self.mass,
            "threshold": self.threshold,
            "chosen": self.chosen,
            "box": records(self.limits),
            "trajectory": records(self.trajectory),
            "sample": None if self.sample is None else self.sample.to_dict(),
            "held_out": None if self.held_out is None else self.held_out.to_dict(),
        }

    def findings(self) -> list[str]:
        """The discovery in sentences, each share with its 95% interval, and whether the box
        holds up on states it was not found on."""
        lines = [
            f"{self.condition} holds for {self.option} in {self.cases} of {self.states} states."
        ]
        if self.sample is None:  # a file from before the held-out check
            lines.append(
                f"PRIM's box holds {self.mass:.0%} of the states: coverage {self.coverage:.0%}, "
                f"density {self.density:.0%} (no intervals in this older file)."
            )
            return lines
        lines.append(
            f"PRIM's box holds {self.sample.in_box} of the states: {_shares(self.sample)}, "
            "scored on the states it was found on."
        )
        held = self.held_out
        if held is None:
            lines.append(
                "Too few states of interest (or too few others) to check the box on states it "
                "was not found on; run more states before relying on it."
            )
            return lines
        lines.append(
            f"On states it was not found on (a box found on each half, scored on the "
            f"other): {_shares(held)}."
        )
        base = self.cases / self.states
        density_lo, density_hi = held.density_interval
        if density_lo <= base:
            lines.append(
                f"On new states the box's density cannot be told apart from the share of all "
                f"states where the condition holds ({base:.0%}): the box may be no better than "
                "chance, so read its limits as a hint, not a finding."
            )
        elif density_hi < self.sample.density:
            lines.append(
                "The box does better than chance on new states, but less well than on its own: "
                "its limits are partly fitted to chance."
            )
        restricted = self.limits[self.limits["restricted"]]
        quasi_p = restricted["qp"].to_numpy(dtype=float)
        if len(restricted) and not (quasi_p < QUASI_P_CLEAR).any():
            lines.append(
                f"No restriction is clearly more than chance: every quasi-p-value is "
                f"{QUASI_P_CLEAR} or more, or unknown."
            )
        return lines


def _percent_interval(value: float, interval: tuple[float, float]) -> str:
    """'62% [51, 72]': a share and its 95% interval in percent."""
    if value != value:
        return "-"
    return f"{value:.0%} [{interval[0] * 100:.0f}, {interval[1] * 100:.0f}]"


def _shares(counts: BoxCounts) -> str:
    return (
        f"coverage {_percent_interval(counts.coverage, counts.coverage_interval)}, "
        f"density {_percent_interval(counts.density, counts.density_interval)}"
    )


def choose_step(trajectory: pd.DataFrame, threshold: float) -> int:
    """The peeling step to report (its label in ``trajectory``): of the steps of density at
    least ``threshold``, the one of largest coverage; or, when none reaches it, the one of
    largest coverage x density.

    Of equal coverage, the densest: peeling often sheds only states of no interest for a
    while, and the first of those steps (often the whole space) says least. Of equal coverage
    and density, the earliest: the same states with fewer restrictions.
    """
    meets = trajectory[trajectory["density"] >= threshold]
    if not len(meets):
        product = (trajectory["coverage"] * trajectory["density"]).to_numpy()
        return int(trajectory.index.to_numpy()[product.argmax()])
    ranked = meets.assign(later=meets.index).sort_values(
        ["coverage", "density", "later"], ascending=[True, True, False]
    )
    return int(ranked.index.to_numpy()[-1])


def _prim_box(
    x: pd.DataFrame, holds: np.ndarray, threshold: float, peel_alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame, int, Any]:
    """PRIM's chosen box on ``x``: (trajectory, limits, chosen step, quasi-p-values).

    The chosen step is :func:`choose_step`'s.
    ``limits`` has columns parameter, low, high, full_low, full_high, restricted.
    """
    with warnings.catch_warnings():  # it announces optional parts it does without
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim  # type: ignore[import-untyped]

        finder = prim.Prim(x, holds, threshold=threshold, peel_alpha=peel_alpha)
        box = finder.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    chosen = choose_step(trajectory, threshold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box.select(chosen)
        qp = box.qp[chosen] if chosen < len(box.qp) else {}
    limits_box = box.box_lims[chosen]
    full = box.box_lims[0]
    table = []
    for name in x.columns:
        low, high = float(limits_box[name][0]), float(limits_box[name][1])
        full_low, full_high = float(full[name][0]), float(full[name][1])
        table.append(
            {
                "parameter": name,
                "low": low,
                "high": high,
                "full_low": full_low,
                "full_high": full_high,
                "restricted": low > full_low or high < full_high,
            }
        )
    return trajectory, pd.DataFrame(table), chosen, qp


def inside(x: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray:
    """Which rows of ``x`` lie in the box ``limits`` (bounds included, as PRIM counts them).

    A side the box does not restrict is open: a new state beyond the range the box was found
    on lies inside on that side, since nothing there was cut away.
    """
    result = np.ones(len(x), dtype=bool)
    for name, low, high, full_low, full_high in zip(
        limits["parameter"].astype(str),
        limits["low"].to_numpy(dtype=float),
        limits["high"].to_numpy(dtype=float),
        limits["full_low"].to_numpy(dtype=float),
        limits["full_high"].to_numpy(dtype=float),
        strict=True,
    ):
        values = x[name].to_numpy(dtype=float)
        if low > full_low:
            result &= values >= low
        if high < full_high:
            result &= values <= high
    return result


def _counts(holds: np.ndarray, in_box: np.ndarray) -> BoxCounts:
    return BoxCounts(len(holds), int(holds.sum()), int(in_box.sum()), int((holds & in_box).sum()))


def held_out_counts(
    x: pd.DataFrame, holds: np.ndarray, threshold: float, peel_alpha: float
) -> BoxCounts | None:
    """The box's counts on states it was not found on, pooled over two halves.

    The states are split in two, stratified by ``holds`` so that each half has about half the
    states of interest; PRIM finds a box on each half and the box is counted on the other
    half. None when either half has no state of interest or nothing else (PRIM needs both).
    """
    rng = np.random.default_rng(HOLD_OUT_SEED)
    half = np.zeros(len(holds), dtype=bool)
    for label in (True, False):
        members = rng.permutation(np.flatnonzero(holds == label))
        half[members[: len(members) // 2]] = True
    totals = np.zeros(4, dtype=int)
    for train in (half, ~half):
        test = ~train
        trained = holds[train]
        if trained.all() or not trained.any() or not test.any():
            return None
        _, limits, _, _ = _prim_box(x[train].reset_index(drop=True), trained, threshold, peel_alpha)
        counts = _counts(holds[test], inside(x[test], limits))
        totals += (counts.states, counts.cases, counts.in_box, counts.cases_in_box)
    return BoxCounts(*(int(t) for t in totals))


def discover_frame(
    frame: pd.DataFrame,
    parameters: list[str],
    condition: str,
    option: str,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
) -> Discovery:
    """PRIM on one option's states of a sweep frame (one row per state x option).

    Raises:
        ConditionError: a bad condition, or one that holds in no state or in every state
            (there is nothing to discover).
    """
    rows = frame[frame["option"] == option].sort_values("state")
    if rows.empty:
        raise ConditionError(f"{option[:40]!r} is not an option of this sweep")
    holds = evaluate_condition(condition, rows)
    cases = int(holds.sum())
    if cases == 0 or cases == len(rows):
        raise ConditionError(
            f"{condition!r} holds in {cases} of {len(rows)} states of {option}: there is no "
            "region to find; change the threshold or run more states"
        )
    x = rows[parameters].reset_index(drop=True).astype(float)
    return prim_discovery(x, holds, condition, option, threshold, peel_alpha)


def prim_discovery(
    x: pd.DataFrame,
    holds: np.ndarray,
    condition: str,
    option: str,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
) -> Discovery:
    """PRIM's box of the states ``x`` (one row per state, a column per parameter) where
    ``holds`` is true, scored on its own states and on held-out ones (see the module)."""
    cases = int(holds.sum())
    trajectory, limits, chosen, qp = _prim_box(x, holds, threshold, peel_alpha)
    sample = _counts(holds, inside(x, limits))
    quasi_p = []
    for name in limits["parameter"]:
        p = qp.get(name) if isinstance(qp, dict) else None
        quasi_p.append(float(max(v for v in p if v is not None)) if p else float("nan"))
    limits = (
        limits.assign(qp=quasi_p)
        .sort_values(["restricted", "qp"], ascending=[False, True])
        .reset_index(drop=True)
    )
    coverage, density, mass = (
        float(v) for v in trajectory.loc[chosen, ["coverage", "density", "mass"]].to_numpy()
    )
    return Discovery(
        condition=condition,
        option=option,
        states=len(x),
        cases=cases,
        limits=limits,
        coverage=coverage,
        density=density,
        mass=mass,
        trajectory=trajectory.reset_index(drop=True),
        chosen=chosen,
        threshold=threshold,
        sample=sample,
        held_out=held_out_counts(x, holds, threshold, peel_alpha),
    )


def discovery_from_dict(payload: dict[str, Any]) -> Discovery:
    """A :class:`Discovery` back from :meth:`Discovery.to_dict` (``discovery.json``)."""
    limits = pd.DataFrame(payload["box"]).astype({"qp": float})
    return Discovery(
        condition=str(payload["condition"]),
        option=str(payload["option"]),
        states=int(payload["states"]),
        cases=int(payload["cases"]),
        limits=limits,
        coverage=float(payload["coverage"]),
        density=float(payload["density"]),
        mass=float(payload["mass"]),
        trajectory=pd.DataFrame(payload["trajectory"]),
        chosen=int(payload["chosen"]),
        threshold=float(payload["threshold"]),
        # Files written before the held-out check have neither.
        sample=BoxCounts.from_dict(payload["sample"]) if payload.get("sample") else None,
        held_out=BoxCounts.from_dict(payload["held_out"]) if payload.get("held_out") else None,
    )
