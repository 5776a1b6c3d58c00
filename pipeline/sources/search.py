"""Finding sources with a search engine, behind one small interface; SearXNG's JSON API first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

import httpx

from pipeline.config import SearchSettings
from pipeline.sources.fetch import USER_AGENT, Unavailable


@dataclass(frozen=True)
class Result:
    url: str
    title: str
    snippet: str = ""


@dataclass(frozen=True)
class Answer:
    results: list[Result]
    suggestions: list[str]  # other searches the engine suggests (what searchers also ask)


class SearchEngine(Protocol):
    async def search(self, query: str, count: int) -> list[Result]:
        """Up to `count` web results for `query`, best first; raise Unavailable if the engine fails."""
        ...

    async def answer(self, query: str, count: int) -> Answer:
        """The results, and the engine's suggestions."""
        ...

    async def close(self) -> None: ...


class SearXNG:
    """A SearXNG instance (self-hosted, open source): `GET /search?q=…&format=json`."""

    def __init__(self, settings: SearchSettings, timeout: float) -> None:
        self.settings = settings
        self.timeout = timeout
        self.http = httpx.AsyncClient(base_url=settings.url, timeout=timeout, headers={"User-Agent": USER_AGENT})

    async def close(self) -> None:
        await self.http.aclose()

    async def search(self, query: str, count: int) -> list[Result]:
        return (await self.answer(query, count)).results

    async def answer(self, query: str, count: int) -> Answer:
        params = {"q": query, "format": "json", "language": self.settings.language}
        try:
            async with asyncio.timeout(self.timeout):  # the whole answer, not each read
                response = await self.http.get("/search", params=params)
            response.raise_for_status()
            payload = response.json()
        except TimeoutError:
            raise Unavailable(f"search failed (no answer within {self.timeout:g} s)") from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise Unavailable(f"search failed ({type(exc).__name__})") from None
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list):
            raise Unavailable("search failed (an answer with no list of results)")
        found = [
            Result(r["url"], str(r.get("title") or r["url"]), str(r.get("content") or ""))
            for r in results
            if isinstance(r, dict) and isinstance(r.get("url"), str) and r["url"].startswith(("http://", "https://"))
        ]
        suggested = payload.get("suggestions")
        suggestions = [s for s in suggested if isinstance(s, str)][:20] if isinstance(suggested, list) else []
        return Answer(found[:count], suggestions)


def engine(settings: SearchSettings, timeout: float) -> SearchEngine:
    """The configured search engine (one kind today: searxng)."""
    return SearXNG(settings, timeout)
