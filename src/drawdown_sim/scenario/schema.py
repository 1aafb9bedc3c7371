"""The scenario: every section, its uncertainties, and the checks that span sections."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field, ValidationError, ValidationInfo, model_validator

from ._base import Section, about, name_key
from .forces import Advisory, Drawdown, FollowOn, Site, Window
from .keys import FIXED as FIXED
from .keys import POSTERIOR_KEY as POSTERIOR_KEY
from .keys import deep_merge as deep_merge
from .keys import get_dotted as get_dotted
from .keys import key_parts as key_parts
from .keys import set_dotted as set_dotted
from .threats import Escalation, Isis, Militia, Politics, Retaliation, Shocks

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, at a dotted path inside it."""

    path: Path
    message: str

    @property
    def dotted(self) -> str:
        return ".".join(str(part) for part in self.path) or "(scenario)"


class Distribution(Section):
    """An uncertain parameter's distribution: exactly one of uniform, triangular, choice."""

    uniform: tuple[float, float] | None = Field(None, strict=False, description="[low, high].")
    triangular: tuple[float, float, float] | None = Field(
        None, strict=False, description="[low, mode, high]."
    )
    choice: list[float] | None = Field(None, min_length=1, description="Equally likely values.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Distribution:
        given = [k for k in ("uniform", "triangular", "choice") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of uniform: [lo, hi], triangular: [lo, mode, hi], choice: [...]"
            )
        if self.uniform is not None and not self.uniform[0] < self.uniform[1]:
            raise ValueError(f"uniform needs low < high, got {list(self.uniform)}")
        if self.triangular is not None:
            lo, mode, hi = self.triangular
            if not (lo <= mode <= hi and lo < hi):
                raise ValueError(
                    f"triangular needs low <= mode <= high and low < high, got "
                    f"{list(self.triangular)}"
                )
        return self

    @property
    def support(self) -> list[float]:
        """The extreme values the distribution can take."""
        if self.uniform is not None:
            return list(self.uniform)
        if self.triangular is not None:
            return [self.triangular[0], self.triangular[2]]
        assert self.choice is not None
        return sorted(set(self.choice))

    def ppf(self, u: float) -> float:
        """The value at quantile ``u`` in [0, 1) (used by Latin-hypercube sweeps)."""
        if self.uniform is not None:
            lo, hi = self.uniform
            return lo + u * (hi - lo)
        if self.triangular is not None:
            lo, mode, hi = self.triangular
            cut = (mode - lo) / (hi - lo)
            if u < cut:
                return lo + math.sqrt(u * (hi - lo) * (mode - lo))
            return hi - math.sqrt((1 - u) * (hi - lo) * (hi - mode))
        assert self.choice is not None
        return self.choice[min(int(u * len(self.choice)), len(self.choice) - 1)]


class Scenario(Section):
    """A drawdown scenario (docs/model.md). Dates are ISO dates inside the window."""

    extends: str | None = Field(
        None,
        description="Path of a scenario this file extends, relative to this file; the loader "
        "deep-merges this file over it (lists replace).",
    )
    name: str = Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$",
        description="Short name; results go to results/<name>/. Letters, digits, _ . - only, "
        "not starting with a dot or a dash (so it can never name . or .. or an option), at "
        "most 100 characters.",
    )
    description: str = Field("", max_length=10_000, description="What the scenario represents.")
    window: Window = Field(default_factory=Window, description=about(Window))  # type: ignore[arg-type]
    follow_on: FollowOn | None = Field(
        None,
        description="Optional follow-on period after the window (null: none). The simulation "
        "runs through it; the outcome columns keep their meaning over the window and each "
        "count and duration also gets a <outcome>_follow_on column over the follow-on.",
    )
    replications: int = Field(
        2000,
        ge=1,
        le=10_000_000,
        description="Default number of replications (at most 10^7).",
    )
    max_events: int = Field(
        1_000_000,
        ge=1_000,
        le=100_000_000,
        description="Most attacks, strikes and ISIS attacks one replication may produce. A "
        "replication that exceeds it fails with that reason rather than running for minutes "
        "and gigabytes; the shipped scenarios produce a few hundred.",
    )
    seed: int = Field(
        20240906,
        ge=0,
        le=2**63 - 1,
        description="Root seed: replication r uses SeedSequence(seed).spawn(...)[r]. Default "
        "fixed (the date the plan was reported) so runs are reproducible.",
    )
    sites: list[Site] = Field(min_length=1, description="Coalition sites in Iraq.")
    drawdown: Drawdown = Field(default_factory=Drawdown, description=about(Drawdown))  # type: ignore[arg-type]
    advisory: Advisory = Field(default_factory=Advisory, description=about(Advisory))  # type: ignore[arg-type]
    militia: Militia = Field(default_factory=Militia, description=about(Militia))  # type: ignore[arg-type]
    escalation: Escalation = Field(default_factory=Escalation, description=about(Escalation))  # type: ignore[arg-type]
    shocks: Shocks = Field(default_factory=Shocks, description=about(Shocks))  # type: ignore[arg-type]
    retaliation: Retaliation = Field(default_factory=Retaliation, description=about(Retaliation))  # type: ignore[arg-type]
    politics: Politics = Field(default_factory=Politics, description=about(Politics))  # type: ignore[arg-type]
    isis: Isis = Field(default_factory=Isis, description=about(Isis))  # type: ignore[arg-type]
    uncertainties: dict[str, Distribution | str] = Field(
        default_factory=dict,
        description="Dotted key of a numeric field -> its distribution, for sweeps; and "
        "optionally from_posterior: the path of a posterior.parquet written by drawdown-sim "
        "estimate (or a shipped posterior's name, posterior_2019_2024). With a posterior, "
        "every replication of run and compare runs at one whole draw of it (weighted, the "
        "parameters' correlations kept; replication r of each option at the same draw) and "
        "a sweep's states are whole draws; its keys override the ranges given here. KEY: "
        "fixed keeps the scenario's own value of KEY instead of the posterior's draw (a "
        "--set of a key the posterior draws does this).",
    )

    @property
    def ranges(self) -> dict[str, Distribution]:
        """The uncertainties given as distributions (without ``from_posterior``)."""
        return {k: v for k, v in self.uncertainties.items() if isinstance(v, Distribution)}

    @property
    def posterior(self) -> str | None:
        """The posterior named by ``uncertainties.from_posterior`` (None: none)."""
        value = self.uncertainties.get(POSTERIOR_KEY)
        return value if isinstance(value, str) else None

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        problems = cross_section_problems(self)
        sink = info.context.get("problems") if isinstance(info.context, dict) else None
        if isinstance(sink, list):
            sink.extend(problems)  # the loader maps each path to its file and line
        elif problems:
            raise ValueError("; ".join(f"{p.dotted}: {p.message}" for p in problems))
        return self

    # --- derived facts used by the model ---------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """Plain JSON-able data (dates as ISO strings), without ``extends``."""
        return self.model_dump(mode="json", by_alias=True, exclude={"extends"})

    @property
    def window_days(self) -> int:
        """Length of the drawdown window (days, end date included)."""
        return self.window.days

    @property
    def horizon_days(self) -> int:
        """Days simulated: the window plus the follow-on period, if any."""
        if self.follow_on is None:
            return self.window.days
        return (self.follow_on.end - self.window.start).days + 1

    @property
    def horizon_end(self) -> date:
        """Last day simulated (the follow-on's end, or the window's)."""
        return self.follow_on.end if self.follow_on is not None else self.window.end

    @property
    def planned_end_day(self) -> float | None:
        """Day offset of the last phase's planned end; None without a plan that runs."""
        if not self.drawdown.enabled or not self.drawdown.phases:
            return None
        return self.window.offset(self.drawdown.phases[-1].end)

    def declared_final_personnel(self) -> dict[str, int]:
        """Personnel each site holds once every declared phase target is reached."""
        final = {site.name: site.personnel for site in self.sites}
        if self.drawdown.enabled:
            for phase in self.drawdown.phases:
                final.update(phase.targets)
        return final

    def final_personnel(self) -> dict[str, int]:
        """Personnel each site holds once the plan completes, with ``advisory.federal_shift``
        applied (scenario/split.py)."""
        from .split import shifted_final

        return shifted_final(self)

    def phase_targets(self) -> list[dict[str, int]]:
        """Each phase's targets as the model runs them (``advisory.federal_shift`` applied)."""
        from .split import phase_targets

        return phase_targets(self)

    def background_rate(self, posture: str) -> float:
        """mu for ``posture`` (attacks/day at exposure 1 and escalation multiplier 1).

        Derived from the posture's observed attack rate with the transient mean of the Hawkes
        process from an empty history over the reference period, at the reference level's
        multiplier: ``rate * T / (m_E * E[N(T) | mu = 1])``. Provoked attacks are not part of
        the derivation (with retaliation on, the model's rate is higher by what strikes
        provoke).
        """
        from ..common.hawkes import expected_count

        m = self.militia
        regime = m.campaign if posture == "campaign" else m.restraint
        per_unit = expected_count(
            1.0, m.branching_ratio, 1.0 / m.trigger_days, regime.reference_days
        )
        multiplier = self.escalation.attack_multiplier.at(regime.reference_level)
        if per_unit <= 0.0 or multiplier <= 0.0:
            return 0.0
        return regime.attack_rate * regime.reference_days / (multiplier * per_unit)

    @property
    def initial_personnel(self) -> int:
        """Coalition personnel in Iraq at the window start."""
        return sum(site.personnel for site in self.sites)

    @property
    def digest(self) -> str:
        """SHA-256 of the resolved scenario: results carry it to detect a changed scenario."""
        text = json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(text.encode())
        if self.posterior is not None:  # the draws, not only their file's name
            from .posterior import file_digest

            digest.update(file_digest(self.posterior))
        return digest.hexdigest()

    def with_values(self, values: dict[str, Any]) -> Scenario:
        """A copy with dotted keys set (e.g. ``{"militia.branching_ratio": 0.4}``), validated."""
        data = self.to_data()
        for key, value in values.items():
            set_dotted(data, key, value)
        return Scenario.model_validate(data)


