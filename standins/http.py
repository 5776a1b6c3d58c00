"""A small threaded HTTP server on 127.0.0.1 that stand-ins build on."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JSONHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; helpers to answer JSON, SSE and errors."""

    protocol_version = "HTTP/1.1"
    server_version = "standin/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a post opens 16 connections at once

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0  # open now: a client's cancelled request may still be read after it went
        self.idle = threading.Condition()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.idle:
            self.connections += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.idle:
                self.connections -= 1
                self.idle.notify_all()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer (a timeout, a cancelled task) is normal here."""


class LoopbackServer:
    """Runs a handler class on 127.0.0.1 on a free port, in a background thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.standin = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def quiesce(self, timeout: float = 1.0) -> None:
        """Wait (a little) until every connection of an earlier test is closed, so none of its requests is
        read, and recorded, after a reset."""
        with self.httpd.idle:
            self.httpd.idle.wait_for(lambda: self.httpd.connections == 0, timeout)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FaultQueue:
    """Faults a test queues for a stand-in's next requests, and the requests it saw."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: deque = deque()
        self.requests: list = []

    def inject(self, *faults: object) -> None:
        with self._lock:
            self.faults.extend(faults)

    def record(self, seen: object) -> None:
        with self._lock:
            self.requests.append(seen)

    def clear_faults_and_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()
