"""Links into the site: each post links, in its prose, to the site's own posts a reader would want next.

The site's posts are indexed (title, description, headings, body, tags) with the BM25-over-fugashi machinery
the sources use. Each section is offered the few posts most related to its heading and brief, above a
relevance floor (a place at the top of a short list is not enough), never the post itself, a draft, a post
dated after this one, or one another section was offered. A model that follows instructions may mark the
sentence that leads to one (`[L1]`, as it marks sources); the mark becomes a link whose anchor is a phrase of
that sentence. For what is left unmarked (and for the embedded model, which is offered nothing), the first
natural mention of a candidate's key phrase in the section's prose becomes the link, as internal-link
finders do. A link is written `[anchor]({% post_url 2025-12-14-slug %})`.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from stat import S_ISREG

import bm25s
import numpy as np

from pipeline.config import LinkSettings
from pipeline.document import FOOTNOTE_MARK, POST_URL_LINK
from pipeline.japanese import SENTENCE, tagger
from pipeline.parse import parse
from pipeline.site.posts import name_day, notice, plain, post_url_safe, site_config, unlinked
from pipeline.sources.index import tokens
from pipeline.store import replace_write
from pipeline.text import char_ngrams, jaccard, squash
from pipeline.types import DroppedLink, LinkCandidate, Links, PartText, PlacedLink, Sections
from pipeline.yamlfile import REFUSED

log = logging.getLogger("genpost")
MARKER = re.compile(r"[\[［【]\s*[Ll]\s*(\d+)\s*[\]］】]")  # what models write for a link mark: [L1], ［L1］…
# Anchors that say nothing of where they lead (compared without spaces or punctuation).
GENERIC = frozenset(
    {
        "こちら",
        "ここ",
        "詳しくはこちら",
        "こちらの記事",
        "この記事",
        "記事",
        "リンク",
        "詳細",
        "続きを読む",
        "clickhere",
        "here",
        "more",
    }
)
ANCHOR_CHARS = (2, 20)
_K1, _B = 1.5, 0.75  # bm25s's defaults: the normalisation below uses the same


def plain_key(text: str) -> str:
    """Text as anchors are compared: NFKC, lower case, letters and digits only."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).lower() if unicodedata.category(c)[0] in "LN")


def is_generic(anchor: str) -> bool:
    return plain_key(anchor) in GENERIC


_MARKUP = frozenset("<>[]*_`\\{}|&~")  # what could make an anchor markup (a tag, an entity, emphasis, Liquid)


def plain_anchor(anchor: str) -> bool:
    """Is `anchor` plain text (no markup, no control character, one line), as a link's words must be?"""
    return bool(anchor) and not any(c in _MARKUP or (not c.isprintable() and c != "\u3000") for c in anchor)


@dataclass(frozen=True)
class SitePage:
    """A post of the site, as links see it."""

    name: str  # as `{% post_url %}` names it
    title: str
    description: str
    keyword: str  # its primary keyword: the first seo_keyword, else the first tag
    day: date
    published: bool
    text: str  # title, description, tags, headings and body: what is indexed


