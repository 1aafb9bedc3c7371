"""Calibration targets from the public reference data, and what a scenario implies for them.

The reference files (``drawdown_sim/reference/``, copied from the project's shared reference
folder) are noisy public figures; the targets below are derived from them the way the schema
descriptions and docs/model.md explain.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from importlib.resources import files

import numpy as np

from .scenario import Scenario

RESTRAINT_ATTACKS, RESTRAINT_DAYS = 2, 163
"""Reference README: in Iraq only 2 attacks from 2024-02-04 to 2024-07-16."""

CASUALTIES, CASUALTY_ATTACKS, KILLED = 186, 170, 3
"""Reference README: 186 killed or injured over about 170 attacks, 3 killed (Tower 22)."""

MASS_CASUALTY_EVENTS = 2
"""Attacks with >= 5 casualties in the reference: Tower 22 and 2024-08-05 (7 injured)."""


@dataclass(frozen=True)
class Check:
    """A reference figure and the scenario's value for it."""

    name: str
    unit: str
    reference: float
    model: float
    source: str


def _attack_counts() -> list[dict[str, str]]:
    text = files("drawdown_sim.reference").joinpath("us_attacks_2023_2024.csv").read_text()
    return list(csv.DictReader(text.splitlines()))


def campaign_rate_in_iraq() -> tuple[float, str]:
    """Attacks/day in Iraq during the 2023-24 surge: total x published Iraq share / days."""
    rows = _attack_counts()
    start = date.fromisoformat(rows[0]["date"])
    end_row = next(r for r in rows if r["date"] == "2024-02-04")
    split = [r for r in rows if r["cumulative_iraq"] and int(r["cumulative_total"]) > 0][-1]
    share = int(split["cumulative_iraq"]) / int(split["cumulative_total"])
    days = (date.fromisoformat(end_row["date"]) - start).days
    rate = int(end_row["cumulative_total"]) * share / days
    source = (
        f"{end_row['cumulative_total']} attacks {start} to {end_row['date']} ({days} days), "
        f"Iraq share {share:.0%} ({split['cumulative_iraq']}/{split['cumulative_total']} "
        f"on {split['date']})"
    )
    return rate, source


def checks(scenario: Scenario, draws: int = 200_000, seed: int = 0) -> list[Check]:
    """Compare the scenario's implied figures with the reference targets."""
    from .model.damage import Damage

    m = scenario.militia
    multiplier = scenario.escalation.attack_multiplier
    stationary = 1.0 / (1.0 - m.branching_ratio)
    campaign, campaign_source = campaign_rate_in_iraq()
    air_defense = np.mean([site.air_defense for site in scenario.sites])
    damage = Damage(scenario, np.random.default_rng(seed))
    outcomes = np.array([damage.resolve(float(air_defense))[2:] for _ in range(draws)])
    per_attack = outcomes.sum(axis=1)
    return [
        Check(
            "campaign attacks/day in Iraq (at crisis)",
            "attacks/day",
            campaign,
            m.background_rate.campaign * multiplier.crisis * stationary,
            campaign_source,
        ),
        Check(
            "restraint attacks/day in Iraq (at tense)",
            "attacks/day",
            RESTRAINT_ATTACKS / RESTRAINT_DAYS,
            m.background_rate.restraint * multiplier.tense * stationary,
            "2 attacks in Iraq 2024-02-04 to 2024-07-16",
        ),
        Check(
            "casualties per attack",
            "killed+wounded",
            CASUALTIES / CASUALTY_ATTACKS,
            float(per_attack.mean()),
            "186 killed or injured over about 170 attacks",
        ),
        Check(
            "share of attacks with >= 5 casualties",
            "share",
            MASS_CASUALTY_EVENTS / CASUALTY_ATTACKS,
            float((per_attack >= 5).mean()),
            "Tower 22 and 2024-08-05 over about 170 attacks",
        ),
        Check(
            "share of casualties killed",
            "share",
            KILLED / CASUALTIES,
            float(outcomes[:, 0].sum() / max(per_attack.sum(), 1)),
            "3 of 186",
        ),
    ]
