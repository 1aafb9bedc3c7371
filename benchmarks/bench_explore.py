"""The explorer's time per interaction on a sweep of 1,000 states x 6 options and a run of
100,000 replications.

Goal: every interaction answers within a second on a 2-core machine. An interaction is
timed from the widget's change to the updated figure, as the user waits for it:

- server side (always): the app is built as ``drawdown-sim explore`` builds it and attached
  to a Bokeh document; a widget's value is set (a slider's ``value_throttled``, what the
  browser sends when a slider is let go) and the time runs until Panel has recomputed,
  drawn and encoded every figure bound to it into the document's models (checked to have
  changed). The websocket and the browser are not included;
- in the browser (``--browser``, needs Playwright and Chromium): the server is started as a
  user starts it, headless Chromium loads the page, a select or a slider (a key on its
  handle) is moved, and the time runs until the page's figures have changed (an image's
  data, a Bokeh figure's title), waited for in the page at each animation frame. The CPU
  column is then the served process's.

For each kind of interaction it prints the first one (cold: columns read from disk), then
the median and the maximum over ``--repeat`` more with other values, the median CPU time,
and the load average before and after.

    .venv/bin/python benchmarks/bench_explore.py [--data DIR] [--repeat 6] [--browser]

The directories are made once under ``--data`` (default ``.bench/explore``) and reused:
the sweep by ``sweep`` (the advisory_options study at 1,000 states, 2 replications each:
10,000 replications), the run by a real run of 2,000 baseline replications whose outcome
rows are repeated to 100,000 (the explorer's cost depends on the rows it reads, not on
their values; ``--simulate-run`` simulates all 100,000 instead, which takes most of an
hour on 2 busy cores).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import panel as pn
import param
import pyarrow as pa
import pyarrow.parquet as pq
from bokeh.document import Document

from drawdown_sim import load, load_scenario, run, sweep
from drawdown_sim.present import explorer as ex
from drawdown_sim.runner.manifest import read_manifest, write_manifest
from drawdown_sim.scenario.study import load_study

ROOT = Path(__file__).resolve().parent.parent
RUN_ROWS = 100_000
STATES = 1_000


def _sweep(target: Path) -> Path:
    if not (target / "manifest.json").exists():
        study, options = load_study("advisory_options")
        small = study.model_copy(update={"states": STATES, "replications": 2})
        sweep(small, options, out=target, force=True)
    return target


def _run(target: Path, simulate: bool) -> Path:
    if (target / "manifest.json").exists():
        return target
    scenario = load_scenario("baseline")
    if simulate:
        run(scenario, reps=RUN_ROWS, trace=3, out=target, force=True)
        return target
    source = target.with_name("run_2000")
    if not (source / "manifest.json").exists():
        run(scenario, reps=2_000, trace=3, out=source, force=True)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    table = pq.read_table(source / "outcomes.parquet")
    copies = -(-RUN_ROWS // table.num_rows)
    tiled = pa.concat_tables([table] * copies).slice(0, RUN_ROWS)
    column = tiled.schema.get_field_index("replication")
    tiled = tiled.set_column(
        column, tiled.schema.field(column), pa.array(np.arange(RUN_ROWS, dtype=np.int64))
    )
    pq.write_table(tiled, target / "outcomes.parquet", row_group_size=10_000)
    manifest = read_manifest(target)
    write_manifest(
        target,
        manifest.model_copy(update={"replications": RUN_ROWS, "replications_done": RUN_ROWS}),
    )
    return target


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}"


@dataclass
class Row:
    name: str
    first: float
    times: list[float]
    cpu: list[float]
    load: str

    def line(self, width: int) -> str:
        median = statistics.median(self.times) if self.times else math.nan
        worst = max(self.times, default=math.nan)
        cpu = f"{statistics.median(self.cpu):8.3f}" if self.cpu else " " * 8
        return (
            f"{self.name:<{width}}  {self.first:6.3f}  {median:6.3f}  {worst:6.3f}  {cpu}"
            f"  {self.load}"
        )


HEADER = ("interaction", "first", "median", "max", "CPU med", "load 1 min before-after")


class Server:
    """An explorer app attached to a Bokeh document, as the server holds one per page."""

    def __init__(self, results: object) -> None:
        self.app = ex.app(results)  # type: ignore[arg-type]
        self.doc = Document()
        self.root = self.app.get_root(self.doc)

    def images(self) -> list[str]:
        """What the page shows of each figure: the encoded image of each Matplotlib pane, and
        the title, data and filters of each Bokeh figure drawn by the browser."""
        panes = self.app.select(pn.pane.Matplotlib)
        shown = [pane._models[self.root.ref["id"]][0].text for pane in panes]
        for name in ("parallel", "satisficing", "regret"):
            figure = self.root.select_one({"name": name})
            if figure is not None:
                shown.append(ex_views(figure))
        return shown

    def widget(self, kind: type, name: str) -> Any:
        found = [w for w in self.app.select(kind) if w.name == name]
        assert found, f"no {kind.__name__} named {name!r}"
        return found[0]

    def time(self, name: str, changes: list[Callable[[], None]], changed: int) -> Row:
        """Times each change; ``changed``: how many figures at least must change with
        each (fewer at an earlier revision, whose figures were fewer)."""
        load = _load()
        first, times, cpu = math.nan, [], []
        for at, change in enumerate(changes):
            before = self.images()
            started, used = time.perf_counter(), time.process_time()
            change()
            wall, spent = time.perf_counter() - started, time.process_time() - used
            moved = sum(a != b for a, b in zip(before, self.images(), strict=True))
            assert moved >= changed, f"{name}: {moved} figures changed, expected {changed}"
            if at == 0:
                first = wall
            else:
                times.append(wall)
                cpu.append(spent)
        return Row(name, first, times, cpu, f"{load}-{_load()}")


def ex_views(figure: Any) -> str:
    """A Bokeh figure's title, filters and data."""
    from bokeh.models import BooleanFilter, ColumnDataSource

    booleans = [f.booleans for f in figure.select({"type": BooleanFilter})]
    data = [
        {k: v for k, v in s.data.items() if k not in ("xs", "ys")}
        for s in figure.select({"type": ColumnDataSource})
    ]
    return repr((figure.title.text, booleans, data))


