"""Hostile and careless sources: each bad one costs a line naming it, never the run; malformed URLs typed by
hand are bad usage before any model call; folders give up only their own regular files; cited URLs and
titles reach the post as inert text; `genpost check` flags live Liquid and script links."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.config import SearchSettings, SourceSettings
from pipeline.sources import check_items, gather
from pipeline.sources.fetch import Fetcher, Unavailable, read_regular
from pipeline.sources.urls import shown, url_problem
from pipeline.types import Finding, RelatedPost
from pipeline.writing.citations import citable_url, note_text
from standins.fake_writer import PASSAGE, FakeWriter
from tests import factories as f
from tests.conftest import jekyll_path
from tests.postparse import parse_post
from tests.test_quality import clean_post, run_rules

QUICK = SourceSettings(timeout=1.0, attempts=2, budget_s=5)
KEYWORD = "AI マーケティング 最新トレンド"
INVALID_HOST = "genpost-test.invalid"
# Every character a cited URL may hold: RFC 3986's unreserved ones and the reserved ones without meaning to
# Markdown, HTML or Liquid, and `%` only as the start of an escape.
CITABLE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@!$&*+,;=]*(?:%[0-9A-F]{2}[A-Za-z0-9\-._~:/?#@!$&*+,;=]*)*")


@pytest.fixture
def loopback_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Name lookups never leave this machine: loopback names resolve, `.invalid` fails as RFC 6761 tells a
    resolver to, and any other name fails too (and is recorded) instead of being asked of a DNS server."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def lookup(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        asked.append(str(name))
        if name is None or name in ("127.0.0.1", "localhost", "::1"):
            return real(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return asked


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(tmp_path: Path, url: str, settings: SourceSettings = QUICK):
    async def run():
        fetcher = Fetcher(settings, tmp_path / "cache")
        try:
            return await fetcher.url(url)
        finally:
            await fetcher.close()

    return asyncio.run(run())


def hostile_urls(web) -> dict[str, str]:
    """Sources that fail in every way a real one can, and the reason each is given."""
    return {
        web.url("loop.html"): "more than 10 redirects",
        web.url("bad-gzip.html"): "cannot be decoded",
        web.url("to-script.html"): "redirected to javascript:alert(document.cookie): only http and https",
        web.url("to-bad-port.html"): "redirected to http://127.0.0.1:99999/survey.html: not a valid URL",
        f"http://127.0.0.1:{closed_port()}/refused.html": "could not connect",
        f"http://{INVALID_HOST}/report.html": "could not connect",
    }


# --- one bad source, one line ------------------------------------------------------------------------


def test_each_hostile_answer_is_this_sources_failure_with_its_reason(web, tmp_path, loopback_dns):
    for url, reason in hostile_urls(web).items():
        with pytest.raises(Unavailable, match=re.escape(reason)):
            fetch(tmp_path, url)
    assert INVALID_HOST in loopback_dns, "the .invalid host went through name resolution (and failed there)"
    assert set(loopback_dns) <= {INVALID_HOST, "127.0.0.1", "localhost", "::1"}


def test_a_page_that_trickles_is_cut_off_at_the_deadline(web, tmp_path):
    settings = SourceSettings(timeout=1.0, attempts=1, budget_s=5)
    started = time.monotonic()
    with pytest.raises(Unavailable, match=r"not received in full within 1 s"):
        fetch(tmp_path, web.url("trickle.html"), settings)
    assert time.monotonic() - started < 3, "a byte every 0.2 s keeps no read waiting, yet the request ends at 1 s"
    whole, _ = fetch(tmp_path, web.url("survey.html"), settings)
    assert "43.7%" in whole.text, "the same deadline leaves a page that answers at once alone"


def test_gather_keeps_the_good_source_and_names_each_bad_one_once(web, tmp_path, caplog, loopback_dns):
    bad = hostile_urls(web)
    brief = f.brief(sources=[*bad, web.url("survey.html"), web.url("trickle.html")])
    found = asyncio.run(gather(brief, QUICK.model_copy(update={"attempts": 1}), tmp_path / "cache"))
    assert [s.location for s in found] == [web.url("survey.html")]
    messages = [r.getMessage() for r in caplog.records]
    for url, reason in [*bad.items(), (web.url("trickle.html"), "not received in full")]:
        lines = [m for m in messages if url in m]
        assert len(lines) == 1 and reason in lines[0] and lines[0].endswith("skipped"), (url, lines)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a\tb.html",
        "http://example.com/report.html\n",
        "http://example.com:99999/report.html",
        "http://",
        "https:///path-only",
        "https://exa mple.com/",
        "https://example.com/a b.html",
        "https://example.com/\u3000全角スペース",
        "https://example.com/\u200bzero-width",
        "http://a..b/",
        "http://evil.example\\@good.example/",
        "ftp://example.com/x.pdf",
    ],
)
def test_malformed_urls_are_named_for_what_is_wrong(url):
    assert url_problem(url), url
    assert "\n" not in shown(url) and "\t" not in shown(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/survey-2026",
        "http://127.0.0.1:8080/a?b=c&d=e#top",
        "https://例え.jp/記事?q=生成AI",
        "http://[::1]:8000/x.html",
        "https://example.com/%E3%81%82/100%25",
        "https://user:secret@example.com/x.pdf",
    ],
)
def test_well_formed_urls_pass(url):
    assert url_problem(url) is None


def test_a_notice_never_shows_a_password():
    assert shown("https://user:hunter2@example.com/x.pdf") == "https://example.com/x.pdf"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a\tb.html",
        "http://example.com/report.html\nsecond line",
        "http://127.0.0.1:99999/report.html",
        "http://",
        "https://exa mple.com/",
    ],
)
def test_a_malformed_url_on_the_command_line_is_bad_usage_before_any_model_call(llm, genpost, tmp_path, url):
    run = genpost("--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path), "--sources", url)
    assert run.code == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "--sources" in run.stderr
    assert llm.chat_bodies() == [], "no model call"
    assert not list(tmp_path.glob("*.md"))


def test_hostile_sources_on_the_command_line_cost_a_line_each_and_the_post_is_written(
    llm, web, genpost, tmp_path, loopback_dns
):
    bad = hostile_urls(web)
    run = genpost(
        "--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path),
        "--sources", *bad, web.url("survey.html"),
    )  # fmt: skip
    assert run.code == 0, run.stderr
    for url, reason in bad.items():
        lines = [line for line in run.stderr.splitlines() if url in line]
        assert len(lines) == 1 and reason in lines[0], (url, run.stderr)
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert [s["location"] for s in record["sources"]] == [web.url("survey.html")]


def search_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, searxng, **sources: object) -> None:
    lines = ["sources:", "  search:", f"    url: {searxng.root}", "    results: 10"]
    lines += [f"  {key}: {value}" for key, value in sources.items()]
    config = tmp_path / "genpost.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))


def test_auto_with_hostile_and_malformed_search_results_still_writes_the_post(
    llm, web, searxng, genpost, tmp_path, monkeypatch, loopback_dns
):
    bad = hostile_urls(web)
    malformed = ["http://", "http://127.0.0.1:99999/x.html", "https://exa mple.com/x.html"]
    searxng.results = [(url, "結果", "") for url in [web.url("survey.html"), *bad, *malformed]]  # 10 results at most
    search_config(tmp_path, monkeypatch, searxng, attempts=1)
    run = genpost("--auto", "--date", "2026-11-23T09:00:00+09:00", "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    for url in [*bad, *malformed]:
        lines = [line for line in run.stderr.splitlines() if f"source {shown(url)}: " in line]
        assert len(lines) == 1 and lines[0].endswith("skipped"), (url, run.stderr)
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert [(s["location"], s["kind"]) for s in record["sources"]] == [(web.url("survey.html"), "search")]


def test_a_search_engine_that_answers_nonsense_costs_its_results_only(web, tmp_path, caplog):
    from standins.http import JSONHandler, LoopbackServer

    class Nonsense(JSONHandler):
        def do_GET(self) -> None:
            self.send_json(200, ["not", "an", "object"])

    with LoopbackServer(Nonsense) as engine:
        settings = QUICK.model_copy(update={"search": SearchSettings(url=engine.root)})
        brief = f.brief(sources=[web.url("survey.html")], search=True)
        found = asyncio.run(gather(brief, settings, tmp_path / "cache"))
    assert [s.location for s in found] == [web.url("survey.html")]
    assert any("no list of results" in r.getMessage() for r in caplog.records)


def test_a_batch_rows_malformed_url_is_skipped_but_a_missing_file_is_bad_usage(llm, web, genpost, tmp_path):
    sets = tmp_path / "sets.yml"
    rows = ["http://", "http://127.0.0.1:99999/x.html", web.url("survey.html")]
    sets.write_text(
        json.dumps([{"instinct": "play", "keywords": ["ゲーム化 マーケティング"], "sources": rows}]), "utf-8"
    )
    run = genpost("batch", "--file", str(sets), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    for url in rows[:2]:
        assert len([line for line in run.stderr.splitlines() if f"source {url}:" in line]) == 1, run.stderr
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert [s["location"] for s in record["sources"]] == [web.url("survey.html")]

    llm.reset()
    missing = [{"instinct": "play", "keywords": ["ゲーム化"], "sources": [str(tmp_path / "nope.md")]}]
    sets.write_text(json.dumps(missing), "utf-8")
    refused = genpost("batch", "--file", str(sets), "--out", str(tmp_path / "out2"))
    assert refused.code == 2 and "no such file or folder" in refused.stderr and llm.chat_bodies() == []


def test_check_items_keeps_what_can_be_used(tmp_path):
    memo = tmp_path / "memo.md"
    memo.write_text("# メモ", "utf-8")
    items = [str(memo), "https://example.com/a", "http://", "http://x:99999/"]
    assert check_items(items, skip_bad_urls=True) == [str(memo), "https://example.com/a"]
    with pytest.raises(Exception, match="a URL needs a host"):
        check_items(items)
    with pytest.raises(Exception, match="no such file"):
        check_items(["notes\x00.md"])


# --- folders -----------------------------------------------------------------------------------------

LONG = "導入後の問い合わせ件数は月120件から月180件に増えました。担当者の工数も減っています。"


def note(path: Path, title: str) -> Path:
    path.write_text(f"# {title}\n\n{LONG}", "utf-8")
    return path


def gather_in_thread(brief, settings, cache: Path, seconds: float = 30) -> list:
    """gather() in a thread, so a hang fails the test instead of stopping the suite."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(asyncio.run(gather(brief, settings, cache))), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "gather hung"
    return out[0]


