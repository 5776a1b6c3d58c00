"""`genpost --instinct … --keywords …` and `genpost --auto`: the default command, which writes a post."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

import click

from pipeline import __version__, inputs
from pipeline.auto import AutoOutcome, auto_post
from pipeline.briefs.drafting import load_approved, run_brief
from pipeline.cli.common import (
    PATH,
    VariadicCommand,
    check_site,
    model_options,
    open_desk,
    out_option,
    parse_date,
    site_option,
    verbose_option,
)
from pipeline.config import STRUCTURES, Settings, load_settings
from pipeline.errors import UsageError
from pipeline.instincts import load_instincts
from pipeline.llm.choice import provider_name
from pipeline.schedule import warn_past_years
from pipeline.site.format import fit_to_site, read_format
from pipeline.sources import check_items
from pipeline.store import Checkpoint, run_key
from pipeline.types import Brief
from pipeline.writing.job import PostJob, Result


@click.command(cls=VariadicCommand, variadic=["--keywords", "--sources"])
@click.option(
    "--instinct",
    metavar="KEY",
    help="The instinct to appeal to: a key of instincts.yml (the shipped file's: survival, reproduction, "
    "nurturing, territorial, hierarchy, learning, communication, play).",
)
@click.option(
    "--keywords",
    metavar="KW [KW ...]",
    multiple=True,
    help="Keywords, the primary first: it goes in the title and comes first in seo_keywords.",
)
@click.option(
    "--theme",
    help="The category and the {theme}の最新トレンド分析 heading (default: the planner picks one of site.categories).",
)
@click.option(
    "--structure",
    type=click.Choice(STRUCTURES),
    help="The trend section's structure (default: site.default_structure in genpost.yml).",
)
@out_option
@site_option
@click.option(
    "--date",
    metavar="ISO",
    help="Publication time, ISO 8601 (default: now); a time without a zone is read in site.timezone.",
)
@model_options
@click.option(
    "--sources",
    metavar="ITEM [ITEM ...]",
    multiple=True,
    help="URLs (http/https), files (.md .txt .html .pdf) or folders of them: the post takes its figures only "
    "from these and cites them as footnotes.",
)
@click.option(
    "--search",
    is_flag=True,
    help="Also find sources with the search engine of sources.search (a SearXNG instance).",
)
@click.option(
    "--polish/--no-polish",
    default=None,
    help="Run the polish pass over the whole draft for one voice, or skip it (default: polish in genpost.yml; "
    "auto: with API providers, not the embedded model).",
)
@click.option(
    "--performance",
    type=PATH,
    metavar="FILE",
    help="Search Console's Performance export: links prefer posts near the first page; with --auto and "
    "performance.topics, the day's topic may be a search no post answers (default: performance.file).",
)
@click.option(
    "--brief",
    "brief_file",
    type=PATH,
    metavar="FILE",
    help="Draft from an approved brief (genpost brief, genpost approve): its keywords, instinct, headings in their "
    "order and points, its results as sources. Refused unless approved (and unchanged since), unless --force.",
)
@click.option(
    "--auto",
    is_flag=True,
    help="Write the day's post from calendar.yml and topic memory (for cron); with auto.briefs: true, the day's "
    "brief instead, and a draft of each brief approved since.",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --auto: write another post (or brief) even if the day has one; with --brief: draft from a brief "
    "that is not approved.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a one-line JSON summary (path, title, reading time, body length, related posts, tokens, cost, "
    "seconds) instead of the draft's path.",
)
@click.option("--fresh", is_flag=True, help="Ignore the checkpoint of an earlier, unfinished run of this command.")
@verbose_option
def write(
    instinct: str | None,
    keywords: tuple[str, ...],
    theme: str | None,
    structure: str | None,
    out: Path,
    site: Path | None,
    date: str | None,
    provider: str | None,
    model: str | None,
    sources: tuple[str, ...],
    search: bool,
    polish: bool | None,
    performance: Path | None,
    brief_file: Path | None,
    auto: bool,
    force: bool,
    as_json: bool,
    fresh: bool,
) -> int:
    """Write a post as a draft in out/ (the default command: `genpost --instinct … --keywords …`)."""
    settings = load_settings()
    check_site(site)
    if site is not None:  # what genpost.yml leaves unset (author, url, logo, timezone) the site says
        fit_to_site(settings, read_format(site, settings.site.layout))
    instincts = load_instincts()
    if performance is not None:
        if not performance.exists():
            raise UsageError(f"{performance}: no such file")
        settings.performance.file = str(performance)
    if brief_file is not None and (auto or instinct or keywords or theme or structure):
        raise UsageError("--brief takes the keywords, instinct, theme and structure from the brief; leave them out")
    if auto:
        if instinct or keywords or sources:
            raise UsageError(
                "--auto takes its topic from calendar.yml and its sources from genpost.yml; leave them out"
            )
        moment = parse_date(date, settings)

        async def run_auto() -> AutoOutcome:
            async with open_desk(settings, instincts, out, site, provider, model) as desk:
                return await auto_post(moment, desk, site, force)

        outcome = asyncio.run(run_auto())
        if outcome.briefs is not None:
            return _briefs_done(outcome)
        if outcome.result is None:
            print(f"genpost: {outcome.day}: a post exists ({outcome.existing}); nothing to do (--force writes another)")
            return 0
        result = outcome.result
        print(f"genpost: {outcome.day}: {summary_line(result)}", file=sys.stderr)
        for done in outcome.refreshed:
            print(f"genpost: {outcome.day}: refresh of {done.target} for review: {done.path}", file=sys.stderr)
    else:
        if brief_file is not None:  # an approved brief: its keywords, instinct, outline; its results as sources
            brief = _from_brief(brief_file, settings, instincts, site, date, sources, force)
        else:
            brief = make_brief(settings, list(instincts), instinct, keywords, theme, structure, date, site)
            check_items(list(sources))
            brief = brief.model_copy(update={"sources": list(sources), "search": search})
        checkpoint = Checkpoint(out, _run_key(settings, brief, date, theme, model, provider), enabled=not fresh)

        async def run_one() -> Result:
            async with open_desk(settings, instincts, out, site, provider, model) as desk:
                return await PostJob(brief, desk, checkpoint, polish=polish).run()

        result = asyncio.run(run_one())
    print(json_summary(result) if as_json else result.path)
    return 0


def _from_brief(
    path: Path,
    settings: Settings,
    instincts: dict,
    site: Path | None,
    date: str | None,
    sources: tuple[str, ...],
    force: bool,
) -> Brief:
    """What to write from the approved brief at `path`: refused (exit 2) unless approved, or --force."""
    approved = load_approved(path, force)
    check_items(list(sources))
    run = run_brief(approved, parse_date(date, settings), site, list(sources))
    if run.instinct not in instincts:
        raise UsageError(f"{path}: unknown instinct {run.instinct!r}; choose one of: {', '.join(instincts)}")
    return run


def _briefs_done(outcome: AutoOutcome) -> int:
    """--auto in brief mode: the day's brief and the drafts of approved briefs, a line each on stderr."""
    done = outcome.briefs
    assert done is not None
    if done.made is not None:
        if done.made.notice:
            print(f"genpost: {outcome.day}: {done.made.notice}", file=sys.stderr)
        print(f"genpost: {outcome.day}: brief for review: {done.made.path}", file=sys.stderr)
    else:
        print(f"genpost: {outcome.day}: a brief exists ({done.existing})", file=sys.stderr)
    for result in done.drafted:
        print(f"genpost: {outcome.day}: {summary_line(result)}", file=sys.stderr)
        print(result.path)
    return 0


