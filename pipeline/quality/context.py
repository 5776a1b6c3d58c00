"""What every rule receives: the post as a PostDoc, the settings, the site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pipeline.config import Settings
from pipeline.document import FRONT_MATTER, Block, PostDoc
from pipeline.instincts import Instinct
from pipeline.types import ApprovedPart, Finding

if TYPE_CHECKING:
    from pipeline.site.context import Site
    from pipeline.voice.profile import VoiceProfile


@dataclass
class Check:
    doc: PostDoc
    settings: Settings
    instincts: dict[str, Instinct]
    site: Site | None = None  # the site the post is for, read once for all the checks of a run
    name: str | None = None  # the post's file name, to skip itself on the site
    # Each footnote's label → the passages of its source (when known): what a cited figure is checked against.
    cited: dict[str, list[str]] | None = None
    voice: VoiceProfile | None = None  # the site's voice (voice.yml), when there is one: pipeline.quality.voice
    own: bool = True  # genpost wrote it (the gate; a draft with its run record): held to the reference format
    approved: list[ApprovedPart] | None = None  # the approved brief it was drafted from: its outline and points

    def finding(
        self,
        rule: str,
        severity: Literal["error", "warning"],
        message: str,
        message_ja: str,
        line: int | None = None,
        block: Block | None = None,
        excerpt: str | None = None,
        other: str | None = None,
    ) -> Finding:
        """A finding in both languages, placed at `block` (its part, line and headings), or at `line` (the
        block standing there, the front matter above the body)."""
        if block is None and line is not None and line >= self.doc.body_start:
            block = self.doc.block_at(line)
        where: dict = {"line": line}
        if block is not None:
            where = {
                "line": line or block.line,
                "section": block.h2 or "lead",
                "subsection": block.h3,
                "part": block.part,
                "block": block.index,
            }
        elif line is not None:
            where["part"] = FRONT_MATTER
        return Finding(
            rule=rule, severity=severity, message=message, message_ja=message_ja, excerpt=excerpt, other=other, **where
        )
