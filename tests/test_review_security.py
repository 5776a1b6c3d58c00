"""The review app as an attacker meets it: hostile drafts and records, a foreign Host (DNS rebinding), a
foreign Origin, and the headers every response carries. The same in real Chromium: tests/test_review.py."""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from starlette.testclient import TestClient

from pipeline import frontmatter
from pipeline.config import load_settings
from pipeline.frontmatter import Flow, Quoted
from pipeline.instincts import load_instincts
from pipeline.review.app import create_app
from pipeline.review.drafts import load_state, save_state
from pipeline.review.guard import served_hosts
from pipeline.review.render import render_markdown, render_post, sanitise
from tests.test_editor import form_of

KEYWORD = "AI マーケティング 最新トレンド"
FOOTNOTE_ID = re.compile(r"fn\d+|fnref\d+(:\d+)?")
# What a sanitised body may hold, written out here rather than taken from the code under test.
BODY_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "ul", "ol", "li"}
BODY_TAGS |= {"a", "img", "em", "strong", "b", "i", "s", "del", "ins", "sub", "sup", "small", "span", "mark"}
BODY_TAGS |= {"div", "section"}

# Each would run script, load something, or post a form if it reached a page as HTML.
HOSTILE = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<svg onload=\"window.__pwned = 'svg'\"><circle r=5 /></svg>",
    "[x](javascript:window.__pwned='md-link')",
    "<a href=\"javascript:window.__pwned='a'\">a</a>",
    "<a href=\"  JaVaScRiPt:window.__pwned='spaced'\">b</a>",
    "<a href=\"jav&#x09;ascript:window.__pwned='entity'\">c</a>",
    '<a href="data:text/html,<script>window.__pwned=1</script>">d</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<iframe src="/drafts" srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    '<form action="/drafts/x/publish" method="post"><input name="force" value="on"><button>go</button></form>',
    "<style>body { background: url(http://127.0.0.1:9/style) }</style>",
    '<p style="background:url(http://127.0.0.1:9/attr)">styled</p>',
    '<object data="http://127.0.0.1:9/object"></object><embed src="http://127.0.0.1:9/embed">',
    '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/meta">',
    '<base href="http://127.0.0.1:9/">',
    '<link rel="stylesheet" href="http://127.0.0.1:9/link">',
    '<a id="edit-form" href="/x">clobber</a><img name="csrf" id="preview" src="/y">',
    '<div class="cta-section evil" data-x="1" onmouseover="window.__pwned=1">cta</div>',
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
    "<!-- <script>window.__pwned='comment'</script> -->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>window.__pwned='template'</script></template>",
    "<details open ontoggle=\"window.__pwned='toggle'\">d</details>",
]
NAMES = ["<script>", "<img onerror>", "<svg onload>", "md javascript:", "a javascript:", "spaced javascript:"]
NAMES += ["entity javascript:", "data: link", "data: image", "iframe", "form", "style", "style attribute"]
NAMES += ["object/embed", "meta refresh", "base", "link", "id clobbering", "class and handler on a div"]
NAMES += ["math", "comment", "noscript", "template", "details ontoggle"]


class Elements(HTMLParser):
    """Every element of a page as (tag, attributes), in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


def elements(markup: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(markup)
    parser.close()
    return parser.found


def web_or_relative(url: str) -> bool:
    scheme = urlsplit(url.strip()).scheme.lower()
    return scheme in ("", "http", "https") and not url.strip().lower().startswith(("javascript", "data"))


def assert_clean_body(markup: str) -> None:
    """What a sanitised body may hold: the allowed tags; no handler, style or stray id; web URLs only."""
    for tag, attrs in elements(markup):
        assert tag in BODY_TAGS, f"<{tag}> in the body"
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in ("style", "srcdoc", "data-x", "name"), f"{tag} {name}"
            if name in ("href", "src"):
                assert web_or_relative(value), f"{tag} {name}={value}"
            if name == "id":
                assert FOOTNOTE_ID.fullmatch(value), f"{tag} id={value}"


FOREIGN = {"style", "iframe", "frame", "object", "embed", "svg", "math", "base", "template", "noscript"}


def assert_clean_page(page: str) -> None:
    """A whole page: only the app's own script, no inline script or style, no handler, no foreign element."""
    for tag, attrs in elements(page):
        assert tag not in FOREIGN, f"<{tag}> on the page"
        if tag == "link":
            assert attrs == {"rel": "stylesheet", "href": "/static/review.css"}
        if tag == "script":
            assert attrs.get("src") == "/static/review.js", f"a script that is not the app's: {attrs}"
        if tag == "meta":
            assert set(attrs) == {"charset"}
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in ("style", "srcdoc"), f"<{tag} {name}>"
            if name in ("href", "src", "action"):
                assert web_or_relative(value), f"<{tag} {name}={value}>"
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.DOTALL | re.IGNORECASE)
    assert all(not s.strip() for s in scripts), "inline script"