def _inside(window: Window, day: date) -> bool:
    return window.start <= day <= window.end


MAX_HORIZON_YEARS = 30
"""Longest simulated horizon (window plus follow-on): the model describes a drawdown and
what follows it, not a century; a bound also keeps daily series bounded in memory."""


def cross_section_problems(s: Scenario) -> list[Problem]:
    """Checks that span sections: sites named, dates in the window, plan consistent."""
    problems: list[Problem] = []
    w = s.window
    span = f"the window {w.start} to {w.end}"

    personnel: dict[str, int] = {}
    folded: dict[str, str] = {}
    for i, site in enumerate(s.sites):
        key = name_key(site.name)
        if key in folded:
            problems.append(
                Problem(
                    ("sites", i, "name"),
                    f"duplicate site name {site.name[:40]!r} (the same as {folded[key][:40]!r} "
                    "up to case, spaces and Unicode forms); site names must differ",
                )
            )
        folded[key] = site.name
        personnel[site.name] = site.personnel
    known = ", ".join(personnel)

    previous_end: date | None = None
    current = dict(personnel)
    for i, phase in enumerate(s.drawdown.phases):
        where: Path = ("drawdown", "phases", i)
        for key, day in (("start", phase.start), ("end", phase.end)):
            if not _inside(w, day):
                problems.append(Problem((*where, key), f"{day} is outside {span}"))
        if previous_end is not None and phase.start < previous_end:
            problems.append(
                Problem(
                    (*where, "start"),
                    f"{phase.start} is before the previous "
                    f"phase ends ({previous_end}); phases must not overlap",
                )
            )
        previous_end = phase.end
        for site_name, target in phase.targets.items():
            if site_name not in current:
                problems.append(
                    Problem(
                        (*where, "targets", site_name),
                        f"unknown site {site_name!r}; sites are: {known}",
                    )
                )
            elif target > current[site_name]:
                problems.append(
                    Problem(
                        (*where, "targets", site_name),
                        f"target {target} exceeds "
                        f"the {current[site_name]} personnel there before this phase; "
                        "a drawdown only reduces",
                    )
                )
            else:
                current[site_name] = target

    # With the drawdown switched off nothing moves and the residual is moot (the Hawkes
    # reduction turns it off on purpose), so it is only checked against a plan that runs.
    final = current
    residuals = s.advisory.residual.items() if s.drawdown.enabled else ()
    for site_name, residual in residuals:
        if site_name not in final:
            problems.append(
                Problem(
                    ("advisory", "residual", site_name),
                    f"unknown site {site_name!r}; sites are: {known}",
                )
            )
        elif residual != final[site_name]:
            problems.append(
                Problem(
                    ("advisory", "residual", site_name),
                    f"{residual} does not match "
                    f"the {final[site_name]} personnel the drawdown leaves at "
                    f"{site_name!r}; make the last phase's target and the residual "
                    "the same",
                )
            )
    # Events may fall anywhere in the simulated horizon, the follow-on included.
    valid_follow_on = s.follow_on is not None and s.follow_on.end > w.end
    horizon = Window(start=w.start, end=s.horizon_end) if valid_follow_on else w
    horizon_span = f"the simulated period {w.start} to {s.horizon_end}"
    if s.follow_on is not None and s.follow_on.end <= w.end:
        problems.append(
            Problem(
                ("follow_on", "end"),
                f"{s.follow_on.end} must be after window.end ({w.end}): the follow-on period "
                "comes after the drawdown window",
            )
        )
    if s.horizon_days > MAX_HORIZON_YEARS * 366:
        problems.append(
            Problem(
                ("follow_on", "end") if s.follow_on else ("window", "end"),
                f"the simulated period of {s.horizon_days:,} days is longer than "
                f"{MAX_HORIZON_YEARS} years; shorten the window or the follow-on",
            )
        )
    if s.advisory.from_ is not None and not _inside(horizon, s.advisory.from_):
        problems.append(
            Problem(("advisory", "from"), f"{s.advisory.from_} is outside {horizon_span}")
        )

    dated: list[tuple[Path, date]] = [
        (("militia", "scheduled", i, "date"), x.date) for i, x in enumerate(s.militia.scheduled)
    ]
    dated += [
        (("retaliation", "scheduled", i, "date"), x.date)
        for i, x in enumerate(s.retaliation.scheduled)
    ]
    for where_dated, day in dated:
        if not _inside(horizon, day):
            problems.append(Problem(where_dated, f"{day} is outside {horizon_span}"))

    for i, shock in enumerate(s.shocks.scheduled):
        if not _inside(horizon, shock.date):
            problems.append(
                Problem(
                    ("shocks", "scheduled", i, "date"), f"{shock.date} is outside {horizon_span}"
                )
            )

    if not problems:  # bounds are only worth checking on an otherwise valid scenario
        from .bounds import movement_problem

        too_many = movement_problem(s)
        if too_many is not None:
            problems.append(Problem(("drawdown", "movement_size"), too_many))
        problems.extend(_stability_problems(s, corner=False))
    if not problems:
        problems.extend(_uncertainty_problems(s))
    if not problems:
        problems.extend(_stability_problems(s, corner=True))
    return problems


