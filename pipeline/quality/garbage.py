"""Garbage: what a small model leaves in prose that no writer would, runs of punctuation and ASCII fragments.

What counts, found in a reader's text (URLs, e-mail addresses and Liquid tags taken out first):
- JSON and markup debris: a brace or a backslash (`”}`, `}}`, `” }, {`), an escaped HTML tag (`<br>`), a
  Markdown heading inside a paragraph (`## …`), a quote run into JSON punctuation (`"],`);
- runs of dots beyond what Japanese writes: 「……」 and `...` are fine, `....`, 「………」, `・・・・`, 「。。」 are not;
- three or more ASCII punctuation marks in a row (`-->|`), but for `...`, `!?`-runs and closers (`%),` `)!`);
- ASCII fragments that are no word, acronym or product name: lower-case letters run into digits
  (`attoyo2018-0`), a code identifier (`aiHowTo`, `imageQueries`), a katakana word that ends in Latin
  letters (マーケeting, カution). Acronyms (SEO, B2B, GA4), names (ChatGPT, iPhone15), years, percentages
  and versions are not fragments.

And lines that are no sentence: a label (`script.stray-label`), an English step marker opening a line of prose
(`script.step-marker`: Step1.何をするかを…), a paragraph's line that only quotes a phrase
(`script.quoted-fragment`: 「学習本能の心理学的背景」).
"""

from __future__ import annotations

import re

from pipeline.document import Kind
from pipeline.quality.context import Check
from pipeline.quality.reading import scan, written
from pipeline.types import Finding

# Each pattern starts only where its run starts (a lookbehind), so that no text makes a search quadratic.
_SKIPPED = re.compile(
    r"(?:https?|ftp)://[^\s<>「」（）]+|www\.[^\s<>「」（）]+|(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
    r"|\{\{[^{}]*\}\}|\{%[^{}]*%\}"  # Liquid: markup.liquid's
)
_BRACE = re.compile(r"[{}\\]")  # a brace or a backslash: JSON or code, never prose
_JSONISH = frozenset(" \t\"'“”‘’,:[]{}\\")  # what stands around one in JSON debris (`” }, {`)
_DEBRIS = re.compile(
    r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>"  # an HTML tag, written as text
    r"|(?:^|\n)[ \t]*#{1,6}\s"  # a Markdown heading inside prose
    r"|[\"“”'’][ \t]*[,:\]\[]+|(?<![,:\[\]])[,:\[\]]+[ \t]*[\"“”]"  # a quote run into JSON punctuation
)
_DOTS = re.compile(r"\.{4,}|…{3,}|・{4,}|．{3,}|。{2,}|、{2,}")
_ASCII_MARKS = re.compile(r"[!-/:-@\[-`{-~]{3,}")
_FINE_MARKS = re.compile(r"\.\.\.|[!?]{1,3}|[%)\]]+[.,:;!?]?|\([^)]*\)[.,]?")
_ASCII_WORD = re.compile(r"(?<![A-Za-z0-9@#_])[A-Za-z0-9](?:[A-Za-z0-9_\-.]*[A-Za-z0-9])?")
_RUN_ON = re.compile(r"(?<![a-z])[a-z]{3,}[0-9]{2,}")  # attoyo2018: no name is written so
_IDENTIFIER = re.compile(r"[a-z]{2,}(?:[A-Z][a-z]+)+")  # aiHowTo, imageQueries (iPhone, eBay, macOS are not)
_KATAKANA_LATIN = re.compile(r"(?<![ァ-ヺー])[ァ-ヺー]+[a-z]+")  # マーケeting: a word cut between scripts


def _braces(text: str) -> list[tuple[int, int]]:
    """Each brace or backslash with the JSON punctuation around it, as one span."""
    spans: list[tuple[int, int]] = []
    for match in _BRACE.finditer(text):
        if spans and match.start() < spans[-1][1]:
            continue  # inside the span of the one before
        start, end = match.start(), match.end()
        while start > 0 and text[start - 1] in _JSONISH:
            start -= 1
        while end < len(text) and text[end] in _JSONISH:
            end += 1
        spans.append((start, end))
    return spans


def _spans(text: str) -> list[tuple[int, int]]:
    """Where garbage stands in `text`: (start, end) of each match."""
    clean = _SKIPPED.sub(lambda m: " " * len(m.group(0)), text)
    spans = _braces(clean) + [m.span() for p in (_DEBRIS, _DOTS, _KATAKANA_LATIN) for m in p.finditer(clean)]
    spans += [m.span() for m in _ASCII_MARKS.finditer(clean) if not _FINE_MARKS.fullmatch(m.group(0))]
    for match in _ASCII_WORD.finditer(clean):
        word = match.group(0)
        if not any(ch.isalpha() for ch in word):
            continue  # a number, a year, a version
        if (_RUN_ON.search(word) and not any(ch.isupper() for ch in word)) or _IDENTIFIER.fullmatch(word):
            spans.append(match.span())
    return spans


