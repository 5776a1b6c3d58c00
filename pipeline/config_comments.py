"""genpost.yml's comments, generated from the settings' `Field` descriptions (`config.py`), as the README's
settings table is.

Every key of the file, and every commented-out key (`# body: [2500, 3500]`), carries its description as a
comment: trailing, at column 40, when its line leaves room; else on the line above. A section with no
description of its own carries its model's docstring. Comment lines directly above a key (no blank line
between, same indentation) are that key's and are rewritten; the values, the order, blank lines and every
other comment (the header, notes set apart by a blank line) stay as they are. Keys under a mapping of free
names (`llm.models`, `llm.prices`) keep whatever comment they have.
"""

from __future__ import annotations

import inspect
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel

from pipeline.config import Settings

COLUMN = 40  # where a trailing comment starts
WIDTH = 120  # a trailing comment that would end past this goes above its key instead
COMMENTED_KEY = re.compile(r"^( *)(# ?)[A-Za-z_]\w*:(?: |$)")


def _model(kind: Any) -> type[BaseModel] | None:
    """The settings model `kind` is (an optional one too), or None."""
    for candidate in (kind, *get_args(kind)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def describe(path: tuple[str, ...]) -> str | None:
    """A key's comment: its Field description, or for a section without one its model's docstring;
    None for a key that names data rather than a setting (a stage in `llm.models`, a model in `llm.prices`).
    A key that is no setting at all is a ValueError."""
    kind: Any = Settings
    text = None
    for depth, name in enumerate(path):
        model = None if get_origin(kind) is dict else _model(kind)
        if model is not None:
            info = model.model_fields.get(name)
            if info is None:
                raise ValueError(f"{'.'.join(path[: depth + 1])} is not a setting")
            kind = info.annotation
            section = None if get_origin(kind) is dict else _model(kind)
            text = info.description or (inspect.cleandoc(section.__doc__ or "").split("\n")[0] if section else None)
        elif get_origin(kind) is dict:
            kind, text = get_args(kind)[1], None
        else:
            return None
    return text.rstrip(".") if text else None


@dataclass
class _Key:
    path: tuple[str, ...]
    indent: int
    code_end: int | None  # where the key's code ends on its line; None: its value runs on, no trailing comment


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: wide characters (CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _block_keys(node: yaml.Node, path: tuple[str, ...], found: dict[int, _Key]) -> None:
    """The keys of block mappings, by line, with their dotted paths."""
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        return
    for key, value in node.value:
        line = key.start_mark.line
        if value.start_mark.line != line:  # a section, or a value on the lines below: the comment follows `key:`
            end = key.start_mark.buffer.index(":", key.end_mark.pointer) - key.start_mark.pointer
            code_end: int | None = key.start_mark.column + end + 1
        else:
            code_end = value.end_mark.column if value.end_mark.line == line else None
        found[line] = _Key((*path, str(key.value)), key.start_mark.column, code_end)
        _block_keys(value, (*path, str(key.value)), found)


def _commented_key(line: str, parents: list[_Key]) -> _Key | None:
    """`# body: [2500, 3500]` under `lengths:` as a key (its code is the whole commented-out `key: value`)."""
    match = COMMENTED_KEY.match(line)
    if not match:
        return None
    indent, hashes = len(match.group(1)), len(match.group(2))
    try:
        node = yaml.compose(match.group(1) + line[indent + hashes :])
    except yaml.YAMLError:
        return None
    keys: dict[int, _Key] = {}
    _block_keys(node, (), keys)
    inner = keys.get(0)
    if inner is None or len(inner.path) != 1 or inner.code_end is None:
        return None
    parent = next((p.path for p in reversed(parents) if p.indent < indent), ())
    path = (*parent, *inner.path)
    try:
        if describe(path) is None:
            return None
    except ValueError:
        return None
    return _Key(path, indent, inner.code_end + hashes)


def with_comments(text: str) -> str:
    """`text` (genpost.yml) with every key's comment made from its description; the values are checked unchanged."""
    keys: dict[int, _Key] = {}
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if root is not None:
        _block_keys(root, (), keys)
    out: list[str] = []
    free: list[bool] = []  # whether each line of `out` is a comment no key owns (yet)
    parents: list[_Key] = []
    for number, line in enumerate(text.split("\n")):
        key = keys.get(number) or (_commented_key(line, parents) if line.lstrip().startswith("#") else None)
        if key is None:
            out.append(line)
            free.append(line.lstrip().startswith("#"))
            continue
        if number in keys:
            parents = [p for p in parents if p.indent < key.indent] + [key]
        comment = describe(key.path)
        if comment is None:
            out.append(line)
            free.append(False)
            continue
        while free and free[-1] and len(out[-1]) - len(out[-1].lstrip()) == key.indent:
            out.pop(), free.pop()  # the key's comment from before
        code = line if key.code_end is None else line[: key.code_end].rstrip()
        rest = "" if key.code_end is None else line[key.code_end :].strip()
        if rest and not rest.startswith("#"):
            raise ValueError(f"line {number + 1}: cannot tell the value from its comment: {line!r}")
        room = COLUMN - _width(code)
        if key.code_end is not None and room >= 2 and COLUMN + 2 + _width(comment) <= WIDTH:
            out.append(code + " " * room + "# " + comment)
            free.append(False)
        else:
            margin = " " * key.indent
            above = textwrap.wrap(comment, WIDTH - key.indent - 2)
            out += [f"{margin}# {part}" for part in above] + [code]
            free += [False] * (len(above) + 1)
    result = "\n".join(out)
    if yaml.safe_load(result) != yaml.safe_load(text):
        raise ValueError("rewriting the comments would change a value")
    return result