def body_of(page: str) -> str:
    return page.split('<div class="card post">', 1)[1].split('<div class="card">', 1)[0]


# --- the sanitiser --------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE, ids=NAMES)
def test_hostile_markup_in_a_body_is_sanitised(payload):
    rendered = render_post(f"---\ntitle: t\n---\n\n本文です。{payload}続きです。\n\n{payload}\n", [])
    assert_clean_body(rendered)
    assert "本文です。" in rendered and "続きです。" in rendered, "the prose around it stays"
    assert not re.search(r"<(script|style|iframe|svg|form|object|embed|meta|base|link|template)\b", rendered, re.I)


FRAGMENTS = [*HOSTILE, "<", ">", '"', "'", "=", "<a ", "<img ", " onerror=", "href=", "javascript:", "</p>", "\n\n"]
FRAGMENTS += ["<div>", "</div>", "<small class=photo-credit>", "[^1]", "\n[^1]: 注\n", "`", "**", "&#", "x"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join))
def test_no_combination_of_hostile_fragments_survives(body):
    assert_clean_body(render_post(body, []))
    assert_clean_body(sanitise(body))


def test_the_sanitiser_keeps_everything_the_assembler_writes(llm, web, genpost, tmp_path, site):
    """Rendered with and without the sanitiser, a generated post (credits, related posts, CTA, footnotes,
    highlighted figures) has the same elements: only the links' rel is added."""
    run = genpost(
        "--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path / "out"), "--site", str(site),
        "--sources", web.url("survey.html"),
    )  # fmt: skip
    assert run.code == 0, run.stderr
    path = Path(run.last_line)
    text = path.read_text(encoding="utf-8")
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    figures = [f["figure"] for f in record["findings"] if f.get("figure")] + ["学習本能"]
    rendered, raw = render_post(text, figures), render_markdown(text, figures)

    def shape(markup: str) -> Counter:
        return Counter((tag, tuple(sorted((k, v) for k, v in a.items() if k != "rel"))) for tag, a in elements(markup))

    assert shape(rendered) == shape(raw)
    assert_clean_body(rendered)
    for kept in (
        '<small class="photo-credit">Photo by <a href="https://unsplash.com/',
        '<p class="photo-credit">アイキャッチ画像: Photo by <a',
        '<div class="related-posts">',
        '<div class="cta-section">',
        'class="btn btn-primary btn-lg"',
        '<img src="https://images.unsplash.com/',
        '<sup class="footnote-ref"><a href="#fn1" id="fnref1"',
        '<li id="fn1" class="footnote-item"><p>',
        'class="footnote-backref"',
        '<a class="to-source" href="#source-note-1"',
        '<mark class="claim" title="要確認">学習本能</mark>',
    ):
        assert kept in rendered, kept
    assert "{% post_url" not in rendered and 'href="#related-' in rendered


def test_markdown_alone_would_let_the_payloads_through():
    """The control: without the sanitiser these payloads do reach the HTML (so the tests above can fail)."""
    raw = MarkdownIt("commonmark").use(footnote_plugin).render("本文 " + " ".join(HOSTILE[:3]))
    assert "<script>" in raw and "onerror=" in raw and "onload=" in raw


# --- a hostile draft through the app ----------------------------------------------------------------

