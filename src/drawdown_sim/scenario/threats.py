"""Threat and reaction sections: militia, escalation, shocks, retaliation, politics and ISIS.

Every default names its source in ``../shared/reference`` or says it is an assumption; the
reasoning behind the calibrated ones is written out in ``docs/model.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._base import ByLevel, BySeverity, PositiveDays, Probability, Rate, Section, about

Posture = Literal["restraint", "campaign"]
Weapon = Literal["rocket", "drone", "ballistic"]
WEAPONS: tuple[Weapon, ...] = ("rocket", "drone", "ballistic")


class PostureRates(Section):
    """Background attack rate per militia posture (attacks/day at exposure 1, calm)."""

    restraint: Rate = Field(
        0.006,
        description="attacks/day. The 2024 lull: 2 attacks in Iraq from Feb 4 to Jul 16 (163 "
        "days, reference/README.md) = 0.0123/day, times (1 - branching_ratio) for the "
        "self-excited share, divided by the 'tense' multiplier 1.2 of that period.",
    )
    campaign: Rate = Field(
        0.26,
        description="attacks/day. The surge: about 170 attacks in Iraq and Syria from "
        "2023-10-17 to 2024-02-04 (110 days), 46% in Iraq where the split was published "
        "(47 of 102 by 2023-12-21; reference/us_attacks_2023_2024.csv): 0.71/day in Iraq, "
        "times (1 - 0.45) for the self-excited share, divided by the 'crisis' multiplier 1.5 "
        "of the Gaza-war period.",
    )

    def of(self, posture: str) -> float:
        """The background rate in ``posture`` (attacks/day)."""
        return self.campaign if posture == "campaign" else self.restraint


class WeaponMix(Section):
    """Share of attacks by weapon; the three shares sum to 1."""

    rocket: Probability = Field(0.45, description="Share of rocket attacks. Assumption.")
    drone: Probability = Field(0.45, description="Share of one-way drone attacks. Assumption.")
    ballistic: Probability = Field(
        0.10,
        description="Share of ballistic-missile attacks (e.g. Ain al-Asad, 2024-01-20). "
        "Assumption.",
    )

    @model_validator(mode="after")
    def _sums_to_one(self) -> WeaponMix:
        total = self.rocket + self.drone + self.ballistic
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"weapon shares must sum to 1, got {total:g}")
        return self


class InterceptionFactors(Section):
    """Weapon factor multiplying a site's air_defense to give the interception probability."""

    rocket: Probability = Field(0.5, description="C-RAM against rockets. Assumption.")
    drone: Probability = Field(
        0.6,
        description="Against one-way drones; Tower 22 shows they get through. Assumption.",
    )
    ballistic: Probability = Field(0.3, description="Against ballistic missiles. Assumption.")


class Casualties(Section):
    """Casualties of an attack that is not intercepted (MODEL.md 3.3)."""

    hit_probability: Probability = Field(
        0.09,
        description="Probability that a non-intercepted attack causes any casualty. "
        "Calibrated with mean_if_hit and dispersion to 186 killed or injured over about "
        "170 attacks, Oct 2023-Feb 2024 (reference/README.md); see docs/model.md.",
    )
    mean_if_hit: float = Field(
        19.0,
        ge=1.0,
        description="Mean casualties (killed + wounded) of an attack that causes any "
        "(personnel). Most TBI-heavy events are small; the heavy tail carries Tower 22 "
        "(3 killed, about 40 injured).",
    )
    dispersion: float = Field(
        0.12,
        gt=0.0,
        description="Negative-binomial shape of (casualties - 1) given a hit: smaller is "
        "heavier-tailed. Calibrated so that about 1 in 100 attacks is a mass-casualty event "
        "(>= 5 casualties): Tower 22 and 2024-08-05 (7 injured) over about 170 attacks.",
    )
    killed_fraction: Probability = Field(
        0.016,
        description="Share of casualties killed: 3 of 186 (reference/README.md).",
    )


