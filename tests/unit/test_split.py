"""The per-region personnel split (advisory.federal_shift, scenario/split.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawdown_sim.model import replication_seeds
from drawdown_sim.model.simulate import build_world
from drawdown_sim.scenario import ScenarioError
from tests.helpers import scenario

OPTIONS = ("kurdistan_hub", "advisory_500", "full_exit", "accelerated", "status_quo_talks")
LOADED = {name: scenario(name) for name in OPTIONS}


def _region_total(s, final, region):  # type: ignore[no-untyped-def]
    return sum(final[site.name] for site in s.sites if site.region == region)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(OPTIONS), shift=st.floats(-1.0, 1.0))
def test_the_shift_keeps_the_total_and_a_plan_that_only_reduces(name: str, shift: float):
    s = LOADED[name].with_values({"advisory.federal_shift": shift})
    before, after = s.declared_final_personnel(), s.final_personnel()
    assert sum(after.values()) == sum(before.values())
    initial = {site.name: site.personnel for site in s.sites}
    assert all(0 <= after[n] <= initial[n] for n in after)
    # Each phase only reduces, and the last target of each site is its shifted residual.
    current = dict(initial)
    for targets in s.phase_targets():
        for site, target in targets.items():
            assert target <= current[site]
            current[site] = target
    if s.drawdown.enabled:
        assert current == after
    # The federal total moves the way the shift says, by at most the share asked.
    moved = _region_total(s, after, "federal") - _region_total(s, before, "federal")
    giving = "kurdistan" if shift > 0 else "federal"
    assert moved * shift >= 0
    assert abs(moved) <= round(abs(shift) * _region_total(s, before, giving))


def test_kurdistan_hub_half_shift_moves_half_its_people_to_federal_sites():
    s = LOADED["kurdistan_hub"].with_values({"advisory.federal_shift": 0.5})
    after = s.final_personnel()
    assert after == {"Ain al-Asad": 525, "Baghdad": 225, "Erbil": 600, "Harir": 150}
    # The model runs the shifted plan: the posture keeps these people at these sites.
    (seed,) = replication_seeds(1, 0, 1)
    world = build_world(s, seed)
    assert world.forces.residual == [525, 225, 600, 150]
    unshifted = build_world(LOADED["kurdistan_hub"], seed)
    assert unshifted.forces.residual == [0, 0, 1200, 300]


def test_a_shift_out_of_bounds_is_refused():
    with pytest.raises((ScenarioError, ValueError), match="federal_shift"):
        LOADED["kurdistan_hub"].with_values({"advisory.federal_shift": 1.5})


def test_the_baseline_sweeps_the_split_and_the_weights():
    swept = scenario("baseline").ranges
    for key in (
        "advisory.federal_shift",
        "isis.region_weight.kurdistan",
        "isis.mission_weight.advise",
        "isis.full_support_personnel",
    ):
        assert key in swept, key
