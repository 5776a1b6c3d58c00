"""JSON schemas for structured output, in the strict form OpenAI and llama.cpp accept."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

_DROP = {"title", "default"}


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with every property required and no extra keys."""
    return _tighten(copy.deepcopy(model.model_json_schema()))


def _tighten(node: Any) -> Any:
    if isinstance(node, dict):
        for key in _DROP & node.keys():
            if not isinstance(node[key], dict) or key == "default":
                del node[key]
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        for value in node.values():
            _tighten(value)
    elif isinstance(node, list):
        for item in node:
            _tighten(item)
    return node
