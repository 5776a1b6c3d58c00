"""Sources a post is grounded in: gathered (--sources, the library, a search), cut into passages, indexed.

`gather` fetches every source at once; one that cannot be had, for whatever reason, costs a line on
stderr, never the run. The passages each drafting piece receives come from `PassageIndex.top`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pipeline.config import SourceSettings
from pipeline.errors import UsageError
from pipeline.sources.extract import ENDINGS
from pipeline.sources.fetch import Fetcher, Unavailable, text_hash
from pipeline.sources.index import PassageIndex
from pipeline.sources.search import engine
from pipeline.sources.urls import NOT_HTTP, looks_like_url, shown, url_problem, without_credentials
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


class _Wanted(NamedTuple):
    location: str
    kind: str  # web, search, file, library
    in_folder: bool = False  # found in a folder: a link is never followed when it is read


def check_items(items: list[str], label: str = "--sources", skip_bad_urls: bool = False) -> list[str]:
    """The items that can be used: well-formed http(s) URLs, and files or folders that exist.

    Anything else is bad usage (exit 2, before any model call). With `skip_bad_urls` (a batch file's rows),
    a malformed http(s) URL is left out with a one-line notice instead; a missing file stays an error.
    """
    kept = []
    for item in items:
        if looks_like_url(item):
            problem = url_problem(item)
            if problem and skip_bad_urls and problem != NOT_HTTP:
                log.warning("source %s: %s; skipped", shown(item), problem)
                continue
            if problem:
                raise UsageError(f"{label} {shown(item)}: {problem}")
        elif not _exists(item):
            raise UsageError(f"{label} {shown(item)}: no such file or folder")
        kept.append(item)
    return kept


def _exists(item: str) -> bool:
    try:
        return Path(item).expanduser().exists()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a name too long, no home folder
        return False


def _files(folder: Path) -> list[Path]:
    """The documents in a folder and its subfolders: regular files only, and no link that leads out of it.

    Links are not followed into other folders; a linked file is read only when its target is inside the
    folder (then by its target's path). Anything else with a document's ending costs a notice.
    """
    try:
        root = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return []
    found: list[Path] = []
    for here, folders, names in os.walk(folder):  # os.walk never descends into a linked folder
        folders.sort()
        for name in folders:
            linked = Path(here) / name
            if linked.is_symlink() and not _inside(linked, root):
                log.warning("sources: %s links outside %s; skipped", shown(str(linked)), shown(str(folder)))
        for name in sorted(names):
            path = Path(here) / name
            if path.suffix.lower() not in ENDINGS:
                continue
            member = _member(path, root, folder)
            if member is not None:
                found.append(member)
            if len(found) > MAX_FILES:
                log.warning(
                    "sources: %s holds more than %d files; the first %d are used",
                    shown(str(folder)),
                    MAX_FILES,
                    MAX_FILES,
                )
                return found[:MAX_FILES]
    return found


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):  # a broken link, a loop of links
        return False


def _member(path: Path, root: Path, folder: Path) -> Path | None:
    """The path to read for a file found in `folder`, or None (with a notice) when it is not one to read."""
    try:
        if path.is_symlink():
            if not _inside(path, root):
                log.warning("sources: %s links outside %s; skipped", shown(str(path)), shown(str(folder)))
                return None
            path = path.resolve(strict=True)
        mode = path.lstat().st_mode
    except (OSError, RuntimeError) as exc:
        log.warning("sources: %s: %s; skipped", shown(str(path)), getattr(exc, "strerror", None) or exc)
        return None
    if not stat.S_ISREG(mode):
        log.warning("sources: %s is not a regular file (a FIFO, a device, a folder); skipped", shown(str(path)))
        return None
    return path


def _wanted_items(brief: Brief, settings: SourceSettings) -> list[_Wanted]:
    wanted: list[_Wanted] = []
    for item in brief.sources:
        if looks_like_url(item):
            wanted.append(_Wanted(item, "web"))
            continue
        path = Path(item).expanduser()
        if _is_dir(path):
            wanted += [_Wanted(str(p), "file", True) for p in _files(path)]
        else:
            wanted.append(_Wanted(str(path), "file"))
    if settings.library:
        library = Path(settings.library).expanduser()
        if _is_dir(library):
            wanted += [_Wanted(str(p), "library", True) for p in _files(library)]
        else:
            log.warning("sources: the library %s is not a folder; skipped", shown(str(library)))
    return wanted


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


async def gather(brief: Brief, settings: SourceSettings, cache_dir: Path, auto: bool = False) -> list[Source]:
    """Every usable source for the brief: its --sources, the library, and search results when asked for."""
    wanted = _wanted_items(brief, settings)
    fetcher = Fetcher(settings, cache_dir)
    try:
        if settings.search and (brief.search or auto):
            wanted += [_Wanted(url, "search") for url in await _search(brief, settings)]
        elif brief.search:
            raise UsageError("--search needs sources.search in genpost.yml (a SearXNG address)")
        found = await asyncio.gather(*(_one(fetcher, item) for item in dict.fromkeys(wanted)))
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
    except Exception as exc:  # an engine that answers nonsense costs its results, never the run
        log.warning("sources: the search failed (%s); the post goes on without search results", type(exc).__name__)
        return []
    finally:
        await client.close()
    return [r.url for r in results]


async def _one(fetcher: Fetcher, item: _Wanted) -> Source | None:
    """One source, or None (with one line on stderr naming it and saying why)."""
    location, kind = item.location, item.kind
    try:
        if kind in ("web", "search"):
            found, fetched = await fetcher.url(location)
        else:
            found, fetched = await asyncio.to_thread(fetcher.file, Path(location), not item.in_folder)
    except Unavailable as exc:
        log.warning("source %s: %s; skipped", shown(location), _one_line(str(exc)))
        return None
    except Exception as exc:  # whatever else goes wrong with one source costs that source only
        log.warning("source %s: could not be read (%s); skipped", shown(location), type(exc).__name__)
        log.debug("source %s", shown(location), exc_info=True)
        return None
    return Source(
        id=0,
        location=without_credentials(location),
        title=found.title,
        publisher=found.publisher,
        kind=kind,  # type: ignore[arg-type]
        fetched_at=fetched,
        sha256=text_hash(found.text),
        chars=len(found.text),
        text=found.text,
    )


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
