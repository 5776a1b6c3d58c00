"""Fetching sources: URLs over httpx (a deadline per request, retries within a budget, a size cap,
content types, a User-Agent that names genpost) and files from disk; URLs are cached on disk with the
fetch time and a hash of the text.

Whatever goes wrong with one source is raised as `Unavailable`, with a one-line reason: a source
costs only itself, never the run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt, stop_before_delay
from tenacity import wait_exponential as wait_exp

from pipeline import __version__
from pipeline.config import SourceSettings
from pipeline.sources.extract import Extracted, Unreadable, extract, kind_of
from pipeline.sources.outline import Heading
from pipeline.sources.urls import shown, url_problem, without_credentials
from pipeline.store import replace_write

USER_AGENT = f"genpost/{__version__} (writes blog posts; fetches only the pages it is given or finds to cite)"
MAX_REDIRECTS = 10
ROBOTS_AGENT = "genpost"  # the name robots.txt rules for genpost use
ROBOTS_MAX = 500_000  # characters of a robots.txt read


class Unavailable(Exception):
    """A source that could not be had: dead, refused, too big, of another kind, unreadable."""


class _Retryable(Exception):
    pass


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_regular(path: Path, limit: int, follow_symlinks: bool = True) -> tuple[bytes, float]:
    """A regular file's bytes and when it was last changed; anything else (a FIFO, a device, a folder, a file
    over `limit` bytes) is refused before it is read, and never more than `limit` + 1 bytes are read."""
    try:
        before = path.stat(follow_symlinks=follow_symlinks)
        if not stat.S_ISREG(before.st_mode):
            raise Unavailable("not a regular file")
        if before.st_size > limit:
            raise Unavailable(f"larger than {limit:,} bytes")
        # O_NONBLOCK: a file swapped for a FIFO since the stat must not hang the open.
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        if not follow_symlinks:
            flags |= getattr(os, "O_NOFOLLOW", 0)
        with open(os.open(path, flags), "rb") as handle:
            now = os.fstat(handle.fileno())
            if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
                raise Unavailable("changed while it was read")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise Unavailable(exc.strerror or type(exc).__name__) from None
    except ValueError:  # a path holding a NUL byte
        raise Unavailable("not a valid path") from None
    if len(data) > limit:
        raise Unavailable(f"larger than {limit:,} bytes")
    return data, now.st_mtime


class Fetcher:
    """Gets documents by URL or path and extracts their main text; URLs go through a disk cache."""

    def __init__(self, settings: SourceSettings, cache_dir: Path) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.http = httpx.AsyncClient(
            timeout=settings.timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": USER_AGENT},
            event_hooks={"response": [_check_redirect]},
        )
        self._robots: dict[str, RobotFileParser | None] = {}  # each site's robots.txt, read once

    async def close(self) -> None:
        await self.http.aclose()

    async def url(self, url: str, robots: bool = False) -> tuple[Extracted, datetime]:
        """A page or PDF's text and title, and when it was fetched; `robots`: a page a search found (not one
        the user named) is fetched only where the site's robots.txt allows genpost."""
        problem = url_problem(url)
        if problem:
            raise Unavailable(problem)
        cached = self._cached(url)
        if cached is not None:
            return cached
        if robots and not await self._allowed(url):
            raise Unavailable("the site's robots.txt does not allow genpost to fetch it")
        data, content_type = await self._get(url)
        kind = kind_of(content_type, url)
        if kind is None:
            raise Unavailable(f"not a page, PDF or text ({content_type or 'no content type'})")
        # Extraction is CPU work: in a thread, so the other sources' downloads go on meanwhile.
        found = await asyncio.to_thread(_extracted, data, kind, url)
        if not found.publisher:
            found = Extracted(found.title, found.text, urlsplit(url).hostname or "", found.headings)
        fetched = datetime.now(UTC)
        self._store(url, found, fetched)
        return found, fetched

    def file(self, path: Path, follow_symlinks: bool = True) -> tuple[Extracted, datetime]:
        """A file's text and title, and when it was last changed (`follow_symlinks=False`: a link is refused)."""
        kind = kind_of(None, path.name)
        if kind is None:
            raise Unavailable("not a .md, .txt, .html or .pdf file")
        data, changed = read_regular(path, self.settings.max_bytes, follow_symlinks)
        found = _extracted(data, kind, path.name)
        when = datetime.fromtimestamp(changed, UTC)
        return Extracted(found.title, found.text, found.publisher or path.parent.name, found.headings), when

    async def _get(self, url: str) -> tuple[bytes, str | None]:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.settings.attempts) | stop_before_delay(self.settings.budget_s),
            wait=wait_exp(multiplier=0.5, max=5),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(url)
        except RetryError as exc:
            raise Unavailable(str(exc.last_attempt.exception())) from None
        raise AssertionError("unreachable")

    async def _once(self, url: str) -> tuple[bytes, str | None]:
        """One request, whole: `sources.timeout` is its deadline, from connecting to the last byte (a page
        that trickles a byte at a time is cut off there, not kept alive by each byte)."""
        limit = self.settings.max_bytes
        deadline = self.settings.timeout
        answered: list[bool] = []  # set once the headers are in: a timeout after that is a body too slow
        try:
            async with asyncio.timeout(deadline):
                return await self._download(url, limit, answered)
        except (TimeoutError, httpx.TimeoutException):
            late = "not received in full" if answered else "no answer"
            raise _Retryable(f"{late} within {deadline:g} s") from None
        except httpx.TooManyRedirects:
            raise Unavailable(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
        except httpx.DecodingError:
            raise Unavailable("a body that cannot be decoded (its Content-Encoding is broken)") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):  # the URL itself was checked before
            raise Unavailable("redirected to an address that is not a valid http or https URL") from None
        except httpx.ConnectError:
            raise _Retryable("could not connect (no such host, or the connection was refused)") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"the connection failed ({type(exc).__name__})") from None
        except (_Retryable, Unavailable):
            raise
        except Exception as exc:  # whatever else httpx or anyio raise (an ExceptionGroup, ...) is this source's
            raise Unavailable(f"the request failed ({type(exc).__name__})") from None

    async def _download(self, url: str, limit: int, answered: list[bool]) -> tuple[bytes, str | None]:
        async with self.http.stream("GET", url) as response:
            answered.append(True)
            if response.status_code in (408, 429) or response.status_code >= 500:
                raise _Retryable(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                raise Unavailable(f"HTTP {response.status_code}")
            content_type = response.headers.get("content-type")
            if kind_of(content_type, url) is None:
                raise Unavailable(f"not a page, PDF or text ({content_type or 'no content type'})")
            declared = response.headers.get("content-length", "")
            if declared.strip().isdigit() and int(declared) > limit:
                raise Unavailable(f"larger than {limit:,} bytes")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > limit:
                    raise Unavailable(f"larger than {limit:,} bytes")
            return bytes(data), content_type

    async def _allowed(self, url: str) -> bool:
        """Does the site's robots.txt allow genpost to fetch `url`? Read once per site (urllib.robotparser); a
        site with none (4xx) or that does not answer allows it, one that fails (5xx) does not."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = await self._read_robots(origin)
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(ROBOTS_AGENT, url)

    async def _read_robots(self, origin: str) -> RobotFileParser | None:
        rules = RobotFileParser()
        try:
            async with asyncio.timeout(self.settings.timeout):
                response = await self.http.get(f"{origin}/robots.txt")
        except Exception:  # no answer: nothing forbids it
            return None
        if response.status_code >= 500:
            rules.disallow_all = True
            return rules
        if response.status_code >= 400:
            return None
        rules.parse(response.text[:ROBOTS_MAX].splitlines())
        return rules

    def _cache_file(self, url: str) -> Path:
        return self.cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()[:24]}.json"

    def _cached(self, url: str) -> tuple[Extracted, datetime] | None:
        """The cached text of `url`, if fresh and whole; an entry that is damaged in any way is fetched again."""
        try:
            data = json.loads(self._cache_file(url).read_text(encoding="utf-8"))
            fetched = datetime.fromisoformat(data["fetched_at"])
            stale = datetime.now(UTC) - fetched > timedelta(hours=self.settings.cache_hours)
            if data.get("url") != without_credentials(url) or stale:
                return None
            if text_hash(data["text"]) != data.get("sha256"):
                return None
            headings = tuple(Heading(int(h[0]), str(h[1]), str(h[2])) for h in data.get("headings", []))
            return Extracted(str(data["title"]), data["text"], str(data.get("publisher", "")), headings), fetched
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, not JSON, a field missing or of the wrong type, a time with no zone

    def _store(self, url: str, found: Extracted, fetched: datetime) -> None:
        entry = {
            "url": without_credentials(url),  # a password in a URL is never written to a file
            "title": found.title,
            "publisher": found.publisher,
            "fetched_at": fetched.isoformat(),
            "sha256": text_hash(found.text),
            "text": found.text,
            "headings": [[h.level, h.text, h.under] for h in found.headings],
        }
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            replace_write(self._cache_file(url), json.dumps(entry, ensure_ascii=False))
        except OSError:
            pass  # a cache that cannot be written costs a fetch later, never the run


async def _check_redirect(response: httpx.Response) -> None:
    """A redirect is followed only to a URL genpost would fetch if it were given it (http or https, a host,
    a valid port): checked before httpx follows it."""
    location = response.headers.get("location")
    if not response.is_redirect or location is None:
        return
    target = urljoin(str(response.request.url), location)
    problem = url_problem(target)
    if problem:
        raise Unavailable(f"redirected to {shown(target)}: {problem}")


def _extracted(data: bytes, kind: str, name: str) -> Extracted:
    """The document's text; any failure of the extractors is this source's, never the run's."""
    try:
        return extract(data, kind, name)
    except Unreadable as exc:
        raise Unavailable(str(exc)) from None
    except RecursionError:
        raise Unavailable("too deeply nested to read") from None
    except Exception as exc:  # trafilatura, lxml and pypdf raise many kinds on hostile input
        raise Unavailable(f"its text could not be extracted ({type(exc).__name__})") from None
