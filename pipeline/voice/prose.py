"""What the voice reads in Japanese prose, with fugashi (MeCab + UniDic-lite): each sentence's final style from
its last words' part of speech and conjugation, how it opens, the connectives in it; the script it is written in;
whether a heading is numbered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pipeline.document import FOOTNOTE_MARK, Block, Kind
from pipeline.text import char_count

POLITE, PLAIN = "polite", "plain"
# How an editor names each style (voice.yml's `style.main`, findings, prompts).
STYLE_NAMES = {POLITE: "です・ます", PLAIN: "である"}
MIXED = "混在"
_SYMBOLS = ("補助記号", "記号", "空白")
_OPENING_WORDS = ("接続詞", "副詞", "連体詞", "感動詞")  # a word that opens a sentence for its own sake
_PLAIN_FORMS = ("終止形", "意志推量形", "命令形")
# Phrases that join a sentence to the one before although the tagger does not call them conjunctions.
CONNECTIVE_PHRASES = frozenset(
    {"だから", "ですから", "ところが", "それでも", "加えて", "要するに", "逆に", "つまり", "したがって", "とはいえ"}
    | {"では", "例えば", "その結果", "そのため", "結果として", "言い換えれば", "むしろ"}
)
_SENTENCE_END = ("。", "！", "？", "!", "?")
# `## 1. はじめに`, `## ２）…`, `## ① …`, `## 第3章 …`, `## STEP 2 …`; never `## 2025年版…` or `## 5つの…`.
_NUMBERED = re.compile(
    r"^\s*(?:[0-9０-９]+\s*[.．、:：)）]|[0-9０-９]+\s+|[①-⑳]|第[0-9０-９一二三四五六七八九十]+[章節回部]?|"
    r"(?:STEP|Step|step|ステップ)\s*[0-9０-９]+)"
)
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KATAKANA = re.compile(r"[\u30a0-\u30ff\u31f0-\u31ff]")


@dataclass(frozen=True)
class Sentence:
    """One sentence of running prose as the voice reads it."""

    text: str
    length: int  # characters a reader reads (no footnote marks, no spaces)
    style: str | None  # POLITE, PLAIN, or None (a noun, a particle, a quotation ends it)
    opener: str | None  # the words it opens with, when they open it for their own sake (まず, 実際, この …)
    connectives: tuple[str, ...]  # the conjunctions in it (しかし, また, つまり …)


@dataclass(frozen=True)
class Word:
    """A word as the tagger read it: its surface and its UniDic features (pos1, cType, cForm, lemma …)."""

    surface: str
    feature: Any


def read_sentence(text: str) -> Sentence:
    """A sentence read once with the tagger: its final style, its opener and its connectives."""
    from pipeline.quality.style import tagger  # not at import: the quality package's voice rules import this module

    bare = FOOTNOTE_MARK.sub("", text).strip()
    tagged = ((w.surface, w.feature) for w in tagger()(bare))  # each feature read once: reading it builds it
    words = [Word(surface, feature) for surface, feature in tagged if feature.pos1 not in _SYMBOLS]
    opener = _opener(bare, words)
    connectives = [w.surface for w in words if w.feature.pos1 == "接続詞"]
    if opener in CONNECTIVE_PHRASES and opener not in connectives:
        connectives.insert(0, opener)
    style = _style(words) if bare.endswith(_SENTENCE_END) else None
    return Sentence(bare, char_count(bare), style, opener, tuple(connectives))


def _style(words: list[Word]) -> str | None:
    """です・ます when です or ます (or ください) closes the sentence; である when a verb, an adjective or an
    auxiliary closes it in its plain form (だ, である, した, する, ない …); None when a noun or a particle does."""
    while words and words[-1].feature.pos2 == "終助詞":  # か, よ, ね
        words = words[:-1]
    if not words:
        return None
    if any(w.feature.pos1 == "助動詞" and w.feature.lemma in ("です", "ます") for w in words[-3:]):
        return POLITE
    last = words[-1]
    form = last.feature.cForm or ""
    if last.feature.lemma == "下さる" and form.startswith("命令形"):
        return POLITE
    if (last.feature.cType or "*") != "*" and form.startswith(_PLAIN_FORMS):  # a verb, adjective, auxiliary, suffix
        return PLAIN
    return None


def _opener(text: str, words: list[Word]) -> str | None:
    """`実際、…` → 実際; `まず…` → まず; `この方法は…` → この; a noun subject (`顧客は、…`) opens nothing."""
    comma = text.find("、", 0, 7)
    if comma > 0 and words:
        head = text[:comma]
        first = words[0].feature
        adverbial = first.pos1 == "名詞" and first.pos3 == "副詞可能"  # 実際、一方、結果
        if head in CONNECTIVE_PHRASES or first.pos1 in _OPENING_WORDS or adverbial:
            return head
        if first.pos1 == "名詞" and head.endswith(("に", "で")) and len(head) <= 4:  # 実際に、一方で
            return head
    if words and words[0].feature.pos1 in _OPENING_WORDS:
        return words[0].surface
    return None


def block_sentences(block: Block) -> Iterator[Sentence]:
    """The sentences of any block of prose, read."""
    from pipeline.quality.style import sentences

    for text in sentences(block):
        sentence = read_sentence(text)
        if sentence.length:
            yield sentence


def prose_sentences(block: Block) -> Iterator[Sentence]:
    """The sentences of a paragraph, read (list items are fragments and stay out of the voice's figures)."""
    if block.kind == Kind.PARAGRAPH:
        yield from block_sentences(block)


def paragraph_chars(block: Block) -> int:
    return char_count(FOOTNOTE_MARK.sub("", block.text))


def numbered(heading: str) -> bool:
    """Is a heading numbered (`1. …`, `①…`, `第2章…`)? A year or a count (`2026年…`, `5つの…`) is not."""
    return bool(_NUMBERED.match(heading))


def script_counts(text: str) -> tuple[int, int, int]:
    """Kanji, hiragana and katakana characters in `text`."""
    return len(_KANJI.findall(text)), len(_HIRAGANA.findall(text)), len(_KATAKANA.findall(text))
