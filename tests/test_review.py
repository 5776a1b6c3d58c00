"""Editor review: the app through its test client, the CLI twins, and real Chromium end to end."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.review.app import create_app
from pipeline.review.drafts import load_state
from standins.openai_api import Fault
from tests.conftest import CALLS_PER_POST, PLANTED_KEY, POLISH_CALL, git
from tests.postparse import parse_post
from tests.test_quality import StubbornWriter

KEYWORD = "AI マーケティング 最新トレンド"


def draft(genpost, out: Path, site: Path | None = None, *extra: str) -> Path:
    args = ["--instinct", "learning", "--keywords", KEYWORD, "--out", str(out), "--date", "2025-12-16T01:00:00Z"]
    run = genpost(*args, *(["--site", str(site)] if site else []), *extra)
    assert run.code == 0, run.stderr
    return Path(run.last_line)


def client_for(out: Path, site: Path | None) -> tuple[TestClient, str]:
    client = TestClient(create_app(out, site, load_settings(), load_instincts(), allowed_hosts=["testserver"]))
    page = client.get("/drafts/" + next(out.glob("*.md")).name).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client, token


def test_list_page_shows_every_draft(llm, genpost, tmp_path):
    out = tmp_path / "out"
    first = draft(genpost, out)
    llm.writer = StubbornWriter()
    draft(genpost, out, None, "--instinct", "play")
    client, _ = client_for(out, None)
    page = client.get("/").text
    assert page.count('<a href="/drafts/') == 2
    assert parse_post(first).front["title"] in page and "learning" in page and KEYWORD in page
    assert '<span class="status draft">下書き</span>' in page and "エラー" in page and "$" in page
    assert re.search(r'<span class="error">[1-9]\d* エラー', page), "the stubborn draft's findings are counted"


def test_draft_page_renders_the_post_with_findings_and_record(llm, genpost, tmp_path, site):
    llm.writer = StubbornWriter()
    path = draft(genpost, tmp_path / "out", site)
    client, _ = client_for(tmp_path / "out", site)
    page = client.get(f"/drafts/{path.name}").text
    assert "<h2>学習本能の心理学的背景</h2>" in page
    assert '<img src="https://images.unsplash.com/' in page and "Photo by <a" in page
    assert '<mark class="claim" title="要確認">約3倍</mark>' in page, "flagged figures are highlighted"
    assert "claims.unsourced" in page and "実行記録" in page and "&#34;calls&#34;" in page
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    for related in record["related"]:
        assert related["title"] in page and "✓" in page
    shown = page.split('<div class="card" id="editor">')[0]  # the editor holds the Markdown as it is
    assert "{% post_url" not in shown and "application/ld+json" not in shown
    assert PLANTED_KEY not in page


def test_draft_page_shows_what_the_polish_changed(llm, genpost, tmp_path):
    path = draft(genpost, tmp_path / "out")
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    applied = [e for e in record["polish"] if e["applied"]]
    assert applied
    client, _ = client_for(tmp_path / "out", None)
    page = client.get(f"/drafts/{path.name}").text
    card = page.split('id="polish"', 1)[1].split('<div class="card">', 1)[0]
    assert f"推敲（{len(applied)} / {len(record['polish'])} 件を反映）" in card
    for edit in applied:
        assert f"<del>{edit['find']}</del> → <ins>{edit['replace']}</ins>" in card
    assert card.count("反映【つなぎ】") == len(applied) and "見送り" not in card


def test_a_polish_edit_left_out_is_shown_with_why(llm, genpost, tmp_path):
    edit = {"find": "存在しない文言です", "replace": "別の文言", "reason": "書き出しの重複"}
    llm.inject(Fault(content=json.dumps({"edits": [edit]}, ensure_ascii=False), when=POLISH_CALL))
    path = draft(genpost, tmp_path / "out")
    client, _ = client_for(tmp_path / "out", None)
    card = client.get(f"/drafts/{path.name}").text.split('id="polish"', 1)[1]
    assert "推敲（0 / 1 件を反映）" in card and "見送り【書き出しの重複】" in card
    assert "見送った理由: 下書きに見つかりません" in card


def test_an_unreadable_run_record_is_flagged_not_shown_as_no_findings(llm, genpost, tmp_path):
    path = draft(genpost, tmp_path / "out")
    path.with_suffix(".json").write_text('{"draft": ', encoding="utf-8")
    client, _ = client_for(tmp_path / "out", None)
    listing = client.get("/").text
    assert "実行記録を読めません" in listing and "None" not in listing and "0 エラー" not in listing
    page = client.get(f"/drafts/{path.name}").text
    flag = page.split('id="unreadable">', 1)[1].split("</p>", 1)[0]
    assert flag.startswith("実行記録を読めません") and path.with_suffix(".json").name in flag
    assert "指摘はありません" not in page


def test_state_changes_need_post_and_a_csrf_token(llm, genpost, tmp_path):
    path = draft(genpost, tmp_path / "out")
    client, token = client_for(tmp_path / "out", None)
    assert client.post(f"/drafts/{path.name}/approve", data={}).status_code == 403
    assert client.post(f"/drafts/{path.name}/approve", data={"csrf": "forged"}).status_code == 403
    assert client.get(f"/drafts/{path.name}/approve").status_code == 405
    assert load_state(path).status == "draft"
    done = client.post(f"/drafts/{path.name}/approve", data={"csrf": token}, follow_redirects=True)
    assert done.status_code == 200 and "承認しました" in done.text and load_state(path).status == "approved"


def test_only_drafts_in_out_are_served(llm, genpost, tmp_path):
    path = draft(genpost, tmp_path / "out")
    secret = tmp_path / "2025-01-01-secret.md"
    secret.write_text("---\ntitle: secret\n---\nsecret\n", encoding="utf-8")
    client, token = client_for(tmp_path / "out", None)
    for name in (
        "..%2F2025-01-01-secret.md",
        "%2E%2E/2025-01-01-secret.md",
        "2025-01-01-secret.md",
        path.with_suffix(".json").name,
    ):
        response = client.get(f"/drafts/{name}")
        assert response.status_code in (404, 405) and "secret" not in response.text
    refused = client.post("/drafts/..%2F2025-01-01-secret.md/reject", data={"csrf": token, "note": "x"})
    assert refused.status_code == 404 and not secret.with_suffix(".review.json").exists()


def test_reject_with_a_note(llm, genpost, tmp_path):
    path = draft(genpost, tmp_path / "out")
    client, token = client_for(tmp_path / "out", None)
    page = client.post(
        f"/drafts/{path.name}/reject", data={"csrf": token, "note": "トーンが硬い"}, follow_redirects=True
    ).text
    assert "却下しました" in page and "メモ: トーンが硬い" in page
    state = load_state(path)
    assert state.status == "rejected" and state.note == "トーンが硬い" and state.history[-1]["status"] == "rejected"


def test_regenerate_shows_the_new_text_before_it_replaces_the_old(llm, genpost, tmp_path):
    path = draft(genpost, tmp_path / "out")
    before = path.read_text(encoding="utf-8")
    client, token = client_for(tmp_path / "out", None)
    llm.reset()
    page = client.post(
        f"/drafts/{path.name}/regenerate",
        data={"csrf": token, "part": "cases", "note": "具体例を"},
        follow_redirects=True,
    ).text
    assert "書き直し案（cases）" in page
    assert path.read_text(encoding="utf-8") == before, "nothing replaced before the editor accepts"
    assert len(llm.chat_bodies()) == 2 and all("具体例を" in b["messages"][-1]["content"] for b in llm.chat_bodies())
    candidate = load_state(path).pending.value
    page = client.post(f"/drafts/{path.name}/accept", data={"csrf": token}, follow_redirects=True).text
    assert "差し替えました" in page and load_state(path).pending is None
    after = path.read_text(encoding="utf-8")
    assert after != before and candidate.split("\n\n")[0] in after
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["sections"]["cases"] == candidate and len(record["calls"]) == CALLS_PER_POST + 2


def test_publish_is_refused_with_findings_unless_overridden(llm, unsplash, genpost, tmp_path, site):
    llm.writer = StubbornWriter()
    path = draft(genpost, tmp_path / "out", site)
    client, token = client_for(tmp_path / "out", site)
    page = client.post(f"/drafts/{path.name}/publish", data={"csrf": token}, follow_redirects=True).text
    assert "公開できません" in page and "claims.unsourced" in page
    assert not (site / "_posts" / path.name).exists() and load_state(path).status == "draft"
    page = client.post(f"/drafts/{path.name}/publish", data={"csrf": token, "force": "on"}, follow_redirects=True).text
    assert "公開しました" in page and "通知 4 件" in page
    assert (site / "_posts" / path.name).exists() and load_state(path).status == "published"
    assert len(unsplash.downloads()) == 4


def test_cli_twins(llm, genpost, tmp_path):
    out = tmp_path / "out"
    path = draft(genpost, out)
    listed = genpost("drafts", "--out", str(out))
    assert listed.code == 0 and path.name in listed.stdout and listed.stdout.startswith("draft")
    assert genpost("reject", str(path)).code == 2, "a rejection needs a note"
    assert genpost("reject", str(path), "--note", "重複").code == 0
    rows = json.loads(genpost("drafts", "--out", str(out), "--json").stdout)
    assert rows[0]["status"] == "rejected" and rows[0]["tokens"] > 0
    assert genpost("reject", str(tmp_path / "nope.md"), "--note", "x").code == 2
    assert genpost("drafts", "--out", str(tmp_path / "missing")).code == 2


# --- real Chromium ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """The review app on a real uvicorn server on 127.0.0.1."""
    import uvicorn

    servers = []

    def serve(out: Path, site: Path) -> str:
        port = _free_port()
        app = create_app(out, site, load_settings(), load_instincts(), host="127.0.0.1", port=port)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        threading.Thread(target=server.run, daemon=True).start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        servers.append(server)
        return f"http://127.0.0.1:{port}"

    yield serve
    for server in servers:
        server.should_exit = True


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found is None and os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium")
    return found


def test_end_to_end_in_chromium(llm, genpost, tmp_path, git_site, served, monkeypatch):
    """List, open a draft, edit a sentence, save and see the findings change, read the diff, publish,
    and find the commit in the site's remote."""
    browser_path = chromium_path()
    if browser_path is None:
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    site, remote = git_site
    config = tmp_path / "genpost.yml"
    config.write_text("publish:\n  push:\n    enabled: true\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    out = tmp_path / "out"
    path = draft(genpost, out, site)
    base = served(out, site)
    shots = Path(os.environ["GENPOST_SCREENSHOTS"]) if os.environ.get("GENPOST_SCREENSHOTS") else None
    sentence = next(
        line for line in parse_post(path).body.split("\n") if line and not line.startswith(("#", "!", "<", "[", "-"))
    ).split("。")[0]
    english = "This sentence was left in English by mistake"
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, headless=True, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        assert page.locator("h1").inner_text().startswith("下書き一覧")
        if shots:
            page.screenshot(path=str(shots / "review-list.png"))
        page.get_by_role("link", name=parse_post(path).front["title"]).click()
        page.wait_for_selector("text=品質チェック")
        assert page.locator(".post h2", has_text="学習本能の心理学的背景").count() == 1
        if shots:
            page.screenshot(path=str(shots / "review-draft.png"))
        findings_before = page.locator("#findings li.error").count()

        # Edit one sentence: the preview follows as you type.
        editor = page.locator("#edit-body")
        editor.fill(editor.input_value().replace(sentence, english, 1))
        page.fill("input[name=who]", "編集部 佐藤")
        page.wait_for_selector(f"#preview >> text={english}")
        if shots:  # the edited place, in the Markdown and in the preview
            editor.evaluate(
                "(e, t) => { const n = e.value.slice(0, e.value.indexOf(t)).split('\\n').length;"
                " e.scrollTop = Math.max(0, (n - 4) * 20); }",
                english,
            )
            page.locator("#preview p", has_text=english).evaluate("p => p.scrollIntoView({block: 'center'})")
            page.locator("#editor").screenshot(path=str(shots / "review-edit.png"))
        page.click("#save")
        page.wait_for_selector(".message")
        assert "保存しました" in page.locator(".message").inner_text()
        assert page.locator(".post", has_text=english).count() >= 1
        assert page.locator("#findings li.error").count() > findings_before, "the English sentence is found"
        assert page.locator("#findings", has_text="script.latin-sentence").count() == 1

        # The history: the hand edit, who made it, and its diff.
        page.get_by_role("link", name="v3 手直し").click()
        page.wait_for_selector(".unified-diff")
        assert english in page.locator(".unified-diff ins").all_inner_texts()[0] or any(
            english in t for t in page.locator(".unified-diff ins").all_inner_texts()
        )
        assert "編集部 佐藤" in page.locator("main").inner_text()
        if shots:
            page.screenshot(path=str(shots / "review-history.png"))
        page.go_back()
        page.wait_for_selector("#publish")

        page.check("input[name=force]")
        page.click("#publish")
        page.wait_for_selector(".message")
        message = page.locator(".message").inner_text()
        assert "公開しました" in message and "コミット" in message and "origin/main へプッシュ" in message
        assert page.locator(".status.published").count() == 1
        if shots:
            page.screenshot(path=str(shots / "review-published.png"))
        browser.close()
    published = site / "_posts" / path.name
    assert published.exists() and english in published.read_text(encoding="utf-8")
    assert git(remote, "log", "-1", "--format=%s", "main").startswith("記事を公開: ")
    assert f"_posts/{path.name}" in git(remote, "show", "--name-only", "--format=", "main")


def test_review_command_serves_on_loopback(llm, genpost, tmp_path):
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from tests.conftest import ROOT

    out = tmp_path / "out"
    path = draft(genpost, out)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "review", "--out", str(out), "--port", str(port), "--no-browser"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, page = time.monotonic() + 20, ""
        while time.monotonic() < deadline and not page:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
            except OSError:
                time.sleep(0.2)
        assert parse_post(path).front["title"] in page
        # The command tells the app where it serves: a page reached through another name is refused.
        for host, status in ((f"localhost:{port}", 200), (f"attacker.example:{port}", 400), ("127.0.0.1:1", 400)):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host})
            try:
                got = urllib.request.urlopen(request, timeout=5).status
            except urllib.error.HTTPError as exc:
                got = exc.code
            assert got == status, host
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert genpost("review", "--out", str(tmp_path / "missing"), "--no-browser").code == 2