def test_a_folder_gives_only_its_own_regular_files(tmp_path, caplog):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = note(outside / "secret.md", "社外秘")
    (outside / "deep").mkdir()
    note(outside / "deep" / "more.md", "社外秘2")
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    note(folder / "case.md", "社内事例A")
    note(folder / "sub" / "inner.md", "社内事例B")
    (folder / "link-out.md").symlink_to(secret)
    (folder / "dir-out").symlink_to(outside, target_is_directory=True)
    (folder / "link-in.md").symlink_to(folder / "sub" / "inner.md")
    os.mkfifo(folder / "pipe.md")
    big = folder / "big.md"
    big.write_text("# 大きい\n\n" + LONG * 2000, "utf-8")
    settings = QUICK.model_copy(update={"max_bytes": 100_000})

    try:
        found = gather_in_thread(f.brief(sources=[str(folder)]), settings, tmp_path / "cache", seconds=10)
    finally:
        unblock(folder / "pipe.md")
    assert sorted(s.title for s in found) == ["社内事例A", "社内事例B"], "the link inside is the same file, once"
    messages = [r.getMessage() for r in caplog.records]
    assert any("link-out.md links outside" in m for m in messages)
    assert any("dir-out links outside" in m for m in messages)
    assert any("pipe.md is not a regular file" in m for m in messages)
    assert any("big.md" in m and "larger than 100,000 bytes" in m for m in messages)
    assert not any("社外秘" in s.text or "社外秘" in s.title for s in found)


