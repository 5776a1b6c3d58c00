"""Scheduled runs: the calendar's day, keyword rotation, years in keywords, --auto once a day under a lock."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.errors import GenpostError
from pipeline.memory import TopicMemory, Written
from pipeline.schedule import WEEKDAYS, choose_keyword, day_brief, load_calendar, local_day
from pipeline.text import years_in
from pipeline.writing.planner import title_similarity
from standins.openai_api import Latency
from tests.conftest import PLANTED_KEY, ROOT
from tests.postparse import parse_post

SETTINGS = load_settings()
CALENDAR = load_calendar()


def test_the_day_is_taken_in_tokyo_not_utc():
    sunday_night_utc = datetime(2025, 12, 14, 23, 30, tzinfo=UTC)  # a Sunday in UTC
    assert sunday_night_utc.weekday() == 6
    assert local_day(sunday_night_utc, SETTINGS) == date(2025, 12, 15)  # Monday in Tokyo
    brief = day_brief(sunday_night_utc, CALENDAR, [], SETTINGS, None)
    assert brief.theme == "AIマーケティング" and brief.instinct == "learning" and brief.structure == "howTo"
    assert brief.primary_keyword in CALENDAR.days["monday"].keywords


def test_shipped_calendar_is_the_reference_table():
    assert CALENDAR.days["wednesday"].theme == "成功事例" and CALENDAR.days["wednesday"].structure == "caseStudy"
    assert CALENDAR.days["friday"].instinct == "survival"
    assert CALENDAR.campaigns[12].keywords == ["年間振り返り 成果", "来年トレンド 予測"]
    assert CALENDAR.campaigns[11].name == "来年度計画の準備"


def test_keywords_rotate_without_reuse_within_30_days_over_eight_weeks():
    written: list[Written] = []
    first = date(2026, 1, 5)
    for offset in range(56):
        day = first + timedelta(days=offset)
        keyword, _ = choose_keyword(day, CALENDAR, written, 30)
        written.append(Written(day, keyword, ""))
    for a in written:
        for b in written:
            if a is not b and a.primary_keyword == b.primary_keyword:
                assert abs((a.day - b.day).days) >= 30, (a, b)
    mondays = [w.primary_keyword for w in written if w.day.weekday() == 0]
    assert len(set(mondays[:4])) == 4, "each Monday takes a different theme keyword"


def test_campaign_keywords_are_used_when_the_theme_is_spent():
    day = date(2025, 12, 15)
    theme = CALENDAR.days["monday"].keywords
    spent = [Written(day - timedelta(days=7 * (i + 1)), k, "") for i, k in enumerate(theme)]
    keyword, source = choose_keyword(day, CALENDAR, spent, 30)
    assert source == "campaign" and keyword in CALENDAR.campaigns[12].keywords


def test_an_exhausted_calendar_is_a_clear_error():
    day = date(2025, 12, 15)
    every = [k for d in WEEKDAYS for k in CALENDAR.days[d].keywords] + CALENDAR.campaigns[12].keywords
    with pytest.raises(GenpostError, match=r"calendar\.yml"):
        choose_keyword(day, CALENDAR, [Written(day, k, "") for k in every], 30)


def test_memory_counts_the_sites_posts(tmp_path, site):
    memory = TopicMemory(tmp_path / "memory.sqlite", site)
    memory.remember(date(2025, 12, 1), "kw", "タイトル", "learning", "x", "auto", "d.md", [])
    written = memory.written()
    assert len(written) == 1 + len(list((site / "_posts").iterdir()))
    assert (
        Written(
            date(2025, 12, 14),
            "マーケティング戦略 AI時代",
            "2025年版：AI時代を生き抜く！マーケティング戦略立案「5つの生存術」",
        )
        in written
    )
    assert memory.auto_post_on(date(2025, 12, 1)) == "d.md"


def test_title_similarity_ignores_the_shared_keyword():
    words = ["AI", "マーケティング"]
    assert (
        title_similarity("2025年版AIマーケティングの実践ガイド5選", "2026年版AIマーケティングの実践ガイド3選", words)
        == 1
    )
    assert title_similarity("AIマーケティングの実践ガイド", "AIマーケティングで失敗しない3つの理由", words) < 0.3
    other_topic = "2026年版美容業界AI活用完全ガイドを深掘りする3つの視点"
    assert title_similarity("2026年版不動産業界デジタル変革を深掘りする3つの視点", other_topic, ["不動産業界"]) < 0.6


def test_a_similar_site_title_is_replanned(llm, genpost, tmp_path, site):
    (site / "_posts" / "2025-12-01-x.md").write_text(
        '---\ntitle: "2026年版ゲーム化マーケティングの実践ガイド5選"\n---\n本文\n', encoding="utf-8"
    )
    run = genpost(
        "--instinct", "play", "--keywords", "ゲーム化 マーケティング", "--site", str(site), "--out", str(tmp_path)
    )
    assert run.code == 0, run.stderr
    assert parse_post(Path(run.last_line)).front["title"] != "2026年版ゲーム化マーケティングの実践ガイド5選"
    assert any("似すぎています" in b["messages"][-1]["content"] for b in llm.chat_bodies())


# --- years in keywords ----------------------------------------------------------------------


def test_a_december_forecast_names_the_next_year():
    brief = day_brief(datetime(2026, 12, 18, 9, tzinfo=SETTINGS.site.zone), CALENDAR, [], SETTINGS, None)
    assert brief.primary_keyword == "マーケティングトレンド 2027 予測"
    assert "{" not in "".join(brief.keywords)


def test_the_year_placeholder_follows_the_post_across_new_year():
    spent = [k for k in CALENDAR.days["monday"].keywords if "{year}" not in k]
    written = [Written(date(2026, 12, 1), k, "") for k in spent]
    december, _ = choose_keyword(date(2026, 12, 28), CALENDAR, written, 30)
    assert december == "AI ツール 比較 2026"
    written.append(Written(date(2026, 12, 28), december, ""))
    january, _ = choose_keyword(date(2027, 1, 4), CALENDAR, written, 30)
    assert "比較" not in january, "the same keyword with next year's number is the same topic"


def test_memory_across_years_keeps_the_30_day_rule(tmp_path):
    memory = TopicMemory(tmp_path / "memory.sqlite")
    memory.remember(date(2025, 12, 18), "SEO対策 AI活用 2025", "t", "learning", "x", "auto", "d.md", [])
    keyword, _ = choose_keyword(date(2026, 1, 1), CALENDAR, memory.written(), 30)
    assert "SEO対策" not in keyword
    for other in CALENDAR.days["thursday"].keywords[1:]:
        memory.remember(date(2026, 1, 20), other, "t", "learning", "x", "auto", "d.md", [])
    later, _ = choose_keyword(date(2026, 2, 5), CALENDAR, memory.written(), 30)
    assert later == "SEO対策 AI活用 2026", "after the gap the topic returns, with the new year"


def test_the_shipped_calendar_never_names_a_past_year():
    written: list[Written] = []
    for offset in range(60):
        moment = datetime(2026, 11, 23, 9, tzinfo=SETTINGS.site.zone) + timedelta(days=offset)
        brief = day_brief(moment, CALENDAR, written, SETTINGS, None)
        year = moment.year
        assert all(y >= year for k in brief.keywords for y in years_in(k)), brief.keywords
        written.append(Written(moment.date(), brief.primary_keyword, ""))


def test_a_calendar_keyword_with_a_past_year_is_never_chosen():
    calendar = CALENDAR.model_copy(deep=True)
    calendar.days["monday"].keywords = ["AI ツール 比較 2024", "AI ツール 比較 {year}"]
    keyword, source = choose_keyword(date(2026, 12, 28), calendar, [], 30)
    assert keyword == "AI ツール 比較 2026" and source == "theme"


def test_a_typed_past_year_is_kept_with_a_notice(llm, genpost, tmp_path):
    run = genpost(
        "--instinct", "learning", "--keywords", "AI ツール 比較 2025", "--date", "2026-11-25T09:00:00+09:00",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert run.code == 0, run.stderr
    notices = [line for line in run.stderr.splitlines() if "2025" in line]
    assert len(notices) == 1 and "before the post's year 2026" in notices[0] and "kept as written" in notices[0]
    assert parse_post(Path(run.last_line)).front["seo_keywords"] == ["AI ツール 比較 2025"]
    check = genpost("check", run.last_line)
    assert "警告 [numbers.stale-year]" in check.stdout


# --- genpost --auto -----------------------------------------------------------------------


def test_auto_writes_the_days_post_once(llm, genpost, tmp_path):
    out = tmp_path / "out"
    first = genpost("--auto", "--date", "2025-12-14T23:30:00Z", "--out", str(out))
    assert first.code == 0, first.stderr
    post = parse_post(Path(first.last_line))
    assert post.front["categories"] == ["AIマーケティング"] and post.front["instinct"] == "learning"
    assert post.front["seo_keywords"][0] in CALENDAR.days["monday"].keywords
    assert "2025-12-15: wrote 「" in first.stderr, "one summary line for cron mail"

    again = genpost("--auto", "--date", "2025-12-15T08:00:00+09:00", "--out", str(out))
    assert again.code == 0 and "a post exists" in again.stdout
    assert len(list(out.glob("*.md"))) == 1

    forced = genpost("--auto", "--date", "2025-12-15T08:00:00+09:00", "--out", str(out), "--force")
    assert forced.code == 0 and len(list(out.glob("*.md"))) == 2
    keywords = [parse_post(p).front["seo_keywords"][0] for p in out.glob("*.md")]
    assert len(set(keywords)) == 2, "the forced post takes the next unused keyword"


def test_auto_rejects_manual_topics(llm, genpost, tmp_path):
    run = genpost("--auto", "--instinct", "play", "--out", str(tmp_path))
    assert run.code == 2 and "calendar.yml" in run.stderr
    assert genpost("--keywords", "x", "--out", str(tmp_path)).code == 2, "--instinct is needed without --auto"


def test_auto_over_two_weeks_never_repeats_a_keyword(llm, genpost, tmp_path):
    out = tmp_path / "out"
    keywords = []
    for offset in range(14):
        day = date(2026, 1, 5) + timedelta(days=offset)
        run = genpost("--auto", "--date", f"{day}T09:00:00+09:00", "--out", str(out))
        assert run.code == 0, run.stderr
        keywords.append(parse_post(Path(run.last_line)).front["seo_keywords"][0])
    assert len(set(keywords)) == 14


def test_overlapping_auto_runs_write_exactly_one_post(llm, tmp_path):
    llm.latency = Latency(ttft_s=0.05, tokens_per_s=5000)
    out = tmp_path / "out"
    env = {**os.environ, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": PLANTED_KEY}
    args = [sys.executable, "-m", "pipeline", "--auto", "--date", "2025-12-16T09:00:00+09:00", "--out", str(out)]
    procs = [
        subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1] for r in results]
    assert len(list(out.glob("*.md"))) == 1
    assert sum("a post exists" in stdout for stdout, _ in results) == 1, "the loser waited, then found the post"
    names = [b.get("response_format", {}).get("json_schema", {}).get("name") for b in llm.chat_bodies()]
    assert names.count("briefs") == names.count("metadata") == 1, "one post was planned"
