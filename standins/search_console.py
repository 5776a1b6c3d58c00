"""A loopback stand-in for Search Console's Search Analytics API and Google's OAuth token endpoint.

`POST /token` takes a service account's signed JWT (the `urn:ietf:params:oauth:grant-type:jwt-bearer` grant) and
answers an access token; `POST /webmasters/v3/sites/{siteUrl}/searchAnalytics/query` answers the rows of the
dimension and period asked (`{"rows": [{"keys": [...], "clicks", "impressions", "ctr", "position"}],
"responseAggregationType": ...}`), `rowLimit` rows from `startRow`, and 401 without the token it gave.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from standins.http import JSONHandler, LoopbackServer

TOKEN = "standin-access-token"


class _Api(JSONHandler):
    def do_POST(self) -> None:
        api: SearchConsoleStandIn = self.server.standin  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path == "/token":
            form = parse_qs(raw.decode())
            with api.lock:
                api.grants.append(form)
            if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] or not form.get("assertion"):
                self.send_json(400, {"error": "invalid_grant"})
                return
            self.send_json(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})
            return
        prefix, suffix = "/webmasters/v3/sites/", "/searchAnalytics/query"
        if not (path.startswith(prefix) and path.endswith(suffix)):
            self.send_json(404, {"error": {"code": 404, "message": "not found"}})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_json(401, {"error": {"code": 401, "message": "Request had invalid authentication credentials."}})
            return
        site = unquote(path[len(prefix) : -len(suffix)])
        body = json.loads(raw or b"{}")
        with api.lock:
            api.queries.append({"site": site, **body})
        if site != api.site_url:
            self.send_json(403, {"error": {"code": 403, "message": "User does not have sufficient permission."}})
            return
        dimension = "_".join(body.get("dimensions") or ["page"])
        period = "now" if body.get("endDate") == api.end_date else "before"
        rows = api.rows.get((dimension, period), [])
        start, limit = int(body.get("startRow", 0)), int(body.get("rowLimit", 1000))
        page = rows[start : start + limit]
        payload: dict[str, Any] = {"responseAggregationType": "byPage" if "page" in dimension else "byProperty"}
        if page:
            payload["rows"] = page
        self.send_json(200, payload)


class SearchConsoleStandIn(LoopbackServer):
    """The API for one property; `rows[(dimension, "now"|"before")]` as the API writes them (`page_query` for
    the page-by-query rows)."""

    def __init__(self, site_url: str, end_date: str) -> None:
        super().__init__(_Api)
        self.lock = threading.Lock()
        self.site_url, self.end_date = site_url, end_date
        self.rows: dict[tuple[str, str], list[dict]] = {}
        self.grants: list[dict] = []
        self.queries: list[dict] = []
