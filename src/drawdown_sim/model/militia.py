"""Militia posture regimes and the self-exciting attack process (MODEL.md 3.3).

Intensity (attacks/day)::

    lambda(t) = mu_S * m_E * X(t) + sum_i n*beta*exp(-beta*(t - t_i))
                                  + sum_j rho*gamma*exp(-gamma*(t - r_j))

simulated by Ogata thinning. Between changes of the background ``mu_S * m_E * X`` the
intensity only decays, so its current value bounds it until the next change; when the
background changes the waiting candidate is stale and the clock is woken to redraw (exact,
because exponential waiting times are memoryless). ``mu_S`` is derived from the posture's
observed attack rate (:meth:`Scenario.background_rate`).

Posture switches are a regime with a propensity, not a coin per shock. In restraint the
hazard of a campaign is::

    h(t) = (h0 + sum of active shocks' hazards + killed_hazard x militia killed in recent
            US strikes) x timetable factor x escalation factor

where a shock or a strike counts for ``shock_days``, and the timetable factor depends on
whether a withdrawal timetable exists and is honoured, slipping, complete, only negotiated,
or absent. The switch time is exact: one Exp(1) budget is drawn when a restraint spell
begins and the switch happens when the integrated hazard spends it (the hazard is piecewise
constant, so the integral is exact). A campaign ends at a constant hazard or, with a
probability, after a large US strike.
"""

from __future__ import annotations

import math
from collections import deque

import simpy

from .damage import Damage
from .records import Attack, Change, Strike
from .streams import Uniforms
from .world import STALLED_STEPS, ProcessGenerator, Redrawable, RunawayReplication, World

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
        scenario = world.scenario
        self._mu = {
            "campaign": scenario.background_rate("campaign"),
            "restraint": scenario.background_rate("restraint"),
        }
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
        # Posture regime: the Exp(1) budget of the current spell, the hazard integral spent,
        # the hazard in force since ``_hazard_since``, and the shocks and strike deaths that
        # raise the propensity until their end time.
        self._budget: float | None = None
        self._spent = 0.0
        self._hazard = 0.0
        self._hazard_since = 0.0
        self._raisers: list[tuple[float, float]] = []  # (end day, hazard 1/day)
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
        scheduled = self.world.scenario.militia.scheduled
        if scheduled:
            env.process(self._scheduled_postures())

    # --- reactions to other mechanisms -----------------------------------------------------
    def on_background_change(self) -> None:
        """Recompute mu_S * m_E * X after a posture, escalation or exposure change."""
        if not self.enabled:
            return
        background = (
            self._mu[self.posture] * self.world.escalation.multiplier * self.world.forces.exposure
        )
        if background == self.background:
            return
        rose = background > self.background
        self.background = background
        self.world.log.trajectories.background.append((self.world.now, background))
        if rose:  # a lower background leaves the thinning bound valid: no redraw needed
            self._clock.wake("background")

    # --- the posture regime ------------------------------------------------------------------
    def campaign_hazard(self) -> float:
        """h(t): hazard of restraint -> campaign now (1/day); see the module docstring."""
        cfg = self.world.scenario.militia
        raised = cfg.campaign_hazard_per_day + sum(h for _, h in self._raisers)
        timetable = cfg.timetable_factor.of(self.world.forces.timetable_state)
        return raised * timetable * cfg.escalation_factor.at(self.world.escalation.level)

    def _raise(self, hazard: float, cause: str) -> None:
        """Add ``hazard`` to the propensity for ``shock_days``."""
        if not self.switching or hazard <= 0.0:
            return
        env = self.world.env
        end = env.now + self.world.scenario.militia.shock_days
        entry = (end, hazard)
        self._raisers.append(entry)
        expiry = env.timeout(end - env.now)
        expiry.callbacks.append(lambda _event: self._lower(entry))
        self.on_propensity_change(cause)

    def _lower(self, entry: tuple[float, float]) -> None:
        self._raisers.remove(entry)
        self.on_propensity_change("shock or strike effect ended")

    def on_propensity_change(self, cause: str = "") -> None:
        """Something the campaign propensity depends on changed: re-time the switch."""
        if self.switching and self.posture == "restraint":
            self._posture_clock.wake(cause or "propensity")

    def on_shock(self, severity: int) -> None:
        """A regional shock raises the campaign propensity while it lasts."""
        self._raise(self.world.scenario.militia.shock_hazard.at(severity), "shock")

    def on_strike(self, strike: Strike, uniform: float) -> None:
        """A US strike provokes attacks, raises the campaign propensity by the militia
        members it kills, and, if large, may end a campaign."""
        self._raise(
            self.world.scenario.militia.killed_hazard * strike.iraqi_killed, "US strike deaths"
        )
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
        self._budget = None  # a new spell draws a new budget
        now = self.world.now
        self.world.log.changes.append(Change(now, "posture", posture, cause))
        self.world.log.trajectories.campaign.append((now, int(posture == "campaign")))
        self.on_background_change()
        self._posture_clock.wake(cause)

    # --- processes ---------------------------------------------------------------------------
    def _switch_clock(self) -> ProcessGenerator:
        """Posture switches by integrated hazard: a spell ends when the hazard integral since
        it began reaches its Exp(1) budget. The hazard is piecewise constant; whenever it may
        have changed the clock is woken, books what was spent, and re-times the switch."""
        env = self.world.env
        rng = self.world.streams.posture
        cfg = self.world.scenario.militia
        while True:
            try:
                if self._budget is None:
                    self._budget = float(rng.standard_exponential())
                    self._spent = 0.0
                campaign = self.posture == "campaign"
                self._hazard = cfg.restraint_hazard_per_day if campaign else self.campaign_hazard()
                self._hazard_since = env.now
                if self._hazard <= 0.0:
                    yield env.event()  # no hazard until something changes
                    continue
                yield env.timeout(max(self._budget - self._spent, 0.0) / self._hazard)
                self.set_posture("restraint" if campaign else "campaign", "propensity")
            except simpy.Interrupt:
                self._spent += self._hazard * (env.now - self._hazard_since)
                self._posture_clock.woken()

    def _scheduled_postures(self) -> ProcessGenerator:
        env = self.world.env
        world = self.world
        for change in sorted(world.scenario.militia.scheduled, key=lambda c: c.date):
            day = world.day(change.date)
            if day > env.now:
                yield env.timeout(day - env.now)
            self.set_posture(change.posture, f"scheduled: {change.name}")

    def _attack_clock(self) -> ProcessGenerator:
        """Ogata thinning: candidates at the current bound, accepted with lambda/bound."""
        env = self.world.env
        draw = self._uniforms
        stalled = 0
        while True:
            try:
                bound = self.intensity(env.now)
                if not math.isfinite(bound):
                    raise RunawayReplication(
                        f"the attack intensity is not finite on day {env.now:.1f}"
                    )
                if bound <= 0.0:
                    yield env.event()  # no intensity until the background changes
                    continue
                wait = draw.exponential() / bound
                stalled = stalled + 1 if env.now + wait == env.now else 0
                if stalled > STALLED_STEPS:
                    raise RunawayReplication(
                        f"simulated time no longer advances on day {env.now:.1f}: the attack "
                        f"intensity ({bound:.3g}/day) is too high to tell event times apart"
                    )
                yield env.timeout(wait)
                u = draw() * bound
                intensity = self.intensity(env.now)
                if u < intensity:
                    # u is uniform on [0, intensity): reuse it to pick the cause.
                    self._attack(u)
            except simpy.Interrupt:
                self._clock.woken()

    def _attack(self, u: float) -> None:
        world = self.world
        world.count_event()
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
