"""Hostile input: nothing a scenario, an override or a file says can hang the tool, exhaust
memory, leak a file's content or escape the results folder. Every reproducer of the
bounded-input issue is a test: exit status 2, one line per problem, no traceback, bounded
time (and, for files that never end, bounded memory)."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drawdown_sim.cli import app
from tests.conftest import SCENARIOS
from tests.helpers import RUNAWAY, cli

BASELINE = SCENARIOS / "baseline.yaml"
MINIMAL = """name: tiny
sites:
  - {name: Alpha, region: federal, personnel: 500}
"""


def _validate(*args: str):
    return CliRunner().invoke(app, ["validate", *args])


def _assert_refused(result, fragment: str, lines: int | None = 1) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert fragment in result.output, result.output
    if lines is not None:
        assert len(result.output.strip().splitlines()) == lines, result.output


def _limited(args: list[str], cwd: Path | None = None, seconds: int = 60):
    """Run the CLI in a subprocess with 3 GiB of address space and a time limit."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    return cli(
        *args,
        timeout=seconds,
        preexec_fn=limit,
        cwd=cwd,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )


# --- files that are not files ---------------------------------------------------------------
def test_a_device_is_refused_without_reading_it():
    result = _limited(["validate", "/dev/zero"], seconds=30)
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr


def test_extends_of_a_device_is_refused(tmp_path: Path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "a.yaml").write_text("extends: zero.yaml\n" + MINIMAL)
    (tmp_path / "b.yaml").write_text("extends: /dev/zero\n" + MINIMAL)
    _assert_refused(_validate(str(tmp_path / "a.yaml")), "not a regular file")
    _assert_refused(_validate(str(tmp_path / "b.yaml")), "not a scenario file")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path):
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    result = _limited(["validate", str(fifo)], seconds=20)  # a blocking open would time out
    assert result.returncode == 2 and "not a regular file" in result.stderr


def test_a_file_over_the_size_cap_is_refused_before_parsing(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text(MINIMAL + "#" * (1024 * 1024 + 1) + "\n")
    _assert_refused(_validate(str(big)), "larger than 1024 KiB")


# --- structure ------------------------------------------------------------------------------
@pytest.mark.parametrize("via_extends", [False, True])
def test_deep_nesting_is_refused(tmp_path: Path, via_extends: bool):
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\nsites: " + "[" * 300 + "]" * 300 + "\n")
    target = deep
    if via_extends:
        target = tmp_path / "child.yaml"
        target.write_text("extends: deep.yaml\nname: child\n")
    _assert_refused(_validate(str(target)), "nested more than 64 levels deep")


def test_many_keys_are_refused_in_linear_time(tmp_path: Path):
    import time

    many = tmp_path / "many.yaml"
    many.write_text(MINIMAL + "".join(f"k{i}: 1\n" for i in range(90_000)))
    started = time.perf_counter()
    result = _validate(str(many))
    assert time.perf_counter() - started < 5.0
    _assert_refused(result, "more than 5,000 keys")


def test_problems_are_listed_up_to_a_cap(tmp_path: Path):
    keys = tmp_path / "keys.yaml"
    keys.write_text(MINIMAL + "".join(f"unknown{i}: 1\n" for i in range(300)))
    result = _validate(str(keys))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 51 and "250 more problems" in lines[-1]


def test_merge_keys_get_their_own_message(tmp_path: Path):
    merge = tmp_path / "merge.yaml"
    merge.write_text(
        "name: x\nbase: &b {personnel: 5}\nsites:\n  - <<: *b\n    name: A\n    region: federal\n"
    )
    _assert_refused(_validate(str(merge)), "merge keys (<<) are not supported")


def test_tag_errors_are_one_located_line(tmp_path: Path):
    tagged = tmp_path / "tag.yaml"
    tagged.write_text("name: !!python/object:os.system x\nsites: []\n")
    result = _validate(str(tagged))
    _assert_refused(result, f"{tagged}:1: name: YAML tag")
    assert result.output.count(str(tagged)) == 1


def test_extends_of_a_file_that_is_not_a_scenario_echoes_nothing(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:hunter2-password:0:0\n")
    (tmp_path / "a.yaml").write_text("extends: secret.txt\n" + MINIMAL)
    result = _validate(str(tmp_path / "a.yaml"))
    _assert_refused(result, "is not a scenario file")
    assert "hunter2" not in result.output
    text = tmp_path / "text.yaml"
    text.write_text("hunter2-password line one\nand another line\n")
    (tmp_path / "b.yaml").write_text("extends: text.yaml\n" + MINIMAL)
    result = _validate(str(tmp_path / "b.yaml"))
    assert result.exit_code == 2 and "hunter2" not in result.output


def test_long_keys_are_cut_in_messages(tmp_path: Path):
    longkey = tmp_path / "long.yaml"
    longkey.write_text(MINIMAL + "x" * 500 + ": 1\n")
    result = _validate(str(longkey))
    assert result.exit_code == 2 and "x" * 100 not in result.output


# --- names and paths ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["..", ".", ".hidden", "-rf", "a/b"])
def test_names_that_could_escape_results_are_refused(tmp_path: Path, name: str):
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {BASELINE}\nname: '{name}'\n")
    _assert_refused(_validate(str(path)), "name")


def test_a_run_named_dot_dot_writes_nothing(tmp_path: Path):
    decoy = tmp_path / "work"
    decoy.mkdir()
    (decoy / "manifest.json").write_text("{}")
    (decoy / "s.yaml").write_text(f"extends: {BASELINE}\nname: '..'\n")
    result = _limited(["run", "s.yaml", "--reps", "10", "--workers", "1"], cwd=decoy)
    assert result.returncode == 2
    assert (decoy / "manifest.json").read_text() == "{}"
    assert sorted(p.name for p in decoy.iterdir()) == ["manifest.json", "s.yaml"]


def test_a_study_named_dot_dot_is_refused(tmp_path: Path):
    study = tmp_path / "study.yaml"
    study.write_text(
        f"name: '..'\noptions: [{BASELINE}]\noutcomes: [attacks]\nstates: 4\nreplications: 10\n"
    )
    result = _validate(str(study))
    assert result.exit_code == 2 and "Traceback" not in result.output


# --- overrides and values -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("sites.-1.personnel=5", "negative indices are not allowed"),
        ("extends=other.yaml", "extends: cannot be overridden"),
        ("sites.0.personnel=true", "sites.0.personnel"),
        ("replications=true", "replications"),
        ("drawdown.enabled=1", "drawdown.enabled"),
        ("sites.0.personnel=9223372036854775808", "sites.0.personnel"),
        ("window.start=0001-01-01", "longer than 30 years"),
        ("retaliation.p_casualty.killed=1.5", "retaliation.p_casualty.killed"),
    ],
)
def test_overrides_that_used_to_pass_are_refused(override: str, fragment: str):
    _assert_refused(_validate(str(BASELINE), "--set", override), fragment, lines=None)


