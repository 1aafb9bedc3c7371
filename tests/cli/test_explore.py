"""``drawdown-sim explore DIR``: one line and exit 2 for a directory it cannot open, and, in
a real browser (Playwright driving Debian's headless Chromium), for a run, a comparison and a
sweep: the page loads, one widget moves, and the displayed figure changes. The server is
started by the test as a user starts it, and stopped with Ctrl-C (SIGINT), cleanly."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drawdown_sim import compare, run, sweep
from drawdown_sim.present.explorer import free_port
from drawdown_sim.scenario.study import load_study
from tests.helpers import cli, scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_a_missing_or_damaged_directory_gets_one_line_and_exit_2(tmp_path: Path):
    missing = cli("explore", str(tmp_path / "nowhere"), "--no-browser")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "manifest.json").write_text("{not json")
    result = cli("explore", str(damaged), "--no-browser")
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    older = tmp_path / "older"
    older.mkdir()
    (older / "manifest.json").write_text(json.dumps({"format_version": 0, "kind": "run"}))
    result = cli("explore", str(older), "--no-browser")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def directories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("explore")
    run(scenario("baseline"), reps=20, seed=1, workers=1, out=root / "run", trace=2)
    compare(
        [scenario("status_quo"), scenario("full_exit")],
        reps=10,
        seed=2,
        workers=1,
        out=root / "compare",
    )
    study, options = load_study("advisory_options")
    small = study.model_copy(update={"states": 4, "replications": 2})
    sweep(small, options, workers=1, out=root / "sweep")
    return {"run": root / "run", "compare": root / "compare", "sweep": root / "sweep"}


def _serve(directory: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drawdown_sim",
            "explore",
            str(directory),
            "--no-browser",
            "--port",
            str(port),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()  # printed once it listens
    assert f"http://127.0.0.1:{port}/" in line, line
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        _, rest = process.communicate(timeout=60)
        assert process.returncode == 0, rest
        assert "explorer stopped" in rest and "Traceback" not in rest


SHOWN = """() => {
    const found = [];
    const walk = root => {
        for (const el of root.querySelectorAll("*")) {
            if (el.tagName === "IMG") found.push(el.src.length + ":" + el.src.slice(-120));
            if (el.shadowRoot) walk(el.shadowRoot);
        }
    };
    walk(document);
    for (const doc of window.Bokeh ? window.Bokeh.documents : []) {
        for (const name of ["parallel", "satisficing", "regret"]) {
            const model = doc.get_model_by_name(name);
            if (model) found.push(name + ": " + model.title.text);
        }
    }
    return found;
}"""
"""What the page shows of each figure: an image's data URL's length and end (Panel's images
are in shadow roots), a Bokeh figure's title (which names what it shows)."""


def _shown(page) -> list[str]:
    return page.evaluate(SHOWN)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize(
    ("kind", "choice"), [("run", "wounded"), ("compare", "full_exit"), ("sweep", "wounded_both")]
)
def test_moving_a_widget_changes_the_figure(directories, kind: str, choice: str):
    playwright = pytest.importorskip("playwright.sync_api")
    port = free_port()
    server = _serve(directories[kind], port)
    next(server)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
            select = page.locator("select").first  # (Playwright's selectors pierce shadow DOM)
            select.wait_for(timeout=120_000)
            page.wait_for_function(f"() => ({SHOWN})().length > 0", timeout=120_000)
            before = _shown(page)
            select.select_option(choice)
            deadline = time.monotonic() + 120
            after = before
            while after == before and time.monotonic() < deadline:
                time.sleep(0.2)
                after = _shown(page)
            assert after != before, "the figure did not change"
            if kind == "sweep":  # Bokeh figures, drawn in the browser
                deadline = time.monotonic() + 60
                while len(set(after) - set(before)) < 2 and time.monotonic() < deadline:
                    time.sleep(0.2)
                    after = _shown(page)
                changed = set(after) - set(before)
                assert any(
                    "parallel: " in c and "best option for wounded both" in c for c in changed
                ), changed
                assert any("regret: Regret in wounded both" in c for c in changed), changed
            browser.close()
    finally:
        next(server, None)


def test_explore_in_a_notebook_is_the_same_app(directories):
    pn = pytest.importorskip("panel")
    import drawdown_sim

    for kind, heading in (("run", "## Run"), ("compare", "## Comparison"), ("sweep", "## Sweep")):
        shown = drawdown_sim.explore(directories[kind])
        assert isinstance(shown, pn.layout.Column)
        assert str(shown.objects[0].object).startswith(heading)
