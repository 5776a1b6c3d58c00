"""`genpost report`: the site's report as one self-contained HTML page."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

import click

from pipeline.cli.common import PATH, check_site, verbose_option
from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.performance.report import build_report, render_report
from pipeline.performance.signals import performance_for
from pipeline.refresh.draft import open_refreshes
from pipeline.refresh.reasons import find_stale
from pipeline.site.context import Site
from pipeline.store import ensure_dir, replace_write


@click.command(name="report")
@click.option("--site", type=PATH, required=True, metavar="DIR", help="The Jekyll site root (with _posts/).")
@click.option(
    "--performance",
    type=PATH,
    metavar="FILE",
    help="Search Console's Performance export (its ZIP, a folder of its CSVs, or Pages.csv and Queries.csv) "
    "(default: performance.file in genpost.yml).",
)
@click.option(
    "--out",
    "target",
    type=PATH,
    default=Path("report.html"),
    show_default=True,
    metavar="FILE",
    help="Where the report is written (one HTML file, no network needed to read it).",
)
@click.option(
    "--drafts",
    "out",
    type=PATH,
    default=Path("out"),
    show_default=True,
    metavar="DIR",
    help="genpost's out/: the drafts and refreshes waiting for review that the report links to, and its caches.",
)
@verbose_option
def report(site: Path, performance: Path | None, target: Path, out: Path) -> int:
    """Write the site's report: clusters, links and orphans, stale posts; with Search Console data, clicks and
    impressions, lost posts, pages near the first page, competing posts, searches without a post."""
    check_site(site)
    settings, instincts = load_settings(), load_instincts()
    ensure_dir(out)
    read = Site(site, settings.site.layout)
    figures = performance_for(settings.performance, read, performance)
    stale = asyncio.run(find_stale(site, out, settings, instincts, performance=figures))
    cache = out / ".genpost" / "site-index.json"
    made = build_report(read, stale, figures, open_refreshes(out), datetime.now(settings.site.zone), cache)
    replace_write(target, render_report(made))
    if figures is not None and figures.unmatched:
        print(f"genpost: {len(figures.unmatched)} page(s) of the export are no post of {site}", file=sys.stderr)
    print(target)
    return 0
