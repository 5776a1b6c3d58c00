"""Foreign script: characters Japanese does not use, English sentences in Japanese prose, English metadata.

Whether an ideograph is Japanese is asked of the JIS X 0213 codec (`euc_jis_2004`), not of
a list: simplified Chinese forms such as 习 or 们 are outside it. Letters of other scripts
a multilingual model slips into (Hangul, Cyrillic, Thai…) are foreign too.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.quality.context import Check
from pipeline.types import Finding

_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Hangul, Cyrillic, Arabic, Devanagari and Thai letters: no Japanese prose holds them.
_OTHER_SCRIPT = re.compile(
    r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f]"
)
_JAPANESE = re.compile(r"[ぁ-ゖァ-ヺー\u3400-\u4dbf\u4e00-\u9fff]")
# Four or more Latin words in a row: a sentence, not a product name or an acronym.
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’\-]*(?:[ ,.;:]+[A-Za-z][A-Za-z'’\-]*){3,}")
_LATIN_WORDS = re.compile(r"[A-Za-z][A-Za-z'’\-]*(?:\s+[A-Za-z][A-Za-z'’\-]*)+")


def is_japanese_ideograph(char: str) -> bool:
    """An ideograph of JIS X 0213 (the characters Japanese text uses)."""
    try:
        char.encode("euc_jis_2004")
    except UnicodeEncodeError:
        return False
    return True


def foreign_characters(text: str) -> list[str]:
    """The characters in `text` that Japanese does not use, in order, each once."""
    normal = unicodedata.normalize("NFC", text)
    found = [ch for ch in _IDEOGRAPH.findall(normal) if not is_japanese_ideograph(ch)]
    return list(dict.fromkeys([*found, *_OTHER_SCRIPT.findall(normal)]))


def is_english(text: str) -> bool:
    """Text with no Japanese in it, or two or more Latin words and fewer Japanese characters than Latin letters."""
    if not _JAPANESE.search(text):
        return bool(re.search(r"[A-Za-z]", text))
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    return bool(_LATIN_WORDS.search(text)) and latin > len(_JAPANESE.findall(text))


def ideographs_in_prose(c: Check) -> list[Finding]:
    out = []
    for block in c.doc.prose:
        chars = foreign_characters(block.text)
        if chars:
            listed = "".join(chars)
            out.append(
                c.finding(
                    "script.foreign-character",
                    "error",
                    f"characters Japanese does not use: {listed}",
                    f"日本語で使わない文字（簡体字やハングルなど）があります: {listed}",
                    block=block,
                    excerpt=block.text[:60],
                )
            )
    return out


def latin_sentences(c: Check) -> list[Finding]:
    out = []
    for block in c.doc.prose:
        if not _JAPANESE.search(block.text):
            continue  # a line of code or a name list is not Japanese prose
        for match in _LATIN_RUN.finditer(block.text):
            run = match.group(0)
            out.append(
                c.finding(
                    "script.latin-sentence",
                    "error",
                    f"an English sentence in Japanese prose: 「{run[:40]}」",
                    f"日本語の本文に英語の文があります:「{run[:40]}」",
                    block=block,
                    excerpt=run[:80],
                )
            )
    return out


def metadata(c: Check) -> list[Finding]:
    """The title, description and tags are for Japanese readers: no English, no foreign ideographs."""
    front = c.doc.front.fields
    out = []
    fields = [("title", front.get("title")), ("description", front.get("description"))]
    tags = front.get("tags")
    fields += [("tags", tag) for tag in tags] if isinstance(tags, list) else []
    for name, value in fields:
        if not isinstance(value, str) or not value.strip():
            continue  # missing or empty: the front-matter rules say so
        chars = foreign_characters(value)
        if chars:
            listed = "".join(chars)
            en, ja = (
                f"`{name}` has ideographs Japanese does not use: {listed}",
                f"{name} に日本語で使わない漢字: {listed}",
            )
            out.append(c.finding("script.foreign-character", "error", en, ja, line=1, excerpt=value[:80]))
        if is_english(value) and not (name == "tags" and " " not in value.strip()):
            en, ja = f"`{name}` is English: 「{value[:40]}」", f"{name} が英語です:「{value[:40]}」"
            out.append(c.finding("script.english-metadata", "error", en, ja, line=1, excerpt=value[:80]))
    return out


RULES = (ideographs_in_prose, latin_sentences, metadata)