class Militia(Section):
    """Militia posture regimes and the self-exciting attack process (MODEL.md 3.3)."""

    enabled: bool = Field(True, description="false: no militia attacks.")
    posture: Posture = Field(
        "restraint",
        description="Posture at the window start. Default restraint: the truce that followed "
        "the February 2024 strikes.",
    )
    switching: bool = Field(True, description="false: the posture stays at its initial value.")
    background_rate: PostureRates = Field(
        default_factory=PostureRates, description=about(PostureRates)
    )  # type: ignore[arg-type]
    branching_ratio: float = Field(
        0.45,
        ge=0.0,
        description="Expected attacks directly triggered by one attack (dimensionless, < 1). "
        "Published Iraq fits put the self-excited share at 37-50% (Lewis, Mohler, "
        "Brantingham & Bertozzi 2012).",
    )
    trigger_days: PositiveDays = Field(
        14.0,
        description="Mean delay from an attack to an attack it triggers, 1/beta (days). Same "
        "source: the excitation reaches two to six weeks.",
    )
    exposure_exponent: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Exponent a of exposure sum_s p_s^a: attack opportunities grow less than "
        "linearly with personnel (a base is a target whether 200 or 2,000 are on it). "
        "Assumption.",
    )
    campaign_on_shock: BySeverity = Field(
        default_factory=lambda: BySeverity(minor=0.05, serious=0.15, major=0.35),
        description="Probability that a regional shock of each severity ends restraint. "
        "Assumption informed by 2023-10-07 (major, campaign began) and 2024-04-13 (major, "
        "no campaign).",
    )
    campaign_hazard_per_day: Rate = Field(
        1.0 / 730.0,
        description="Daily hazard of restraint -> campaign without a shock (1/day). "
        "Assumption: about once in two years.",
    )
    restraint_on_strike: Probability = Field(
        0.5,
        description="Probability that a large US strike ends a campaign: the February 2024 "
        "strikes and the militia suspension.",
    )
    restraint_hazard_per_day: Rate = Field(
        1.0 / 120.0,
        description="Daily hazard of campaign -> restraint (1/day). Assumption: the 2023-24 "
        "campaign lasted about 110 days.",
    )
    weapon_mix: WeaponMix = Field(default_factory=WeaponMix, description=about(WeaponMix))  # type: ignore[arg-type]
    interception: InterceptionFactors = Field(
        default_factory=InterceptionFactors, description=about(InterceptionFactors)
    )  # type: ignore[arg-type]
    casualties: Casualties = Field(default_factory=Casualties, description=about(Casualties))  # type: ignore[arg-type]

    @field_validator("branching_ratio")
    @classmethod
    def _stationary(cls, value: float) -> float:
        if value >= 1.0:
            raise ValueError(
                f"must be < 1, got {value:g}: with a branching ratio of 1 or more every attack "
                "triggers at least one more on average and the attack process explodes"
            )
        return value


class DwellDays(Section):
    """Mean time spent at each raised escalation level before stepping down one level."""

    tense: PositiveDays = Field(120.0, description="Level 1 (days). Assumption.")
    crisis: PositiveDays = Field(30.0, description="Level 2 (days). Assumption.")
    war: PositiveDays = Field(
        14.0, description="Level 3 (days). The June 2025 Israel-Iran war lasted 12 days."
    )

    def at(self, level: int) -> float:
        """Mean dwell at ``level`` (1-3), days."""
        return (math.inf, self.tense, self.crisis, self.war)[level]


class Escalation(Section):
    """The regional escalation ladder (MODEL.md 3.4)."""

    enabled: bool = Field(True, description="false: level fixed at 0 and multiplier 1.")
    initial: int = Field(
        1,
        ge=0,
        le=3,
        description="Level at the window start (0 calm .. 3 regional war). Default 1 (tense): "
        "a month after Haniyeh's killing (reference/events_2023_2025.csv, 2024-07-31).",
    )
    dwell_days: DwellDays = Field(default_factory=DwellDays, description=about(DwellDays))  # type: ignore[arg-type]
    attack_multiplier: ByLevel = Field(
        default_factory=lambda: ByLevel(calm=1.0, tense=1.2, crisis=1.5, war=2.0),
        description="m_E: multiplier of the militia background rate at each level. Assumption.",
    )


