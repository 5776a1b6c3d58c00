"""What the embedded model may write, token by token: logits processors and a stopping rule for llama.cpp.

A small multilingual model slips into simplified Chinese, Chinese punctuation and runs of stray
symbols, and runs on past any length it was given. It cannot be told not to; these make it so.
Each reads the model's vocabulary once, at load.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from typing import Any

import numpy as np

from pipeline.japanese import foreign_characters

# A logit no token can win with, kept finite: a grammar that leaves only masked tokens still samples.
BANNED = -1e9
# Never in Japanese prose: Chinese punctuation, quotes and brackets Markdown or JSON would read, symbols,
# the ASCII comma (Japanese writes 、), spaces (no English sentence forms without them) and the lenticular
# brackets a prompt's labels use (【担当】).
PROSE_FORBIDDEN = frozenset("，；：{}[]<>\"'“”‘’`|\\~^_=+*#@$;:, \u3000【】")
# What a line of prose never opens with: a list marker, a heading, a quote, an indent.
LINE_OPENERS = frozenset("-*・•●○■□◆◇▶※#>|0123456789０１２３４５６７８９①②③ \t")
SENTENCE_END = "。！？"
# Latin letters in a row (bar marks and digits) a Japanese sentence holds: ChatGPT, Salesforce, GA4, B2B.
LATIN_RUN = 12
LATIN_LOOKBACK = 24
JAPANESE_CHAR = re.compile(r"[ぁ-んァ-ヶー一-龯々、。「」（）]")
ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def foreign(text: str, allow: str = "") -> list[str]:
    """The characters of `text` Japanese does not use, less those a site allows."""
    return [ch for ch in foreign_characters(text) if ch not in allow]


def _char_width(lead: int) -> int:
    """How many bytes a UTF-8 character opening with byte `lead` takes."""
    return 4 if lead >= 0xF0 else 3 if lead >= 0xE0 else 2 if lead >= 0xC0 else 1


def _in_cp932(char: str) -> bool:
    """A character Japanese web text can hold (Shift_JIS as Windows extends it): no Suzhou numerals, no symbols
    from other scripts' blocks, no simplified forms."""
    try:
        char.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


