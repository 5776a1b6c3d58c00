"""The site's voice: measuring a 50-post site, and a draft's voice figures before and after the profile.

    python bench/voice.py [--posts 50] [--runs 3] [--provider standin|local]

1. A site of N posts of this project's own making (tests/voicesites.py: である, numbered H2s, no body image, no
   CTA, about 2,500 characters a post) is measured with `genpost voice`; prints voice.yml and the time it took
   (medians of --runs).
2. One post is drafted for the site without voice.yml, then with it, against the stand-in (or the embedded model
   with --provider local); prints each draft's voice figures: the share of です・ます sentence endings, the median
   sentence length, the body length, and the voice rules' findings.
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
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fixture sites' builder lives with the tests

from pipeline.cli import main as genpost  # noqa: E402
from pipeline.instincts import load_instincts  # noqa: E402
from pipeline.parse import parse  # noqa: E402
from pipeline.voice.measure import read_doc  # noqa: E402
from pipeline.voice.prose import PLAIN, POLITE  # noqa: E402
from standins.openai_api import OpenAIStandIn  # noqa: E402
from tests.voicesites import Voice, build_site  # noqa: E402

SITE = Voice(polite=False, numbered=True, images=False, sections=8, sentences=(6, 5, 7), rate=400, odd_every=6)
NEWEST = date(2025, 11, 30)
KEYWORDS = ["AI マーケティング 最新トレンド", "生成AI 活用法 マーケティング"]
DATE = "2025-12-15T01:51:06.256Z"


def quiet(*args: str) -> tuple[int, str, str]:
    """genpost in-process, its output kept."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = genpost(list(args))
    return code, out.getvalue(), err.getvalue()


def bench_measure(site: Path, home: Path, runs: int) -> None:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        code, _, err = quiet("voice", "--site", str(site), "--recent", "50", "--force")
        seconds.append(time.perf_counter() - started)
        if code != 0:
            raise SystemExit(f"genpost voice failed: {err.strip()}")
    print((home / "voice.yml").read_text(encoding="utf-8"))
    print(f"genpost voice over the site: {statistics.median(seconds):.2f} s (median of {runs}; {err.strip()})")


def figures(draft: Path) -> dict:
    """A draft's voice figures, read as the voice reads a site's post."""
    reading = read_doc(parse(draft.read_text(encoding="utf-8")), draft.stem, NEWEST, load_instincts())
    polite, plain = reading.styled(POLITE), reading.styled(PLAIN)
    lengths = [s.length for s in reading.sentences]
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    voice = Counter(f["rule"] for f in record["findings"] if f["rule"].startswith(("voice.", "style.mixed")))
    return {
        "polite": polite / (polite + plain) if polite + plain else 0.0,
        "sentence": statistics.median(lengths) if lengths else 0,
        "body": reading.body,
        "findings": ", ".join(f"{rule} ×{n}" for rule, n in sorted(voice.items())) or "none",
        "calls": len(record["calls"]),
    }


def draft(site: Path, out: Path, provider: str) -> tuple[dict, float]:
    started = time.perf_counter()
    extra = ["--provider", "local"] if provider == "local" else []
    code, stdout, err = quiet("--instinct", "learning", "--keywords", *KEYWORDS, "--out", str(out), "--site", str(site),
                              "--date", DATE, *extra)  # fmt: skip
    if code != 0:
        raise SystemExit(f"genpost failed with exit {code}: {err.strip()}")
    return figures(Path(stdout.strip().splitlines()[-1])), time.perf_counter() - started


def bench_drafts(site: Path, home: Path, provider: str) -> None:
    voice = (home / "voice.yml").read_text(encoding="utf-8")
    (home / "voice.yml").unlink()
    before, before_s = draft(site, home / "out-before", provider)
    (home / "voice.yml").write_text(voice, encoding="utf-8")
    after, after_s = draft(site, home / "out-after", provider)
    print(f"\na draft for the site ({'the embedded model' if provider == 'local' else 'the stand-in'})")
    print(f"  {'':20} {'です・ます':>9} {'sentence':>9} {'body':>7} {'calls':>6} {'seconds':>8}  voice findings")
    for name, row, seconds in (("without voice.yml", before, before_s), ("with voice.yml", after, after_s)):
        print(
            f"  {name:20} {row['polite']:9.0%} {row['sentence']:7g}字 {row['body']:6,}字 {row['calls']:6} "
            f"{seconds:7.1f}s  {row['findings']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--provider", choices=["standin", "local"], default="standin")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home, site = Path(tmp) / "home", Path(tmp) / "site"
        home.mkdir()
        (home / "genpost.yml").write_text("", encoding="utf-8")
        os.environ["GENPOST_CONFIG"] = str(home / "genpost.yml")
        built = build_site(site, SITE, args.posts, NEWEST, seed=31)
        print(f"site: {args.posts} posts, body {statistics.median(built.bodies):,.0f} characters (median)\n")
        bench_measure(site, home, args.runs)
        if args.provider == "local":
            bench_drafts(site, home, "local")
            return
        with OpenAIStandIn() as llm:
            os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = llm.base_url, "bench"
            bench_drafts(site, home, "standin")


if __name__ == "__main__":
    main()
