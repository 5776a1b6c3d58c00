"""What the voice reads in Japanese prose, with fugashi (MeCab + UniDic-lite): each sentence's final style from
its last words' part of speech and conjugation, how it opens, the connectives in it; the script it is written in;
whether a heading is numbered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pipeline.document import FOOTNOTE_MARK, Block, Kind
from pipeline.japanese import sentences, tagger
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
# A number followed by one of these counts something (`5つの…`, `3選`, `2026年…`, `2倍`): it numbers nothing.
COUNTERS = "年月日週つ個件選位回歳割倍分秒時人社名本枚点％%万億千百"
# The Latin labels a heading numbers itself with (`STEP 2`, `Part 3`, `Q1`); `GA4`, `Web3`, `iPhone15` name things.
LATIN_LABELS = frozenset(
    {"step", "steps", "part", "no", "q", "case", "point", "chapter", "phase", "day", "week", "lesson", "tip"}
    | {"tips", "section", "stage", "level", "round", "vol", "ep", "episode", "method", "idea", "rule", "check"}
)
# Numbered H2s, read after NFKC (full-width digits, letters, spaces, colons and brackets made plain). `_AFTER`:
# what may follow the number (a space, a colon, a bracket, the end), never a counter, a letter or a decimal.
_CIRCLED = re.compile(r"^\s*[\u2460-\u249b\u24eb-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]")  # ① ⑴ ⒈ ❶ ㉑
_AFTER = r"(?=$|[\s:)\]」』】、,・|/「『【(*_\-–—]|\.(?![0-9]))"
_DIGITS_FIRST = re.compile(rf"^\s*[0-9]+(?:[.)、,:](?![0-9])|\s+(?![\s0-9{COUNTERS}]))")  # 1. / 2) / 3、/ 4 …
_BRACKETED = re.compile(r"^\s*(?:\(\s*[0-9]+\s*\)|[\[【〔]\s*[0-9]+\s*[\]】〕])")  # (1) / [2] / 【3】
_ORDINAL = re.compile(rf"^\s*第\s*(?:[0-9]+|[一二三四五六七八九十百]+)[章節回部項条話弾]?{_AFTER}")  # 第3章 / 第一回
_LABELLED = re.compile(rf"^\s*(?:[ぁ-ゖァ-ヺー一-鿿々]{{1,6}}|(?P<latin>[A-Za-z]{{1,8}})\.?)\s*[0-9]+{_AFTER}")
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
    """Is a heading numbered: does it open with its place in the post's sequence? A number alone (`1. …`, `2) …`,
    `(3) …`, `①…`), an ordinal (`第2章…`), or a short label and a number (`方法1　…`, `視点2：…`, `ステップ3 …`,
    `ポイント4`, `STEP 2 …`), with a space, a full-width space, a colon or nothing after it. A number that counts
    (`5つのポイント`, `3選`, `2026年のAI活用`, `1.5倍…`) or stands in the heading's middle (`AI活用の3ステップ`) is
    not a numbering: it says how many, not where the section stands."""
    heading = heading.lstrip("*_ \t")  # `**方法1**　…`: the emphasis is no part of the number
    if _CIRCLED.match(heading):
        return True
    text = unicodedata.normalize("NFKC", heading)
    if _DIGITS_FIRST.match(text) or _BRACKETED.match(text) or _ORDINAL.match(text):
        return True
    labelled = _LABELLED.match(text)
    return labelled is not None and (labelled["latin"] is None or labelled["latin"].lower() in LATIN_LABELS)


def script_counts(text: str) -> tuple[int, int, int]:
    """Kanji, hiragana and katakana characters in `text`."""
    return len(_KANJI.findall(text)), len(_HIRAGANA.findall(text)), len(_KATAKANA.findall(text))