# Keys of the attack-strike loop, and whether the loop grows with each (True) or shrinks.
LOOP_KEYS: dict[str, bool] = {
    "militia.branching_ratio": True,
    "retaliation.provocation": True,
    "retaliation.p_casualty.killed": True,
    "retaliation.p_casualty.wounded": True,
    "militia.casualties.hit_probability": True,
    "militia.casualties.killed_fraction": True,
    "militia.casualties.mean_if_hit": True,
    "retaliation.p_volume": True,
    "retaliation.volume_attacks": False,
}


def loop_radius(values: dict[str, float], retaliation: bool = True) -> float:
    """Spectral radius of the expected offspring matrix of the attack-strike loop.

    Type 1 is an attack, type 2 a US strike. An attack begets ``n`` attacks directly and at
    most ``p_s`` strikes: a strike follows a casualty attack with probability p_casualty
    (killed or wounded; an attack kills anyone with probability at most ``killed_fraction x
    mean_if_hit``), and the volume rule adds at most ``p_volume / volume_attacks`` strikes
    per attack. Interception is ignored (movements have none), so ``p_s`` is an upper bound.
    A strike begets ``rho`` attacks. The matrix ``[[n, p_s], [rho, 0]]`` has spectral radius
    ``(n + sqrt(n^2 + 4 p_s rho)) / 2``; below 1 the loop dies out, at 1 or above it explodes.
    """
    n = values["militia.branching_ratio"]
    if not retaliation:
        return n
    killed = min(
        1.0, values["militia.casualties.killed_fraction"] * values["militia.casualties.mean_if_hit"]
    )
    p_k, p_w = values["retaliation.p_casualty.killed"], values["retaliation.p_casualty.wounded"]
    per_hit = max(p_w, p_w + (p_k - p_w) * killed)
    p_s = values["militia.casualties.hit_probability"] * per_hit + values[
        "retaliation.p_volume"
    ] / max(values["retaliation.volume_attacks"], 1.0)
    rho = values["retaliation.provocation"]
    return (n + math.sqrt(n * n + 4.0 * p_s * rho)) / 2.0