def make_brief(
    settings: Settings,
    known: list[str],
    instinct: str | None,
    keywords: tuple[str, ...],
    theme: str | None,
    structure: str | None,
    date: str | None,
    site: Path | None,
) -> Brief:
    """The arguments checked into a Brief."""
    if instinct is None or not keywords:
        raise UsageError("the following arguments are required: --instinct, --keywords (or use --auto)")
    if instinct not in known:
        raise UsageError(f"unknown instinct {instinct!r}; choose one of: {', '.join(known)}")
    brief = Brief(
        instinct=instinct,
        keywords=inputs.keywords(list(keywords)),
        theme=inputs.theme(theme),
        structure=structure or settings.site.default_structure,
        date=parse_date(date, settings),
        site=site,
    )
    warn_past_years(brief, settings)
    return brief


def _run_key(
    settings: Settings, brief: Brief, date: str | None, theme: str | None, model: str | None, provider: str | None
) -> str:
    """The same command (on the same site-local day, when no --date is given) gets the same key."""
    day = datetime.now(settings.site.zone).strftime("%Y-%m-%d")
    return run_key(
        version=__version__,
        instinct=brief.instinct,
        keywords=brief.keywords,
        theme=theme,
        structure=brief.structure,
        date=date or day,
        site=str(brief.site) if brief.site else None,
        model=model,
        provider=provider_name(settings.llm, provider),
        sources=brief.sources,
        search=brief.search,
        approved=brief.from_brief.sha256 if brief.from_brief else None,  # another approval: another run
    )


def json_summary(result: Result) -> str:
    record = result.record
    summary = {
        "path": str(result.path),
        "title": record.plan.title,
        "reading_time": record.reading_time,
        "body_chars": record.body_chars,
        "related": [r.name for r in record.related],
        "totals": record.totals,
        "seconds": record.stage_seconds,
    }
    return json.dumps(summary, ensure_ascii=False)


def summary_line(result: Result) -> str:
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
