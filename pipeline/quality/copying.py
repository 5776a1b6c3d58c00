"""Copied instructions: model text that repeats its prompt's instructions or scaffolding.

What counts as instruction text is read from the prompts themselves, never from a list of
phrases: in the pipeline, the exact prompt a piece was written from (less the material it
carries: the plan's briefs, keywords, headings); in `genpost check`, the fixed text of
`prompts/*.j2` and the JSON fields' descriptions. A sentence copies the instructions when
most of its character 4-grams (or those of a passage it quotes) come from that text, or
when it opens with one of the prompt's labels (`要点:`, `【担当】`).

A copied run is narrower and reaches every field: any 12 letters in a row (compared as `letters`)
that the fixed text of a template, a field description or `instincts.yml` (an instinct's name,
psychology, tone, triggers) also holds, in the title, the description, a tag, a step title, a list
item, a summary point or the prose. A run inside one of the post's own headings or keywords is
the post's material, not a copy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, nodes
from pydantic import BaseModel

from pipeline.document import Block, Kind
from pipeline.instincts import Instinct
from pipeline.outline import STEPS_H2
from pipeline.paths import resource
from pipeline.quality.context import Check
from pipeline.quality.reading import unplaced
from pipeline.quality.style import sentences
from pipeline.text import char_ngrams
from pipeline.types import Briefs, Finding, Metadata, StepAnswer, SummaryAnswer

GRAM = 4
SHARE = 0.6  # of a sentence's 4-grams found in the instructions
RUN = 12  # letters in a row shared with the prompts' fixed text: a copy, in any field
_LABEL = re.compile(r"^\s*(?:[-*・]\s*)?(?:\*\*)?([^\s:：「」【】*]{1,16})(?:\*\*)?\s*[:：]", re.MULTILINE)
_BRACKET = re.compile(r"【([^】]{1,16})】")
_QUOTE = re.compile(r"「([^「」]{6,})」")


def letters(text: str) -> str:
    """Letters and digits only, NFKC, lower case: the form in which text is compared."""
    normal = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in normal if unicodedata.category(ch)[0] in "LN")


def grams(text: str) -> set[str]:
    return char_ngrams(letters(text), GRAM)


def _labels(text: str) -> set[str]:
    return {letters(label) for label in [*_LABEL.findall(text), *_BRACKET.findall(text)] if len(letters(label)) >= 2}


@dataclass(frozen=True)
class Instructions:
    """The instruction text of a prompt, as 4-grams and labels."""

    grams: frozenset[str]
    labels: frozenset[str]

    @classmethod
    def of(cls, texts: Iterable[str], material: Iterable[str] = ()) -> Instructions:
        """From prompt texts; the 4-grams of `material` (what the post is about) do not count."""
        text = "\n".join(texts)
        known: set[str] = set()
        for item in material:
            known |= grams(item)
        labels = _labels(text) - {letters(m) for m in material}
        return cls(frozenset(grams(text) - known), frozenset(labels))

    def copies(self, sentence: str) -> bool:
        """Does `sentence` copy the instructions (or open with one of their labels)?"""
        opening = _LABEL.match(sentence) or re.match(r"\s*【([^】]{1,16})】", sentence)
        if opening and letters(opening.group(1)) in self.labels:
            return True
        # The sentence itself, or an instruction it quotes (「具体的な場面で描いてください」などの文言を…).
        return any(self._share(part) for part in [sentence, *_QUOTE.findall(sentence)])

    def _share(self, text: str) -> bool:
        mine = grams(text)
        return len(mine) >= 3 and len(mine & self.grams) / len(mine) >= SHARE


@cache
def field_descriptions(*models: type[BaseModel]) -> tuple[str, ...]:
    """The descriptions of a JSON answer's fields: the model reads them as instructions too."""
    out: list[str] = []
    for model in models:
        schema = model.model_json_schema()
        for node in [schema, *schema.get("$defs", {}).values()]:
            out += [p["description"] for p in node.get("properties", {}).values() if "description" in p]
    return tuple(out)


@cache
def template_texts(directory: Path) -> tuple[str, ...]:
    """The fixed text of every prompt template (what no variable fills in), piece by piece."""
    env = Environment()
    texts: list[str] = []
    for path in sorted(directory.glob("*.j2")):
        tree = env.parse(path.read_text(encoding="utf-8"))
        texts += [node.data for node in tree.find_all(nodes.TemplateData)]
    return tuple(texts)


@cache
def template_instructions(directory: Path) -> Instructions:
    """The fixed text of every prompt template, and the answers' field descriptions."""
    return Instructions.of(
        [*template_texts(directory), *field_descriptions(Briefs, Metadata, StepAnswer, SummaryAnswer)]
    )


