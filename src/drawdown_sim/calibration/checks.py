"""Calibration targets from the public reference data, and what a scenario implies for them.

The reference files (``drawdown_sim/reference/``, copied from the project's shared reference
folder) are noisy public figures; the targets below are derived from them the way the schema
descriptions and docs/model.md explain.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import NamedTuple

import numpy as np

from ..analysis.completion import Z95
from ..scenario import Scenario
from .fitting import HawkesFit, fit_tallies

RESTRAINT_ATTACKS, RESTRAINT_DAYS = 2, 163
"""Reference README: in Iraq only 2 attacks from 2024-02-04 to 2024-07-16."""

TOWER_22_KILLED, TOWER_22_INJURED = 3, 40
"""Tower 22 (Jordan, 2024-01-28): counted in the 186 but not at an Iraqi or Syrian base."""

CASUALTIES, CASUALTY_ATTACKS = 186 - 43, 169
"""Killed or injured in Iraq and Syria, Oct 2023 - Feb 2024: 186 in all less Tower 22's 43,
over about 170 attacks less Tower 22."""

KILLED_IRAQ_SYRIA = 0
"""Nobody was killed in Iraq or Syria in that period: all 3 deaths were at Tower 22."""

MASS_CASUALTY_EVENTS, MASS_CASUALTY_ATTACKS = 1, 180
"""Attacks in Iraq and Syria with >= 5 casualties, Oct 2023 - Aug 2024: 2024-08-05 (7
injured), over about 180 attacks (170 by February, about 10 more by August)."""


@dataclass(frozen=True)
class Check:
    """A reference figure (with its 95% interval where it is a count) and the model's value."""

    name: str
    unit: str
    reference: float
    model: float
    source: str
    low: float = float("nan")
    high: float = float("nan")
    target: bool = False
    """The model is set to reproduce this figure (a calibration target, not a check)."""

    @property
    def inside(self) -> bool | None:
        """Whether the model's value lies in the reference interval (None: no interval, or a
        target, which the model meets by construction)."""
        if self.low != self.low or self.target:
            return None
        return self.low <= self.model <= self.high


@cache
def _attack_counts() -> tuple[dict[str, str], ...]:
    """The packaged running totals, read once (the campaign rate, its interval and the
    kernel fit each need them)."""
    text = files("drawdown_sim.reference").joinpath("us_attacks_2023_2024.csv").read_text()
    return tuple(csv.DictReader(text.splitlines()))


class _Surge(NamedTuple):
    """The 2023-24 surge in the running totals: attacks in Iraq and Syria by 2024-02-04, and
    the last published Iraq split."""

    attacks: int
    days: int
    start: date
    end: str
    in_iraq: int
    of: int
    split_on: str

    @property
    def share(self) -> float:
        """Share of the attacks in Iraq."""
        return self.in_iraq / self.of

    @property
    def rate(self) -> float:
        """Attacks/day in Iraq: total x Iraq share / days."""
        return self.attacks * self.share / self.days


def _surge() -> _Surge:
    rows = _attack_counts()
    start = date.fromisoformat(rows[0]["date"])
    end_row = next(r for r in rows if r["date"] == "2024-02-04")
    split = [r for r in rows if r["cumulative_iraq"] and int(r["cumulative_total"]) > 0][-1]
    return _Surge(
        attacks=int(end_row["cumulative_total"]),
        days=(date.fromisoformat(end_row["date"]) - start).days,
        start=start,
        end=end_row["date"],
        in_iraq=int(split["cumulative_iraq"]),
        of=int(split["cumulative_total"]),
        split_on=split["date"],
    )


def campaign_rate_in_iraq() -> tuple[float, str]:
    """Attacks/day in Iraq during the 2023-24 surge: total x published Iraq share / days."""
    surge = _surge()
    source = (
        f"{surge.attacks} attacks {surge.start} to {surge.end} ({surge.days} days), "
        f"Iraq share {surge.share:.0%} ({surge.in_iraq}/{surge.of} on {surge.split_on})"
    )
    return surge.rate, source


def campaign_rate_interval(branching_ratio: float) -> tuple[float, float]:
    """95% interval of :func:`campaign_rate_in_iraq` (attacks/day), by the delta method on
    the log scale: the count of attacks and the Iraq share are independent estimates. The
    count is over-dispersed: a self-exciting count's variance is its mean over (1 - n)^2
    (n the branching ratio), not its mean as for a Poisson count."""
    surge = _surge()
    variance = (
        1.0 / (surge.attacks * (1.0 - branching_ratio) ** 2) + (1.0 - surge.share) / surge.in_iraq
    )
    spread = math.exp(Z95 * math.sqrt(variance))
    return surge.rate / spread, surge.rate * spread