class ScheduledShock(Section):
    """A dated regional shock."""

    date: dt.date = Field(description="Day of the shock (ISO date, inside the window).")
    name: str = Field(min_length=1, description="What happened.")
    severity: int = Field(
        ge=-3,
        le=3,
        description="Levels added to escalation (1 minor, 2 serious, 3 major); negative for "
        "a de-escalation such as a ceasefire. Scale of reference/events_2023_2025.csv.",
    )

    @field_validator("severity")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("severity 0 is no shock; use 1-3 or -1..-3 for a de-escalation")
        return value


class SeverityMix(Section):
    """Distribution of the severity of random shocks; the three shares sum to 1."""

    minor: Probability = Field(0.55, description="Share of severity 1. Assumption.")
    serious: Probability = Field(0.30, description="Share of severity 2. Assumption.")
    major: Probability = Field(0.15, description="Share of severity 3. Assumption.")

    @model_validator(mode="after")
    def _sums_to_one(self) -> SeverityMix:
        total = self.minor + self.serious + self.major
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"severity shares must sum to 1, got {total:g}")
        return self


class RandomShocks(Section):
    """Unscheduled regional shocks: a Poisson process."""

    rate_per_year: Rate = Field(
        4.0,
        description="Shocks per year (1/year). The reference file lists 9 upward shocks "
        "from Sept 2024 to Sept 2025 and 4 in the year before (reference/events_2023_2025.csv)"
        "; 4 is a quiet-year assumption for scenarios without scheduled shocks.",
    )
    severity: SeverityMix = Field(default_factory=SeverityMix, description=about(SeverityMix))  # type: ignore[arg-type]


class Shocks(Section):
    """Regional escalation shocks (MODEL.md 3.4)."""

    enabled: bool = Field(True, description="false: no shocks, scheduled or random.")
    scheduled: list[ScheduledShock] = Field(
        default_factory=list, description="Dated shocks, e.g. from the reference events."
    )
    random: RandomShocks = Field(default_factory=RandomShocks, description=about(RandomShocks))  # type: ignore[arg-type]


class StrikeOdds(Section):
    """A value for an attack that killed coalition personnel and one that only wounded."""

    killed: float = Field(ge=0.0, description="After an attack with coalition killed.")
    wounded: float = Field(ge=0.0, description="After an attack with wounded only.")


class StrikeSizes(Section):
    """A value per strike size: large after a killing, small otherwise."""

    small: Rate = Field(description="Small strike (a single target or drone strike).")
    large: Rate = Field(description="Large strike (e.g. 2024-02-02: 85+ targets).")


class Retaliation(Section):
    """US retaliatory strikes on Iraqi soil (MODEL.md 3.5)."""

    enabled: bool = Field(True, description="false: no US strikes.")
    p_casualty: StrikeOdds = Field(
        default_factory=lambda: StrikeOdds(killed=0.9, wounded=0.3),
        description="Probability of a strike after an attack with casualties. Tower 22 "
        "(killed) was followed by the 2024-02-02 strikes; of wounding attacks, e.g. "
        "2023-12-25 Erbil drew strikes. Assumption.",
    )
    delay_days: StrikeOdds = Field(
        default_factory=lambda: StrikeOdds(killed=5.0, wounded=2.0),
        description="Mean delay from the attack to the strike (days; exponential). Tower 22 "
        "to the Feb 2 strikes: 5 days.",
    )
    volume_attacks: int = Field(
        10,
        ge=1,
        description="k: a strike is considered after k attacks within window_days (attacks).",
    )
    window_days: PositiveDays = Field(30.0, description="Window for the volume rule (days).")
    p_volume: Probability = Field(
        0.25,
        description="Probability of a (small) strike when the volume rule fires. Assumption: "
        "8 retaliations over about 160 attacks by 2024-01-27 (reference).",
    )
    provocation: Rate = Field(
        0.5,
        description="rho: expected militia attacks provoked by one strike (attacks). "
        "Published effects disagree (Afghanistan: 90+ days of more attacks; Gaza: none), "
        "so sweep it in uncertainties.",
    )
    provocation_days: PositiveDays = Field(
        7.0, description="1/gamma: mean delay of provoked attacks (days). Assumption."
    )
    escalation_bump: Probability = Field(
        0.2,
        description="Probability that a strike raises the escalation level by one. Assumption.",
    )
    iraqi_killed: StrikeSizes = Field(
        default_factory=lambda: StrikeSizes(small=2.0, large=15.0),
        description="Mean Iraqis killed per strike (Poisson). 2024-07-30: 4; 2024-02-02: about "
        "40 across Iraq and Syria.",
    )


