"""Mending a part by cutting sentences: the ones that copy instructions, or say again what was said; and, at the
last cut, those still in a foreign script, Chinese or garbage after the redraft rounds.

A cut is made only where the part still stands without the sentence; otherwise the part
is written again (the gate's redraft, or the drafter's second ask).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from pipeline.config import LengthSettings
from pipeline.document import WRITTEN, Block, Inline, Kind, PostDoc
from pipeline.japanese import SENTENCE
from pipeline.text import char_count
from pipeline.types import Finding, PartText, Post, StepText, SummaryText
from pipeline.writing.outline import Kind as PartKind
from pipeline.writing.outline import Outline
from pipeline.writing.parttext import map_texts


class Shape(NamedTuple):
    """What a part must keep to stand: its kind's fields, and (prose) half of `chars`."""

    kind: PartKind
    chars: int


def shapes_of(outline: Outline, lengths: LengthSettings) -> dict[str, Shape]:
    """Each part of a new post's outline, and what it must keep to stand."""
    return {part.key: Shape(part.kind, getattr(lengths.sections, part.length)) for part in outline}


# Findings whose sentence is itself what is wrong: cutting it mends the part.
CUTTABLE = ("integrity.copied-instruction", "integrity.copied-run", "repetition.sentence")
# Findings whose sentence a redraft may still fix, cut at the last chance before the draft is written: no reader
# reads Chinese, stray symbols or a step's title said again better than a shorter part.
FINAL_CUTTABLE = (
    "script.foreign-character",
    "script.chinese-pattern",
    "script.chinese-punctuation",
    "script.garbage",
    "script.stray-label",
    "shape.step-repeats-title",
)
# Of those, the ones cut only where their block keeps some text (a step's summary is not left out for it).
KEEP_BLOCK = ("shape.step-repeats-title",)


def cut_sentences(text: str, drop: Callable[[str], bool]) -> tuple[str, list[str]]:
    """The text without the sentences `drop` picks, and those sentences."""
    cut: list[str] = []
    lines = []
    for line in text.split("\n"):
        kept = []
        for match in SENTENCE.finditer(line):
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


def _stands(doc: PostDoc, key: str, kind: PartKind, chars: int, final: bool) -> bool:
    """Does part `key` of `doc` still stand (as `stands` says of a part's text), read from its blocks? `final`: is
    any of its text left at all?"""
    blocks = [b for b in doc.of_part(key) if b.kind == Kind.STEP_LABEL or (b.kind in WRITTEN and _says(b))]
    if final:
        return any(b.kind in WRITTEN and b.markdown.strip() for b in blocks)
    if kind is PartKind.STEP:  # a summary above the labels, and a bullet under each of the three
        labels = [n for n, b in enumerate(blocks) if b.kind == Kind.STEP_LABEL]
        ends = [*labels[1:], len(blocks)]
        under = [blocks[n + 1 : end] for n, end in zip(labels, ends, strict=True)]
        return len(labels) == 3 and labels[0] > 0 and all(any(b.kind == Kind.LIST_ITEM for b in u) for u in under)
    if kind is PartKind.SUMMARY:  # an opening, the points, each labelled and saying something, a close
        points = [n for n, b in enumerate(blocks) if b.kind == Kind.LIST_ITEM and b.level == 1]
        labelled = all(blocks[n].label and blocks[n].markdown.strip() for n in points)
        return bool(points) and points[0] > 0 and points[-1] < len(blocks) - 1 and labelled
    return char_count(doc.part_text(key)) >= max(chars / 2, 1)


def _says(block: Block) -> bool:
    return bool(block.markdown.strip() or block.label)


def _cut_block(block: Block, sentence: str, last_only: bool) -> tuple[str, list[str]]:
    """The block's Markdown without `sentence` (as the gate quoted it: its reader's text, a bullet's label before
    its first sentence), and what was cut: every copy, or (`last_only`) the last."""
    if block.label and sentence.startswith(f"{block.label}:"):
        sentence = sentence[len(block.label) + 1 :].strip()
    spans = [m for m in SENTENCE.finditer(block.markdown) if Inline.of(m.group(0)).text.strip() == sentence]
    if last_only:
        spans = spans[-1:]
    if not spans:
        return block.markdown, []
    text, cut = block.markdown, []
    for match in reversed(spans):
        cut.append(match.group(0).strip())
        text = text[: match.start()] + text[match.end() :]
    return re.sub(r"[ \t]+\n", "\n", text).strip(), list(reversed(cut))


def mend(
    post: Post, shapes: dict[str, Shape], findings: list[Finding], final: bool = False
) -> tuple[PostDoc, list[dict]]:
    """The post's document with the copied and repeated sentences cut from the blocks the findings name, where
    their parts still stand; and the cuts.

    `final`: the last chance before the draft is written; the sentences in a foreign script, Chinese or garbage
    that the redraft rounds left are cut too (FINAL_CUTTABLE), and a part need only keep some text (a step may
    lose a list, which the shape rules then flag), since none of these ever reads better than a shorter part.
    """
    doc, cuts = post.doc, []
    for finding in findings:
        key = finding.part or ""
        shape = shapes.get(key)
        cuttable = finding.rule in CUTTABLE or (final and finding.rule in FINAL_CUTTABLE)
        if not cuttable or not finding.excerpt or shape is None or finding.block is None:
            continue
        block = doc.blocks[finding.block]
        if block.kind not in WRITTEN:
            continue
        text, cut = _cut_block(block, finding.excerpt, last_only=finding.rule == "repetition.sentence")
        candidate = doc.with_block(block.index, block.edited(text))
        left = _stands(candidate, key, shape.kind, shape.chars, final)
        left = left and (bool(text.strip()) or finding.rule not in KEEP_BLOCK)
        if cut and left:
            doc = candidate
            cuts.append({"part": key, "lines": cut, "rule": finding.rule})
    emptied = [b.index for b in doc.blocks if b.kind in WRITTEN and not b.markdown.strip() and not b.label]
    return doc.with_blocks([b for b in doc.blocks if b.index not in emptied]), cuts
