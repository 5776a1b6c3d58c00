"""Passages and their index: sources cut into passages on sentence ends, ranked with BM25 over fugashi tokens.

bm25s does the ranking (sparse matrices, a maintained library); MeCab (fugashi + UniDic-lite)
cuts Japanese into words, since it has no spaces to split on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import bm25s
import numpy as np

from pipeline.japanese import SOURCE_SENTENCE, tagger
from pipeline.types import Passage, Source

# Words that carry no meaning of their own: particles, auxiliaries, punctuation, spaces.
_FUNCTION = ("助詞", "助動詞", "補助記号", "記号", "空白")


def split_passages(text: str, target: int) -> list[str]:
    """Passages of about `target` characters, each ending at a sentence end (a paragraph may end one early)."""
    passages: list[str] = []
    current = ""

    def joined(a: str, b: str) -> str:
        return a + b if not a or a.endswith(("。", "！", "？")) else f"{a} {b}"

    for paragraph in re.split(r"\n\s*\n", text):
        for match in SOURCE_SENTENCE.finditer(paragraph):
            sentence = " ".join(match.group(0).split())
            if sentence:
                current = joined(current, sentence)
            if len(current) >= target:
                passages.append(current)
                current = ""
        if len(current) >= target / 2:
            passages.append(current)
            current = ""
    if current:
        if passages and len(current) < target / 3:
            passages[-1] = joined(passages[-1], current)
        else:
            passages.append(current)
    return passages


def tokens(text: str) -> list[str]:
    """The content words of `text`, normalised (NFKC, lower case).

    MeCab's own output is read (surface, then UniDic's fields, the part of speech fifth as `名詞-普通名詞-一般`):
    twice as fast as asking each node for its features, which matters for a site of a thousand posts."""
    out = []
    for line in tagger().parse(unicodedata.normalize("NFKC", text).lower()).split("\n"):
        fields = line.split("\t")
        if len(fields) < 5:
            continue
        if fields[4].split("-", 1)[0] not in _FUNCTION and fields[0].strip():
            out.append(fields[0])
    return out


class PassageIndex:
    """Every passage of a post's sources, and a BM25 ranking over them."""

    def __init__(self, sources: Iterable[Source], target_chars: int) -> None:
        self.passages: list[Passage] = []
        for source in sources:
            for text in split_passages(source.text, target_chars):
                self.passages.append(Passage(id=f"S{len(self.passages) + 1}", source=source.id, text=text))
        self.bm25: bm25s.BM25 | None = None

    @classmethod
    def of(cls, passages: list[Passage]) -> PassageIndex:
        """An index over passages already cut (their ids kept)."""
        index = cls([], 0)
        index.passages = list(passages)
        return index

    def build(self) -> PassageIndex:
        """Tokenise and index every passage (the slow part: run it beside the plan call)."""
        if self.passages:
            self.bm25 = bm25s.BM25()
            self.bm25.index([tokens(p.text) or ["∅"] for p in self.passages], show_progress=False)
        return self

    def top(self, query: str, k: int, budget_chars: int) -> list[Passage]:
        """The passages that best match `query`, best first: at most `k`, within `budget_chars`."""
        if self.bm25 is None or k <= 0:
            return []
        words = tokens(query)
        if not words:
            return []
        k = min(k, len(self.passages))
        found, scores = self.bm25.retrieve([words], k=k, show_progress=False)
        chosen, used = [], 0
        for number, score in zip(np.ravel(found), np.ravel(scores), strict=True):
            passage = self.passages[int(number)]
            if score <= 0 or used + len(passage.text) > budget_chars:
                continue
            chosen.append(passage)
            used += len(passage.text)
        return chosen
