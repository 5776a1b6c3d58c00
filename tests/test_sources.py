"""Sources: fetching (real httpx against a loopback web server), extraction, passages, the BM25 index, search."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from pipeline.config import SearchSettings, SourceSettings
from pipeline.sources import PassageIndex, gather
from pipeline.sources.fetch import USER_AGENT, Fetcher, Unavailable
from pipeline.sources.index import split_passages, tokens
from pipeline.types import Source
from tests import factories as f

QUICK = SourceSettings(timeout=0.5, attempts=2, budget_s=5)


def fetch(tmp_path: Path, url: str, settings: SourceSettings = QUICK):
    async def run():
        fetcher = Fetcher(settings, tmp_path / "cache")
        try:
            return await fetcher.url(url)
        finally:
            await fetcher.close()

    return asyncio.run(run())


def test_a_page_gives_its_article_not_its_navigation_or_footer(web, tmp_path):
    found, _ = fetch(tmp_path, web.url("survey.html"))
    assert found.title == "生成AI活用実態調査2026" and found.publisher == "Example Research"
    assert "43.7%" in found.text and "1,200社" in found.text
    for chrome in ("会社概要", "ログイン", "Copyright", "プライバシーポリシー", "サイトのヘッダー"):
        assert chrome not in found.text
    assert web.seen[-1] == ("/survey.html", USER_AGENT) and "genpost" in USER_AGENT


def test_a_pdf_gives_its_text_and_title(web, tmp_path):
    found, _ = fetch(tmp_path, web.url("report.pdf"))
    assert found.title == "Marketing Automation Benchmark 2026" and "62.5%" in found.text


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.html", "HTTP 404"),
        ("slow.html", "no answer within 0.5 s"),
        ("huge.html", "larger than"),
        ("logo.png", "not a page, PDF or text"),
    ],
)
def test_what_cannot_be_had_says_why(web, tmp_path, name, reason):
    with pytest.raises(Unavailable, match=reason):
        fetch(tmp_path, web.url(name))


def test_a_slow_page_is_tried_again_within_the_budget(web, tmp_path):
    before = len(web.seen)
    with pytest.raises(Unavailable):
        fetch(tmp_path, web.url("slow.html"))
    assert len(web.seen) - before == 2, "two attempts"


def test_pages_are_cached_with_their_fetch_time_and_hash(web, tmp_path):
    first, fetched = fetch(tmp_path, web.url("survey.html"))
    (entry,) = (tmp_path / "cache").glob("*.json")
    data = json.loads(entry.read_text(encoding="utf-8"))
    assert (
        data["url"] == web.url("survey.html")
        and data["fetched_at"] == fetched.isoformat()
        and len(data["sha256"]) == 64
    )
    before = len(web.seen)
    again, when = fetch(tmp_path, web.url("survey.html"))
    assert len(web.seen) == before and again == first and when == fetched, "from the cache"
    entry.write_text(entry.read_text(encoding="utf-8").replace("43.7", "99.9"), encoding="utf-8")
    fetch(tmp_path, web.url("survey.html"))
    assert len(web.seen) == before + 1, "a damaged entry (its hash no longer fits) is fetched again"


def test_passages_end_at_sentence_ends():
    text = "一文目です。" * 30 + "\n\n" + "Second paragraph. It is English. " * 10
    passages = split_passages(text, 60)
    assert all(p.endswith(("。", ".")) for p in passages)
    assert all(len(p) <= 60 + 20 for p in passages) and "".join(passages).count("一文目です。") == 30


def source(n: int, text: str, title: str = "資料") -> Source:
    return Source(
        id=n, location=f"https://example.com/{n}", title=title, fetched_at=f.brief().date, sha256="0", text=text
    )


def test_bm25_over_japanese_words_ranks_the_relevant_passage_first():
    index = PassageIndex(
        [
            source(1, "メール配信の開封率は件名で大きく変わります。件名に数字を入れると開封率が上がりました。"),
            source(2, "店舗の売上は天候に左右されます。雨の日は来店客が減りました。"),
            source(3, "生成AIをマーケティングで使う企業が増えています。特にメールの文面作成で使われています。"),
        ],
        target_chars=200,
    ).build()
    assert tokens("メールの開封率を上げる") == ["メール", "開封", "率", "上げる"]
    top = index.top("メールの開封率を上げる件名", k=2, budget_chars=1000)
    assert [p.source for p in top] == [1, 3]
    assert index.top("メール", k=3, budget_chars=50) == index.top("メール", k=1, budget_chars=1000), "within budget"
    assert index.top("量子コンピュータ", k=3, budget_chars=1000) == [], "nothing relevant, nothing given"


def test_gather_takes_urls_files_and_folders_and_skips_what_is_dead(web, tmp_path, caplog):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "case.md").write_text(
        "# 社内事例A\n\n導入後の問い合わせ件数は月120件から月180件に増えました。担当者の工数も減っています。", "utf-8"
    )
    (notes / "ignored.csv").write_text("a,b\n1,2\n", "utf-8")
    memo = tmp_path / "memo.txt"
    memo.write_text(
        "会員向けメールの開封率は32%でした。前月より4ポイント高い数字です。件名を短くした効果です。", "utf-8"
    )
    brief = f.brief(sources=[web.url("survey.html"), web.url("missing.html"), str(notes), str(memo)])
    found = asyncio.run(gather(brief, QUICK, tmp_path / "cache"))
    assert [s.title for s in found] == ["生成AI活用実態調査2026", "社内事例A", "memo"]
    assert [s.id for s in found] == [1, 2, 3] and [s.kind for s in found] == ["web", "file", "file"]
    dead = [r.getMessage() for r in caplog.records if "missing.html" in r.getMessage()]
    assert len(dead) == 1 and "HTTP 404" in dead[0] and "skipped" in dead[0]


def test_the_library_and_a_search_are_used_for_every_post(web, searxng, tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    (library / "product.md").write_text(
        "# 製品資料\n\n当社のツールは導入企業の78%で作業時間を短縮しました。設定は30分で終わります。", "utf-8"
    )
    settings = QUICK.model_copy(update={"library": str(library), "search": SearchSettings(url=searxng.root)})
    found = asyncio.run(gather(f.brief(search=True), settings, tmp_path / "cache"))
    assert {s.kind for s in found} == {"library", "search"} and len(found) == 3
    assert (
        searxng.queries[-1]["format"] == "json"
        and searxng.queries[-1]["q"] == "AI マーケティング 最新トレンド 生成AI 活用法"
    )
    auto = asyncio.run(gather(f.brief(), settings, tmp_path / "cache", auto=True))
    assert len(auto) == 3, "--auto searches when sources.search is set"
    plain = asyncio.run(gather(f.brief(), settings, tmp_path / "cache"))
    assert [s.kind for s in plain] == ["library"], "without --search, only the library"


def test_no_sources_means_nothing_is_fetched(tmp_path):
    assert asyncio.run(gather(f.brief(), QUICK, tmp_path / "cache")) == []
