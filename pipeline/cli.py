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
from pipeline.auto import AutoOutcome, auto_post
from pipeline.batch import BatchOutcome, briefs_for_days, briefs_from_file, progress_bar, run_batch
from pipeline.batch_api import Collected, collect, submit
from pipeline.config import STRUCTURES, Settings, load_settings
from pipeline.errors import GenpostError, UsageError
from pipeline.instincts import load_instincts
from pipeline.llm import Gateway
from pipeline.llm.choice import make_provider, provider_name
from pipeline.memory import TopicMemory
from pipeline.prompts import PromptBook
from pipeline.publish import publish
from pipeline.quality.report import report_json, report_text
from pipeline.review.state import draft_path, list_drafts, reject
from pipeline.run import Desk, Result, generate
from pipeline.schedule import load_calendar, warn_past_years
from pipeline.store import Checkpoint, ensure_dir, run_key
from pipeline.types import Brief, CallRecord


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="genpost",
        description="Write a Japanese psychology-marketing blog post as a Jekyll draft.",
        epilog="other commands: genpost check | publish | drafts | reject | review | batch  (each with --help)",
    )
    parser.add_argument("--instinct", metavar="KEY", help="instinct key, e.g. learning")
    parser.add_argument("--keywords", nargs="+", metavar="KW", help="primary keyword first")
    parser.add_argument("--auto", action="store_true", help="the day's post from calendar.yml (for cron)")
    parser.add_argument("--force", action="store_true", help="with --auto: write even if the day has a post")
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


def check_site(site: Path | None) -> None:
    """A --site must be a Jekyll site: it has a _posts/ directory."""
    if site is not None and not (site / "_posts").is_dir():
        raise UsageError(f"--site {site} has no _posts/ directory")


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
    if args.instinct is None or args.keywords is None:
        raise UsageError("the following arguments are required: --instinct, --keywords (or use --auto)")
    if args.instinct not in instinct_keys:
        raise UsageError(f"unknown instinct {args.instinct!r}; choose one of: {', '.join(instinct_keys)}")
    structure = args.structure or settings.site.default_structure
    if structure not in STRUCTURES:
        raise UsageError(f"unknown structure {structure!r}; choose one of: {', '.join(STRUCTURES)}")
    keywords = [k.strip() for k in args.keywords]
    if not keywords or any(not k for k in keywords):
        raise UsageError("--keywords needs at least one non-empty keyword")
    check_site(args.site)
    theme = args.theme.strip() if args.theme else None
    brief = Brief(
        instinct=args.instinct,
        keywords=keywords,
        theme=theme or None,
        structure=structure,
        date=parse_date(args.date, settings),
        site=args.site,
    )
    warn_past_years(brief, settings)
    return brief


def _gateway(args: argparse.Namespace, settings: Settings) -> Gateway:
    return Gateway(
        make_provider(settings.llm, args.provider),
        settings.llm,
        PromptBook(),
        model_override=args.model,
        progress=_progress_printer() if sys.stderr.isatty() and not args.verbose else None,
    )


def _memory(out: Path, site: Path | None) -> TopicMemory:
    ensure_dir(out)
    return TopicMemory(out / ".genpost" / "memory.sqlite", site)


async def _write(args: argparse.Namespace) -> Result:
    settings = load_settings()
    instincts = load_instincts()
    brief = make_brief(args, settings, list(instincts))
    memory = _memory(args.out, args.site)
    gateway = _gateway(args, settings)
    checkpoint = Checkpoint(args.out, _run_key(args, settings), enabled=not args.fresh)
    try:
        return await generate(brief, instincts[brief.instinct], settings, gateway, args.out, checkpoint, memory)
    finally:
        await gateway.close()
        memory.close()


async def _auto(args: argparse.Namespace) -> AutoOutcome:
    settings = load_settings()
    instincts = load_instincts()
    if args.instinct or args.keywords:
        raise UsageError("--auto takes the instinct and keywords from calendar.yml; leave them out")
    check_site(args.site)
    moment = parse_date(args.date, settings)
    memory = _memory(args.out, args.site)
    gateway = _gateway(args, settings)
    try:
        desk = Desk(settings, instincts, gateway, args.out, memory)
        return await auto_post(moment, desk, args.site, args.force)
    finally:
        await gateway.close()
        memory.close()


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
    parser.add_argument("--force", action="store_true", help="publish despite error findings")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def _run_generate(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.auto:
        outcome = asyncio.run(_auto(args))
        if outcome.result is None:
            print(f"genpost: {outcome.day}: a post exists ({outcome.existing}); nothing to do (--force writes another)")
            return 0
        result = outcome.result
        print(f"genpost: {outcome.day}: {_line(result)}", file=sys.stderr)
    else:
        result = asyncio.run(_write(args))
    print(_summary(result) if args.json else result.path)
    return 0


def _line(result: Result) -> str:
    """One line for cron mail or a journal."""
    record = result.record
    totals = record.totals
    tokens = int(totals["prompt_tokens"] + totals["completion_tokens"])
    errors = sum(f.severity == "error" for f in record.findings)
    return (
        f"wrote 「{record.plan.title}」 ({record.brief.instinct}, {record.brief.primary_keyword}); "
        f"{int(totals['calls'])} calls, {tokens:,} tokens, ${float(totals['cost_usd']):.4f}, "
        f"{record.stage_seconds.get('total', 0):.1f} s; {errors} quality error(s)"
    )


def _run_publish(argv: list[str]) -> int:
    args = build_publish_parser().parse_args(argv)
    done = asyncio.run(publish(args.file, args.site, load_settings(), force=args.force))
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
    check_site(args.site)
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


def build_batch_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="genpost batch", description="Write many posts in one run.")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--count", type=int, help="posts for this many days from --date, from calendar.yml")
    what.add_argument("--file", type=Path, help="a YAML list of keyword sets (instinct, keywords, theme, ...)")
    what.add_argument("--collect", metavar="ID", help="assemble the posts of a finished Batch API batch")
    parser.add_argument(
        "--via",
        choices=("direct", "batch-api"),
        default="direct",
        help="batch-api: submit the section calls through the OpenAI Batch API (half price, 24h)",
    )
    parser.add_argument("--date", help="the first day (--count), ISO 8601 (default: today)")
    parser.add_argument("--out", default="out", type=Path)
    parser.add_argument("--site", type=Path)
    parser.add_argument("--model")
    parser.add_argument("--provider", choices=("openai", "local"))
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    return parser


