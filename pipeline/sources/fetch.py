"""Fetching sources: URLs over httpx (timeouts, retries within a budget, a size cap, content types,
a User-Agent that names genpost) and files from disk; URLs are cached on disk with the fetch time
and a hash of the text."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt, stop_before_delay
from tenacity import wait_exponential as wait_exp

from pipeline import __version__
from pipeline.config import SourceSettings
from pipeline.sources.extract import Extracted, Unreadable, extract, kind_of
from pipeline.store import replace_write

USER_AGENT = f"genpost/{__version__} (writes blog posts; fetches only the pages it is given or finds to cite)"


class Unavailable(Exception):
    """A source that could not be had: dead, refused, too big, of another kind, unreadable."""


class _Retryable(Exception):
    pass


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Fetcher:
    """Gets documents by URL or path and extracts their main text; URLs go through a disk cache."""

    def __init__(self, settings: SourceSettings, cache_dir: Path) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.http = httpx.AsyncClient(
            timeout=settings.timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def url(self, url: str) -> tuple[Extracted, datetime]:
        """A page or PDF's text and title, and when it was fetched."""
        cached = self._cached(url)
        if cached is not None:
            return cached
        data, content_type = await self._get(url)
        kind = kind_of(content_type, url)
        if kind is None:
            raise Unavailable(f"not a page, PDF or text ({content_type or 'no content type'})")
        try:
            found = extract(data, kind, url)
        except Unreadable as exc:
            raise Unavailable(str(exc)) from None
        if not found.publisher:
            found = Extracted(found.title, found.text, urlsplit(url).hostname or "")
        fetched = datetime.now(UTC)
        self._store(url, found, fetched)
        return found, fetched

    def file(self, path: Path) -> tuple[Extracted, datetime]:
        """A file's text and title, and when it was last changed."""
        kind = kind_of(None, path.name)
        if kind is None:
            raise Unavailable("not a .md, .txt, .html or .pdf file")
        try:
            if path.stat().st_size > self.settings.max_bytes:
                raise Unavailable(f"larger than {self.settings.max_bytes:,} bytes")
            data = path.read_bytes()
        except OSError as exc:
            raise Unavailable(exc.strerror or type(exc).__name__) from None
        try:
            found = extract(data, kind, path.name)
        except Unreadable as exc:
            raise Unavailable(str(exc)) from None
        changed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return Extracted(found.title, found.text, found.publisher or path.parent.name), changed

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
        limit = self.settings.max_bytes
        try:
            async with self.http.stream("GET", url) as response:
                if response.status_code in (408, 429) or response.status_code >= 500:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise Unavailable(f"HTTP {response.status_code}")
                content_type = response.headers.get("content-type")
                if kind_of(content_type, url) is None:
                    raise Unavailable(f"not a page, PDF or text ({content_type or 'no content type'})")
                if int(response.headers.get("content-length") or 0) > limit:
                    raise Unavailable(f"larger than {limit:,} bytes")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > limit:
                        raise Unavailable(f"larger than {limit:,} bytes")
                return bytes(data), content_type
        except httpx.TimeoutException:
            raise _Retryable(f"no answer within {self.settings.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise _Retryable(type(exc).__name__) from None

    def _cache_file(self, url: str) -> Path:
        return self.cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()[:24]}.json"

    def _cached(self, url: str) -> tuple[Extracted, datetime] | None:
        try:
            data = json.loads(self._cache_file(url).read_text(encoding="utf-8"))
            fetched = datetime.fromisoformat(data["fetched_at"])
        except (OSError, ValueError, KeyError):
            return None
        if data.get("url") != url or datetime.now(UTC) - fetched > timedelta(hours=self.settings.cache_hours):
            return None
        if text_hash(data["text"]) != data.get("sha256"):
            return None  # a damaged entry is fetched again
        return Extracted(data["title"], data["text"], data.get("publisher", "")), fetched

    def _store(self, url: str, found: Extracted, fetched: datetime) -> None:
        entry = {
            "url": url,
            "title": found.title,
            "publisher": found.publisher,
            "fetched_at": fetched.isoformat(),
            "sha256": text_hash(found.text),
            "text": found.text,
        }
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            replace_write(self._cache_file(url), json.dumps(entry, ensure_ascii=False))
        except OSError:
            pass  # a cache that cannot be written costs a fetch later, never the run
