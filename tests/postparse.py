"""Reading a generated post back, for assertions: through genpost's own reader (pipeline.parse)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.document import FIELDS, Kind, PostDoc
from pipeline.parse import parse

FRONT_MATTER_KEYS = list(FIELDS)


@dataclass
class ParsedPost:
    doc: PostDoc
    text: str

    @property
    def front(self) -> dict:
        return self.doc.front.fields

    @property
    def front_text(self) -> str:
        """The YAML between the `---` lines."""
        return (self.doc.front.source or "").split("\n", 1)[1].rsplit("---", 1)[0].removesuffix("\n")

    @property
    def body(self) -> str:
        return self.text[len(self.doc.front.source or "") :]

    @property
    def headings(self) -> list[str]:
        return [b.lines() for b in self.doc.headings if b.level in (2, 3)]

    @property
    def h2(self) -> list[str]:
        return [b.markdown for b in self.doc.h2]

    def h3_under(self, h2: str) -> list[str]:
        return [b.markdown for b in self.doc.blocks if b.kind == Kind.HEADING and b.level == 3 and b.h2 == h2]

    def line_after(self, heading: str) -> str:
        """The line right under `heading` (empty when a blank line follows it)."""
        block = next(b for b in self.doc.headings if b.lines() == heading)
        after = self.doc.blocks[block.index + 1]
        return "" if after.gap else after.lines().split("\n")[0]

    @property
    def json_ld(self) -> Any:
        blocks = self.doc.json_ld_blocks
        assert len(blocks) == 1, f"expected one JSON-LD block, found {len(blocks)}"
        return self.doc.json_ld()

    @property
    def images(self) -> list[tuple[str, str]]:
        return [(p.alt, p.url) for p in self.doc.images if p.block.kind == Kind.IMAGE]


def parse_post(path: Path | str) -> ParsedPost:
    text = Path(path).read_text(encoding="utf-8") if isinstance(path, Path) else path
    doc = parse(text)
    assert not doc.front.error, doc.front.error
    return ParsedPost(doc, text)
