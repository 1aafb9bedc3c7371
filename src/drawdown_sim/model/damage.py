"""What one attack does: weapon, interception and casualties (docs/model.md)."""

from __future__ import annotations

import numpy as np

from ..scenario import Scenario
from ..scenario.threats import WEAPONS

BLOCK = 64
"""Attacks whose draws are made at once."""


class Damage:
    """Draws an attack's weapon, interception and casualties from the casualties stream."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        cfg = scenario.militia
        mix = cfg.weapon_mix
        self._rng = rng
        self._weapon_cdf = (mix.rocket, mix.rocket + mix.drone)
        self._weapon_factor = tuple(getattr(cfg.interception, w) for w in WEAPONS)
        cas = cfg.casualties
        self._hit = cas.hit_probability
        self._extra_mean = cas.mean_if_hit - 1.0
        self._shape = cas.dispersion
        self._killed_fraction = cas.killed_fraction
        # One block of draws as plain lists (indexing lists beats building tuples per row);
        # the uniforms flat, three per attack: one list rather than one per attack.
        self._uniforms: list[float] = []
        self._casualties: list[int] = []
        self._killed: list[int] = []
        self._next = 0

    def resolve(self, air_defense: float) -> tuple[str, bool, int, int]:
        """(weapon, intercepted, killed, wounded) of an attack on a site with ``air_defense``."""
        row = self._next
        if row == len(self._casualties):
            self._draw_block()
            row = 0
        self._next = row + 1
        uniforms, at = self._uniforms, 3 * row
        u_weapon, u_intercept, u_hit = uniforms[at], uniforms[at + 1], uniforms[at + 2]
        weapon = 0 if u_weapon < self._weapon_cdf[0] else 1 if u_weapon < self._weapon_cdf[1] else 2
        intercepted = u_intercept < air_defense * self._weapon_factor[weapon]
        if intercepted or u_hit >= self._hit:
            return WEAPONS[weapon], intercepted, 0, 0
        killed = self._killed[row]
        return WEAPONS[weapon], intercepted, killed, self._casualties[row] - killed

    def _draw_block(self) -> None:
        """Draws for the next BLOCK attacks: three uniforms, casualties if hit, of them killed.

        Every attack takes one row whatever happens to it, so two options that see attacks in
        the same order see the same weapons and casualties.
        """
        rng = self._rng
        uniforms = rng.random(3 * BLOCK)  # the same values as random((BLOCK, 3)), row by row
        if self._extra_mean > 0.0:
            p = self._shape / (self._shape + self._extra_mean)
            casualties = 1 + rng.negative_binomial(self._shape, p, size=BLOCK)
        else:
            casualties = np.ones(BLOCK, dtype=np.int64)
        killed = rng.binomial(casualties, self._killed_fraction)
        self._uniforms = uniforms.tolist()
        self._casualties = casualties.tolist()
        self._killed = killed.tolist()
        self._next = 0
