"""What the site's search performance says (issue 32): Search Console exports made the way it writes them
(English and Japanese headers, compare and single-period modes, a ZIP and loose CSVs, URL variants, pages that
are not posts, a malformed file) read and matched to a fixture site's posts; `refresh --list --performance`
ranks the post that lost most of its clicks first; the report names the page near the first page, the two posts
that compete for one search, the orphan and the search no post answers; it renders in Chromium with its
figures, hostile titles inert."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from pipeline.errors import UsageError
from pipeline.performance.export import read_export
from pipeline.performance.signals import PostFigures, ctr_curve, matched, post_signals
from pipeline.site.context import Site
from standins.fake_writer import FakeWriter

HOST = "https://www.example.jp"
CONFIG = f"title: テストサイト\nurl: {HOST}\nbaseurl: ''\npermalink: /blog/:title/\nmarkdown: kramdown\n"
HOSTILE = "{{ site.secret }}<script>alert(1)</script>$x^2$ 展示会の出展準備チェックリスト"
POSTS = {
    "2026-01-10-email-ai": ("生成AIでメール作成を効率化する方法", "生成AI メール作成", ["2026-05-01-sns"]),
    "2026-02-05-seo-basics": ("SEOの基本と内部リンクの考え方", "SEO 内部リンク", ["2026-05-01-sns"]),
    "2026-03-01-line-marketing": ("LINE配信のコツ：公式アカウント運用入門", "LINE 配信 コツ", ["2026-05-01-sns"]),
    "2026-03-15-line-tips": ("LINE配信のコツと最適な配信頻度", "LINE 配信 コツ", ["2026-05-01-sns"]),
    "2026-04-01-orphan": (HOSTILE, "展示会 出展 準備", ["2026-05-01-sns"]),
    "2026-05-01-sns": (
        "SNS運用の始め方",
        "SNS 運用",
        [
            "2026-01-10-email-ai",
            "2026-02-05-seo-basics",
            "2026-03-01-line-marketing",
            "2026-03-15-line-tips",
            "2026-06-01-日本語の記事",
        ],
    ),
    "2026-06-01-日本語の記事": ("日本語スラッグの記事：顧客の声の集め方", "顧客の声 集め方", ["2026-05-01-sns"]),
}
TOPICS = {
    "2026-01-10-email-ai": "生成AIでメールの文面を作る手順を説明します。生成AIに目的と相手を伝えます。",
    "2026-02-05-seo-basics": "SEOの基本として内部リンクの張り方を説明します。内部リンクは構造を伝えます。",
    "2026-03-01-line-marketing": "LINE配信のコツを説明します。LINE公式アカウントの配信は頻度と時間帯が大切です。",
    "2026-03-15-line-tips": "LINE配信のコツを紹介します。LINE配信の頻度は週一回が目安です。",
    "2026-04-01-orphan": "展示会の出展準備を説明します。ブースの設計と配布物を用意します。",
    "2026-05-01-sns": "SNS運用の始め方を説明します。投稿の計画を立てます。",
    "2026-06-01-日本語の記事": "顧客の声の集め方を説明します。アンケートとインタビューを使います。",
}


def build_site(root: Path) -> Path:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    for name, (title, keyword, links) in POSTS.items():
        linked = "".join(f"[{POSTS[to][1]}の記事]({{% post_url {to} %}})を参照してください。" for to in links)
        text = (
            f"---\nlayout: post\ntitle: {json.dumps(title, ensure_ascii=False)}\ntags: [{keyword.split()[0]}]\n"
            f"seo_keywords: [{json.dumps(keyword, ensure_ascii=False)}]\n---\n\n{TOPICS[name] * 3}\n\n"
            f"## {keyword}のポイント\n\n{TOPICS[name]}{linked}\n"
        )
        (root / "_posts" / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def url_of(name: str, *, slash: bool = True, scheme: str = "https", www: bool = True) -> str:
    slug = name[11:]
    host = HOST.replace("https://", f"{scheme}://").replace("www.", "" if not www else "www.")
    return f"{host}/blog/{quote(slug)}{'/' if slash else ''}"


# (url, now clicks, before clicks, now impressions, before impressions, now position, before position)
PAGES = [
    (url_of("2026-01-10-email-ai"), 80, 400, 6000, 7000, 4.1, 1.0),
    (url_of("2026-02-05-seo-basics"), 60, 55, 5000, 4800, 12.0, 12.5),
    (url_of("2026-03-01-line-marketing"), 150, 140, 3000, 3100, 5.0, 5.2),
    (url_of("2026-03-15-line-tips", slash=False), 90, 100, 2800, 2900, 6.0, 6.1),
    (url_of("2026-03-15-line-tips", scheme="http", www=False), 10, 12, 200, 210, 7.0, 7.0),
    (url_of("2026-05-01-sns"), 300, 310, 4000, 4100, 3.0, 3.1),
    (url_of("2026-06-01-日本語の記事"), 40, 42, 900, 950, 6.5, 6.4),
    (f"{HOST}/about/", 25, 30, 500, 520, 2.0, 2.0),  # a page, not a post
    ("https://other.example.com/blog/email-ai/", 5, 5, 50, 50, 9.0, 9.0),  # another site
]
QUERIES = [
    ("生成AI メール作成", 70, 380, 5000, 6000, 4.0, 2.2),
    ("LINE 配信 コツ", 200, 190, 4200, 4300, 5.5, 5.6),
    ("ウェビナー 集客 方法", 3, 2, 1800, 1500, 18.0, 19.0),  # no post of its own
    ("SEO 内部リンク", 50, 50, 4500, 4400, 12.0, 12.4),
]
HEADERS = {
    ("en", "compare"): ["Last 3 months {m}", "Previous 3 months {m}"],
    ("ja", "compare"): ["過去 3 か月間 {m}", "前の 3 か月間 {m}"],
}
METRICS = {"en": ["Clicks", "Impressions", "CTR", "Position"], "ja": ["クリック数", "表示回数", "CTR", "掲載順位"]}
KEY = {"en": ("Top pages", "Top queries"), "ja": ("上位のページ", "上位のクエリ")}


def table(rows: list[tuple], lang: str, mode: str, pages: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    metrics = METRICS[lang]
    header = [KEY[lang][0 if pages else 1]]
    if mode == "compare":
        for metric in metrics:
            header += [form.format(m=metric) for form in HEADERS[(lang, mode)]]
    else:
        header += metrics
    writer.writerow(header)
    for key, c_now, c_before, i_now, i_before, p_now, p_before in rows:
        ctr_now, ctr_before = f"{100 * c_now / i_now:.2f}%", f"{100 * c_before / i_before:.2f}%"
        if mode == "compare":
            writer.writerow([key, c_now, c_before, i_now, i_before, ctr_now, ctr_before, p_now, p_before])
        else:
            writer.writerow([key, c_now, i_now, ctr_now, p_now])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_export(folder: Path, lang: str = "en", mode: str = "compare", zipped: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "Pages.csv": table(PAGES, lang, mode, True),
        "Queries.csv": table(QUERIES, lang, mode, False),
        "Countries.csv": b"Country,Clicks,Impressions,CTR,Position\nJapan,700,20000,3.5%,5.1\n",
        "Devices.csv": b"Device,Clicks,Impressions,CTR,Position\nMobile,500,15000,3.3%,5.5\n",
        "Dates.csv": b"Date,Clicks,Impressions,CTR,Position\n2026-11-01,20,600,3.3%,5.0\n",
        "Filters.csv": b"Filter,Value\nSearch type,Web\n",
    }
    if not zipped:
        for name, data in files.items():
            (folder / name).write_bytes(data)
        return folder
    path = folder / "https___www.example.jp_-Performance-on-Search-2026-12-06.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def perf_site(tmp_path: Path) -> Path:
    return build_site(tmp_path / "site")


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("mode", ["compare", "single"])
@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "csv"])
def test_an_export_is_read_as_search_console_writes_it(perf_site, tmp_path, lang, mode, zipped):
    export = read_export(write_export(tmp_path / "export", lang, mode, zipped))
    assert [r.key for r in export.pages] == [p[0] for p in PAGES] and len(export.queries) == len(QUERIES)
    first = export.pages[0]
    assert (first.now.clicks, first.now.impressions, first.now.position) == (80, 6000, 4.1)
    assert first.now.ctr == pytest.approx(80 / 6000, abs=1e-4), "CTR read from its percent string"
    assert export.compares is (mode == "compare")
    if mode == "compare":
        assert (first.before.clicks, first.before.position) == (400, 1.0)
    found = matched(export, Site(perf_site))
    assert set(found.posts) == set(POSTS) - {"2026-04-01-orphan"}
    assert sorted(found.unmatched) == sorted([f"{HOST}/about/", "https://other.example.com/blog/email-ai/"])
    tips = found.posts["2026-03-15-line-tips"]
    assert tips.now.clicks == 100 and tips.now.impressions == 3000, "two URLs of one post are added up"
    assert found.posts["2026-06-01-日本語の記事"].now.clicks == 40, "a percent-encoded Japanese slug"


def test_a_single_csv_is_told_apart_by_its_first_column(tmp_path):
    path = tmp_path / "Queries.csv"
    path.write_bytes(table(QUERIES, "ja", "single", False))
    export = read_export(path)
    assert not export.pages and export.queries[0].key == "生成AI メール作成"


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("Pages.csv", b"Top pages,Clicks,Impressions\nhttps://a/,many,3\n", "is not a number"),
        ("Pages.csv", b"Top pages,Position\nhttps://a/,3\n", "no clicks or impressions column"),
        ("notes.csv", b"a,b\n1,2\n", "no Pages.csv or Queries.csv"),
        ("Pages.csv", b"\xff\xfe\x00garbage", "not UTF-8"),
        ("export.zip", b"PK\x03\x04 broken", "no Pages.csv"),
    ],
    ids=["number", "columns", "other-table", "encoding", "zip"],
)
def test_a_malformed_export_is_one_line(genpost, perf_site, tmp_path, name, data, said):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UsageError, match=said):
        read_export(path)
    run = genpost("refresh", "--list", "--site", str(perf_site), "--performance", str(path), "--out", str(tmp_path))
    assert run.code == 2 and len(run.stderr.strip().splitlines()) == 1 and str(path) in run.stderr


def test_the_post_that_lost_most_of_its_clicks_ranks_first(genpost, perf_site, tmp_path):
    export = write_export(tmp_path / "export")
    run = genpost(
        "refresh",
        "--list",
        "--site",
        str(perf_site),
        "--performance",
        str(export),
        "--json",
        "--out",
        str(tmp_path / "out"),
    )
    assert run.code == 0, run.stderr
    listed = json.loads(run.stdout)
    first = listed[0]
    assert first["file"] == "_posts/2026-01-10-email-ai.md"
    (lost,) = [r for r in first["reasons"] if r["code"] == "performance.clicks-lost"]
    assert "400回から80回に80%減りました" in lost["message"] and "title" in lost["parts"]
    codes = {r["code"]: item["file"] for item in listed for r in item["reasons"]}
    assert codes["performance.striking-distance"] == "_posts/2026-02-05-seo-basics.md"
    assert codes["performance.position-lost"] == "_posts/2026-01-10-email-ai.md"


def test_the_sites_own_ctr_curve_names_a_title_that_draws_few_clicks():
    from pipeline.performance.export import Period

    posts = [
        PostFigures(f"p{n}", "", "", Period(clicks, 1000, clicks / 1000, 5.0))
        for n, clicks in enumerate([60, 55, 50, 58, 10])
    ]
    curve = ctr_curve(posts)
    assert curve[5] == pytest.approx(0.055)
    (signal,) = [s for p in posts for s in post_signals(p, curve) if s.code == "performance.low-ctr"]
    assert signal.post == "p4" and "1.0%" in signal.message and "5.5%" in signal.message


def test_the_report_names_what_the_figures_say(genpost, perf_site, tmp_path):
    export = write_export(tmp_path / "export")
    out = tmp_path / "report.html"
    run = genpost("report", "--site", str(perf_site), "--performance", str(export), "--out", str(out))
    assert run.code == 0, run.stderr
    page = out.read_text(encoding="utf-8")
    lost = page.split('id="lost"', 1)[1].split("</section>", 1)[0]
    assert lost.index("生成AIでメール作成を効率化する方法") > 0 and "80%" in lost
    striking = page.split('id="striking"', 1)[1].split("</section>", 1)[0]
    assert "SEOの基本と内部リンクの考え方" in striking and "12.0" in striking
    ideas = striking.split('id="link-ideas"', 1)[1]
    first_idea = ideas.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "LINE配信のコツ：公式アカウント運用入門" in first_idea and "SEO 内部リンク" in first_idea, (
        "from the strongest page that does not link it yet, the query it ranks for as the anchor"
    )
    assert "SNS運用の始め方" not in ideas, "the strongest page links to it already"
    competing = page.split('id="competing"', 1)[1].split("</section>", 1)[0]
    assert "LINE 配信 コツ" in competing and "2026-03-01-line-marketing" in competing
    assert "2026-03-15-line-tips" in competing
    gaps = page.split('id="gaps"', 1)[1].split("</section>", 1)[0]
    assert "ウェビナー 集客 方法" in gaps and "生成AI メール作成" not in gaps
    links = page.split('id="links"', 1)[1].split("</section>", 1)[0]
    assert "どの記事からもリンクされていない記事: <strong>1</strong>" in links
    assert page.count("<svg") >= 3 and "クリック数" in page.split('id="figures"', 1)[1]
    assert "<script>alert(1)</script>" not in page and "展示会の出展準備チェックリスト" in page, (
        "a hostile title is text"
    )
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//|@import|url\(\s*["']?https?:""", page), "self-contained"


