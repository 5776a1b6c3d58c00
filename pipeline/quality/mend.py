"""Mending a part by cutting sentences: the ones that copy instructions, or say again what was said.

A cut is made only where the part still stands without the sentence; otherwise the part
is written again (the gate's redraft, or the drafter's second ask).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.config import LengthSettings
from pipeline.outline import Outline
from pipeline.parttext import map_texts, texts_of
from pipeline.text import char_count
from pipeline.types import Finding, PartText, Sections, StepText, SummaryText

# Findings whose sentence is itself what is wrong: cutting it mends the part.
CUTTABLE = ("integrity.copied-instruction", "repetition.sentence")
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*(?:[\[［【]\s*[Ss]\s*\d+\s*[\]］】])*")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MARKS = re.compile(r"\[\^[^\]\s]+\]|[\[［【]\s*[Ss]\s*\d+\s*[\]］】]")


def cut_sentences(text: str, drop: Callable[[str], bool]) -> tuple[str, list[str]]:
    """The text without the sentences `drop` picks, and those sentences."""
    cut: list[str] = []
    lines = []
    for line in text.split("\n"):
        kept = []
        for match in _SENTENCE.finditer(line):
            sentence = match.group(0)
            if sentence.strip() and drop(sentence.strip()):
                cut.append(sentence.strip())
            else:
                kept.append(sentence)
        if "".join(kept).strip() or not line.strip():
            lines.append("".join(kept).rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), cut


def cut_part(value: PartText, drop: Callable[[str], bool]) -> tuple[PartText, list[str]]:
    """A part's text without the sentences `drop` picks (in every field); bullets left empty are dropped."""
    cut: list[str] = []

    def keep(text: str) -> str:
        kept, lines = cut_sentences(text, drop)
        cut.extend(lines)
        return kept

    value = map_texts(value, keep)
    if isinstance(value, StepText):
        lists = [[b for b in items if b] for items in (value.actions, value.metrics, value.cautions)]
        value = value.model_copy(update={"actions": lists[0], "metrics": lists[1], "cautions": lists[2]})
    return value, cut


def stands(value: PartText, chars: int) -> bool:
    """Enough is left to publish: half the characters asked for (prose), and no field left empty."""
    if isinstance(value, StepText):
        return bool(value.summary and value.actions and value.metrics and value.cautions)
    if isinstance(value, SummaryText):
        return bool(value.intro and value.closing and all(p.label and p.text for p in value.points))
    return char_count(value) >= max(chars / 2, 1)


def _bare(sentence: str) -> str:
    """A sentence as the gate quotes it: no citation marks (the draft's `[S7]` is the post's `[^1]`),
    no list marker or emphasis (the gate reads the rendered text)."""
    return _LIST.sub("", _MARKS.sub("", sentence)).replace("**", "").strip()


def _one(finding: Finding, value: PartText) -> Callable[[str], bool]:
    """Picks the finding's sentence: every copy of a copied instruction; of a repeat, only the last."""
    target = _bare(finding.excerpt or "")

    def same(sentence: str) -> bool:
        return _bare(sentence) == target

    if finding.rule != "repetition.sentence":
        return same
    total = len(cut_part(value, same)[1])
    seen = 0

    def last(sentence: str) -> bool:
        nonlocal seen
        if not same(sentence):
            return False
        seen += 1
        return seen == total

    return last


def mend(
    sections: Sections, outline: Outline, findings: list[Finding], lengths: LengthSettings, final: bool = False
) -> tuple[Sections, list[dict]]:
    """Sections with the copied and repeated sentences cut, where their parts still stand; and the cuts.

    `final`: the last chance before the draft is written; a part need only keep some text
    (a step may lose a list, which the shape rules then flag), since instruction text or a
    repeat never reads better than a shorter part.
    """
    mended = dict(sections)
    cuts = []
    for finding in findings:
        part = outline.part_at(finding.section, finding.subsection)
        if finding.rule not in CUTTABLE or not finding.excerpt or part is None or part.key not in mended:
            continue
        value, cut = cut_part(mended[part.key], _one(finding, mended[part.key]))
        left = (
            any(t.strip() for t in texts_of(value)) if final else stands(value, getattr(lengths.sections, part.length))
        )
        if cut and left:
            mended[part.key] = value
            cuts.append({"part": part.key, "lines": cut, "rule": finding.rule})
    return mended, cuts