def _set(widget: Any, value: Any) -> Callable[[], None]:
    return lambda: setattr(widget, "value", value)


def _release(slider: Any, value: Any) -> Callable[[], None]:
    """A slider moved and let go: the browser sends ``value`` and ``value_throttled``."""

    def change() -> None:
        with param.edit_constant(slider):
            slider.param.update(value=value, value_throttled=value)

    return change


def _cycle(values: list[Any], current: Any, count: int) -> list[Any]:
    """``count`` values from ``values`` in turn, never ``current`` twice running."""
    others = [v for v in values if v != current] or values
    return [others[i % len(others)] for i in range(count)]


def server_side(run_dir: Path, sweep_dir: Path, repeat: int) -> list[Row]:
    rows = []
    count = repeat + 1
    started, used = time.perf_counter(), time.process_time()
    results = load(run_dir)
    server = Server(results)
    rows.append(
        Row(
            f"run ({results.replications:,} replications): open and draw the page",
            time.perf_counter() - started,
            [],
            [time.process_time() - used],
            _load(),
        )
    )
    outcome = server.widget(pn.widgets.Select, "Outcome")
    period = server.widget(pn.widgets.Select, "Period")
    outcomes = ["wounded", "attacks", "isis_attacks", "strikes", "killed", "moves"]
    picks = [o for o in outcomes if o in outcome.options]
    rows.append(
        server.time(
            "run: choose an outcome",
            [_set(outcome, o) for o in _cycle(picks, outcome.value, count)],
            1,
        )
    )
    if "follow_on" in period.options:
        rows.append(
            server.time(
                "run: switch the period",
                [_set(period, p) for p in ["follow_on", "window"] * count][:count],
                1,
            )
        )
    series = server.widget(pn.widgets.Select, "Series")
    rows.append(
        server.time(
            "run: choose a fan chart's series",
            [_set(series, s) for s in _cycle(list(series.options), series.value, count)],
            1,
        )
    )
    story = server.widget(pn.widgets.Select, "Replication")
    rows.append(
        server.time(
            "run: choose a traced story",
            [_set(story, r) for r in _cycle(list(story.options), story.value, count)],
            1,
        )
    )

    started, used = time.perf_counter(), time.process_time()
    result = load(sweep_dir)
    server = Server(result)
    label = f"sweep ({result.frame['state'].nunique():,} states x {len(result.options)} options)"
    rows.append(
        Row(
            f"{label}: open and draw the page",
            time.perf_counter() - started,
            [],
            [time.process_time() - used],
            _load(),
        )
    )
    judged = server.widget(pn.widgets.Select, "Outcome")
    rows.append(
        server.time(
            f"{label}: choose an outcome",
            [_set(judged, o) for o in _cycle(list(judged.options), judged.value, count)],
            2,
        )
    )
    first = server.widget(pn.widgets.RangeSlider, result.parameters[0])
    low, high = first.start, first.end
    ranges = [(low, low + (high - low) * (0.9 - 0.1 * i)) for i in range(count)]
    rows.append(
        server.time(
            f"{label}: move a parameter filter",
            [_release(first, r) for r in ranges],
            2,
        )
    )
    limit = server.app.select(pn.widgets.FloatSlider)[0]
    bounds = [limit.start + (limit.end - limit.start) * (0.2 + 0.1 * i) for i in range(count)]
    rows.append(
        server.time(
            f"{label}: move a threshold ({limit.name})",
            [_release(limit, b) for b in bounds],
            1,
        )
    )
    return rows