def test_the_library_follows_the_same_rules(tmp_path, caplog):
    outside = note(tmp_path / "secret.md", "社外秘")
    library = tmp_path / "library"
    library.mkdir()
    note(library / "product.md", "製品資料")
    (library / "leak.md").symlink_to(outside)
    os.mkfifo(library / "fifo.txt")
    try:
        found = gather_in_thread(f.brief(), QUICK.model_copy(update={"library": str(library)}), tmp_path / "cache")
    finally:
        unblock(library / "fifo.txt")
    assert [(s.title, s.kind) for s in found] == [("製品資料", "library")]
    assert sum("leak.md links outside" in r.getMessage() for r in caplog.records) == 1


def unblock(fifo: Path) -> None:
    """Open the FIFO's other end for a moment: a reader stuck in open() (the bug) is let go."""
    with contextlib.suppress(OSError):  # ENXIO: no reader waiting, nothing is stuck
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def test_a_fifo_named_on_the_command_line_does_not_hang(tmp_path, caplog):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    try:
        assert gather_in_thread(f.brief(sources=[str(fifo)]), QUICK, tmp_path / "cache", seconds=10) == []
    finally:
        unblock(fifo)
    assert any("not a regular file" in r.getMessage() for r in caplog.records)


def test_at_most_the_cap_and_one_byte_is_ever_read(tmp_path):
    maps = Path("/proc/self/maps")  # a regular file whose stat says 0 bytes, and that holds more than 100
    if not maps.exists():
        pytest.skip("no /proc")
    with pytest.raises(Unavailable, match="larger than 100 bytes"):
        read_regular(maps, 100)
    small = tmp_path / "small.txt"
    small.write_bytes(b"x" * 100)
    assert read_regular(small, 100)[0] == b"x" * 100