def copied_instructions(c: Check) -> list[Finding]:
    instructions = template_instructions(resource("prompts"))
    out = []
    for block in c.doc.prose:
        if block.kind == Kind.STEP_LABEL:
            continue  # the assembler's own labels
        for sentence in sentences(block):
            if instructions.copies(sentence):
                out.append(
                    c.finding(
                        "integrity.copied-instruction",
                        "error",
                        f"copies the prompt's instructions: 「{sentence[:40]}」",
                        f"プロンプトの指示文をそのまま書いています:「{sentence[:40]}」",
                        block=block,
                        excerpt=sentence,
                    )
                )
    return out


def instinct_texts(instincts: Iterable[Instinct]) -> list[str]:
    """What `instincts.yml` says of each instinct that the prompts hand to the model."""
    return [text for i in instincts for text in (i.name, i.psychology, i.tone, *i.triggers)]


@cache
def _runs(texts: tuple[str, ...]) -> frozenset[str]:
    """Every RUN-letter run of `texts`, each piece on its own."""
    out: set[str] = set()
    for text in texts:
        normal = letters(text)
        out.update(normal[n : n + RUN] for n in range(len(normal) - RUN + 1))
    return frozenset(out)


def fixed_runs(instincts: Iterable[Instinct]) -> frozenset[str]:
    """The runs a post may not share: the templates', the field descriptions' and the instincts' text."""
    described = field_descriptions(Briefs, Metadata, StepAnswer, SummaryAnswer)
    return _runs((*template_texts(resource("prompts")), *described, *instinct_texts(instincts)))


def _positions(text: str) -> tuple[str, list[int]]:
    """`letters(text)`, and where each of its letters stands in `text`."""
    out, where = [], []
    for n, char in enumerate(text):
        for letter in unicodedata.normalize("NFKC", char).lower():
            if unicodedata.category(letter)[0] in "LN":
                out.append(letter)
                where.append(n)
    return "".join(out), where


def copied_runs_in(text: str, runs: frozenset[str], material: frozenset[str] = frozenset()) -> list[str]:
    """The stretches of `text` (as written) that share RUN or more letters in a row with `runs`; a run that
    lies inside one of `material` (the post's headings and keywords, as letters) does not count."""
    normal, where = _positions(text)
    hits = [
        n
        for n in range(len(normal) - RUN + 1)
        if normal[n : n + RUN] in runs and not any(normal[n : n + RUN] in m for m in material)
    ]
    spans: list[list[int]] = []
    for n in hits:
        if spans and n <= spans[-1][1]:
            spans[-1][1] = n + RUN
        else:
            spans.append([n, n + RUN])
    return [text[where[start] : where[end - 1] + 1] for start, end in spans]


def _material(c: Check) -> frozenset[str]:
    """The post's own headings (but the step titles a model writes) and keywords, as letters."""
    steps = {h.index for h in c.doc.h3_under(STEPS_H2)}
    texts = [h.text for h in c.doc.headings if h.index not in steps]
    keywords = c.doc.front.get("seo_keywords")
    texts += [k for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else []
    return frozenset(letters(t) for t in texts if letters(t))


FIELDS_JA = {"title": "タイトル", "description": "説明文（description）", "tags": "タグ"}


def _field(block: Block) -> tuple[str, str]:
    """What a block is, for a person: (English, Japanese)."""
    if block.kind == Kind.HEADING:
        return "a step title", "ステップの見出し"
    if block.part == "summary" and block.label:
        return "a summary point", "まとめの要点"
    if block.kind == Kind.LIST_ITEM:
        return "a list item", "箇条書き"
    return "the prose", "本文"


def _run_finding(c: Check, en: str, ja: str, found: list[str], excerpt: str, **where) -> Finding:
    listed = "」「".join(found)
    return c.finding(
        "integrity.copied-run",
        "error",
        f"{en} copies the prompts' fixed text: 「{listed}」",
        f"{ja}がプロンプト（または instincts.yml）の文言をそのまま写しています:「{listed}」",
        excerpt=excerpt,
        **where,
    )


def copied_runs(c: Check) -> list[Finding]:
    """Any field that shares RUN letters in a row with the prompts' fixed text or the instincts' text."""
    runs, material = fixed_runs(c.instincts.values()), _material(c)
    out = []
    for block in c.doc.prose:
        if block.kind == Kind.STEP_LABEL:
            continue
        en, ja = _field(block)
        for sentence in sentences(block):
            found = copied_runs_in(sentence, runs, material)
            if found:
                out.append(_run_finding(c, en, ja, found, sentence, block=block))
    for heading in c.doc.h3_under(STEPS_H2):
        found = copied_runs_in(heading.text, runs, material)
        if found:
            out.append(unplaced(_run_finding(c, *_field(heading), found, heading.text, block=heading)))
    front = c.doc.front.fields
    tags = front.get("tags") if isinstance(front.get("tags"), list) else []
    for name, value in [("title", front.get("title")), ("description", front.get("description"))] + [
        ("tags", tag) for tag in tags
    ]:
        found = copied_runs_in(value, runs, material) if isinstance(value, str) else []
        if found:
            out.append(_run_finding(c, f"`{name}`", FIELDS_JA[name], found, value[:80], line=1))
    return out


RULES = (copied_instructions, copied_runs)