def test_the_report_in_chromium(genpost, perf_site, tmp_path):
    from tests.test_review import chromium_path

    browser_path = chromium_path()
    if browser_path is None:
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "report.html"
    export = write_export(tmp_path / "export", "ja")
    assert genpost("report", "--site", str(perf_site), "--performance", str(export), "--out", str(out)).code == 0
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, headless=True, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        alerts = []
        page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
        page.goto(out.as_uri())
        assert page.locator("#figures svg").count() >= 3
        assert page.locator("#figure-clicks svg text", has_text="SNS運用の始め方").count() >= 1
        table = page.locator("#lost table")
        table.locator("th", has_text="今の期間").click()
        first = table.locator("tbody tr").first.locator("td").nth(2).inner_text()
        table.locator("th", has_text="今の期間").click()
        assert (
            table.locator("tbody tr").first.locator("td").nth(2).inner_text() != first
            or table.locator("tbody tr").count() == 1
        ), "a click sorts the table, a second reverses it"
        if os.environ.get("GENPOST_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["GENPOST_SCREENSHOTS"]) / "report.png"), full_page=False)
        browser.close()
    assert alerts == [], "a hostile title runs nothing"


def refresh_email_ai(genpost, site: Path, tmp_path: Path) -> tuple[Path, dict]:
    """`refresh` of the post that lost most of its clicks, with the export: its draft and its record."""
    export = write_export(tmp_path / "export")
    out = str(tmp_path / "out")
    run = genpost(
        "refresh", "2026-01-10-email-ai", "--site", str(site), "--performance", str(export), "--out", out, "--json"
    )
    assert run.code == 0, run.stderr
    draft = Path(json.loads(run.last_line)["path"])
    return draft, json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))


