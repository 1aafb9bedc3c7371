"""Militia posture regimes and the self-exciting attack process (docs/model.md).

Intensity (attacks/day)::

    lambda(t) = mu_S * m_E * X(t) + sum_i n*beta*exp(-beta*(t - t_i))
                                  + sum_j rho*gamma*exp(-gamma*(t - r_j))

simulated by Ogata thinning. Between changes of the background ``mu_S * m_E * X`` the
intensity only decays, so its current value bounds it until the next change; when the
background rises or a strike comes the waiting candidate is stale and is redrawn (exact,
because exponential waiting times are memoryless). ``mu_S`` is derived from the posture's
observed attack rate (:meth:`Scenario.background_rate`).

Until something changes, the intensity is a known function of time, so the candidates up to
the next attack are judged in advance (:meth:`Militia._look_ahead`) and only the attack
becomes a SimPy event. The judging reads the stream's uniforms ahead without consuming them
and hands them out as simulated time passes the candidates, so the draws, and every result,
are those of thinning candidate by candidate.

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
from operator import itemgetter

from .damage import Damage
from .records import Attack, Change, Strike
from .streams import Exponentials, Uniforms
from .world import (
    STALLED_STEPS,
    ProcessGenerator,
    RunawayReplication,
    Timer,
    World,
    call_later,
    exact_delay,
    per_scenario,
)

_HAZARD = itemgetter(1)  # of a (end, hazard) raiser

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
        self._mu: dict[str, float] = per_scenario(
            "background rates",
            scenario,
            lambda: {p: scenario.background_rate(p) for p in ("campaign", "restraint")},
        )
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
        self._exponentials = Exponentials(world.streams, "posture", block=8)
        self._clock = Timer(world.env)
        self._on_attack_due = self._attack_due  # one bound method for every attack
        self._posture_clock = Timer(world.env)
        self._started = False
        self._exposed = False
        self._stalled = 0
        # The candidates judged ahead (see _look_ahead): their times and the bounds they were
        # drawn at. Candidate k's waiting time is the uniform at offset 2k from the attack
        # stream's position, its acceptance uniform the one after. The last candidate is the
        # next attack (when ``_due`` is set) or lies beyond the horizon; with no candidate
        # after the last rejection the intensity is zero until the background changes.
        self._times: list[float] = []
        self._bounds: list[float] = []
        self._due: tuple[float, float, float] | None = None  # (u, intensity, decayed)
        self._clock_at = math.inf  # the attack time the clock is set for (inf: none)
        # Posture regime: the Exp(1) budget of the current spell, the hazard integral spent,
        # the hazard in force since ``_hazard_since``, and the shocks and strike deaths that
        # raise the propensity until their end time.
        self._budget: float | None = None
        self._spent = 0.0
        self._hazard = 0.0
        self._hazard_since = 0.0
        self._raisers: list[tuple[float, float]] = []  # (end day, hazard 1/day)
        self._raised = 0.0  # the sum of the raisers' hazards (1/day)
        self._escalation_factor: tuple[float, ...] = per_scenario(
            "escalation factors",
            scenario,
            lambda: tuple(cfg.escalation_factor.at(e) for e in range(4)),
        )
        self._timetable_factor: dict[str, float] = per_scenario(
            "timetable factors",
            scenario,
            lambda: {
                state: cfg.timetable_factor.of(state)
                for state in type(cfg.timetable_factor).model_fields
            },
        )
        world.log.trajectories.campaign.append((0.0, int(self.posture == "campaign")))

    # --- state read by others ------------------------------------------------------------
    def intensity(self, t: float) -> float:
        """lambda(t) in attacks/day, for t at or after the last event.

        Zero once no coalition personnel remain: there is nothing left to attack.
        """
        return self._terms(t)[0]

    def _terms(self, t: float) -> tuple[float, float]:
        """(lambda(t), its self-excitation part), both in attacks/day, for t at or after the
        last event and before the next change. :meth:`_look_ahead` computes the same inline
        (tests/unit/test_equivalences.py holds the two equal)."""
        if not self._exposed:
            return 0.0, 0.0
        total = self.background
        decayed = 0.0
        if self._excitation:
            decayed = self._excitation * math.exp(-self.beta * (t - self._excitation_at))
            total += decayed
        if self._provocation:
            total += self._provocation * math.exp(-self.gamma * (t - self._provocation_at))
        return total, decayed

    def start(self) -> None:
        self.on_background_change()
        if not self.enabled:
            return
        env = self.world.env
        self._started = True
        self._redraw()
        if self.switching:
            self._retime_switch()
        scheduled = self.world.scenario.militia.scheduled
        if scheduled:
            env.process(self._scheduled_postures())

    # --- reactions to other mechanisms -----------------------------------------------------
    def on_background_change(self) -> None:
        """Recompute mu_S * m_E * X after a posture, escalation or exposure change."""
        if not self.enabled:
            return
        exposure = self.world.forces.exposure
        background = self._mu[self.posture] * self.world.escalation.multiplier * exposure
        exposed = exposure != 0.0  # no intensity at all without anyone to attack
        if background == self.background and exposed == self._exposed:
            return
        rose = background > self.background
        if background != self.background:
            self.background = background
            self.world.log.trajectories.background.append((self.world.now, background))
        self._exposed = exposed
        if not self._started:
            return
        if rose:
            self._redraw()
        else:  # a lower bound still holds: keep the waiting candidate, judge it anew
            self._rejudge()

    # --- the posture regime ------------------------------------------------------------------
    def campaign_hazard(self) -> float:
        """h(t): hazard of restraint -> campaign now (1/day); see the module docstring."""
        world = self.world
        raised = world.scenario.militia.campaign_hazard_per_day + self._raised
        timetable = self._timetable_factor[world.forces.timetable_state]
        return raised * timetable * self._escalation_factor[world.escalation.level]

    def _raise(self, hazard: float) -> None:
        """Add ``hazard`` to the propensity for ``shock_days``."""
        if not self.switching or hazard <= 0.0:
            return
        env = self.world.env
        end = env.now + self.world.scenario.militia.shock_days
        entry = (end, hazard)
        self._raisers.append(entry)
        self._raised += hazard
        call_later(env, end - env.now, lambda: self._lower(entry))
        self.on_propensity_change()

    def _lower(self, entry: tuple[float, float]) -> None:
        self._raisers.remove(entry)
        # Re-summed rather than decremented, so rounding never leaves a residue behind.
        self._raised = sum(map(_HAZARD, self._raisers))
        self.on_propensity_change()  # a shock or strike effect ended

    def on_propensity_change(self) -> None:
        """Something the campaign propensity depends on changed: re-time the switch."""
        if self.switching and self._started and self.posture == "restraint":
            self._retime_switch()

    def on_shock(self, severity: int) -> None:
        """A regional shock raises the campaign propensity while it lasts."""
        self._raise(self.world.scenario.militia.shock_hazard.at(severity))

    def on_strike(self, strike: Strike, uniform: float) -> None:
        """A US strike provokes attacks, raises the campaign propensity by the militia
        members it kills, and, if large, may end a campaign."""
        self._raise(self.world.scenario.militia.killed_hazard * strike.iraqi_killed)
        now = self.world.now
        if self.enabled and self.rho > 0.0:
            self._provocation = (
                self._provocation * math.exp(-self.gamma * (now - self._provocation_at))
                + self.rho * self.gamma
            )
            self._provocation_at = now
            self._recent_strikes.append((now, strike.id))
            if self._started:
                self._redraw()
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
        if self.switching and self._started:
            self._retime_switch()

    # --- processes ---------------------------------------------------------------------------
    def _retime_switch(self) -> None:
        """Posture switches by integrated hazard: a spell ends when the hazard integral since
        it began reaches its Exp(1) budget. The hazard is piecewise constant; whenever it may
        have changed, this books what was spent at the old hazard and re-times the switch."""
        now = self.world.env.now
        if self._budget is None:
            self._budget = self._exponentials()
            self._spent = 0.0
        else:
            self._spent += self._hazard * (now - self._hazard_since)
        campaign = self.posture == "campaign"
        cfg = self.world.scenario.militia
        hazard = cfg.restraint_hazard_per_day if campaign else self.campaign_hazard()
        unchanged = hazard == self._hazard and self._spent > 0.0
        self._hazard = hazard
        self._hazard_since = now
        if unchanged:
            return  # the pending switch time is still right
        if self._hazard <= 0.0:
            self._posture_clock.cancel()  # no hazard until something changes
            return
        self._posture_clock.set(
            max(self._budget - self._spent, 0.0) / self._hazard, self._switch_now
        )

    def _switch_now(self) -> None:
        self.set_posture("restraint" if self.posture == "campaign" else "campaign", "propensity")

    def _scheduled_postures(self) -> ProcessGenerator:
        env = self.world.env
        world = self.world
        for change in sorted(world.scenario.militia.scheduled, key=lambda c: c.date):
            day = world.day(change.date)
            if day > env.now:
                yield env.timeout(day - env.now)
            self.set_posture(change.posture, f"scheduled: {change.name}")

    # --- thinning, judged ahead ----------------------------------------------------------
    def _passed(self, now: float) -> int:
        """Candidates of the current look-ahead already behind simulated time: in one-by-one
        thinning they would have been drawn, judged and rejected by now."""
        times = self._times
        passed = 0
        while passed < len(times) and times[passed] < now:
            passed += 1
        return passed

    def _redraw(self) -> None:
        """The intensity rose: hand out the uniforms of the candidates passed and the waiting
        time of the stale one, and thin afresh from now at the current intensity."""
        now = self.world.env.now
        passed = self._passed(now)
        self._uniforms.skip(2 * passed + (passed < len(self._times)))
        self._look_ahead(now, self.intensity(now))

    def _rejudge(self) -> None:
        """The intensity fell (or its exposure changed): the waiting candidate stays, and it
        and those after it are judged against the intensity as it now is."""
        now = self.world.env.now
        passed = self._passed(now)
        self._uniforms.skip(2 * passed)
        if passed == len(self._times):  # no candidate waiting
            self._times, self._bounds, self._due = [], [], None
            return
        self._look_ahead(now, self._bounds[passed], self._times[passed])

    def _look_ahead(self, now: float, bound: float, waiting: float | None = None) -> None:
        """Thin from ``now`` at ``bound`` (the intensity now, which only decays until the next
        change) until a candidate is accepted, and set the clock for it alone.

        ``waiting`` is the time of a candidate already drawn at ``bound``; its waiting time
        is the stream's next uniform. Nothing is consumed here: :meth:`_attack_due` hands out
        the uniforms when the attack happens, :meth:`_redraw` and :meth:`_rejudge` those of
        the candidates simulated time has passed.
        """
        uniforms = self._uniforms
        horizon = self.world.horizon
        times: list[float] = []
        bounds: list[float] = []
        self._times, self._bounds, self._due = times, bounds, None
        # The terms of the intensity (:meth:`_terms`, inlined: this loop is the hot path),
        # fixed until the next change.
        exposed, background = self._exposed, self.background
        excitation, excitation_at, beta = self._excitation, self._excitation_at, self.beta
        provocation, provocation_at = self._provocation, self._provocation_at
        gamma = self.gamma
        t = now
        k = 0
        while True:
            values, at = uniforms.ahead(2 * k + 2)
            at += 2 * k
            if waiting is None:
                if not bound < math.inf:  # infinite or NaN
                    raise RunawayReplication(f"the attack intensity is not finite on day {t:.1f}")
                if bound <= 0.0:
                    self._cancel_clock()  # no intensity until the background changes
                    return
                candidate = t + -math.log1p(-values[at]) / bound
                if candidate == t:
                    self._stall(t, bound)
                else:
                    self._stalled = 0
            else:
                candidate, waiting = waiting, None
            times.append(candidate)
            bounds.append(bound)
            if candidate >= horizon:  # the run ends first
                self._cancel_clock()
                return
            u = values[at + 1] * bound
            intensity = decayed = 0.0
            if exposed:
                intensity = background
                if excitation:
                    decayed = excitation * math.exp(-beta * (candidate - excitation_at))
                    intensity += decayed
                if provocation:
                    intensity += provocation * math.exp(-gamma * (candidate - provocation_at))
            if u < intensity:
                self._due = (u, intensity, decayed)
                if candidate != self._clock_at:  # else the clock is set for it already
                    delay = candidate - now
                    if now + delay != candidate:  # rounded: find the delay that lands on it
                        delay = exact_delay(now, candidate)
                    self._clock.set(delay, self._on_attack_due)
                    self._clock_at = candidate
                return
            bound = intensity
            t = candidate
            k += 1

    def _cancel_clock(self) -> None:
        self._clock.cancel()
        self._clock_at = math.inf

    def _stall(self, now: float, bound: float) -> None:
        """A candidate that leaves simulated time where it was: fail the replication after
        STALLED_STEPS of them in a row."""
        self._stalled += 1
        if self._stalled > STALLED_STEPS:
            raise RunawayReplication(
                f"simulated time no longer advances on day {now:.1f}: the attack intensity "
                f"({bound:.3g}/day) is too high to tell event times apart"
            )

    def _attack_due(self) -> None:
        """The accepted candidate's time has come: the attack happens, and thinning goes on
        from it, the attack's own kernel included in the bound."""
        u, intensity, decayed = self._due  # type: ignore[misc]  # set with the clock
        self._clock_at = math.inf
        self._uniforms.skip(2 * len(self._times))
        now = self.world.env.now
        self._attack(u, now, decayed)
        self._look_ahead(now, intensity + self.n * self.beta)

    def _attack(self, u: float, now: float, decayed: float) -> None:
        """Record an attack at ``now``; ``u`` is uniform on [0, intensity) and picks its cause,
        ``decayed`` is the excitation now (attacks/day)."""
        world = self.world
        world.events += 1  # the runaway guard (World.count_event), inlined on the hot path
        if world.events > world.max_events:
            world.runaway()
        n_beta = self.n * self.beta
        cause, parent = "background", -1
        if u >= self.background:
            u -= self.background
            if u < decayed:
                parent = _pick(self._recent_attacks, n_beta, self.beta, u, now)
                cause = "attack"
            else:
                parent = _pick(
                    self._recent_strikes, self.rho * self.gamma, self.gamma, u - decayed, now
                )
                cause = "strike"
        target, air_defense = world.forces.pick_target(self._uniforms())
        weapon, intercepted, killed, wounded = self.damage.resolve(air_defense)
        log = world.log.attacks
        attack = Attack(len(log), now, target, weapon, intercepted, killed, wounded, cause, parent)
        log.append(attack)
        if n_beta > 0.0:
            self._excitation = decayed + n_beta
            self._excitation_at = now
            recent = self._recent_attacks
            recent.append((now, attack.id))
            if len(recent) > 64:  # pruning is only worth its cost once the deque grows
                self._prune(recent, self.beta, now)
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
