"""The sources a published post cites, checked again: dead, moved (a permanent redirect), or changed since they
were cited (the sha256 of their text against the one stored when they were cited).

Each URL is fetched through the sources stage's Fetcher and its disk cache (`sources.cache_hours`), once for the
whole site. What a source said when it was cited comes from the post's run record when out/ has it, else from
the ledger `out/.genpost/refresh/sources.json`, which keeps, per post, the hash each source had when refresh
first saw it (and, once a refresh is published, the hash the refreshed post cites).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

from pipeline.config import SourceSettings
from pipeline.document import Kind, PostDoc
from pipeline.review.drafts import load_record
from pipeline.sources.fetch import Fetcher, Unavailable, text_hash
from pipeline.sources.urls import url_problem
from pipeline.store import replace_write
from pipeline.types import Source

LEDGER_VERSION = 1
PERMANENT = (301, 308)  # a source that answers these has moved
IN_FLIGHT = 8  # sources fetched at once


@dataclass(frozen=True)
class Cited:
    """A URL the post cites in its footnotes, the footnotes that name it and the parts that cite them."""

    url: str
    labels: tuple[str, ...]
    parts: tuple[str, ...]


def cited_sources(doc: PostDoc) -> list[Cited]:
    """Every http(s) URL of the post's footnote definitions, with the parts whose prose cites it."""
    citing: dict[str, list[str]] = {}
    for block in doc.prose:
        for label in block.citations:
            citing.setdefault(label, []).append(block.part)
    found: dict[str, list[str]] = {}
    for block in doc.of_kind(Kind.CITATION):
        for href in block.links:
            if href.lower().startswith(("http://", "https://")) and url_problem(href) is None:
                found.setdefault(href, []).append(block.label)
    return [
        Cited(url, tuple(labels), tuple(dict.fromkeys(p for label in labels for p in citing.get(label, []))))
        for url, labels in found.items()
    ]


@dataclass
class Checked:
    """What a cited URL is now."""

    url: str
    state: str  # ok, dead or moved
    why: str = ""  # why it is dead
    moved_to: str = ""
    sha256: str = ""
    source: Source | None = None  # its text now (for a refresh to draw on)


