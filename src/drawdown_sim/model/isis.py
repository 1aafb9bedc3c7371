"""ISIS attacks on Iraqi forces, suppressed by lagged coalition support capacity (3.7).

Rate (attacks/day): ``r(t) = base_rate * (1 + sensitivity * (1 - C(t)))`` where the capacity
C relaxes towards its target ``c = min(1, support / full_support_personnel)`` with time
constant ``tau``: ``C(t) = c + (C0 - c) exp(-(t - t0) / tau)``.

Events are drawn by time rescaling: each waits for an Exp(1) amount of integrated rate.
Two options whose rates agree therefore see identical ISIS attacks, and where the rates
differ the attacks shift rather than reshuffle: strong common random numbers.
"""

from __future__ import annotations

import math

import simpy

from .world import ProcessGenerator, Redrawable, World


class Isis:
    """The ISIS attack process and the support capacity behind it."""

    def __init__(self, world: World) -> None:
        self.world = world
        cfg = world.scenario.isis
        self.enabled = cfg.enabled and cfg.base_rate > 0.0
        self.base = cfg.base_rate
        self.sensitivity = cfg.sensitivity
        self.tau = cfg.capacity_lag_days
        self._since = 0.0
        self._start_capacity = 0.0
        self._target = 0.0
        self._remaining = 0.0
        self.baseline_30 = 0.0
        """Expected ISIS attacks in 30 days at the initial capacity (attacks)."""
        self._clock = Redrawable(world)

    def _capacity_target(self) -> float:
        full = self.world.scenario.isis.full_support_personnel
        return min(1.0, self.world.forces.support() / full)

    def capacity(self, t: float) -> float:
        """C(t), dimensionless in [0, 1], for t in the current segment."""
        c = self._target
        return c + (self._start_capacity - c) * math.exp(-(t - self._since) / self.tau)

    def rate(self, t: float) -> float:
        """ISIS attacks/day at time t."""
        return self.base * (1.0 + self.sensitivity * (1.0 - self.capacity(t)))

    def _integral(self, s: float) -> float:
        """Integrated rate over [since, since + s] (attacks)."""
        c, c0, tau = self._target, self._start_capacity, self.tau
        steady = self.base * (1.0 + self.sensitivity * (1.0 - c))
        return steady * s - self.base * self.sensitivity * (c0 - c) * tau * (
            -math.expm1(-s / tau)
        )

    def _solve(self, hazard: float) -> float:
        """Time s after ``since`` at which the integrated rate reaches ``hazard`` (days).

        A safeguarded Newton iteration: the integral is smooth and monotone, so it converges
        in a few steps; hand-written because a scipy call per event would cost more than the
        event itself.
        """
        steady = self.base * (1.0 + self.sensitivity * (1.0 - self._target))
        first = self.rate(self._since)
        lo, hi = hazard / max(first, steady), hazard / min(first, steady)
        s = hazard / steady
        for _ in range(60):
            error = self._integral(s) - hazard
            if abs(error) <= 1e-12 * max(1.0, hazard):
                break
            if error > 0.0:
                hi = s
            else:
                lo = s
            step = s - error / self.rate(self._since + s)
            s = step if lo < step < hi else 0.5 * (lo + hi)
        return s

    def start(self) -> None:
        target = self._capacity_target()
        self._start_capacity = self._target = target
        self.baseline_30 = 30.0 * self.rate(0.0) if self.enabled else 0.0
        self.world.log.trajectories.capacity.append((0.0, target, target))
        if self.enabled:
            self._remaining = self.world.streams.isis.standard_exponential()
            self._clock.process = self.world.env.process(self._attacks())

    def on_presence_change(self) -> None:
        """Support changed (a movement left or the option's mission began)."""
        target = self._capacity_target()
        if target == self._target:
            return
        now = self.world.now
        if self.enabled:
            self._remaining -= self._integral(now - self._since)
        self._start_capacity = self.capacity(now)
        self._since = now
        self._target = target
        self.world.log.trajectories.capacity.append((now, self._start_capacity, target))
        self._clock.wake("capacity")

    def _attacks(self) -> ProcessGenerator:
        env = self.world.env
        rng = self.world.streams.isis
        while True:
            try:
                wait = self._since + self._solve(max(self._remaining, 0.0)) - env.now
                yield env.timeout(max(wait, 0.0))
                now = env.now
                self.world.log.isis_attacks.append(now)
                # Start a new segment at the event with the same target capacity.
                self._start_capacity = self.capacity(now)
                self._since = now
                self._remaining = rng.standard_exponential()
            except simpy.Interrupt:
                self._clock.woken()
