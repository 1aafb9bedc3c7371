"""Property: whatever text and overrides the loader is fed, it either returns a Scenario or
raises the project's own ScenarioError (never another exception)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drawdown_sim.scenario import Scenario, ScenarioError, load_scenario
from tests.conftest import SCENARIOS

YAMLISH = st.text(
    alphabet=st.sampled_from(
        list("abcdefgnmprstuw_.:-[]{},&*!|>'\"#%@ \n\t0123456789") + ["\u00e9", "\x00", "\ufeff"]
    ),
    max_size=300,
)
KEYS = st.sampled_from(
    [
        "name",
        "sites",
        "window.start",
        "window.end",
        "militia.branching_ratio",
        "militia.posture",
        "drawdown.phases",
        "sites.0.personnel",
        "sites.9.name",
        "isis",
        "uncertainties",
        "advisory.residual.Erbil",
        "shocks.scheduled.0.date",
        "x.y.z",
        "",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "[]",
            "{}",
            "null",
            "-1",
            "1e999",
            ".nan",
            "campaign",
            "2024-02-30",
            "[1, 2",
            "!!python/object:os.system",
            "&a [*a]",
            "0.5",
            "true",
        ]
    ),
    st.text(max_size=20),
)
OVERRIDES = st.lists(
    st.one_of(st.builds(lambda k, v: f"{k}={v}", KEYS, VALUES), st.text(max_size=20)), max_size=4
)


def _load(text: str | bytes, overrides: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            assert isinstance(load_scenario(path, overrides), Scenario)
        except ScenarioError as error:
            assert error.problems and all(str(p) for p in error.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH, OVERRIDES)
def test_arbitrary_text_only_raises_scenario_error(text: str, overrides: list[str]) -> None:
    _load(text, overrides)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_scenario_error(data: bytes) -> None:
    _load(data, [])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OVERRIDES)
def test_arbitrary_overrides_of_a_valid_scenario(overrides: list[str]) -> None:
    _load((SCENARIOS / "baseline.yaml").read_text().replace("# yaml", "# x"), overrides)
