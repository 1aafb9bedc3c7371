"""Shared building blocks of the scenario schema: strict sections and constrained numbers."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MINUTE = 1.0 / 1440.0
"""One minute in days: the shortest delay or duration a scenario may give. Shorter ones stop
simulated time from advancing in floating point (a day plus 1e-14 is a day)."""

CENTURY = 36_525.0
"""A hundred years in days: the longest duration a scenario may give."""

MAX_PER_DAY = 1_000.0
"""Most events a day any rate may give: far above anything in the record (about 3 attacks a
day at the height of the 2023-24 campaign), low enough that a replication stays bounded."""

MAX_WEIGHT = 1_000_000.0
"""Largest weight, index, threshold or count-like number (personnel, pressure)."""

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
"""A probability in [0, 1]."""

Rate = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
"""A finite, non-negative weight, factor or index (at most 10^6; NaN and infinity are
rejected by the section config)."""

PerDay = Annotated[float, Field(ge=0.0, le=MAX_PER_DAY)]
"""A rate in events (or hazard) per day, at most 1,000 a day."""

PositiveDays = Annotated[float, Field(ge=MINUTE, le=CENTURY)]
"""A duration in days, from one minute to a century."""

Count = Annotated[int, Field(ge=0, le=1_000_000)]
"""A count of people or events (at most 10^6: the coalition in Iraq numbers thousands)."""

Level = Annotated[int, Field(ge=0, le=3)]
"""An escalation level: 0 calm, 1 tense, 2 crisis, 3 regional war."""

MAX_NAME = 100
"""Longest site, phase or option name (characters)."""


def _visible(name: str) -> str:
    """``name`` unless it holds a control or format character (Unicode categories Cc, Cf:
    escapes, zero-width and bidirectional controls), which would let two names that print
    alike differ, or rewrite the terminal they are printed on."""
    for character in name:
        if unicodedata.category(character) in ("Cc", "Cf"):
            raise ValueError(
                f"contains the invisible character U+{ord(character):04X} "
                f"({unicodedata.name(character, 'control')}); names are plain visible text"
            )
    return name


def name_key(name: str) -> str:
    """What two names are compared by: NFKC-normalised, case-folded, surrounding spaces
    ignored (so "Ain al-Asad" and "ain al-asad " are the same site)."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


Name = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME, pattern=r"^\S(.*\S)?$"),
    AfterValidator(_visible),
]
"""A site, phase or option name: 1 to 100 visible characters, no leading or trailing
spaces, no control or format characters."""


def about(section: type[BaseModel]) -> str:
    """A section's one-line description (its docstring's first line) for the JSON Schema."""
    return (section.__doc__ or section.__name__).strip().splitlines()[0]


class Section(BaseModel):
    """Base of every scenario section: unknown keys and non-finite floats are errors."""

    # strict: YAML's true is not a count and 1 is not a boolean. Dates and lists of numbers
    # relax it field by field (YAML gives them as text and lists).
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        populate_by_name=True,
        validate_default=True,
        strict=True,
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
