"""ISIS attacks on Iraqi forces, suppressed by lagged coalition support capacity (3.7).

Rate (attacks/day): ``r(t) = base_rate * (1 + sensitivity * (1 - C(t)))`` where the capacity
C relaxes towards its target ``c = min(1, support / full_support_personnel)`` with time
constant ``tau``: ``C(t) = c + (C0 - c) exp(-(t - t0) / tau)``.

The component follows the coalition presence during the run (a new capacity segment at
every change). ISIS attacks feed back into no other mechanism, so rather than spend SimPy
events on them they are drawn exactly when the window closes, by thinning against a bound
that is the same for every option (see :func:`attack_times`): strong common random numbers.
"""

from __future__ import annotations

import math

import numpy as np

from .world import RunawayReplication, World

_NO_ATTACKS = np.empty(0)
_NO_ATTACKS.flags.writeable = False


class Isis:
    """Support capacity C(t) and the ISIS attacks it suppresses."""

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
        self.baseline_30 = 0.0
        """Expected ISIS attacks in 30 days at the initial capacity (attacks)."""
        self.times: np.ndarray = _NO_ATTACKS
        """ISIS attack times in increasing order (days), drawn by :meth:`finish`."""

    def _capacity_target(self) -> float:
        full = self.world.scenario.isis.full_support_personnel
        return min(1.0, self.world.forces.support() / full)

    def capacity(self, t: float) -> float:
        """C(t), dimensionless in [0, 1], for t in the current segment."""
        c = self._target
        return c + (self._start_capacity - c) * math.exp(-(t - self._since) / self.tau)

    def rate(self, t: float) -> float:
        """ISIS attacks/day at time t (current segment)."""
        return self.base * (1.0 + self.sensitivity * (1.0 - self.capacity(t)))

    def start(self) -> None:
        target = self._capacity_target()
        self._start_capacity = self._target = target
        self.baseline_30 = 30.0 * self.rate(0.0) if self.enabled else 0.0
        self.world.log.trajectories.capacity.append((0.0, target, target))

    def on_presence_change(self) -> None:
        """Support changed (a movement left or the option's mission began)."""
        target = self._capacity_target()
        if target == self._target:
            return
        now = self.world.now
        self._start_capacity = self.capacity(now)
        self._since = now
        self._target = target
        self.world.log.trajectories.capacity.append((now, self._start_capacity, target))

    def finish(self) -> None:
        """Draw the window's ISIS attacks from the capacity segments."""
        if not self.enabled:
            return
        segments = np.asarray(self.world.log.trajectories.capacity)
        bound = self.base * (1.0 + self.sensitivity) * self.world.horizon
        if bound > 10 * self.world.max_events:
            raise RunawayReplication(
                f"about {bound:,.0f} ISIS attack candidates exceed max_events "
                f"({self.world.max_events:,}); lower isis.base_rate or raise max_events"
            )
        times = attack_times(
            segments,
            self.world.horizon,
            self.base,
            self.sensitivity,
            self.tau,
            self.world.streams.isis,
        )
        self.times = times
        self.world.log.isis_attacks.extend(times.tolist())


def attack_times(
    segments: np.ndarray,
    horizon: float,
    base: float,
    k: float,
    tau: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Event times on [0, horizon) of the rate given by capacity ``segments`` (rows t0, C0, c).

    Lewis-Shedler thinning, vectorised: candidates of a Poisson process at the rate's upper
    bound ``base * (1 + k)`` (capacity 0), each kept with probability rate / bound. The bound
    does not depend on the option, so every option of a replication thins the same candidates
    with the same uniforms: where rates agree the attacks are identical, and a higher rate
    keeps a superset of the attacks of a lower one.
    """
    bound = base * (1.0 + k)
    count = int(rng.poisson(bound * horizon))
    # Generator.uniform(0, horizon) is 0 + horizon * random(): the same floats, fewer checks.
    candidates = rng.random(count)
    candidates *= horizon
    candidates.sort()
    keep = rng.random(count)
    t0, c0, c = segments[:, 0], segments[:, 1], segments[:, 2]
    segment = t0.searchsorted(candidates, side="right")
    segment -= 1
    # capacity = c + (c0 - c) exp(-(t - t0) / tau), rate = base (1 + k (1 - capacity)),
    # computed in place: the same floats as the formula, with fewer temporary arrays.
    rate = candidates - t0[segment]
    rate /= -tau
    np.exp(rate, out=rate)
    rate *= (c0 - c)[segment]
    rate += c[segment]
    np.subtract(1.0, rate, out=rate)
    rate *= k
    rate += 1.0
    rate *= base
    keep *= bound
    return candidates[keep < rate]