class Vocabulary:
    """Each token's text, read once."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.pieces = [llm.detokenize([t], special=False) for t in range(llm.n_vocab())]

    def tail(self, input_ids: Any, size: int = 3) -> bytes:
        """The last `size` bytes the model has seen or written."""
        return b"".join(self.pieces[t] for t in input_ids[-size:])[-size:]


class JapaneseOnly:
    """Never lets the model write an ideograph Japanese does not use (nor Hangul, Cyrillic…).

    Tokens holding one are masked; so are the byte tokens that would complete one when the
    text so far ends in the first bytes of a character. `allow` adds characters a site uses.
    """

    def __init__(self, vocabulary: Vocabulary, allow: str = "") -> None:
        self.vocabulary = vocabulary
        banned, self.continuations = [], []
        for token, piece in enumerate(vocabulary.pieces):
            if foreign(piece.decode("utf-8", errors="ignore"), allow):
                banned.append(token)
            elif piece and 0x80 <= piece[0] <= 0xBF:
                self.continuations.append((token, piece))  # the middle or end of a character
        self.banned = np.array(banned, dtype=np.intc)
        self.allow = allow

    @cache  # noqa: B019 - one instance a model, a handful of character heads
    def _completing(self, head: bytes) -> np.ndarray:
        """Byte tokens that would finish `head` (a character's first bytes) as a foreign character."""
        width = _char_width(head[0])
        out = []
        for token, piece in self.continuations:
            char = (head + piece)[:width]
            if len(char) == width and foreign(char.decode("utf-8", errors="ignore"), self.allow):
                out.append(token)
        return np.array(out, dtype=np.intc)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        scores[self.banned] = BANNED
        tail = self.vocabulary.tail(input_ids)
        for start in range(len(tail)):
            if tail[start] >= 0xC0 and len(tail) - start < _char_width(tail[start]):  # a character still open
                scores[self._completing(tail[start:])] = BANNED
        return scores


class PlainProse:
    """Prose as a reader expects it: none of PROSE_FORBIDDEN, nothing outside cp932 (〢, 运, 한), and no two
    ASCII punctuation marks in a row (`}.`, `...`, `”}.........`)."""

    def __init__(self, vocabulary: Vocabulary, forbidden: frozenset[str] = PROSE_FORBIDDEN) -> None:
        """`forbidden`: less a grammar's own marks (a list's `- `) where a grammar shapes the answer."""
        self.vocabulary = vocabulary
        banned, opening = [], []
        for token, piece in enumerate(vocabulary.pieces):
            text = piece.decode("utf-8", errors="ignore")
            marks = [ch in ASCII_PUNCT for ch in text]
            odd = any(ch in forbidden or not _in_cp932(ch) for ch in text)
            if odd or any(a and b for a, b in pairwise(marks)):
                banned.append(token)
            elif marks and marks[0]:
                opening.append(token)
        self.banned = np.array(banned, dtype=np.intc)
        self.opening = np.array(opening, dtype=np.intc)  # tokens that open with a mark
        latin = [t for t, p in enumerate(vocabulary.pieces) if any(0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A for b in p)]
        self.latin = np.array(latin, dtype=np.intc)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        scores[self.banned] = BANNED
        tail = self.vocabulary.tail(input_ids, LATIN_LOOKBACK * 2)
        if tail and chr(tail[-1]) in ASCII_PUNCT and tail[-1] < 0x80:
            scores[self.opening] = BANNED
        if latin_since_japanese(tail.decode("utf-8", errors="ignore")) >= LATIN_RUN:
            scores[self.latin] = BANNED  # a name or an acronym, not an English sentence (spaces or none)
        return scores


def latin_since_japanese(text: str) -> int:
    """ASCII letters written since the last Japanese character."""
    since = JAPANESE_CHAR.split(text)[-1]
    return sum(ch.isascii() and ch.isalpha() for ch in since)


class Paragraphs:
    """Prose in paragraphs: no line opens as a list, a heading or a quote (a grammar shapes the lists)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        texts = [p.decode("utf-8", errors="ignore") for p in vocabulary.pieces]
        opening = [t for t, text in enumerate(texts) if text[:1] in LINE_OPENERS]
        # A token that breaks the line and opens the next one as a list ("\n-", "\n①").
        self.breaking = np.array([t for t, text in enumerate(texts) if _opens_a_line(text)], dtype=np.intc)
        self.opening = np.array(opening, dtype=np.intc)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        scores[self.breaking] = BANNED
        if self.vocabulary.tail(input_ids, 1) == b"\n":
            scores[self.opening] = BANNED
        return scores


def _opens_a_line(text: str) -> bool:
    """Does `text` hold a line break followed by a list marker, a heading mark or an indent?"""
    return any(line[:1] in LINE_OPENERS for line in text.split("\n")[1:] if line)


class NoRepeat:
    """Never writes a run of `size` tokens the document already holds: not the sections above, not the brief,
    not its own sentences. A small model otherwise copies whole paragraphs from earlier in its context.

    One instance a call: it indexes the document once, then each token as it is written.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.follows: dict[tuple[int, ...], set[int]] = {}
        self.indexed = 0  # n-grams starting before this position are in `follows`

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        n = self.size
        ids = [int(t) for t in input_ids[self.indexed :]]  # from the first n-gram not yet indexed
        for i in range(len(ids) - n + 1):
            self.follows.setdefault(tuple(ids[i : i + n - 1]), set()).add(ids[i + n - 1])
        self.indexed += max(len(ids) - n + 1, 0)
        banned = self.follows.get(tuple(int(t) for t in input_ids[len(input_ids) - n + 1 :]))
        if banned:
            scores[list(banned)] = BANNED
        return scores


class SentenceEnd:
    """A stopping rule: the answer ends at the first sentence end once it holds `chars` characters.

    llama.cpp calls it with every token so far (the prompt's first `start`), before it samples the next.
    """

    def __init__(self, vocabulary: Vocabulary, start: int, chars: int) -> None:
        self.vocabulary, self.start, self.chars = vocabulary, start, chars

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        if len(input_ids) <= self.start:
            return False
        last = self.vocabulary.pieces[input_ids[-1]].decode("utf-8", errors="ignore").rstrip()
        if not last or last[-1] not in SENTENCE_END:
            return False
        written = b"".join(self.vocabulary.pieces[t] for t in input_ids[self.start :])
        return len("".join(written.decode("utf-8", errors="ignore").split())) >= self.chars
