"""Force posture: personnel by site, the movements that carry them out, hold-at-escalation,
slip, acceleration, cancellation, and the advisory option (MODEL.md 3.1 and 3.2).
"""

from __future__ import annotations

import simpy

from ..scenario import Scenario
from .records import Change, Movement
from .world import ProcessGenerator, Redrawable, World

TIME_EPSILON = 1e-9
"""Days below which two times are the same instant (float rounding of planned dates)."""


def _spread(start: float, length: float, count: int, duration: float) -> list[float]:
    """Start days of ``count`` movements spread evenly so the last ends ``length`` after start."""
    if count <= 1:
        return [start] * count
    spacing = max(length - duration, 0.0) / (count - 1)
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


_PLANS: dict[int, tuple[Scenario, tuple[tuple[float, int, int], ...]]] = {}


def _plan(world: World) -> tuple[tuple[float, int, int], ...]:
    """The drawdown plan as (due day, site index, personnel) movements; computed once per
    scenario, since it depends on nothing random."""
    scenario = world.scenario
    cached = _PLANS.get(id(scenario))
    if cached is not None and cached[0] is scenario:
        return cached[1]
    cfg = scenario.drawdown
    index = {site.name: i for i, site in enumerate(scenario.sites)}
    current = [site.personnel for site in scenario.sites]
    plan: list[tuple[float, int, int]] = []
    for phase in cfg.phases:
        cuts: dict[int, int] = {}
        for name, target in phase.targets.items():
            cuts[index[name]] = current[index[name]] - target
            current[index[name]] = target
        loads = _loads(cuts, cfg.movement_size)
        start = world.day(phase.start)
        length = world.day(phase.end) - start
        for day, (site, size) in zip(
            _spread(start, length, len(loads), cfg.movement_days), loads, strict=True
        ):
            plan.append((day, site, size))
    if len(_PLANS) > 32:
        _PLANS.clear()
    _PLANS[id(scenario)] = (scenario, tuple(plan))
    return _PLANS[id(scenario)][1]


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
        self._norm = sum(p**self._exponent for p in self.personnel if p > 0)
        self.enabled = cfg.enabled
        self.delay = 0.0
        self.planned_end = world.day(cfg.phases[-1].end) if cfg.enabled and cfg.phases else 0.0
        self.completion_day: float | None = None
        self.option_active = False
        self.accelerated = False
        self.option_cancelled = False
        self.plan = [list(m) for m in _plan(world)] if cfg.enabled else []
        self._transit: dict[int, tuple[int, int]] = {}
        self._movements = 0
        self._clock = Redrawable(world)
        self._holding = False
        self.exposure = 0.0
        """X(t): exposure relative to the window start (dimensionless)."""
        self._targets: list[tuple[str, float, float]] = []  # (name, weight, air defence)
        self._weight_total = 0.0
        self._recompute_targets()
        world.log.trajectories.personnel.append((0.0, sum(self.personnel)))

    # --- state read by others --------------------------------------------------------------
    @property
    def total(self) -> int:
        """Personnel in Iraq, at sites and in transit."""
        return sum(self.personnel) + sum(size for _, size in self._transit.values())

    def support(self) -> float:
        """Personnel at sites weighted by region and mission (ISIS support, personnel)."""
        isis = self.world.scenario.isis
        advisory = self.world.scenario.advisory
        mission = advisory.mission if self.option_active else "counter_terrorism"
        weight = getattr(isis.mission_weight, mission)
        regions = isis.region_weight
        return weight * sum(
            p * getattr(regions, site.region)
            for p, site in zip(self.personnel, self.sites, strict=True)
        )

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
        if advisory_from is not None:
            env.process(self._option_from(self.world.day(advisory_from)))
        if self.plan:
            self._clock.process = env.process(self._drawdown())
        else:
            self._complete("nothing to move")

    def _option_from(self, day: float) -> ProcessGenerator:
        yield self.world.env.timeout(day)
        self._activate_option("advisory.from reached")

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
                    try:  # held until escalation drops (we are woken) or the slip cap
                        yield env.timeout(cfg.max_slip_days - self.delay)
                    finally:
                        self._holding = False
                        self.delay += env.now - held_from
                    continue
                _, site, size = self.plan.pop(0)
                self._start_movement(int(site), int(size))
            except simpy.Interrupt:
                self._clock.woken()

    def _start_movement(self, site: int, size: int) -> None:
        env = self.world.env
        cfg = self.world.scenario.drawdown
        self._movements += 1
        movement = self._movements
        self.personnel[site] -= size
        self._transit[movement] = (site, size)
        self.world.log.movements.append(
            Movement(env.now, env.now + cfg.movement_days, self.sites[site].name, size)
        )
        self._refresh_exposure()
        self.world.isis.on_presence_change()
        done = env.timeout(cfg.movement_days)
        done.callbacks.append(lambda _event: self._end_movement(movement))

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
        self._activate_option("drawdown complete")

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
        a = self._exponent
        targets = [
            (site.name, p**a, site.air_defense)
            for p, site in zip(self.personnel, self.sites, strict=True)
            if p > 0
        ]
        # Convoys and airlifts carry no air defence of their own.
        exposure = self.world.scenario.drawdown.movement_exposure
        targets += [
            (f"movement:{self.sites[site].name}", exposure * size**a, 0.0)
            for site, size in self._transit.values()
        ]
        self._targets = targets
        self._weight_total = sum(weight for _, weight, _ in targets)
        self.exposure = self._weight_total / self._norm if self._norm > 0 else 0.0

    # --- political decisions ---------------------------------------------------------------
    def on_escalation(self) -> None:
        """A change of escalation may end a hold (a later hold is checked when due)."""
        if self._holding:
            self._clock.wake("escalation")

    def accelerate(self, factor: float) -> None:
        """Compress the remaining schedule towards now by ``factor`` (once)."""
        if self.accelerated:
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
        self.plan = [m for m in self.plan if int(m[1]) not in federal]
        cuts = {i: self.personnel[i] for i in federal}
        loads = _loads(cuts, world.scenario.drawdown.movement_size)
        days = _spread(
            now,
            world.scenario.politics.expel_exit_days,
            len(loads),
            world.scenario.drawdown.movement_days,
        )
        self.plan += [
            [day - self.delay, site, size] for day, (site, size) in zip(days, loads, strict=True)
        ]
        self.plan.sort(key=lambda m: m[0])
        if self._clock.process is None or not self._clock.process.is_alive:
            if self.plan:
                self._clock.process = world.env.process(self._drawdown())
        else:
            self._clock.wake("option cancelled")

    def slip_days(self) -> float:
        """Completion (or window end) minus the last phase's planned end (days)."""
        if not self.enabled or not self.world.scenario.drawdown.phases:
            return 0.0
        end = self.completion_day if self.completion_day is not None else self.world.horizon
        return end - self.planned_end
