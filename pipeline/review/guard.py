"""What stands in front of the review app: only the address it serves, only its own pages posting to it, and
headers that keep a page from running anything but the app's own script.

A page on another site cannot reach the app through DNS rebinding (its requests carry that site's name in
`Host`), nor post to it (its `Origin` or `Referer` is foreign); the CSRF token is checked as well, in the app."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # Not `no-referrer`: under it a browser sends `Origin: null` with a form's POST, and the app could no
    # longer tell its own forms from a foreign page's. `same-origin` sends nothing to any other site either.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_HEADER_PAIRS = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
HOST_REFUSED = "このアドレスでは受け付けていません（Host ヘッダーがレビューアプリのアドレスではありません）"
ORIGIN_REFUSED = "ほかのサイトからの送信は受け付けません（Origin / Referer がレビューアプリではありません）"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def _bracketed(host: str) -> str:
    """An IPv6 address as it appears in a Host header."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def served_hosts(host: str, port: int) -> frozenset[str]:
    """The `Host` values a browser sends for the app bound to host:port (every loopback name for a loopback
    bind; a bind to all interfaces is reached through loopback only, unless hosts are declared)."""
    names = {_bracketed(host)}
    if _is_loopback(host) or _is_wildcard(host):
        names = set(_LOOPBACK_NAMES) | ({_bracketed(host)} if _is_loopback(host) else set())
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return frozenset(h.lower() for h in hosts)


class Guard:
    """ASGI middleware: refuses a foreign `Host` (400) and a foreign `Origin`/`Referer` on a POST (403), and
    puts the security headers on every response it passes."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in hosts)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)

    def _origin_ok(self, headers: Headers) -> bool:
        """A POST's origin: `Origin`, else the origin of `Referer`; neither (not a browser) is left to the token."""
        origin = headers.get("origin")
        if origin is None:
            referer = headers.get("referer")
            if referer is None:
                return True
            try:
                parts = urlsplit(referer)
            except ValueError:
                return False
            origin = f"{parts.scheme}://{parts.netloc}"
        return origin.lower() in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                raw += [(k, v) for k, v in _HEADER_PAIRS if k not in present]
                message = {**message, "headers": raw}
            await send(message)

        headers = Headers(scope=scope)
        refusal = None
        if headers.get("host", "").lower() not in self.hosts:
            refusal = PlainTextResponse(HOST_REFUSED, status_code=400)
        elif scope["type"] == "http" and scope["method"] not in SAFE_METHODS and not self._origin_ok(headers):
            refusal = PlainTextResponse(ORIGIN_REFUSED, status_code=403)
        if refusal is None:
            await self.app(scope, receive, send_guarded)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await refusal(scope, receive, send_guarded)
