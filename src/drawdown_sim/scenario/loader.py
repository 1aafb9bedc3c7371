"""Load scenario files: safe YAML, ``extends:`` with deep merge, ``--set`` overrides, and
errors that name the file and line of every problem at once.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import Located, ScenarioError
from .schema import Problem, Scenario, deep_merge, set_dotted

MAX_NODES = 100_000
"""Nodes a scenario may expand to; more means an alias bomb, not a scenario."""

MAX_BYTES = 1024 * 1024
"""A scenario file is a few kilobytes; anything over 1 MiB is refused before it is read."""

MAX_KEYS = 5_000
"""Keys and list items a file may hold (counted before parsing, in linear time): a scenario
has a few hundred. The YAML parser's time grows faster than linearly with the key count."""

MAX_SHOWN = 80
"""Characters of a key or value shown in a message; longer ones are cut."""

SCENARIO_SUFFIXES = (".yaml", ".yml")

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


def _cut(text: str) -> str:
    """``text`` cut to :data:`MAX_SHOWN` characters, so no message echoes a whole file."""
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _prescan(text: str, file: str) -> None:
    """Bound nesting and size in one linear pass, before the YAML parser sees the text.

    The parser recurses once per nesting level and slows down faster than linearly with the
    number of keys, so a 1 KB file of nested brackets or a file of 90,000 keys would
    otherwise end in a RecursionError or take minutes.
    """
    depth = 0
    keys = 0
    quote = ""
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" "))
        if indent > 2 * MAX_DEPTH:
            raise ScenarioError(
                [Located(file, number, "", f"indented more than {MAX_DEPTH} levels deep")]
            )
        stripped = line.lstrip()
        if stripped.startswith("- ") or stripped == "-":
            keys += 1
        for char in line:
            if quote:
                if char == quote:
                    quote = ""
                continue
            if char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ScenarioError(
                        [Located(file, number, "", f"nested more than {MAX_DEPTH} levels deep")]
                    )
            elif char in "]}":
                depth = max(depth - 1, 0)
            elif char in ":,":
                keys += 1
        quote = ""  # an unterminated quote is the parser's to report
        if keys > MAX_KEYS:
            raise ScenarioError(
                [
                    Located(
                        file,
                        number,
                        "",
                        f"more than {MAX_KEYS:,} keys and items; a scenario holds a few hundred",
                    )
                ]
            )