# --- citations stay inert ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://example.com/survey-2026", "https://example.com/survey-2026"),
        ("HTTPS://Example.COM/a b", "https://example.com/a%20b"),
        ("https://example.com/%E3%81%82/100%zz", "https://example.com/%E3%81%82/100%25zz"),
        ("https://user:pw@example.com/x", "https://example.com/x"),
        ("https://例え.jp/記事", "https://xn--r8jz45g.jp/%E8%A8%98%E4%BA%8B"),
        (
            "https://example.com/{{site.title}}/{%comment%}](javascript:alert(1))<b>\"'\\[x]",
            "https://example.com/%7B%7Bsite.title%7D%7D/%7B%25comment%25%7D%5D%28javascript:alert%281%29%29"
            "%3Cb%3E%22%27%5C%5Bx%5D",
        ),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox", None),
        ("/home/editor/notes/case.md", None),
        ("https://{{site.x}}/", None),
        ("http://:80/", None),
    ],
)
def test_a_cited_url_is_http_and_percent_encoded(location, expected):
    assert citable_url(location) == expected


@given(st.text())
def test_no_text_becomes_a_cited_url_that_carries_markup(text):
    for location in (text, "https://example.com/" + text, "http://" + text):
        url = citable_url(location)
        assert url is None or CITABLE.fullmatch(url), url


@given(st.text())
def test_no_title_becomes_footnote_markup(text):
    inert = note_text(text, first=True)
    assert "\n" not in inert and "{{" not in inert and "{%" not in inert
    assert not set(inert) & set("<>[]|*_`{}\\$"), inert
    assert not re.match(r"[#=+\-]|\d+[.)]", inert)


class EchoingWriter(FakeWriter):
    """A model that copies a passage into the post and cites it."""

    def citation(self, prompt: str) -> str:
        found = PASSAGE.search(prompt)
        return f"{found.group(2)}[S{found.group(1)}]" if found else ""


HOSTILE_PATH = "any/{{site.planted}}/{%comment%}x{%endcomment%}/a](javascript:alert(1))<b>\"'\\%zz[1](x).html"
PLANTED = "PLANTED-CONFIG-VALUE-83d1"


