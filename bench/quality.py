"""What a reader would get: the quality of N written drafts, per post and as medians.

    python bench/quality.py [--posts 3] [--model qwen2.5-coder-1.5b] [--chat] [--no-prefix-cache] [--keep DIR]

Runs genpost end to end with the configured provider: the embedded model by default
(no key), or any OpenAI-compatible server when OPENAI_API_KEY or OPENAI_BASE_URL is set.
Each post takes another instinct and structure. Figures are read from the written draft
and its run record:

- body characters, and whether they are within `lengths.body`;
- gate errors and warnings, by rule;
- lines cut because they copied a prompt; copied runs, Chinese, garbage and empty step fields left in the
  draft; foreign ideographs; repeated sentences;
- redraft rounds and seconds; the seconds the model spent reading prompts (time to its first token, summed);
- an independent measure: textlint with textlint-rule-preset-ja-technical-writing, problems per 1,000
  characters (when node and that npm package are installed: `npm install --prefix ~/.cache/genpost-textlint
  textlint textlint-rule-preset-ja-technical-writing`).

`--chat` drafts the embedded model's way before continuation (written instructions, `llm.local.continuation:
false`), to compare; `--no-prefix-cache` makes llama.cpp read every prompt from its start, to measure what
reusing the shared prefix saves.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from pipeline.cli import main as genpost
from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.japanese import foreign_characters
from pipeline.llm.choice import fit_to_model
from pipeline.parse import parse
from pipeline.paths import resource
from pipeline.quality import check_text

TEXTLINT = Path.home() / ".cache" / "genpost-textlint"
COPIED = ("integrity.copied-instruction", "integrity.copied-run")
CHINESE = ("script.chinese-pattern", "script.chinese-punctuation", "script.foreign-character")
POSTS = [
    ("learning", "AI マーケティング 最新トレンド", "howTo", "AIマーケティング"),
    ("hierarchy", "購買行動 心理学 分析", "problemSolution", "消費者心理"),
    ("territorial", "CVR改善 成功事例 EC", "caseStudy", "成功事例"),
    ("survival", "AI技術 最新動向 ビジネス", "comparison", "トレンド分析"),
    ("nurturing", "社員教育 AI活用", "problemSolution", "業界別ガイド"),
]


def write_post(n: int, out: Path, config: Path | None) -> tuple[Path, float]:
    instinct, keyword, structure, theme = POSTS[n % len(POSTS)]
    if config:
        os.environ["GENPOST_CONFIG"] = str(config)
    args = ["--instinct", instinct, "--keywords", keyword, "--structure", structure, "--theme", theme]
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        code = genpost([*args, "--out", str(out), "--date", "2026-11-25T00:00:00Z"])
    if code != 0:
        raise SystemExit(f"genpost failed with exit {code}")
    return Path(stdout.getvalue().strip().splitlines()[-1]), time.perf_counter() - started


def measure(draft: Path, seconds: float) -> dict:
    settings = load_settings()
    fit_to_model(settings)  # the range the run held the draft to
    text = draft.read_text(encoding="utf-8")
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    findings = check_text(text, settings, load_instincts())
    doc = parse(text)
    front = yaml.safe_dump(doc.front.fields, allow_unicode=True, default_flow_style=True)
    low, high = settings.lengths.body
    return {
        "seconds": seconds,
        "calls": len(record["calls"]),
        "chars": record["body_chars"],
        "in_range": low <= record["body_chars"] <= high,
        "errors": Counter(f.rule for f in findings if f.severity == "error"),
        "warnings": Counter(f.rule for f in findings if f.severity == "warning"),
        "cut": sum(len(c["lines"]) for c in record["cuts"]),
        "copied": sum(f.rule in COPIED for f in findings),
        "chinese": sum(f.rule in CHINESE for f in findings),
        "garbage": sum(f.rule in ("script.garbage", "script.stray-label") for f in findings),
        "empty": sum(f.rule == "structure.step-empty" for f in findings),
        "foreign": len(foreign_characters("\n".join(b.text for b in doc.prose) + front)),
        "repeated": sum(f.rule in ("repetition.sentence", "repetition.paragraph") for f in findings),
        "rounds": len(record["rewrites"]),
        "prompt_s": sum(c.get("ttft_s") or 0 for c in record["calls"] if c["stage"] == "draft"),
        "textlint": textlint_rate(draft, record["body_chars"]),
    }


def textlint_rate(draft: Path, chars: int) -> float | None:
    """textlint's problems per 1,000 body characters (preset-ja-technical-writing), or None without it."""
    binary = TEXTLINT / "node_modules" / ".bin" / "textlint"
    if not binary.exists() or not shutil.which("node"):
        return None
    found = subprocess.run(
        [str(binary), "--preset", "ja-technical-writing", "--format", "json", str(draft)],
        capture_output=True,
        text=True,
        cwd=TEXTLINT,
        check=False,
    )
    problems = sum(len(f["messages"]) for f in json.loads(found.stdout or "[]"))
    return round(problems * 1000 / max(chars, 1), 2)


