"""Threat and reaction sections: militia, escalation, shocks, retaliation, politics and ISIS.

Every default names its source in ``drawdown_sim/reference`` or says it is an assumption; the
reasoning behind the calibrated ones is written out in ``docs/model.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._base import (
    ByLevel,
    BySeverity,
    Level,
    PerDay,
    PositiveDays,
    Probability,
    Rate,
    Section,
    about,
)

Posture = Literal["restraint", "campaign"]
Weapon = Literal["rocket", "drone", "ballistic"]
WEAPONS: tuple[Weapon, ...] = ("rocket", "drone", "ballistic")


class PostureRegime(Section):
    """A militia posture's attack rate as the record shows it, and the period it was seen in.

    The model's background rate mu for the posture is derived from these (see
    :meth:`Scenario.background_rate`): the rate over ``reference_days`` from an empty history
    (the transient mean of the Hawkes process), at the escalation level of that period, with
    the whole initial presence exposed. Sweeping the kernel therefore keeps this rate.
    """

    attack_rate: PerDay = Field(
        description="Observed attacks/day on coalition sites in Iraq in this posture."
    )
    reference_days: PositiveDays = Field(
        description="Length of the period the rate was observed over (days)."
    )
    reference_level: Level = Field(
        description="Escalation level during that period (0 calm .. 3 regional war)."
    )


def _campaign() -> PostureRegime:
    return PostureRegime(attack_rate=0.71, reference_days=110.0, reference_level=2)


def _restraint() -> PostureRegime:
    return PostureRegime(attack_rate=0.0123, reference_days=163.0, reference_level=1)


class TimetableFactors(Section):
    """Multiplier of the campaign propensity by the state of the withdrawal timetable."""

    none: Rate = Field(
        2.0,
        description="No timetable and no talks (the status quo): the militias' central "
        "demand, the coalition's exit, is unmet. Assumption; October 2023 onset.",
    )
    negotiating: Rate = Field(
        0.4,
        description="No timetable yet, but withdrawal talks under way (drawdown.talks; the "
        "Higher Military Commission from 2024-01-25). Assumption; the restraint of "
        "February-August 2024 despite two shocks.",
    )
    honoured: Rate = Field(
        0.4,
        description="A timetable exists and is on schedule: the agreement gave the factions "
        "what they demanded. Assumption (as negotiating).",
    )
    slipping: Rate = Field(
        1.5,
        description="A timetable exists but movements are held or the plan has slipped. "
        "Assumption.",
    )
    complete: Rate = Field(
        1.0,
        description="The timetable has been carried out; what remains is the option's "
        "residual presence. Assumption.",
    )

    def of(self, state: str) -> float:
        return float(getattr(self, state))


class ScheduledPosture(Section):
    """A dated change of militia posture (a truce, a declared suspension, a declared campaign)."""

    date: dt.date = Field(strict=False, description="Day the posture changes (ISO date).")
    posture: Posture = Field(description="The posture from that day.")
    name: str = Field(min_length=1, description="What happened.")


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
    """Casualties of an attack that is not intercepted (docs/model.md).

    Calibrated to Iraq and Syria only: 186 killed or injured over about 170 attacks from
    October 2023 to February 2024 include Tower 22 in Jordan (3 killed, about 40 injured), a
    single drone hit on an undefended outpost. Without it, 143 injured and none killed over
    about 169 attacks: 0.85 casualties per attack. Of the attacks in Iraq and Syria through
    August 2024 (about 180), one injured five or more (2024-08-05, 7 injured). docs/
    calibration.md gives the arithmetic.
    """

    hit_probability: Probability = Field(
        0.2,
        description="Probability that a non-intercepted attack causes any casualty. With "
        "mean_if_hit and dispersion: 0.85 casualties per attack and 0.8% of attacks with 5 "
        "or more (Iraq and Syria, Tower 22 excluded). Assumption within those targets.",
    )
    mean_if_hit: float = Field(
        6.3,
        ge=1.0,
        le=1000.0,
        description="Mean casualties (killed + wounded) of an attack that causes any "
        "(personnel). Most hits injure one person; the heavy tail carries the rare "
        "mass-casualty event.",
    )
    dispersion: float = Field(
        0.015,
        ge=1e-4,
        le=1e4,
        description="Negative-binomial shape of (casualties - 1) given a hit: smaller is "
        "heavier-tailed. Set so that 0.8% of attacks injure 5 or more: one or two such "
        "events in about 180 attacks in Iraq and Syria.",
    )
    killed_fraction: Probability = Field(
        0.01,
        description="Share of casualties killed. In Iraq and Syria none of 143 casualties died "
        "(95% upper bound 2%); Tower 22's 3 of 43 in Jordan is not applied to Iraqi bases. "
        "Assumption 1%, swept 0-3% in the baseline.",
    )


class Militia(Section):
    """Militia posture regimes and the self-exciting attack process (docs/model.md)."""

    enabled: bool = Field(True, description="false: no militia attacks.")
    posture: Posture = Field(
        "restraint",
        description="Posture at the window start. Default restraint: the truce that followed "
        "the February 2024 strikes.",
    )
    switching: bool = Field(
        True,
        description="false: the posture changes only on the dates in militia.scheduled.",
    )
    campaign: PostureRegime = Field(
        default_factory=_campaign,
        description="The campaign regime. Default: about 170 attacks in Iraq and Syria from "
        "2023-10-17 to 2024-02-04 (110 days), 46% in Iraq where the split was published (47 of "
        "102 by 2023-12-21; reference/us_attacks_2023_2024.csv): 0.71 attacks/day in Iraq, at "
        "crisis level (the Gaza war).",
    )
    restraint: PostureRegime = Field(
        default_factory=_restraint,
        description="The restraint regime. Default: 2 attacks in Iraq from 2024-02-04 to "
        "2024-07-16 (163 days; reference/README.md): 0.0123 attacks/day, at tense level.",
    )
    branching_ratio: float = Field(
        0.35,
        ge=0.0,
        description="Expected attacks directly triggered by one attack (dimensionless, < 1). "
        "Maximum-likelihood fit to the 2023-24 tallies (drawdown-sim fit, interval-censored, "
        "docs/calibration.md): 0.34 +- 0.20. Published fits to Iraq violence in 2003-07 put "
        "the self-excited share at 37-50% (Lewis, Mohler, Brantingham & Bertozzi 2012).",
    )
    trigger_days: PositiveDays = Field(
        2.0,
        description="Mean delay from an attack to an attack it triggers, 1/beta (days). Fit to "
        "the 2023-24 tallies: 2.0 +- 1.7 days; the tallies are too coarse to pin it down, so "
        "the baseline sweeps 0.5-5 days.",
    )
    exposure_exponent: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Exponent a of exposure sum_s p_s^a: attack opportunities grow less than "
        "linearly with personnel (a base is a target whether 200 or 2,000 are on it). "
        "Assumption.",
    )
    campaign_hazard_per_day: PerDay = Field(
        1.0 / 730.0,
        description="Base propensity: hazard of restraint -> campaign with no shock, at "
        "factor 1 (1/day). Assumption: about once in two years. The propensity is "
        "(this + active shocks + active strike deaths) x timetable factor x escalation factor.",
    )
    shock_hazard: BySeverity = Field(
        default_factory=lambda: BySeverity(minor=0.002, serious=0.005, major=0.012),
        description="Hazard of restraint -> campaign added by a regional shock of each "
        "severity while it lasts (shock_days), 1/day. Chosen so that a major shock with no "
        "timetable at war level starts a campaign within 30 days with probability about 0.75 "
        "(2023-10-07, campaign from 2023-10-17) while during talks the 2024-04-13 and "
        "2024-07-31 shocks leave restraint with probability about 0.6 (docs/calibration.md). "
        "Assumption.",
    )
    shock_days: PositiveDays = Field(
        30.0,
        description="How long a shock, or a US strike that kills militia members, raises the "
        "propensity (days). Assumption.",
    )
    killed_hazard: PerDay = Field(
        0.0005,
        description="Hazard of restraint -> campaign added per militia member killed in a US "
        "strike, for shock_days (1/day per person). Assumption: the 2024-07-30 strike killed "
        "4 PMF members and no campaign followed.",
    )
    timetable_factor: TimetableFactors = Field(
        default_factory=TimetableFactors, description=about(TimetableFactors)
    )  # type: ignore[arg-type]
    escalation_factor: ByLevel = Field(
        default_factory=lambda: ByLevel(calm=0.5, tense=1.0, crisis=1.5, war=2.0),
        description="Multiplier of the campaign propensity at each escalation level. Assumption.",
    )
    scheduled: list[ScheduledPosture] = Field(
        default_factory=list,
        description="Dated posture changes that happen whatever the propensity (backtests: "
        "the Nov 2023 Gaza truce, the 2024-01-30 suspension).",
    )
    restraint_on_strike: Probability = Field(
        0.5,
        description="Probability that a large US strike (one after coalition deaths) ends a "
        "campaign: the February 2024 strikes and the militia suspension. Assumption.",
    )
    restraint_hazard_per_day: PerDay = Field(
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
    """The regional escalation ladder (docs/model.md)."""

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

    date: dt.date = Field(
        strict=False, description="Day of the shock (ISO date, inside the window)."
    )
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

    rate_per_year: float = Field(
        4.0,
        ge=0.0,
        le=10_000.0,
        description="Shocks per year (1/year). The reference file lists 9 upward shocks "
        "from Sept 2024 to Sept 2025 and 4 in the year before (reference/events_2023_2025.csv)"
        "; 4 is a quiet-year assumption for scenarios without scheduled shocks.",
    )
    severity: SeverityMix = Field(default_factory=SeverityMix, description=about(SeverityMix))  # type: ignore[arg-type]


class Shocks(Section):
    """Regional escalation shocks (docs/model.md)."""

    enabled: bool = Field(True, description="false: no shocks, scheduled or random.")
    scheduled: list[ScheduledShock] = Field(
        default_factory=list, description="Dated shocks, e.g. from the reference events."
    )
    random: RandomShocks = Field(default_factory=RandomShocks, description=about(RandomShocks))  # type: ignore[arg-type]


class StrikeOdds(Section):
    """A probability for an attack that killed coalition personnel and one that only wounded."""

    killed: Probability = Field(description="After an attack with coalition killed.")
    wounded: Probability = Field(description="After an attack with wounded only.")


class StrikeDelays(Section):
    """A mean delay (days) after an attack that killed coalition personnel and one that only
    wounded."""

    killed: PositiveDays = Field(description="After an attack with coalition killed (days).")
    wounded: PositiveDays = Field(description="After an attack with wounded only (days).")


class StrikeSizes(Section):
    """A value per strike size: large after a killing, small otherwise."""

    small: Rate = Field(description="Small strike (a single target or drone strike).")
    large: Rate = Field(description="Large strike (e.g. 2024-02-02: 85+ targets).")


class ScheduledStrike(Section):
    """A dated US strike on Iraqi soil (backtests: the strikes that did happen)."""

    date: dt.date = Field(strict=False, description="Day of the strike (ISO date).")
    name: str = Field(min_length=1, description="What happened.")
    size: Literal["small", "large"] = Field(
        description="small: a single target or drone strike; large: e.g. 2024-02-02."
    )
    iraqi_killed: int = Field(ge=0, le=10_000, description="Iraqis reported killed (persons).")


class Retaliation(Section):
    """US retaliatory strikes on Iraqi soil (docs/model.md)."""

    enabled: bool = Field(True, description="false: no US strikes, decided or scheduled.")
    scheduled: list[ScheduledStrike] = Field(
        default_factory=list,
        description="Dated strikes that happen whatever the attacks (backtests).",
    )
    p_casualty: StrikeOdds = Field(
        default_factory=lambda: StrikeOdds(killed=0.9, wounded=0.3),
        description="Probability of a strike after an attack with casualties. Tower 22 "
        "(killed) was followed by the 2024-02-02 strikes; of wounding attacks, e.g. "
        "2023-12-25 Erbil drew strikes. Assumption.",
    )
    delay_days: StrikeDelays = Field(
        default_factory=lambda: StrikeDelays(killed=5.0, wounded=2.0),
        description="Mean delay from the attack to the strike (days; exponential). Tower 22 "
        "to the Feb 2 strikes: 5 days.",
    )
    volume_attacks: int = Field(
        10,
        ge=1,
        le=1_000_000,
        description="k: a strike is considered after k attacks within window_days (attacks).",
    )
    window_days: PositiveDays = Field(30.0, description="Window for the volume rule (days).")
    p_volume: Probability = Field(
        0.25,
        description="Probability of a (small) strike when the volume rule fires. Assumption: "
        "8 retaliations over about 160 attacks by 2024-01-27 (reference).",
    )
    provocation: float = Field(
        0.5,
        ge=0.0,
        le=1_000.0,
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
    """Iraqi political pressure on the timetable (docs/model.md); dimensionless index."""

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
    base_rate: PerDay = Field(
        0.46,
        description="ISIS attacks/day on Iraqi forces at full support capacity. Fitted: the "
        "rate at 2024-09-01 of a negative binomial trend fitted to the 2018-2023 tallies "
        "(reference/isis_iraq_2017_2024.csv; 95% interval 0.17-1.22, about 170 a year; "
        "docs/calibration.md), on the scale of the media tally of incidents.",
    )
    sensitivity: Rate = Field(
        1.0,
        description="Relative increase of the rate at zero capacity: rate = base_rate * "
        "(1 + sensitivity * (1 - C)). Assumption, weakly bounded by the record: the fitted "
        "capacity effect after the 2020 base consolidations and the end of the combat "
        "mission is 0 (the rate kept falling), with a 95% upper bound of 5 to 8 depending on "
        "the lag (docs/calibration.md); the baseline sweeps 0-5.",
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
        le=1_000_000.0,
        description="Weighted personnel giving capacity 1 (personnel). Assumption.",
    )
    capacity_lag_days: PositiveDays = Field(
        120.0,
        description="Time constant of the capacity's response to the presence (days): "
        "capability erodes slowly. Assumption: the record does not constrain it (the "
        "profile likelihood is the same from 30 to 365 days); the baseline sweeps 30-365.",
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
    resurgence_reference_rate: float | None = Field(
        1.69,
        ge=0.0,
        le=1_000.0,
        description="Historical level that defines a resurgence (ISIS attacks/day on the "
        "scale of base_rate; null: the window-start rate alone). A period has a resurgence "
        "when some 30-day count reaches ceil(30 x this rate) and the false-alarm threshold "
        "above. Default 1.69: the fitted 2021 rate of the same trend (about 620 a year; the "
        "tally shows 2.2 a day), the last full year of the combat mission "
        "(docs/calibration.md).",
    )
