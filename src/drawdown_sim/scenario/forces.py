"""Force posture sections: the window, sites, the drawdown plan and the advisory option."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from ._base import PositiveDays, Rate, Section


class Window(Section):
    """The simulated drawdown window; both dates are inclusive."""

    start: date = Field(
        date(2024, 9, 1),
        description="First day simulated (ISO date). Default: the month the plan was reported "
        "(reference/events_2023_2025.csv, 2024-09-06).",
    )
    end: date = Field(
        date(2025, 9, 30),
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


class Site(Section):
    """A coalition site in Iraq."""

    name: str = Field(min_length=1, description="Unique site name, used by phase targets.")
    region: Literal["federal", "kurdistan"] = Field(
        description="federal Iraq or the Kurdistan Region; the expulsion of 3.6 empties "
        "federal sites only."
    )
    personnel: int = Field(
        ge=0,
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


class Phase(Section):
    """A drawdown phase: between start and end, sites are brought down to their targets."""

    name: str = Field(min_length=1, description="Phase name for plots and logs.")
    start: date = Field(description="First day movements of this phase may start (ISO date).")
    end: date = Field(description="Planned day the phase's targets are reached (ISO date).")
    targets: dict[str, int] = Field(
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


class Drawdown(Section):
    """The drawdown plan (MODEL.md 3.1)."""

    enabled: bool = Field(True, description="false: no force movements at all.")
    phases: list[Phase] = Field(
        default_factory=list,
        description="Ordered, non-overlapping phases. An empty list means no drawdown "
        "(the status quo): the drawdown counts as complete on day 0.",
    )
    movement_size: int = Field(
        100,
        gt=0,
        description="Personnel per movement (convoy or airlift). Assumption: about a company "
        "or one C-17 load of people and kit.",
    )
    movement_days: PositiveDays = Field(
        2.0, description="Exposure window of one movement (days). Assumption."
    )
    movement_exposure: Rate = Field(
        3.0,
        description="Attack hazard multiplier of personnel in transit relative to the same "
        "personnel on a defended base (dimensionless). Assumption: convoys are softer targets.",
    )
    hold_at_escalation: int | None = Field(
        3,
        ge=1,
        le=3,
        description="Movements do not start while the escalation level is at or above this "
        "(null: never hold). Default 3 (regional war): the 'postponement of a definitive "
        "end-date' under a regional war.",
    )
    max_slip_days: Rate = Field(
        90.0,
        description="Once holds have delayed the plan by this many days in total, movements "
        "proceed regardless (days). Assumption.",
    )


class Advisory(Section):
    """The advisory-retention option: the policy lever compared (MODEL.md 3.2)."""

    name: str = Field("none", min_length=1, description="Option name for tables and plots.")
    residual: dict[str, int] = Field(
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
    from_: date | None = Field(
        None,
        alias="from",
        description="Date the option's mission takes effect if before the drawdown completes "
        "(ISO date; null: at completion).",
    )

    @model_validator(mode="after")
    def _non_negative(self) -> Advisory:
        for site, personnel in self.residual.items():
            if personnel < 0:
                raise ValueError(f"residual for {site!r} must be >= 0, got {personnel}")
        return self
