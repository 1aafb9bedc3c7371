"""``drawdown-sim report``: summarise a results directory and write its report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import FormatOption, PlotFormat, _drawn, fail_input, plot_formats, say, writing
from ._results import _print_comparison, _report_run


def report_command(
    directory: Annotated[
        Path, typer.Argument(help="A results directory (run, compare or sweep).", metavar="DIR")
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Where to write the HTML (default DIR/report.html)."),
    ] = None,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not redraw the plots.")] = False,
    plot_format: FormatOption = PlotFormat.png,
) -> None:
    """Summarise a results directory and write a self-contained HTML report of it. The
    report goes to a new file or replaces a report drawdown-sim wrote; nothing else."""
    formats = plot_formats(plot_format)
    from ..present import report

    if not directory.is_dir():
        fail_input(f"{directory}: not a results directory")
    from ..runner.outputs import check_single_file

    with writing():  # the output is checked before any work
        check_single_file(output or directory / "report.html", report.REPORT_MARKS, "report")
    import pyarrow as pa

    from ..analysis.comparison import Comparison
    from ..analysis.loading import load
    from ..analysis.results import Results
    from ..runner.manifest import ManifestError

    unreadable = (
        f"{directory}: cannot read these results (%s); they are damaged or incomplete: "
        "rerun the command that made them"
    )
    try:
        result = load(directory)
        if isinstance(result, Comparison):
            _print_comparison(result)
        elif isinstance(result, Results):
            _report_run(result)
        else:
            from ..present.console import console, sweep_tables

            for table in sweep_tables(result):
                console.print(table)
    except (ManifestError, FileNotFoundError) as error:
        fail_input(str(error))
    except (OSError, ValueError, KeyError, pa.ArrowException) as error:
        fail_input(unreadable % type(error).__name__)
    from ..present.console import drawing

    if not no_plots:
        from ..present.plots import write_plots

        try:
            _drawn(lambda: write_plots(result, formats))
        except Exception as error:  # noqa: BLE001 - the report is still worth writing
            say(f"warning: the plots could not be drawn: {type(error).__name__}: {error}")
    with writing():
        try:
            with drawing("writing the report"):
                path = report.write_report(result, output)
        except (ValueError, KeyError, pa.ArrowException) as error:
            from ..runner.outputs import OutputRefused

            if isinstance(error, OutputRefused):
                raise
            fail_input(unreadable % type(error).__name__)
    typer.echo(f"report: {path}")