class Ledger:
    """`out/.genpost/refresh/sources.json`: per post, each cited URL's hash as the post cites it; and each URL
    last seen moved."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".genpost" / "refresh" / "sources.json"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        ok = isinstance(data, dict) and data.get("version") == LEDGER_VERSION
        self.cited: dict[str, dict[str, str]] = data.get("cited", {}) if ok else {}
        self.moved: dict[str, str] = data.get("moved", {}) if ok else {}
        self.changed = False

    def baseline(self, post: str, url: str) -> str | None:
        found = self.cited.get(post, {}).get(url)
        return found if isinstance(found, str) else None

    def remember(self, post: str, hashes: dict[str, str], replace: bool = False) -> None:
        """Keep `hashes` (url → sha256) as what `post` cites; `replace`: forget what it cited before."""
        kept = {} if replace else dict(self.cited.get(post, {}))
        new = {**kept, **hashes}
        if new != self.cited.get(post):
            self.cited[post] = new
            self.changed = True

    def note_moved(self, url: str, to: str) -> None:
        """`url` seen fetched now: moved to `to`, or not moved ("")."""
        if self.moved.get(url, "") == to:
            return
        if to:
            self.moved[url] = to
        else:
            del self.moved[url]
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        data = {"version": LEDGER_VERSION, "cited": self.cited, "moved": self.moved}
        with contextlib.suppress(OSError):  # a ledger that cannot be written costs a comparison, never the run
            replace_write(self.path, json.dumps(data, ensure_ascii=False, indent=1))
        self.changed = False


def _normal(url: str) -> str:
    try:
        return str(httpx.URL(url))
    except (httpx.InvalidURL, ValueError):
        return url


async def check_urls(urls: list[str], settings: SourceSettings, out_dir: Path, ledger: Ledger) -> dict[str, Checked]:
    """Each URL fetched (the cache's copy while it is fresh), once; dead, moved or ok, with its text's hash."""
    fetcher = Fetcher(settings, out_dir / ".genpost" / "sources-cache")
    requested: set[str] = set()  # every URL asked for now (not taken from the cache)
    hops: dict[str, tuple[int, str]] = {}  # each redirect seen: from → (status, to)

    async def asked(request: httpx.Request) -> None:
        requested.add(str(request.url))

    async def seen(response: httpx.Response) -> None:
        location = response.headers.get("location")
        if response.is_redirect and location is not None:
            hops[str(response.request.url)] = (response.status_code, urljoin(str(response.request.url), location))

    hooks = fetcher.http.event_hooks
    fetcher.http.event_hooks = {"request": [*hooks["request"], asked], "response": [*hooks["response"], seen]}
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(url: str) -> Checked:
        async with gate:
            try:
                found, fetched = await fetcher.url(url)
            except Unavailable as exc:
                return Checked(url, "dead", why=_one_line(str(exc)))
            except Exception as exc:  # whatever else goes wrong with one source is that source's
                return Checked(url, "dead", why=f"the request failed ({type(exc).__name__})")
        if _normal(url) in requested:  # fetched now, not from the cache: its redirects were seen now
            ledger.note_moved(url, _moved_to(url, hops))
        digest = text_hash(found.text)
        source = Source(
            id=0,
            location=url,
            title=found.title,
            publisher=found.publisher,
            fetched_at=fetched,
            sha256=digest,
            chars=len(found.text),
            text=found.text,
        )
        moved = ledger.moved.get(url, "")
        return Checked(url, "moved" if moved else "ok", moved_to=moved, sha256=digest, source=source)

    try:
        done = await asyncio.gather(*(one(url) for url in dict.fromkeys(urls)))
    finally:
        await fetcher.close()
    return {checked.url: checked for checked in done}


def _moved_to(url: str, hops: dict[str, tuple[int, str]]) -> str:
    """Where `url` now leads when its first answer is a permanent redirect (the end of the chain), else ""."""
    first = hops.get(_normal(url))
    if first is None or first[0] not in PERMANENT:
        return ""
    target, seen = first[1], {_normal(url)}
    while _normal(target) in hops and _normal(target) not in seen:
        seen.add(_normal(target))
        target = hops[_normal(target)][1]
    return target if _normal(target) != _normal(url) else ""


def baselines(post: str, stem: str, urls: list[str], out_dir: Path, ledger: Ledger) -> dict[str, str]:
    """What each cited URL said when the post cited it (url → sha256), where that is known: the ledger, else the
    post's own run record in out/ (then kept in the ledger)."""
    known = {url: found for url in urls if (found := ledger.baseline(post, url)) is not None}
    missing = [url for url in urls if url not in known]
    record = load_record(out_dir / f"{stem}.md") if missing else None
    if record is not None and record.refresh is None:
        by_location = {s.location: s.sha256 for s in record.sources}
        from_record = {url: by_location[url] for url in missing if url in by_location}
        ledger.remember(post, from_record)
        known.update(from_record)
    return known


@dataclass
class SourceFindings:
    """What the checks say of one post's sources."""

    dead: list[tuple[Cited, str]] = field(default_factory=list)  # (cited, why)
    moved: list[tuple[Cited, str]] = field(default_factory=list)  # (cited, where to)
    changed: list[Cited] = field(default_factory=list)
    fresh: list[Source] = field(default_factory=list)  # the changed sources' text now


def judge(
    post: str, stem: str, doc: PostDoc, checks: dict[str, Checked], out_dir: Path, ledger: Ledger
) -> SourceFindings:
    """The post's sources that are dead, moved or changed; a source seen for the first time is remembered as
    what the post cites."""
    cited = [c for c in cited_sources(doc) if c.url in checks]
    known = baselines(post, stem, [c.url for c in cited], out_dir, ledger)
    out, first_seen = SourceFindings(), {}
    for item in cited:
        check = checks[item.url]
        if check.state == "dead":
            out.dead.append((item, check.why))
            continue
        if check.moved_to:
            out.moved.append((item, check.moved_to))
        if item.url not in known:
            first_seen[item.url] = check.sha256
        elif known[item.url] != check.sha256:
            out.changed.append(item)
            if check.source is not None:
                out.fresh.append(check.source)
    ledger.remember(post, first_seen)
    return out


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
