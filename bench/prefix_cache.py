"""What reusing the shared prompt prefix saves the embedded model: seconds to the first token, per call.

    python bench/prefix_cache.py [--sections 6]

Continues one growing document section by section (as drafting by continuation does) twice:
once as llama.cpp runs it (it keeps the key-value cache of the prefix it shares with the last
call), once reading every prompt from its start. Prints each call's prompt tokens and time to
its first token, and the totals.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from pipeline.config import load_settings
from pipeline.llm.local_provider import LocalProvider
from pipeline.llm.provider import ChatRequest

HEADINGS = ["学習本能の心理学的背景", "最新トレンドの全体像", "なぜ今重要なのか", "実践の準備", "測定と改善", "失敗例"]
OPENING = "# 2026年版AIマーケティング最新トレンド5選\n\nAIマーケティングの最新トレンドを、学習本能から整理します。\n\n"


def run(provider: LocalProvider, sections: int, reuse: bool) -> list[tuple[int, float]]:
    document = OPENING
    timings = []
    for heading in HEADINGS[:sections]:
        document += f"## {heading}\n\n"
        if not reuse:
            provider.llm.reset()
            provider.llm._ctx.kv_cache_clear()
        request = ChatRequest(
            model="local", messages=[], max_tokens=200, temperature=0.5, timeout=120, document=document, stop_after=120
        )
        result = provider._chat(request)
        timings.append((result.prompt_tokens, result.ttft_s or 0.0))
        document += result.text.strip() + "\n\n"
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=6)
    args = parser.parse_args()
    provider = LocalProvider(load_settings().llm.local)
    try:
        started = time.perf_counter()
        run(provider, 1, reuse=False)  # load and warm up
        print(f"warm-up: {time.perf_counter() - started:.1f} s")
        for reuse in (False, True):
            timings = run(provider, args.sections, reuse)
            label = "prefix reused" if reuse else "read from the start"
            calls = ", ".join(f"{tokens} tok {seconds:.2f} s" for tokens, seconds in timings)
            print(f"{label:20s} total {sum(s for _, s in timings):6.2f} s to first tokens: {calls}")
    finally:
        asyncio.run(provider.close())


if __name__ == "__main__":
    main()
