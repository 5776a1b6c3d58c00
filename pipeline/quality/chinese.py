"""Chinese written in glyphs Japanese also uses: word patterns a Japanese tokenizer cannot read.

A small multilingual model slips into Chinese with characters that pass the JIS check
(自動化和効率的な使用, 市場分析的スキル提升, 衡量和改善要点, 特定的需求). Each pattern is read from
MeCab's tokens (fugashi with UniDic-lite), never from a list of characters, so the Japanese words that
hold the same characters (目的, 的確, 知的財産, 平和, 和食, 調和, 総和) stay what the dictionary says:

- fragments: two or more ideograph tokens in a row that are each an unknown word or a lone ideograph the
  dictionary reads as a bare noun (提升 → 提 + 升, 需求 → 需 + 求, 很重要 → 很 + 重要);
- 的 as Chinese uses it: after a word Japanese makes no 的-adjective of (重要的), or straight before a noun
  with no な when the noun is Chinese fragments (特定的需求) or when 的 follows a compound of two nouns
  (市場分析的スキル); Japanese forms 的 on one word (社会的責任, 心理学的背景, 明示的レジスタ);
- 和 (or 与, 與) standing alone between two nouns as "and" (衡量和改善, 測定与改善);
- 非常 straight before an adjective, as Chinese "very" (非常重要; Japanese writes 非常に);
- Chinese function words, a closed class that a list can name (首先, 其次, 因此, 但是, 我们, 然后, 虽然, 可是…),
  where the tokens start and end with them: 許可是非 and 但し是非 hold 可是 and 但是 across words and pass. 所以 is
  Chinese only opening a clause (Japanese 所以 is a noun: その所以は), 如何 only straight before a noun (如何使用;
  Japanese 如何に, 如何なる).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.japanese import tagger
from pipeline.quality.context import Check
from pipeline.quality.reading import scan
from pipeline.types import Finding

_IDEOGRAPHS = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+$")
_CONJUNCTIONS = frozenset("和与與")  # "and" in Chinese; alone between nouns never Japanese
_NOUNISH = ("名詞", "接尾辞", "接頭辞", "形状詞")
CHUNK = 1000  # characters tokenized at a time
# Chinese conjunctions, adverbs and pronouns no Japanese sentence uses (首先 and 如果 are in UniDic, as rare nouns).
FUNCTION_WORDS = (
    "首先", "其次", "因此", "但是", "我们", "我們", "他们", "她们", "它们", "然后", "虽然", "雖然", "可是", "而且",
    "并且", "如果", "因为", "因為", "由于", "于是", "最后", "而是", "这个", "这些", "这样", "那么", "什么", "怎么",
    "还是", "已经", "总之", "所以", "如何",
)  # fmt: skip
_OPENING_ONLY = frozenset({"所以"})  # Japanese too, as a noun (その所以は): Chinese when it opens a clause
_BEFORE_NOUN_ONLY = frozenset({"如何"})  # Japanese too (如何に, 如何なる): Chinese straight before a noun


@dataclass(frozen=True)
class Word:
    """One token as MeCab reads it: what the rules need of it."""

    surface: str
    pos1: str
    pos2: str
    pos3: str
    lemma: str  # the dictionary form ("" for an unknown word)
    unknown: bool

    @property
    def ideographic(self) -> bool:
        return bool(_IDEOGRAPHS.match(self.surface))

    @property
    def noun(self) -> bool:
        return self.pos1 == "名詞" or self.unknown


@lru_cache(maxsize=8192)
def words(text: str) -> tuple[Word, ...]:
    """`text` tokenized (cached: several rules read the same sentences), CHUNK characters at a time: MeCab takes
    quadratic time over a long run of one kind of character, which no sentence a reader reads holds."""
    out = []
    for start in range(0, len(text), CHUNK):
        for node in tagger()(text[start : start + CHUNK]):
            feature = node.feature
            lemma = feature.lemma if isinstance(feature.lemma, str) and not node.is_unk else ""
            out.append(Word(node.surface, feature.pos1, feature.pos2, feature.pos3, lemma, bool(node.is_unk)))
    return tuple(out)


def _fragment(word: Word) -> bool:
    """A Chinese word cut up by a Japanese tokenizer: unknown ideographs, or one ideograph read as a bare noun."""
    if not word.ideographic:
        return False
    if word.unknown:
        return True
    return len(word.surface) == 1 and (word.pos1, word.pos2, word.pos3) == ("名詞", "普通名詞", "一般")


def _fragment_runs(found: tuple[Word, ...]) -> list[tuple[int, int]]:
    """(start, end) of each run of ideograph tokens that reads as Chinese."""
    runs = []
    n = 0
    while n < len(found):
        end = n
        while end < len(found) and found[end].ideographic:
            end += 1
        if end == n:
            n += 1
            continue
        run = found[n:end]
        unknown = [w for w in run if w.unknown]
        pairs = any(_fragment(a) and _fragment(b) for a, b in itertools.pairwise(run))
        if pairs or any(len(w.surface) > 1 for w in unknown) or (unknown and len(run) > 1):
            runs.append((n, end))
        n = end
    return runs


def _teki(found: tuple[Word, ...], k: int, chinese: set[int]) -> bool:
    """Is the 的 at `k` Chinese?"""
    before = found[k - 1] if k else None
    after = found[k + 1] if k + 1 < len(found) else None
    if before is None:
        return False
    if before.pos1 in ("動詞", "形容詞", "副詞", "代名詞", "連体詞", "助動詞") or (
        before.pos1 == "形状詞" and "々" not in before.surface
    ):
        return True  # 重要的, 使用的: Japanese makes 的-adjectives of nouns only
    if after is None or not after.noun:
        return False  # 的な, 的に, 的だ, 的。
    if k + 1 in chinese:
        return True  # 特定的需求
    two_nouns = k >= 2 and all(w.pos1 == "名詞" and w.pos2 != "数詞" for w in found[k - 2 : k])
    return two_nouns  # 市場分析的スキル (Japanese: 分析的思考, 社会的責任, 心理学的背景)


def _compound(found: tuple[Word, ...], start: int, end: int) -> tuple[int, int]:
    """The span widened over the nouns around it (two tokens at most each way), for a reader to find it."""
    nounish = ("名詞", "接尾辞", "接頭辞")
    for _ in range(2):
        if start > 0 and found[start - 1].pos1 in nounish:
            start -= 1
        if end < len(found) and found[end].pos1 in nounish:
            end += 1
    return start, end


def _function_words(found: tuple[Word, ...]) -> list[tuple[int, int]]:
    """(start, end) token spans of each Chinese function word that starts and ends on token boundaries."""
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    offset = 0
    for n, word in enumerate(found):
        starts[offset] = n
        offset += len(word.surface)
        ends[offset] = n + 1
    joined = "".join(w.surface for w in found)
    spans = []
    for term in FUNCTION_WORDS:
        for match in re.finditer(term, joined):
            if match.start() not in starts or match.end() not in ends:
                continue  # inside a Japanese word (許可是非, 但是非とも)
            start, end = starts[match.start()], ends[match.end()]
            before = found[start - 1] if start else None
            after = found[end] if end < len(found) else None
            if term in _OPENING_ONLY and (
                (before is not None and before.pos1 not in ("補助記号", "空白")) or (after and after.pos1 == "助詞")
            ):
                continue  # その所以は, 人気の所以である
            if term in _BEFORE_NOUN_ONLY and not (after is not None and after.pos1 == "名詞"):
                continue  # 如何に, 如何なる
            spans.append((start, end))
    return spans


def _spans(found: tuple[Word, ...]) -> list[tuple[int, int]]:
    """(start, end) token spans of each Chinese pattern."""
    runs = _fragment_runs(found)
    chinese = {n for start, end in runs for n in range(start, end)}
    spans = list(runs)
    for k, word in enumerate(found):
        before = found[k - 1] if k else None
        after = found[k + 1] if k + 1 < len(found) else None
        if word.surface == "的" and word.pos1 == "接尾辞" and _teki(found, k, chinese):
            spans.append(_compound(found, k - 1, min(k + 2, len(found))))
        elif word.surface in _CONJUNCTIONS and before is not None and after is not None:
            if before.pos1 in ("名詞", "接尾辞") and after.pos1 in _NOUNISH and not after.surface.isdigit():
                spans.append(
                    _compound(found, k - 1, k + 2)
                )  # 衡量和改善; 和 before a particle is Japanese (チームの和を)
        elif word.surface == "非常" and after is not None and after.pos1 in ("形状詞", "形容詞"):
            spans.append((k, k + 2))  # 非常重要
    return spans + _function_words(found)


def chinese_words(text: str) -> list[str]:
    """The Chinese words in `text` (one sentence), as they stand in it (overlapping finds read as one)."""
    found = words(text)
    merged: list[list[int]] = []
    for start, end in sorted(_spans(found)):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return list(dict.fromkeys("".join(w.surface for w in found[start:end]) for start, end in merged))


def _finding(c: Check, words_found: list[str], excerpt: str, **where) -> Finding:
    listed = "」「".join(words_found)
    return c.finding(
        "script.chinese-pattern",
        "error",
        f"Chinese written in Japanese characters: 「{listed}」",
        f"日本語として読めない中国語の語句があります:「{listed}」",
        excerpt=excerpt,
        **where,
    )


def chinese_patterns(c: Check) -> list[Finding]:
    return scan(c, chinese_words, _finding, front=("title", "description"))


RULES = (chinese_patterns,)