def _day(value: object, fallback: date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return fallback


def _listed(values: list[str]) -> list[str]:
    return [plain(v) for v in values if v]


def read_page(path: Path) -> SitePage | None:
    """A post file read for indexing; None when it cannot be read."""
    named = name_day(path.name)
    if named is None:
        return None
    try:
        doc = parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    front = doc.front
    if front.error and REFUSED in front.error:
        notice(path, f"{path}: {front.error}; skipped")
        return None
    keywords, tags = _listed(front.keywords), _listed(front.tags)
    headings = [b.text for b in doc.headings]
    body = [b.text for b in doc.prose]
    title = plain(front.title) or plain(path.stem)
    description = plain(front.description)
    return SitePage(
        name=path.stem,
        title=title,
        description=description,
        keyword=(keywords or tags or [""])[0],
        day=_day(front.date, named),
        published=front.published,
        text="\n".join([title, description, " ".join(tags + keywords), *headings, *body]),
    )


CACHE_VERSION = 2  # 2: titles, descriptions and keywords made plain text
CACHE_MAX_BYTES = 64 * 1024 * 1024  # a cache beyond this is not read (the site is read again)
_PAGE_FIELDS = {"name": str, "title": str, "description": str, "keyword": str, "day": str, "published": bool}


def _page_json(page: SitePage) -> dict:
    return {**page.__dict__, "day": page.day.isoformat(), "text": ""}  # the text is in its words already


def _page_of(data: dict) -> SitePage:
    return SitePage(**{**data, "day": date.fromisoformat(data["day"])})


def _entry_of(file_name: str, value: object) -> dict | None:
    """A cache entry for the post `file_name` as genpost writes it (stamp, page, words), else None."""
    if not isinstance(value, dict) or set(value) != {"stamp", "page", "words"} or not isinstance(value["stamp"], str):
        return None
    page, words = value["page"], value["words"]
    if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
        return None
    if not isinstance(page, dict) or set(page) != {*_PAGE_FIELDS, "text"} or page["text"] != "":
        return None
    if not all(isinstance(page[k], kind) for k, kind in _PAGE_FIELDS.items()) or page["name"] != Path(file_name).stem:
        return None
    if any(plain(page[k]) != page[k] for k in ("title", "description", "keyword")):
        return None  # as read_page writes them: plain text
    try:
        date.fromisoformat(page["day"])
    except ValueError:
        return None
    return value


def _cache_text(cache: Path) -> str | None:
    """The cache file's text: only a regular file (never through a link), at most `CACHE_MAX_BYTES`; None when
    there is none. OSError or ValueError when it is something else, too big, or not UTF-8."""
    try:
        fd = os.open(cache, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValueError("a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        found = os.fstat(handle.fileno())
        if not S_ISREG(found.st_mode):
            raise ValueError("not a regular file")
        if found.st_size > CACHE_MAX_BYTES:
            raise ValueError(f"larger than {CACHE_MAX_BYTES // 2**20} MB")
        data = handle.read(CACHE_MAX_BYTES + 1)
    if len(data) > CACHE_MAX_BYTES:
        raise ValueError(f"larger than {CACHE_MAX_BYTES // 2**20} MB")
    return data.decode("utf-8")


def _read_cache(cache: Path | None) -> dict:
    """The cached entries by post file name; a cache that cannot be read, does not parse or has the wrong shape is
    ignored (a notice says so) and rebuilt; one of another version is rebuilt without a word."""
    if cache is None:
        return {}
    try:
        text = _cache_text(cache)
        if text is None:
            return {}
        data = json.loads(text)
    except (OSError, ValueError, RecursionError) as exc:
        why = getattr(exc, "strerror", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
        log.warning("%s: the site index cache is ignored (%s); it is rebuilt", cache, why)
        return {}
    if isinstance(data, dict) and data.get("version") != CACHE_VERSION and "posts" in data:
        return {}
    posts = data.get("posts") if isinstance(data, dict) else None
    if not isinstance(posts, dict):
        log.warning("%s: the site index cache is ignored (not the shape genpost writes); it is rebuilt", cache)
        return {}
    entries = {name: entry for name, value in posts.items() if (entry := _entry_of(name, value)) is not None}
    if len(entries) != len(posts):
        log.warning("%s: %d entries of the site index cache are ignored; read again", cache, len(posts) - len(entries))
    return entries


def _write_cache(cache: Path, entries: dict) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        replace_write(cache, json.dumps({"version": CACHE_VERSION, "posts": entries}, ensure_ascii=False))
    except OSError:
        pass  # a cache that cannot be written costs the reading next time, never the run


class SiteIndex:
    """The site's posts, indexed with BM25 over fugashi tokens; a relevance in 0–1 for any query."""

    def __init__(self, pages: list[SitePage], words: list[list[str]] | None = None) -> None:
        """`words`: each page's tokens, when already known (the cache)."""
        self.pages = pages
        self.files: dict[str, Path] = {}  # each page's file, by its name (of_site knows them)
        self.words = words if words is not None else [tokens(p.text) or ["∅"] for p in pages]
        self.df = Counter(w for words in self.words for w in set(words))
        self.avgdl = sum(map(len, self.words)) / len(self.words) if self.words else 1.0
        self.bm25: bm25s.BM25 | None = None
        if pages:
            self.bm25 = bm25s.BM25(k1=_K1, b=_B)
            self.bm25.index(self.words, show_progress=False)

    @classmethod
    def of_site(cls, site: Path, cache: Path | None = None) -> SiteIndex:
        """Every post of the site, indexed; with `cache`, a post unchanged since the last run (the same size
        and time) is not read and tokenised again. A hostile `_config.yml` is a UsageError."""
        site_config(site)
        known = _read_cache(cache)
        pages, words, entries = [], [], {}
        for path in sorted((site / "_posts").glob("*")):
            try:
                stat = path.stat()
            except OSError:
                continue
            stamp = f"{stat.st_mtime_ns}:{stat.st_size}"
            entry = known.get(path.name)
            if entry is None or entry.get("stamp") != stamp:
                page = read_page(path)
                if page is None:
                    continue
                entry = {"stamp": stamp, "page": _page_json(page), "words": tokens(page.text) or ["∅"]}
            entries[path.name] = entry
            pages.append(_page_of(entry["page"]))
            words.append(entry["words"])
        if cache is not None and entries != known:
            _write_cache(cache, entries)
        index = cls(pages, words)
        index.files = {page.name: site / "_posts" / name for page, name in zip(pages, entries, strict=True)}
        return index

    def _idf(self, word: str) -> float:
        n, df = len(self.pages), self.df.get(word, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _ceiling(self, query: list[str]) -> float:
        """The score a post saying exactly the query would get: what a relevance is a share of."""
        counts = Counter(w for w in query if w in self.df)
        length = len(query)
        norm = _K1 * (1 - _B + _B * length / self.avgdl)
        return sum(self._idf(w) * tf * (_K1 + 1) / (tf + norm) for w, tf in counts.items())

    def ranked(self, query: str, k: int) -> list[tuple[SitePage, float]]:
        """The `k` posts that best match `query`, with their relevance (0–1), best first."""
        words = tokens(query)
        if self.bm25 is None or not words or k <= 0:
            return []
        ceiling = self._ceiling(words)
        if ceiling <= 0:
            return []
        found, scores = self.bm25.retrieve([words], k=min(k, len(self.pages)), show_progress=False)
        out = []
        for number, score in zip(np.ravel(found), np.ravel(scores), strict=True):
            if score > 0:
                out.append((self.pages[int(number)], round(min(float(score) / ceiling, 1.0), 4)))
        return out


@dataclass
class Offer:
    """A candidate offered to a section: its mark (`L3`) and the post."""

    id: str
    part: str
    page: SitePage
    score: float


@dataclass
class LinkPlan:
    """The link candidates of one post, offered section by section as drafting starts, each post once; and
    what became of them."""

    index: SiteIndex
    title: str  # the post's own title (never its own target), known or not yet
    day: date  # a target is dated before this post, and not in the future
    floor: float
    per_part: int
    maximum: int
    preferred: frozenset[str] = frozenset()  # posts near the first page of the search results: offered first
    only: frozenset[str] | None = None  # the only posts offered (a refresh: those near the first page)
    offers: dict[str, list[Offer]] = field(default_factory=dict)  # part → what it was offered
    report: Links = field(default_factory=Links)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def offer(self, part: str, query: str) -> list[Offer]:
        """The posts most related to `query` (a section's heading and brief) that no other section has:
        at most `per_part`, each above the floor; the same answer when asked again for the part."""
        with self._lock:
            if part in self.offers:
                return self.offers[part]
            taken = {o.page.name for offers in self.offers.values() for o in offers}
            count = sum(map(len, self.offers.values()))
            chosen: list[Offer] = []
            ranked = self.index.ranked(query, self.per_part + len(taken) + 8)
            # Of the posts related enough, those near the first page come first (a link lifts them most).
            ranked.sort(key=lambda found: (found[1] < self.floor, found[0].name not in self.preferred, -found[1]))
            for page, score in ranked:
                if len(chosen) >= self.per_part or count + len(chosen) >= self.maximum:
                    break
                outside = self.only is not None and page.name not in self.only
                if score < self.floor or page.name in taken or outside or not self._may_link(page):
                    continue
                chosen.append(Offer(f"L{count + len(chosen) + 1}", part, page, score))
            self.offers[part] = chosen
            self.report.candidates += [
                LinkCandidate(
                    part=part,
                    name=o.page.name,
                    title=o.page.title,
                    score=o.score,
                    description=o.page.description,
                    keyword=o.page.keyword,
                )
                for o in chosen
            ]
            return chosen

    @classmethod
    def recorded(cls, links: Links, day: date, settings: LinkSettings) -> LinkPlan:
        """The plan a run record kept: its offers as they were made (for regenerating a part)."""
        plan = cls(SiteIndex([]), "", day, settings.min_score, settings.per_section, settings.max_links)
        for n, c in enumerate(links.candidates, 1):
            if not post_url_safe(c.name):
                continue  # a record edited by hand: its name never becomes a link
            page = SitePage(c.name, plain(c.title), plain(c.description), plain(c.keyword), day, True, "")
            plan.offers.setdefault(c.part, []).append(Offer(f"L{n}", c.part, page, c.score))
        plan.report = links.model_copy(deep=True)
        return plan

    def _may_link(self, page: SitePage) -> bool:
        today = datetime.now(UTC).date()
        same = squash(page.title) == squash(self.title) if self.title else False
        if not (page.published and page.day <= min(self.day, today) and not same):
            return False
        if not post_url_safe(page.name):
            unlinked(self.index.files.get(page.name, Path(page.name)))
            return False
        return True

    def by_id(self) -> dict[str, Offer]:
        return {o.id: o for offers in self.offers.values() for o in offers}


def noun_phrases(text: str) -> list[str]:
    """Runs of nouns (with their prefixes and suffixes), as a reader would underline a topic: 2 to 20 characters."""
    phrases, current = [], ""
    for word in tagger()(text):
        pos = word.feature.pos1
        if pos in ("名詞", "接頭辞") or (pos == "接尾辞" and current):
            current += word.surface
            continue
        if current:
            phrases.append(current)
        current = ""
    if current:
        phrases.append(current)
    low, high = ANCHOR_CHARS
    return [p.strip() for p in phrases if low <= len(p.strip()) <= high and not is_generic(p)]


def key_phrases(page: SitePage) -> list[str]:
    """What a mention of a post looks like: its primary keyword, and the noun phrases of its title."""
    keyword = page.keyword.strip()
    phrases = [keyword] if keyword and ANCHOR_CHARS[0] <= len(keyword) <= ANCHOR_CHARS[1] else []
    phrases += [p for p in noun_phrases(page.title) if len(p) >= 3]
    return sorted(dict.fromkeys(p for p in phrases if plain_anchor(p)), key=len, reverse=True)


def _bigrams(text: str) -> set[str]:
    return char_ngrams(plain_key(text), 2)


def best_anchor(sentence: str, page: SitePage) -> str | None:
    """The phrase of `sentence` that best names `page`'s topic (shares the most with its title, keyword and
    description), or None when no phrase of the sentence does."""
    topic = _bigrams(" ".join([page.title, page.keyword, page.description]))
    scored = [(jaccard(_bigrams(p), topic), p) for p in noun_phrases(_bare(sentence)) if plain_anchor(p)]
    scored = [(s, p) for s, p in scored if s > 0]
    return max(scored, key=lambda item: (item[0], len(item[1])))[1] if scored else None


_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")


def _bare(text: str) -> str:
    """Text without links, marks and emphasis: where an anchor may be found."""
    return MARKER.sub("", FOOTNOTE_MARK.sub("", _LINK.sub("", text))).replace("**", "")


def _link(anchor: str, name: str) -> str:
    return f"[{anchor}]({{% post_url {name} %}})"


def linked_names(sections: Sections) -> set[str]:
    """The posts the sections already link to."""
    return {m.group(1) for value in sections.values() for text in _texts(value) for m in POST_URL_LINK.finditer(text)}


def _texts(value: PartText) -> list[str]:
    return [value] if isinstance(value, str) else []


def strip_marks(sections: Sections) -> Sections:
    """The sections without any link mark (where there is no site to link to)."""
    return {key: MARKER.sub("", value) if isinstance(value, str) else value for key, value in sections.items()}


def place(sections: Sections, plan: LinkPlan, already: set[str] = frozenset()) -> Sections:
    """The sections with each marked sentence's mark turned into a link, and the candidates left unmarked
    linked at the first natural mention of their key phrase; at most one link a paragraph, each post once.
    What is placed or dropped, and why, goes into the plan's report. `already`: posts the rest of the post
    links (a part written again links none of them)."""
    offers = plan.by_id()
    linked = linked_names(sections) | set(already)
    out = dict(sections)
    for part, value in sections.items():
        if isinstance(value, str):
            out[part] = _marked(part, value, offers, linked, plan.report)
    # Each candidate left unmarked: its first mention, in the section it was offered to, else anywhere in the
    # prose the sections that may carry links hold, in reading order.
    for offer in sorted((o for o in offers.values() if o.page.name not in linked), key=lambda o: -o.score):
        order = [offer.part, *(k for k in sections if k != offer.part)]
        found = next(((part, m) for part in order if (m := _mention(out.get(part), offer, part)) is not None), None)
        if found is None:
            why = "本文に記事の話題を表す語句が見つかりませんでした"
            plan.report.dropped.append(DroppedLink(part=offer.part, name=offer.page.name, why=why))
            continue
        part, (out[part], anchor) = found
        linked.add(offer.page.name)
        plan.report.placed.append(PlacedLink(part=part, name=offer.page.name, anchor=anchor, how="mention"))
    return out


def _marked(part: str, text: str, offers: dict[str, Offer], linked: set[str], report: Links) -> str:
    """The part's prose with its link marks made links (or removed, with why)."""
    paragraphs = text.split("\n\n")
    for n, paragraph in enumerate(paragraphs):
        has_link = bool(POST_URL_LINK.search(paragraph))
        sentences, at = [], 0  # `at`: where the text the sentence pattern has not yet taken begins
        for match in SENTENCE.finditer(paragraph):
            sentences.append(MARKER.sub("", paragraph[at : match.start()]))  # line breaks between its lines
            at = match.end()
            sentence = match.group(0)
            for mark in MARKER.finditer(sentence):
                offer = offers.get(f"L{mark.group(1)}")
                anchor = best_anchor(sentence, offer.page) if offer else None
                why = _why_not(offer, part, anchor, has_link, linked)
                if why and offer is not None:
                    report.dropped.append(DroppedLink(part=part, name=offer.page.name, why=why))
                sentence = sentence.replace(mark.group(0), "", 1)
                if why is None and offer is not None and anchor is not None:
                    wrapped = _wrap(sentence, anchor, offer.page.name)
                    if wrapped == sentence:  # the phrase stands only inside other markup: no link, and said so
                        why = "印の文にリンクにできる語句がありません"
                        report.dropped.append(DroppedLink(part=part, name=offer.page.name, why=why))
                        continue
                    sentence = wrapped
                    has_link = True
                    linked.add(offer.page.name)
                    report.placed.append(PlacedLink(part=part, name=offer.page.name, anchor=anchor, how="marked"))
            sentences.append(sentence)
        # What the sentence pattern did not take (line breaks between a paragraph's lines) is kept as it was.
        paragraphs[n] = "".join(sentences) + MARKER.sub("", paragraph[at:])
    return "\n\n".join(paragraphs)


def _why_not(offer: Offer | None, part: str, anchor: str | None, has_link: bool, linked: set[str]) -> str | None:
    if offer is None:
        return "この部分に示していない記事の印です"
    if offer.part != part:
        return "ほかの部分に示した記事の印です"
    if offer.page.name in linked:
        return "すでにリンクした記事です"
    if has_link:
        return "この段落にはすでにリンクがあります"
    if anchor is None:
        return "印の文に記事の話題を表す語句がありません"
    return None


_IN_MARKUP = re.compile(r"(?:<[^<>]*|&#?\w*)$")  # text before a place inside a tag or an entity


def _wrap(sentence: str, anchor: str, name: str) -> str:
    """The first plain occurrence of `anchor` in `sentence` made a link to the post `name`; nothing when the
    anchor is not plain text or `{% post_url %}` cannot carry `name`."""
    if not plain_anchor(anchor) or not post_url_safe(name):
        return sentence
    return wrap(sentence, anchor, _link(anchor, name))


def wrap(text: str, anchor: str, link: str) -> str:
    """`text` with the first plain occurrence of `anchor` (not inside another link, a mark, a code span, bold's
    markers, a tag or an entity) replaced by `link`, the Markdown link written for it."""
    for match in re.finditer(re.escape(anchor), text):
        before = text[: match.start()]
        if (
            before.count("[") == before.count("]")
            and before.count("**") % 2 == 0
            and before.count("`") % 2 == 0
            and not _IN_MARKUP.search(before)
        ):
            return before + link + text[match.end() :]
    return text


def _mention(text: PartText | None, offer: Offer, part: str) -> tuple[str, str] | None:
    """The part's prose with the first natural mention of the post's key phrase linked, in a paragraph that
    has no link yet (never the part's first sentence when the part is the lead); and the anchor."""
    if not isinstance(text, str):
        return None
    paragraphs = text.split("\n\n")
    for phrase in key_phrases(offer.page):
        for n, paragraph in enumerate(paragraphs):
            if POST_URL_LINK.search(paragraph) or phrase not in _bare(paragraph):
                continue
            start = 0
            if part == "lead":
                first = SENTENCE.match(paragraph) if n == 0 else None
                start = first.end() if first else 0
            wrapped = paragraph[:start] + _wrap(paragraph[start:], phrase, offer.page.name)
            if wrapped != paragraph:
                paragraphs[n] = wrapped
                return "\n\n".join(paragraphs), phrase
    return None


def plan_for(
    site: Path | None,
    title: str,
    day: date,
    settings: LinkSettings,
    cache: Path | None = None,
    index_of: Callable[[Path | None], SiteIndex] | None = None,
    preferred: frozenset[str] = frozenset(),
) -> LinkPlan | None:
    """The link plan of a post for `site` (None without a site, or with links off); `cache`: where the site's
    index is kept between runs; `index_of`: where an index of the site is kept already (a Site's). A hostile
    `_config.yml` is a UsageError before anything is asked of a model. `preferred`: posts near the first page of
    the search results (Search Console's figures), offered first among the related ones."""
    if site is None:
        return None
    site_config(site)
    if not settings.enabled:
        return None
    index = index_of(cache) if index_of is not None else SiteIndex.of_site(site, cache)
    return LinkPlan(index, title, day, settings.min_score, settings.per_section, settings.max_links, preferred)


def section_query(heading: str, brief: str, keyword: str) -> str:
    """What a section is about, as the site's index is asked: its heading, its brief, the post's keyword."""
    return " ".join([heading, brief, keyword])
