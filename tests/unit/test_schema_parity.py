"""The JSON Schemas and ``validate`` agree: a corpus of wrong files run through both
check-jsonschema and ``drawdown-sim validate``. Rules that span fields are ``validate``'s
alone, and the schemas say so."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from drawdown_sim.cli import app
from drawdown_sim.scenario.jsonschema import CROSS_FIELD, json_schema
from tests.conftest import ROOT

SCHEMAS = ROOT / "schema"
CHECK = Path(sys.executable).parent / "check-jsonschema"
YAML_ = YAML()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        node: Any = document
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        last = parts[-1]
        node[int(last) if last.isdigit() else last] = value

    return mutate


WRONG_SCENARIOS = {
    "unknown top-level key": _set("nope", 1),
    "unknown nested key": _set("militia.nope", 1),
    "personnel as text": _set("sites.0.personnel", "abc"),
    "personnel true": _set("sites.0.personnel", True),
    "personnel 1.5": _set("sites.0.personnel", 1.5),
    "personnel above 10^6": _set("sites.0.personnel", 10**7),
    "negative branching ratio": _set("militia.branching_ratio", -0.1),
    "probability above 1": _set("retaliation.p_casualty.killed", 1.5),
    "unknown posture": _set("militia.posture", "war"),
    "unknown region": _set("sites.0.region", "mars"),
    "impossible date": _set("window.start", "2024-13-01"),
    "name that escapes results/": _set("name", ".."),
    "sites not a list": _set("sites", 3),
    "zero replications": _set("replications", 0),
    "negative seed": _set("seed", -1),
    "replications true": _set("replications", True),
    "rate above 10^3 a day": _set("isis.base_rate", 1e6),
    "delay below a minute": _set("militia.trigger_days", 1e-9),
}
CROSS_FIELD_ONLY = {
    "window ends before it starts": _set("window.end", "2024-01-01"),
    "duplicate site name": lambda d: d["sites"].append(copy.deepcopy(d["sites"][0])),
    "explosive attack-strike loop": lambda d: (
        _set("militia.branching_ratio", 0.95)(d),
        _set("retaliation.provocation", 1.5)(d),
    ),
}
WRONG_STUDIES = {
    "unknown key": _set("nope", 1),
    "states true": _set("states", True),
    "one state": _set("states", 1),
    "unknown method": _set("method", "morris"),
    "one option": _set("options", ["../scenarios/baseline.yaml"]),
    "name with a separator": _set("name", "a/b"),
}


def _write(folder: Path, source: Path, mutate: Callable[[dict[str, Any]], Any], name: str) -> Path:
    document = YAML_.load(source.read_text())
    mutate(document)
    buffer = io.StringIO()
    YAML_.dump(document, buffer)
    target = folder / f"{name.replace(' ', '_').replace('/', '_')}.yaml"
    target.write_text(buffer.getvalue())
    return target


def _schema_accepts(schema: str, path: Path) -> bool:
    result = subprocess.run(
        [str(CHECK), "--schemafile", str(SCHEMAS / f"{schema}.schema.json"), str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: invalid; anything else: broken
    return result.returncode == 0


def _validate_accepts(path: Path) -> bool:
    return CliRunner().invoke(app, ["validate", str(path)]).exit_code == 0


@pytest.mark.parametrize("case", sorted(WRONG_SCENARIOS))
def test_both_refuse_a_wrong_scenario(tmp_path: Path, case: str):
    path = _write(tmp_path, ROOT / "scenarios" / "baseline.yaml", WRONG_SCENARIOS[case], case)
    assert not _validate_accepts(path), case
    assert not _schema_accepts("scenario", path), case


@pytest.mark.parametrize("case", sorted(CROSS_FIELD_ONLY))
def test_cross_field_rules_are_validates_and_the_schema_says_so(tmp_path: Path, case: str):
    path = _write(tmp_path, ROOT / "scenarios" / "baseline.yaml", CROSS_FIELD_ONLY[case], case)
    assert not _validate_accepts(path), case
    assert _schema_accepts("scenario", path), case  # JSON Schema cannot express it
    assert CROSS_FIELD in json_schema("scenario")["description"]


@pytest.mark.parametrize("case", sorted(WRONG_STUDIES))
def test_both_refuse_a_wrong_study(tmp_path: Path, case: str):
    source = ROOT / "studies" / "advisory_options.yaml"
    folder = tmp_path / "studies"
    folder.mkdir()
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    path = _write(folder, source, WRONG_STUDIES[case], case)
    assert not _validate_accepts(path), case
    assert not _schema_accepts("study", path), case


def test_valid_files_pass_both_and_a_partial_override_passes_the_partial_schema(tmp_path: Path):
    assert _schema_accepts("scenario", ROOT / "scenarios" / "baseline.yaml")
    assert _schema_accepts("study", ROOT / "studies" / "advisory_options.yaml")
    for option in sorted((ROOT / "scenarios" / "options").glob("*.yaml")):
        assert _schema_accepts("scenario-partial", option), option
    partial = tmp_path / "options" / "war_heavier.yaml"
    partial.parent.mkdir()
    (tmp_path / "baseline.yaml").write_text((ROOT / "scenarios" / "baseline.yaml").read_text())
    partial.write_text(
        "extends: ../baseline.yaml\nname: war_heavier\n"
        "escalation:\n  attack_multiplier: {war: 3.0}\n"
    )
    assert _schema_accepts("scenario-partial", partial)
    assert not _schema_accepts("scenario", partial)  # not a complete scenario
    assert _validate_accepts(partial)
    wrong = partial.with_name("wrong.yaml")
    wrong.write_text(
        "extends: ../baseline.yaml\nname: wrong\nescalation:\n  attack_multiplier: {war: -1}\n"
    )
    assert not _schema_accepts("scenario-partial", wrong) and not _validate_accepts(wrong)


def test_committed_schemas_match_the_models():
    for kind in ("scenario", "scenario-partial", "study"):
        committed = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
        assert committed == json.loads(json.dumps(json_schema(kind))), kind
