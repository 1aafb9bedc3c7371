"""The per-region personnel split as an uncertain parameter (``advisory.federal_shift``).

Each option's plan fixes the personnel it keeps at each site. How an option would split its
retained people between federal Iraq and the Kurdistan Region is itself uncertain (no
per-base figures are public), so a scenario carries one number, ``advisory.federal_shift``
in [-1, 1], that every option applies the same way:

* ``s > 0`` moves the share ``s`` of the personnel the plan keeps in Kurdistan to federal
  sites; ``s < 0`` moves the share ``|s|`` of those it keeps in federal Iraq to Kurdistan.
* The moved personnel are taken from the giving region's sites in proportion to what each
  keeps, and placed at the receiving region's sites in proportion to their headroom (initial
  personnel minus what the plan keeps there), since a drawdown only reduces. What the headroom
  cannot hold stays where it was, so the total kept never changes.
* A receiving site's phase targets are raised to its new residual (those people stay through
  the plan); a giving site's last target is lowered to its new residual, or the plan's last
  phase gains a target for it (the shifted people leave with the last phase).

The declared targets and ``advisory.residual`` are what the scenario file says and what
validation checks; :func:`phase_targets` is what the model runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import Scenario


def _apportion(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` split over ``weights`` in proportion, as integers that sum to ``total``
    (largest remainder; ties by order)."""
    whole = sum(weights.values())
    if whole <= 0 or total <= 0:
        return dict.fromkeys(weights, 0)
    exact = {k: total * w / whole for k, w in weights.items()}
    parts = {k: int(v) for k, v in exact.items()}
    left = total - sum(parts.values())
    for k in sorted(exact, key=lambda k: parts[k] - exact[k])[:left]:
        parts[k] += 1
    return parts


def shifted_final(scenario: Scenario) -> dict[str, int]:
    """Personnel each site keeps once the plan completes, after the federal shift
    (personnel); the declared final personnel when the shift is 0 or there is no plan."""
    final = scenario.declared_final_personnel()
    shift = scenario.advisory.federal_shift
    cfg = scenario.drawdown
    if shift == 0 or not cfg.enabled or not cfg.phases:
        return final
    giving, receiving = ("kurdistan", "federal") if shift > 0 else ("federal", "kurdistan")
    region = {site.name: site.region for site in scenario.sites}
    initial = {site.name: site.personnel for site in scenario.sites}
    kept = {name: final[name] for name in final if region[name] == giving}
    headroom = {name: initial[name] - final[name] for name in final if region[name] == receiving}
    moved = min(round(abs(shift) * sum(kept.values())), sum(headroom.values()))
    if moved <= 0:
        return final
    for name, taken in _apportion(moved, kept).items():
        final[name] -= taken
    for name, given in _apportion(moved, headroom).items():
        final[name] += given
    return final


def phase_targets(scenario: Scenario) -> list[dict[str, int]]:
    """The targets of each phase the model runs (personnel per site): the declared ones,
    with the federal shift applied (module docstring)."""
    declared = [dict(phase.targets) for phase in scenario.drawdown.phases]
    if scenario.advisory.federal_shift == 0 or not declared:
        return declared
    before = scenario.declared_final_personnel()
    after = shifted_final(scenario)
    for name, new in after.items():
        old = before[name]
        if new > old:  # receiving: its people stay through every phase
            for targets in declared:
                if name in targets:
                    targets[name] = max(targets[name], new)
        elif new < old:  # giving: the shifted people leave with its last cut
            last = [targets for targets in declared if name in targets]
            (last[-1] if last else declared[-1])[name] = new
    return declared