def garbage_in(text: str) -> list[str]:
    """The garbage in `text`, as it stands there (pieces that touch or overlap read as one), each once."""
    merged: list[list[int]] = []
    for start, end in sorted(_spans(text)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces = [text[start:end].strip() for start, end in merged]
    return list(dict.fromkeys(p for p in pieces if p))


def _finding(c: Check, pieces: list[str], excerpt: str, **where) -> Finding:
    listed = "」「".join(pieces)
    return c.finding(
        "script.garbage",
        "error",
        f"stray symbols or fragments no reader can read: 「{listed}」",
        f"意味をなさない記号や英数字の断片があります:「{listed}」",
        excerpt=excerpt,
        **where,
    )


def garbage(c: Check) -> list[Finding]:
    return scan(c, garbage_in, _finding, front=("title", "description", "tags"))


# A line of prose that is not a sentence: no sentence end, short. A small model echoes its prompt's scaffolding
# this way (タイトル, 導入文, 第1段落, 要点と例).
LABEL_CHARS = 20
_ENDS = tuple("。！？!?」』）)…")


def stray_lines_in(block_text: str) -> list[str]:
    """The lines of a paragraph that are labels, not sentences."""
    lines = [line.strip() for line in block_text.splitlines()]
    return [line for line in lines if line and len(line) <= LABEL_CHARS and not line.endswith(_ENDS)]


def stray_labels(c: Check) -> list[Finding]:
    out = []
    for block in written(c):
        if block.kind != Kind.PARAGRAPH:
            continue
        for line in stray_lines_in(block.text):
            out.append(
                c.finding(
                    "script.stray-label",
                    "error",
                    f"a line that is not a sentence (a label or a fragment): 「{line}」",
                    f"文になっていない行（ラベルや断片）があります:「{line}」",
                    block=block,
                    excerpt=line,
                )
            )
    return out


# An English step marker opening a line of Japanese prose: the model's own numbering (Step1.何をするかを…), where the
# post numbers its steps in headings (ステップ1: …).
_STEP_MARKER = re.compile(r"^[\s*_\-・]*(step\s*[0-9０-９]+\s*[.．。:：)）]?)", re.IGNORECASE)
_JAPANESE = re.compile(r"[ぁ-ゖァ-ヺ\u4e00-\u9fff]")


def step_markers(c: Check) -> list[Finding]:
    """Each line of Japanese prose (a paragraph's, a bullet's) that opens with Step1. / STEP 2: / Step3."""
    out = []
    for block in written(c):
        if not _JAPANESE.search(block.text):
            continue  # a line of English (a quote, a name list) is not Japanese prose
        for line in block.text.splitlines():
            if match := _STEP_MARKER.match(line):
                marker = match.group(1).strip()
                out.append(
                    c.finding(
                        "script.step-marker",
                        "error",
                        f"an English step marker opens a line of prose: 「{line.strip()[:40]}」",
                        f"本文の行が英語の手順番号「{marker}」で始まっています:「{line.strip()[:40]}」。"
                        "手順は文で書くか、「ステップ1」のように日本語で書いてください",
                        block=block,
                        excerpt=line.strip(),
                    )
                )
    return out


# A line of a paragraph that is nothing but a quote of a phrase (「学習本能の心理学的背景」): a fragment the model left
# standing, not a sentence. A quoted sentence (「…です。」), a quote the next line takes up (「…」\nそう考える人は…)
# and a list of quoted phrases (the voices of customers, as bullets) are not.
_QUOTE_LINE = re.compile(r"[「『]([^「」『』]+)[」』]")
_TAKEN_UP = ("と", "って", "そう", "こう", "そんな", "こんな", "このよう", "そのよう", "という", "といった", "――", "—")
_SENTENCE_END = tuple("。！？!?…")


def quoted_fragments_in(lines: list[str], after: str = "") -> list[str]:
    """The lines (of one paragraph) that only quote a phrase; `after`: the text of the paragraph that follows."""
    out = []
    for n, line in enumerate(lines):
        match = _QUOTE_LINE.fullmatch(line.strip())
        if match is None or match.group(1).strip().endswith(_SENTENCE_END):
            continue
        following = next((rest.strip() for rest in lines[n + 1 :] if rest.strip()), after.strip())
        if following.startswith(_TAKEN_UP):
            continue
        out.append(line.strip())
    return out


def quoted_fragments(c: Check) -> list[Finding]:
    """Each line of a paragraph that only quotes a phrase (bullets may: a list of customers' words)."""
    out = []
    blocks = c.doc.blocks
    for block in written(c):
        if block.kind != Kind.PARAGRAPH:
            continue
        follower = blocks[block.index + 1] if block.index + 1 < len(blocks) else None
        after = follower.text if follower is not None and follower.kind == Kind.PARAGRAPH else ""
        for line in quoted_fragments_in(block.text.splitlines(), after):
            out.append(
                c.finding(
                    "script.quoted-fragment",
                    "error",
                    f"a line that only quotes a phrase, no sentence: {line}",
                    f"かぎかっこで囲んだ語句だけの行があり、文になっていません: {line}",
                    block=block,
                    excerpt=line,
                )
            )
    return out


RULES = (garbage, stray_labels, step_markers, quoted_fragments)