def test_a_refresh_of_the_post_that_lost_rewrites_what_the_search_result_shows(genpost, perf_site, tmp_path, llm):
    _, record = refresh_email_ai(genpost, perf_site, tmp_path)
    codes = [r["code"] for r in record["refresh"]["reasons"]]
    assert "performance.clicks-lost" in codes and {"title", "description"} <= set(record["refresh"]["parts"])
    front = [b for b in llm.chat_bodies() if "クリックが前の期間" in json.dumps(b, ensure_ascii=False)]
    assert front, "the rewrite is told what the figures say"


def test_the_report_in_the_review_app_offers_a_refresh(genpost, perf_site, tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from pipeline.config import load_settings
    from pipeline.instincts import load_instincts
    from pipeline.review.app import create_app

    export = write_export(tmp_path / "export")
    config = tmp_path / "genpost.yml"
    config.write_text(f"performance:\n  file: {export}\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    out = tmp_path / "out"
    out.mkdir()
    client = TestClient(create_app(out, perf_site, load_settings(), load_instincts(), allowed_hosts=["testserver"]))
    assert 'href="/report"' in client.get("/").text
    page = client.get("/report").text
    assert "クリックを最も失った記事" in page and 'action="/report/refresh"' in page and "<svg" in page
    assert client.post("/report/refresh", data={"post": "2026-01-10-email-ai"}).status_code == 403, "CSRF"


def test_links_prefer_a_post_near_the_first_page_among_the_related():
    from datetime import date

    from pipeline.site.links import LinkPlan, SiteIndex, SitePage

    day = date(2026, 1, 1)
    strong = SitePage(
        "2025-01-01-a", "LINE配信のコツ", "", "LINE 配信", day, True, "LINE配信のコツ。LINE配信の頻度。" * 5
    )
    near = SitePage("2025-01-02-b", "LINE公式アカウントの運用", "", "LINE", day, True, "LINE公式アカウントの運用。" * 5)
    for preferred, first in ((frozenset(), strong.name), (frozenset({near.name}), near.name)):
        plan = LinkPlan(SiteIndex([strong, near]), "", date(2026, 2, 1), 0.05, 1, 3, preferred)
        (offer,) = plan.offer("trend1", "LINE配信のコツと公式アカウント")
        assert offer.page.name == first


def test_auto_takes_the_search_no_post_answers_as_the_days_topic(genpost, perf_site, tmp_path, monkeypatch, llm):
    export = write_export(tmp_path / "export")
    config = tmp_path / "genpost.yml"
    config.write_text("performance:\n  topics: true\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    run = genpost(
        "--auto",
        "--site",
        str(perf_site),
        "--performance",
        str(export),
        "--out",
        str(tmp_path / "out"),
        "--date",
        "2026-12-08T07:00:00+09:00",
    )
    assert run.code == 0, run.stderr
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert record["brief"]["keywords"] == ["ウェビナー 集客 方法"]


# --- the Search Analytics API, through Google's client library, against a loopback stand-in ------------------


def _api_rows(rows: list[tuple], now: bool) -> list[dict]:
    out = []
    for key, c_now, c_before, i_now, i_before, p_now, p_before in rows:
        clicks, shown, position = (c_now, i_now, p_now) if now else (c_before, i_before, p_before)
        out.append({"keys": [key], "clicks": clicks, "impressions": shown, "ctr": clicks / shown, "position": position})
    return out


@pytest.fixture
def search_console(tmp_path):
    from datetime import date, timedelta

    pytest.importorskip("googleapiclient")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from standins.search_console import SearchConsoleStandIn

    end = (date.today() - timedelta(days=3)).isoformat()
    with SearchConsoleStandIn(f"{HOST}/", end) as server:
        for dimension, rows in (("page", PAGES), ("query", QUERIES)):
            server.rows[(dimension, "now")] = _api_rows(rows, True)
            server.rows[(dimension, "before")] = _api_rows(rows, False)
        pair = [
            (url_of("2026-03-01-line-marketing"), "LINE 配信 コツ", 2000),
            (url_of("2026-03-15-line-tips", slash=False), "LINE 配信 コツ", 1800),
            (url_of("2026-02-05-seo-basics"), "SEO 内部リンク", 4500),
            (url_of("2026-05-01-sns"), "SEO 内部リンク", 20),  # a stray impression: no competitor
        ]
        server.rows[("page_query", "now")] = [
            {"keys": [page, query], "clicks": 1, "impressions": n, "ctr": 1 / n, "position": 5.0}
            for page, query, n in pair
        ]
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        key_file = tmp_path / "service-account.json"
        account = {
            "type": "service_account",
            "project_id": "genpost-test",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "genpost@genpost-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": f"{server.root}/token",
        }
        key_file.write_text(json.dumps(account), encoding="utf-8")
        yield server, key_file, pem


def _api_config(tmp_path: Path, monkeypatch, server, key_file: Path, site_url: str) -> None:
    config = tmp_path / "genpost.yml"
    config.write_text(
        f"performance:\n  api:\n    site_url: {site_url}\n    key_file: {key_file}\n    endpoint: {server.root}/\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GENPOST_CONFIG", str(config))


def test_the_api_is_read_through_googles_client_library(genpost, perf_site, tmp_path, monkeypatch, search_console):
    server, key_file, pem = search_console
    _api_config(tmp_path, monkeypatch, server, key_file, f"{HOST}/")
    out = tmp_path / "out"
    run = genpost("refresh", "--list", "--site", str(perf_site), "--json", "--out", str(out))
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)[0]["file"] == "_posts/2026-01-10-email-ai.md"
    assert server.grants and server.grants[0]["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    asked = {(q["dimensions"][0], q["endDate"]) for q in server.queries}
    assert len(asked) == 4 and all(q["site"] == f"{HOST}/" and q["rowLimit"] == 25000 for q in server.queries)
    assert ["page", "query"] in [q["dimensions"] for q in server.queries], "which page ranks for which search"
    report = tmp_path / "report.html"
    assert genpost("report", "--site", str(perf_site), "--out", str(report), "--drafts", str(out)).code == 0
    secret = pem.splitlines()[1]
    written = [p.read_text(encoding="utf-8", errors="replace") for p in [report, *out.rglob("*")] if p.is_file()]
    page = report.read_text(encoding="utf-8")
    competing = page.split('id="competing"', 1)[1].split("</section>", 1)[0]
    assert "Search Analytics API" in competing and "2026-03-01-line-marketing（0.53）" in competing
    assert "2026-03-15-line-tips（0.47）" in competing and "SEO 内部リンク" not in competing
    assert not any(secret in text for text in written) and secret not in run.stderr, "the key is never written"


def test_an_api_that_refuses_is_one_line_without_the_key(genpost, perf_site, tmp_path, monkeypatch, search_console):
    server, key_file, pem = search_console
    _api_config(tmp_path, monkeypatch, server, key_file, "https://someone-else.example/")
    run = genpost("refresh", "--list", "--site", str(perf_site), "--out", str(tmp_path / "out"))
    assert run.code == 1 and len(run.stderr.strip().splitlines()) == 1 and "HTTP 403" in run.stderr
    assert pem.splitlines()[1] not in run.stderr and "Traceback" not in run.stderr


class LinkingEcho(FakeWriter):
    """Writes a refreshed part back as it was shown, and marks a sentence with the related post it is offered."""

    def prose(self, prompt: str, keyword: str) -> str:
        if "【いまの本文】" not in prompt:
            return super().prose(prompt, keyword)
        text = prompt.split("【いまの本文】\n", 1)[1].split("\n\nこの記事はすでに", 1)[0].strip()
        offered = re.search(r"^\[(L\d+)\] ", prompt, re.MULTILINE)
        return text + (f"\n\n内部リンクの考え方も合わせて見直します。[{offered.group(1)}]" if offered else "")


def test_a_refresh_may_link_to_a_post_near_the_first_page(genpost, perf_site, tmp_path, llm):
    llm.writer = LinkingEcho()
    post = perf_site / "_posts" / "2026-01-10-email-ai.md"
    lead = "メールからの集客では、SEOの基本と内部リンクの考え方も欠かせません。内部リンクはSEOの基本です。"
    post.write_text(post.read_text(encoding="utf-8").replace("---\n\n", f"---\n\n{lead}", 1), encoding="utf-8")
    draft, record = refresh_email_ai(genpost, perf_site, tmp_path)
    text = draft.read_text(encoding="utf-8")
    assert "{% post_url 2026-02-05-seo-basics %}" in text, "a link to the post at position 12"
    assert [p["name"] for p in record["links"]["placed"]] == ["2026-02-05-seo-basics"]
    offered = [b for b in llm.chat_bodies() if "【サイト内の関連記事】" in json.dumps(b, ensure_ascii=False)]
    assert offered and all("SEOの基本と内部リンクの考え方" in json.dumps(b, ensure_ascii=False) for b in offered)


def test_a_link_idea_never_gives_one_anchor_to_two_targets():
    from pipeline.performance.export import Period
    from pipeline.performance.report import PostLine, link_ideas

    def line(name: str, clicks: float) -> PostLine:
        return PostLine(name, f"title {name}", "c", 0, PostFigures(name, "", "", Period(clicks, 1000, 0.1, 5.0)))

    near = [line("a", 10), line("b", 5)]
    strong = [line("s", 500), *near]
    answers = {"同じ検索": [("a", 0.9), ("b", 0.8)], "別の検索": [("b", 0.9)]}
    ideas = link_ideas(near, strong, {"s": set()}, answers)
    anchors = {(i.target, i.anchor) for i in ideas}
    assert ("a", "同じ検索") in anchors and ("b", "別の検索") in anchors
    assert len({a for _, a in anchors}) == len({t for t, _ in anchors}), "one anchor, one target"