def _check_tags(root: Any, file: str) -> None:
    """Refuse tags other than plain YAML types (e.g. ``!!python/object``) before building."""
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        tag = str(getattr(node.tag, "value", node.tag) if hasattr(node, "tag") else "")
        if tag and tag not in PLAIN_TAGS:
            line = node.start_mark.line + 1
            message = (
                "merge keys (<<) are not supported; write the keys out, or use extends: to "
                "build on another scenario"
                if tag == "tag:yaml.org,2002:merge"
                else f"YAML tag {_cut(tag)} is not allowed; scenario files hold plain values only"
            )
            raise ScenarioError([Located(file, line, _cut(path), message)])
        value = getattr(node, "value", None)
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, tuple):  # a mapping's (key, value) pair
                    key = str(getattr(item[0], "value", ""))
                    child = f"{path}.{key}" if path else key
                    stack.extend((part, child) for part in item)
                else:
                    stack.append((item, f"{path}.{index}" if path else str(index)))


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
    _prescan(text, file)
    try:
        yaml = _yaml()
        root = yaml.compose(io.StringIO(text))
        _check_tags(root, file)
        document = yaml.constructor.construct_document(root) if root is not None else None
    except ScenarioError:
        raise
    except RecursionError:
        raise ScenarioError(
            [Located(file, 0, "", f"nested more than {MAX_DEPTH} levels deep")]
        ) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise ScenarioError([Located(file, line, "", f"YAML syntax: {_cut(what)}")]) from None
    except (YAMLError, ValueError, TypeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ScenarioError([Located(file, 0, "", f"cannot read YAML: {_cut(message)}")]) from None
    return _plain(document, file, (), origins, [MAX_NODES])


def _read(path: Path) -> str:
    """The text of a regular file of at most :data:`MAX_BYTES`; never blocks on a FIFO or
    reads a device."""
    file = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError([Located(file, 0, "", "no such file")]) from None
    except OSError as error:
        raise ScenarioError([Located(file, 0, "", f"cannot read: {error.strerror}")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError([Located(file, 0, "", "is a directory, not a scenario file")])
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(
            [Located(file, 0, "", "not a regular file (a device, FIFO or socket); give a file")]
        )
    if info.st_size > MAX_BYTES:
        raise ScenarioError(
            [Located(file, 0, "", f"larger than {MAX_BYTES // 1024} KiB; a scenario is a few KiB")]
        )
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise ScenarioError([Located(file, 0, "", f"cannot read: {error.strerror}")]) from None
    if len(raw) > MAX_BYTES:  # it grew after the check
        raise ScenarioError(
            [Located(file, 0, "", f"larger than {MAX_BYTES // 1024} KiB; a scenario is a few KiB")]
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


def _load_document(path: Path, origins: Origins, chain: tuple[Path, ...]) -> dict[str, Any]:
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError):  # Python < 3.13 raises RuntimeError on a symlink loop
        raise ScenarioError(
            [Located(str(path), 0, "", "a symbolic link loop; give the file itself")]
        ) from None
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
        if parent_path.suffix.lower() not in SCENARIO_SUFFIXES:
            raise ScenarioError(
                [
                    Located(
                        file,
                        line,
                        "extends",
                        f"{_cut(parent)} is not a scenario file; extends names a .yaml or "
                        ".yml file",
                    )
                ]
            )
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
        document = deep_merge(_with_defaults(base), document)
    origins.update(own)
    return document


def _with_defaults(base: dict[str, Any]) -> dict[str, Any]:
    """The scenario ``base`` with every default written out, when it is a valid scenario,
    so that an extending file may override one key of a section its parent left at its
    defaults (``escalation.attack_multiplier: {war: 3.0}``), as ``--set`` may. A base that
    is not valid on its own is merged as written; the merged result is validated anyway."""
    try:
        return Scenario.model_validate(base).to_data()
    except (ValidationError, ValueError, TypeError):
        return base


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


@dataclass
class Document:
    """A YAML document read with the scenario loader's bounds (size, depth, keys, tags,
    ``extends``), remembering the file and line of every key so that problems found later
    can be located. Used for scenario and study files alike."""

    file: str
    data: dict[str, Any]
    origins: Origins

    def locate(self, path: tuple[str | int, ...]) -> tuple[str, int]:
        """(file, line) where the key at ``path`` (or its nearest located parent) was set."""
        return _locate(path, self.origins, self.file)

    def validate(self, model: type[Any]) -> Any:
        """``model.model_validate(data)``; every problem located.

        Raises:
            ScenarioError: one located problem per line.
        """
        return _validate(self.data, self.origins, self.file, model)


def load_document(path: str | Path) -> Document:
    """Read a YAML mapping (following ``extends``) with every key's file and line.

    Raises:
        ScenarioError: unreadable, too large, malformed or not a mapping.
    """
    from .shipped import resolve

    path = resolve(Path(path))
    origins: Origins = {}
    data = _load_document(path, origins, ())
    return Document(str(path), data, origins)


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


def load_scenario(path: str | Path, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Scenario:
    """Load and validate a scenario file, applying overrides.

    ``path`` is a file, or the name of a shipped scenario (``"baseline"``, ``"full_exit"``)
    when no file of that name exists, as on the command line.
    ``overrides`` are ``key=value`` strings as on the command line (``--set``), or a mapping
    of dotted keys to values (``{"militia.branching_ratio": 0.4}``, for batch clients that
    hold typed values; :meth:`Scenario.with_values` does the same to a loaded scenario).
    The file is validated first; overrides then apply to the complete scenario (defaults
    included), so ``retaliation.p_casualty.killed=1`` changes one value of a section the
    file never mentions. A mapping value (``"militia={posture: campaign}"``) is merged into
    the section key by key, like ``extends``; a list value replaces the list.

    Raises:
        ScenarioError: every problem found, one per line as ``FILE:LINE: path: message``.
    """
    from .shipped import resolve

    path = resolve(Path(path))
    origins: Origins = {}
    data = _load_document(path, origins, ())
    scenario = _validate(data, origins, str(path))
    if isinstance(overrides, Mapping):
        pairs: list[tuple[str, Any, str]] = [
            (str(k), v, f"{k}={v!r}") for k, v in overrides.items()
        ]
    else:
        pairs = [(text.partition("=")[0].strip(), None, text) for text in overrides]
    if not pairs:
        return scenario
    full = scenario.to_data()
    problems: list[Located] = []
    typed = isinstance(overrides, Mapping)
    for index, (key, given, text) in enumerate(pairs, start=1):
        try:
            key, value = (key, given) if typed else parse_override(text)
            if key.split(".")[0] == "extends":
                raise ScenarioError(
                    [
                        Located(
                            "--set",
                            index,
                            "extends",
                            "cannot be overridden: the file is already resolved; write a "
                            "scenario file that extends the other one",
                        )
                    ]
                )
            if any(part.startswith("-") and part[1:].isdigit() for part in key.split(".")):
                raise ScenarioError(
                    [
                        Located(
                            "--set",
                            index,
                            _cut(key),
                            "list indices count from 0; negative indices are not allowed",
                        )
                    ]
                )
            set_dotted(full, key, value, merge=True)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        except (KeyError, ValueError, IndexError, TypeError, AttributeError):
            problems.append(Located("--set", index, _cut(key), "no such key in the scenario"))
            continue
        origins[tuple(key.split("."))] = (f"--set {text}", 0)
    if problems:
        raise ScenarioError(problems)
    _pin_overridden(
        scenario,
        full,
        [key for key, _, _ in pairs]
        if typed
        else [text.partition("=")[0].strip() for _, _, text in pairs],
    )
    return _validate(full, origins, str(path))


def _pin_overridden(scenario: Scenario, full: dict[str, Any], keys: list[str]) -> None:
    """A key the scenario's posterior draws, set with ``--set``, keeps the value set: the
    override is written as ``uncertainties: {KEY: fixed}`` so that no draw replaces it."""
    if scenario.posterior is None:
        return
    from .posterior import load as load_posterior
    from .schema import FIXED, POSTERIOR_KEY

    try:
        drawn = set(load_posterior(scenario.posterior)[0])
    except (OSError, ValueError, FileNotFoundError):
        return  # validation reports an unreadable posterior
    uncertainties = full.setdefault("uncertainties", {})
    if not isinstance(uncertainties, dict) or POSTERIOR_KEY not in uncertainties:
        return  # the override removed the posterior itself
    for key in keys:
        if key in drawn:
            uncertainties[key] = FIXED


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
