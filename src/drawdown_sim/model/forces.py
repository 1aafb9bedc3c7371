"""Force posture: personnel by site, the movements that carry them out, hold-at-escalation,
slip, acceleration, cancellation, and the advisory option (docs/model.md).
"""

from __future__ import annotations

from collections import deque
from operator import itemgetter
from typing import NamedTuple

import numpy as np
import simpy

from ..scenario import Scenario
from ..scenario.forces import Renegotiation
from .records import Change, Movement
from .world import ProcessGenerator, Redrawable, World, call_later, per_scenario

TIME_EPSILON = 1e-9
"""Days below which two times are the same instant (float rounding of planned dates)."""


def _spread(start: float, length: float, count: int, duration: float) -> list[float]:
    """Start days of ``count`` movements spread evenly over a phase of ``length`` days.

    The last movement arrives on the phase's end (``start + length``); with several, the
    first leaves at the phase start. A single movement therefore leaves ``duration`` before
    the end, not at the start: a phase's date is when its target is due, not when to rush.
    """
    latest = start + max(length - duration, 0.0)
    if count <= 1:
        return [latest] * count
    spacing = (latest - start) / (count - 1)
    return [start + k * spacing for k in range(count)]


def _loads(sizes: dict[int, int], movement_size: int) -> list[tuple[int, int]]:
    """(site, personnel) loads that move ``sizes[site]`` out, sites interleaved round-robin."""
    per_site = {
        site: [movement_size] * (total // movement_size)
        + ([total % movement_size] if total % movement_size else [])
        for site, total in sizes.items()
        if total > 0
    }
    loads: list[tuple[int, int]] = []
    for k in range(max((len(v) for v in per_site.values()), default=0)):
        loads += [(site, v[k]) for site, v in per_site.items() if k < len(v)]
    return loads


def _plan(world: World) -> tuple[tuple[float, int, int, int], ...]:
    """The drawdown plan as (due day, site index, personnel, phase index) movements, in due
    order; computed once per scenario, since it depends on nothing random."""
    plan: tuple[tuple[float, int, int, int], ...] = per_scenario(
        "plan", world.scenario, lambda: _movements(world)
    )
    return plan


def _movements(world: World) -> tuple[tuple[float, int, int, int], ...]:
    scenario = world.scenario
    cfg = scenario.drawdown
    index = {site.name: i for i, site in enumerate(scenario.sites)}
    current = [site.personnel for site in scenario.sites]
    plan: list[tuple[float, int, int, int]] = []
    for number, (phase, targets) in enumerate(
        zip(cfg.phases, scenario.phase_targets(), strict=True)
    ):
        cuts: dict[int, int] = {}
        start = world.day(phase.start)
        end = world.day(phase.end)
        for name, target in targets.items():
            i = index[name]
            cut = current[i] - target
            current[i] = target
            closure = scenario.sites[i].closure
            if closure is not None and target == 0 and cut > 0:
                # A closure block: the base's people leave in one movement that arrives
                # closure.lead_days before the phase end (not before the phase start).
                due = max(end - closure.lead_days - cfg.movement_days, start)
                plan.append((due, i, cut, number))
            else:
                cuts[i] = cut
        loads = _loads(cuts, cfg.movement_size)
        for day, (site, size) in zip(
            _spread(start, end - start, len(loads), cfg.movement_days), loads, strict=True
        ):
            plan.append((day, site, size, number))
    # Stable: movements due at the same instant keep the order of the phases and sites.
    plan.sort(key=itemgetter(0))
    return tuple(plan)


_WEIGHT = itemgetter(1)
"""The exposure weight of a target (name, weight, air defence)."""
_SIZE = itemgetter(1)
"""The personnel of a movement in transit (site, personnel)."""


class _SiteConstants(NamedTuple):
    """What the force posture derives from the scenario alone, once per scenario."""

    propensity: tuple[float, ...]  # attack propensity w of each site
    movement_name: tuple[str, ...]  # target name of a movement out of each site
    region_weight: tuple[float, ...]  # ISIS support weight of each site's region
    norm: float  # sum of w p^a at the window start: exposure X is relative to it
    planned_end: float  # the last phase's planned end (day), 0 without a plan
    residual: tuple[int, ...]  # personnel the option keeps at each site


def _site_constants(scenario: Scenario) -> _SiteConstants:
    sites = scenario.sites
    exponent = scenario.militia.exposure_exponent
    propensity = tuple(site.attack_propensity for site in sites)
    planned_end = scenario.planned_end_day
    final = scenario.final_personnel()
    return _SiteConstants(
        propensity=propensity,
        movement_name=tuple(f"movement:{site.name}" for site in sites),
        region_weight=tuple(getattr(scenario.isis.region_weight, site.region) for site in sites),
        norm=sum(
            w * site.personnel**exponent
            for w, site in zip(propensity, sites, strict=True)
            if site.personnel > 0
        ),
        planned_end=0.0 if planned_end is None else planned_end,
        residual=tuple(final[site.name] for site in sites),
    )


class ForcePosture:
    """Personnel at each site and in transit, moved out by the drawdown plan.

    The plan is a list of ``[due_day, site_index, personnel]`` movements. A movement starts at
    ``due_day + delay``, where ``delay`` is the slip accumulated while movements were held at
    high escalation (capped at ``max_slip_days``).
    """

    def __init__(self, world: World) -> None:
        self.world = world
        scenario = world.scenario
        cfg = scenario.drawdown
        self.sites = scenario.sites
        self.personnel = [site.personnel for site in self.sites]
        self._exponent = scenario.militia.exposure_exponent
        constants: _SiteConstants = per_scenario(
            "site constants", scenario, lambda: _site_constants(scenario)
        )
        self._propensity = constants.propensity
        self._movement_name = constants.movement_name
        self._region_weight = constants.region_weight
        self._norm = constants.norm
        self.enabled = cfg.enabled
        self.has_plan = cfg.enabled and bool(cfg.phases)
        self.delay = 0.0
        self.planned_end = constants.planned_end
        self.completion_day: float | None = None
        self.residual = list(constants.residual)
        """Personnel the option keeps at each site (zero at federal sites once expelled)."""
        self.option_active = False
        self.accelerated = False
        self.option_cancelled = False
        self.reversed = False
        """Whether the plan was reversed to a residual presence."""
        self._extended_phases: set[int] = set()
        # A queue: movements leave from its front (a list's pop(0) made a plan of n
        # movements cost n^2).
        self.plan: deque[list[float]] = deque(map(list, _plan(world)) if cfg.enabled else ())
        self._transit: dict[int, tuple[int, int]] = {}
        self._movements = 0
        self._clock = Redrawable(world)
        self._negotiation = Redrawable(world)
        self._holding = False
        self.exposure = 0.0
        """X(t): exposure relative to the window start (dimensionless)."""
        self._targets: list[tuple[str, float, float]] = []  # (name, weight, air defence)
        self._site_targets = list(map(self._site_target, range(len(self.sites))))
        self._per_person = cfg.movement_exposure * self._norm / cfg.movement_size
        self._weight_total = 0.0
        self._recompute_targets()
        world.log.trajectories.personnel.append((0.0, sum(self.personnel)))

    # --- state read by others --------------------------------------------------------------
    @property
    def total(self) -> int:
        """Personnel in Iraq, at sites and in transit."""
        return sum(self.personnel) + sum(map(_SIZE, self._transit.values()))

    @property
    def timetable_state(self) -> str:
        """The withdrawal timetable as the militias see it: ``none`` (no plan, no talks),
        ``negotiating`` (no plan, talks under way), ``honoured``, ``slipping`` (movements
        held or the plan delayed) or ``complete``."""
        if not self.has_plan:
            return "negotiating" if self.world.scenario.drawdown.talks else "none"
        if self.completion_day is not None:
            return "complete"
        if self._holding or self.delay > TIME_EPSILON:
            return "slipping"
        return "honoured"

    def support(self) -> float:
        """Personnel at sites weighted by region and mission (ISIS support, personnel).

        Personnel the option keeps carry its mission once the option is in force; everyone
        else carries the pre-drawdown counter-terrorism mission until they leave.
        """
        isis = self.world.scenario.isis
        kept_weight = getattr(
            isis.mission_weight,
            self.world.scenario.advisory.mission if self.option_active else "counter_terrorism",
        )
        leaving_weight = isis.mission_weight.counter_terrorism
        total = 0.0
        for p, kept, region in zip(self.personnel, self.residual, self._region_weight, strict=True):
            staying = min(p, kept)
            total += region * (kept_weight * staying + leaving_weight * (p - staying))
        return total

    def pick_target(self, u: float) -> tuple[str, float]:
        """(target name, air defence) chosen with probability proportional to exposure."""
        left = u * self._weight_total
        for name, weight, air_defense in self._targets:
            left -= weight
            if left < 0.0:
                return name, air_defense
        name, _, air_defense = self._targets[-1]
        return name, air_defense

    # --- elaboration and processes ---------------------------------------------------------
    def start(self) -> None:
        env = self.world.env
        advisory_from = self.world.scenario.advisory.from_
        option_day = self.world.day(advisory_from) if advisory_from else self.planned_end
        if option_day <= 0.0:
            self._activate_option("option in force from the start")
        else:
            env.process(self._option_from(option_day))
        if self.plan:
            self._clock.process = env.process(self._drawdown())
            cfg = self.world.scenario.drawdown
            if cfg.extension.hazard_per_day > 0.0 or cfg.reversal.hazard_per_day > 0.0:
                # Held by a Redrawable so that World.dismantle unties it (never woken).
                self._negotiation.process = env.process(self._renegotiation())
        else:
            self._complete("nothing to move")

    # --- negotiated extension and reversal ---------------------------------------------------
    def _hazard_factor(self, section: Renegotiation) -> float:
        """The multiplier of ``section``'s base hazard in the current state (dimensionless):
        escalation, Iraqi political pressure (capped at expulsion) and the residual option."""
        world = self.world
        factor = section.escalation_factor.at(world.escalation.level)
        politics = world.politics
        if politics.enabled:
            cap = world.scenario.politics.expel_at
            pressure = min(max(politics.value(world.now), 0.0), cap)
            factor *= section.pressure_factor ** (pressure / cap)
        if any(self.residual):
            factor *= section.residual_factor
        return factor

    @staticmethod
    def _factor_bound(section: Renegotiation, keeps: bool) -> float:
        """An upper bound of :meth:`_hazard_factor` over every state (dimensionless)."""
        levels = section.escalation_factor
        bound = max(levels.calm, levels.tense, levels.crisis, levels.war)
        bound *= max(1.0, section.pressure_factor)
        if keeps:
            bound *= section.residual_factor
        return bound

    def _renegotiation(self) -> ProcessGenerator:
        """Negotiated extensions and reversals, by thinning (docs/model.md).

        Candidates arrive at the bound ``B = B_ext + B_rev`` of the two hazards while
        movements are pending; a candidate at time t is an extension with probability
        ``h_ext(t) / B`` and a reversal with probability ``h_rev(t) / B`` (disjoint), so each
        happens at exactly its hazard. A phase is extended at most once; a reversal ends the
        plan. The hazards' states (escalation, pressure, option) are read at the candidate.
        """
        world = self.world
        env = world.env
        cfg = world.scenario.drawdown
        rng = world.streams.slip
        keeps = any(self.residual)
        ext_bound = cfg.extension.hazard_per_day * self._factor_bound(cfg.extension, keeps)
        rev_bound = cfg.reversal.hazard_per_day * self._factor_bound(cfg.reversal, keeps)
        bound = ext_bound + rev_bound
        if bound <= 0.0:
            return
        while True:
            yield env.timeout(float(rng.exponential(1.0 / bound)))
            if not self.plan or self.reversed or self.option_cancelled:
                return
            u = float(rng.random()) * bound
            phase = int(self.plan[0][3])
            if u < ext_bound:
                if phase in self._extended_phases or self.delay >= cfg.max_slip_days:
                    continue
                hazard = cfg.extension.hazard_per_day * self._hazard_factor(cfg.extension)
                if u < hazard:
                    self._extend(phase, rng)
            elif u - ext_bound < cfg.reversal.hazard_per_day * self._hazard_factor(cfg.reversal):
                self._reverse()
                return

    def _extend(self, phase: int, rng: np.random.Generator) -> None:
        """Move the rest of the plan by a gamma-distributed delay (cut to max_slip_days)."""
        cfg = self.world.scenario.drawdown
        shape = cfg.extension.delay_shape
        drawn = float(rng.gamma(shape, cfg.extension.delay_mean_days / shape))
        applied = min(drawn, cfg.max_slip_days - self.delay)
        now = self.world.now
        self._extended_phases.add(phase)
        self.delay += applied
        self.world.log.changes.append(
            Change(now, "extended", f"+{applied:.0f} days", f"phase {phase} renegotiated")
        )
        self.world.militia.on_propensity_change()  # the timetable extended
        self._clock.wake("extended")

    def _reverse(self) -> None:
        """Reversal to a residual presence: the movements still to come are cancelled and
        every site keeps the people it holds (those in transit still leave)."""
        now = self.world.now
        self.reversed = True
        self.plan = deque()
        self.residual = list(self.personnel)
        self.world.log.changes.append(Change(now, "reversed", "residual presence", "renegotiated"))
        self.world.isis.on_presence_change()
        self._clock.wake("reversed")
        if not self._transit:
            self._complete("plan reversed")

    def _option_from(self, day: float) -> ProcessGenerator:
        yield self.world.env.timeout(day)
        cause = "advisory.from reached" if self.world.scenario.advisory.from_ else "planned end"
        self._activate_option(cause)

    def _drawdown(self) -> ProcessGenerator:
        env = self.world.env
        cfg = self.world.scenario.drawdown
        while self.plan:
            try:
                due = self.plan[0][0] + self.delay
                if due > env.now + TIME_EPSILON:  # a rounding residue must not spin the loop
                    yield env.timeout(due - env.now)
                    continue
                hold = cfg.hold_at_escalation
                if (
                    hold is not None
                    and self.world.escalation.level >= hold
                    and self.delay < cfg.max_slip_days - TIME_EPSILON
                ):
                    held_from = env.now
                    self._holding = True
                    self.world.militia.on_propensity_change()  # the timetable slipping
                    try:  # held until escalation drops (we are woken) or the slip cap
                        yield env.timeout(cfg.max_slip_days - self.delay)
                    finally:
                        self._holding = False
                        self.delay += env.now - held_from
                    continue
                _, site, size, _ = self.plan.popleft()
                self._start_movement(int(site), int(size))
            except simpy.Interrupt:
                self._clock.woken()

    def _start_movement(self, site: int, size: int) -> None:
        env = self.world.env
        cfg = self.world.scenario.drawdown
        self._movements += 1
        movement = self._movements
        self.personnel[site] -= size
        self._site_targets[site] = self._site_target(site)
        self._transit[movement] = (site, size)
        self.world.log.movements.append(
            Movement(env.now, env.now + cfg.movement_days, self.sites[site].name, size)
        )
        self._refresh_exposure()
        self.world.isis.on_presence_change()
        call_later(env, cfg.movement_days, lambda: self._end_movement(movement))

    def _end_movement(self, movement: int) -> None:
        del self._transit[movement]
        self.world.log.trajectories.personnel.append((self.world.now, self.total))
        self._refresh_exposure()
        if not self.plan and not self._transit:
            self._complete("last movement arrived")

    def _complete(self, cause: str) -> None:
        if self.completion_day is not None:
            return
        self.completion_day = self.world.now
        self.world.log.changes.append(Change(self.world.now, "completed", "drawdown", cause))
        self.world.militia.on_propensity_change()  # the timetable complete

    def _activate_option(self, cause: str) -> None:
        if self.option_active:
            return
        self.option_active = True
        name = self.world.scenario.advisory.name
        self.world.log.changes.append(Change(self.world.now, "option", name, cause))
        self.world.isis.on_presence_change()

    def _refresh_exposure(self) -> None:
        self._recompute_targets()
        self.world.militia.on_background_change()

    def _recompute_targets(self) -> None:
        """Attack targets (sites and movements), their exposure weights p^a, and X."""
        # A movement's exposure is its own term, a share of the initial presence's exposure
        # pro rata to its load, independent of the sites' exponent a (a convoy is not a
        # small base). Convoys and airlifts carry no air defence of their own.
        # Plain loops rather than comprehensions: a handful of targets, and a comprehension
        # costs a call of its own on every movement.
        targets = []
        for target, p in zip(self._site_targets, self.personnel, strict=True):
            if p > 0:
                targets.append(target)
        per_person, movement_name = self._per_person, self._movement_name
        for site, size in self._transit.values():
            targets.append((movement_name[site], per_person * size, 0.0))
        self._targets = targets
        self._weight_total = sum(map(_WEIGHT, targets))
        self.exposure = self._weight_total / self._norm if self._norm > 0 else 0.0
        self.world.log.trajectories.exposure.append((self.world.now, self.exposure))

    def _site_target(self, i: int) -> tuple[str, float, float]:
        """(name, exposure weight w p^a, air defence) of site ``i`` (not a target when empty)."""
        site, p = self.sites[i], self.personnel[i]
        weight = self._propensity[i] * p**self._exponent if p > 0 else 0.0
        return (site.name, weight, site.air_defense)

    # --- political decisions ---------------------------------------------------------------
    def on_escalation(self) -> None:
        """A change of escalation may end a hold (a later hold is checked when due)."""
        if self._holding:
            self._clock.wake("escalation")

    @property
    def can_accelerate(self) -> bool:
        """Whether an acceleration would mean anything: a plan with movements still to come.

        Without a plan (the status quo) or once the last movement has left, there is nothing
        to compress, and ``accelerated`` stays false.
        """
        return self.has_plan and not self.accelerated and bool(self.plan)

    def accelerate(self, factor: float) -> None:
        """Compress the remaining schedule towards now by ``factor`` (once)."""
        if not self.can_accelerate:
            return
        self.accelerated = True
        now = self.world.now
        for movement in self.plan:
            due = movement[0] + self.delay
            if due > now:
                movement[0] = now + (due - now) * factor - self.delay
        self.world.log.changes.append(Change(now, "accelerated", f"x{factor:g}", "pressure"))
        self._clock.wake("accelerated")

    def cancel_option(self) -> None:
        """Expulsion: every federal site goes to zero within ``politics.expel_exit_days``."""
        if self.option_cancelled:
            return
        self.option_cancelled = True
        world = self.world
        now = world.now
        world.log.changes.append(Change(now, "option_cancelled", "federal exit", "pressure"))
        if not self.enabled:
            return
        federal = {i for i, site in enumerate(self.sites) if site.region == "federal"}
        for i in federal:
            self.residual[i] = 0
        world.isis.on_presence_change()
        kept = [m for m in self.plan if int(m[1]) not in federal]
        cuts = {i: self.personnel[i] for i in federal}
        loads = _loads(cuts, world.scenario.drawdown.movement_size)
        days = _spread(
            now,
            world.scenario.politics.expel_exit_days,
            len(loads),
            world.scenario.drawdown.movement_days,
        )
        kept += [
            [day - self.delay, site, size, -1]
            for day, (site, size) in zip(days, loads, strict=True)
        ]
        kept.sort(key=lambda m: m[0])
        self.plan = deque(kept)
        if self._clock.process is None or not self._clock.process.is_alive:
            if self.plan:
                self._clock.process = world.env.process(self._drawdown())
        else:
            self._clock.wake("option cancelled")

    def slip_days(self) -> float | None:
        """Completion minus the last phase's planned end (days); None while unfinished
        (censored at the end of the horizon); 0 without a plan."""
        if not self.has_plan:
            return 0.0
        if self.completion_day is None:
            return None
        return self.completion_day - self.planned_end