def test_a_mapping_override_merges_into_its_section():
    from drawdown_sim.scenario import load_scenario

    s = load_scenario(BASELINE, ["militia={posture: campaign}"])
    assert s.militia.posture == "campaign"
    assert s.militia.branching_ratio == load_scenario(BASELINE).militia.branching_ratio


@pytest.mark.parametrize("variant", ["a", " A", "A "])
def test_site_names_are_unique_up_to_case_and_spaces(tmp_path: Path, variant: str):
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: s\nsites:\n  - {{name: A, region: federal, personnel: 5}}\n"
        f"  - {{name: '{variant}', region: federal, personnel: 5}}\n"
    )
    assert _validate(str(path)).exit_code == 2


# --- replications that would never end ------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        [
            "militia.branching_ratio=0.5",
            "retaliation.provocation=20",
            "retaliation.provocation_days=1",
        ],
        [
            "militia.branching_ratio=0.95",
            "retaliation.provocation=1.5",
            "retaliation.provocation_days=1",
        ],
    ],
    ids=["provocation-20", "branching-0.95"],
)
def test_a_supercritical_attack_strike_loop_is_refused(overrides):
    args = [a for o in overrides for a in ("--set", o)]
    _assert_refused(_validate(str(BASELINE), *args), "spectral radius", lines=None)


def test_uncertainties_that_could_draw_an_explosive_state_are_refused(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(
        f"extends: {BASELINE}\nname: s\nuncertainties:\n"
        "  retaliation.provocation: {uniform: [0.0, 6.0]}\n"
    )
    _assert_refused(_validate(str(path)), "a sweep can draw an explosive", lines=None)


@pytest.mark.parametrize(
    "override",
    [
        "retaliation.provocation_days=1e-100",
        "retaliation.provocation_days=1e-320",
        "militia.trigger_days=1e-309",
        "militia.trigger_days=1e-14",
        "militia.restraint.attack_rate=1e6",
        "militia.campaign_hazard_per_day=1e9",
        "militia.restraint_hazard_per_day=1e9",
    ],
)
def test_values_that_would_run_away_or_overflow_are_refused(override: str):
    result = _validate(str(BASELINE), "--set", override)
    _assert_refused(result, override.split("=")[0], lines=None)


def test_a_runaway_replication_fails_with_its_reason_in_bounded_time(tmp_path: Path):
    # Valid, but far more events than max_events: each replication fails, with the reason in
    # the manifest, and the run ends (exit 1) well within its limits.
    out = tmp_path / "out"
    result = _limited(
        [
            "run",
            str(BASELINE),
            "--reps",
            "3",
            "--workers",
            "1",
            "--no-plots",
            "--out",
            str(out),
            *RUNAWAY,
        ],
        seconds=120,
    )
    assert result.returncode == 1, result.stderr
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications_failed"] == 3
    assert "max_events" in manifest["failures"][0]["error"]
