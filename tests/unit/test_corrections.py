"""Model corrections: each test reproduces a defect of the earlier model and fails on it.

The defects biased one advisory option against another: a one-movement phase that finished
months early, a mission weight that dropped for everyone at completion, acceleration of a
plan that does not exist, severities that added, convoys that counted as bases, targeting
blind to region, and a checkpoint interval that never took effect.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from drawdown_sim.model import replication_seeds, simulate
from drawdown_sim.model.escalation import LEVEL_NAMES, level_after_shock
from drawdown_sim.model.simulate import build_world
from drawdown_sim.scenario import load_scenario
from tests.conftest import SCENARIOS
from tests.helpers import REDUCTION, scenario


def _extending_baseline(tmp_path: Path, body: str):
    path = tmp_path / "variant.yaml"
    path.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nname: variant\n{body}")
    return load_scenario(path)


def test_a_one_movement_phase_arrives_on_its_end_date(tmp_path):
    # One phase from 2024-11-01 to 2025-09-15 that only takes Harir from 300 to 250: a single
    # movement. It used to leave on the phase start and complete on day 63 (slip -316).
    s = _extending_baseline(
        tmp_path,
        """
drawdown:
  phases:
    - {name: Harir trim, start: 2024-11-01, end: 2025-09-15, targets: {Harir: 250}}
advisory:
  residual: {Ain al-Asad: 700, Baghdad: 300, Erbil: 1200, Harir: 250}
