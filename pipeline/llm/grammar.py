"""JSON schemas tightened into grammars for a small model that decodes under constraint.

llama.cpp turns a JSON schema (with `pattern`s on strings) into a GBNF grammar. A small
model cannot be trusted to follow a rule it is told; the grammar makes it hold.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pipeline.llm.fields import EnglishWords, FieldSpec, JapaneseText, TitleWith

# Any character a JSON string may hold unescaped (no quote, backslash or control character).
JSON_CHAR = r'[^"\\\x00-\x1f]'
JAPANESE_START = "[ぁ-んァ-ヶ一-龯「]"
_LIMIT = re.compile(r"(\d+)字以内")
_DEFAULT_MAX_LENGTH = 240


def literal(text: str) -> str:
    """Text as a literal in a grammar regex."""
    return re.sub(r"([\\^$.|?*+()\[\]{}\"/])", r"\\\1", text)


def pattern_for(spec: FieldSpec) -> str:
    """The regex a field's description comes to."""
    if isinstance(spec, EnglishWords):
        return f"^[a-z][a-z ]{{{max(spec.min_chars - 2, 0)},{spec.max_chars - 2}}}[a-z]$"
    if isinstance(spec, JapaneseText):
        return f"^{JAPANESE_START}{JSON_CHAR}{{{max(spec.min_chars - 1, 0)},{spec.max_chars - 1}}}$"
    if isinstance(spec, TitleWith):
        prefix = literal(spec.opening) + " ?".join(literal(w) for w in spec.words)
        spaces = max(len(spec.words) - 1, 0)
        room = max(spec.max_chars - len(spec.opening) - sum(map(len, spec.words)) - spaces, 0)
        return f"^{prefix}{JSON_CHAR}{{0,{room}}}$"
    raise TypeError(f"no pattern for {spec!r}")


def grammar_schema(schema: dict[str, Any], fields: dict[str, FieldSpec] | None = None) -> dict[str, Any]:
    """The schema with a pattern on every string.

    A string at a path in `fields` follows its description; any other string gets 2 to N
    plain characters (N from a "N字以内" description, else a default), so the model can
    neither leave it empty nor ramble inside the JSON.
    """
    patterns = {path: pattern_for(spec) for path, spec in (fields or {}).items()}
    defs = schema.get("$defs", {})

    def walk(node: dict[str, Any], path: str) -> dict[str, Any]:
        if "$ref" in node:
            node = copy.deepcopy(defs[node["$ref"].split("/")[-1]])
        kind = node.get("type")
        if kind == "object":
            node["properties"] = {
                key: walk(sub, f"{path}.{key}".lstrip(".")) for key, sub in node.get("properties", {}).items()
            }
        elif kind == "array" and isinstance(node.get("items"), dict):
            items = {"description": node.get("description", ""), **node["items"]}
            node["items"] = walk(items, path)
        elif kind == "string" and "enum" not in node:
            limit = _LIMIT.search(node.get("description", ""))
            longest = int(limit.group(1)) if limit else _DEFAULT_MAX_LENGTH
            # A pattern rather than min/maxLength: llama.cpp's plain string rule lets raw
            # newlines through, which strict JSON parsers reject.
            node["pattern"] = patterns.get(path, f"^{JSON_CHAR}{{2,{longest}}}$")
        return node

    return walk(copy.deepcopy({k: v for k, v in schema.items() if k != "$defs"}), "")


# A list item or point opens like Japanese prose (or a name, a figure, a quote) and stays on its line.
ITEM_START = "[ぁ-んァ-ヶ一-龯A-Za-z0-9「（]"


def list_grammar(items: tuple[int, int], chars: tuple[int, int], separator: str) -> str:
    """GBNF for a Markdown list continued after its first marker: `items` items of `chars` characters each,
    `separator` (the newline and marker) between them."""
    more = f"{max(items[0] - 1, 0)},{items[1] - 1}"
    return "\n".join(
        [
            f'root ::= item ("{_gbnf(separator)}" item){{{more}}}',
            f"item ::= {ITEM_START} [^\\n]{{{chars[0] - 1},{chars[1] - 1}}}",
        ]
    )


def points_grammar(count: int, label: tuple[int, int], text: tuple[int, int], separator: str) -> str:
    """GBNF for `count` labelled points (`label:** text`), continued after the first one's `**`."""
    return "\n".join(
        [
            f'root ::= point ("{_gbnf(separator)}" point){{{count - 1}}}',
            'point ::= label ":** " text',
            f"label ::= {ITEM_START} [^*:：\\n]{{{label[0] - 1},{label[1] - 1}}}",
            f"text ::= {ITEM_START} [^\\n]{{{text[0] - 1},{text[1] - 1}}}",
        ]
    )


def _gbnf(text: str) -> str:
    """Text as a GBNF string literal's inside."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
