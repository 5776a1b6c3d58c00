"""genpost batch: consecutive calendar days, keyword-set files, one shared call cap, the budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.batch import Budget
from pipeline.config import BudgetSettings, LLMSettings, Price, Settings
from pipeline.schedule import load_calendar
from standins.openai_api import Latency
from tests.conftest import CALLS_PER_POST
from tests.postparse import parse_post

CALENDAR = load_calendar()


def test_batch_count_writes_consecutive_days(llm, genpost, tmp_path):
    out = tmp_path / "out"
    run = genpost("batch", "--count", "7", "--date", "2025-12-15", "--out", str(out))
    assert run.code == 0, run.stderr
    paths = [Path(line) for line in run.stdout.split()]
    assert len(paths) == 7 and all(p.exists() for p in paths)
    themes = {parse_post(p).front["categories"][0] for p in paths}
    assert themes == {d.theme for d in CALENDAR.days.values()}
    keywords = [parse_post(p).front["seo_keywords"][0] for p in paths]
    assert len(set(keywords)) == 7
    assert run.stderr.count("UNSPLASH_ACCESS_KEY") == 1, "a notice every post would repeat is shown once"
    assert run.stderr.splitlines()[-1].startswith("batch: 7 post(s) written;") and "tokens, $" in run.stderr


def test_batch_shares_one_call_cap(llm, genpost, tmp_path, monkeypatch):
    config = tmp_path / "genpost.yml"
    config.write_text("llm:\n  concurrency: 8\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    # Each answer takes long enough for the four posts' calls to pile up at the cap even on a busy machine
    # (with 20 ms answers, a loaded CI machine once peaked at 7).
    llm.latency = Latency(ttft_s=0.25, tokens_per_s=20000)
    run = genpost("batch", "--count", "4", "--date", "2025-12-15", "--out", str(tmp_path / "out"))
    assert run.code == 0 and llm.max_in_flight == 8


def test_batch_from_a_file(llm, genpost, tmp_path):
    sets = tmp_path / "sets.yml"
    sets.write_text(
        "- {instinct: play, keywords: [ゲーム化 マーケティング], theme: 実践テクニック,"
        " date: 2025-12-20T09:00:00+09:00}\n"
        "- {instinct: survival, keywords: [リスク管理 AI], structure: comparison}\n",
        encoding="utf-8",
    )
    run = genpost("batch", "--file", str(sets), "--out", str(tmp_path / "out"), "--json")
    summary = json.loads(run.last_line)
    assert run.code == 0 and len(summary["written"]) == 2 and summary["tokens"] > 0
    first = parse_post(Path(summary["written"][0]))
    assert first.front["instinct"] in ("play", "survival")


def test_a_bad_batch_file_is_named(llm, genpost, tmp_path):
    sets = tmp_path / "sets.yml"
    sets.write_text("- {instinct: play}\n", encoding="utf-8")
    run = genpost("batch", "--file", str(sets), "--out", str(tmp_path))
    assert run.code == 2 and "sets.yml:1" in run.stderr
    assert genpost("batch", "--out", str(tmp_path)).code == 2


def test_the_budget_stops_before_a_post_that_would_pass_it(llm, genpost, tmp_path, monkeypatch):
    probe = genpost("--instinct", "play", "--keywords", "予算 テスト", "--out", str(tmp_path / "probe"), "--json")
    per_post = json.loads(probe.last_line)["totals"]
    tokens = per_post["prompt_tokens"] + per_post["completion_tokens"]
    config = tmp_path / "genpost.yml"
    # Room for two posts and a half: the third would pass the budget, so it is never started.
    config.write_text(
        f"budget:\n  max_tokens: {int(tokens * 2.5)}\n  tokens_per_post_estimate: {tokens}\nllm:\n  concurrency: 4\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    llm.reset()
    run = genpost("batch", "--count", "5", "--date", "2025-12-15", "--out", str(tmp_path / "out"), "--json")
    summary = json.loads(run.last_line)
    assert run.code == 0 and len(summary["written"]) == 2 and len(summary["skipped"]) == 3
    assert summary["tokens"] <= int(tokens * 2.5)
    assert len(llm.chat_bodies()) == 2 * CALLS_PER_POST, "no call was made for a post that was not started"


@pytest.mark.parametrize(
    ("limits", "spent", "finished", "in_flight", "fits"),
    [
        ({}, (10**9, 10.0), 3, 10, True),  # no limits: everything fits
        ({"max_tokens": 100_000}, (0, 0.0), 0, 2, True),  # 3 × the 30,000 estimate
        ({"max_tokens": 100_000}, (0, 0.0), 0, 3, False),  # 4 × 30,000 passes it
        ({"max_tokens": 100_000}, (60_000, 0.0), 3, 1, True),  # finished posts average 20,000
        ({"max_tokens": 100_000}, (60_000, 0.0), 3, 2, False),
        ({"max_cost_usd": 0.01}, (0, 0.0), 0, 0, True),  # one post priced from the estimate: $0.0079
        ({"max_cost_usd": 0.01}, (0, 0.0), 0, 1, False),
        ({"max_cost_usd": 0.01}, (40_000, 0.008), 2, 0, False),  # spent 0.008 + a post at the 0.004 average
        ({"max_cost_usd": 0.013}, (40_000, 0.008), 2, 0, True),
    ],
)
def test_the_budget_counts_what_is_in_flight(limits, spent, finished, in_flight, fits):
    prices = {"gpt-4o-mini": Price(input=0.15, output=0.60)}
    settings = Settings(budget=BudgetSettings(**limits), llm=LLMSettings(prices=prices))
    budget = Budget(settings)
    budget.tokens, budget.cost, budget.finished = spent[0], spent[1], finished
    assert budget.fits(in_flight) is fits


def test_batch_progress_bar_on_a_terminal(llm, genpost, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    run = genpost("batch", "--count", "2", "--date", "2025-12-15", "--out", str(tmp_path))
    assert run.code == 0
    frames = run.stderr.split("\r")
    assert "[############------------] 1/2 posts" in frames[-2] and "2/2 posts" in frames[-1]
    assert " tokens, $" in frames[-1] and run.stderr.strip().splitlines()[-1].startswith("batch: 2 post(s) written")
