"""``python -m drawdown_sim``: the same as the ``drawdown-sim`` command."""

from .cli import main

main()
