"""The shipped scenarios: valid, documented, consistent with the committed JSON Schema."""

from __future__ import annotations

import json

import pytest

from drawdown_sim.scenario import dump_scenario, load_scenario, load_scenario_text
from drawdown_sim.scenario.jsonschema import scenario_json_schema
from tests.conftest import ROOT, SCENARIOS, SHIPPED

OPTIONS = ["full_exit", "kurdistan_hub", "advisory_500", "status_quo", "accelerated"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_validates_and_points_at_the_schema(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    first = path.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    schema_file = (path.parent / first.split("$schema=")[1]).resolve()
    # A file that extends another is partial: its editor schema makes every key optional.
    extends = any(line.startswith("extends:") for line in path.read_text().splitlines())
    kind = "scenario-partial" if extends else "scenario"
    assert schema_file == (ROOT / "schema" / f"{kind}.schema.json").resolve()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_round_trip_load_dump_load_is_equal(path):
    scenario = load_scenario(path)
    again = load_scenario_text(dump_scenario(scenario), name="dumped")
    assert again == scenario
    assert again.digest == scenario.digest


def test_committed_schema_matches_the_models():
    committed = json.loads((ROOT / "schema" / "scenario.schema.json").read_text())
    assert committed == json.loads(json.dumps(scenario_json_schema()))


def test_every_schema_field_is_described():
    schema = scenario_json_schema()
    missing = []
    for name, definition in [("Scenario", schema), *schema["$defs"].items()]:
        for field, spec in definition.get("properties", {}).items():
            ref = spec.get("$ref", "").removeprefix("#/$defs/")
            described = spec.get("description") or schema["$defs"].get(ref, {}).get("description")
            if not described:
                missing.append(f"{name}.{field}")
    assert not missing, f"fields without a description: {missing}"


def test_options_extend_the_baseline_and_differ_only_in_levers():
    baseline = load_scenario(SCENARIOS / "baseline.yaml").to_data()
    for name in OPTIONS:
        option = load_scenario(SCENARIOS / "options" / f"{name}.yaml").to_data()
        changed = {k for k in baseline if baseline[k] != option[k]}
        assert changed <= {"name", "description", "drawdown", "advisory"}, (name, changed)
        assert option["drawdown"]["movement_size"] == baseline["drawdown"]["movement_size"]


def _final_personnel(scenario):
    final = {site.name: site.personnel for site in scenario.sites}
    for phase in scenario.drawdown.phases:
        final.update(phase.targets)
    return final


def test_options_do_what_their_names_say():
    def load(name):
        return load_scenario(SCENARIOS / "options" / f"{name}.yaml")

    assert sum(_final_personnel(load("full_exit")).values()) == 0
    hub = _final_personnel(load("kurdistan_hub"))
    assert hub["Ain al-Asad"] == hub["Baghdad"] == 0 and hub["Erbil"] + hub["Harir"] == 1500
    advisory = _final_personnel(load("advisory_500"))
    assert sum(advisory.values()) == 500 and advisory["Baghdad"] > 0 and advisory["Erbil"] > 0
    assert load("status_quo").drawdown.phases == []
    accelerated = load("accelerated")
    assert str(accelerated.drawdown.phases[-1].end) <= "2025-03-31"
    assert _final_personnel(accelerated) == hub


def test_historical_takes_the_dated_shocks_from_the_reference():
    import csv

    historical = load_scenario(SCENARIOS / "historical.yaml")
    # The reference data ship with the package: the test runs on any clean clone.
    reference = ROOT / "src" / "drawdown_sim" / "reference" / "events_2023_2025.csv"
    with reference.open() as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["kind"] == "regional_shock" and r["date"] >= "2024-09-01"
        ]
    expected = sorted((r["date"], int(r["severity"])) for r in rows)
    got = sorted((str(s.date), s.severity) for s in historical.shocks.scheduled)
    assert got == expected
