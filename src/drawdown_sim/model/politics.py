"""Iraqi political pressure on the timetable (docs/model.md).

Between strikes P(t) relaxes exponentially towards ``drift / k`` (k = ln 2 / half-life;
drift > 0 only at crisis or war), so it is known in closed form and threshold crossings are
scheduled exactly rather than checked daily.

With the defaults a crisis alone settles at 0.3 / (ln 2 / 45) = 19.5, below both thresholds:
by design, only US strikes on Iraqi soil carry pressure to a decision (the Iraqi prime
minister announced the process to end the coalition presence the day after the 2024-01-04
US strike in Baghdad). The drift keeps pressure up between strikes during a crisis.
"""

from __future__ import annotations

import math

import simpy

from .records import Strike
from .world import ProcessGenerator, Redrawable, World


class Politics:
    """Pressure P(t): jumps at strikes, decays, drifts up during crises; triggers acceleration
    of the drawdown and cancellation of the advisory option.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.cfg = world.scenario.politics
        self.enabled = self.cfg.enabled
        self.decay = math.log(2.0) / self.cfg.half_life_days
        self._value = self.cfg.initial if self.enabled else 0.0
        self._since = 0.0
        self._asymptote = 0.0
        self._crisis = False
        self._timing = False  # the watcher is waiting for a computed crossing time
        self._watch = Redrawable(world)

    def value(self, t: float) -> float:
        """P(t) for t at or after the last change (dimensionless index)."""
        a = self._asymptote
        return a + (self._value - a) * math.exp(-self.decay * (t - self._since))

    def start(self) -> None:
        if not self.enabled:
            return
        self._new_segment()
        self._check()
        self._watch.process = self.world.env.process(self._watcher())

    def _new_segment(self) -> None:
        """Fold the current segment into P's value and start one with the current drift."""
        now = self.world.now
        self._value = self.value(now)
        self._since = now
        crisis = self.world.escalation.level >= 2
        self._crisis = crisis
        drift = self.cfg.crisis_drift_per_day if crisis else 0.0
        self._asymptote = drift / self.decay
        self.world.log.trajectories.pressure.append((now, self._value, self._asymptote, self.decay))

    def on_escalation(self) -> None:
        crisis = self.world.escalation.level >= 2
        if self.enabled and crisis != self._crisis:
            self._new_segment()
            self._rewatch("escalation")

    def on_strike(self, strike: Strike) -> None:
        if not self.enabled:
            return
        self._new_segment()
        cfg = self.cfg
        self._value += getattr(cfg.strike_weight, strike.size)
        self._value += cfg.casualty_weight * strike.iraqi_killed
        self.world.log.trajectories.pressure[-1] = (
            self._since,
            self._value,
            self._asymptote,
            self.decay,
        )
        self._check()
        self._rewatch("strike")

    def _crossing_ahead(self) -> bool:
        """Whether the current segment's drift reaches the next threshold."""
        threshold = self._next_threshold()
        return threshold is not None and self._asymptote > threshold

    def _rewatch(self, cause: str) -> None:
        # The watcher only needs a redraw if it is timing a crossing or one now lies ahead;
        # otherwise it keeps waiting, and a strike costs no interrupt.
        if self._timing or self._crossing_ahead():
            self._watch.wake(cause)

    def _next_threshold(self) -> float | None:
        forces = self.world.forces
        value = self._value
        nearest = math.inf
        if forces.can_accelerate and self.cfg.accelerate_at > value:
            nearest = self.cfg.accelerate_at
        if not forces.option_cancelled and value < self.cfg.expel_at < nearest:
            nearest = self.cfg.expel_at
        return None if nearest == math.inf else nearest

    def _check(self) -> None:
        forces = self.world.forces
        if forces.can_accelerate and self._value >= self.cfg.accelerate_at:
            forces.accelerate(self.cfg.accelerate_factor)
        if not forces.option_cancelled and self._value >= self.cfg.expel_at:
            forces.cancel_option()

    def _watcher(self) -> ProcessGenerator:
        """Wait for the exact time the drift carries P over the next threshold."""
        env = self.world.env
        while True:
            try:
                threshold = self._next_threshold()
                if threshold is None or self._asymptote <= threshold:
                    self._timing = False
                    yield env.event()  # no crossing in this segment: wait for a change
                    continue
                self._timing = True
                gap = self._value - self._asymptote
                crossing = -math.log((threshold - self._asymptote) / gap) / self.decay
                yield env.timeout(max(crossing, 0.0))
                self._new_segment()
                self._value = max(self._value, threshold)  # guard against rounding
                self._check()
            except simpy.Interrupt:
                self._watch.woken()