def show(n: int, row: dict) -> None:
    errors = ", ".join(f"{rule} {count}" for rule, count in sorted(row["errors"].items())) or "none"
    warnings = ", ".join(f"{rule} {count}" for rule, count in sorted(row["warnings"].items())) or "none"
    print(
        f"post {n + 1}: {row['seconds']:6.1f} s, {row['calls']} calls, {row['chars']:,} chars"
        f" ({'in' if row['in_range'] else 'OUT OF'} range), {row['rounds']} redraft round(s), "
        f"{row['cut']} copied line(s) cut; in the draft: {row['copied']} copied, {row['chinese']} Chinese, "
        f"{row['garbage']} garbage, {row['empty']} empty step field(s), {row['foreign']} foreign ideograph(s), "
        f"{row['repeated']} repeated; prompts read in {row['prompt_s']:.1f} s; textlint {row['textlint']} / 1,000"
    )
    print(f"        errors: {errors}")
    print(f"        warnings: {warnings}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3)
    parser.add_argument("--model", help="an embedded model of llm.local.model (default: genpost.yml's)")
    parser.add_argument("--chat", action="store_true", help="draft from written instructions, not by continuation")
    parser.add_argument("--no-prefix-cache", action="store_true", help="read every prompt from its start")
    parser.add_argument("--keep", type=Path, help="copy the drafts and run records here")
    args = parser.parse_args()
    if args.no_prefix_cache:
        without_prefix_cache()
    with tempfile.TemporaryDirectory() as tmp:
        config = None
        if args.model or args.chat:
            config = Path(tmp) / "genpost.yml"
            shipped = Path(os.environ.get("GENPOST_CONFIG") or resource("genpost.yml"))
            data = yaml.safe_load(shipped.read_text(encoding="utf-8")) if shipped.exists() else {}
            local = data.setdefault("llm", {}).setdefault("local", {})
            local.update({"model": args.model} if args.model else {})
            local.update({"continuation": False} if args.chat else {})
            config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        rows = []
        for n in range(args.posts):
            draft, seconds = write_post(n, Path(tmp) / f"post{n}", config)
            rows.append(measure(draft, seconds))
            show(n, rows[-1])
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for path in (draft, draft.with_suffix(".json")):
                    shutil.copy(path, args.keep / path.name)
        settings = load_settings()  # as the runs read it ($GENPOST_CONFIG while the folder exists)
        fit_to_model(settings)
        low, high = settings.lengths.body

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    provider = (
        "OpenAI-compatible" if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL") else "embedded"
    )
    model = args.model or settings.llm.local.model
    name = model if provider == "embedded" else "server"
    print(f"\n{provider} ({name}), {os.cpu_count()} cores, {len(rows)} posts; medians")
    print(f"seconds per post          {med('seconds'):8.1f}   (target <= 300 for the embedded default)")
    print(f"body characters           {med('chars'):8.0f}   (configured range {low}-{high})")
    print(
        f"gate errors / warnings    {statistics.median(sum(r['errors'].values()) for r in rows):8.0f} / "
        f"{statistics.median(sum(r['warnings'].values()) for r in rows):.0f}"
    )
    print(f"copied lines cut          {med('cut'):8.0f}")
    print(f"copied runs in draft      {med('copied'):8.0f}   (target 0)")
    print(f"Chinese in draft          {med('chinese'):8.0f}   (target 0)")
    print(f"garbage runs              {med('garbage'):8.0f}   (target 0)")
    print(f"empty step fields         {med('empty'):8.0f}   (target 0)")
    print(f"foreign ideographs        {med('foreign'):8.0f}   (target 0)")
    print(f"repeated sentences        {med('repeated'):8.0f}   (target 0)")
    print(f"redraft rounds            {med('rounds'):8.0f}")
    print(f"seconds reading prompts   {med('prompt_s'):8.1f}   (drafting calls, time to first token)")
    rates = [r["textlint"] for r in rows if r["textlint"] is not None]
    shown = f"{statistics.median(rates):8.2f}" if rates else "     n/a   (node or the textlint preset missing)"
    print(f"textlint / 1,000 chars    {shown}   (the old generator's posts: about 1)")


def without_prefix_cache() -> None:
    """Every call reads its prompt from the start (llama.cpp otherwise keeps the prefix it shares with the last)."""
    from llama_cpp import Llama

    plain = Llama.create_completion

    def reading_all(self: Llama, *args: object, **kwargs: object) -> object:
        self.reset()
        self._ctx.kv_cache_clear()
        return plain(self, *args, **kwargs)

    Llama.create_completion = reading_all


if __name__ == "__main__":
    main()
