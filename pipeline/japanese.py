"""What Japanese writes: the ideographs it uses, the scripts it does not, and whether a text is English.

Whether an ideograph is Japanese is asked of the cp932 codec (Windows' Shift_JIS, what Japanese web
text is written in), not of a list: an ideograph is Japanese when cp932 encodes it in the rows of
JIS X 0208 (lead bytes 0x81–0x84 for its symbols such as 仝, 0x88–0x9F and 0xE0–0xEA for its 6,355
kanji). JIS X 0213 was too wide a net: it holds simplified forms (运 reached a draft as 「运行具合」).
cp932's NEC and IBM extension kanji (lead bytes 0xED–0xEE and 0xFA–0xFC) are left out too: beside
name variants (髙 﨑 德) they hold 赶, the simplified form of 趕, and characters of Chinese given names
(昕 晗 珉). A site that needs a character outside JIS X 0208 (a name, a place) lists it in
`quality.extra_characters`. Letters of other scripts a multilingual model slips into (Hangul, Cyrillic,
Thai…) are foreign too. The gate (`quality/script.py`), the planner and the embedded model's decoding
mask (`llm/decoding.py`) all ask here; so does every reader of Japanese words and sentences (`tagger`,
`sentences`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache

import fugashi

from pipeline.document import Block

IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Hangul, Cyrillic, Arabic, Devanagari and Thai letters: no Japanese prose holds them.
OTHER_SCRIPT = re.compile(
    r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f]"
)
JAPANESE = re.compile(r"[ぁ-ゖァ-ヺー\u3400-\u4dbf\u4e00-\u9fff]")
# The one sentence of Japanese prose: up to its end marks or a line break; the marks after 。 belong to it (a
# footnote `[^1]`, a source marker `[S3]` or a link mark `[L2]` as models write them, brackets full-width too).
SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*(?:\[\^[^\]\s]+\]|[\[［【]\s*[SsLl]\s*\d+\s*[\]］】])*")
# A sentence of a source's text, which may be English: a period before a space or the line's end ends one too.
SOURCE_SENTENCE = re.compile(r"[^\n]+?(?:[。！？!?]+|\.(?=\s|$)|$)", re.MULTILINE)
_LATIN_WORDS = re.compile(r"[A-Za-z][A-Za-z'’\-]*(?:\s+[A-Za-z][A-Za-z'’\-]*)+")


@cache
def _in_jis_x_0208(char: str) -> bool:
    """Does cp932 encode `char` in the rows of JIS X 0208 (not in NEC's row 13 or the NEC and IBM extensions)?"""
    try:
        code = char.encode("cp932")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and (0x81 <= code[0] <= 0x84 or 0x88 <= code[0] <= 0x9F or 0xE0 <= code[0] <= 0xEA)


def is_japanese_ideograph(char: str, extra: str = "") -> bool:
    """An ideograph of JIS X 0208 as cp932 encodes it, or one of `extra` (the characters a site adds)."""
    return _in_jis_x_0208(char) or (bool(extra) and unicodedata.normalize("NFC", char) in normal_form(extra))


def normal_form(text: str) -> str:
    """`text` in NFC, as the characters a site adds are compared."""
    return unicodedata.normalize("NFC", text)


def foreign_characters(text: str, extra: str = "") -> list[str]:
    """The characters in `text` that Japanese does not use (`extra`: characters a site adds), in order, each
    once."""
    normal, allowed = normal_form(text), normal_form(extra)
    found = [ch for ch in IDEOGRAPH.findall(normal) if not is_japanese_ideograph(ch, allowed)]
    others = [ch for ch in OTHER_SCRIPT.findall(normal) if ch not in allowed]
    return list(dict.fromkeys([*found, *others]))


def is_english(text: str) -> bool:
    """Text with no Japanese in it, or two or more Latin words and fewer Japanese characters than Latin letters."""
    if not JAPANESE.search(text):
        return bool(re.search(r"[A-Za-z]", text))
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    return bool(_LATIN_WORDS.search(text)) and latin > len(JAPANESE.findall(text))


@cache
def tagger() -> fugashi.Tagger:
    """MeCab through fugashi with UniDic-lite, made once: every reader of Japanese words asks this one."""
    return fugashi.Tagger()


def sentences(block: Block) -> Iterator[str]:
    """The sentences of a block of prose, in order (the one sentence splitter of the gate and the voice)."""
    for match in SENTENCE.finditer(block.text):
        sentence = match.group(0).strip()
        if sentence:
            yield sentence
