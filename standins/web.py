"""A loopback web server with pages to use as sources, and a SearXNG stand-in that finds them.

Pages come with the navigation, header and footer a real site has (extraction must drop
them), a PDF, a page that is gone (404), one that answers too late, one that is too big, one
that is not a document at all, and one whose article carries Liquid and HTML.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs, urlsplit

from standins.http import JSONHandler, LoopbackServer

NAV = "<nav><a href='/'>ホーム</a> <a href='/about'>会社概要</a> メニュー ログイン 会員登録</nav>"
FOOTER = "<footer>Copyright 2026 Example Research. 利用規約 プライバシーポリシー お問い合わせ</footer>"


def page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:site_name' content='Example Research'></head><body>{NAV}<header>サイトのヘッダー</header>"
        f"<main><article><h1>{title}</h1>{body}</article></main>{FOOTER}</body></html>"
    )


SURVEY = page(
    "生成AI活用実態調査2026",
    [
        "国内の企業1,200社を対象に、生成AIの活用状況を調べました。調査は2026年10月に行いました。",
        "生成AIをマーケティング業務で使っている企業は43.7%でした。前年の調査から12ポイント増えています。",
        "活用している企業のうち、成果を実感していると答えた企業は約6割でした。特にメールやSNSの文面作成で効果が大きいという回答が目立ちました。",
        "一方で、社内のルールづくりが追いついていないと答えた企業も多く、運用体制の整備が課題として残っています。",
    ],
)
HOSTILE = page(
    "顧客体験レポート",
    [
        "顧客の声を毎週集めている企業は、集めていない企業に比べて解約率が2倍低いという結果でした。",
        "{% include secret.html %} {{ site.github }} <script>alert('x')</script> このような記述も本文に含まれます。",
        "調査は国内の小売企業300社を対象に行いました。顧客の声を集める仕組みの有無と、解約率の変化を比べています。",
    ],
)


def survey_pdf() -> bytes:
    """A small PDF report (core fonts: its text is English)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Marketing Automation Benchmark 2026")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    lines = [
        "Marketing Automation Benchmark 2026.",
        "Among 800 marketing teams, 62.5% automate their email campaigns.",
        "Teams that automate report 3 times more tests per month than teams that do not.",
        "The survey ran from August to September 2026.",
    ]
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


class _Pages(JSONHandler):
    def do_GET(self) -> None:
        web: WebStandIn = self.server.standin  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        web.seen.append((path, self.headers.get("User-Agent", "")))
        if path == "/slow.html":
            time.sleep(web.slow_s)
        time.sleep(web.delay_s)
        if path in web.documents:
            content_type, data = web.documents[path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif path == "/huge.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(web.huge_bytes))
            self.end_headers()
            self.wfile.write(b"<p>" + b"x" * min(web.huge_bytes, 1 << 16))
        else:
            self.send_json(404, {"error": "not found"})


class WebStandIn(LoopbackServer):
    """Pages on 127.0.0.1; `url(name)` gives a page's address."""

    def __init__(self) -> None:
        super().__init__(_Pages)
        self.seen: list[tuple[str, str]] = []  # (path, User-Agent)
        self.slow_s = 3.0
        self.delay_s = 0.0  # every answer waits this long (the bench's network)
        self.huge_bytes = 50_000_000
        html = "text/html; charset=utf-8"
        self.documents: dict[str, tuple[str, bytes]] = {
            "/survey.html": (html, SURVEY.encode()),
            "/hostile.html": (html, HOSTILE.encode()),
            "/slow.html": (html, SURVEY.encode()),
            "/report.pdf": ("application/pdf", survey_pdf()),
            "/logo.png": ("image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 64),
        }

    def url(self, name: str) -> str:
        return f"{self.root}/{name}"


class _Search(JSONHandler):
    def do_GET(self) -> None:
        engine: SearXNGStandIn = self.server.standin  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with engine.lock:
            engine.queries.append(params)
        if parts.path != "/search" or params.get("format") != "json":
            self.send_json(403, {"error": "format=json is the only format enabled"})
            return
        results = [
            {"url": url, "title": title, "content": snippet, "engine": "standin"}
            for url, title, snippet in engine.results
        ]
        self.send_json(200, {"query": params.get("q", ""), "number_of_results": len(results), "results": results})


class SearXNGStandIn(LoopbackServer):
    """SearXNG's JSON API (`/search?q=…&format=json`), answering with `results` (url, title, snippet)."""

    def __init__(self, results: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(_Search)
        self.lock = threading.Lock()
        self.results = results or []
        self.queries: list[dict[str, str]] = []