def browser_side(run_dir: Path, sweep_dir: Path, repeat: int) -> list[Row]:
    """The same interactions in headless Chromium against a served explorer."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is not installed"
    rows = []
    count = repeat + 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for directory, kind in ((run_dir, "run"), (sweep_dir, "sweep")):
            port = ex.free_port()
            server = subprocess.Popen(
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
            try:
                assert server.stderr is not None
                server.stderr.readline()  # printed once it listens
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                started = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/", timeout=300_000)
                page.wait_for_function(f"() => ({PRINTS})().length > 0", timeout=300_000)
                rows.append(
                    Row(f"{kind}: load the page", time.perf_counter() - started, [], [], _load())
                )
                select = page.locator("select").first
                choices = [
                    o for o in select.locator("option").evaluate_all("els => els.map(e => e.value)")
                ]
                current = select.input_value()
                rows.append(
                    _browser_time(
                        page,
                        f"{kind}: choose an outcome",
                        [
                            (lambda c=c, s=select: s.select_option(c))
                            for c in _cycle(choices, current, count)
                        ],
                        server.pid,
                    )
                )
                if kind == "sweep":
                    upper = page.locator(".noUi-handle").nth(1)  # the first filter's upper end
                    upper.scroll_into_view_if_needed()
                    upper.focus()
                    rows.append(
                        _browser_time(
                            page,
                            "sweep: move a parameter filter (a key on its handle)",
                            [(lambda h=upper: h.press("ArrowLeft")) for _ in range(count)],
                            server.pid,
                            changed=3,  # parallel coordinates, satisficing and regret
                        )
                    )
                    handle = page.locator(".noUi-handle").last  # the last threshold slider
                    handle.scroll_into_view_if_needed()  # (as a user would, before it counts)
                    handle.focus()
                    keys = ["ArrowLeft", "ArrowRight"] * count
                    rows.append(
                        _browser_time(
                            page,
                            "sweep: move a threshold (a key on its handle)",
                            [(lambda k=k, h=handle: h.press(k)) for k in keys[:count]],
                            server.pid,
                        )
                    )
                page.close()
            finally:
                server.send_signal(signal.SIGINT)
                server.communicate(timeout=60)
        browser.close()
    return rows


PRINTS = """() => {
    const found = [];
    const walk = root => {
        for (const el of root.querySelectorAll("*")) {
            if (el.tagName === "IMG") found.push(el);
            if (el.shadowRoot) walk(el.shadowRoot);
        }
    };
    walk(document);
    const prints = found.map(e => e.src.length + ":" + e.src.slice(-120));
    for (const doc of window.Bokeh ? window.Bokeh.documents : []) {
        for (const name of ["parallel", "satisficing", "regret"]) {
            const model = doc.get_model_by_name(name);
            if (model) prints.push(name + ":" + model.title.text);
        }
    }
    return prints;
}"""
"""What the page shows of each figure: each image's data URL's length and end (Panel's
images are in shadow roots; polling whole URLs moved hundreds of kilobytes through the
browser's debugging protocol), and the Bokeh figures' titles, which name what they show."""


def _browser_images(page: Any) -> list[str]:
    return page.evaluate(PRINTS)  # type: ignore[no-any-return]


CHANGED = f"""([before, changed]) => {{
    const now = ({PRINTS})();
    if (now.length !== before.length) throw new Error("figures found: " + now.length);
    return now.filter((print, at) => print !== before[at]).length >= changed;
}}"""
"""Whether ``changed`` figures differ from ``before``; checked in the page at each animation
frame (polling from Python took CPU from the browser it measured)."""


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) the process ``pid`` has used."""
    import psutil  # (installed with dask[distributed], in the dev extra)

    used = psutil.Process(pid).cpu_times()
    return float(used.user + used.system)


def _browser_time(
    page: Any, name: str, changes: list[Callable[[], None]], server: int, changed: int = 1
) -> Row:
    """Times each change until ``changed`` images on the page have changed; the CPU column
    is the server process's (the browser's own is not counted)."""
    load = _load()
    first, times, cpu = math.nan, [], []
    for at, change in enumerate(changes):
        before = _browser_images(page)
        started, used = time.perf_counter(), _cpu(server)
        change()
        wanted = min(changed, len(before))  # (an earlier revision showed fewer figures)
        page.wait_for_function(CHANGED, arg=[before, wanted], polling="raf", timeout=60_000)
        wall = time.perf_counter() - started
        if at == 0:
            first = wall
        else:
            times.append(wall)
            cpu.append(_cpu(server) - used)
    return Row(name, first, times, cpu, f"{load}-{_load()}")


def _print(title: str, rows: list[Row]) -> None:
    width = max(len(r.name) for r in rows)
    print(f"\n{title} (seconds)")
    first, median, worst, cpu = HEADER[1:5]
    print(f"{HEADER[0]:<{width}}  {first:>6}  {median:>6}  {worst:>6}  {cpu:>8}  {HEADER[5]}")
    for row in rows:
        print(row.line(width))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".bench" / "explore")
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--simulate-run", action="store_true")
    parser.add_argument("--browser", action="store_true", help="also time it in Chromium")
    parser.add_argument("--no-server", action="store_true", help="only the browser timings")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sweep_dir = _sweep(args.data / "sweep_1000")
    run_dir = _run(args.data / "run_100000", args.simulate_run)
    print(f"directories ready in {time.perf_counter() - started:.0f} s")
    print(f"{os.cpu_count()} CPUs; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    interactions: list[Row] = []
    if not args.no_server:
        rows = server_side(run_dir, sweep_dir, args.repeat)
        _print("Server side: widget change to updated figure models", rows)
        interactions += [r for r in rows if r.times]
    if args.browser:
        rows = browser_side(run_dir, sweep_dir, args.repeat)
        _print("In Chromium: widget change to changed image (CPU: the server process's)", rows)
        interactions += [r for r in rows if r.times]
    worst = max(max([r.first, *r.times]) for r in interactions)
    print(f"\nslowest interaction: {worst:.3f} s (goal: within 1 s)")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
