"""Search Console's Search Analytics API (`performance.api`), read through Google's own client library
(google-api-python-client, google-auth; the `gsc` extra): a service account's key file, the site's property, two
periods of `days` days ending three days ago (the data's delay), by page and by query, a page of 25,000 rows at
a time. What it gives is an `Export`, as the CSVs give. The key never leaves the credentials object: no record,
log or error message carries it.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from pipeline.config import PerformanceApi
from pipeline.errors import GenpostError, UsageError
from pipeline.performance.export import Export, Period, Row

SCOPES = ["https://www.googleapis.com/auth/webmasters.readonly"]
ROW_LIMIT = 25_000
MAX_ROWS = 200_000
DELAY_DAYS = 3  # Search Console's data for the last days is not final yet


def read_api(settings: PerformanceApi, today: date) -> Export:
    """The site's figures by page and by query, for the last `days` and the `days` before (compare mode)."""
    try:
        from google.auth.exceptions import GoogleAuthError
        from google.oauth2 import service_account
        from googleapiclient.discovery import build
        from googleapiclient.errors import HttpError
    except ImportError:
        raise UsageError("performance.api needs Google's client library: pip install 'genpost[gsc]'") from None
    try:
        credentials = service_account.Credentials.from_service_account_file(settings.key_file, scopes=SCOPES)
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{settings.key_file}: not a service account's key file ({type(exc).__name__})") from None
    options = {"api_endpoint": settings.endpoint} if settings.endpoint else None
    logging.getLogger("googleapiclient").setLevel(logging.ERROR)  # its own line for an HTTP error: ours says it
    end = today - timedelta(days=DELAY_DAYS)
    now = (end - timedelta(days=settings.days - 1), end)
    before = (now[0] - timedelta(days=settings.days), now[0] - timedelta(days=1))
    try:
        service = build(
            "searchconsole",
            "v1",
            credentials=credentials,
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )
        tables = {
            (dimension, period): _rows(service, settings.site_url, [dimension], span)
            for dimension in ("page", "query")
            for period, span in (("now", now), ("before", before))
        }
        pairs = _rows(service, settings.site_url, ["page", "query"], now)  # which page ranks for which search
    except HttpError as exc:
        why = " ".join(str(getattr(exc, "reason", "") or "").split())[:160]
        raise GenpostError(f"Search Console answered HTTP {exc.resp.status} for {settings.site_url} ({why})") from None
    except GoogleAuthError as exc:
        raise GenpostError(f"Search Console refused the service account ({type(exc).__name__})") from None
    except OSError as exc:
        raise GenpostError(f"Search Console could not be reached ({type(exc).__name__})") from None
    source = f"Search Analytics API: {settings.site_url}, {now[0]}–{now[1]} against {before[0]}–{before[1]}"
    page_queries = [(page, query, period) for (page, query), period in pairs.items()]
    return Export(_joined(tables, "page"), _joined(tables, "query"), source, page_queries)


def _rows(service: Any, site_url: str, dimensions: list[str], span: tuple[date, date]) -> dict[Any, Period]:
    """The rows of `dimensions` for one period (a key, or a tuple of keys), page after page of the answer."""
    found: dict[Any, Period] = {}
    start = 0
    while start < MAX_ROWS:
        body = {
            "startDate": span[0].isoformat(),
            "endDate": span[1].isoformat(),
            "dimensions": dimensions,
            "rowLimit": ROW_LIMIT,
            "startRow": start,
        }
        answer = service.searchanalytics().query(siteUrl=site_url, body=body).execute()
        rows = answer.get("rows", []) if isinstance(answer, dict) else []
        for row in rows:
            keys = row.get("keys") or []
            if len(keys) == len(dimensions) and all(isinstance(k, str) for k in keys):
                found[keys[0] if len(keys) == 1 else tuple(keys)] = Period(
                    float(row.get("clicks", 0)),
                    float(row.get("impressions", 0)),
                    float(row.get("ctr", 0)),
                    float(row.get("position", 0)),
                )
        if len(rows) < ROW_LIMIT:
            break
        start += ROW_LIMIT
    return found


def _joined(tables: dict[tuple[str, str], dict[Any, Period]], dimension: str) -> list[Row]:
    """Each key's figures now, and before when it had any."""
    now, before = tables[(dimension, "now")], tables[(dimension, "before")]
    keys = list(dict.fromkeys([*now, *before]))
    return [Row(key, now.get(key, Period()), before.get(key, Period())) for key in keys]
