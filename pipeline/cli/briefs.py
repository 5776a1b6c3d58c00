"""`genpost brief` (a brief from the top search results) and `genpost approve` (an editor's yes to it)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from pipeline import inputs
from pipeline.briefs.make import Made, make_brief
from pipeline.briefs.model import approved, read_brief, write_brief
from pipeline.cli.common import PATH, VariadicCommand, check_site, out_option, site_option, verbose_option
from pipeline.config import STRUCTURES, load_settings
from pipeline.errors import UsageError
from pipeline.instincts import load_instincts
from pipeline.review.drafts import locked
from pipeline.review.history import who_runs
from pipeline.site.context import Site
from pipeline.site.format import fit_to_site, read_format
from pipeline.voice.follow import fit_lengths
from pipeline.voice.profile import load_voice


@click.command(name="brief", cls=VariadicCommand, variadic=["--keywords"])
@click.option("--keywords", metavar="KW [KW ...]", multiple=True, required=True, help="Keywords, the primary first.")
@click.option(
    "--instinct",
    metavar="KEY",
    help="The instinct to appeal to (default: the one whose trigger words the results use most).",
)
@click.option("--structure", type=click.Choice(STRUCTURES), help="The trend section's structure.")
@click.option(
    "--theme", help="The theme of the {theme}の最新トレンド分析 heading (default: the keyword's first two words)."
)
@site_option
@out_option
@verbose_option
def brief_command(
    keywords: tuple[str, ...],
    instinct: str | None,
    structure: str | None,
    theme: str | None,
    site: Path | None,
    out: Path,
) -> int:
    """Write a brief for the keywords to out/briefs/, from the top search results, for an editor to approve."""
    settings, instincts = load_settings(), load_instincts()
    check_site(site)
    if site is not None:
        fit_to_site(settings, read_format(site, settings.site.layout))
    voice = load_voice()
    fit_lengths(settings, voice)
    if instinct is not None and instinct not in instincts:
        raise UsageError(f"unknown instinct {instinct!r}; choose one of: {', '.join(instincts)}")
    words = inputs.keywords(list(keywords))
    site_read = Site(site, settings.site.layout, voice) if site is not None else None
    now = datetime.now(UTC)
    made: Made = asyncio.run(
        make_brief(
            words,
            instincts,
            instinct,
            structure or settings.site.default_structure,
            inputs.theme(theme),
            settings,
            site_read,
            out,
            now,
        )
    )
    if made.notice:
        print(f"genpost: {made.notice}", file=sys.stderr)
    print(made.path)
    return 0


@click.command(name="approve")
@click.argument("brief", type=PATH, metavar="BRIEF")
@click.option("--by", "by", help="Who approves it (default: the user running genpost).")
def approve_command(brief: Path, by: str | None) -> int:
    """Approve a brief, so that `genpost --brief BRIEF` drafts from it."""
    if not brief.is_file():
        raise UsageError(f"no brief {brief}")
    with locked(brief):
        found = read_brief(brief)
        write_brief(brief, approved(found, by or who_runs(), datetime.now(UTC)))
    print(f"genpost: {brief.name}: approved", file=sys.stderr)
    return 0
