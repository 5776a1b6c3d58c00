"""The URLs genpost is asked to fetch: which ones it can, and how a source is named on one stderr line."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import httpx

SCHEMES = ("http", "https")
# Unicode categories no URL may hold as written: controls, invisible format characters, every kind of space.
_NOT_IN_URLS = ("Cc", "Cf", "Zs", "Zl", "Zp")
SHOWN_MAX = 200  # characters of a location a notice shows
NOT_HTTP = "only http and https URLs can be fetched"


def looks_like_url(item: str) -> bool:
    """Is this --sources item meant as a URL (rather than a file or folder)?"""
    return "://" in item or item.lower().startswith(("http:", "https:"))


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched as written, or None: an http(s) URL with a host, a valid port, no spaces."""
    if any(unicodedata.category(ch) in _NOT_IN_URLS for ch in url):
        return "a URL cannot hold spaces, tabs, line breaks or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return "not a valid URL (its host or port)"
    if parts.scheme.lower() not in SCHEMES:
        return NOT_HTTP
    if not parts.hostname:
        return "a URL needs a host"
    if "\\" in parts.netloc:
        return "not a valid URL (a backslash in its host)"
    if ":" not in parts.hostname and "" in parts.hostname.removesuffix(".").split("."):
        return "not a valid URL (an empty part in its host name)"
    if parts.port == 0:
        return "not a valid URL (port 0)"
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError):
        return "not a valid URL (its host or port)"
    return None


def without_credentials(location: str) -> str:
    """A URL with any `user:password@` taken out (what may be written to a file, a log or a page)."""
    if "://" not in location:
        return location
    scheme, _, rest = location.partition("://")
    authority, sep, tail = _split_authority(rest)
    return f"{scheme}://{authority.rpartition('@')[2]}{sep}{tail}"


def shown(location: str) -> str:
    """A source's location as a notice names it: on one line, without credentials, not too long."""
    location = without_credentials(location)
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in location)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _split_authority(rest: str) -> tuple[str, str, str]:
    """`user:pw@host:port`, and what follows it (from the first `/`, `?` or `#`)."""
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    return rest[:cut], rest[cut : cut + 1], rest[cut + 1 :]
