"""Sources a post is grounded in: gathered (--sources, the library, a search), cut into passages, indexed.

`gather` fetches every source at once; one that cannot be had costs a line on stderr, never
the run. The passages each drafting piece receives come from `PassageIndex.top`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import SourceSettings
from pipeline.errors import UsageError
from pipeline.sources.extract import ENDINGS
from pipeline.sources.fetch import Fetcher, Unavailable, text_hash
from pipeline.sources.index import PassageIndex
from pipeline.sources.search import engine
from pipeline.types import Brief, Passage, Source

log = logging.getLogger("genpost")
MAX_FILES = 500  # a folder larger than this is cut short, with a notice

__all__ = ["Grounding", "PassageIndex", "check_items", "gather"]


@dataclass
class Grounding:
    """A post's sources, and the index over their passages that drafting pieces draw from."""

    sources: list[Source]
    index: PassageIndex

    @classmethod
    def of(cls, sources: list[Source], settings: SourceSettings) -> Grounding:
        """Sources cut into passages; `index.build()` is left to the caller (it is the slow part)."""
        return cls(sources, PassageIndex(sources, settings.passage_chars))

    @classmethod
    def recorded(cls, sources: list[Source], passages: list[Passage]) -> Grounding:
        """From a run record: the passages drafting was given, indexed again (for regenerating a part)."""
        return cls(sources, PassageIndex.of(passages).build())

    def titles(self) -> dict[int, str]:
        return {s.id: s.title for s in self.sources}

    def passages_by_id(self) -> dict[str, Passage]:
        return {p.id: p for p in self.index.passages}


def check_items(items: list[str]) -> None:
    """--sources items are URLs, or files and folders that exist: anything else is bad usage."""
    for item in items:
        if item.startswith(("http://", "https://")):
            continue
        if "://" in item:
            raise UsageError(f"--sources {item}: only http and https URLs can be fetched")
        if not Path(item).expanduser().exists():
            raise UsageError(f"--sources {item}: no such file or folder")


def _files(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in ENDINGS)
    if len(found) > MAX_FILES:
        log.warning("sources: %s holds %d files; the first %d are used", folder, len(found), MAX_FILES)
    return found[:MAX_FILES]


async def gather(brief: Brief, settings: SourceSettings, cache_dir: Path, auto: bool = False) -> list[Source]:
    """Every usable source for the brief: its --sources, the library, and search results when asked for."""
    wanted: list[tuple[str, str]] = []  # (location, kind)
    for item in brief.sources:
        path = Path(item).expanduser()
        if item.startswith(("http://", "https://")):
            wanted.append((item, "web"))
        elif path.is_dir():
            wanted += [(str(p), "file") for p in _files(path)]
        else:
            wanted.append((str(path), "file"))
    if settings.library:
        library = Path(settings.library).expanduser()
        if library.is_dir():
            wanted += [(str(p), "library") for p in _files(library)]
        else:
            log.warning("sources: the library %s is not a folder; skipped", library)
    fetcher = Fetcher(settings, cache_dir)
    try:
        if settings.search and (brief.search or auto):
            wanted += [(url, "search") for url in await _search(brief, settings)]
        elif brief.search:
            raise UsageError("--search needs sources.search in genpost.yml (a SearXNG address)")
        found = await asyncio.gather(*(_one(fetcher, location, kind) for location, kind in dict.fromkeys(wanted)))
    finally:
        await fetcher.close()
    usable = [s for s in found if s is not None]
    sources = [s.model_copy(update={"id": n}) for n, s in enumerate(usable, 1)]
    if wanted and not sources:
        log.warning("sources: none could be used; the post is written without citations, as before")
    return sources


async def _search(brief: Brief, settings: SourceSettings) -> list[str]:
    search = settings.search
    assert search is not None
    client = engine(search, settings.timeout)
    try:
        results = await client.search(" ".join(brief.keywords[:2]), search.results)
    except Unavailable as exc:
        log.warning("sources: %s; the post goes on without search results", exc)
        return []
    finally:
        await client.close()
    return [r.url for r in results]


async def _one(fetcher: Fetcher, location: str, kind: str) -> Source | None:
    """One source, or None (with one line on stderr saying why)."""
    try:
        if kind in ("web", "search"):
            found, fetched = await fetcher.url(location)
        else:
            found, fetched = await asyncio.to_thread(fetcher.file, Path(location))
    except Unavailable as exc:
        log.warning("source %s: %s; skipped", location, exc)
        return None
    return Source(
        id=0,
        location=location,
        title=found.title,
        publisher=found.publisher,
        kind=kind,  # type: ignore[arg-type]
        fetched_at=fetched,
        sha256=text_hash(found.text),
        chars=len(found.text),
        text=found.text,
    )
