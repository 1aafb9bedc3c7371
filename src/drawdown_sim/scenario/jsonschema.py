"""The JSON Schemas of scenario and study files, as editors (yaml-language-server) and
``check-jsonschema`` use them.

Three schemas, from the same Pydantic models that ``validate`` uses, so they agree on every
rule a JSON Schema can express (types, strict booleans and integers, ranges, enumerations,
patterns, unknown keys):

- ``scenario.schema.json``: a complete scenario (one without ``extends``);
- ``scenario-partial.schema.json``: a file that ``extends`` another, in which every key at
  every level is optional (``escalation.attack_multiplier: {war: 3.0}`` is a valid partial
  override) while types, ranges and unknown keys are still checked;
- ``study.schema.json``: a study file (``sweep``, ``discover``).
"""

from __future__ import annotations

import copy
from typing import Any

from .schema import Scenario

DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("scenario", "scenario-partial", "study")

CROSS_FIELD = (
    "Rules that span fields are checked only by `drawdown-sim validate`, not by this schema: "
    "the window ends after it starts and lasts at most a few decades; site names differ after "
    "trimming and case folding; phases lie inside the window, in order, name known sites and "
    "only reduce personnel; the residual names known sites and matches what the last phase "
    "leaves; weapon and severity mixes sum to 1; an uncertainty names an existing key and "
    "keeps the scenario valid over its range; the attack-strike loop's expected offspring "
    "matrix has a spectral radius below 1 (also over the uncertainties' ranges)."
)


def _optional_everywhere(node: Any) -> None:
    """Drop ``required`` at every level (a partial override may give any subset)."""
    if isinstance(node, dict):
        node.pop("required", None)
        for value in node.values():
            _optional_everywhere(value)
    elif isinstance(node, list):
        for value in node:
            _optional_everywhere(value)


def scenario_json_schema(partial: bool = False) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file, every field described."""
    schema = copy.deepcopy(Scenario.model_json_schema(by_alias=True, mode="validation"))
    schema["$schema"] = DRAFT
    if partial:
        _optional_everywhere(schema)
        schema["title"] = "drawdown-sim scenario that extends another (every key optional)"
        schema["description"] = (
            "A scenario file with `extends`: it may give any subset of keys, at any depth; "
            "the merged scenario is checked by `drawdown-sim validate`. " + CROSS_FIELD
        )
    else:
        schema["title"] = "drawdown-sim scenario"
        schema["description"] = "A complete scenario file (one without `extends`). " + CROSS_FIELD
    return schema


def study_json_schema() -> dict[str, Any]:
    """JSON Schema of a study file."""
    from .study import Study

    schema = copy.deepcopy(Study.model_json_schema(by_alias=True, mode="validation"))
    schema["$schema"] = DRAFT
    schema["title"] = "drawdown-sim study"
    schema["description"] = (
        "A robustness study: option scenario files (relative to the study file), states and "
        "replications, judged outcomes and thresholds. That the option files exist, differ "
        "in name and share the first option's uncertainties is checked only by "
        "`drawdown-sim validate`."
    )
    return schema


def json_schema(kind: str) -> dict[str, Any]:
    """The schema of ``kind``: ``scenario``, ``scenario-partial`` or ``study``."""
    if kind == "study":
        return study_json_schema()
    if kind == "scenario-partial":
        return scenario_json_schema(partial=True)
    if kind == "scenario":
        return scenario_json_schema()
    raise ValueError(f"unknown schema {kind!r}; one of {', '.join(KINDS)}")