TITLE = "攻撃<script>window.__pwned='title'</script><img src=x onerror=\"window.__pwned='t'\">"
TAG = "<svg onload=alert(1)>タグ"
DESCRIPTION = "説明</textarea><script>window.__pwned='desc'</script>"
WHO = "<img src=x onerror=\"window.__pwned='who'\">編集者"
LIQUID = "{% include evil.html %}{{ site.github.token }}"


def hostile_draft(genpost, web, out: Path) -> Path:
    """A generated draft whose title, tag, description, body, record and review note carry payloads."""
    run = genpost(
        "--instinct", "learning", "--keywords", KEYWORD, "--out", str(out), "--date", "2025-12-16T01:00:00Z",
        "--sources", web.url("survey.html"),
    )  # fmt: skip
    assert run.code == 0, run.stderr
    path = Path(run.last_line)
    text = path.read_text(encoding="utf-8")
    head_end = text.index("\n---\n", 3) + len("\n---\n")
    head = frontmatter.with_fields(
        text[:head_end], {"title": Quoted(TITLE), "description": Quoted(DESCRIPTION), "tags": Flow([TAG, "普通"])}
    )
    body = text[head_end:].replace("\n## ", "\n" + "本文の途中。" + " ".join(HOSTILE) + LIQUID + "\n\n## ", 1)
    path.write_text(head + body, encoding="utf-8")
    record_file = path.with_suffix(".json")
    record = json.loads(record_file.read_text(encoding="utf-8"))
    record["sources"][0].update(location="javascript:window.__pwned='source'", title=HOSTILE[0], publisher=HOSTILE[1])
    record["passages"][0]["text"] = HOSTILE[2]
    record["polish"].append(
        {"find": HOSTILE[0], "replace": HOSTILE[1], "reason": HOSTILE[2], "applied": False, "why": HOSTILE[4]}
    )
    # A figure to highlight that also stands inside the payloads' markup.
    record["findings"].append(
        {"rule": "claims.unsourced", "severity": "warning", "message": HOSTILE[0], "figure": "onerror"}
    )
    record_file.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    state = load_state(path)
    state.note = HOSTILE[10]
    save_state(path, state)
    return path


@pytest.fixture
def hostile(llm, web, genpost, tmp_path):
    """(client, token, draft) for a hostile draft, served through the test client."""
    path = hostile_draft(genpost, web, tmp_path / "out")
    client = TestClient(
        create_app(tmp_path / "out", None, load_settings(), load_instincts(), allowed_hosts=["testserver"])
    )
    page = client.get(f"/drafts/{quote(path.name)}").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client, token, path


def test_a_hostile_draft_reaches_every_page_only_as_text(hostile):
    client, token, path = hostile
    page = client.get(f"/drafts/{quote(path.name)}").text
    assert_clean_page(page)
    assert_clean_body(body_of(page))
    assert "&lt;script&gt;window.__pwned = &#39;script&#39;&lt;/script&gt;" in page.split('id="findings"')[1]
    assert "メモ: &lt;form action=&#34;/drafts/x/publish&#34;" in page, "the review note"
    fields = {**form_of(page), "csrf": token, "who": WHO}
    assert fields["title"] == TITLE and fields["description"] == DESCRIPTION, "the editor holds the text as it is"
    fields["body"] += "\n編集で足した一文。" + HOSTILE[1] + "\n"
    saved = client.post(f"/drafts/{quote(path.name)}/save", data=fields, follow_redirects=True)
    assert saved.status_code == 200 and "保存しました" in saved.text

    pages = {
        "list": client.get("/").text,
        "draft": saved.text,
        "diff": client.get(f"/drafts/{quote(path.name)}/versions/3").text,
        "first": client.get(f"/drafts/{quote(path.name)}/versions/1").text,
    }
    for page in pages.values():
        assert_clean_page(page)
    draft = pages["draft"]
    assert_clean_body(body_of(draft))
    # Each field is there, escaped, as the text it is.
    assert "攻撃&lt;script&gt;window.__pwned=&#39;title&#39;&lt;/script&gt;" in pages["list"]
    assert "&lt;svg onload=alert(1)&gt;タグ" in draft, "a tag, in the front-matter table"
    assert "説明&lt;/textarea&gt;&lt;script&gt;" in draft
    assert "&lt;img src=x onerror=&#34;window.__pwned=&#39;who&#39;&#34;&gt;編集者" in draft, "the history"
    assert "&lt;img src=x onerror=&#34;window.__pwned=&#39;who&#39;&#34;&gt;編集者" in pages["diff"]
    assert "{% include evil.html %}{{ site.github.token }}" in body_of(draft), "Liquid stays text"
    sources = draft.split('id="sources"', 1)[1].split('<div class="card"', 1)[0]
    assert [a for tag, a in elements(sources) if tag == "a"] == [], "a javascript: location is no link"
    assert "&lt;script&gt;window.__pwned = &#39;script&#39;&lt;/script&gt;" in sources, "a source's title"
    polish = draft.split('id="polish"', 1)[1]
    assert "<del>&lt;script&gt;" in polish and "<ins>&lt;img src=x onerror=" in polish
    assert load_state(path).status == "draft" and [v.kind for v in load_state(path).versions][-1] == "edited"


