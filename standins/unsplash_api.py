"""A stand-in for the Unsplash API on 127.0.0.1: search, download tracking, rate limits, faults.

Search answers are made from the query, deterministically, in the shape of the real
API (`urls.raw` with ixid, `links.download_location`, `user.links.html`, `likes`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from standins.http import FaultQueue, JSONHandler, LoopbackServer


@dataclass
class UnsplashFault:
    status: int | None = None  # answer with this status
    remaining: int | None = None  # X-Ratelimit-Remaining on that answer
    empty: bool = False  # a search with no results
    hang_s: float = 0.0


def photo(query: str, n: int, root: str) -> dict:
    digest = hashlib.sha256(f"{query}/{n}".encode()).hexdigest()
    photo_id = digest[:11]
    stamp = f"{int(digest[11:21], 16) % 10**13:013d}-{digest[21:33]}"
    return {
        "id": photo_id,
        "likes": [3, 250, 40, 1200, 8, 77][n % 6],
        "alt_description": f"{query} photo {n}",
        "urls": {
            "raw": f"https://images.unsplash.com/photo-{stamp}?ixid=STANDIN{n}&ixlib=rb-4.1.0",
            "regular": f"https://images.unsplash.com/photo-{stamp}?ixid=STANDIN{n}&ixlib=rb-4.1.0&w=1080&fit=max",
        },
        "links": {
            "html": f"https://unsplash.com/photos/{photo_id}",
            "download_location": f"{root}/photos/{photo_id}/download?ixid=STANDIN{n}",
        },
        "user": {
            "name": f"Photographer {digest[:4]}",
            "username": f"user{digest[:6]}",
            "links": {"html": f"https://unsplash.com/@user{digest[:6]}"},
        },
    }


class _Handler(JSONHandler):
    def do_GET(self) -> None:
        api: UnsplashStandIn = self.server.standin  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        api.record(Seen(parts.path, params, dict(self.headers.items())))
        if self.headers.get("Authorization") != f"Client-ID {api.key}" or self.headers.get("Accept-Version") != "v1":
            self.send_json(401, {"errors": ["OAuth error: The access token is invalid"]})
            return
        fault = api.next_fault()
        if fault and fault.hang_s:
            time.sleep(fault.hang_s)
        remaining = api.take_request(fault)
        headers = {"X-Ratelimit-Limit": str(api.limit), "X-Ratelimit-Remaining": str(remaining)}
        if fault and fault.status:
            self.send_json(
                fault.status, {"errors": ["Rate Limit Exceeded" if fault.status == 403 else "error"]}, headers
            )
            return
        if parts.path == "/search/photos":
            count = 0 if (fault and fault.empty) else int(params.get("per_page", 10))
            results = [photo(params.get("query", ""), n, api.root) for n in range(count)]
            self.send_json(200, {"total": count, "total_pages": 1, "results": results}, headers)
        elif parts.path.startswith("/photos/") and parts.path.endswith("/download"):
            self.send_json(200, {"url": "https://images.unsplash.com/download"}, headers)
        else:
            self.send_json(404, {"errors": ["not found"]}, headers)


@dataclass
class Seen:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


class UnsplashStandIn(LoopbackServer, FaultQueue):
    """Point UNSPLASH_API_URL at `root`; read `searches()` and `downloads()` afterwards."""

    def __init__(self, key: str = "standin-access-key", limit: int = 50) -> None:
        LoopbackServer.__init__(self, _Handler)
        FaultQueue.__init__(self)
        self.key = key
        self.limit = limit
        self.remaining = limit

    def next_fault(self) -> UnsplashFault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def take_request(self, fault: UnsplashFault | None) -> int:
        with self._lock:
            if fault and fault.remaining is not None:
                self.remaining = fault.remaining
            else:
                self.remaining = max(self.remaining - 1, 0)
            return self.remaining

    def reset(self) -> None:
        self.clear_faults_and_requests()
        with self._lock:
            self.remaining = self.limit

    def searches(self) -> list[Seen]:
        return [r for r in self.requests if r.path == "/search/photos"]

    def downloads(self) -> list[Seen]:
        return [r for r in self.requests if r.path.endswith("/download")]
