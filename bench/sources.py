"""Sources: the passage index over a large library, and what sources add to the time to a post.

    python bench/sources.py [--passages 10000] [--queries 100] [--runs 3] [--ttft 0.5] [--tps 60]

1. Index: a library of N passages (Japanese, about 300 characters each) is tokenised with
   fugashi and indexed with bm25s; then the queries a post's 16 pieces would make are timed.
2. Time to a post against the latency-model stand-in, without sources and with two web
   sources (served with a delay, so the fetch is visible); the difference should be no more
   than the fetch itself, since the index is built while the outline is asked for.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # standins/ is not installed

from pipeline.cli import main as genpost
from pipeline.sources.index import PassageIndex
from pipeline.types import Source
from standins.fake_writer import sentence
from standins.openai_api import Latency, OpenAIStandIn
from standins.web import WebStandIn


def library(passages: int) -> list[Source]:
    """A library of `passages` passages of about 300 characters (100 to a source)."""
    sources, number = [], 0
    for n in range(0, passages, 100):
        paragraphs = []
        for _ in range(min(100, passages - n)):
            text = ""
            while len(text) < 300:
                text += sentence(number * 7919)
                number += 1
            paragraphs.append(text)
        text = "\n\n".join(paragraphs)
        sources.append(
            Source(
                id=len(sources) + 1,
                location=f"lib/{n}.md",
                title=f"資料{n}",
                fetched_at=datetime.now(UTC),
                sha256="-",
                text=text,
            )
        )
    return sources


def bench_index(passages: int, queries: int) -> None:
    sources = library(passages)
    started = time.perf_counter()
    index = PassageIndex(sources, 300)
    cut = time.perf_counter() - started
    started = time.perf_counter()
    index.build()
    built = time.perf_counter() - started
    asked = [sentence(n * 104_729)[:30] + " マーケティング 顧客" for n in range(queries)]
    times = []
    for query in asked:
        started = time.perf_counter()
        index.top(query, 6, 1800)
        times.append(time.perf_counter() - started)
    print(f"library of {len(index.passages):,} passages ({sum(len(p.text) for p in index.passages):,} characters)")
    print(f"  cutting into passages       {cut:7.2f} s")
    print(f"  tokenising + BM25 index     {built:7.2f} s")
    median, p95 = statistics.median(times) * 1000, sorted(times)[int(queries * 0.95)] * 1000
    print(f"  query, median of {queries:<4}      {median:7.2f} ms  (p95 {p95:.2f} ms)")


def one_post(out: Path, sources: list[str]) -> tuple[float, dict]:
    args = [
        "--instinct",
        "learning",
        "--keywords",
        "AI マーケティング 最新トレンド",
        "--theme",
        "AIマーケティング",
        "--out",
        str(out),
    ]
    if sources:
        args += ["--sources", *sources]
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = genpost(args)
    wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"genpost failed with exit {code}")
    record = json.loads(
        next(p for p in out.glob("*.json") if not p.name.endswith(".review.json")).read_text(encoding="utf-8")
    )
    return wall, record["stage_seconds"]


def bench_post(runs: int, latency: Latency, fetch_delay: float) -> None:
    rows: dict[str, list[tuple[float, dict]]] = {"without": [], "with": []}
    with OpenAIStandIn(latency) as llm, WebStandIn() as web, tempfile.TemporaryDirectory() as tmp:
        os.environ["OPENAI_BASE_URL"] = llm.base_url
        os.environ["OPENAI_API_KEY"] = "bench"
        web.delay_s = fetch_delay
        urls = [web.url("survey.html"), web.url("report.pdf")]
        for n in range(runs):
            rows["without"].append(one_post(Path(tmp) / f"without{n}", []))
            rows["with"].append(one_post(Path(tmp) / f"with{n}", urls))  # a fresh out/: nothing cached

    def med(kind: str, key: str | None = None) -> float:
        return statistics.median(r[0] if key is None else r[1].get(key, 0.0) for r in rows[kind])

    added = med("with") - med("without")
    model = f"ttft {latency.ttft_s} s, {latency.tokens_per_s:g} tokens/s"
    print(f"time to a post ({model}; 2 sources served after {fetch_delay} s; medians of {runs})")
    print(f"  without sources             {med('without'):7.2f} s  (outline call {med('without', 'briefs'):.2f} s)")
    fetch, index, plan = med("with", "sources"), med("with", "index"), med("with", "briefs")
    detail = f"fetch {fetch:.2f} s, index {index:.2f} s beside the outline call {plan:.2f} s"
    print(f"  with sources                {med('with'):7.2f} s  ({detail})")
    print(f"  added                       {added:7.2f} s  (the fetch alone: {med('with', 'sources'):.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ttft", type=float, default=0.5)
    parser.add_argument("--tps", type=float, default=60.0)
    parser.add_argument("--fetch-delay", type=float, default=0.3, help="seconds the web stand-in waits per page")
    args = parser.parse_args()
    bench_index(args.passages, args.queries)
    bench_post(args.runs, Latency(args.ttft, args.tps), args.fetch_delay)


if __name__ == "__main__":
    main()
