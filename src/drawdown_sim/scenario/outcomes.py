"""The outcomes a replication reports: the results contract every layer above reads (their
columns, which way is better, units). Scenario-level vocabulary: a study file judges options
by these names, so they are defined here, below the model that computes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OutcomeSpec:
    """An outcome column: its type, which way is better (``""``: neither), its unit and what
    it means."""

    kind: str  # "int" | "float" | "bool"
    better: str  # "lower" | "higher" | ""
    unit: str = ""
    description: str = ""
    follow_on: bool = False  # a count or duration that also gets a <name>_follow_on column


_WINDOW_SPECS: dict[str, OutcomeSpec] = {
    "attacks": OutcomeSpec(
        "int", "lower", "attacks", "Militia attacks on coalition sites and movements", True
    ),
    "attacks_intercepted": OutcomeSpec("int", "", "attacks", "Attacks intercepted", True),
    "killed": OutcomeSpec("int", "lower", "personnel", "Coalition personnel killed", True),
    "wounded": OutcomeSpec("int", "lower", "personnel", "Coalition personnel wounded", True),
    "mass_casualty_events": OutcomeSpec(
        "int", "lower", "attacks", "Attacks with 5 or more killed and wounded", True
    ),
    "us_strikes": OutcomeSpec("int", "lower", "strikes", "US retaliatory strikes", True),
    "campaign_days": OutcomeSpec(
        "float", "lower", "days", "Days with the militias on campaign", True
    ),
    "exposure": OutcomeSpec(
        "float",
        "",
        "exposure-days",
        "Militia exposure integrated over the period: coalition personnel at sites militias "
        "can reach, and in movement, weighted as the attack rate weighs them (sites by "
        "attack propensity x personnel^exposure_exponent), relative to the window start; one "
        "exposure-day is a day at the window-start presence",
        True,
    ),
    "campaign_attacks": OutcomeSpec(
        "int", "", "attacks", "Militia attacks made while the militias were on campaign", True
    ),
    "campaign_exposure": OutcomeSpec(
        "float",
        "",
        "exposure-days",
        "Exposure (as in exposure) over the days the militias were on campaign",
        True,
    ),
    "crisis_days": OutcomeSpec(
        "float", "lower", "days", "Days at escalation level crisis or war", True
    ),
    "max_escalation": OutcomeSpec("int", "lower", "level 0-3", "Highest escalation level"),
    "drawdown_complete": OutcomeSpec(
        "bool", "higher", "", "Drawdown complete by the end of the window"
    ),
    "completion_day": OutcomeSpec(
        "float",
        "",
        "days from window start",
        "Day the last movement arrived; null if the plan was reversed or is unfinished at "
        "the end of the horizon",
    ),
    "completion_censored": OutcomeSpec(
        "bool",
        "lower",
        "",
        "No completion seen by the end of the horizon: still under way (censored) or reversed",
    ),
    "completed_on_time": OutcomeSpec(
        "bool",
        "higher",
        "",
        "Drawdown complete by the last phase's planned end (true where there is no plan)",
    ),
    "slip_days": OutcomeSpec(
        "float",
        "lower",
        "days",
        "Completion minus the last phase's planned end; null if censored or reversed, 0 with "
        "no plan",
    ),
    "accelerated": OutcomeSpec(
        "bool",
        "lower",
        "",
        "Political pressure compressed the remaining phases (false where there is no plan)",
    ),
    "option_cancelled": OutcomeSpec(
        "bool", "lower", "", "Political pressure cancelled the advisory option"
    ),
    "plan_extended": OutcomeSpec(
        "bool", "lower", "", "A negotiated extension moved the plan's end during the window"
    ),
    "plan_reversed": OutcomeSpec(
        "bool",
        "",
        "",
        "The plan was reversed to a residual presence during the window (its remaining "
        "movements cancelled)",
    ),
    "residual_personnel": OutcomeSpec(
        "int", "", "personnel", "Coalition personnel in Iraq at the end of the window"
    ),
    "political_pressure_peak": OutcomeSpec(
        "float", "lower", "index", "Highest Iraqi political pressure in the window"
    ),
    "isis_attacks": OutcomeSpec("int", "lower", "attacks", "ISIS attacks on Iraqi forces", True),
    "isis_resurgence": OutcomeSpec(
        "bool",
        "lower",
        "",
        "Some 30-day ISIS count reaches the historical level (isis.resurgence_reference_rate "
        "x 30) and what the window-start rate reaches with at most "
        "isis.resurgence_false_alarm probability",
        True,
    ),
    "isis_rate_ratio": OutcomeSpec(
        "float",
        "lower",
        "ratio",
        "ISIS attacks over the period divided by those expected at the window-start rate",
        True,
    ),
}

FOLLOW_ON_SUFFIX = "_follow_on"

OUTCOME_SPECS: dict[str, OutcomeSpec] = {
    **_WINDOW_SPECS,
    **{
        f"{name}{FOLLOW_ON_SUFFIX}": OutcomeSpec(
            spec.kind, spec.better, spec.unit, f"{spec.description}, over the follow-on period"
        )
        for name, spec in _WINDOW_SPECS.items()
        if spec.follow_on
    },
}
"""The results contract in column order: the window's outcomes, then the follow-on's (null
when the scenario has no follow-on period)."""

OUTCOMES: tuple[str, ...] = tuple(OUTCOME_SPECS)
"""Outcome names in column order."""


def direction(outcome: str) -> str:
    """``lower`` or ``higher`` (is better), or ``""`` when neither is better."""
    return OUTCOME_SPECS[outcome].better


PLAN_OUTCOMES = (
    "drawdown_complete",
    "completion_day",
    "completion_censored",
    "completed_on_time",
    "slip_days",
    "accelerated",
)
"""Outcomes of carrying out a plan: they mean nothing for a scenario without one."""


def not_applicable(scenario: Any) -> set[str]:
    """The outcome columns that mean nothing for ``scenario``, null and shown as "n/a": the
    completion outcomes without a plan, and every follow-on column without a follow-on."""
    missing: set[str] = set()
    if scenario.planned_end_day is None:
        missing |= {n for n in OUTCOMES if n.removesuffix("_follow_on") in PLAN_OUTCOMES}
    if scenario.follow_on is None:
        missing |= {n for n in OUTCOMES if n.endswith("_follow_on")}
    return missing
