"""Images for a post: Unsplash search as its API guidelines ask, the instinct catalogue as fallback."""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import os
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt, stop_before_delay
from tenacity import wait_exponential as wait_exp

from pipeline.config import ImageSettings
from pipeline.instincts import CataloguePhoto, Instinct
from pipeline.site.posts import name_day
from pipeline.store import replace_write
from pipeline.types import Image, Plan
from pipeline.writing.outline import Outline

log = logging.getLogger("genpost")

DEFAULT_API_URL = "https://api.unsplash.com"
# Unsplash's imgix parameters for a 1200×630 card, each set exactly once.
RESIZE = {"w": "1200", "h": "630", "fit": "crop", "crop": "smart", "auto": "format", "q": "80"}
_PHOTO_PATH = re.compile(r"images\.unsplash\.com/(photo-[\w-]+)")


def sized_url(url: str, params: dict[str, str] | None = None) -> str:
    """The URL with each resize parameter set once, other parameters (such as ixid) kept."""
    params = RESIZE if params is None else params
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def photo_key(url: str) -> str | None:
    """The image's identity on images.unsplash.com (`photo-…`), shared by search results and posts."""
    match = _PHOTO_PATH.search(url)
    return match.group(1) if match else None


def slots_of(outline: Outline) -> list[str]:
    """The hero, then the image slot of every heading that carries one, in reading order."""
    return ["hero", *(part.image for part in outline if part.image)]


def alt_for(slot: str, outline: Outline, title: str) -> str:
    """Alt text: the H2's title, as in the reference post; the hero's is the post title."""
    heading = next((part.heading for part in outline if part.image == slot), None)
    return f"{heading}に関連するイメージ" if heading else title


def credit_html(photographer: str, profile: str, app: str) -> str:
    """The attribution Unsplash's guidelines ask for, with referral links."""
    ref = f"utm_source={app}&amp;utm_medium=referral"
    name = html.escape(photographer)
    return (
        f'Photo by <a href="{html.escape(profile)}?{ref}">{name}</a> '
        f'on <a href="https://unsplash.com/?{ref}">Unsplash</a>'
    )


class UnsplashUnavailable(Exception):
    """Unsplash could not answer within the retry budget."""


class _Retryable(Exception):
    pass


class UnsplashClient:
    """Search and download tracking over httpx, with a day-long disk cache and a retry budget."""

    def __init__(
        self,
        settings: ImageSettings,
        access_key: str,
        cache_dir: Path,
        api_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.remaining: int | None = None  # X-Ratelimit-Remaining, as last seen
        self.http = httpx.AsyncClient(
            base_url=api_url or os.environ.get("UNSPLASH_API_URL") or DEFAULT_API_URL,
            headers={"Authorization": f"Client-ID {access_key}", "Accept-Version": "v1"},
            timeout=settings.timeout,
        )

    async def close(self) -> None:
        await self.http.aclose()

    def _cache_file(self, params: dict[str, Any]) -> Path:
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
        return self.cache_dir / f"{digest}.json"

    def _cached(self, params: dict[str, Any]) -> list[dict] | None:
        path = self._cache_file(params)
        try:
            if time.time() - path.stat().st_mtime > self.settings.cache_hours * 3600:
                return None
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    async def search(self, query: str) -> list[dict]:
        """Landscape, safe photos for an English query: from the cache, or one request."""
        params = {
            "query": query,
            "orientation": "landscape",
            "content_filter": "high",
            "per_page": self.settings.per_page,
        }
        cached = self._cached(params)
        if cached is not None:
            return cached
        if self.remaining == 0:
            raise UnsplashUnavailable("the hourly rate limit is used up")
        response = await self._get("/search/photos", params)
        results = response.json().get("results", [])
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            replace_write(self._cache_file(params), json.dumps(results, ensure_ascii=False))
        except OSError as exc:
            log.warning("unsplash search not cached: %s", exc.strerror)
        return results

    async def ping_download(self, download_location: str) -> None:
        """Tell Unsplash a photo is really used (its download-tracking endpoint)."""
        await self._get(download_location, {})

    async def _get(self, url: str, params: dict[str, Any]) -> httpx.Response:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.settings.attempts) | stop_before_delay(self.settings.budget_s),
            wait=wait_exp(multiplier=self.settings.backoff_initial_s, max=10),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._once(url, params)
        except RetryError as exc:
            raise UnsplashUnavailable(str(exc.last_attempt.exception())) from None
        return response

    async def _once(self, url: str, params: dict[str, Any]) -> httpx.Response:
        try:
            response = await self.http.get(url, params=params)
        except httpx.TransportError as exc:  # timeouts and dropped connections
            raise _Retryable(type(exc).__name__) from None
        if response.headers.get("X-Ratelimit-Remaining", "").isdigit():
            # Concurrent answers may arrive out of order: within a run the lowest count is the latest.
            seen = int(response.headers["X-Ratelimit-Remaining"])
            self.remaining = seen if self.remaining is None else min(self.remaining, seen)
        if response.status_code in (403, 429) or response.status_code >= 500:
            if self.remaining == 0:
                raise UnsplashUnavailable(f"rate limit reached (HTTP {response.status_code})")
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise UnsplashUnavailable(f"HTTP {response.status_code}")
        return response


