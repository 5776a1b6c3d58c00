"""Prompt scaffolding standing as content: the words with which genpost's prompts name the parts of the task
(導入文, 見出し, 要点, 本文, 担当…), written where a reader expects the post's own words.

The vocabulary is the prompts': their bracketed labels (【担当】, 【記事全体の見出し】), the answers' field names
(summary, closing…) and the words they use for a post's parts, each kept only while `prompts/*.j2` holds it. A text
is scaffolding when:
- nothing is left of it but those words and what joins them (タイトルと導入文, 【担当】（導入文）, 見出し1), in the
  title, the description, a tag, a heading or a sentence of prose;
- it opens with the brief's or the role's label, 要点 or 担当, and a colon or a bracket (要点(…), 担当（…）);
- it quotes one of the prompts' bracketed labels of two words or more (「この記事全体の見出し」に注意してください);
- it is an instruction's count with no verb or adjective in it (このステップの概要を1〜2文で。 実行内容を2〜4項目。
  全体で約260字。): a range of sentences, items or characters, or 約N字 / N字以内, ending the sentence.
A sentence that mentions 見出し among other words (見出しを工夫すると、読者は迷わず読み進められます) is none of
these, and a sentence that `integrity.copied-instruction` already names is left to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pipeline.japanese import sentences
from pipeline.paths import resource
from pipeline.quality.chinese import words
from pipeline.quality.context import Check
from pipeline.quality.copying import FIELDS_JA, field_descriptions, field_of, template_instructions, template_texts
from pipeline.quality.reading import front_texts, unplaced, written
from pipeline.types import Briefs, Finding, Metadata, StepAnswer, SummaryAnswer
from pipeline.writing.outline import STEPS_H2

# The words the prompts use for a post's parts and for the task (kept only while a template holds them).
PART_WORDS = (
    "導入文", "小見出し", "見出し記号", "見出し", "本文", "要点", "担当", "段落", "タイトル", "説明文",
    "箇条書き記号", "箇条書き", "主キーワード", "関連キーワード", "文字数", "冒頭", "締めくくり", "一文",
)  # fmt: skip
OPENING_LABELS = ("要点", "担当")  # the brief's and the role's labels: no writer opens a sentence with them
_JOINERS = re.compile(r"[\s0-9と・やの、。,.:：;；/／|()（）「」『』【】\[\]#*＊\-–—~〜+＆&]|および|及び|この|その")
_OPENING = re.compile(r"^\s*(?:[-*・]\s*)?(?:\*\*)?(" + "|".join(OPENING_LABELS) + r")(?:\*\*)?\s*[:：(（【「]")
_QUOTE = re.compile(r"[「『]([^「」『』]+)[」』]")
_BRACKET = re.compile(r"【([^】]{2,20})】")
_RANGE = r"(?<!\d)\d+\s*[〜~～\-－]\s*\d+"  # each run of digits tried once, from its start
_COUNT = re.compile(
    rf"(?:{_RANGE}\s*(?:個|个|つ)?\s*(?:項目|项目|項|项|文字|文|字|個|个|つ)"
    r"|約\s*\d+\s*(?:文字|字)|(?<!\d)\d+\s*(?:文字|字)(?:以内|程度|前後))"
    r"\s*(?:で|程度|前後|以内|まで)?\s*[。.．!！]?$"
)
_PREDICATES = ("動詞", "形容詞")
_STEP_PREFIX = re.compile(r"^\s*(?:実践)?ステップ\s*\d+\s*[:：]\s*")  # the assembler's, before a step's title


@cache
def vocabulary(directory: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(every scaffolding word, the bracketed labels of two words or more), read from the templates in
    `directory`: the part words they hold, their 【】 labels and the JSON answers' field names."""
    text = "\n".join(template_texts(directory))
    labels = {_normal(label) for label in _BRACKET.findall(text)}
    fields = {name for model in (Briefs, Metadata, StepAnswer, SummaryAnswer) for name in model.model_fields}
    described = "\n".join(field_descriptions(Briefs, Metadata, StepAnswer, SummaryAnswer))
    parts = {w for w in PART_WORDS if w in text or w in described}
    phrases = frozenset(label for label in labels if len(words(label)) >= 2)
    return frozenset({*parts, *labels, *(f.lower() for f in fields if len(f) > 3)}), phrases


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def only_scaffolding(text: str, vocab: Iterable[str]) -> bool:
    """Is nothing left of `text` but scaffolding words (one at least) and what joins them?"""
    rest = _normal(text)
    found = False
    for word in sorted(vocab, key=len, reverse=True):
        if word in rest:
            found = True
            rest = rest.replace(word, " ")
    return found and not _JOINERS.sub("", rest)


def _count_instruction(sentence: str) -> str | None:
    """The count that ends a verbless instruction (1〜2文で, 2〜4項目, 約260字), if the sentence is one."""
    normal = unicodedata.normalize("NFKC", sentence).strip()
    match = _COUNT.search(normal)
    if match is None or any(w.pos1 in _PREDICATES for w in words(normal)):
        return None
    return match.group(0).rstrip("。.．!！ ")


def scaffolding_in(text: str, directory: Path | None = None) -> tuple[str, str] | None:
    """Why `text` is the prompts' scaffolding, (English, Japanese), or None."""
    vocab, phrases = vocabulary(directory or resource("prompts"))
    if only_scaffolding(text, vocab):
        return (
            "nothing but the prompts' names for a post's parts",
            "プロンプトが記事の部分を呼ぶ名前だけで、内容がありません",
        )
    if match := _OPENING.match(text):
        label = match.group(1)
        return f"it opens with the prompts' label {label}", f"プロンプトのラベル「{label}」で始まっています"
    for quoted in _QUOTE.findall(text):
        inner = re.sub(r"^(?:この|その|#+)\s*", "", _normal(quoted))
        if inner in phrases:
            return f"it quotes the prompts' label 【{inner}】", f"プロンプトの見出し「{inner}」を引用しています"
    if count := _count_instruction(text):
        return f"an instruction's count ({count})", f"字数や項目数の指示（{count}）です"
    return None


def _finding(c: Check, en: str, ja: str, text: str, why: tuple[str, str], **where) -> Finding:
    return c.finding(
        "integrity.scaffolding",
        "error",
        f"{en} is the prompts' scaffolding, not content ({why[0]}): 「{text[:40]}」",
        f"{ja}がプロンプトの枠組みのまま書かれています（{why[1]}）:「{text[:40]}」",
        excerpt=text,
        **where,
    )


_HEADING = ("a heading", "見出し")  # a heading the assembler writes (a step's is the plan's: `field_of`)


def scaffolding(c: Check) -> list[Finding]:
    """Scaffolding in any field: the title, description and tags, every heading, each sentence of prose."""
    copies = template_instructions(resource("prompts")).copies
    out = []
    for block in written(c):
        en, ja = field_of(block)
        for sentence in sentences(block):
            if (why := scaffolding_in(sentence)) and not copies(sentence):
                out.append(_finding(c, en, ja, sentence, why, block=block))
    steps = {h.index for h in c.doc.h3_under(STEPS_H2)}
    for heading in c.doc.headings:
        if why := scaffolding_in(_STEP_PREFIX.sub("", heading.text)):
            en, ja = field_of(heading) if heading.index in steps else _HEADING
            out.append(unplaced(_finding(c, en, ja, heading.text, why, block=heading)))
    for name, value in front_texts(c):
        if why := scaffolding_in(value):
            out.append(_finding(c, f"`{name}`", FIELDS_JA[name], value, why, line=1))
    return out


RULES = (scaffolding,)
