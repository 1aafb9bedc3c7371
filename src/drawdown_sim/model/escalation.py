"""Regional escalation ladder and the shocks that move it (docs/model.md)."""

from __future__ import annotations

from .records import Change, Shock
from .streams import Exponentials
from .world import ProcessGenerator, Timer, World, per_scenario

LEVEL_NAMES = ("calm", "tense", "crisis", "war")
MAX_LEVEL = 3
_RANDOM_SHOCK = {severity: f"random shock of severity {severity}" for severity in (1, 2, 3)}
"""The names of random shocks, by severity."""


def level_after_shock(level: int, severity: int) -> int:
    """The escalation level after a shock of ``severity`` hits at ``level``.

    A shock of severity s > 0 raises the level to at least s, and one step more only if the
    level is already exactly s (a second serious shock during a crisis makes it a regional
    war); a shock below the current level leaves it. Severities do not add: one serious
    shock takes "tense" to "crisis", not to "regional war". A negative severity (a ceasefire
    or de-escalation) lowers the level by that many steps.
    """
    if severity < 0:
        return max(level + severity, 0)
    if level < severity:
        return min(severity, MAX_LEVEL)
    if level == severity:
        return min(level + 1, MAX_LEVEL)
    return level


class Escalation:
    """Level E in 0..3: raised by shocks and strikes, stepping down after exponential dwells.

    The whole shock schedule (scheduled plus random shocks, with the uniform that decides a
    posture switch) is drawn from the shocks stream at elaboration, so every option of a
    replication meets the same shocks at the same times.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        cfg = world.scenario.escalation
        self.enabled = cfg.enabled
        self.level = cfg.initial if cfg.enabled else 0
        self.max_level = self.level
        self._dwell = Timer(world.env)
        self._started = False
        self._multipliers, self._dwell_days = per_scenario(
            "escalation levels",
            world.scenario,
            lambda: (
                tuple(cfg.attack_multiplier.at(e) for e in range(4)),
                tuple(cfg.dwell_days.at(e) for e in range(4)),
            ),
        )
        self._exponentials = Exponentials(world.streams, "escalation")
        self.schedule = self._draw_schedule()
        world.log.trajectories.escalation.append((0.0, self.level))

    @property
    def multiplier(self) -> float:
        """m_E: militia background multiplier at the current level (1 when disabled)."""
        return self._multipliers[self.level] if self.enabled else 1.0

    def _draw_schedule(self) -> list[tuple[float, str, int, bool]]:
        """(day, name, severity, scheduled) for every shock of the horizon."""
        scenario = self.world.scenario
        cfg = scenario.shocks
        if not cfg.enabled:
            return []
        rng = self.world.streams.shocks
        shocks = [(self.world.day(s.date), s.name, s.severity, True) for s in cfg.scheduled]
        rate = cfg.random.rate_per_year / 365.25
        count = int(rng.poisson(rate * self.world.horizon)) if rate > 0 else 0
        if count:
            # Given their number, Poisson arrival times are iid uniform over the horizon; each
            # shock takes two uniforms: time and severity.
            mix = cfg.random.severity
            minor, serious = mix.minor, mix.minor + mix.serious
            horizon = self.world.horizon
            for u_time, u_severity in rng.random((count, 2)).tolist():
                severity = 1 if u_severity < minor else 2 if u_severity < serious else 3
                shocks.append((u_time * horizon, _RANDOM_SHOCK[severity], severity, False))
        shocks.sort(key=lambda shock: shock[0])
        return shocks

    def start(self) -> None:
        env = self.world.env
        if self.schedule:
            env.process(self._shocks())
        if self.enabled:
            self._started = True
            self._redraw_dwell()

    def _shocks(self) -> ProcessGenerator:
        env = self.world.env
        for day, name, severity, scheduled in self.schedule:
            if day > env.now:
                yield env.timeout(day - env.now)
            self.world.log.shocks.append(Shock(env.now, name, severity, scheduled))
            self.shock(severity, f"shock: {name}")
            if severity > 0:
                self.world.militia.on_shock(severity)

    def _redraw_dwell(self) -> None:
        """Draw the time until the level steps down one (exponential, mean dwell_days at the
        current level); calm has nothing to step down from."""
        if not self._started:
            return
        if self.level == 0:
            self._dwell.cancel()
            return
        dwell = self._dwell_days[self.level]
        self._dwell.set(dwell * self._exponentials(), self._step_down)

    def _step_down(self) -> None:
        self._set(self.level - 1, "dwell ended")
        self._redraw_dwell()

    def shift(self, delta: int, cause: str) -> None:
        """Raise (or lower, for delta < 0) the level by ``delta``, capped to 0..3."""
        if not self.enabled:
            return
        self._set(min(max(self.level + delta, 0), MAX_LEVEL), cause)
        self._redraw_dwell()  # memoryless: a fresh dwell at the new level

    def shock(self, severity: int, cause: str) -> None:
        """Apply a regional shock: see :func:`level_after_shock`."""
        if not self.enabled:
            return
        self._set(level_after_shock(self.level, severity), cause)
        self._redraw_dwell()

    def _set(self, level: int, cause: str) -> None:
        if level == self.level:
            return
        self.level = level
        self.max_level = max(self.max_level, level)
        now = self.world.now
        self.world.log.changes.append(Change(now, "escalation", LEVEL_NAMES[level], cause))
        self.world.log.trajectories.escalation.append((now, level))
        self.world.militia.on_background_change()
        self.world.militia.on_propensity_change()
        self.world.forces.on_escalation()
        self.world.politics.on_escalation()