# --- a hostile draft in real Chromium ------------------------------------------------------------

# Run in the page, this lists whatever a draft could have smuggled in: handlers, inline style, scripts that
# are not the app's, script or data URLs, foreign elements, forms or fields inside the post or the preview.
AUDIT = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.startsWith("on") || a.name === "style" || a.name === "srcdoc") bad.push(`${el.localName} ${a.name}`);
      if (["href", "src", "action", "formaction", "data", "xlink:href"].includes(a.name)
          && /^\\s*(javascript|data|vbscript):/i.test(a.value)) bad.push(`${el.localName} ${a.name}=${a.value}`);
    }
    if (["svg", "math", "iframe", "frame", "object", "embed", "base", "style", "template"].includes(el.localName))
      bad.push(el.localName);
    if (el.localName === "meta" && el.hasAttribute("http-equiv")) bad.push("meta http-equiv");
    if (el.localName === "script" && el.src !== location.origin + "/static/review.js") bad.push(`script ${el.src}`);
  }
  for (const el of document.querySelectorAll(".post form, .post input, .post button, .post textarea"))
    bad.push(`${el.localName} in the post`);
  return bad;
}"""


@pytest.fixture
def canary():
    """A loopback server that counts every request it gets: a payload that ran would call it."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<p>canary</p>")

        do_POST = do_GET

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def hostile_payloads(canary: str, name: str) -> list[str]:
    """What a crafted draft (or a model's answer) could hold: each would run script, post, or call the canary."""
    publish = f"/drafts/{quote(name)}/publish"
    token = "document.querySelector('[name=csrf]').value"
    return [
        f"<script>window.__pwned='script';document.title='HACK'+'ED!';location='{canary}/script'</script>",
        f"<img src=x onerror=\"window.__pwned='img';location='{canary}/img'\">",
        "<svg onload=\"window.__pwned='svg';alert(1)\"><circle r=5 /></svg>",
        "[リンクA](javascript:window.__pwned='md')",
        "<a href=\"javascript:window.__pwned='a'\">リンクB</a>",
        f'<form action="{publish}" method="post"><input name="force" value="on"><input name="csrf">'
        f'<button autofocus onfocus="this.form.csrf.value={token};this.form.submit()">公開</button></form>',
        f"<img src=y onerror=\"fetch('{publish}',{{method:'POST',body:new URLSearchParams({{csrf:{token},"
        "force:'on'})})\">",
        f'<meta http-equiv="refresh" content="0;url={canary}/meta">',
        f'<base href="{canary}/">',
        f"<style>body {{ background: url({canary}/style) }}</style>",
        f'<iframe src="{canary}/iframe"></iframe>',
        f'<img src="{canary}/http-image">',
        "<details open ontoggle=\"window.__pwned='toggle'\">詳細</details>",
        "{% include evil.html %}{{ site.github.token }}",
        "[<img src=x onerror=\"window.__pwned='ilink'\">内部リンク]"
        '({% post_url 2025-12-14-x"onmouseover="window.__pwned=\'target\'"<b>{{site.url}} %})',
    ]


