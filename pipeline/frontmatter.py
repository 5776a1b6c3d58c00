"""YAML front matter: written by PyYAML in the reference post's style, read back safely."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml


class Quoted(str):
    """A string written in double quotes, like the reference post's title."""


class Flow(list):
    """A list written inline: `[a, b]`."""


class Timestamp(str):
    """An ISO 8601 UTC time written as a plain YAML timestamp."""

    @classmethod
    def of(cls, moment: datetime) -> Timestamp:
        utc = moment.astimezone(UTC)
        return cls(utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))


def _flow(dumper: _Dumper, items: Flow) -> yaml.Node:
    """An inline list. An item holding a line break (which PyYAML would write as it is, across lines, where NEL
    reads back as a space) is double-quoted and escaped: the list stays on one line and reads back as written."""
    one_line = [Quoted(x) if isinstance(x, str) and ("\n" in x or "\x85" in x) else x for x in items]
    return dumper.represent_sequence("tag:yaml.org,2002:seq", one_line, flow_style=True)


_Dumper.add_representer(Flow, _flow)
_Dumper.add_representer(Timestamp, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", str(v)))


def dump(fields: dict[str, Any]) -> str:
    """The front matter block, keys in the given order, `---` lines included."""
    body = yaml.dump(fields, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000)
    return f"---\n{body}---\n"


def split(text: str) -> tuple[dict[str, Any], str]:
    """Front matter and body of a Markdown file; no front matter gives ({}, text); broken YAML is a ValueError."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            try:
                data = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                why = getattr(exc, "problem", None) or exc
                raise ValueError(f"the front matter is not valid YAML ({why})") from None
            return (data if isinstance(data, dict) else {}), "\n".join(lines[i + 1 :])
    return {}, text


def with_fields(text: str, changes: dict[str, Any]) -> str:
    """`text` with the front-matter lines of `changes` rewritten in place; every other line stays as it was.
    A key not there yet is added at the end of the block."""
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if not text.startswith("---") or end is None:
        raise ValueError("no front matter")
    for key, value in changes.items():
        line = dump({key: value})[len("---\n") : -len("---\n")].rstrip("\n")
        found = next((i for i in range(1, end) if lines[i].startswith(f"{key}:")), None)
        if found is None:
            lines.insert(end, line)
            end += 1
        else:
            lines[found] = line
    return "\n".join(lines)
