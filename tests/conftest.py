"""Shared fixtures: paths of the shipped scenarios and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted([*SCENARIOS.glob("*.yaml"), *SCENARIOS.glob("options/*.yaml")])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def baseline_path() -> Path:
    return SCENARIOS / "baseline.yaml"
