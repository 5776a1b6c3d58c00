"""A batch of posts against the loopback stand-in: seconds per post, without and with latency.

python bench/batch_speed.py [--posts 20] [--ttft 0.5] [--tps 60]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # standins/ is not installed

from pipeline.cli import main as genpost
from standins.openai_api import Latency, OpenAIStandIn


def run_batch(posts: int, latency: Latency) -> dict:
    with OpenAIStandIn(latency) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "bench"
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = genpost(["batch", "--count", str(posts), "--date", "2026-01-05", "--out", tmp, "--json"])
        wall = time.perf_counter() - started
        if code != 0:
            raise SystemExit(f"batch failed with exit {code}")
        summary = json.loads(out.getvalue().strip().splitlines()[-1])
        return {
            "wall": wall,
            "posts": len(summary["written"]),
            "calls": len(server.chat_bodies()),
            "peak": server.max_in_flight,
            "tokens": summary["tokens"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--ttft", type=float, default=0.5)
    parser.add_argument("--tps", type=float, default=60.0)
    args = parser.parse_args()
    for label, latency in (
        ("zero latency", Latency()),
        (f"ttft {args.ttft}s, {args.tps:g} tok/s", Latency(args.ttft, args.tps)),
    ):
        r = run_batch(args.posts, latency)
        print(
            f"{label:28} {r['posts']} posts in {r['wall']:6.2f} s = {r['wall'] / r['posts']:5.3f} s/post"
            f"  ({r['calls']} calls, peak {r['peak']} in flight, {r['tokens']:,} tokens)"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (this process, stand-in included): {peak_mb:.0f} MB; target for zero latency: <= 0.3 s/post")


if __name__ == "__main__":
    main()
