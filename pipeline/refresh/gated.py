"""A refresh through the stages a new post passes (pipeline/writing/stages.py): the gate's mend and redraft
rounds, over the parts the refresh rewrote and no others.

`RefreshRun` is what those stages ask of a refresh: its rewritten parts and what each must keep to stand, the
check a site's post is held to (its format and voice, never genpost's own shape), a part written again by the
refresh's rewriter (its reasons, and what the gate found), and a document refitted in the file's own line
breaks. A refresh is not polished: every block it did not rewrite keeps its lines.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline.document import PostDoc
from pipeline.instincts import Instinct
from pipeline.quality import check_doc
from pipeline.quality.mend import Shape
from pipeline.refresh.kept_links import Kept
from pipeline.refresh.rewrite import Rewriter, Rewritten
from pipeline.refresh.splice import eol_of, written
from pipeline.site.context import Site
from pipeline.types import Finding, Post
from pipeline.voice.profile import VoiceProfile
from pipeline.writing.assembler import body_chars
from pipeline.writing.polish import Edit
from pipeline.writing.stages import Draft, gate_stages, through


def lost(kept: Kept) -> Finding:
    """A link of the post that its refresh left out, where no anchor could carry it back."""
    return Finding(
        rule="refresh.link-lost",
        severity="error",
        message=f"the refresh dropped the link [{kept.anchor}]({kept.target})",
        message_ja=f"書き直しでリンク「{kept.anchor}」（{kept.target}）が消えました。本文に戻してください",
        part=kept.part,
    )


class RefreshRun:
    """The refresh of one post, as the shared stages see it."""

    def __init__(
        self,
        rewriter: Rewriter,
        parts: list[str],
        instincts: dict[str, Instinct],
        site: Site | Path,
        voice: VoiceProfile | None,
    ) -> None:
        """`parts`: the parts the refresh rewrote (the only ones a stage may change)."""
        self.rewriter, self.parts = rewriter, parts
        self.instincts, self.site, self.voice = instincts, site, voice

    def shapes(self) -> dict[str, Shape]:
        """Each rewritten part, and what it must keep to stand: its kind's fields, half the characters asked for."""
        rewriter = self.rewriter
        return {p: Shape(rewriter.kind(p), rewriter.targets.get(p, 80)) for p in self.parts}

    def check(self, post: Post) -> list[Finding]:
        """The site's post held to the site's format and voice; and each link the refresh lost."""
        settings, cited = self.rewriter.settings, post.cited or None
        found = check_doc(
            post.doc, settings, self.instincts, self.site, post.filename, cited, voice=self.voice, own=False
        )
        return found + [lost(kept) for kept in self.rewriter.kept.lost]

    def refit(self, post: Post, doc: PostDoc) -> Post:
        """`doc` (a cut) in the file's line breaks, its reading time as it now reads where the post gives one."""
        eol = eol_of(doc)
        doc = doc.with_blocks([b if b.source is not None else written([b], eol)[0] for b in doc.blocks])
        minutes = self.rewriter.minutes(doc)
        if doc.front.reading_time is not None and doc.front.reading_time != minutes:
            doc = replace(doc, front=doc.front.with_fields(reading_time=minutes))
        return replace(post, doc=doc, reading_time=doc.front.reading_time or 0, body_chars=body_chars(doc))

    async def redraft(self, post: Post, fixes: dict[str, list[Finding]], round_number: int) -> Post:
        """The parts the gate still finds errors in, rewritten again by the refresh's rewriter."""
        doc = await self.rewriter.again(post.doc, fixes)
        return self.refit(self.post(self.rewriter.rewritten(doc, []), post.filename), doc)

    async def polish_edits(self, post: Post) -> list[Edit] | None:
        return None

    def post(self, rewritten: Rewritten, name: str) -> Post:
        """The refreshed document as a post the stages pass along."""
        doc = rewritten.doc
        citations = [c for c in rewritten.citations if c.kept]
        return Post(name, doc, doc.front.reading_time or 0, body_chars(doc), [], citations, rewritten.cited)

    async def gate(self, rewritten: Rewritten, name: str) -> Draft:
        """The rewritten post through the gate's stages: checked, mended, its failing parts rewritten again."""
        post = self.post(rewritten, name)
        rounds = self.rewriter.settings.quality.max_rewrites
        return await through(Draft(post, self.check(post)), self, gate_stages(rounds))
