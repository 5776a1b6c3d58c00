"""The time to write a brief from the top results: a loopback SearXNG and five pages of a dozen headed
sections each, served with a delay per answer (the network); cold (every page fetched) and warm (the sources
cache), and the analysis alone.

python bench/brief.py [--delay 0.2] [--sections 12] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # standins/ is not installed

from pipeline.briefs.make import make_brief
from pipeline.config import SearchSettings, Settings, SourceSettings
from pipeline.instincts import load_instincts
from standins.web import SearXNGStandIn, WebStandIn

TOPICS = [
    "生成AIでメールの文面を作成する",
    "効果測定のやり方",
    "ツールの比較",
    "社内ルールの決め方",
    "よくある失敗と対策",
    "件名の書き方",
    "配信のタイミング",
    "セグメント配信",
    "ABテスト",
    "開封率を上げる工夫",
    "個人情報の扱い",
    "生成AIとは？",
]


def page(n: int, sections: int) -> bytes:
    body = "".join(
        f"<h2>{html.escape(TOPICS[(n + k) % len(TOPICS)])}</h2>"
        + "<p>"
        + "生成AIを使ったメール作成では、目的と相手をはっきりさせることが大切です。" * 6
        + "</p>"
        for k in range(sections)
    )
    return f"<html><head><title>記事{n}</title></head><body><main><h1>記事{n}</h1>{body}</main></body></html>".encode()


async def one(settings: Settings, out: Path) -> float:
    instincts = load_instincts()
    started = time.perf_counter()
    await make_brief(
        ["生成AI メール作成"], instincts, "learning", "howTo", None, settings, None, out, datetime.now(UTC)
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each answer of the web waits")
    parser.add_argument("--sections", type=int, default=12, help="headed sections per page")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind")
    args = parser.parse_args()
    with WebStandIn() as web, tempfile.TemporaryDirectory() as tmp:
        web.delay_s = args.delay
        for n in range(5):
            web.documents[f"/bench/{n}.html"] = ("text/html; charset=utf-8", page(n, args.sections))
        results = [(web.url(f"bench/{n}.html"), f"記事{n}", "") for n in range(5)]
        with SearXNGStandIn(results) as engine:
            search = SearchSettings(url=engine.root, results=5)
            cold = Settings(sources=SourceSettings(search=search, cache_hours=0))
            warm = Settings(sources=SourceSettings(search=search, cache_hours=168))
            colds = [asyncio.run(one(cold, Path(tmp) / f"cold{n}")) for n in range(args.runs)]
            asyncio.run(one(warm, Path(tmp) / "warm"))  # fills the cache
            warms = [asyncio.run(one(warm, Path(tmp) / "warm")) for _ in range(args.runs)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"brief from 5 results x {args.sections} sections, {args.delay:.2f} s per answer, {args.runs} runs each")
    print(f"  cold (fetched):  median {statistics.median(colds):.2f} s  (min {min(colds):.2f}, max {max(colds):.2f})")
    print(f"  warm (cached):   median {statistics.median(warms):.2f} s  (min {min(warms):.2f}, max {max(warms):.2f})")
    print(f"  peak memory:     {peak:.0f} MB")


if __name__ == "__main__":
    main()
