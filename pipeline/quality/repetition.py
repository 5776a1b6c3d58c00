"""Repetition: a sentence said twice, a paragraph repeated in another section, sections that overlap.

Every finding names both places; the later one is where the finding sits (and what a
redraft rewrites). Sentences and paragraphs are compared as letters only (NFKC, no
punctuation or spaces): character bigrams for sentences, 3-grams for paragraphs and sections.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from pipeline.document import Block, Kind
from pipeline.japanese import sentences
from pipeline.quality.context import Check
from pipeline.quality.copying import letters
from pipeline.text import char_ngrams, jaccard
from pipeline.types import Finding

SENTENCE_MIN = 12  # letters: shorter sentences ("以上です。") may well recur
SENTENCE_NEAR = 0.8  # bigram Jaccard of two sentences that say the same thing
PARAGRAPH_MIN = 40
PARAGRAPH_NEAR = 0.6  # 3-gram Jaccard of two paragraphs in different sections
SECTION_MIN = 120
SECTION_OVERLAP = (
    0.12  # 3-gram Jaccard of two sections: a warning (the old generator's howTo steps against 実践ステップ: 0.13)
)


def place(block: Block) -> str:
    """Where a block stands, for a person: its line and heading."""
    return f"line {block.line} ({block.h3 or block.h2 or 'lead'})"


def place_ja(block: Block) -> str:
    return f"{block.line}行目（{block.h3 or block.h2 or '導入文'}）"


def _prose(c: Check) -> list[Block]:
    return [b for b in c.doc.prose if b.kind != Kind.STEP_LABEL]


def _section(block: Block) -> tuple[str | None, str | None]:
    return (block.h2, block.h3)


def _repeated_paragraphs(blocks: list[Block]) -> Iterator[tuple[Block, Block]]:
    shingles = {id(b): char_ngrams(letters(b.text), 3) for b in blocks}
    long = [b for b in blocks if len(letters(b.text)) >= PARAGRAPH_MIN]
    for first, later in itertools.combinations(long, 2):
        if _section(first) != _section(later) and jaccard(shingles[id(first)], shingles[id(later)]) >= PARAGRAPH_NEAR:
            yield first, later


def repeated(c: Check) -> list[Finding]:
    blocks = _prose(c)
    out = []
    flagged: set[int] = set()
    for first, later in _repeated_paragraphs(blocks):
        flagged.add(id(later))
        out.append(
            c.finding(
                "repetition.paragraph",
                "error",
                f"this paragraph repeats the one at {place(first)}",
                f"この段落は {place_ja(first)} の段落の繰り返しです",
                block=later,
                excerpt=later.text[:80],
                other=place_ja(first),
            )
        )
    seen: list[tuple[Block, str, set[str]]] = []
    for block in blocks:
        for sentence in sentences(block):
            key = letters(sentence)
            if len(key) < SENTENCE_MIN:
                continue
            bigrams = char_ngrams(key, 2)
            match = next((b for b, k, g in seen if k == key or jaccard(g, bigrams) >= SENTENCE_NEAR), None)
            if match is not None and id(block) not in flagged:
                out.append(
                    c.finding(
                        "repetition.sentence",
                        "error",
                        f"this sentence repeats one at {place(match)}: 「{sentence[:40]}」",
                        f"同じ内容の文が {place_ja(match)} にもあります:「{sentence[:40]}」",
                        block=block,
                        excerpt=sentence,
                        other=place_ja(match),
                    )
                )
            seen.append((block, key, bigrams))
    return out


def overlapping_sections(c: Check) -> list[Finding]:
    texts: dict[tuple[str | None, str | None], list[Block]] = {}
    for block in _prose(c):
        texts.setdefault(_section(block), []).append(block)
    shingles = {
        key: char_ngrams(letters("".join(b.text for b in found)), 3)
        for key, found in texts.items()
        if len(letters("".join(b.text for b in found))) >= SECTION_MIN
    }
    out = []
    keys = list(shingles)
    for n, later in enumerate(keys):
        # Each section is reported once, against the earlier section it overlaps most.
        scored = [(jaccard(shingles[first], shingles[later]), first) for first in keys[:n]]
        score, first = max(scored, key=lambda pair: pair[0], default=(0.0, None))
        if first is not None and score >= SECTION_OVERLAP:
            a, b = texts[first][0], texts[later][0]
            out.append(
                c.finding(
                    "repetition.sections",
                    "warning",
                    f"{score:.0%} of this section's wording is also at {place(a)}",
                    f"このセクションの言い回しの{score:.0%}が {place_ja(a)} と重なっています",
                    block=b,
                    other=place_ja(a),
                )
            )
    return out


RULES = (repeated, overlapping_sections)
