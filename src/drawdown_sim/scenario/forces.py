"""Force posture sections: the window, sites, the drawdown plan and the advisory option."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from ._base import CENTURY, ByLevel, Count, Name, PositiveDays, Section, about


class Window(Section):
    """The simulated drawdown window; both dates are inclusive."""

    start: date = Field(
        date(2024, 9, 1),
        strict=False,
        description="First day simulated (ISO date). Default: the month the plan was reported "
        "(reference/events_2023_2025.csv, 2024-09-06).",
    )
    end: date = Field(
        date(2025, 9, 30),
        strict=False,
        description="Last day simulated (ISO date). Default: the joint statement's 'no later "
        "than end of Sept 2025' (reference/events_2023_2025.csv, 2024-09-27).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"window.end ({self.end}) must be after window.start ({self.start})")
        return self

    @property
    def days(self) -> int:
        """Length of the window in days (end date included)."""
        return (self.end - self.start).days + 1

    def offset(self, day: date) -> float:
        """Day offset of ``day`` from the window start (days)."""
        return float((day - self.start).days)


class FollowOn(Section):
    """A follow-on period simulated after the drawdown window, so that what each option keeps
    is seen after the drawdown; outcomes over it are reported as ``<outcome>_follow_on``."""

    end: date = Field(
        strict=False,
        description="Last day of the follow-on period (ISO date, after window.end). The shipped "
        "scenarios use 2026-09-30: the joint statement keeps the mission supporting Syria, "
        "from Erbil, to September 2026 (reference/events_2023_2025.csv, 2024-09-27).",
    )


class Closure(Section):
    """A base closure: the site's people leave in one movement near the end of the phase that
    empties it, not spread over the phase (docs/model.md)."""

    lead_days: float = Field(
        7.0,
        ge=0.0,
        le=365.0,
        description="The block arrives this many days before the end of the phase that brings "
        "the site to zero (days). Calibration: the 2020-21 handovers of Qaim, Qayyarah, K1, "
        "Taqaddum and Taji each ended in a single ceremony, with the last people leaving in "
        "the final days (docs/calibration.md). A phase that only reduces the site spreads its "
        "movements as usual.",
    )


class Site(Section):
    """A coalition site in Iraq."""

    name: Name = Field(
        description="Unique site name (case, Unicode compatibility forms and surrounding "
        "spaces ignored when comparing), used by phase targets; at most 100 characters, no "
        "leading or trailing spaces, no control or invisible format characters.",
    )
    region: Literal["federal", "kurdistan"] = Field(
        description="federal Iraq or the Kurdistan Region; the expulsion of 3.6 empties "
        "federal sites only."
    )
    personnel: int = Field(
        ge=0,
        le=1_000_000,
        description="Coalition personnel at the window start. Public figure: about 2,500 US "
        "troops in Iraq in 2024 (reference/README.md); no per-base figures are public, so "
        "the per-site split is a stated assumption.",
    )
    air_defense: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Base interception probability of the site's air defence, multiplied by "
        "the weapon factor (militia.interception). Assumption.",
    )
    attack_propensity: float = Field(
        1.0,
        ge=0.0,
        le=100.0,
        description="Relative militia attack propensity per unit of exposure "
        "(dimensionless; 1 = a federal base). A site's share of attacks is proportional to "
        "attack_propensity x personnel^a. Of the attacks the 2023-24 reporting places at a "
        "named site in Iraq, 5 hit Ain al-Asad and 1 Erbil (reference/events_2023_2025.csv): "
        "per unit of exposure Erbil drew about 0.15 of Ain al-Asad's rate. The shipped "
        "scenarios give Kurdistan sites 0.2 (one event is weak evidence) and sweep it.",
    )
    closure: Closure | None = Field(
        None,
        description="A closure block (null: none): when a phase empties the site, its people "
        "leave in one movement arriving closure.lead_days before the phase end.",
    )


class Phase(Section):
    """A drawdown phase: between start and end, sites are brought down to their targets."""

    name: Name = Field(
        description="Phase name for plots and logs (at most 100 characters, no control or "
        "invisible format characters)."
    )
    start: date = Field(
        strict=False, description="First day movements of this phase may start (ISO date)."
    )
    end: date = Field(
        strict=False, description="Planned day the phase's targets are reached (ISO date)."
    )
    targets: dict[str, Count] = Field(
        default_factory=dict,
        description="Personnel each named site holds at the end of the phase (personnel). "
        "Sites not named keep what they have.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.end <= self.start:
            raise ValueError(f"phase end ({self.end}) must be after its start ({self.start})")
        for site, target in self.targets.items():
            if target < 0:
                raise ValueError(f"target for {site!r} must be >= 0, got {target}")
        return self


class Renegotiation(Section):
    """A hazard that the plan is renegotiated while a phase is under way (docs/model.md).

    The hazard is ``hazard_per_day x escalation_factor[E] x pressure_factor^(P / expel_at)
    x (residual_factor if the option keeps anyone)``, with P the Iraqi political pressure
    capped at politics.expel_at; at most one event per phase.
    """

    hazard_per_day: float = Field(
        ge=0.0,
        le=1.0,
        description="Base hazard while a phase is under way, at calm, no pressure and a full "
        "exit (1/day; at most 1: a plan is not renegotiated more than once a day).",
    )
    escalation_factor: ByLevel = Field(
        default_factory=lambda: ByLevel(calm=1.0, tense=1.0, crisis=1.5, war=2.0),
        description="Multiplier by escalation level (dimensionless). Assumption: a regional "
        "crisis gives a reason to stay.",
    )  # type: ignore[arg-type]
    pressure_factor: float = Field(
        0.5,
        gt=0.0,
        le=100.0,
        description="Multiplier at Iraqi political pressure politics.expel_at, log-linear in "
        "between (dimensionless; below 1: a host pressing to see the coalition leave makes "
        "a renegotiation less likely). Assumption.",
    )
    residual_factor: float = Field(
        0.5,
        ge=0.0,
        le=100.0,
        description="Multiplier when the option keeps a residual presence (dimensionless). "
        "Of the calibration plans, the full exits (Afghanistan 2021, Syria 2018) were "
        "renegotiated and the plans that kept a residual (Iraq 2020-21) were not. Assumption.",
    )


class Extension(Renegotiation):
    """Negotiated extension: the phase's end (and everything after) moves by a drawn delay."""

    hazard_per_day: float = Field(
        0.0004,
        ge=0.0,
        le=1.0,
        description="Base hazard of an extension while a phase is under way (1/day; at most "
        "1). Calibration: one extension (Afghanistan, 1 May -> 11 Sept 2021) in about 2,300 "
        "plan-days of four documented drawdowns (docs/calibration.md): 0.0004/day, about one "
        "in eight for a ten-month phase.",
    )
    delay_mean_days: float = Field(
        120.0,
        ge=1.0,
        le=3650.0,
        description="Mean of the drawn delay (days; at least a day, at most ten years). "
        "Calibration: Afghanistan's 1 May deadline moved to 11 Sept (133 days), then brought "
        "forward to 31 Aug (122 days).",
    )
    delay_shape: float = Field(
        4.0,
        ge=0.1,
        le=1000.0,
        description="Shape of the gamma distribution of the delay (dimensionless; the "
        "coefficient of variation is 1/sqrt(shape)). Assumption: 4, a CV of 0.5.",
    )


