"""Load scenario files: safe YAML, ``extends:`` with deep merge, ``--set`` overrides, and
errors that name the file and line of every problem at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import Located, ScenarioError
from .schema import Problem, Scenario, set_dotted

MAX_NODES = 100_000
"""Nodes a scenario may expand to; more means an alias bomb, not a scenario."""

MAX_BYTES = 5_000_000
"""A scenario file is a few kilobytes; refuse anything this large outright."""

# Where each value came from: dotted path (tuple) -> (file, line).
Origins = dict[tuple[str, ...], tuple[str, int]]


PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{kind}"
    for kind in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
)


def _yaml() -> YAML:
    # Round-trip mode keeps line numbers and rejects duplicate keys. Dates stay text here so
    # that an impossible date is reported by the schema, with its field, like any bad value.
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", yaml.constructor.__class__.construct_yaml_str
    )
    return yaml


def _check_tags(root: Any, file: str) -> None:
    """Refuse tags other than plain YAML types (e.g. ``!!python/object``) before building."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        tag = str(getattr(node.tag, "value", node.tag) if hasattr(node, "tag") else "")
        if tag and tag not in PLAIN_TAGS:
            line = node.start_mark.line + 1
            raise ScenarioError(
                [
                    Located(
                        file,
                        line,
                        "",
                        f"YAML tag {tag} is not allowed; scenario files hold plain values only",
                    )
                ]
            )
        value = getattr(node, "value", None)
        if isinstance(value, list):
            for item in value:
                stack.extend(item if isinstance(item, tuple) else (item,))


MAX_DEPTH = 64
"""Nesting a scenario may have; deeper means a recursive alias or a malformed file."""


