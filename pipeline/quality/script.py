"""Foreign script: characters Japanese does not use, Chinese punctuation, English sentences in Japanese prose,
English metadata, made-up tags.

Whether an ideograph is Japanese is asked of the cp932 codec (Windows' Shift_JIS, what Japanese web
text is written in), not of a list: an ideograph is Japanese when cp932 encodes it in the rows of
JIS X 0208 (lead bytes 0x81–0x84 for its symbols such as 仝, 0x88–0x9F and 0xE0–0xEA for its 6,355
kanji). JIS X 0213 was too wide a net: it holds simplified forms (运 reached a draft as 「运行具合」).
cp932's NEC and IBM extension kanji (lead bytes 0xED–0xEE and 0xFA–0xFC) are left out too: beside
name variants (髙 﨑 德) they hold 赶, the simplified form of 趕, and characters of Chinese given names
(昕 晗 珉). A site that needs a character outside JIS X 0208 (a name, a place) lists it in
`quality.extra_characters`; the embedded model's decoding mask reads the same setting. Letters of
other scripts a multilingual model slips into (Hangul, Cyrillic, Thai…) are foreign too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from pipeline.quality.chinese import words
from pipeline.quality.context import Check
from pipeline.quality.reading import front_texts, scan, step_titles, unplaced, written
from pipeline.quality.style import sentences
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
# Full-width comma and semicolon: Japanese writes 、 and 。 (and uses neither mark).
_CHINESE_MARKS = re.compile(r"[，；]")
_COLON = "："
_WINDOW = 60  # characters either side of a colon that tell a label from a clause
_LABEL_START = re.compile(r"[。！？!?「『（(\n]|^\s*(?:[-*・]|\d+[.)])\s*")


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
    return _in_jis_x_0208(char) or (bool(extra) and unicodedata.normalize("NFC", char) in _normal(extra))


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def foreign_characters(text: str, extra: str = "") -> list[str]:
    """The characters in `text` that Japanese does not use (`extra`: characters a site adds), in order, each
    once."""
    normal, allowed = _normal(text), _normal(extra)
    found = [ch for ch in _IDEOGRAPH.findall(normal) if not is_japanese_ideograph(ch, allowed)]
    others = [ch for ch in _OTHER_SCRIPT.findall(normal) if ch not in allowed]
    return list(dict.fromkeys([*found, *others]))


def is_english(text: str) -> bool:
    """Text with no Japanese in it, or two or more Latin words and fewer Japanese characters than Latin letters."""
    if not _JAPANESE.search(text):
        return bool(re.search(r"[A-Za-z]", text))
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    return bool(_LATIN_WORDS.search(text)) and latin > len(_JAPANESE.findall(text))


def _extra(c: Check) -> str:
    return c.settings.quality.extra_characters


def ideographs_in_prose(c: Check) -> list[Finding]:
    """Each sentence with a character Japanese does not use (the sentence, so that the last cut can take it)."""
    out = []
    for block in written(c):
        for sentence in sentences(block):
            chars = foreign_characters(sentence, _extra(c))
            if chars:
                listed = "".join(chars)
                out.append(
                    c.finding(
                        "script.foreign-character",
                        "error",
                        f"characters Japanese does not use: {listed}",
                        f"日本語で使わない文字（簡体字やハングルなど）があります: {listed}",
                        block=block,
                        excerpt=sentence,
                    )
                )
    for heading in step_titles(c):
        chars = foreign_characters(heading.text, _extra(c))
        if chars:
            listed = "".join(chars)
            en, ja = (
                f"a step title has characters Japanese does not use: {listed}",
                f"ステップの見出しに日本語で使わない文字: {listed}",
            )
            out.append(unplaced(c.finding("script.foreign-character", "error", en, ja, block=heading)))
    return out


def chinese_punctuation_in(text: str) -> list[str]:
    """The Chinese punctuation in `text`: ，and ；, and a full-width colon that joins clauses as a comma would:
    after a verb, a particle or a 読点 with Japanese text after it on its line. A colon after a label or a
    title's main part (「ステップ1：」「注意点：」「…5選：副題」) is Japanese, and so is one that ends its line."""
    found = _CHINESE_MARKS.findall(text)
    for match in re.finditer(_COLON, text):
        rest = text[match.end() : match.end() + _WINDOW].split("\n", 1)[0]
        if not _JAPANESE.search(rest):
            continue  # it ends its line, or leads into Latin text: a label or a list's introduction
        line = text[max(match.start() - _WINDOW, 0) : match.start()]
        starts = list(_LABEL_START.finditer(line))
        before = (line[starts[-1].end() :] if starts else line).strip()
        tokens = [w for w in words(before) if w.pos1 not in ("補助記号", "空白")] if before else []
        clause = bool(tokens) and tokens[-1].pos1 not in ("名詞", "接尾辞", "記号")
        if clause or re.search(r"[、，,]", before):
            found.append(_COLON)
    return list(dict.fromkeys(found))


def _punctuation_finding(c: Check, marks: list[str], excerpt: str, **where) -> Finding:
    listed = " ".join(marks)
    return c.finding(
        "script.chinese-punctuation",
        "error",
        f"Chinese punctuation ({listed}) in Japanese text: 「{excerpt[:30]}」",
        f"中国語の句読点（{listed}）が使われています:「{excerpt[:30]}」。日本語では「、」「。」で区切ってください",
        excerpt=excerpt,
        **where,
    )


def chinese_punctuation(c: Check) -> list[Finding]:
    return scan(c, chinese_punctuation_in, _punctuation_finding, front=("title", "description", "tags"))


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
    out = []
    for name, value in front_texts(c):  # missing or empty: the front-matter rules say so
        chars = foreign_characters(value, _extra(c))
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


def _known_words(text: str) -> tuple[bool, bool]:
    """(whether `text` has a word at all, whether the dictionary knows one of its words or it holds Latin)."""
    found = [w for w in words(text) if w.pos1 not in ("補助記号", "空白", "記号") and not w.surface.isdigit()]
    if not found:
        return False, False
    known = any(not w.unknown or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+&\-]*", w.surface) for w in found)
    return True, known


def made_up_tags(c: Check) -> list[Finding]:
    """A tag none of whose words the dictionary knows is a word the model made up (マーグーマイズ); a Latin word
    (AI, SNS), one of the post's keywords, its category, its instinct's words, or a word the post itself uses
    (a new loanword such as ゲーミフィケーション, which the dictionary lacks) is not."""
    front = c.doc.front.fields
    tags = front.get("tags")
    if not isinstance(tags, list):
        return []
    given = [v for key in ("seo_keywords", "categories") if isinstance(front.get(key), list) for v in front[key]]
    instinct = c.instincts.get(str(front.get("instinct")))
    if instinct is not None:
        given += [instinct.name, *instinct.triggers]
    squash = "".join
    known_text = {squash(str(g).split()) for g in given}
    body = squash(b.text for b in c.doc.prose) + squash(h.text for h in c.doc.headings)
    out = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            continue
        compact = squash(tag.split())
        has_words, known = _known_words(tag)
        if not has_words or known or compact in known_text or compact in squash(body.split()):
            continue
        out.append(
            c.finding(
                "script.made-up-tag",
                "error",
                f"the tag 「{tag}」 is no word the dictionary knows, nor one the post uses",
                f"タグ「{tag}」は辞書にない語で、本文にも出てきません（造語の可能性があります）",
                line=1,
                excerpt=tag,
            )
        )
    return out


RULES = (ideographs_in_prose, chinese_punctuation, latin_sentences, metadata, made_up_tags)
