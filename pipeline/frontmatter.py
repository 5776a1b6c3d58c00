"""YAML front matter: written by PyYAML in the reference post's style, read back safely."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from pipeline import yamlfile


class Quoted(str):
    """A string written in double quotes, like the reference post's title."""


class Flow(list):
    """A list written inline: `[a, b]`."""


class Timestamp(str):
    """An ISO 8601 UTC time written as a plain YAML timestamp."""

    @classmethod
    def of(cls, moment: datetime) -> str:
        """A zoned time as UTC (`2026-12-06T17:15:00.000Z`); a wall-clock time (no zone) as the quoted string
        Jekyll reads in the build machine's zone (`"2026-12-07 02:15:00"`), so its day is the same on any machine
        (an unquoted one YAML reads as UTC)."""
        if moment.tzinfo is None:
            return Quoted(moment.strftime("%Y-%m-%d %H:%M:%S"))
        utc = moment.astimezone(UTC)
        return cls(utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z")


class Refused(ValueError):
    """Front matter refused unread: its aliases would expand it beyond a bound (a "billion laughs")."""


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


@dataclass(frozen=True)
class Read:
    """A file's front matter as read: its fields (or why they could not be read), its `---` block as written
    ("" when there is none) and the body after it."""

    fields: dict[str, Any]
    error: str | None
    source: str
    body: str
    refused: bool = False  # the YAML would have built beyond a bound (an alias bomb)
    broken: bool = False  # the YAML does not parse


def read(text: str) -> Read:
    """The front matter and body of a Markdown file (the one reader of front matter: posts, drafts, the gate)."""
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if lines[0].rstrip() != "---" or end is None:
        return Read({}, "no front matter", "", text)
    last = end == len(lines) - 1  # the file ends with the closing line (no break after it)
    source = "\n".join(lines[: end + 1]) + ("" if last else "\n")
    body = "" if last else "\n".join(lines[end + 1 :])
    try:
        loaded = yamlfile.safe_load("\n".join(lines[1:end]))
    except yamlfile.Refused as exc:
        return Read({}, f"front matter {exc.problem}", source, body, refused=True)
    except yaml.YAMLError as exc:
        why = getattr(exc, "problem", None) or exc
        return Read({}, f"the front matter is not valid YAML ({why})", source, body, broken=True)
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        return Read({}, "front matter is not a mapping", source, body)
    return Read({str(k): v for k, v in loaded.items()}, None, source, body)


def split(text: str) -> tuple[dict[str, Any], str]:
    """Front matter and body of a Markdown file; no front matter (or one that is no mapping) gives ({}, text);
    broken YAML is a ValueError (`Refused` for YAML too big to build)."""
    found = read(text)
    if found.refused:
        raise Refused(found.error or "")
    if found.broken:
        raise ValueError(found.error)
    return found.fields, (found.body if found.source else text)


def with_fields(text: str, changes: dict[str, Any]) -> str:
    """`text` with the front-matter entries of `changes` rewritten in place (a value over several lines, a block
    list or a folded string, is replaced whole); every other line stays as it was, in the file's own line
    breaks. A key not there yet is added at the end of the block."""
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if not text.startswith("---") or end is None:
        raise ValueError("no front matter")
    cr = "\r" if lines[0].endswith("\r") else ""
    for key, value in changes.items():
        written = dump({key: value})[len("---\n") : -len("---\n")].rstrip("\n")
        new = [line + cr for line in written.split("\n")]
        entry = re.compile(rf"{re.escape(key)}\s*:(\s|$)")
        start = next((i for i in range(1, end) if entry.match(lines[i])), end)  # none: a new key at the end
        stop = _entry_end(lines, start, end) if start < end else end
        lines[start:stop] = new
        end += len(new) - (stop - start)
    return "\n".join(lines)


def _entry_end(lines: list[str], start: int, end: int) -> int:
    """Where the entry whose key is on line `start` ends: its value may go on over indented lines (a block
    list, a folded string) or `- item` lines at the key's own column; blank lines between them are its own."""
    stop = start + 1
    for i in range(start + 1, end):
        line = lines[i].rstrip("\r")
        if line[:1] in (" ", "\t") or line == "-" or line.startswith("- "):
            stop = i + 1
        elif line.strip():
            break
    return stop
