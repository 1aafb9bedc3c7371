"""The one error a scenario can raise: every problem, each with its file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Located:
    """A problem located in a file: ``FILE:LINE: dotted.path: message``."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        path = self.path if len(self.path) <= 80 else self.path[:77] + "..."
        return f"{where}: {path}: {self.message}" if path else f"{where}: {self.message}"


MAX_LISTED = 50
"""Problems listed one per line; the rest are counted in a last line."""


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``str()`` is one line per problem."""

    def __init__(self, problems: list[Located]) -> None:
        self.problems = problems
        shown = [str(p) for p in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            shown.append(f"... and {len(problems) - MAX_LISTED:,} more problems")
        super().__init__("\n".join(shown))
