"""Foreign script: characters Japanese does not use (as `pipeline.japanese` defines them), Chinese punctuation,
English sentences in Japanese prose, English metadata, made-up tags."""

from __future__ import annotations

import re

from pipeline.japanese import JAPANESE, foreign_characters, is_english, sentences
from pipeline.quality.chinese import words
from pipeline.quality.context import Check
from pipeline.quality.reading import front_texts, scan, step_titles, unplaced, written
from pipeline.types import Finding

# Four or more Latin words in a row: a sentence, not a product name or an acronym.
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’\-]*(?:[ ,.;:]+[A-Za-z][A-Za-z'’\-]*){3,}")
# Full-width comma and semicolon: Japanese writes 、 and 。 (and uses neither mark).
_CHINESE_MARKS = re.compile(r"[，；]")
_COLON = "："
_WINDOW = 60  # characters either side of a colon that tell a label from a clause
_LABEL_START = re.compile(r"[。！？!?「『（(\n]|^\s*(?:[-*・]|\d+[.)])\s*")


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
        if not JAPANESE.search(rest):
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
        if not JAPANESE.search(block.text):
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
    front = c.doc.front
    if not front.tags:
        return []
    given = [*front.keywords, *front.categories]
    instinct = c.instincts.get(front.instinct)
    if instinct is not None:
        given += [instinct.name, *instinct.triggers]
    squash = "".join
    known_text = {squash(g.split()) for g in given}
    body = squash(b.text for b in c.doc.prose) + squash(h.text for h in c.doc.headings)
    out = []
    for tag in front.tags:
        if not tag.strip():
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