def test_a_hostile_draft_runs_nothing_in_chromium(llm, genpost, tmp_path, site, served, canary):
    """A draft whose title, tag, body and editor name hold payloads: on the list, the draft, the preview as
    the editor types, after a save, and on the diff page, no script runs, nothing calls the canary, nothing
    is posted but the editor's own preview and save, and nothing is published."""
    browser_path = chromium_path()
    if browser_path is None:
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    from pipeline import frontmatter
    from pipeline.frontmatter import Flow, Quoted

    canary_url, hits = canary
    out = tmp_path / "out"
    path = draft(genpost, out, site)
    payloads = hostile_payloads(canary_url, path.name)
    title = f"攻撃<script>window.__pwned='title'</script><img src=x onerror=\"location='{canary_url}/title'\">"
    tag = "<svg onload=\"window.__pwned='tag'\">タグ"
    who = f"<img src=x onerror=\"window.__pwned='who';location='{canary_url}/who'\">編集部"
    text = path.read_text(encoding="utf-8")
    head_end = text.index("\n---\n", 3) + len("\n---\n")
    head = frontmatter.with_fields(text[:head_end], {"title": Quoted(title), "tags": Flow([tag, "普通のタグ"])})
    body = text[head_end:].replace("\n## ", "\n本文の途中。" + " ".join(payloads) + "\n\n## ", 1)
    path.write_text(head + body, encoding="utf-8")
    base = served(out, site)
    shots = Path(os.environ["GENPOST_SCREENSHOTS"]) if os.environ.get("GENPOST_SCREENSHOTS") else None
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, headless=True, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs, posts = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: posts.append(r.url) if r.method != "GET" else None)

        def assert_inert(where: str) -> None:
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            assert page.url.startswith(base), f"{where}: navigated away to {page.url}"
            assert page.evaluate("() => window.__pwned") is None, where
            assert "HACKED!" not in page.title(), where
            assert page.evaluate(AUDIT) == [], where
            assert hits == [] and dialogs == [], where

        page.goto(base + "/")
        assert_inert("the list")
        assert "攻撃<script>" in page.locator("table").inner_text(), "the title is shown as the text it is"
        page.locator("table a").first.click()
        page.wait_for_selector("#edit-body")
        assert_inert("the draft")
        assert "<script>window.__pwned='title'</script>" in page.locator("h1").inner_text()
        assert "{% include evil.html %}" in page.locator(".card.post").inner_text(), "Liquid is text"
        assert "onmouseover=\"window.__pwned='target'\"" in page.locator("#links").inner_text(), "the target is text"
        if shots:
            page.screenshot(path=str(shots / "review-hostile.png"), caret="initial")  # "hide" styles the inputs

        # Type the payloads into the editor: the preview follows, and runs none of them.
        editor = page.locator("#edit-body")
        editor.fill(editor.input_value() + "\n\nプレビューの確認です。" + " ".join(payloads) + "\n")
        page.wait_for_selector("#preview >> text=プレビューの確認です。")
        links = page.locator("#preview a", has_text="リンクB").all()
        assert len(links) == 2 and all(link.get_attribute("href") is None for link in links), "the link lost its URL"
        assert_inert("the preview")
        page.fill("input[name=who]", who)
        page.click("#save")
        page.wait_for_selector(".message")
        assert "保存しました" in page.locator(".message").inner_text()
        assert_inert("the saved draft")
        assert who in page.locator("#history").inner_text(), "the editor's name is shown as text"

        page.get_by_role("link", name="v3 手直し").click()
        page.wait_for_selector(".unified-diff")
        assert_inert("the diff")
        assert who in page.locator("main").inner_text()
        page.go_back()
        page.wait_for_selector("#edit-body")
        assert_inert("the draft again")
        assert {p.split("?")[0].rsplit("/", 1)[-1] for p in posts} == {"preview", "save"}, posts

        # The control: the same payloads, in a page without the app's defences, do call the canary.
        bare = browser.new_page()
        with contextlib.suppress(sync_api.Error):  # the payload navigates away while the page loads
            bare.set_content("<p>" + " ".join(payloads) + "</p>")
        deadline = time.monotonic() + 10
        while not hits and time.monotonic() < deadline:
            time.sleep(0.1)
        browser.close()
    assert hits, "without the sanitiser and the CSP, the payloads would have called the canary"
    state = load_state(path)
    assert state.status == "draft" and [v.kind for v in state.versions] == ["generated", "polished", "edited"]
    assert not (site / "_posts" / path.name).exists(), "nothing was published"