def recently_used(places: list[Path], days: int, now: datetime) -> set[str]:
    """Photos (`photo-…` keys) in posts and drafts dated within the last `days` days."""
    cutoff = (now - timedelta(days=days)).date()
    used: set[str] = set()
    for folder in places:
        for path in folder.glob("*.md"):
            day = name_day(path.name)
            if day is not None and day >= cutoff:
                used.update(_PHOTO_PATH.findall(path.read_text(encoding="utf-8", errors="replace")))
    return used


def _from_search(slot: str, photo: dict, query: str, alt: str, app: str) -> Image:
    user = photo.get("user") or {}
    profile = (user.get("links") or {}).get("html") or "https://unsplash.com"
    name = user.get("name") or user.get("username") or "Unsplash"
    return Image(
        slot=slot,
        url=sized_url(photo["urls"]["raw"]),
        alt=alt,
        query=query,
        source="unsplash",
        page=(photo.get("links") or {}).get("html"),
        photographer=name,
        profile=profile,
        credit=credit_html(name, profile, app),
        likes=photo.get("likes"),
        download_location=(photo.get("links") or {}).get("download_location"),
    )


def _from_catalogue(slot: str, photo: CataloguePhoto, query: str, alt: str, app: str) -> Image:
    return Image(
        slot=slot,
        url=sized_url(photo.url),
        alt=alt,
        query=query,
        source="catalogue",
        page=photo.page,
        photographer=photo.photographer,
        profile=photo.profile,
        credit=credit_html(photo.photographer, photo.profile, app),
    )


def _pick(candidates: list[dict], taken: set[str], avoid: set[str], min_likes: int) -> dict | None:
    """The best search result: unused, not used recently, liked enough; relaxing in that order."""
    usable = [p for p in candidates if (p.get("urls") or {}).get("raw") and photo_key(p["urls"]["raw"]) not in taken]
    fresh = [p for p in usable if photo_key(p["urls"]["raw"]) not in avoid]
    for pool in ([p for p in fresh if (p.get("likes") or 0) >= min_likes], fresh):
        if pool:
            return pool[0]
    return None


def _catalogue_pick(instinct: Instinct, taken: set[str], avoid: set[str]) -> CataloguePhoto:
    photos = [p for p in instinct.images if photo_key(p.url) not in taken]
    fresh = [p for p in photos if photo_key(p.url) not in avoid]
    return (fresh or photos)[0]


async def choose_images(
    plan: Plan,
    outline: Outline,
    instinct: Instinct,
    settings: ImageSettings,
    client: UnsplashClient | None,
    avoid: set[str],
) -> list[Image]:
    """Hero first, then one photo per image slot, all different; never fails.

    With a client, each slot's English query is searched once (slots with the same query
    share the search); whatever Unsplash cannot give comes from the catalogue.
    """
    queries = plan.image_queries.model_dump()
    results: dict[str, list[dict]] = {}
    if client is not None:
        unique = list(dict.fromkeys(queries[slot] for slot in slots_of(outline)))
        answers = await asyncio.gather(*(client.search(q) for q in unique), return_exceptions=True)
        for query, answer in zip(unique, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, UnsplashUnavailable):
                    raise answer
                log.warning("unsplash: %s; using the catalogue for %r", answer, query)
                answer = []
            results[query] = answer
    images: list[Image] = []
    taken: set[str] = set()
    for slot in slots_of(outline):
        query, alt = queries[slot], alt_for(slot, outline, plan.title)
        found = _pick(results.get(query, []), taken, avoid, settings.min_likes)
        if found is not None:
            image = _from_search(slot, found, query, alt, settings.app_name)
        else:
            if client is not None and query in results and not results[query]:
                log.warning("unsplash: nothing usable for %r; using the catalogue", query)
            image = _from_catalogue(slot, _catalogue_pick(instinct, taken, avoid), query, alt, settings.app_name)
        taken.add(photo_key(image.url) or image.url)
        images.append(image)
    return images


def unsplash_client(settings: ImageSettings, cache_dir: Path) -> UnsplashClient | None:
    """A client when UNSPLASH_ACCESS_KEY is set; otherwise None, with a one-line notice."""
    key = os.environ.get("UNSPLASH_ACCESS_KEY", "").strip()
    if not key:
        log.warning("no UNSPLASH_ACCESS_KEY: images come from the instinct catalogue")
        return None
    return UnsplashClient(settings, key, cache_dir)