shocks: {enabled: false}
""",
    )
    planned_end = s.window.offset(s.drawdown.phases[-1].end)
    outcomes = simulate(s, replication=0).outcomes
    assert outcomes["completion_day"] == pytest.approx(planned_end)
    assert outcomes["slip_days"] == pytest.approx(0.0)


def test_finishing_early_does_not_change_the_kept_personnels_mission():
    # Pressure above the acceleration threshold from the start compresses the plan, so
    # kurdistan_hub completes well before its planned end. The mission weight used to drop
    # for everyone at completion (1.0 to 0.8), penalising an early finish; now the 1,500 kept
    # in Kurdistan switch to the option's mission on the planned end, whenever it completes.
    s = scenario(
        "kurdistan_hub",
        "shocks.enabled=false",
        "retaliation.enabled=false",
        "politics.accelerate_at=1",
    )
    world = build_world(s, replication_seeds(1, 0, 1)[0])
    forces = world.forces
    planned_end = s.window.offset(s.drawdown.phases[-1].end)
    world.env.run(until=planned_end - 1.0)
    assert forces.completion_day is not None and forces.completion_day < planned_end - 30
    assert forces.support() == pytest.approx(1500 * 0.5 * 1.0)  # counter-terrorism weight
    world.env.run(until=planned_end + 1.0)
    assert forces.support() == pytest.approx(1500 * 0.5 * 0.8)  # the option's (advise)


def test_personnel_above_the_residual_keep_the_pre_drawdown_mission():
    s = scenario("advisory_500", "shocks.enabled=false", "politics.enabled=false")
    world = build_world(s, replication_seeds(1, 0, 1)[0])
    forces = world.forces
    forces.option_active = True  # as if the option were already in force
    # At the start everyone is there: 150 Baghdad + 350 Erbil are kept (weight 0.8), the
    # other 2,000 leave later (weight 1.0); Kurdistan counts half.
    kept = 0.8 * (150 * 1.0 + 350 * 0.5)
    leaving = 1.0 * ((700 + 150) * 1.0 + (850 + 300) * 0.5)
    assert forces.support() == pytest.approx(kept + leaving)


@pytest.mark.parametrize("name", ["status_quo", "baseline"])
def test_accelerated_only_where_there_is_a_plan_to_compress(name):
    # Pressure starts at 10, above an acceleration threshold of 1: it fires at once.
    s = scenario(name, "politics.accelerate_at=1", "shocks.enabled=false")
    accelerated = simulate(s, replication=0).outcomes["accelerated"]
    assert accelerated is (name == "baseline")


@pytest.mark.parametrize(
    ("level", "severity", "after"),
    [
        (1, 2, 2),  # one serious shock takes tense to crisis, not to war
        (0, 3, 3),
        (2, 2, 3),  # a second serious shock during a crisis: war
        (3, 2, 3),
        (2, 1, 2),  # a minor shock during a crisis changes nothing
        (1, 1, 2),
        (3, -1, 2),
        (1, -3, 0),
    ],
)
def test_shock_semantics(level, severity, after):
    assert level_after_shock(level, severity) == after


def test_the_historical_shocks_map_to_plausible_levels():
    # No step-downs and no strikes, so the levels are the shocks' doing alone.
    s = scenario(
        "historical",
        "escalation.dwell_days.tense=36500",
        "escalation.dwell_days.crisis=36500",
        "escalation.dwell_days.war=36500",
        "retaliation.enabled=false",
    )
    replication = simulate(s, replication=0)
    changes = [(c.time, c.value) for c in replication.log.changes if c.kind == "escalation"]
    day = s.window.offset
    from datetime import date

    expected = [
        (day(date(2024, 9, 23)), "crisis"),  # Israel's air campaign in Lebanon (2) from tense
        (day(date(2024, 9, 27)), "war"),  # Nasrallah (2) during a crisis: war
        # 10-01 (3) and 10-26 (2) at war: no change
        (day(date(2024, 11, 27)), "crisis"),  # Israel-Hezbollah ceasefire (-1)
        (day(date(2024, 12, 8)), "war"),  # fall of Assad (2) during a crisis
        (day(date(2024, 12, 23)), "crisis"),  # factions stop attacks on Israel (-1)
        (day(date(2025, 1, 19)), "tense"),  # Gaza ceasefire (-1)
        (day(date(2025, 3, 15)), "crisis"),  # US campaign against the Houthis (2)
        (day(date(2025, 3, 18)), "war"),  # Israel resumes the Gaza war (2) during a crisis
        (day(date(2025, 5, 6)), "crisis"),  # US-Houthi ceasefire (-1)
        (day(date(2025, 6, 13)), "war"),  # Israel-Iran war (3)
        # 06-22 (3) and 06-23 (2) at war: no change
        (day(date(2025, 6, 24)), "crisis"),  # ceasefire (-1)
        (day(date(2025, 9, 9)), "war"),  # Israeli strike in Doha (2) during a crisis
    ]
    assert changes == expected
    assert LEVEL_NAMES[s.escalation.initial] == "tense"


def _exposure_in_transit(exponent: float) -> tuple[float, float, int]:
    """(X with the first movement on the road, X of the sites alone, its load)."""
    s = scenario(
        "baseline",
        *REDUCTION[1:],  # everything off but the drawdown
        f"militia.exposure_exponent={exponent}",
    )
    world = build_world(s, replication_seeds(3, 0, 1)[0])
    forces = world.forces
    first_departure = s.window.offset(s.drawdown.phases[0].start)
    world.env.run(until=first_departure + 0.5)
    (site_index, load), *_ = forces._transit.values()
    a = exponent
    weights = [x.attack_propensity for x in s.sites]
    initial = sum(w * x.personnel**a for w, x in zip(weights, s.sites, strict=True))
    now = sum(w * p**a for w, p in zip(weights, forces.personnel, strict=True) if p > 0)
    return forces.exposure, now / initial, load


@pytest.mark.parametrize("exponent", [0.0, 0.5, 1.0])
def test_a_movement_adds_its_own_exposure_whatever_the_sites_exponent(exponent):
    # At a = 0 a convoy used to count as three bases; at a = 0.5 a 100-person convoy counted
    # about as much as the 1,200-person Erbil base.
    s = scenario("baseline")
    total, sites_only, load = _exposure_in_transit(exponent)
    expected = s.drawdown.movement_exposure * load / s.drawdown.movement_size
    assert total - sites_only == pytest.approx(expected)


def test_targets_follow_the_sites_attack_propensity():
    # Under the reduction (nobody moves) a target is chosen with probability proportional
    # to propensity x personnel^a; Kurdistan used to take about 60% of attacks.
    s = scenario("baseline", *REDUCTION, "shocks.enabled=false")
    a = s.militia.exposure_exponent
    weights = {x.name: x.attack_propensity * x.personnel**a for x in s.sites}
    expected = sum(w for n, w in weights.items() if n in ("Erbil", "Harir")) / sum(weights.values())
    targets = [
        attack.target
        for r in range(40)
        for attack in simulate(s, seed=11, replication=r).log.attacks
    ]
    share = np.mean([t in ("Erbil", "Harir") for t in targets])
    se = math.sqrt(expected * (1 - expected) / len(targets))
    assert len(targets) > 2000
    assert abs(share - expected) < 4 * se, (share, expected, se)
    assert expected < 0.3


def test_crisis_drift_alone_settles_below_every_threshold():
    # Intended and documented: a crisis keeps pressure up but only strikes carry it to a
    # decision. The asymptote is drift / (ln 2 / half-life).
    s = scenario("baseline")
    p = s.politics
    asymptote = p.crisis_drift_per_day / (math.log(2) / p.half_life_days)
    assert asymptote == pytest.approx(19.47, abs=0.01)
    assert asymptote < min(p.accelerate_at, p.expel_at)
    held = scenario(
        "status_quo",
        "retaliation.enabled=false",
        "escalation.initial=2",
        "escalation.dwell_days.crisis=36500",
        "shocks.enabled=false",
    )
    outcomes = simulate(held, replication=0).outcomes
    assert outcomes["political_pressure_peak"] < p.accelerate_at
    assert not outcomes["accelerated"] and not outcomes["option_cancelled"]