def hostile_post(llm, web, genpost, out: Path, site: Path) -> Path:
    llm.writer = EchoingWriter()
    run = genpost(
        "--instinct", "learning", "--keywords", KEYWORD, "--out", str(out), "--site", str(site),
        "--sources", web.url(HOSTILE_PATH),
    )  # fmt: skip
    assert run.code == 0, run.stderr
    return Path(run.last_line)


def test_a_hostile_url_is_cited_as_inert_text(llm, web, genpost, tmp_path, site):
    draft = hostile_post(llm, web, genpost, tmp_path / "out", site)
    post = parse_post(draft)
    (definition,) = re.findall(r"^\[\^1\]: (.+)$", post.body, re.MULTILINE)
    expected = citable_url(web.url(HOSTILE_PATH))
    assert definition.endswith(f"<{expected}>") and "生成AI活用実態調査2026" in definition
    assert not re.search(r"\{[{%]", definition) and "](javascript:" not in definition
    text = definition.removesuffix(f"<{expected}>")
    assert not set(text) & set("{}|*_`[]<>$"), f"the title and site name are inert: {text}"
    assert [c["url"] for c in post.json_ld["citation"]] == [expected]
    findings = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))["findings"]
    assert not [x for x in findings if x["rule"].startswith("markup.")]
    check = genpost("check", str(draft), "--site", str(site))
    assert "markup." not in check.stdout, check.stdout


