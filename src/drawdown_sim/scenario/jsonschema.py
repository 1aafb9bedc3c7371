"""The JSON Schema of scenario files, as editors (yaml-language-server) use it."""

from __future__ import annotations

from typing import Any

from .schema import Scenario

SCHEMA_ID = "https://drawdown-sim.invalid/scenario.schema.json"


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file, every field described."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "drawdown-sim scenario"
    # An extending file need not repeat required keys: the merged result is checked by
    # `drawdown-sim validate`, so the editor schema does not insist on them.
    schema.pop("required", None)
    return schema
