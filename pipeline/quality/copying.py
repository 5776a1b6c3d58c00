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

A near copy is a prompt line with a letter or two changed (`主キーは「AI マーケティング 最新トレンド」を1回だけ含める`):
too short for the 4-gram share and the 12-letter run to see. The prompt lines are the templates' fixed text and
the templates rendered with what the post says of itself (its instinct, keywords and category), each line cut at
its 。; a sentence, step title, title, description or tag is a near copy of one when, compared as `letters`, at
most NEAR_EDITS letters (1 in a line of up to 11, 2 up to 23, 3 beyond) stand changed, added or left out
(difflib's opcodes). Lines of fewer than NEAR_MIN letters are labels, which the other rules read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, lru_cache
from pathlib import Path

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, TemplateError, nodes
from pydantic import BaseModel

from pipeline.document import Block, Kind
from pipeline.instincts import Instinct
from pipeline.japanese import sentences
from pipeline.paths import resource
from pipeline.quality.context import Check
from pipeline.quality.reading import unplaced
from pipeline.text import char_ngrams
from pipeline.types import Briefs, Finding, Metadata, StepAnswer, SummaryAnswer
from pipeline.writing.outline import STEPS_H2

GRAM = 4
SHARE = 0.6  # of a sentence's 4-grams found in the instructions
RUN = 12  # letters in a row shared with the prompts' fixed text: a copy, in any field
NEAR_MIN = 8  # letters: a shorter prompt line is a label
NEAR_EDITS = ((11, 1), (23, 2))  # (longest line, letters changed) for a near copy; 3 beyond
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
    texts += c.doc.front.keywords
    return frozenset(letters(t) for t in texts if letters(t))


FIELDS_JA = {"title": "タイトル", "description": "説明文（description）", "tags": "タグ"}


def field_of(block: Block) -> tuple[str, str]:
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


def _prose_sentences(c: Check) -> Iterator[tuple[Block, str]]:
    """Each sentence of the prose (step labels left out: their titles are read as the step headings)."""
    for block in c.doc.prose:
        if block.kind != Kind.STEP_LABEL:
            for sentence in sentences(block):
                yield block, sentence


def _front_texts(c: Check) -> list[tuple[str, str]]:
    """The title, the description and each tag, by their field's name."""
    front = c.doc.front
    named = [("title", front.title), ("description", front.description)] + [("tags", t) for t in front.tags]
    return [(name, value) for name, value in named if value]


def copied_runs(c: Check) -> list[Finding]:
    """Any field that shares RUN letters in a row with the prompts' fixed text or the instincts' text."""
    runs, material = fixed_runs(c.instincts.values()), _material(c)
    out = []
    for block, sentence in _prose_sentences(c):
        found = copied_runs_in(sentence, runs, material)
        if found:
            out.append(_run_finding(c, *field_of(block), found, sentence, block=block))
    for heading in c.doc.h3_under(STEPS_H2):
        found = copied_runs_in(heading.text, runs, material)
        if found:
            out.append(unplaced(_run_finding(c, *field_of(heading), found, heading.text, block=heading)))
    for name, value in _front_texts(c):
        found = copied_runs_in(value, runs, material)
        if found:
            out.append(_run_finding(c, f"`{name}`", FIELDS_JA[name], found, value[:80], line=1))
    return out


# --- near copies -----------------------------------------------------------------------------------


def _prompt_context(c: Check) -> tuple[str, ...]:
    """What its prompts were rendered with, as the post states it: (site name, instinct name, psychology, tone,
    triggers, keywords, category), the triggers and keywords joined by tabs, "" where the post says nothing."""
    front = c.doc.front
    instinct = c.instincts.get(front.instinct)
    own = (instinct.name, instinct.psychology, instinct.tone) if instinct else ("", "", "")
    return (c.settings.site.name, *own, "\t".join(instinct.triggers if instinct else []), "\t".join(front.keywords),
            (front.categories or [""])[0])  # fmt: skip


def _pieces(text: str) -> list[str]:
    """A prompt's lines, each cut at its 。, as letters (the long enough ones)."""
    out = []
    for line in text.splitlines():
        for piece in line.split("。"):
            normal = letters(piece)
            if len(normal) >= NEAR_MIN:
                out.append(normal)
    return out


@lru_cache(maxsize=64)
def prompt_lines(directory: Path, context: tuple[str, ...]) -> tuple[str, ...]:
    """Every line of the prompt templates, as fixed text and as rendered with `context` (see `_prompt_context`),
    as letters, each once."""
    site, name, psychology, tone, triggers, keywords, theme = context
    instinct = {
        "name": name,
        "psychology": psychology,
        "tone": tone,
        "triggers": triggers.split("\t") if triggers else [],
    }
    words = keywords.split("\t") if keywords else []
    brief = {"primary_keyword": words[0] if words else "", "keywords": words}
    env = Environment(
        loader=FileSystemLoader(directory), undefined=ChainableUndefined, trim_blocks=True, lstrip_blocks=True
    )
    texts = list(template_texts(directory)) + list(field_descriptions(Briefs, Metadata, StepAnswer, SummaryAnswer))
    variants = ({"index": 0, "pieces": 1, "piece": 0, "use_keyword": True},
                {"index": 4, "pieces": 2, "piece": 1, "use_keyword": False})  # fmt: skip
    for path in sorted(directory.glob("*.j2")):
        if path.name.startswith("_"):
            continue  # included by the others
        for variant in variants:
            values = {"site_name": site, "instinct": instinct, "brief": brief, "theme": theme, **variant}
            try:
                texts.append(env.get_template(path.name).render(**values))
            except (TemplateError, TypeError):
                continue  # a template that needs what the post does not say: its fixed text is there
    return tuple(dict.fromkeys(line for text in texts for line in _pieces(text)))


def _edits(a: str, b: str) -> int:
    """How many letters stand changed, added or left out between `a` and `b`."""
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _allowed(length: int) -> int:
    return next((edits for longest, edits in NEAR_EDITS if length <= longest), 3)


def near_copy_of(text: str, lines: Iterable[str]) -> tuple[str, int] | None:
    """The prompt line (as letters) that `text` copies with at most a few letters changed, and how many, if any."""
    normal = letters(text)
    if len(normal) < NEAR_MIN:
        return None
    for line in lines:
        allowed = _allowed(len(line))
        if abs(len(line) - len(normal)) > allowed:
            continue
        matcher = SequenceMatcher(None, normal, line, autojunk=False)
        if matcher.real_quick_ratio() < 0.75 or matcher.quick_ratio() < 0.75:
            continue
        edits = _edits(normal, line)
        if edits <= allowed:
            return line, edits
    return None


def _near_finding(c: Check, en: str, ja: str, text: str, edits: int, heading: bool, **where) -> Finding:
    if heading:
        what_en, what_ja = (
            "repeats a heading of the post, as its prompt lists them",
            "記事の見出し（プロンプトの見出し一覧）",
        )
    else:
        what_en, what_ja = "is a line of the prompts", "プロンプトの一文"
    changed_en = f" with {edits} letter(s) changed" if edits else ""
    changed_ja = f"を{edits}文字だけ変えて" if edits else "をそのまま"
    return c.finding(
        "integrity.near-copy",
        "error",
        f"{en} {what_en}{changed_en}: 「{text[:40]}」",
        f"{ja}が{what_ja}{changed_ja}写しています:「{text[:40]}」",
        excerpt=text,
        **where,
    )


_QUOTED = re.compile(r"\s*[「『][^「」『』]*[」』]\s*")


def near_copies(c: Check) -> list[Finding]:
    """Any field that copies a prompt line with a letter or two changed (exact copies are the other rules'); a line
    of prose that is one of the post's headings, which the prompts list (【記事全体の見出し】), copies one too."""
    lines = prompt_lines(resource("prompts"), _prompt_context(c))
    headings = tuple(dict.fromkeys(h for h in (letters(b.text) for b in c.doc.headings) if len(h) >= NEAR_MIN))
    instructions = template_instructions(resource("prompts"))
    runs, material = fixed_runs(c.instincts.values()), _material(c)
    own = {letters(k) for k in c.doc.front.keywords}

    def near(text: str, against: tuple[str, ...]) -> tuple[int, bool] | None:
        """(letters changed, whether the line copied is a heading), for a near copy no other rule names."""
        if letters(text) in own or instructions.copies(text) or copied_runs_in(text, runs, material):
            return None  # one of the post's keywords, or a copy the other rules name
        found = near_copy_of(text, against)
        return (found[1], found[0] in headings) if found else None

    out = []
    for block, sentence in _prose_sentences(c):
        if _QUOTED.fullmatch(sentence):
            continue  # a line that only quotes: garbage.quoted_fragments reads it
        if found := near(sentence, lines + headings):
            out.append(_near_finding(c, *field_of(block), sentence, *found, block=block))
    for heading in c.doc.h3_under(STEPS_H2):
        if found := near(heading.text, lines):
            out.append(unplaced(_near_finding(c, *field_of(heading), heading.text, *found, block=heading)))
    for name, value in _front_texts(c):
        if found := near(value, lines):
            out.append(_near_finding(c, f"`{name}`", FIELDS_JA[name], value, *found, line=1))
    return out


RULES = (copied_instructions, copied_runs, near_copies)
