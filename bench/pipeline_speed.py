"""Time to a post: genpost's concurrent drafting against the origin's two sequential calls.

Both run against the loopback OpenAI stand-in with the same latency model
(time to first token + tokens per second; the stand-in counts a character as a
token), so the comparison is of shapes, not of servers. Prints figures only.

    python bench/pipeline_speed.py [--ttft 0.5] [--tps 60] [--runs 3]

Each run writes the post twice, without and with the polish pass, and prints the
critical path: which call gated which.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from openai import AsyncOpenAI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # standins/ is not installed

from pipeline.cli import main as genpost
from standins.openai_api import Latency, OpenAIStandIn

# The origin's two prompts, reduced to what drives timing: how much text is asked for.
ORIGIN_TITLE = "ブログ記事のタイトルを1つ、約40字で書いてください。"
ORIGIN_BODY = "ブログ記事の本文を、見出しを含めて約{chars}字で書いてください。"


def union_seconds(spans: list[tuple[float, float]]) -> float:
    """Time during which at least one span was open."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def run_genpost(out: Path, *extra: str) -> tuple[float, dict]:
    started = time.perf_counter()
    args = [
        "--instinct",
        "learning",
        "--keywords",
        "AI マーケティング 最新トレンド",
        "生成AI 活用法",
        "--theme",
        "AIマーケティング",
        "--out",
        str(out),
        *extra,
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        code = genpost(args)
    wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"genpost failed with exit {code}")
    records = [p for p in out.glob("*.json") if not p.name.endswith(".review.json")]  # not the review state
    record = json.loads(max(records, key=lambda p: p.stat().st_mtime).read_text(encoding="utf-8"))
    return wall, record


def critical_path(calls: list[dict]) -> str:
    """Which call gated which: from the last call to end, back through the call each one waited for
    (the latest to end before it started, or the streamed call it started from)."""

    def end(c: dict) -> float:
        return c["started_s"] + c["duration_s"]

    outline = next(c for c in calls if c["part"] == "outline")
    chain = [max(calls, key=end)]
    while True:
        current = chain[-1]
        if current["stage"] == "draft" and current["started_s"] < end(outline):
            chain.append(outline)  # it started as its brief streamed in
            break
        earlier = [c for c in calls if end(c) <= current["started_s"] + 0.001]
        if not earlier:
            break
        chain.append(max(earlier, key=end))
    steps = []
    for before, after in zip(chain[::-1], chain[-2::-1], strict=False):
        how = "streamed its brief to" if end(before) > after["started_s"] else "then"
        steps.append(f"{before['part']} {before['started_s']:.1f}–{end(before):.1f} s, {how}")
    last = chain[0]
    return " ".join(steps) + f" {last['part']} {last['started_s']:.1f}–{end(last):.1f} s"


async def run_origin(base_url: str, body_chars: int) -> float:
    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    started = time.perf_counter()
    for prompt in (ORIGIN_TITLE, ORIGIN_BODY.format(chars=body_chars)):
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}], max_tokens=body_chars * 2
        )
    await client.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ttft", type=float, default=0.5, help="seconds to first token")
    parser.add_argument("--tps", type=float, default=60.0, help="tokens per second per call")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    modes = {"without polish": ("--no-polish",), "with polish": ("--polish",)}
    rows: dict[str, list[dict]] = {mode: [] for mode in modes}
    paths: dict[str, str] = {}
    with OpenAIStandIn(Latency(args.ttft, args.tps)) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "bench"
        for n in range(args.runs):
            for mode, extra in modes.items():
                wall, record = run_genpost(Path(tmp) / f"{mode}-{n}", *extra)
                calls = record["calls"]
                spans = [(c["started_s"], c["started_s"] + c["duration_s"]) for c in calls]
                span = max(e for _, e in spans) - min(s for s, _ in spans)
                busy = union_seconds(spans)
                draft_tokens = sum(c["completion_tokens"] for c in calls if c["stage"] == "draft")
                origin = asyncio.run(run_origin(server.base_url, draft_tokens))
                stages = record["stage_seconds"]
                rows[mode].append(
                    {
                        "wall": wall,
                        "parallelism": sum(c["duration_s"] for c in calls) / busy,
                        "idle": 1 - busy / span,
                        "origin": origin,
                        "ratio": wall / origin,
                        "calls": len(calls),
                        "briefs_s": stages.get("briefs", 0.0),
                        "metadata_s": stages.get("metadata", 0.0),
                        "draft_s": stages["draft"],
                        "polish_s": stages.get("polish", 0.0),
                        "draft_tokens": draft_tokens,
                        "longest_call": max(c["duration_s"] for c in calls if c["stage"] == "draft"),
                        "applied": sum(e["applied"] for e in record["polish"]),
                    }
                )
                paths[mode] = critical_path(calls)

    print(f"latency model: ttft {args.ttft}s, {args.tps:g} tokens/s; {args.runs} runs; medians")
    targets = {"without polish": 0.22, "with polish": 0.30}
    for mode, found in rows.items():

        def med(key: str, found: list[dict] = found) -> float:
            return statistics.median(r[key] for r in found)

        print(f"\n{mode}")
        print(
            f"  genpost time to a post    {med('wall'):7.2f} s  (outline {med('briefs_s'):.2f} s, metadata beside it "
            f"{med('metadata_s'):.2f} s, drafting {med('draft_s'):.2f} s, polish {med('polish_s'):.2f} s; "
            f"{med('calls'):.0f} calls)"
        )
        print(f"  origin plan (title, body) {med('origin'):7.2f} s  (same {med('draft_tokens'):.0f} tokens of body)")
        print(f"  ratio genpost / origin    {med('ratio'):7.3f}    (target <= {targets[mode]:.2f})")
        print(f"  LLM-span parallelism      {med('parallelism'):7.2f}    (target >= 3)")
        print(f"  idle share of LLM span    {med('idle') * 100:6.1f} %   (target <= 10 %)")
        print(f"  longest drafting call     {med('longest_call'):7.2f} s")
        if mode == "with polish":
            print(f"  polish edits applied      {med('applied'):7.0f}")
        print(f"  critical path (last run): {paths[mode]}")


if __name__ == "__main__":
    main()
