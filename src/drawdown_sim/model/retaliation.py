"""US retaliation after attacks, and the four effects of a strike (docs/model.md)."""

from __future__ import annotations

from collections import deque

from .records import Attack, Strike
from .world import ProcessGenerator, World, call_later


class Retaliation:
    """Decides strikes after casualty attacks and after a volume of attacks.

    A strike provokes militia attacks and may end a campaign (militia), raises political
    pressure (politics) and may bump the escalation level.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.cfg = world.scenario.retaliation
        self.enabled = self.cfg.enabled
        self._recent: deque[float] = deque()

    def start(self) -> None:
        """Decided strikes follow attacks; only dated (scheduled) strikes need a process."""
        if self.enabled and self.cfg.scheduled:
            self.world.env.process(self._scheduled())

    def _scheduled(self) -> ProcessGenerator:
        env = self.world.env
        for strike in sorted(self.cfg.scheduled, key=lambda s: s.date):
            day = self.world.day(strike.date)
            if day > env.now:
                yield env.timeout(day - env.now)
            self._strike(strike.size, "scheduled", -1, strike.iraqi_killed)

    def on_attack(self, attack: Attack) -> None:
        """Decide the strikes an attack may prompt (one call per attack: the hot path)."""
        if not self.enabled:
            return
        cfg = self.cfg
        now = attack.time
        if attack.killed or attack.wounded:
            rng = self.world.streams.retaliation
            killed = attack.killed > 0
            chance = cfg.p_casualty.killed if killed else cfg.p_casualty.wounded
            delay = cfg.delay_days.killed if killed else cfg.delay_days.wounded
            u, wait = rng.random(), rng.standard_exponential() * delay
            if u < chance:
                self._schedule(wait, "large" if killed else "small", "casualties", attack.id)
        recent = self._recent
        recent.append(now)
        window = cfg.window_days
        while now - recent[0] > window:  # never empties: ``now`` itself is in the window
            recent.popleft()
        if len(recent) >= cfg.volume_attacks:
            recent.clear()  # the rule looks at the next k attacks afresh
            rng = self.world.streams.retaliation
            u, wait = rng.random(), rng.standard_exponential() * cfg.delay_days.wounded
            if u < cfg.p_volume:
                self._schedule(wait, "small", "volume", attack.id)

    def _schedule(self, delay: float, size: str, cause: str, attack: int) -> None:
        call_later(self.world.env, delay, lambda: self._strike(size, cause, attack))

    def _strike(self, size: str, cause: str, attack: int, killed: int | None = None) -> None:
        world = self.world
        world.count_event()
        rng = world.streams.retaliation
        mean_killed = getattr(self.cfg.iraqi_killed, size)
        iraqi_killed = int(rng.poisson(mean_killed)) if killed is None else killed
        u_posture, u_escalation = rng.random(2)
        strike = Strike(len(world.log.strikes), world.now, size, cause, attack, iraqi_killed)
        world.log.strikes.append(strike)
        world.militia.on_strike(strike, float(u_posture))
        world.politics.on_strike(strike)
        if u_escalation < self.cfg.escalation_bump:
            world.escalation.shift(+1, f"US strike {strike.id}")
