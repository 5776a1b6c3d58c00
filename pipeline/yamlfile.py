"""Reading YAML settings files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.errors import UsageError

M = TypeVar("M", bound=BaseModel)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes a UsageError naming file and line."""
    text = _read(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise UsageError(f"{where}: {problem}") from None


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line (1-based) of the deepest node on `loc` that exists in the YAML text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                break
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def load_validated(model: type[M], path: Path) -> M:
    """Parse and validate a YAML file; the first problem becomes one line naming file, line and key."""
    data = load_yaml(path)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        where = f"{path}:{_line_of(_read(path), loc) or 1}"
        raise UsageError(f"{where}: {'.'.join(str(p) for p in loc) or '(top)'}: {err['msg']}") from None
