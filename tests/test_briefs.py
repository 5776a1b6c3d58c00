"""Briefs from the search results (issue 31): `genpost brief` asks a loopback SearXNG, reads the top results
(pages with overlapping headings, a question heading, a page that times out, one that is not HTML), and writes a
brief whose fields say what those pages hold; `genpost approve`; a draft from an approved brief, under the
editor's headings in the editor's order, its points answered; a brief that is not approved is refused."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from pipeline.briefs.model import read_brief
from pipeline.review.drafts import load_state
from standins.fake_writer import FakeWriter
from standins.web import NAV, SearXNGStandIn, WebStandIn
from tests import test_review

KEYWORD = "生成AI メール作成"
served_app = test_review.served  # the fixture: the review app on a real uvicorn server


def article(title: str, sections: list[tuple[int, str, str]]) -> bytes:
    """A page with the navigation, header and footer a real site has, and its headed sections."""
    body = "".join(f"<h{level}>{html.escape(h)}</h{level}><p>{html.escape(text)}</p>" for level, h, text in sections)
    return (
        f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body>{NAV}<header><h2>サイトのメニュー</h2></header><main><article><h1>{html.escape(title)}</h1>"
        f"<p>この記事では生成AIを使ったメール作成の方法を、現場の担当者向けに順を追って説明します。</p>{body}"
        f"</article></main><aside><h2>人気の記事</h2></aside><footer><h2>会社情報</h2></footer></body></html>"
    ).encode()


MAIL = "生成AIでメールの文面を作る"
PAGES = {
    "/brief/one.html": article(
        "生成AIでメール作成を効率化する方法",
        [
            (
                2,
                "生成AIでメールの文面を作成する",
                "生成AIにメールの目的と相手を伝えると、文面の下書きがすぐに作れます。",
            ),
            (2, "効果測定のやり方", "開封率とクリック率を配信ごとに記録し、前回と比べます。"),
            (3, "生成AIとは？", "生成AIは文章や画像を作るAIです。メール作成にも使われています。"),
            (2, "まとめ", "まずは一通から試してみましょう。"),
        ],
    ),
    "/brief/two.html": article(
        "メール作成に生成AIを使う前に知っておきたいこと",
        [
            (2, "1. メール作成に生成AIを使う", "件名と本文の案を生成AIに出してもらい、担当者が直します。"),
            (2, "2. ツールの比較", "無料のツールと有料のツールでは、使える機能が違います。"),
            (3, "よくある失敗と対策", "生成AIの文面をそのまま送ると、事実の誤りが残ることがあります。"),
            (2, "まとめ", "小さく始めて、効果を確かめながら広げます。"),
        ],
    ),
    "/brief/three.html": article(
        "生成AIによるメール文面の作成手順",
        [
            (2, "ステップ1：生成AIによるメール文面の作成", "目的、相手、伝えたいことの三つを指示に書きます。"),
            (2, "効果測定の指標", "開封率、クリック率、返信数を指標にします。"),
            (2, "社内ルールはどう決めるか", "誰が確認するかを先に決めておくと、運用が安定します。"),
        ],
    ),
}


@pytest.fixture
def results(web: WebStandIn) -> list[tuple[str, str, str]]:
    for path, data in PAGES.items():
        web.documents[path] = ("text/html; charset=utf-8", data)
    web.slow_s = 3.0
    return [
        (web.url("brief/one.html"), "生成AIでメール作成を効率化する方法", ""),
        (web.url("brief/two.html"), "メール作成に生成AIを使う前に", ""),
        (web.url("slow.html"), "遅いページ", ""),  # answers after the timeout
        (web.url("brief/three.html"), "生成AIによるメール文面の作成手順", ""),
        (web.url("logo.png"), "画像", ""),  # not a page
    ]


@pytest.fixture
def engine(results: list[tuple[str, str, str]]):
    with SearXNGStandIn(results, suggestions=["生成AI メール作成 無料", "生成AIでメールを書くには？"]) as server:
        yield server


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, search: str | None) -> Path:
    config = tmp_path / "genpost.yml"
    lines = ["sources:", "  timeout: 1", "  attempts: 1", "  budget_s: 2", "  cache_hours: 0"]
    if search:
        lines += ["  search:", f"    url: {search}", "    results: 5"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    return config


def write_brief(genpost, out: Path, *extra: str):
    run = genpost("brief", "--keywords", KEYWORD, "--instinct", "learning", "--out", str(out), *extra)
    assert run.code == 0, run.stderr
    return Path(run.last_line), run


def test_a_brief_says_what_the_top_results_hold(engine, genpost, tmp_path, monkeypatch):
    configure(tmp_path, monkeypatch, engine.root)
    path, run = write_brief(genpost, tmp_path / "out")
    assert path.parent == tmp_path / "out" / "briefs" and path.name.endswith("-生成ai-メール作成.brief.yml")
    assert engine.queries[-1]["q"] == "生成AI メール作成" and engine.queries[-1]["format"] == "json"
    brief = read_brief(path)
    one, two, slow, three, image = brief.results
    assert one.headings == ["## 生成AIでメールの文面を作成する", "## 効果測定のやり方", "### 生成AIとは？", "## まとめ"]
    assert "## サイトのメニュー" not in one.headings and "## 人気の記事" not in one.headings, "main content only"
    assert one.chars > 50 and one.fetched_at is not None and not one.error
    assert slow.error and not slow.headings and image.error and "not a page" in image.error
    assert "2件の結果は読めませんでした" in run.stderr
    # Shared topics, matched by meaning: the mail-writing topic in three results, measurement in two.
    topics = {tuple(s.results): s.topic for s in brief.shared}
    assert (1, 2, 4) in topics and "メール" in topics[(1, 2, 4)]
    assert (1, 4) in topics and "効果測定" in topics[(1, 4)]
    assert not [s for s in brief.shared if s.topic == "まとめ"], "a heading every page has is no topic"
    asked = {q.question: q.source for q in brief.questions}
    assert asked["生成AIとは？"] == "結果1" and asked["社内ルールはどう決めるか"] == "結果4"
    assert asked["生成AIでメールを書くには？"] == "検索候補"
    assert brief.intent.kind == "手順" and "手順" in brief.intent.reason
    chars = sorted(r.chars for r in (one, two, three))
    assert (brief.length.min, brief.length.median, brief.length.max) == (chars[0], chars[1], chars[2])
    keys = [s.part for s in brief.outline]
    assert keys[0] == "lead" and keys[-1] == "summary" and "step3" in keys
    assert all(2 <= len(s.points) <= 4 and all(p.answers for p in s.points) for s in brief.outline)
    answered = {p.answers for s in brief.outline for p in s.points}
    assert "結果1・2・4" in answered and any(a.startswith("質問") for a in answered)
    assert brief.gaps.angle and not brief.approved
    text = path.read_text(encoding="utf-8")
    assert "# 検索意図" in text and "# 記事の構成" in text, "a Japanese comment above each key"


def test_without_an_engine_the_brief_is_written_from_the_keyword_and_says_why(genpost, tmp_path, monkeypatch):
    configure(tmp_path, monkeypatch, None)
    path, run = write_brief(genpost, tmp_path / "out")
    brief = read_brief(path)
    assert brief.results == [] and "sources.search" in run.stderr
    assert all(2 <= len(s.points) <= 4 for s in brief.outline) and brief.intent.kind == "情報収集"


def test_a_failed_search_still_writes_the_brief(genpost, tmp_path, monkeypatch):
    configure(tmp_path, monkeypatch, "http://127.0.0.1:9")  # nothing listens there
    path, run = write_brief(genpost, tmp_path / "out")
    assert read_brief(path).results == [] and "検索に失敗" in run.stderr


def test_a_hostile_pages_headings_are_inert_in_the_brief(web, genpost, tmp_path, monkeypatch):
    hostile = article(
        "{{ site.secret }}",
        [(2, "{% include secret.html %}<script>alert(1)</script>生成AIの使い方", "{{ site.github }} 本文です。" * 3)],
    )
    web.documents["/brief/hostile.html"] = ("text/html; charset=utf-8", hostile)
    with SearXNGStandIn([(web.url("brief/hostile.html"), "<b>x</b>", "")]) as server:
        configure(tmp_path, monkeypatch, server.root)
        path, _ = write_brief(genpost, tmp_path / "out")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    (result,) = data["results"]
    assert result["headings"] == ["## {% include secret.html %}alert(1)生成AIの使い方"], "text only, no tag"
    assert "<script>" not in path.read_text(encoding="utf-8")


def test_approval_and_an_edit_after_it(engine, genpost, tmp_path, monkeypatch):
    configure(tmp_path, monkeypatch, engine.root)
    path, _ = write_brief(genpost, tmp_path / "out")
    run = genpost("approve", str(path), "--by", "鈴木")
    assert run.code == 0, run.stderr
    brief = read_brief(path)
    assert brief.is_approved and brief.approved_by == "鈴木" and brief.approved_at is not None
    path.write_text(path.read_text(encoding="utf-8").replace("まとめと次のアクション", "まとめ"), encoding="utf-8")
    assert read_brief(path).approved and not read_brief(path).is_approved, "an edit after approval unapproves it"


@pytest.mark.parametrize(
    ("text", "where"),
    [("keywords: [a\n", ":2:"), ("keywords: []\ninstinct: learning\n", "keywords"), ("- just a list\n", "(top)")],
    ids=["yaml", "empty-keywords", "not-a-mapping"],
)
def test_a_malformed_brief_is_one_line(genpost, tmp_path, text, where):
    path = tmp_path / "bad.brief.yml"
    path.write_text(text, encoding="utf-8")
    for args in (("approve", str(path)), ("--brief", str(path))):
        run = genpost(*args)
        assert run.code == 2 and len(run.stderr.strip().splitlines()) == 1 and str(path) in run.stderr, args
        assert where in run.stderr and "Traceback" not in run.stderr


def test_an_unapproved_brief_is_refused_before_drafting(engine, genpost, tmp_path, monkeypatch, llm):
    configure(tmp_path, monkeypatch, engine.root)
    path, _ = write_brief(genpost, tmp_path / "out")
    run = genpost("--brief", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 2 and "is not approved" in run.stderr and llm.chat_bodies() == []
    assert not list((tmp_path / "out").glob("20*.md")), "nothing drafted"
    forced = genpost("--brief", str(path), "--out", str(tmp_path / "out"), "--force")
    assert forced.code == 0 and Path(forced.last_line).is_file(), "--force drafts it all the same"


def test_the_editors_headings_and_order_are_the_posts(engine, genpost, tmp_path, monkeypatch, llm, unsplash):
    configure(tmp_path, monkeypatch, engine.root)
    path, _ = write_brief(genpost, tmp_path / "out")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    outline = data["outline"]
    by_key = {s["part"]: s for s in outline}
    by_key["cases"]["heading"] = "現場の成功事例"
    by_key["trend3"]["heading"] = "メール作成で生成AIが得意なこと"
    # The cases section before the steps; the trend H3s reversed, the fifth removed.
    groups: dict[str, list[dict]] = {}
    for section in outline:
        key = section["part"]
        group = "trend" if key.startswith("trend") else "steps" if key.startswith("step") else key
        groups.setdefault(group, []).append(section)
    trend = [groups["trend"][0], *reversed([s for s in groups["trend"][1:] if s["part"] != "trend5"])]
    data["outline"] = [
        *groups["lead"],
        *groups["background"],
        *trend,
        *groups["cases"],
        *groups["steps"],
        *groups["summary"],
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert genpost("approve", str(path)).code == 0
    run = genpost("--brief", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    text = draft.read_text(encoding="utf-8")
    h2 = re.findall(r"^## (.+)$", text, re.MULTILINE)
    h3 = re.findall(r"^### (.+)$", text, re.MULTILINE)
    assert h2[:5] == [
        by_key["background"]["heading"],
        by_key["trend_intro"]["heading"],
        "現場の成功事例",
        "実践ステップ",
        by_key["summary"]["heading"],
    ]
    assert h3[:4] == [by_key[k]["heading"] for k in ("trend4", "trend3", "trend2", "trend1")]
    assert by_key["trend5"]["heading"] not in text and h3[4].startswith("ステップ1: ")
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    ref = record["brief"]["from_brief"]
    assert ref["path"] == str(path) and len(ref["sha256"]) == 64
    assert [p["part"] for p in ref["parts"]][:6] == ["lead", "background", "trend_intro", "trend1", "trend2", "trend3"]
    # Each part's prompt carries its approved points; the results are the sources.
    bodies = [json.dumps(b, ensure_ascii=False) for b in llm.chat_bodies()]
    first = by_key["trend4"]["points"][0]["text"]
    assert any("承認済みの要点" in b and first in b for b in bodies)
    assert {s["location"] for s in record["sources"]} >= {engine.results[0][0], engine.results[1][0]}
    assert "outline" not in {c["stage"] for c in record["calls"]}, "the approved outline is the plan"
    # Regenerating a part of it reads the draft under the keys it was drafted with (its H2s reordered).
    client = _app_client(tmp_path / "out")
    token = _token(client.get(f"/drafts/{draft.name}").text)
    client.post(f"/drafts/{draft.name}/regenerate", data={"csrf": token, "part": "cases", "note": "具体例を"})
    done = client.post(f"/drafts/{draft.name}/accept", data={"csrf": token}, follow_redirects=True)
    assert "差し替えました" in done.text
    after = draft.read_text(encoding="utf-8")
    steps = text.split("## 実践ステップ", 1)[1].split("\n## ", 1)[0]
    assert after != text and steps in after, "the steps section as it was; the cases section written again"
    assert (
        after.split("## 現場の成功事例", 1)[1].split("\n## ", 1)[0]
        != text.split("## 現場の成功事例", 1)[1].split("\n## ", 1)[0]
    )


class PointsWriter(FakeWriter):
    """A model that answers each approved point its prompt lists, but the one about penguins."""

    def prose(self, prompt: str, keyword: str) -> str:
        text = super().prose(prompt, keyword)
        if "【この見出しで答える要点】" not in prompt:
            return text
        listed = prompt.split("【この見出しで答える要点】", 1)[1].split("\n\n", 1)[0]
        points = [line[2:] for line in listed.splitlines() if line.startswith("- ") and "ペンギン" not in line]
        return text + "\n\n" + "".join(f"{point}について説明します。" for point in points)


def test_a_post_that_leaves_out_an_approved_point_is_flagged(engine, genpost, tmp_path, monkeypatch, llm, unsplash):
    llm.writer = PointsWriter()
    configure(tmp_path, monkeypatch, engine.root)
    path, _ = write_brief(genpost, tmp_path / "out")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = next(s for s in data["outline"] if s["part"] == "cases")
    cases["points"][0] = {"text": "ペンギンの飼育日誌を毎朝つける", "answers": "編集部"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert genpost("approve", str(path)).code == 0
    run = genpost("--brief", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    missing = [f for f in record["findings"] if f["rule"] == "brief.coverage" and f["part"] == "cases"]
    assert len(missing) == 1 and "ペンギン" in missing[0]["message_ja"], "the point it left out, and no other"
    rounds = [r for r in record["rewrites"] if "cases" in r["parts"]]
    assert rounds, "the gate asked for the part again, told the point it left out"
    checked = genpost("check", str(draft), "--json")
    assert "brief.coverage" in checked.stdout
    report = genpost("check", str(draft))
    assert re.search(r"ブリーフの要点: \d+/\d+", report.stdout + report.stderr)


# --- the review app: listed, edited within the structure, approved (a TestClient, then real Chromium) -------------


def _app_client(out: Path):
    from starlette.testclient import TestClient

    from pipeline.config import load_settings
    from pipeline.instincts import load_instincts
    from pipeline.review.app import create_app

    return TestClient(create_app(out, None, load_settings(), load_instincts(), allowed_hosts=["testserver"]))


def _token(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_the_review_app_lists_edits_and_approves_a_brief(engine, genpost, tmp_path, monkeypatch):
    configure(tmp_path, monkeypatch, engine.root)
    out = tmp_path / "out"
    path, _ = write_brief(genpost, out)
    client = _app_client(out)
    listed = client.get("/").text
    assert f'href="/briefs/{path.name}"' in listed.replace("%E7", "%e7") or path.name in listed
    assert "未承認" in listed
    page = client.get(f"/briefs/{path.name}").text
    token, version = _token(page), re.search(r'name="version" value="([^"]+)"', page).group(1)
    assert "検索意図: 手順" in page and "生成AIでメールの文面を作成する" in page
    brief = read_brief(path)
    keys = [s.part for s in brief.outline]
    form = {"csrf": token, "version": version, "who": "編集部 鈴木", "notes": "事例を厚めに"}
    for n, key in enumerate(keys, 1):
        form[f"order-{key}"] = str(n)
    form["order-cases"] = str(keys.index("steps_intro") + 0.5)  # the cases section before the steps
    form["heading-cases"] = "現場の成功事例"
    form["remove-trend5"] = "on"
    form["points-trend1"] = "新しい要点その一 | 編集部\n新しい要点その二 | 結果2"
    form["new-heading"], form["new-points"], form["new-order"] = "追加した小見出し", "追加の要点A\n追加の要点B", "4.5"
    assert client.post(f"/briefs/{path.name}/save", data={**form, "csrf": "wrong"}).status_code == 403
    done = client.post(f"/briefs/{path.name}/save", data=form, follow_redirects=True)
    assert done.status_code == 200 and "保存しました" in done.text, done.text[:500]
    saved = read_brief(path)
    order = [s.part for s in saved.outline]
    assert order.index("cases") < order.index("steps_intro") and "trend5" not in order and "trend6" in order
    assert order.index("trend6") == order.index("trend1") + 1, "the added section where its number puts it"
    assert next(s for s in saved.outline if s.part == "cases").heading == "現場の成功事例"
    assert [p.text for p in saved.points_of("trend1")] == ["新しい要点その一", "新しい要点その二"]
    assert saved.notes == "事例を厚めに" and not saved.approved
    versions = load_state(path).versions
    assert [v.kind for v in versions] == ["generated", "edited"] and versions[-1].who == "編集部 鈴木"
    # A save the structure does not allow is refused with why, and nothing is written.
    before = path.read_text(encoding="utf-8")
    page = client.get(f"/briefs/{path.name}").text
    bad = {"csrf": token, "version": re.search(r'name="version" value="([^"]+)"', page).group(1)}
    bad |= {"order-summary": "0"}
    refused = client.post(f"/briefs/{path.name}/save", data=bad)
    assert refused.status_code == 422 and "summary" in refused.text and path.read_text(encoding="utf-8") == before
    renamed = client.post(
        f"/briefs/{path.name}/save", data={**bad, "order-summary": "99", "heading-steps_intro": "手順"}
    )
    assert renamed.status_code == 422 and "実践ステップ" in renamed.text and path.read_text(encoding="utf-8") == before
    stale = client.post(f"/briefs/{path.name}/save", data={**form, "version": "0" * 16})
    assert stale.status_code == 409, "a save from an older page is refused"
    approved = client.post(f"/briefs/{path.name}/approve", data={"csrf": token, "who": "編集長"}, follow_redirects=True)
    assert "承認しました" in approved.text and read_brief(path).is_approved and read_brief(path).approved_by == "編集長"
    # Edited again in the app: unapproved.
    page = client.get(f"/briefs/{path.name}").text
    again = {"csrf": token, "version": re.search(r'name="version" value="([^"]+)"', page).group(1)}
    client.post(f"/briefs/{path.name}/save", data={**again, "heading-cases": "事例"}, follow_redirects=True)
    assert not read_brief(path).is_approved
    assert client.get("/briefs/..%2Fsecret.brief.yml").status_code in (404, 405), "never a path out of out/briefs"
    assert client.get("/briefs/notes.md").status_code == 404 and client.get("/briefs/.x.brief.yml").status_code == 404


def test_a_hostile_heading_is_inert_in_the_app_and_the_post(engine, genpost, tmp_path, monkeypatch, llm, unsplash):
    configure(tmp_path, monkeypatch, engine.root)
    out = tmp_path / "out"
    path, _ = write_brief(genpost, out)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    hostile = "{{ site.secret }}{% include x.html %}<script>alert(1)</script>見出し"
    next(s for s in data["outline"] if s["part"] == "cases")["heading"] = hostile
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    page = _app_client(out).get(f"/briefs/{path.name}").text
    assert "<script>alert(1)</script>" not in page
    assert genpost("approve", str(path)).code == 0
    run = genpost("--brief", str(path), "--out", str(out))
    assert run.code == 0, run.stderr
    text = Path(run.last_line).read_text(encoding="utf-8")
    (heading,) = [line for line in text.splitlines() if "見出し" in line and line.startswith("## ")]
    assert "<script>" not in heading and "{{" not in heading and "{%" not in heading


def test_approving_a_brief_in_chromium(engine, genpost, tmp_path, monkeypatch, served_app):
    from tests.test_review import chromium_path

    browser_path = chromium_path()
    if browser_path is None:
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    configure(tmp_path, monkeypatch, engine.root)
    out = tmp_path / "out"
    path, _ = write_brief(genpost, out)
    base = served_app(out, None)
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, headless=True, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        page.get_by_role("link", name=path.name).click()
        page.wait_for_selector("#outline")
        page.fill("input[name='heading-cases']", "現場の成功事例")
        page.click("#save-brief")
        page.wait_for_selector(".message")
        assert "保存しました" in page.locator(".message").inner_text()
        page.fill("form[action$='/approve'] input[name=who]", "編集長 田中")
        page.click("#approve-brief")
        page.wait_for_selector(".message")
        assert "承認しました" in page.locator(".message").inner_text() and "承認済み" in page.locator("h1").inner_text()
        if os.environ.get("GENPOST_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["GENPOST_SCREENSHOTS"]) / "review-brief.png"), full_page=False)
        browser.close()
    brief = read_brief(path)
    assert brief.is_approved and brief.approved_by == "編集長 田中"
    assert next(s for s in brief.outline if s.part == "cases").heading == "現場の成功事例"


# --- robots.txt, and --auto in brief mode ----------------------------------------------------------------------


def test_a_result_the_sites_robots_txt_forbids_is_not_fetched(web, genpost, tmp_path, monkeypatch):
    web.documents["/robots.txt"] = ("text/plain", b"User-agent: genpost\nDisallow: /brief/private/\n")
    web.documents["/brief/private/page.html"] = PAGES["/brief/one.html"]
    try:
        results = [(web.url("brief/private/page.html"), "非公開", ""), (web.url("survey.html"), "調査", "")]
        with SearXNGStandIn(results) as server:
            configure(tmp_path, monkeypatch, server.root)
            path, _ = write_brief(genpost, tmp_path / "out")
    finally:
        del web.documents["/robots.txt"]
    private, survey = read_brief(path).results
    assert "robots.txt" in private.error and not survey.error
    assert "/brief/private/page.html" not in [p for p, _ in web.seen], "never requested"


def test_auto_in_brief_mode_writes_the_days_brief_then_drafts_approved_ones(
    engine, genpost, tmp_path, monkeypatch, llm, unsplash
):
    config = configure(tmp_path, monkeypatch, engine.root)
    config.write_text(config.read_text(encoding="utf-8") + "auto:\n  briefs: true\n", encoding="utf-8")
    out = tmp_path / "out"
    first = genpost("--auto", "--date", "2026-12-08T07:00:00+09:00", "--out", str(out))
    assert first.code == 0, first.stderr
    assert "brief for review" in first.stderr and not list(out.glob("20*.md")), "a brief, not a post"
    (made,) = list((out / "briefs").glob("*.brief.yml"))
    again = genpost("--auto", "--date", "2026-12-08T08:00:00+09:00", "--out", str(out))
    assert again.code == 0 and "a brief exists" in again.stderr and len(list((out / "briefs").glob("*.yml"))) == 1
    assert genpost("approve", str(made)).code == 0
    third = genpost("--auto", "--date", "2026-12-09T07:00:00+09:00", "--out", str(out))
    assert third.code == 0, third.stderr
    drafts = list(out.glob("20*.md"))
    assert len(drafts) == 1 and len(list((out / "briefs").glob("*.yml"))) == 2, "the next day's brief, and a draft"
    record = json.loads(drafts[0].with_suffix(".json").read_text(encoding="utf-8"))
    assert record["brief"]["from_brief"]["path"] == str(made)
    fourth = genpost("--auto", "--date", "2026-12-09T09:00:00+09:00", "--out", str(out))
    assert fourth.code == 0 and len(list(out.glob("20*.md"))) == 1, "an approval is drafted once"


def test_a_batch_takes_a_brief_per_row(engine, genpost, tmp_path, monkeypatch, llm, unsplash):
    configure(tmp_path, monkeypatch, engine.root)
    out = tmp_path / "out"
    path, _ = write_brief(genpost, out)
    sets = tmp_path / "sets.yml"
    sets.write_text(
        f"- {{brief: {path.relative_to(tmp_path)}, date: 2026-12-20T09:00:00+09:00}}\n"
        "- {instinct: play, keywords: [ゲーム化 マーケティング]}\n",
        encoding="utf-8",
    )
    refused = genpost("batch", "--file", str(sets), "--out", str(out))
    assert refused.code == 2 and "item 1" in refused.stderr and "is not approved" in refused.stderr
    assert genpost("approve", str(path)).code == 0
    run = genpost("batch", "--file", str(sets), "--out", str(out), "--json")
    assert run.code == 0, run.stderr
    written = [Path(p) for p in json.loads(run.last_line)["written"]]
    records = [json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in written]
    from_brief = [r for r in records if r["brief"]["from_brief"]]
    assert len(written) == 2 and len(from_brief) == 1 and from_brief[0]["brief"]["from_brief"]["path"] == str(path)


def test_with_a_site_its_own_posts_are_link_candidates_not_topics(engine, genpost, tmp_path, monkeypatch, site):
    configure(tmp_path, monkeypatch, engine.root)
    keyword = "AI マーケティング 最新トレンド"
    run = genpost("brief", "--keywords", keyword, "--instinct", "learning", "--site", str(site), "--out", str(tmp_path))
    assert run.code == 0, run.stderr
    candidates = read_brief(Path(run.last_line)).gaps.site
    assert candidates and all((site / "_posts" / f"{c.post}.md").is_file() for c in candidates)
    assert any("AI" in c.title for c in candidates)
