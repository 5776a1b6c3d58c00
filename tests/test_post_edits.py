"""Editing an assembled post through its document (pipeline/writing/post_edits.py): a cut that takes a footnote's only
mark out, and a part written again with a source the post cites already and one it does not; nothing is
assembled again, and every block the edit does not touch is as it was."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.sources import Grounding
from pipeline.types import Passage, Source
from pipeline.writing.assembler import Assembler
from pipeline.writing.post_edits import refit, with_parts
from tests import factories

ZONE = factories.settings().site.zone


def _grounding() -> Grounding:
    fetched = datetime(2025, 12, 1, tzinfo=UTC)
    sources = [
        Source(id=n, location=f"https://example.org/s{n}", title=f"調査{n}", fetched_at=fetched, sha256="0" * 64)
        for n in (1, 2, 3)
    ]
    return Grounding.recorded(
        sources, [Passage(id=f"S{n}", source=n, text=f"調査{n}では42%だった。") for n in (1, 2, 3)]
    )


def _post(grounding: Grounding):
    sections = factories.sections()
    sections["lead"] += "調査では42%だった。[S1]"
    sections["background"] += "別の調査でも42%だった。[S2]"
    return Assembler(factories.settings(), factories.learning()).assemble(
        factories.brief(), factories.plan(), factories.outline(), sections, factories.images(), [], grounding
    )


def _works(post) -> list[str]:
    return [w["url"] for w in post.doc.json_ld_blocks[0].data.get("citation", [])]


def _others(post, *parts: str) -> list[str]:
    """The Markdown of every block outside `parts`, the footnotes and the JSON-LD."""
    return [b.markdown for b in post.doc.blocks if b.part not in (*parts, "footnotes", "json_ld")]


def test_a_cut_of_a_footnotes_only_mark_renumbers_the_rest():
    grounding = _grounding()
    post = _post(grounding)
    lead = next(b for b in post.doc.of_part("lead") if "[^1]" in b.markdown)
    doc = post.doc.with_block(
        post.doc.blocks.index(lead), lead.edited(lead.markdown.replace("調査では42%だった。[^1]", ""))
    )
    cut = refit(post, doc, 500)
    text = cut.markdown
    assert "[^1]: 調査2" in text and "調査1" not in text and "[^2]" not in text, "footnote 2 is now 1"
    assert "別の調査でも42%だった。[^1]" in text
    assert _works(cut) == ["https://example.org/s2"]
    assert list(cut.cited) == ["1"] and [c.footnote for c in cut.citations if c.kept] == [1]
    assert cut.body_chars < post.body_chars
    assert _others(cut, "lead", "background") == _others(post, "lead", "background"), "no other block changes"


def test_a_part_written_again_keeps_the_footnote_of_a_source_cited_already():
    grounding = _grounding()
    post = _post(grounding)
    cases = "事例では42%だった。[S3]\n\n- **ポイント1:** 別の調査でも同じだった。[S2]\n- **ポイント2:** 続けて測る。"
    again = with_parts(post, {"cases": cases}, grounding, ZONE, 500)
    text = again.markdown
    assert "事例では42%だった。[^3]" in text and "別の調査でも同じだった。[^2]" in text, "S2 keeps 2, S3 is new"
    assert "[^3]: 調査3" in text and text.count("[^2]: 調査2") == 1
    assert _works(again) == [f"https://example.org/s{n}" for n in (1, 2, 3)]
    assert "\n- **ポイント1:**" in text and "\n- **ポイント2:** 続けて測る。" in text, "the list is a list"
    assert _others(again, "cases") == _others(post, "cases"), "no other block changes"
    unknown = with_parts(post, {"cases": "知らない資料[S9]。"}, grounding, ZONE, 500)
    assert "[S9]" not in unknown.markdown and any(c.marker == "S9" and not c.kept for c in unknown.citations)
