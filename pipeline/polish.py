"""The polish pass: one call reads the whole draft and proposes a few edits so it reads as one author's;
an edit is applied only where it is safe.

Safe means: its `find` occurs exactly once in the model-written prose (never in a heading, an
image line, a credit, a block, a footnote, the front matter or the JSON-LD: none of those is
in the parts' text), and its replacement brings no new figure, citation or markup.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from pipeline.citations import MARKER
from pipeline.llm import Gateway, ask_json
from pipeline.outline import Outline
from pipeline.parttext import map_texts, texts_of
from pipeline.quality.claims import FIGURE
from pipeline.types import PolishEdit, Sections

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


def draft_text(outline: Outline, sections: Sections) -> str:
    """The draft as the polish call reads it: headings and the model's prose, no blocks, marks removed."""
    lines = []
    for part in outline:
        if part.heading:
            lines.append(f"{'#' * part.level} {part.heading}")
        lines += [MARKER.sub("", text) for text in texts_of(sections[part.key]) if text]
        lines.append("")
    return "\n".join(lines)


def _why_not(edit: Edit, sections: Sections, markdown: str) -> str | None:
    """Why an edit cannot be applied (in Japanese: editors read it), or None when it is safe."""
    if len(edit.find.strip()) < 2:
        return "直す箇所が短すぎます"
    found = sum(text.count(edit.find) for value in sections.values() for text in texts_of(value))
    if found == 0:
        return (
            "本文ではなく、見出し・画像・クレジット・ブロック・脚注・フロントマターにあります"
            if edit.find in markdown
            else "下書きに見つかりません"
        )
    if found > 1:
        return f"下書きの{found}か所にあり、どこを直すか決まりません"
    if MARKER.search(edit.find):
        return "出典の印にかかっています"
    if _MARKUP.search(edit.replace):
        return "置き換える文言に記法（改行・見出し・リンク・強調・HTML・Liquid）があります"
    new_numbers = set(_NUMBER.findall(edit.replace)) - set(_NUMBER.findall(edit.find))
    new_figures = {m.group(0) for m in FIGURE.finditer(edit.replace)} - {m.group(0) for m in FIGURE.finditer(edit.find)}
    if MARKER.search(edit.replace) or new_numbers or new_figures:
        return "置き換える文言に、下書きにない数値か出典があります"
    return None


def apply_edits(sections: Sections, edits: list[Edit], markdown: str) -> tuple[Sections, list[PolishEdit]]:
    """The sections with every safe edit applied, in order; each edit recorded, applied or rejected with why."""
    current = dict(sections)
    record = []
    for edit in edits:
        why = _why_not(edit, current, markdown)
        part = next((k for k, v in current.items() if any(edit.find in t for t in texts_of(v))), None)
        if why is None and part is not None:
            current[part] = map_texts(current[part], lambda text, e=edit: text.replace(e.find, e.replace, 1))
        record.append(PolishEdit(**edit.model_dump(), part=part, applied=why is None, why=why or ""))
    return current, record


async def ask_polish(gateway: Gateway, outline: Outline, sections: Sections, context: dict) -> list[Edit]:
    """The polish call: a short list of edits for the whole draft."""
    prompt = gateway.prompts.render("polish.j2", **context, draft=draft_text(outline, sections))
    answer = await ask_json(
        gateway, stage="polish", part="polish", prompt=prompt, model=Edits, max_tokens=POLISH_MAX_TOKENS
    )
    return answer.edits