class Reversal(Renegotiation):
    """Reversal to a residual presence: the movements still to come are cancelled and the
    sites keep the people they hold."""

    hazard_per_day: float = Field(
        0.0004,
        ge=0.0,
        le=1.0,
        description="Base hazard of a reversal while a phase is under way (1/day; at most 1). "
        "Calibration: one reversal (Syria, the December 2018 full withdrawal reversed to a "
        "residual presence by February 2019) in about 2,300 plan-days (docs/calibration.md).",
    )


class Drawdown(Section):
    """The drawdown plan (docs/model.md)."""

    enabled: bool = Field(True, description="false: no force movements at all.")
    phases: list[Phase] = Field(
        default_factory=list,
        description="Ordered, non-overlapping phases. An empty list means no drawdown "
        "(the status quo): the drawdown counts as complete on day 0.",
    )
    talks: bool = Field(
        False,
        description="With no phases: withdrawal talks are under way, so the militias' demand "
        "is being negotiated (militia.timetable_factor.negotiating rather than none). The "
        "2024 backtest sets it: the Higher Military Commission met from 2024-01-25.",
    )
    movement_size: int = Field(
        100,
        gt=0,
        le=1_000_000,
        description="Personnel per movement (convoy or airlift). Assumption: about a company "
        "or one C-17 load of people and kit. A replication may plan at most 5,000 movements "
        "(its phases' and an expulsion's): validate refuses a smaller size that needs more.",
    )
    movement_days: PositiveDays = Field(
        2.0, description="Exposure window of one movement (days). Assumption."
    )
    movement_exposure: float = Field(
        0.1,
        ge=0.0,
        le=10.0,
        description="Exposure added by one full movement (movement_size personnel) while on "
        "the road, as a share of the whole presence's exposure at the window start "
        "(dimensionless; a smaller load counts pro rata). Independent of the sites' exponent "
        "militia.exposure_exponent. Assumption: a convoy or airlift is a soft target for a "
        "couple of days, drawing a tenth of the attacks the whole posture draws; swept in "
        "the baseline's uncertainties.",
    )
    hold_at_escalation: int | None = Field(
        3,
        ge=1,
        le=3,
        description="Movements do not start while the escalation level is at or above this "
        "(null: never hold). Default 3 (regional war): the 'postponement of a definitive "
        "end-date' under a regional war.",
    )
    max_slip_days: float = Field(
        365.0,
        ge=0.0,
        le=CENTURY,
        description="Bound on the plan's total delay from holds and negotiated extensions "
        "(days): once reached, movements proceed regardless and an extension moves the plan "
        "only up to it. Assumption: a plan renegotiated by more than a year is a new plan.",
    )
    extension: Extension = Field(
        default_factory=Extension,
        description=about(Extension),
    )  # type: ignore[arg-type]
    reversal: Reversal = Field(
        default_factory=Reversal,
        description=about(Reversal),
    )  # type: ignore[arg-type]