def test_the_preview_is_sanitised(hostile):
    client, token, path = hostile
    answer = client.post(f"/drafts/{quote(path.name)}/preview", data={"csrf": token, "body": "\n\n".join(HOSTILE)})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert_clean_body(answer.text)
    assert "Content-Security-Policy" in answer.headers


@pytest.mark.parametrize(
    "msg",
    [
        "<script>window.__pwned=1</script>",
        '"><img src=x onerror=alert(1)>',
        "</div><form action=/drafts/x/publish method=post><button>公開</button></form>",
        "{{ 7*7 }}{% raw %}",
    ],
    ids=["script", "attribute break-out", "form", "template syntax"],
)
def test_the_msg_parameter_is_only_text(hostile, msg):
    client, _, path = hostile
    page = client.get(f"/drafts/{quote(path.name)}?msg={quote(msg)}").text
    shown = page.split('<div class="message" role="status">', 1)[1].split("</div>", 1)[0]
    assert elements(shown) == [], "no element comes from the parameter"
    assert shown.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'") == msg
    assert_clean_page(page)
    assert "49" not in shown


# --- the headers ----------------------------------------------------------------------------------


def csp_of(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in (p.strip() for p in policy.split(";")) if d}


def test_every_response_carries_the_security_headers(hostile):
    client, token, path = hostile
    name = quote(path.name)
    broken = path.parent / "2025-12-17-broken.md"
    broken.write_bytes(b"---\ntitle: \xff\xfe\n---\n")  # not UTF-8: the page fails
    failing = TestClient(
        create_app(path.parent, None, load_settings(), load_instincts(), allowed_hosts=["testserver"]),
        raise_server_exceptions=False,
    )
    responses = {
        "list": client.get("/"),
        "draft": client.get(f"/drafts/{name}"),
        "diff": client.get(f"/drafts/{name}/versions/1"),
        "script": client.get("/static/review.js"),
        "style": client.get("/static/review.css"),
        "missing static": client.get("/static/nope.js"),
        "not found": client.get("/drafts/nope.md"),
        "wrong method": client.get(f"/drafts/{name}/approve"),
        "no token": client.post(f"/drafts/{name}/approve", data={}),
        "preview": client.post(f"/drafts/{name}/preview", data={"csrf": token, "body": "x"}),
        "redirect": client.post(f"/drafts/{name}/approve", data={"csrf": token}, follow_redirects=False),
        "foreign host": client.get("/", headers={"host": "evil.example:8765"}),
        "foreign origin": client.post(f"/drafts/{name}/approve", headers={"origin": "http://evil.example"}),
        "server error": failing.get(f"/drafts/{broken.name}"),
    }
    assert responses["server error"].status_code == 500 and responses["redirect"].status_code == 303
    for what, response in responses.items():
        csp = csp_of(response)
        assert csp["script-src"] == "'self'" and csp["default-src"] == "'none'", what
        assert "unsafe" not in response.headers["content-security-policy"], what
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'" and csp["form-action"] == "'self'"
        assert csp["frame-ancestors"] == "'none'" and csp["img-src"] == "'self' https:" and csp["style-src"] == "'self'"
        assert response.headers["x-content-type-options"] == "nosniff", what
        assert response.headers["referrer-policy"] in ("no-referrer", "same-origin"), what
    assert responses["script"].headers["content-type"].startswith("text/javascript")
    assert responses["style"].headers["content-type"].startswith("text/css")


