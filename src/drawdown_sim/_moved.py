"""Old module paths kept for a while after the regrouping into layers (issue 33): each is a
shim whose names resolve in the new module, with a DeprecationWarning naming it."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from importlib import import_module
from typing import Any


def moved(old: str, new: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the shim module ``old``: every name is looked up
    in ``new``, with a warning saying where it lives now."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        warnings.warn(
            f"{old} is deprecated; import {name} from {new} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(import_module(new), name)

    def __dir__() -> list[str]:
        return sorted(dir(import_module(new)))

    return __getattr__, __dir__
