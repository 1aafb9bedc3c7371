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
"""

from __future__ import annotations

import ast
import operator
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .jsonable import records
from .model import OUTCOMES

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
        return _ARITHMETIC[type(node.op)](_evaluate(node.left, frame), _evaluate(node.right, frame))
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


@dataclass
class Discovery:
    """The box PRIM chose, and the peeling trajectory it was chosen from."""

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
        }


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
    with warnings.catch_warnings():  # it announces optional parts it does without
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim  # type: ignore[import-untyped]

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
    with warnings.catch_warnings():  # EMA Workbench warns about its own defaults
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, holds, threshold=threshold, peel_alpha=peel_alpha)
        box = finder.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    meets = trajectory.index[trajectory["density"] >= threshold]
    chosen = (
        int(trajectory.loc[meets, "coverage"].idxmax())
        if len(meets)
        else int((trajectory["coverage"] * trajectory["density"]).idxmax())
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box.select(chosen)
        qp = box.qp[chosen] if chosen < len(box.qp) else {}
    limits_box = box.box_lims[chosen]
    full = box.box_lims[0]
    table = []
    for name in parameters:
        low, high = float(limits_box[name][0]), float(limits_box[name][1])
        full_low, full_high = float(full[name][0]), float(full[name][1])
        restricted = low > full_low or high < full_high
        p = qp.get(name) if isinstance(qp, dict) else None
        table.append(
            {
                "parameter": name,
                "low": low,
                "high": high,
                "full_low": full_low,
                "full_high": full_high,
                "restricted": restricted,
                "qp": float(max(v for v in p if v is not None)) if p else float("nan"),
            }
        )
    limits = (
        pd.DataFrame(table)
        .sort_values(["restricted", "qp"], ascending=[False, True])
        .reset_index(drop=True)
    )
    row = trajectory.loc[chosen]
    return Discovery(
        condition=condition,
        option=option,
        states=len(rows),
        cases=cases,
        limits=limits,
        coverage=float(row["coverage"]),
        density=float(row["density"]),
        mass=float(row["mass"]),
        trajectory=trajectory.reset_index(drop=True),
        chosen=chosen,
        threshold=threshold,
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
    )