async def _batch(args: argparse.Namespace) -> int:
    settings = load_settings()
    instincts = load_instincts()
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    check_site(args.site)
    memory = _memory(args.out, args.site)
    args.verbose = True  # no per-call lines: a batch shows its own bar
    gateway = _gateway(args, settings)
    desk = Desk(settings, instincts, gateway, args.out, memory)
    try:
        if args.collect:
            return _print_collected(await collect(args.collect, desk))
        if args.file is not None:
            briefs = briefs_from_file(args.file, settings, instincts, args.site)
        else:
            first = parse_date(args.date, settings).astimezone(settings.site.zone).date()
            briefs = briefs_for_days(first, args.count, load_calendar(), memory.written(), settings, args.site)
        if args.via == "batch-api":
            batch_id, requests = await submit(briefs, desk)
            print(
                f"batch: submitted {batch_id} ({len(briefs)} posts, {requests} requests); "
                f"collect with `genpost batch --collect {batch_id}`",
                file=sys.stderr,
            )
            print(batch_id)
            return 0
        bar = progress_bar if sys.stderr.isatty() else None
        outcome = await run_batch(briefs, desk, bar)
        return _print_outcome(outcome, args.json)
    finally:
        await gateway.close()
        memory.close()


def _print_collected(collected: Collected) -> int:
    if not collected.written:
        print(f"batch: {collected.status}; nothing to collect yet, run --collect again later", file=sys.stderr)
        return 0
    print(f"batch: collected {len(collected.written)} post(s)", file=sys.stderr)
    for result in collected.written:
        print(result.path)
    return 0


def _print_outcome(outcome: BatchOutcome, as_json: bool) -> int:
    print(outcome.summary(), file=sys.stderr)
    if as_json:
        summary = {
            "written": [str(r.path) for r in outcome.written],
            "failed": [{"keyword": b.primary_keyword, "error": e} for b, e in outcome.failed],
            "skipped": [b.primary_keyword for b in outcome.skipped],
            "tokens": outcome.tokens,
            "cost_usd": round(outcome.cost, 6),
            "seconds": round(outcome.seconds, 3),
        }
        print(json.dumps(summary, ensure_ascii=False))
    else:
        for result in outcome.written:
            print(result.path)
    return 1 if outcome.failed else 0


def _run_batch(argv: list[str]) -> int:
    args = build_batch_parser().parse_args(argv)
    if args.collect and args.via == "batch-api":
        raise UsageError("--collect takes only the batch id (and --out)")
    if (args.via == "batch-api" or args.collect) and provider_name(load_settings().llm, args.provider) != "openai":
        raise UsageError("the Batch API needs the openai provider (OPENAI_API_KEY)")
    return asyncio.run(_batch(args))


def _run_drafts(argv: list[str]) -> int:
    parser = _Parser(prog="genpost drafts", description="List the drafts in out/ with their review state.")
    parser.add_argument("--out", default="out", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.out.is_dir():
        raise UsageError(f"--out {args.out} is not a directory")
    drafts = list_drafts(args.out)
    if args.json:
        rows = [{**d.__dict__, "path": str(d.path)} for d in drafts]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for d in drafts:
        print(
            f"{d.status:9} {d.errors:2}E {d.warnings:2}W {d.tokens:>8,} tok ${d.cost:.4f}  {d.instinct:13} "
            f"{d.name}  「{d.title}」"
        )
    print(f"{len(drafts)} draft(s) in {args.out}", file=sys.stderr)
    return 0


def _run_reject(argv: list[str]) -> int:
    parser = _Parser(prog="genpost reject", description="Reject a draft, with a note for the record.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--note", required=True)
    args = parser.parse_args(argv)
    draft = draft_path(args.file.parent, args.file.name)
    reject(draft, args.note)
    print(f"genpost: rejected {draft.name}", file=sys.stderr)
    return 0


def _run_review(argv: list[str]) -> int:
    parser = _Parser(prog="genpost review", description="Review drafts in a local web app.")
    parser.add_argument("--out", default="out", type=Path)
    parser.add_argument("--site", type=Path)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    if not args.out.is_dir():
        raise UsageError(f"--out {args.out} is not a directory")
    check_site(args.site)
    import uvicorn

    from pipeline.review.app import create_app

    url = f"http://{args.host}:{args.port}/"
    print(f"genpost: reviewing {args.out} at {url} (Ctrl-C to stop)", file=sys.stderr)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(create_app(args.out, args.site, load_settings()), host=args.host, port=args.port, log_level="warning")
    return 0


COMMANDS = {
    "publish": _run_publish,
    "check": _run_check,
    "batch": _run_batch,
    "drafts": _run_drafts,
    "reject": _run_reject,
    "review": _run_review,
}


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
