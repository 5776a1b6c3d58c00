"""A loopback web server with pages to use as sources, and a SearXNG stand-in that finds them.

Pages come with the navigation, header and footer a real site has (extraction must drop
them), a PDF, a page that is gone (404), one that answers too late, one that is too big, one
that is not a document at all, and one whose article carries Liquid and HTML. Hostile ones too:
a redirect loop, redirects to a `javascript:` URL and to port 99999, a gzip body that is garbage, a page that
trickles a byte at a time, and every path under `/any/` (whatever its characters) answering
with the survey under a title made of markup, for URLs and titles that carry Liquid or Markdown.
"""

from __future__ import annotations

import html
import threading
import time
from urllib.parse import parse_qs, urlsplit

from standins.http import JSONHandler, LoopbackServer

NAV = "<nav><a href='/'>ホーム</a> <a href='/about'>会社概要</a> メニュー ログイン 会員登録</nav>"
FOOTER = "<footer>Copyright 2026 Example Research. 利用規約 プライバシーポリシー お問い合わせ</footer>"


def page(title: str, paragraphs: list[str], site: str = "Example Research") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    title, site = html.escape(title), html.escape(site)
    return (
        f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:site_name' content='{site}'></head><body>{NAV}<header>サイトのヘッダー</header>"
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
# A title and a site name that would be markup in a footnote: Liquid, Markdown, kramdown, HTML.
HOSTILE_TITLE = (
    "{{ site.planted }} | *強調* _下線_ `code` [押す](javascript:alert(1)) <img src=x onerror=alert(1)> "
    '{: onclick="alert(1)"} $$x^2$$ 生成AI活用実態調査2026'
)
HOSTILE_SITE = "{% include secret.html %}|**Example**"
HOSTILE = page(
    "顧客体験レポート",
    [
        "顧客の声を毎週集めている企業は、集めていない企業に比べて解約率が2倍低いという結果でした。",
        "{% include secret.html %} {{ site.github }} <script>alert('x')</script> このような記述も本文に含まれます。",
        "調査は国内の小売企業300社を対象に行いました。顧客の声を集める仕組みの有無と、解約率の変化を比べています。",
    ],
)


HOSTILE_TITLED = SURVEY.replace("生成AI活用実態調査2026", html.escape(HOSTILE_TITLE)).replace(
    "'Example Research'", f"'{html.escape(HOSTILE_SITE)}'"
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
        with web.lock:
            web.seen.append((path, self.headers.get("User-Agent", "")))
        if path == "/slow.html":
            time.sleep(web.slow_s)
        time.sleep(web.delay_s)
        if path in web.documents:
            content_type, data = web.documents[path]
            self.send_document(content_type, data)
        elif path.startswith("/any/"):  # any characters in the path, a title made of markup, the survey's text
            self.send_document("text/html; charset=utf-8", HOSTILE_TITLED.encode())
        elif path == "/huge.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(web.huge_bytes))
            self.end_headers()
            self.wfile.write(b"<p>" + b"x" * min(web.huge_bytes, 1 << 16))
        elif path == "/loop.html":  # redirects to itself, for ever
            self.redirect("/loop.html")
        elif path == "/to-script.html":
            self.redirect("javascript:alert(document.cookie)")
        elif path == "/to-bad-port.html":
            self.redirect("http://127.0.0.1:99999/survey.html")
        elif path == "/bad-gzip.html":
            garbage = b"this is not gzip at all " * 20
            self.send_document("text/html; charset=utf-8", garbage, {"Content-Encoding": "gzip"})
        elif path == "/trickle.html":
            self.trickle(SURVEY.encode(), web.trickle_s, web.trickle_max_s)
        else:
            self.send_json(404, {"error": "not found"})

    def send_document(self, content_type: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def trickle(self, data: bytes, every_s: float, at_most_s: float) -> None:
        """A whole page, one byte every `every_s` seconds (no read waits long), stopped after `at_most_s`."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.close_connection = True  # an answer cut short cannot keep its connection
        started = time.monotonic()
        try:
            for n in range(len(data)):
                self.wfile.write(data[n : n + 1])
                self.wfile.flush()
                if time.monotonic() - started > at_most_s:
                    return
                time.sleep(every_s)
        except OSError:  # the client gave up, as it should
            pass


class WebStandIn(LoopbackServer):
    """Pages on 127.0.0.1; `url(name)` gives a page's address."""

    def __init__(self) -> None:
        super().__init__(_Pages)
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str]] = []  # (path, User-Agent)
        self.slow_s = 3.0
        self.trickle_s = 0.2  # /trickle.html sends a byte this often...
        self.trickle_max_s = 15.0  # ...and stops after this long, whoever listens
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
        answer = {"query": params.get("q", ""), "number_of_results": len(results), "results": results}
        self.send_json(200, {**answer, "suggestions": engine.suggestions})


class SearXNGStandIn(LoopbackServer):
    """SearXNG's JSON API (`/search?q=…&format=json`), answering with `results` (url, title, snippet)."""

    def __init__(self, results: list[tuple[str, str, str]] | None = None, suggestions: list[str] | None = None) -> None:
        super().__init__(_Search)
        self.lock = threading.Lock()
        self.results = results or []
        self.suggestions = suggestions or []
        self.queries: list[dict[str, str]] = []


class _Moved(JSONHandler):
    def do_GET(self) -> None:
        self.send_response(301)
        self.send_header("Location", self.server.standin.target)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()


class MovedStandIn(LoopbackServer):
    """Every path answers 301 to `target`: sources that have moved."""

    def __init__(self, target: str) -> None:
        super().__init__(_Moved)
        self.target = target
