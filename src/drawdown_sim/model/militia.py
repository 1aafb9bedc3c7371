"""Militia posture regimes and the self-exciting attack process (MODEL.md 3.3).

Intensity (attacks/day)::

    lambda(t) = mu_S * m_E * X(t) + sum_i n*beta*exp(-beta*(t - t_i))
                                  + sum_j rho*gamma*exp(-gamma*(t - r_j))

simulated by Ogata thinning. Between changes of the background ``mu_S * m_E * X`` the
intensity only decays, so its current value bounds it until the next change; when the
background changes the waiting candidate is stale and the clock is woken to redraw (exact,
because exponential waiting times are memoryless).
"""

from __future__ import annotations

import math
from collections import deque

import simpy

from .damage import Damage
from .records import Attack, Change, Strike
from .streams import Uniforms
from .world import ProcessGenerator, Redrawable, World

NEGLIGIBLE = 40.0
"""Kernel terms older than this many mean delays (weight < e^-40) are dropped."""


class Militia:
    """Posture S in {restraint, campaign} and the attacks it drives."""

    def __init__(self, world: World) -> None:
        self.world = world
        cfg = world.scenario.militia
        retaliation = world.scenario.retaliation
        self.enabled = cfg.enabled
        self.switching = cfg.enabled and cfg.switching
        self.posture: str = cfg.posture
        self.n = cfg.branching_ratio
        self.beta = 1.0 / cfg.trigger_days
        self.rho = retaliation.provocation if retaliation.enabled else 0.0
        self.gamma = 1.0 / retaliation.provocation_days
        self.damage = Damage(world.scenario, world.streams.casualties)
        self.background = 0.0
        """mu_S * m_E * X(t): current background rate (attacks/day)."""
        # Sums of the self-excitation and provocation kernels, valid at their own times.
        self._excitation, self._excitation_at = 0.0, 0.0
        self._provocation, self._provocation_at = 0.0, 0.0
        self._recent_attacks: deque[tuple[float, int]] = deque()
        self._recent_strikes: deque[tuple[float, int]] = deque()
        self._uniforms = Uniforms(world.streams.attacks)
        self._clock = Redrawable(world)
        self._posture_clock = Redrawable(world)
        world.log.trajectories.campaign.append((0.0, int(self.posture == "campaign")))

    # --- state read by others ------------------------------------------------------------
    def intensity(self, t: float) -> float:
        """lambda(t) in attacks/day, for t at or after the last event.

        Zero once no coalition personnel remain: there is nothing left to attack.
        """
        if self.world.forces.exposure == 0.0:
            return 0.0
        total = self.background
        if self._excitation:
            total += self._excitation * math.exp(-self.beta * (t - self._excitation_at))
        if self._provocation:
            total += self._provocation * math.exp(-self.gamma * (t - self._provocation_at))
        return total

    def start(self) -> None:
        self.on_background_change()
        if not self.enabled:
            return
        env = self.world.env
        self._clock.process = env.process(self._attack_clock())
        if self.switching:
            self._posture_clock.process = env.process(self._switch_clock())

    # --- reactions to other mechanisms -----------------------------------------------------
    def on_background_change(self) -> None:
        """Recompute mu_S * m_E * X after a posture, escalation or exposure change."""
        if not self.enabled:
            return
        rates = self.world.scenario.militia.background_rate
        background = (
            rates.of(self.posture) * self.world.escalation.multiplier * self.world.forces.exposure
        )
        if background == self.background:
            return
        rose = background > self.background
        self.background = background
        self.world.log.trajectories.background.append((self.world.now, background))
        if rose:  # a lower background leaves the thinning bound valid: no redraw needed
            self._clock.wake("background")

    def on_shock(self, severity: int, uniform: float) -> None:
        """A regional shock may end restraint (probability by severity)."""
        chance = self.world.scenario.militia.campaign_on_shock.at(severity)
        if self.switching and self.posture == "restraint" and uniform < chance:
            self.set_posture("campaign", f"shock of severity {severity}")

    def on_strike(self, strike: Strike, uniform: float) -> None:
        """A US strike provokes attacks and, if large, may end a campaign."""
        now = self.world.now
        if self.enabled and self.rho > 0.0:
            self._provocation = (
                self._provocation * math.exp(-self.gamma * (now - self._provocation_at))
                + self.rho * self.gamma
            )
            self._provocation_at = now
            self._recent_strikes.append((now, strike.id))
            self._clock.wake("strike")
        chance = self.world.scenario.militia.restraint_on_strike
        if (
            self.switching
            and strike.size == "large"
            and self.posture == "campaign"
            and uniform < chance
        ):
            self.set_posture("restraint", "large US strike")

    def set_posture(self, posture: str, cause: str) -> None:
        if posture == self.posture:
            return
        self.posture = posture
        now = self.world.now
        self.world.log.changes.append(Change(now, "posture", posture, cause))
        self.world.log.trajectories.campaign.append((now, int(posture == "campaign")))
        self.on_background_change()
        self._posture_clock.wake(cause)

    # --- processes ---------------------------------------------------------------------------
    def _switch_clock(self) -> ProcessGenerator:
        """Spontaneous posture switches at the daily hazards."""
        env = self.world.env
        rng = self.world.streams.posture
        cfg = self.world.scenario.militia
        while True:
            try:
                campaign = self.posture == "campaign"
                hazard = cfg.restraint_hazard_per_day if campaign else cfg.campaign_hazard_per_day
                if hazard <= 0.0:
                    yield env.event()
                else:
                    yield env.timeout(rng.standard_exponential() / hazard)
                    self.set_posture("restraint" if campaign else "campaign", "daily hazard")
            except simpy.Interrupt:
                self._posture_clock.woken()

    def _attack_clock(self) -> ProcessGenerator:
        """Ogata thinning: candidates at the current bound, accepted with lambda/bound."""
        env = self.world.env
        draw = self._uniforms
        while True:
            try:
                bound = self.intensity(env.now)
                if bound <= 0.0:
                    yield env.event()  # no intensity until the background changes
                    continue
                yield env.timeout(draw.exponential() / bound)
                u = draw() * bound
                intensity = self.intensity(env.now)
                if u < intensity:
                    # u is uniform on [0, intensity): reuse it to pick the cause.
                    self._attack(u)
            except simpy.Interrupt:
                self._clock.woken()

    def _attack(self, u: float) -> None:
        world = self.world
        now = world.now
        cause, parent = "background", -1
        if u >= self.background:
            u -= self.background
            excitation = self._excitation * math.exp(-self.beta * (now - self._excitation_at))
            if u < excitation:
                parent = _pick(self._recent_attacks, self.n * self.beta, self.beta, u, now)
                cause = "attack"
            else:
                u -= excitation
                parent = _pick(self._recent_strikes, self.rho * self.gamma, self.gamma, u, now)
                cause = "strike"
        target, air_defense = world.forces.pick_target(self._uniforms())
        weapon, intercepted, killed, wounded = self.damage.resolve(air_defense)
        attack = Attack(
            len(world.log.attacks), now, target, weapon, intercepted, killed, wounded, cause, parent
        )
        world.log.attacks.append(attack)
        if self.n > 0.0:
            self._excitation = (
                self._excitation * math.exp(-self.beta * (now - self._excitation_at))
                + self.n * self.beta
            )
            self._excitation_at = now
            self._recent_attacks.append((now, attack.id))
            self._prune(self._recent_attacks, self.beta, now)
        world.retaliation.on_attack(attack)

    @staticmethod
    def _prune(recent: deque[tuple[float, int]], decay: float, now: float) -> None:
        while recent and decay * (now - recent[0][0]) > NEGLIGIBLE:
            recent.popleft()


def _pick(
    recent: deque[tuple[float, int]], scale: float, decay: float, u: float, now: float
) -> int:
    """The event whose kernel term ``scale * exp(-decay * age)`` covers ``u``.

    ``u`` is uniform over the sum of the terms; scanning newest first finds the answer
    sooner because recent events carry most of the weight.
    """
    for time, event_id in reversed(recent):
        u -= scale * math.exp(-decay * (now - time))
        if u < 0.0:
            return event_id
    return recent[0][1] if recent else -1
