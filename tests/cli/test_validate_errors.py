"""Bad input: every case exits 2 and names file, line and field, with no traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drawdown_sim.cli import app

VALID = textwrap.dedent("""\
    name: mini
    window:
      start: 2024-09-01
      end: 2025-09-30
    sites:
      - {name: Alpha, region: federal, personnel: 500}
      - {name: Bravo, region: kurdistan, personnel: 300}
    drawdown:
      phases:
        - name: out
          start: 2024-10-01
          end: 2025-03-31
          targets: {Alpha: 0}
    militia:
      branching_ratio: 0.4
      campaign: {attack_rate: 0.3, reference_days: 110, reference_level: 2}
    retaliation:
      p_volume: 0.2
""")
# Line numbers in VALID: 1 name, 6 Alpha, 7 Bravo, 10 phase name, 11 start, 12 end,
# 13 targets, 15 branching_ratio, 16 campaign, 18 p_volume.


def _replace(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new)


# (id, file text, expected line, fragment expected in the message)
CASES = [
    ("syntax-error", _replace("{Alpha: 0}", "{Alpha: 0"), 14, "YAML syntax"),
    ("unknown-top-level-key", VALID + "colour: blue\n", 19, "colour: unknown key"),
    (
        "unknown-militia-key",
        _replace("branching_ratio: 0.4", "branching_ratoi: 0.4"),
        15,
        "militia.branching_ratoi: unknown key",
    ),
    (
        "unknown-site-key",
        _replace("personnel: 300}", "personnel: 300, guns: 4}"),
        7,
        "sites.1.guns: unknown key",
    ),
    (
        "unknown-nested-key",
        _replace("attack_rate: 0.3,", "attack_rate: 0.3, surge: 2,"),
        16,
        "militia.campaign.surge: unknown key",
    ),
    (
        "unknown-phase-key",
        _replace("      end: 2025-03-31\n", "      end: 2025-03-31\n      speed: 2\n"),
        13,
        "drawdown.phases.0.speed: unknown key",
    ),
    ("wrong-type-personnel", _replace("personnel: 500", "personnel: lots"), 6, "sites.0.personnel"),
    ("wrong-type-replications", VALID + "replications: many\n", 19, "replications"),
    ("impossible-date", _replace("start: 2024-09-01", "start: 2024-02-30"), 3, "window.start"),
    ("window-reversed", _replace("end: 2025-09-30", "end: 2023-09-30"), 2, "window"),
    (
        "phase-outside-window",
        _replace("end: 2025-03-31", "end: 2026-03-31"),
        12,
        "drawdown.phases.0.end: 2026-03-31 is outside",
    ),
    (
        "negative-rate",
        _replace("attack_rate: 0.3", "attack_rate: -0.3"),
        16,
        "militia.campaign.attack_rate",
    ),
    (
        "nan-rate",
        _replace("attack_rate: 0.3", "attack_rate: .nan"),
        16,
        "militia.campaign.attack_rate",
    ),
    (
        "infinite-rate",
        _replace("attack_rate: 0.3", "attack_rate: .inf"),
        16,
        "militia.campaign.attack_rate",
    ),
    (
        "probability-above-one",
        _replace("p_volume: 0.2", "p_volume: 1.5"),
        18,
        "retaliation.p_volume",
    ),
    (
        "explosive-branching-ratio",
        _replace("branching_ratio: 0.4", "branching_ratio: 1.2"),
        15,
        "explodes",
    ),
    (
        "unknown-target-site",
        _replace("{Alpha: 0}", "{Charlie: 0}"),
        13,
        "drawdown.phases.0.targets.Charlie: unknown site",
    ),
    (
        "target-above-personnel",
        _replace("{Alpha: 0}", "{Alpha: 900}"),
        13,
        "exceeds the 500 personnel",
    ),
    ("duplicate-key", _replace("name: mini\n", "name: mini\nname: other\n"), 2, "duplicate"),
    ("duplicate-site", _replace("name: Bravo", "name: Alpha"), 7, "duplicate site name"),
    (
        "python-object-tag",
        _replace("name: mini", "name: !!python/object/apply:os.system [ls]"),
        1,
        "YAML",
    ),
    (
        "residual-mismatch",
        VALID + "advisory: {residual: {Alpha: 50}}\n",
        19,
        "advisory.residual.Alpha: 50 does not match",
    ),
    (
        "uncertainty-unknown-key",
        VALID + "uncertainties:\n  militia.colour: {uniform: [0, 1]}\n",
        20,
        "is not a field",
    ),
    (
        "uncertainty-bounds-invalid",
        VALID + "uncertainties:\n  militia.branching_ratio: {uniform: [0.5, 1.2]}\n",
        20,
        "1.2 is not allowed",
    ),
    (
        "overlapping-phases",
        _replace(
            "      targets: {Alpha: 0}\n",
            "      targets: {Alpha: 100}\n"
            "    - {name: two, start: 2025-03-01, end: 2025-05-01, "
            "targets: {Alpha: 0}}\n",
        ),
        14,
        "must not overlap",
    ),
    (
        "shock-outside-window",
        VALID + "shocks:\n  scheduled:\n    - {date: 2023-10-07, name: x, severity: 3}\n",
        21,
        "outside",
    ),
    (
        "extension-hazard-above-one-a-day",
        _replace("drawdown:\n", "drawdown:\n  extension: {hazard_per_day: 2}\n"),
        9,
        "drawdown.extension.hazard_per_day",
    ),
    (
        "negative-reversal-hazard",
        _replace("drawdown:\n", "drawdown:\n  reversal: {hazard_per_day: -0.001}\n"),
        9,
        "drawdown.reversal.hazard_per_day",
    ),
    (
        "extension-delay-under-a-day",
        _replace("drawdown:\n", "drawdown:\n  extension: {delay_mean_days: 0.5}\n"),
        9,
        "drawdown.extension.delay_mean_days",
    ),
    (
        "extension-delay-over-ten-years",
        _replace("drawdown:\n", "drawdown:\n  extension: {delay_mean_days: 5000}\n"),
        9,
        "drawdown.extension.delay_mean_days",
    ),
    ("top-level-list", "- name: mini\n", 1, "top level is a list"),
    ("empty-file", "", 1, "empty file"),
    ("missing-required", "name: mini\n", 0, "sites: required key is missing"),
]


def _invoke(args: list[str]):
    return CliRunner().invoke(app, args)


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_scenario_exits_2_with_file_line_and_field(tmp_path: Path, text, line, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = _invoke(["validate", str(path)])
    assert result.exit_code == 2, result.output
    output = result.output
    assert "Traceback" not in output
    assert fragment in output
    where = f"{path}:{line}:" if line else f"{path}:"
    assert where in output, output


def test_all_problems_are_reported_at_once(tmp_path: Path):
    text = _replace("p_volume: 0.2", "p_volume: 1.5").replace("personnel: 500", "personnel: -1")
    path = tmp_path / "bad.yaml"
    path.write_text(text + "colour: blue\n")
    result = _invoke(["validate", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert len(lines) == 3, result.output


def test_non_utf8_file(tmp_path: Path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.encode() + b"description: caf\xe9\n")
    result = _invoke(["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:19:" in result.output and "UTF-8" in result.output


def test_alias_bomb_fails_fast(tmp_path: Path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(
            f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},"
            f"*{prev},*{prev}]"
        )
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    result = _invoke(["validate", str(path)])
    assert result.exit_code == 2
    assert "alias bomb" in result.output


def test_extends_missing_file(tmp_path: Path):
    path = tmp_path / "child.yaml"
    path.write_text("extends: nowhere.yaml\nname: child\n")
    result = _invoke(["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:1: extends:" in result.output and "does not exist" in result.output


def test_extends_cycle(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    result = _invoke(["validate", str(tmp_path / "a.yaml")])
    assert result.exit_code == 2
    assert "cycle" in result.output


def test_extends_error_points_into_the_right_file(tmp_path: Path):
    (tmp_path / "base.yaml").write_text(VALID)
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\nmilitia:\n  branching_ratio: 2\n")
    result = _invoke(["validate", str(child)])
    assert result.exit_code == 2
    assert f"{child}:4: militia.branching_ratio" in result.output


def test_bad_override(tmp_path: Path):
    path = tmp_path / "ok.yaml"
    path.write_text(VALID)
    result = _invoke(["validate", str(path), "--set", "militia.branching_ratio=1.5"])
    assert result.exit_code == 2
    assert "--set militia.branching_ratio=1.5" in result.output and "explodes" in result.output
    result = _invoke(["validate", str(path), "--set", "nonsense"])
    assert result.exit_code == 2 and "key=value" in result.output


def test_missing_file():
    result = _invoke(["validate", "no/such/file.yaml"])
    assert result.exit_code == 2
    assert "no/such/file.yaml: no such file" in result.output


def test_valid_file_prints_summary_and_exits_0(tmp_path: Path):
    path = tmp_path / "ok.yaml"
    path.write_text(VALID)
    result = _invoke(["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "mini: 2024-09-01 to 2025-09-30" in result.output


def test_real_process_exit_status_and_no_traceback(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(_replace("p_volume: 0.2", "p_volume: 7"))
    done = subprocess.run(
        [sys.executable, "-m", "drawdown_sim", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert f"{path}:18: retaliation.p_volume" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