def _stability_problems(s: Scenario, corner: bool) -> list[Problem]:
    """The attack-strike loop must die out at the scenario's values or, with ``corner``, at
    the most explosive corner of its uncertainties (which a sweep could draw)."""
    if not s.militia.enabled:
        return []
    data = s.to_data()
    values = {key: float(get_dotted(data, key)) for key in LOOP_KEYS}
    retaliation = s.retaliation.enabled
    radius = loop_radius(values, retaliation)
    advice = (
        "lower militia.branching_ratio or retaliation.provocation (or the strike "
        "probabilities) until it is below 1"
    )
    if radius >= 1.0 and not corner:
        return [
            Problem(
                ("retaliation", "provocation") if retaliation else ("militia", "branching_ratio"),
                f"the attack-strike loop explodes: each attack begets on average more than one "
                f"further attack through triggering and US strikes (spectral radius "
                f"{radius:.3f}, must be below 1); {advice}",
            )
        ]
    if not corner:
        return []
    extreme = dict(values)
    swept = []
    for key, grows in LOOP_KEYS.items():
        if key in s.ranges:
            support = s.ranges[key].support
            extreme[key] = max(support) if grows else min(support)
            swept.append(key)
    if swept:
        worst = loop_radius(extreme, retaliation)
        if worst >= 1.0:
            return [
                Problem(
                    ("uncertainties", swept[0]),
                    "a sweep can draw an explosive attack-strike loop: with "
                    + ", ".join(f"{k}={extreme[k]:g}" for k in swept)
                    + f" the spectral radius is {worst:.3f} (must be below 1); narrow these "
                    "ranges",
                )
            ]
    return []


