"""``drawdown-sim explore``: the interactive explorer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import fail_input


def explore_command(
    directory: Annotated[
        Path, typer.Argument(help="A results directory (run, compare or sweep).", metavar="DIR")
    ],
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1 (default: a free one)."),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser; print the address only.")
    ] = False,
) -> None:
    """Explore a results directory interactively in the browser (this machine only; the
    explore extra). Stop with Ctrl-C."""
    if not directory.is_dir():
        fail_input(f"{directory}: not a results directory")
    import pyarrow as pa

    from ..present.explorer import PANEL_MISSING, serve
    from ..runner.manifest import ManifestError

    def announce(address: str) -> None:
        typer.echo(f"explorer of {directory} at {address} (Ctrl-C stops it)", err=True)

    try:
        serve(directory, port, show=not no_browser, announce=announce)
    except ImportError:
        fail_input(PANEL_MISSING)
    except (ManifestError, FileNotFoundError) as error:
        fail_input(str(error))
    except (ValueError, KeyError, pa.ArrowException) as error:
        fail_input(
            f"{directory}: cannot read these results ({type(error).__name__}); rerun "
            "the command that made them with --force"
        )
    except OSError as error:
        fail_input(f"cannot serve on port {port}: {error.strerror or error}")
    except KeyboardInterrupt:
        pass
    typer.echo("explorer stopped", err=True)
