"""The command line: parses, calls the stages, maps errors to exit codes."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__, quality
from pipeline.config import STRUCTURES, Settings, load_settings
from pipeline.errors import GenpostError, UsageError
from pipeline.instincts import load_instincts
from pipeline.llm import Gateway
from pipeline.llm.choice import make_provider, provider_name
from pipeline.prompts import PromptBook
from pipeline.publish import publish
from pipeline.quality.report import report_json, report_text
from pipeline.run import Result, generate
from pipeline.store import Checkpoint, run_key
from pipeline.types import Brief, CallRecord


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="genpost",
        description="Write a Japanese psychology-marketing blog post as a Jekyll draft.",
    )
    parser.add_argument("--instinct", required=True, metavar="KEY", help="instinct key, e.g. learning")
    parser.add_argument("--keywords", required=True, nargs="+", metavar="KW", help="primary keyword first")
    parser.add_argument("--theme", help="category / theme (default: the planner picks from genpost.yml)")
    parser.add_argument("--structure", help=f"one of {', '.join(STRUCTURES)}")
    parser.add_argument("--out", default="out", type=Path, help="draft directory (default: out/)")
    parser.add_argument("--site", type=Path, help="Jekyll site root, for related posts")
    parser.add_argument("--date", help="publication time, ISO 8601 (default: now)")
    parser.add_argument("--model", help="model for every stage (default: per stage from genpost.yml)")
    parser.add_argument(
        "--provider",
        choices=("openai", "local"),
        help="openai: any OpenAI-compatible API; local: the embedded model "
        "(default: openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else local)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each stage and call to stderr")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of the path")
    parser.add_argument("--fresh", action="store_true", help="ignore the checkpoint of an earlier, unfinished run")
    return parser


def parse_date(text: str | None, settings: Settings) -> datetime:
    """An aware datetime; a naive --date is read in the site's timezone."""
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r} is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.site.zone)
    return moment


def make_brief(args: argparse.Namespace, settings: Settings, instinct_keys: list[str]) -> Brief:
    """Validate the arguments into a Brief."""
    if args.instinct not in instinct_keys:
        raise UsageError(f"unknown instinct {args.instinct!r}; choose one of: {', '.join(instinct_keys)}")
    structure = args.structure or settings.site.default_structure
    if structure not in STRUCTURES:
        raise UsageError(f"unknown structure {structure!r}; choose one of: {', '.join(STRUCTURES)}")
    keywords = [k.strip() for k in args.keywords]
    if not keywords or any(not k for k in keywords):
        raise UsageError("--keywords needs at least one non-empty keyword")
    if args.site is not None and not (args.site / "_posts").is_dir():
        raise UsageError(f"--site {args.site} has no _posts/ directory")
    theme = args.theme.strip() if args.theme else None
    return Brief(
        instinct=args.instinct,
        keywords=keywords,
        theme=theme or None,
        structure=structure,
        date=parse_date(args.date, settings),
        site=args.site,
    )


async def _write(args: argparse.Namespace) -> Result:
    settings = load_settings()
    instincts = load_instincts()
    brief = make_brief(args, settings, list(instincts))
    gateway = Gateway(
        make_provider(settings.llm, args.provider),
        settings.llm,
        PromptBook(),
        model_override=args.model,
        progress=_progress_printer() if sys.stderr.isatty() and not args.verbose else None,
    )
    checkpoint = Checkpoint(args.out, _run_key(args, settings), enabled=not args.fresh)
    try:
        return await generate(brief, instincts[brief.instinct], settings, gateway, args.out, checkpoint)
    finally:
        await gateway.close()


def _run_key(args: argparse.Namespace, settings: Settings) -> str:
    """The same command (on the same site-local day, when no --date is given) gets the same key."""
    day = datetime.now(settings.site.zone).strftime("%Y-%m-%d")
    return run_key(
        version=__version__,
        instinct=args.instinct,
        keywords=[k.strip() for k in args.keywords],
        theme=args.theme,
        structure=args.structure or settings.site.default_structure,
        date=args.date or day,
        site=str(args.site) if args.site else None,
        model=args.model,
        provider=provider_name(settings.llm, args.provider),
    )


def _progress_printer():
    """One line per finished model call, for a person watching a terminal."""

    def show(call: CallRecord) -> None:
        print(
            f"genpost: {call.stage} {call.part} ({call.completion_tokens} tokens, {call.duration_s:.1f}s)",
            file=sys.stderr,
            flush=True,
        )

    return show


def _summary(result: Result) -> str:
    record = result.record
    return json.dumps(
        {
            "path": str(result.path),
            "title": record.plan.title,
            "reading_time": record.reading_time,
            "body_chars": record.body_chars,
            "related": [r.name for r in record.related],
            "totals": record.totals,
            "seconds": record.stage_seconds,
        },
        ensure_ascii=False,
    )


def build_publish_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="genpost publish", description="Copy a draft into a Jekyll site's _posts/.")
    parser.add_argument("file", type=Path, help="the draft (.md) in out/")
    parser.add_argument("--site", type=Path, required=True, help="Jekyll site root")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def _run_generate(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    result = asyncio.run(_write(args))
    print(_summary(result) if args.json else result.path)
    return 0


def _run_publish(argv: list[str]) -> int:
    args = build_publish_parser().parse_args(argv)
    done = asyncio.run(publish(args.file, args.site, load_settings()))
    state = "published" if done.copied else "already published"
    pending = f", {done.pending} pending" if done.pending else ""
    print(f"genpost: {state}; {done.pinged} Unsplash download ping(s){pending}", file=sys.stderr)
    print(done.path)
    return 0


def build_check_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="genpost check", description="Check posts against genpost's quality rules.")
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE", help="posts (.md) to check")
    parser.add_argument("--site", type=Path, help="Jekyll site root: resolve related links, compare with its posts")
    parser.add_argument("--json", action="store_true", help="print findings as JSON")
    return parser


def _run_check(argv: list[str]) -> int:
    args = build_check_parser().parse_args(argv)
    if args.site is not None and not (args.site / "_posts").is_dir():
        raise UsageError(f"--site {args.site} has no _posts/ directory")
    settings, instincts = load_settings(), load_instincts()
    reports = []
    for path in args.files:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        text = path.read_text(encoding="utf-8", errors="replace")
        findings = quality.check_text(text, settings, instincts, args.site, path.name)
        reports.append((path, findings))
    if args.json:
        print(json.dumps([report_json(path, findings) for path, findings in reports], ensure_ascii=False, indent=2))
    else:
        for path, findings in reports:
            print(report_text(path, findings))
    return 1 if any(quality.errors(findings) for _, findings in reports) else 0


COMMANDS = {"publish": _run_publish, "check": _run_check}


def main(argv: list[str] | None = None) -> int:
    """Run genpost; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    verbose = "-v" in argv or "--verbose" in argv
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="genpost: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for noisy in ("httpx", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    command = COMMANDS.get(argv[0]) if argv else None
    try:
        return command(argv[1:]) if command else _run_generate(argv)
    except GenpostError as exc:
        print(f"genpost: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("genpost: interrupted; finished stages are checkpointed, run the same command to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line; the traceback only with -v
        if verbose:
            traceback.print_exc()
        print(f"genpost: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