def _plain(node: Any, file: str, path: tuple[str, ...], origins: Origins, budget: list[int]) -> Any:
    """Convert ruamel nodes to plain Python, recording the line of every key."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ScenarioError(
            [
                Located(
                    file,
                    0,
                    "",
                    f"more than {MAX_NODES} values after expanding aliases; is this an alias bomb?",
                )
            ]
        )
    if len(path) > MAX_DEPTH:
        raise ScenarioError(
            [
                Located(
                    file,
                    0,
                    ".".join(path[:3]) + "...",
                    f"nested more than {MAX_DEPTH} levels deep; is an alias used inside itself?",
                )
            ]
        )
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            line = node.lc.key(key)[0] + 1
            name = str(key)
            origins[(*path, name)] = (file, line)
            out[name] = _plain(value, file, (*path, name), origins, budget)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            origins[(*path, str(index))] = (file, node.lc.item(index)[0] + 1)
            items.append(_plain(value, file, (*path, str(index)), origins, budget))
        return items
    if isinstance(node, Mapping | Sequence) and not isinstance(node, str):
        raise ScenarioError([Located(file, 0, ".".join(path), "unsupported YAML node")])
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _parse(text: str, file: str, origins: Origins) -> Any:
    try:
        yaml = _yaml()
        root = yaml.compose(io.StringIO(text))
        _check_tags(root, file)
        document = yaml.constructor.construct_document(root) if root is not None else None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise ScenarioError([Located(file, line, "", f"YAML syntax: {what}")]) from None
    except (YAMLError, ValueError, TypeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ScenarioError([Located(file, 0, "", f"cannot read YAML: {message}")]) from None
    return _plain(document, file, (), origins, [MAX_NODES])


def _read(path: Path) -> str:
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Located(file, 0, "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Located(file, 0, "", "is a directory, not a scenario file")]) from None
    except OSError as error:
        raise ScenarioError([Located(file, 0, "", f"cannot read: {error.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(
            [Located(file, 0, "", f"{len(raw)} bytes is too large for a scenario file")]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Located(
                    file,
                    line,
                    "",
                    f"not UTF-8 text (byte 0x{raw[error.start]:02x} ); save the file as UTF-8",
                )
            ]
        ) from None


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value  # scalars and lists replace
    return merged


def _load_document(path: Path, origins: Origins, chain: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise ScenarioError([Located(str(path), 0, "extends", f"cycle: {cycle}")])
    file = str(path)
    text = _read(path)
    own: Origins = {}
    document = _parse(text, file, own)
    if document is None:
        raise ScenarioError(
            [
                Located(
                    file,
                    1,
                    "",
                    "empty file; a scenario needs at least "
                    "name and sites (see `drawdown-sim schema`)",
                )
            ]
        )
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ScenarioError(
            [
                Located(
                    file,
                    1,
                    "",
                    f"top level is a {kind}; a scenario is a "
                    "mapping of keys such as name, window, sites",
                )
            ]
        )
    parent = document.pop("extends", None)
    if parent is not None:
        line = own.get(("extends",), (file, 0))[1]
        if not isinstance(parent, str):
            raise ScenarioError([Located(file, line, "extends", "must be a file path")])
        parent_path = path.parent / parent
        try:
            base = _load_document(parent_path, origins, (*chain, resolved))
        except ScenarioError as error:
            if error.problems and error.problems[0].message == "no such file":
                raise ScenarioError(
                    [
                        Located(
                            file,
                            line,
                            "extends",
                            f"{parent_path} does not exist (paths are relative "
                            "to the extending file)",
                        )
                    ]
                ) from None
            raise
        document = _deep_merge(base, document)
    origins.update(own)
    return document


def _locate(path: tuple[str | int, ...], origins: Origins, default: str) -> tuple[str, int]:
    parts = tuple(str(p) for p in path)
    for end in range(len(parts), 0, -1):
        if parts[:end] in origins:
            return origins[parts[:end]]
    return default, 0


def _validate(
    data: dict[str, Any], origins: Origins, default: str, model: type[Any] = Scenario
) -> Any:
    """Validate ``data`` with ``model``; every problem located by ``origins``."""
    problems: list[Problem] = []
    try:
        scenario = model.model_validate(data, context={"problems": problems})
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(p for p in item["loc"] if not str(p).startswith("function-"))
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown key; check the spelling against `drawdown-sim schema`"
            elif item["type"] == "missing":
                message = "required key is missing"
            problems.append(Problem(loc, message))
        problems_located = [_located(p, origins, default) for p in problems]
        raise ScenarioError(problems_located) from None
    if problems:
        raise ScenarioError([_located(p, origins, default) for p in problems])
    return scenario


def _located(problem: Problem, origins: Origins, default: str) -> Located:
    file, line = _locate(problem.path, origins, default)
    return Located(file, line, problem.dotted if problem.path else "", problem.message)


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key=value`` and read the value as a YAML scalar (``0.4``, ``true``, ``campaign``)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(
            [Located("--set", 0, text, "expected key=value, e.g. militia.posture=campaign")]
        )
    origins: Origins = {}
    try:
        parsed = _parse(value, "--set", origins) if value.strip() else None
    except ScenarioError:
        parsed = value
    return key, parsed


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file, applying ``--set key=value`` overrides.

    The file is validated first; overrides then apply to the complete scenario (defaults
    included), so ``--set retaliation.p_casualty.killed=1`` changes one value of a section
    the file never mentions.

    Raises:
        ScenarioError: every problem found, one per line as ``FILE:LINE: path: message``.
    """
    path = Path(path)
    origins: Origins = {}
    data = _load_document(path, origins, ())
    scenario = _validate(data, origins, str(path))
    overrides = list(overrides)
    if not overrides:
        return scenario
    full = scenario.to_data()
    problems: list[Located] = []
    for index, text in enumerate(overrides, start=1):
        key = text.partition("=")[0].strip()
        try:
            key, value = parse_override(text)
            set_dotted(full, key, value)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        except (KeyError, ValueError, IndexError, TypeError, AttributeError):
            problems.append(Located("--set", index, key, "no such key in the scenario"))
            continue
        origins[tuple(key.split("."))] = (f"--set {text}", 0)
    if problems:
        raise ScenarioError(problems)
    return _validate(full, origins, str(path))


def load_scenario_text(text: str, name: str = "<string>") -> Scenario:
    """Validate a scenario given as YAML text (no ``extends``)."""
    origins: Origins = {}
    document = _parse(text, name, origins)
    if not isinstance(document, dict):
        raise ScenarioError([Located(name, 1, "", "top level must be a mapping")])
    return _validate(document, origins, name)


def dump_scenario(scenario: Scenario) -> str:
    """The resolved scenario as YAML text that loads back to an equal scenario."""
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(scenario.to_data(), stream)
    return stream.getvalue()
