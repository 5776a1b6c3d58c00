"""What a field of a JSON answer is, said by the stage that asks for it.

Stages describe their fields (English words, Japanese text, a title that opens with
these words); a provider that constrains decoding with a grammar (the embedded model)
turns the descriptions into patterns, and the others ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnglishWords:
    """Lower-case English words, as an image search wants them."""

    min_chars: int = 4
    max_chars: int = 40


@dataclass(frozen=True)
class JapaneseText:
    """Text that opens with a Japanese character (kana, kanji or a 「 quote)."""

    min_chars: int = 4
    max_chars: int = 160


@dataclass(frozen=True)
class TitleWith:
    """A title that opens with `opening`, then each of `words` in order (spaces between optional)."""

    opening: str
    words: tuple[str, ...]
    max_chars: int


FieldSpec = EnglishWords | JapaneseText | TitleWith
