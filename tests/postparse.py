"""Reading a generated post back, for assertions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

FRONT_MATTER_KEYS = [
    "layout",
    "title",
    "date",
    "categories",
    "tags",
    "author",
    "description",
    "image",
    "featured",
    "instinct",
    "reading_time",
    "seo_keywords",
]


@dataclass
class ParsedPost:
    front: dict
    front_text: str
    body: str

    @property
    def headings(self) -> list[str]:
        return [line for line in self.body.splitlines() if re.match(r"^#{2,3} ", line)]

    @property
    def h2(self) -> list[str]:
        return [h[3:] for h in self.headings if h.startswith("## ")]

    def h3_under(self, h2: str) -> list[str]:
        out, inside = [], False
        for h in self.headings:
            if h.startswith("## "):
                inside = h[3:] == h2
            elif inside:
                out.append(h[4:])
        return out

    def line_after(self, heading: str) -> str:
        lines = self.body.splitlines()
        return lines[lines.index(heading) + 1]

    @property
    def json_ld(self) -> dict:
        blocks = re.findall(r'<script type="application/ld\+json">\n(.*?)\n</script>', self.body, re.DOTALL)
        assert len(blocks) == 1, f"expected one JSON-LD block, found {len(blocks)}"
        return json.loads(blocks[0])

    @property
    def images(self) -> list[tuple[str, str]]:
        return re.findall(r"^!\[([^\]]*)\]\(([^)]+)\)$", self.body, re.MULTILINE)


def parse_post(path: Path | str) -> ParsedPost:
    text = Path(path).read_text(encoding="utf-8") if isinstance(path, Path) else path
    assert text.startswith("---\n")
    end = text.index("\n---\n", 4)
    front_text = text[4:end]
    return ParsedPost(yaml.safe_load(front_text), front_text, text[end + 5 :])