@pytest.mark.jekyll
def test_a_post_cited_from_a_hostile_url_builds_without_running_it(llm, web, genpost, tmp_path, site):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"planted: {PLANTED}\n", encoding="utf-8")
    draft = hostile_post(llm, web, genpost, tmp_path / "out", site)
    shutil.copy(draft, site / "_posts" / draft.name)
    proc = subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    slug = draft.stem.split("-", 3)[3]
    (page,) = [p for p in (site / "_site").rglob("*.html") if p.stem == slug]
    html = page.read_text(encoding="utf-8")
    assert PLANTED not in html, "no _config.yml value reaches the page"
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*(?:javascript|data|vbscript):""", html, re.IGNORECASE)
    footnotes = html.split('<div class="footnotes"')[1]
    for markup in ("<img", "<em>", "<strong>", "<code>", "<table", "\\(", "<h1"):
        assert markup not in footnotes, f"{markup} in the footnotes: the title became markup"
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", footnotes), "no event handler attribute"
    assert "*強調* _下線_ `code` ［押す］(javascript:alert(1))" in footnotes, "the title is shown as text"
    expected = citable_url(web.url(HOSTILE_PATH))
    assert f'href="{expected}"' in footnotes.replace("&amp;", "&"), "the source is linked, percent-encoded"


# --- genpost check ---------------------------------------------------------------------------------------


def findings_of(text: str, rule: str) -> list[Finding]:
    return [x for x in run_rules(text) if x.rule == rule]


def test_the_assemblers_own_liquid_passes_and_any_other_is_an_error():
    post = clean_post([RelatedPost(name="2025-12-14-ai-strategy", title="{{ site.title }} 戦略", score=1)])
    assert "{{ site.baseurl }}{% post_url 2025-12-14-ai-strategy %}" in post
    assert findings_of(post, "markup.liquid") == []
    for live in ("{{ site.github.token }}", "{% include secret.html %}", "{%raw%}", "{{ page.x | default: site.x }}"):
        text = post.replace("## ", f"{live}\n\n## ", 1)
        (finding,) = findings_of(text, "markup.liquid")
        assert finding.severity == "error" and "Liquid" in finding.message_ja and finding.line
        assert text.splitlines()[finding.line - 1].startswith(live[:3])


@pytest.mark.parametrize(
    "link",
    [
        "[押してください](javascript:alert(1))",
        "[x]( JavaScript:alert(1))",
        "![図](data:image/svg+xml;base64,PHN2Zz4=)",
        "<javascript:alert(1)>",
        '<a href="jav&#x61;script:alert(1)">x</a>',
        "<a href='\tjavascript:alert(1)'>x</a>",
        "<img src=vbscript:msgbox>",
        "[ref]: javascript:alert(1)",
        '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    ],
)
def test_a_script_link_anywhere_is_an_error(link):
    text = clean_post().replace("## ", f"{link}\n\n## ", 1)
    (finding,) = findings_of(text, "markup.script-link")
    assert finding.severity == "error" and "リンク" in finding.message_ja
    assert text.splitlines()[finding.line - 1].startswith(link[:4])


def test_ordinary_links_and_a_footnote_about_javascript_are_not_flagged():
    text = clean_post().replace(
        "## ", "[資料](https://example.com/data:1) <https://example.com/javascript:void> 本文[^1]\n\n## ", 1
    )
    text = text.replace(
        '<div class="cta-section">', "[^1]: javascript: の入門 — Example\n\n" + '<div class="cta-section">'
    )
    assert findings_of(text, "markup.script-link") == []


def test_a_front_matter_value_a_layout_may_link_is_checked_too():
    text = clean_post()
    image = re.search(r"^image: (.+)$", text, re.MULTILINE)
    assert image, "the clean post has a front-matter image"
    hostile = text.replace(image.group(0), 'image: "javascript:alert(1)"', 1)
    (finding,) = findings_of(hostile, "markup.script-link")
    assert finding.line == 1


def test_front_matter_text_is_data_not_liquid_nor_a_link():
    # Jekyll renders no Liquid in front-matter values, and a title is never a link target.
    text = clean_post()
    title = re.search(r"^title: (.+)$", text, re.MULTILINE)
    hostile = text.replace(title.group(0), 'title: "{{ site.planted }} JavaScript: 入門ガイド"', 1)
    assert findings_of(hostile, "markup.liquid") == [] and findings_of(hostile, "markup.script-link") == []
    linked = hostile.replace("featured: true", 'featured: true\nog:\n  thumbnail_url: "data:text/html,x"', 1)
    assert len(findings_of(linked, "markup.script-link")) == 1, "a nested URL-bearing key is still checked"


def test_liquid_the_site_configured_for_its_cta_is_its_own():
    from tests.test_quality import SETTINGS

    settings = SETTINGS.model_copy(
        update={"cta": SETTINGS.cta.model_copy(update={"link": "{{ site.baseurl }}/contact/"})}
    )
    text = clean_post().replace(f'href="{SETTINGS.cta.link}"', 'href="{{ site.baseurl }}/contact/"', 1)
    assert "{{ site.baseurl }}/contact/" in text
    assert [x for x in run_rules(text, settings=settings) if x.rule == "markup.liquid"] == []
    assert findings_of(text, "markup.liquid"), "with the shipped settings it is not the site's own"


@pytest.mark.parametrize(
    "damage",
    [
        {"fetched_at": "2026-01-01T00:00:00"},  # a time with no zone
        {"text": 5},
        {"title": None, "sha256": None},
        {"url": None},
    ],
)
def test_a_damaged_cache_entry_is_fetched_again(web, tmp_path, damage):
    fetch(tmp_path, web.url("survey.html"))
    (entry,) = (tmp_path / "cache").glob("*.json")
    entry.write_text(json.dumps(json.loads(entry.read_text(encoding="utf-8")) | damage), encoding="utf-8")
    before = len(web.seen)
    found, _ = fetch(tmp_path, web.url("survey.html"))
    assert "43.7%" in found.text and len(web.seen) == before + 1


def test_a_password_in_a_url_reaches_no_file(web, tmp_path):
    url = web.url("survey.html").replace("http://", "http://editor:hunter2@")
    brief = f.brief(sources=[url])
    (source,) = asyncio.run(gather(brief, QUICK, tmp_path / "cache"))
    assert source.location == web.url("survey.html")
    assert all("hunter2" not in p.read_text(encoding="utf-8") for p in (tmp_path / "cache").glob("*.json"))
