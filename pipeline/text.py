"""Text helpers: cleaning model prose, slugs, counting characters."""

from __future__ import annotations

import html
import re
import unicodedata

_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s|$)")  # an ATX heading, an empty one too (`#` alone)
_LISTED_HEADING = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)#{1,6}\s+")  # `5. ## 見出し`: a heading in a list item
_TAG = re.compile(r"<[^>]*>")
_IMAGE_LINE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$")
_FENCE = re.compile(r"^\s*```")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# `[x]: url` (in a list or a quote too): a link definition, which Markdown would keep hidden and link with.
_REFERENCE = re.compile(r"^(\s*(?:(?:[-*+>]|\d+[.)])\s+)*)\[([^\]]*)\]:")
_AUTOLINK = re.compile(r"<((?:https?|javascript|data):[^>]*)>", re.IGNORECASE)
_LIQUID = re.compile(r"\{(?=[{%])")
_SPACES = re.compile(r"\s+")
_BARE_MARKER = re.compile(r"^\s*(?:[-*+>]|\d+[.)])\s*$")  # a bullet, or a quote, with nothing in it
_RULE = re.compile(r"^(?:[-*_=]\s*){3,}$")  # a thematic break, or a setext heading's underline


def neutralise_liquid(text: str) -> str:
    """Make `{{` and `{%` inert for Jekyll: the brace becomes an HTML entity."""
    return _LIQUID.sub("&#123;", text)


def heading_text(title: str) -> str:
    """A title as it goes into a Markdown heading or link text: HTML and Liquid inert, no brackets."""
    return neutralise_liquid(html.escape(title, quote=False)).replace("[", "［").replace("]", "］")


def category_text(theme: str) -> str:
    """A theme as a Jekyll category: one line, its colons full-width (Jekyll builds a post's URL from its
    categories, and a colon after a quote or a space there stops `jekyll build`)."""
    return " ".join(theme.replace(":", "：").split())


def clean_prose(text: str) -> str:
    """Model prose made safe to place under a heading the assembler owns.

    A heading the model wrote after some prose starts another section's text, so the
    answer is cut there; image lines and code fences are dropped, links reduced to their
    text (a link definition's brackets made plain), HTML and Liquid made inert, control characters dropped,
    repeated paragraphs kept once, blank runs trimmed.
    """
    kept: list[str] = []
    text = "".join(c for c in text.replace("\r\n", "\n") if c in "\n\t" or unicodedata.category(c) != "Cc")
    for line in text.split("\n"):
        if _HEADING.match(line):
            if any(k.strip() for k in kept):
                break
            continue
        if _IMAGE_LINE.match(line) or _FENCE.match(line) or _RULE.match(line.strip()) or _BARE_MARKER.match(line):
            continue  # an image, a code fence, a rule (or a heading's underline), an empty bullet
        line = _LISTED_HEADING.sub(r"\1", line)
        line = _AUTOLINK.sub(r"\1", _LINK.sub(r"\1", line))
        line = _REFERENCE.sub(r"\1［\2］:", line)
        kept.append(neutralise_liquid(html.escape(line.rstrip(), quote=False)))
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(kept)) if p.strip()]
    return "\n\n".join(dict.fromkeys(paragraphs))


_SENTENCE_END = re.compile(r"[。！？!?]")


def trim_to_sentence(text: str) -> str:
    """A cut-off answer ends at its last full sentence (if that keeps at least half of it)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if ends and ends[-1] >= len(text) // 2:
        return text[: ends[-1]]
    return text


def clean_line(text: str) -> str:
    """One-line model text (a bullet, a label): no newlines; nothing at its start that Markdown would read as
    the start of a block inside a bullet (list markers, a quote, a heading mark, a rule)."""
    line = _SPACES.sub(" ", clean_prose(text)).strip()
    line = re.sub(r"^(?:[・]\s*|(?:[-*+>]|\d+[.)]|#{1,6})(?:\s+|$))+", "", line)
    return "" if _RULE.match(line) else line


def plain_line(text: str) -> str:
    """One line of plain text for a heading or a title: no tags, no Markdown marks, no newlines.

    Unlike `clean_line`, nothing is escaped here: the assembler escapes it where it is placed.
    """
    line = _SPACES.sub(" ", _TAG.sub("", text)).strip()
    return re.sub(r"^(?:[-*・#]+|\d+[.)])\s*", "", line).replace("**", "").strip()


def slugify(title: str, max_chars: int = 70) -> str:
    """Lower-case; anything not a letter or digit becomes `-`; Japanese is kept."""
    text = unicodedata.normalize("NFKC", title).lower()
    out = []
    for char in text:
        category = unicodedata.category(char)
        out.append(char if category[0] in "LN" else "-")
    slug = re.sub(r"-+", "-", "".join(out)).strip("-")
    slug = slug[:max_chars].rstrip("-")
    return slug or "post"


def char_count(text: str) -> int:
    """Characters that a reader reads: whitespace is not counted."""
    return len(_SPACES.sub("", text))


def squash(text: str) -> str:
    """NFKC, lower case, no whitespace: the form in which keywords and titles are compared."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def char_ngrams(text: str, n: int) -> set[str]:
    """The set of `n`-character substrings of `text`."""
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def jaccard(a: set | frozenset, b: set | frozenset) -> float:
    """The one similarity genpost uses: shared items over all items (0 when either is empty)."""
    return len(a & b) / len(a | b) if a and b else 0.0


def keyword_words(keyword: str) -> list[str]:
    """The words of a keyword phrase: `AI "マーケティング": 最新` → ["AI", "マーケティング", "最新"].

    Quotes, colons and other marks around the words are not part of them.
    """
    return re.findall(r"[^\W_]+(?:[-/.][^\W_]+)*", unicodedata.normalize("NFKC", keyword))


# A year as people write it in a keyword or title: four digits from 1900 to 2099, not part of a longer number.
_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
YEAR_PLACEHOLDERS = {"{year}": 0, "{next_year}": 1}


def years_in(text: str) -> list[int]:
    """The years `text` names (full-width digits read as digits)."""
    return [int(y) for y in _YEAR.findall(unicodedata.normalize("NFKC", text))]


def fill_years(keyword: str, year: int) -> str:
    """A calendar keyword with `{year}` and `{next_year}` filled in for a post of `year`."""
    for placeholder, ahead in YEAR_PLACEHOLDERS.items():
        keyword = keyword.replace(placeholder, str(year + ahead))
    return keyword


def topic_key(keyword: str) -> str:
    """A keyword's topic: squashed, with any year (or year placeholder) left out.

    `AI ツール 比較 2025`, `AI ツール 比較 2026` and `AI ツール 比較 {year}` are one topic.
    """
    text = squash(keyword)
    for placeholder in YEAR_PLACEHOLDERS:
        text = text.replace(placeholder, "")
    return _YEAR.sub("", text)


def max_tokens_for(chars: int) -> int:
    """A token cap: Japanese runs about one token a character; room for overshoot and JSON keys."""
    return int(chars * 1.6) + 80