def _uncertainty_problems(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    if not s.uncertainties:
        return problems
    data = s.to_data()
    data["uncertainties"] = {}
    for key, given in s.uncertainties.items():
        if key != POSTERIOR_KEY and given == FIXED and s.posterior is not None:
            continue
        if isinstance(given, str) != (key == POSTERIOR_KEY):
            problems.append(
                Problem(
                    ("uncertainties", key),
                    f"{POSTERIOR_KEY} takes the path of a posterior"
                    if key == POSTERIOR_KEY
                    else "give a distribution: uniform: [lo, hi], triangular: [lo, mode, hi] "
                    "or choice: [...]",
                )
            )
    if s.posterior is not None:
        from .posterior import problems as posterior_problems

        found = posterior_problems(s.posterior)
        for message in found:
            problems.append(Problem(("uncertainties", POSTERIOR_KEY), message))
        if not found:
            from .posterior import load

            for key in load(s.posterior)[0]:
                try:
                    current = get_dotted(data, key)
                except KeyError:
                    current = None
                if isinstance(current, bool) or not isinstance(current, int | float):
                    problems.append(
                        Problem(
                            ("uncertainties", POSTERIOR_KEY),
                            f"the posterior's column {key!r} is not a numeric field of the "
                            "scenario",
                        )
                    )
    for key, dist in s.ranges.items():
        where: Path = ("uncertainties", key)
        try:
            current = get_dotted(data, key)
        except KeyError:
            problems.append(Problem(where, f"{key!r} is not a field of the scenario"))
            continue
        if isinstance(current, bool) or not isinstance(current, int | float):
            problems.append(Problem(where, f"{key!r} is not a numeric field"))
            continue
        for value in dist.support:
            trial = json.loads(json.dumps(data))
            set_dotted(trial, key, int(value) if isinstance(current, int) else value)
            try:
                Scenario.model_validate(trial)
            except ValidationError as error:
                first = error.errors()[0]["msg"].removeprefix("Value error, ")
                problems.append(Problem(where, f"the value {value:g} is not allowed: {first}"))
                break
            except ValueError as error:
                problems.append(Problem(where, f"the value {value:g} is not allowed: {error}"))
                break
    return problems
