"""`genpost batch`: many posts in one run, directly or through the OpenAI Batch API."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from pipeline.batch import BatchOutcome, briefs_for_days, briefs_from_file, progress_bar, run_batch
from pipeline.batch_api import Collected, collect, submit
from pipeline.cli import common
from pipeline.config import load_settings
from pipeline.errors import UsageError
from pipeline.instincts import load_instincts
from pipeline.llm.choice import provider_name
from pipeline.schedule import load_calendar
from pipeline.site.format import fit_to_site, read_format


@click.command()
@click.option("--count", type=click.IntRange(min=1), help="Posts for this many days from --date, from calendar.yml.")
@click.option(
    "--file", "file", type=common.PATH, help="A YAML list of keyword sets: instinct, keywords, theme, structure, date."
)
@click.option("--collect", "batch_id", metavar="ID", help="Finish and write the posts of a submitted Batch API batch.")
@click.option(
    "--via",
    type=click.Choice(["direct", "batch-api"]),
    default="direct",
    show_default=True,
    help="batch-api: submit the drafting calls through the OpenAI Batch API (half price, within 24 h).",
)
@click.option("--date", help="The first day for --count, ISO 8601 (default: today).")
@common.out_option
@common.site_option
@common.model_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of the draft paths.")
@common.verbose_option
def batch(
    count: int | None,
    file: Path | None,
    batch_id: str | None,
    via: str,
    date: str | None,
    out: Path,
    site: Path | None,
    provider: str | None,
    model: str | None,
    as_json: bool,
) -> int:
    """Write many posts: --count N days from the calendar, --file of keyword sets, or --collect a Batch API batch."""
    if sum(x is not None for x in (count, file, batch_id)) != 1:
        raise UsageError("give exactly one of --count, --file or --collect")
    if batch_id and via == "batch-api":
        raise UsageError("--collect takes only the batch id (and --out)")
    settings = load_settings()
    if (via == "batch-api" or batch_id) and provider_name(settings.llm, provider) != "openai":
        raise UsageError("the Batch API needs the openai provider (OPENAI_API_KEY)")
    common.check_site(site)
    if site is not None:  # what genpost.yml leaves unset (author, url, logo, timezone) the site says
        fit_to_site(settings, read_format(site, settings.site.layout))
    instincts = load_instincts()

    async def run() -> int:
        async with common.open_desk(settings, instincts, out, site, provider, model, per_call_lines=False) as desk:
            if batch_id:
                return _print_collected(await collect(batch_id, desk))
            if file is not None:
                briefs = briefs_from_file(file, settings, instincts, site)
            else:
                first = common.parse_date(date, settings).astimezone(settings.site.zone).date()
                written = desk.memory.written() if desk.memory else []
                briefs = briefs_for_days(first, count or 0, load_calendar(), written, settings, site)
            if via == "batch-api":
                submitted, requests = await submit(briefs, desk)
                print(
                    f"batch: submitted {submitted} ({len(briefs)} posts, {requests} requests); "
                    f"collect with `genpost batch --collect {submitted}`",
                    file=sys.stderr,
                )
                print(submitted)
                return 0
            outcome = await run_batch(briefs, desk, progress_bar if sys.stderr.isatty() else None)
            return _print_outcome(outcome, as_json)

    return asyncio.run(run())


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