def test_pages_hold_no_inline_script_style_or_handler(hostile):
    client, _, path = hostile
    page = client.get(f"/drafts/{quote(path.name)}").text
    found = elements(page)
    assert [a for tag, a in found if tag == "script"] == [{"src": "/static/review.js", "defer": ""}]
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.DOTALL) == [""]
    assert not [tag for tag, _ in found if tag == "style"]
    assert not [(tag, name) for tag, a in found for name in a if name == "style" or name.startswith("on")]
    assert f'data-preview="/drafts/{quote(path.name)}/preview"' in page, "the script finds the preview's address"
    script = client.get("/static/review.js").text
    assert "innerHTML" in script and "fetch(url" in script and "{{" not in script


# --- Host and Origin ------------------------------------------------------------------------------


def test_served_hosts_name_the_address_and_port():
    assert served_hosts("127.0.0.1", 8765) == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert served_hosts("localhost", 9000) == {"127.0.0.1:9000", "localhost:9000", "[::1]:9000"}
    assert served_hosts("::1", 8765) == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert served_hosts("192.168.1.5", 8080) == {"192.168.1.5:8080"}
    assert served_hosts("0.0.0.0", 8765) == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert "127.0.0.1" in served_hosts("127.0.0.1", 80) and "127.0.0.1" not in served_hosts("127.0.0.1", 8765)


def test_a_request_for_another_host_is_refused(llm, genpost, tmp_path):
    """DNS rebinding: a page on attacker.example, now resolving to 127.0.0.1, sends Host: attacker.example."""
    out = tmp_path / "out"
    run = genpost("--instinct", "learning", "--keywords", KEYWORD, "--out", str(out))
    path = Path(run.last_line)
    app = create_app(out, None, load_settings(), load_instincts(), host="127.0.0.1", port=8765)
    client = TestClient(app, base_url="http://127.0.0.1:8765")
    page = client.get(f"/drafts/{quote(path.name)}")
    assert page.status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    for good in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST:8765"):
        assert client.get("/", headers={"host": good}).status_code == 200, good
    for bad in ("attacker.example:8765", "attacker.example", "127.0.0.1", "127.0.0.1:8766", "127.0.0.2:8765", ""):
        refused = client.get("/", headers={"host": bad})
        assert refused.status_code == 400 and "\n" not in refused.text.strip() and "Host" in refused.text, bad
        assert path.name not in refused.text
    rebound = client.post(
        f"/drafts/{quote(path.name)}/approve",
        data={"csrf": token},
        headers={"host": "attacker.example:8765", "origin": "http://attacker.example:8765"},
    )
    assert rebound.status_code == 400 and load_state(path).status == "draft"
    # The test client's own name is refused unless declared: the default is strict.
    assert TestClient(app).get("/").status_code == 400


def test_a_post_from_another_origin_is_refused(hostile):
    client, token, path = hostile
    url = f"/drafts/{quote(path.name)}/approve"
    for headers in (
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "http://testserver.evil.example"},
        {"origin": "https://testserver"},
        {"referer": "http://evil.example/page"},
        {"referer": "not a url at all"},
        {"origin": "http://evil.example", "referer": "http://testserver/"},
    ):
        refused = client.post(url, data={"csrf": token}, headers=headers)
        assert refused.status_code == 403 and "ほかのサイト" in refused.text, headers
        assert load_state(path).status == "draft", headers
    for headers in ({"origin": "http://testserver"}, {"referer": f"http://testserver/drafts/{quote(path.name)}"}):
        assert client.post(url, data={"csrf": token}, headers=headers, follow_redirects=False).status_code == 303
    # A token that is not ASCII is refused, not a crash.
    assert (
        client.post(url, data={"csrf": "日本語のトークン"}, headers={"origin": "http://testserver"}).status_code == 403
    )
    # Same origin is not enough without the token.
    assert client.post(url, data={}, headers={"origin": "http://testserver"}).status_code == 403
    assert load_state(path).status == "approved"
