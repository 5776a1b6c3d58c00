"""`make demo`: write one post end to end against the loopback stand-in model.

Until the embedded local model lands, the demo's "model" is the test stand-in:
the post has the real format, but its prose is canned filler.
"""

from __future__ import annotations

import os
import sys

from pipeline.cli import main as genpost
from tests.standins.openai_api import OpenAIStandIn


def main() -> int:
    with OpenAIStandIn() as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "demo-stand-in"
        print("demo: the model is the loopback stand-in (canned Japanese filler), not a real LLM", file=sys.stderr)
        args = sys.argv[1:] or [
            "--instinct",
            "learning",
            "--keywords",
            "AI マーケティング 最新トレンド",
            "生成AI 活用法 マーケティング",
            "--theme",
            "AIマーケティング",
        ]
        return genpost(args)


if __name__ == "__main__":
    raise SystemExit(main())