class Advisory(Section):
    """The advisory-retention option: the policy lever compared (docs/model.md)."""

    name: Name = Field(
        "none",
        description="Option name for tables and plots (at most 100 characters, no control or "
        "invisible format characters).",
    )
    residual: dict[str, Count] = Field(
        default_factory=dict,
        description="Personnel each named site holds once the drawdown completes (personnel); "
        "must equal the site's final drawdown target (or its initial personnel if no phase "
        "targets it).",
    )
    mission: Literal["advise", "train", "counter_terrorism"] = Field(
        "advise",
        description="Mission of the residual presence; weights its support to Iraqi forces "
        "(isis.mission_weight).",
    )
    federal_shift: float = Field(
        0.0,
        ge=-1.0,
        le=1.0,
        description="Share of the personnel the option keeps that is moved between regions "
        "(dimensionless, -1 to 1): above 0, that share of those kept in Kurdistan go to "
        "federal sites; below 0, that share of those kept in federal Iraq go to Kurdistan. "
        "Taken in proportion to what each site keeps, placed in proportion to each receiving "
        "site's headroom (initial minus kept; what it cannot hold stays), so the total kept "
        "is unchanged (scenario/split.py). Assumption: no per-base figures are public, so "
        "the split each option's plan states is one guess; the baseline's uncertainties "
        "sweep it and every option applies the same share.",
    )
    from_: date | None = Field(
        None,
        alias="from",
        strict=False,
        description="Date from which the personnel the option keeps carry its mission (ISO "
        "date; null: the last phase's planned end, or the window start when there is no "
        "plan). A fixed date rather than the realised completion, so that finishing early is "
        "not penalised and slipping is not rewarded. Personnel above the residual keep the "
        "pre-drawdown counter-terrorism mission until they leave.",
    )

    @model_validator(mode="after")
    def _non_negative(self) -> Advisory:
        for site, personnel in self.residual.items():
            if personnel < 0:
                raise ValueError(f"residual for {site!r} must be >= 0, got {personnel}")
        return self