class Politics(Section):
    """Iraqi political pressure on the timetable (MODEL.md 3.6); dimensionless index."""

    enabled: bool = Field(True, description="false: no political pressure.")
    initial: Rate = Field(10.0, description="Pressure at the window start. Assumption.")
    strike_weight: StrikeSizes = Field(
        default_factory=lambda: StrikeSizes(small=8.0, large=25.0),
        description="Jump in pressure per US strike on Iraqi soil. Assumption.",
    )
    casualty_weight: Rate = Field(
        1.0, description="Jump in pressure per Iraqi killed in a US strike. Assumption."
    )
    half_life_days: PositiveDays = Field(
        45.0, description="Half-life of pressure (days). Assumption."
    )
    crisis_drift_per_day: Rate = Field(
        0.3,
        description="Pressure added per day while escalation is at crisis or war (1/day). "
        "Assumption: 2024-09-27 protesters tried to storm the US embassy in Baghdad.",
    )
    accelerate_at: Rate = Field(
        60.0, description="Pressure at which the remaining phases are compressed (once)."
    )
    accelerate_factor: float = Field(
        0.6,
        gt=0.0,
        le=1.0,
        description="Remaining planned durations are multiplied by this (dimensionless).",
    )
    expel_at: Rate = Field(
        100.0,
        description="Pressure at which the advisory option is cancelled: federal sites go to zero.",
    )
    expel_exit_days: PositiveDays = Field(
        120.0,
        description="Time given for the federal exit after a cancellation (days). Assumption.",
    )


class MissionWeights(Section):
    """Support to Iraqi forces per person, by mission (dimensionless)."""

    advise: Rate = Field(0.8, description="Advise and assist. Assumption.")
    train: Rate = Field(0.6, description="Training only. Assumption.")
    counter_terrorism: Rate = Field(
        1.0,
        description="Partnered counter-terrorism: the pre-drawdown coalition mission "
        "(Operation Inherent Resolve), the reference of 1.",
    )


class RegionWeights(Section):
    """Support to the fight against ISIS per person, by where the person is based."""

    federal: Rate = Field(1.0, description="Federal Iraq, where ISIS remnants operate.")
    kurdistan: Rate = Field(
        0.5, description="Kurdistan Region: supports Peshmerga and reaches less. Assumption."
    )


class Isis(Section):
    """ISIS attacks on Iraqi forces and the support capacity that suppresses them (3.7)."""

    enabled: bool = Field(True, description="false: no ISIS attacks.")
    base_rate: Rate = Field(
        0.3,
        description="ISIS attacks/day on Iraqi forces at full support capacity. Assumption: "
        "about 110 a year at the 2024 low.",
    )
    sensitivity: Rate = Field(
        1.0,
        description="Relative increase of the rate at zero capacity: rate = base_rate * "
        "(1 + sensitivity * (1 - C)). Assumption.",
    )
    mission_weight: MissionWeights = Field(
        default_factory=MissionWeights, description=about(MissionWeights)
    )  # type: ignore[arg-type]
    region_weight: RegionWeights = Field(
        default_factory=RegionWeights, description=about(RegionWeights)
    )  # type: ignore[arg-type]
    full_support_personnel: float = Field(
        1500.0,
        gt=0.0,
        description="Weighted personnel giving capacity 1 (personnel). Assumption.",
    )
    capacity_lag_days: PositiveDays = Field(
        120.0,
        description="Time constant of the capacity's response to the presence (days): "
        "capability erodes slowly. Assumption.",
    )
    resurgence_false_alarm: float = Field(
        0.05,
        gt=0.0,
        lt=0.5,
        description="Resurgence: the largest 30-day ISIS count of a period reaches a "
        "threshold that a constant rate at the initial capacity reaches over the same "
        "period with at most this probability (scan statistic, Naus 1982). So at constant "
        "capacity a resurgence is a false alarm with at most this probability "
        "(dimensionless).",
    )
