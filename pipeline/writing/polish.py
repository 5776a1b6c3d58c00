"""The polish pass: one call reads the whole draft and proposes a few edits so it reads as one author's;
an edit is applied only where it is safe.

Safe means: its `find` occurs exactly once in the document's written blocks (paragraphs and bullets: never
a heading, an image line, a credit, a block, a footnote, the front matter or the JSON-LD), and its
replacement brings no new figure, citation or markup. An edit changes the block it is in.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from pydantic import BaseModel, Field

from pipeline.document import FOOTNOTE_MARK, WRITTEN, Block, PostDoc
from pipeline.llm import Gateway, ask_json
from pipeline.quality.claims import FIGURE
from pipeline.types import PolishEdit
from pipeline.writing.citations import MARKER
from pipeline.writing.outline import Outline

POLISH_MAX_TOKENS = 700
_MARKUP = re.compile(r"[\n<>#|]|\{[{%]|!\[|\]\(|\[\^|\*\*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


# What an edit may be for (polish.j2 lists the same); a short label keeps the answer short.
Reason = Literal["つなぎ", "書き出しの重複", "用語の統一", "本能とステップ"]


class Edit(BaseModel):
    find: str = Field(description="直す箇所。本文からそのまま写す（30字以内）")
    replace: str = Field(description="置き換える文言（60字以内）")
    reason: Reason = Field(description="直す理由")


class Edits(BaseModel):
    edits: list[Edit] = Field(max_length=6, description="直す箇所（多くて6つ）")


def _written(doc: PostDoc) -> list[Block]:
    """The blocks a writer wrote, in the outline's parts: what the polish reads and may change."""
    return [b for b in doc.blocks if b.kind in WRITTEN]


def draft_text(outline: Outline, doc: PostDoc) -> str:
    """The draft as the polish call reads it: the outline's headings and the prose under them, no blocks, no
    footnote marks (a bullet's label on a line of its own)."""
    lines = []
    for part in outline:
        if part.heading:
            lines.append(f"{'#' * part.level} {part.heading}")
        for block in doc.of_part(part.key):
            if block.kind in WRITTEN:
                lines += [FOOTNOTE_MARK.sub("", text) for text in (block.label, block.markdown) if text]
        lines.append("")
    return "\n".join(lines)


def _occurrences(doc: PostDoc, find: str) -> int:
    return sum(b.label.count(find) + b.markdown.count(find) for b in _written(doc))


def _why_not(edit: Edit, doc: PostDoc) -> str | None:
    """Why an edit cannot be applied (in Japanese: editors read it), or None when it is safe."""
    if len(edit.find.strip()) < 2:
        return "直す箇所が短すぎます"
    found = _occurrences(doc, edit.find)
    if found == 0:
        return (
            "本文ではなく、見出し・画像・クレジット・ブロック・脚注・フロントマターにあります"
            if edit.find in doc.to_markdown()
            else "下書きに見つかりません"
        )
    if found > 1:
        return f"下書きの{found}か所にあり、どこを直すか決まりません"
    if MARKER.search(edit.find) or FOOTNOTE_MARK.search(edit.find):
        return "出典の印にかかっています"
    if _MARKUP.search(edit.replace):
        return "置き換える文言に記法（改行・見出し・リンク・強調・HTML・Liquid）があります"
    new_numbers = set(_NUMBER.findall(edit.replace)) - set(_NUMBER.findall(edit.find))
    new_figures = {m.group(0) for m in FIGURE.finditer(edit.replace)} - {m.group(0) for m in FIGURE.finditer(edit.find)}
    if MARKER.search(edit.replace) or new_numbers or new_figures:
        return "置き換える文言に、下書きにない数値か出典があります"
    return None


def apply_edits(doc: PostDoc, edits: list[Edit]) -> tuple[PostDoc, list[PolishEdit]]:
    """The document with every safe edit applied to the block it is in, in order; each edit recorded, applied or
    rejected with why."""
    record = []
    for edit in edits:
        why = _why_not(edit, doc)
        block = next((b for b in _written(doc) if edit.find in b.label or edit.find in b.markdown), None)
        if why is None and block is not None:
            if edit.find in block.markdown:
                changed = block.edited(block.markdown.replace(edit.find, edit.replace, 1))
            else:
                changed = replace(block.edited(block.markdown), label=block.label.replace(edit.find, edit.replace, 1))
            doc = doc.with_block(block.index, changed)
        part = block.part if block is not None else None
        record.append(PolishEdit(**edit.model_dump(), part=part, applied=why is None, why=why or ""))
    return doc, record


async def ask_polish(gateway: Gateway, outline: Outline, doc: PostDoc, context: dict) -> list[Edit]:
    """The polish call: a short list of edits for the whole draft."""
    prompt = gateway.prompts.render("polish.j2", **context, draft=draft_text(outline, doc))
    answer = await ask_json(
        gateway, stage="polish", part="polish", prompt=prompt, model=Edits, max_tokens=POLISH_MAX_TOKENS
    )
    return answer.edits
