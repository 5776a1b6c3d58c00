"""`genpost refresh`: the site's posts that aged (`--list`), or a draft that refreshes one of them."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import click

from pipeline.cli.common import (
    PATH,
    VariadicCommand,
    check_site,
    model_options,
    open_desk,
    out_option,
    verbose_option,
)
from pipeline.config import load_settings
from pipeline.errors import UsageError
from pipeline.instincts import load_instincts
from pipeline.performance.signals import performance_for
from pipeline.refresh.reasons import Stale, find_stale
from pipeline.refresh.run import RefreshResult, refresh_post, resolve_post
from pipeline.site.context import Site
from pipeline.sources import check_items
from pipeline.store import ensure_dir


@click.command(name="refresh", cls=VariadicCommand, variadic=["--sources"])
@click.argument("post", required=False, metavar="[POST]")
@click.option("--list", "as_list", is_flag=True, help="List the site's posts that need a refresh, most urgent first.")
@click.option("--site", type=PATH, required=True, metavar="DIR", help="The Jekyll site root (with _posts/).")
@out_option
@click.option(
    "--sources",
    metavar="ITEM [ITEM ...]",
    multiple=True,
    help="URLs, files or folders: fresh sources the rewritten parts may cite.",
)
@click.option("--search", is_flag=True, help="Also find fresh sources with the search engine of sources.search.")
@model_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the list, or the draft's path and reasons).")
@click.option(
    "--performance",
    type=PATH,
    metavar="FILE",
    help="Search Console's Performance export (its ZIP, a folder of its CSVs, or Pages.csv): --list adds what the "
    "figures say (clicks or position lost, near the first page, a low CTR) above the reasons in the files "
    "(default: performance.file in genpost.yml).",
)
@verbose_option
def refresh(
    post: str | None,
    as_list: bool,
    site: Path,
    out: Path,
    sources: tuple[str, ...],
    search: bool,
    provider: str | None,
    model: str | None,
    as_json: bool,
    performance: Path | None,
) -> int:
    """List the posts of --site that aged (--list), or refresh POST: a draft in out/ with the same file name,
    URL and date, only the parts that aged rewritten, for review and `genpost publish`."""
    check_site(site)
    if as_list == (post is not None):
        raise UsageError("give either --list or one POST to refresh")
    if as_list and (sources or search):
        raise UsageError("--sources and --search go with a POST to refresh, not with --list")
    settings, instincts = load_settings(), load_instincts()
    if as_list:
        started = time.perf_counter()
        ensure_dir(out)
        figures = performance_for(settings.performance, Site(site), performance)
        stale = asyncio.run(find_stale(site, out, settings, instincts, performance=figures))
        print_list(stale, as_json)
        seconds = time.perf_counter() - started
        print(f"genpost: {len(stale)} post(s) of {site} need a refresh ({seconds:.1f} s)", file=sys.stderr)
        return 0
    assert post is not None
    path = resolve_post(site, post)
    items = check_items(list(sources))

    async def run() -> RefreshResult | None:
        async with open_desk(settings, instincts, out, site, provider, model) as desk:
            figures = performance_for(settings.performance, Site(site), performance)
            return await refresh_post(desk, site, path, items, search, performance=figures)

    result = asyncio.run(run())
    if result is None:
        print(f"genpost: {path.name} has nothing that aged; no draft was written", file=sys.stderr)
        return 0
    print(f"genpost: {summary_line(result)}", file=sys.stderr)
    if as_json:
        print(json.dumps(result_json(result), ensure_ascii=False))
    else:
        print(result.path)
    return 0


def print_list(stale: list[Stale], as_json: bool) -> None:
    if as_json:
        print(json.dumps([s.to_json() for s in stale], ensure_ascii=False, indent=2))
        return
    for item in stale:
        print(f"{item.score:5.1f}  _posts/{item.name}  「{item.title}」")
        for reason in item.reasons:
            print(f"       - [{reason.code}] {reason.message}")


def summary_line(result: RefreshResult) -> str:
    record = result.record
    refresh = record.refresh
    parts = "、".join(refresh.parts) if refresh and refresh.parts else "なし"
    errors = sum(f.severity == "error" for f in record.findings)
    return (
        f"refreshed 「{record.plan.title}」 for {result.target}: {len(result.reasons)} reason(s); rewrote {parts}; "
        f"{int(record.totals.get('calls', 0))} calls; {errors} quality error(s)"
    )


def result_json(result: RefreshResult) -> dict:
    refresh = result.record.refresh
    return {
        "path": str(result.path),
        "target": result.target,
        "title": result.record.plan.title,
        "parts": refresh.parts if refresh else [],
        "reasons": [r.model().model_dump() for r in result.reasons],
        "totals": result.record.totals,
    }