def campaign_kernel_fit() -> HawkesFit:
    """The Hawkes kernel fitted to the 2023-24 running totals (Iraq and Syria), 2023-10-17 to
    2024-02-04: interval-censored, by the exact likelihood of the counts between reports."""
    rows = [r for r in _attack_counts() if r["date"] <= "2024-02-04"]
    start = date.fromisoformat(rows[0]["date"])
    days = [(date.fromisoformat(r["date"]) - start).days for r in rows]
    counts = [int(r["cumulative_total"]) for r in rows]
    return fit_tallies(days, counts)


def _poisson_interval(events: int, trials: int) -> tuple[float, float]:
    """Exact (Garwood) 95% interval of a rate estimated from ``events`` in ``trials``."""
    from scipy import stats

    low = stats.chi2.ppf(0.025, 2 * events) / 2 / trials if events else 0.0
    high = stats.chi2.ppf(0.975, 2 * events + 2) / 2 / trials
    return float(low), float(high)


def checks(
    scenario: Scenario, draws: int = 200_000, seed: int = 0, fit: HawkesFit | None = None
) -> list[Check]:
    """Compare the scenario's implied figures with the reference targets."""
    from ..common.hawkes import expected_count
    from ..model.damage import Damage

    m = scenario.militia
    multiplier = scenario.escalation.attack_multiplier
    beta = 1.0 / m.trigger_days

    def implied(posture: str) -> float:
        regime = m.campaign if posture == "campaign" else m.restraint
        count = expected_count(
            scenario.background_rate(posture) * multiplier.at(regime.reference_level),
            m.branching_ratio,
            beta,
            regime.reference_days,
        )
        return count / regime.reference_days

    campaign, campaign_source = campaign_rate_in_iraq()
    air_defense = np.mean([site.air_defense for site in scenario.sites])
    damage = Damage(scenario, np.random.default_rng(seed))
    outcomes = np.array([damage.resolve(float(air_defense))[2:] for _ in range(draws)])
    per_attack = outcomes.sum(axis=1)
    fit = campaign_kernel_fit() if fit is None else fit
    mass_low, mass_high = _poisson_interval(MASS_CASUALTY_EVENTS, MASS_CASUALTY_ATTACKS)
    killed_low, killed_high = _poisson_interval(KILLED_IRAQ_SYRIA, CASUALTIES)
    n_low, n_high = fit.branching_ratio.interval()
    t_low, t_high = fit.trigger_days.interval()
    return [
        Check(
            "campaign attacks/day in Iraq (110 days from an empty history, at crisis)",
            "attacks/day",
            campaign,
            implied("campaign"),
            campaign_source + "; the model's background rate is derived from it",
            *campaign_rate_interval(m.branching_ratio),
            target=True,
        ),
        Check(
            "restraint attacks/day in Iraq (163 days, at tense)",
            "attacks/day",
            RESTRAINT_ATTACKS / RESTRAINT_DAYS,
            implied("restraint"),
            "2 attacks in Iraq 2024-02-04 to 2024-07-16; the model's background rate is "
            "derived from it",
            *_poisson_interval(RESTRAINT_ATTACKS, RESTRAINT_DAYS),
            target=True,
        ),
        Check(
            "branching ratio (fit to the 2023-24 tallies)",
            "attacks per attack",
            fit.branching_ratio.estimate,
            m.branching_ratio,
            "interval-count likelihood, profile-likelihood 95% interval; likelihood-ratio "
            + (
                f"test against Poisson p = {fit.poisson_test.p_value:.2f}"
                if fit.poisson_test is not None
                else "test not made"
            ),
            max(n_low, 0.0),
            n_high,
        ),
        Check(
            "mean trigger delay (fit to the 2023-24 tallies)",
            "days",
            fit.trigger_days.estimate,
            m.trigger_days,
            f"maximum likelihood, +-{fit.trigger_days.stderr:.1f} days"
            if math.isfinite(fit.trigger_days.stderr)
            else "not identified by the tallies (no self-excitation fits them as well)",
            max(t_low, 0.0),
            t_high,
        ),
        Check(
            "casualties per attack (Iraq and Syria)",
            "killed+wounded",
            CASUALTIES / CASUALTY_ATTACKS,
            float(per_attack.mean()),
            "186 killed or injured less Tower 22's 43, over about 169 attacks",
            *_poisson_interval(CASUALTIES, CASUALTY_ATTACKS),
        ),
        Check(
            "share of attacks with >= 5 casualties (Iraq and Syria)",
            "share",
            MASS_CASUALTY_EVENTS / MASS_CASUALTY_ATTACKS,
            float((per_attack >= 5).mean()),
            "2024-08-05 (7 injured) over about 180 attacks, Oct 2023 - Aug 2024",
            mass_low,
            mass_high,
        ),
        Check(
            "share of casualties killed (Iraq and Syria)",
            "share",
            KILLED_IRAQ_SYRIA / CASUALTIES,
            float(outcomes[:, 0].sum() / max(per_attack.sum(), 1)),
            "0 of 143; Tower 22 (3 of 43, Jordan) not applied to Iraqi bases",
            killed_low,
            killed_high,
        ),
    ]
