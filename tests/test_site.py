"""Related posts come from the site's _posts by topic, and always exist."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.review.drafts import draft_path, list_drafts
from pipeline.site.links import read_page
from pipeline.site.posts import POST_NAME, load_posts, name_day, related_posts, topic_score
from tests.conftest import SITE_POSTS
from tests.postparse import parse_post

WORDS = ["AI マーケティング 最新トレンド", "生成AI 活用法 マーケティング", "AIマーケティング"]
TITLE = "2025年版AIマーケティング最新トレンド5選"


def test_loads_every_post_with_its_jekyll_name(site):
    posts = load_posts(site)
    assert {p.name for p in posts} == {Path(n).stem for n in SITE_POSTS}
    assert posts[0].name.startswith("2025-12-15"), "newest first"


def test_related_by_topic_not_by_date(site):
    chosen = related_posts(load_posts(site), TITLE, WORDS, count=3, min_score=0.08)
    names = [r.name for r in chosen]
    assert len(names) == 3
    assert not any("キャンプ" in n or "ラーメン" in n for n in names), "the newest post is off-topic"
    assert names[0] in {Path(n).stem for n in SITE_POSTS}
    assert [r.score for r in chosen] == sorted((r.score for r in chosen), reverse=True)


def test_unrelated_posts_score_low(site):
    posts = {p.name: p for p in load_posts(site)}
    camp = next(p for n, p in posts.items() if "キャンプ" in n)
    tools = next(p for n, p in posts.items() if "ツール比較" in n)
    assert topic_score(TITLE, WORDS, camp) < 0.08 < topic_score(TITLE, WORDS, tools)


def test_nothing_related_gives_nothing(site):
    assert related_posts(load_posts(site), "量子コンピュータ入門", ["量子"], count=3, min_score=0.08) == []


def test_skips_files_that_are_not_posts(site):
    (site / "_posts" / "README.md").write_text("not a post", encoding="utf-8")
    (site / "_posts" / "2025-01-01-broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    names = {p.name for p in load_posts(site)}
    assert "README" not in names and "2025-01-01-broken" not in names


def test_post_links_name_existing_posts(llm, genpost, site, tmp_path):
    run = genpost(
        "--instinct",
        "learning",
        "--keywords",
        *WORDS[:2],
        "--site",
        str(site),
        "--out",
        str(tmp_path),
        "--theme",
        "AIマーケティング",
        "--date",
        "2025-12-16T00:00:00Z",
    )
    assert run.code == 0, run.stderr
    body = parse_post(Path(run.last_line)).body
    linked = [line.split("post_url ")[1].split(" %}")[0] for line in body.splitlines() if "post_url" in line]
    assert 1 <= len(linked) <= 3
    assert all((site / "_posts" / f"{name}.md").exists() for name in linked)
    assert "キャンプ" not in "".join(linked)


def test_missing_posts_dir_is_bad_usage(llm, genpost, tmp_path):
    run = genpost("--instinct", "learning", "--keywords", "x", "--site", str(tmp_path), "--out", str(tmp_path))
    assert run.code == 2 and "_posts" in run.stderr


def test_a_one_digit_month_or_day_is_a_post_as_jekyll_reads_it(tmp_path):
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2025-1-5-new-year.md").write_text('---\ntitle: "年始の計画"\n---\n本文\n', encoding="utf-8")
    (posts / "2025-02-30-no-such-day.md").write_text('---\ntitle: "ない日"\n---\n本文\n', encoding="utf-8")
    loaded = load_posts(tmp_path)
    assert [(p.name, p.day) for p in loaded] == [("2025-1-5-new-year", date(2025, 1, 5))]
    assert read_page(posts / "2025-1-5-new-year.md").day == date(2025, 1, 5)
    assert name_day("2025-12-15-slug.md") == date(2025, 12, 15) and name_day("slug.md") is None
    # A refresh draft keeps the post's name: the review app opens it and the list dates it.
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(posts / "2025-1-5-new-year.md", out)
    assert draft_path(out, "2025-1-5-new-year.md") == out / "2025-1-5-new-year.md"
    assert [d.date for d in list_drafts(out)] == ["2025-01-05"]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
        st.from_regex(r"\d{4}-\d{1,2}-\d{1,2}-[^/\x00]{0,20}", fullmatch=True),  # 2025-13-40-… too
    )
)
def test_any_file_name_gives_a_date_or_none(name):
    day = name_day(name)
    assert day is None or (isinstance(day, date) and name.startswith(f"{day.year:04d}-"))
    assert name_day(f"{name}.md") is None or POST_NAME.match(f"{name}.md")
