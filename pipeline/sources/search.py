"""Finding sources with a search engine, behind one small interface; SearXNG's JSON API first."""

from __future__ import annotations

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


class SearchEngine(Protocol):
    async def search(self, query: str, count: int) -> list[Result]:
        """Up to `count` web results for `query`, best first; raise Unavailable if the engine fails."""
        ...

    async def close(self) -> None: ...


class SearXNG:
    """A SearXNG instance (self-hosted, open source): `GET /search?q=…&format=json`."""

    def __init__(self, settings: SearchSettings, timeout: float) -> None:
        self.settings = settings
        self.http = httpx.AsyncClient(base_url=settings.url, timeout=timeout, headers={"User-Agent": USER_AGENT})

    async def close(self) -> None:
        await self.http.aclose()

    async def search(self, query: str, count: int) -> list[Result]:
        params = {"q": query, "format": "json", "language": self.settings.language}
        try:
            response = await self.http.get("/search", params=params)
            response.raise_for_status()
            results = response.json().get("results", [])
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable(f"search failed ({type(exc).__name__})") from None
        found = [
            Result(r["url"], r.get("title") or r["url"], r.get("content") or "")
            for r in results
            if isinstance(r, dict) and str(r.get("url", "")).startswith(("http://", "https://"))
        ]
        return found[:count]


def engine(settings: SearchSettings, timeout: float) -> SearchEngine:
    """The configured search engine (one kind today: searxng)."""
    return SearXNG(settings, timeout)
