"""Shared building blocks of the scenario schema: strict sections and constrained numbers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
"""A probability in [0, 1]."""

Rate = Annotated[float, Field(ge=0.0)]
"""A finite, non-negative rate or weight (NaN and infinity are rejected by the section config)."""

PositiveDays = Annotated[float, Field(gt=0.0)]
"""A strictly positive duration in days."""

Level = Annotated[int, Field(ge=0, le=3)]
"""An escalation level: 0 calm, 1 tense, 2 crisis, 3 regional war."""


def about(section: type[BaseModel]) -> str:
    """A section's one-line description (its docstring's first line) for the JSON Schema."""
    return (section.__doc__ or section.__name__).strip().splitlines()[0]


class Section(BaseModel):
    """Base of every scenario section: unknown keys and non-finite floats are errors."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        populate_by_name=True,
        validate_default=True,
    )


class ByLevel(Section):
    """One number per escalation level."""

    calm: Rate = Field(description="Level 0, calm.")
    tense: Rate = Field(description="Level 1, tense.")
    crisis: Rate = Field(description="Level 2, crisis.")
    war: Rate = Field(description="Level 3, regional war.")

    def at(self, level: int) -> float:
        """The value at escalation ``level`` (0-3)."""
        return (self.calm, self.tense, self.crisis, self.war)[level]


class BySeverity(Section):
    """One probability per shock severity (1 minor, 2 serious, 3 major)."""

    minor: Probability = Field(description="Severity 1.")
    serious: Probability = Field(description="Severity 2.")
    major: Probability = Field(description="Severity 3.")

    def at(self, severity: int) -> float:
        """The value for a shock of ``severity`` (1-3; larger values count as 3)."""
        return (self.minor, self.serious, self.major)[min(max(severity, 1), 3) - 1]
