"""Copied instructions: model text that repeats its prompt's instructions or scaffolding.

What counts as instruction text is read from the prompts themselves, never from a list of
phrases: in the pipeline, the exact prompt a piece was written from (less the material it
carries: the plan's briefs, keywords, headings); in `genpost check`, the fixed text of
`prompts/*.j2` and the JSON fields' descriptions. A sentence copies the instructions when
most of its character 4-grams (or those of a passage it quotes) come from that text, or
when it opens with one of the prompt's labels (`要点:`, `【担当】`).
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

from pipeline.document import Kind
from pipeline.paths import resource
from pipeline.quality.context import Check
from pipeline.quality.style import sentences
from pipeline.text import char_ngrams
from pipeline.types import Briefs, Finding, Metadata, StepAnswer, SummaryAnswer

GRAM = 4
SHARE = 0.6  # of a sentence's 4-grams found in the instructions
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


def field_descriptions(*models: type[BaseModel]) -> list[str]:
    """The descriptions of a JSON answer's fields: the model reads them as instructions too."""
    out = []
    for model in models:
        schema = model.model_json_schema()
        for node in [schema, *schema.get("$defs", {}).values()]:
            out += [p["description"] for p in node.get("properties", {}).values() if "description" in p]
    return out


@cache
def template_instructions(directory: Path) -> Instructions:
    """The fixed text of every prompt template (what no variable fills in), and the answers' field descriptions."""
    env = Environment()
    texts = []
    for path in sorted(directory.glob("*.j2")):
        tree = env.parse(path.read_text(encoding="utf-8"))
        texts += [node.data for node in tree.find_all(nodes.TemplateData)]
    return Instructions.of([*texts, *field_descriptions(Briefs, Metadata, StepAnswer, SummaryAnswer)])


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


RULES = (copied_instructions,)
