"""Old module paths that the README, docs or notebooks named before the package was grouped
in layers still work, with a DeprecationWarning naming the new module."""

from __future__ import annotations

from importlib import import_module

import pytest

MOVED = [
    ("drawdown_sim.comparison", "drawdown_sim.analysis.comparison", "Comparison"),
    ("drawdown_sim.results", "drawdown_sim.analysis.results", "Results"),
    ("drawdown_sim.sweeps", "drawdown_sim.analysis.sweeps", "Sweep"),
    ("drawdown_sim.study", "drawdown_sim.scenario.study", "load_study"),
    ("drawdown_sim.record", "drawdown_sim.calibration.record", "load_record"),
    ("drawdown_sim.estimate", "drawdown_sim.calibration.estimate", "PRIORS"),
    ("drawdown_sim.plots", "drawdown_sim.present.plots", "plot_fan"),
    ("drawdown_sim.plots.run_plots", "drawdown_sim.present.plots.run_plots", "plot_fan"),
    (
        "drawdown_sim.plots.compare_plots",
        "drawdown_sim.present.plots.compare_plots",
        "plot_tradeoff",
    ),
    (
        "drawdown_sim.plots.completion_plots",
        "drawdown_sim.present.plots.completion_plots",
        "plot_completion",
    ),
    ("drawdown_sim.plots.sweep_plots", "drawdown_sim.present.plots.sweep_plots", "plot_regret"),
]


@pytest.mark.parametrize(("old", "new", "name"), MOVED)
def test_old_path_warns_and_gives_the_same_object(old: str, new: str, name: str) -> None:
    module = import_module(old)
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated; import {name} from {new}"):
        value = getattr(module, name)
    assert value is getattr(import_module(new), name)


def test_from_import_of_an_old_path_warns() -> None:
    with pytest.warns(DeprecationWarning, match="drawdown_sim.analysis.comparison"):
        from drawdown_sim.comparison import Comparison
    from drawdown_sim.analysis.comparison import Comparison as Moved

    assert Comparison is Moved


def test_unknown_name_of_an_old_path_is_an_attribute_error() -> None:
    module = import_module("drawdown_sim.comparison")
    with pytest.warns(DeprecationWarning), pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_public_api_keeps_working_without_warnings() -> None:
    import warnings

    import drawdown_sim

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in drawdown_sim.__all__:
            assert getattr(drawdown_sim, name) is not None
