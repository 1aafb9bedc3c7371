"""What one attack does: weapon, interception and casualties (MODEL.md 3.3)."""

from __future__ import annotations

import numpy as np

from ..scenario import Scenario
from ..scenario.threats import WEAPONS


class Damage:
    """Draws an attack's weapon, interception and casualties from the casualties stream.

    Every attack consumes the same number of draws from the stream whatever happens to it, so
    two options that see attacks in the same order see the same weapons and casualties.
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        cfg = scenario.militia
        mix = cfg.weapon_mix
        self._rng = rng
        self._weapon_cdf = np.cumsum([mix.rocket, mix.drone, mix.ballistic])
        self._weapon_factor = tuple(getattr(cfg.interception, w) for w in WEAPONS)
        cas = cfg.casualties
        self._hit = cas.hit_probability
        self._extra_mean = cas.mean_if_hit - 1.0
        self._shape = cas.dispersion
        self._killed_fraction = cas.killed_fraction

    def resolve(self, air_defense: float) -> tuple[str, bool, int, int]:
        """(weapon, intercepted, killed, wounded) of an attack on a site with ``air_defense``."""
        u_weapon, u_intercept, u_hit = self._rng.random(3)
        weapon_index = min(int(np.searchsorted(self._weapon_cdf, u_weapon, side="right")), 2)
        intercepted = bool(u_intercept < air_defense * self._weapon_factor[weapon_index])
        # Every draw is made for every attack, kept or not, so the stream stays aligned.
        casualties = 1 + self._extra()
        killed = int(self._rng.binomial(casualties, self._killed_fraction))
        if intercepted or u_hit >= self._hit:
            return WEAPONS[weapon_index], intercepted, 0, 0
        return WEAPONS[weapon_index], intercepted, killed, casualties - killed

    def _extra(self) -> int:
        """Casualties beyond the first given a hit: negative binomial (heavy-tailed)."""
        if self._extra_mean <= 0.0:
            return 0
        p = self._shape / (self._shape + self._extra_mean)
        return int(self._rng.negative_binomial(self._shape, p))
