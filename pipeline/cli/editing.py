"""The editor's commands: check, drafts, publish, reject, review."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from pipeline import quality
from pipeline.briefs.drafting import post_parts
from pipeline.briefs.model import read_brief
from pipeline.cli.common import PATH, check_out, check_site, judged_by, out_option, site_option, verbose_option
from pipeline.config import Settings
from pipeline.errors import UsageError
from pipeline.instincts import Instinct
from pipeline.parse import parse
from pipeline.quality.coverage import Coverage, coverage
from pipeline.quality.report import report_json, report_text
from pipeline.review.drafts import UnreadableRecord, draft_path, genposts_own, list_drafts, read_record, reject
from pipeline.site.context import Site
from pipeline.site.format import fit_to_site
from pipeline.site.publish import publish
from pipeline.types import ApprovedPart, Finding
from pipeline.voice.profile import VoiceProfile
from pipeline.writing.citations import cited_in_record


@click.command()
@click.argument("files", nargs=-1, required=True, type=PATH, metavar="FILE...")
@site_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON (rule ids, English and Japanese).")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    help="The language of the findings (default: ja when site.language is ja, else en).",
)
@click.option(
    "--brief",
    "brief_file",
    type=PATH,
    metavar="FILE",
    help="Hold the posts to this brief's outline and points and say how many points each answers (a draft from "
    "an approved brief is held to it without this).",
)
def check(files: tuple[Path, ...], site: Path | None, as_json: bool, lang: str | None, brief_file: Path | None) -> int:
    """Check posts (FILE...) against genpost's quality rules; exit 1 if any has an error."""
    check_site(site)
    settings, instincts, voice = judged_by()  # with voice.yml, the site's format for posts genpost did not write
    read = Site(site, settings.site.layout, voice) if site is not None else None  # one reading, many posts
    if read is not None:
        found = read.format
        for disagreement in fit_to_site(settings, found):
            print(f"genpost: note: {disagreement}; genpost.yml wins", file=sys.stderr)
        if found.timezone is None:
            print(
                f"genpost: note: {site}/_config.yml sets no timezone: Jekyll dates a post in the build machine's zone, "
                f"so a post named for a {settings.site.timezone} day may be built under the day before",
                file=sys.stderr,
            )
    lang = lang or ("ja" if settings.site.language.startswith("ja") else "en")
    missing = next((path for path in files if not path.is_file()), None)
    if missing is not None:
        raise UsageError(f"{missing}: no such file")
    given = post_parts(read_brief(brief_file)) if brief_file is not None else None
    checked = [(path, *_checked(path, settings, instincts, read, voice, given)) for path in files]
    reports = [(path, findings) for path, findings, _ in checked]
    if as_json:
        print(json.dumps([report_json(path, findings) for path, findings in reports], ensure_ascii=False, indent=2))
    else:
        for path, findings, covered in checked:
            print(report_text(path, findings, lang))
            if covered is not None:
                print(_coverage_line(path, covered, lang))
    return 1 if any(quality.errors(findings) for _, findings in reports) else 0


def _coverage_line(path: Path, covered: Coverage, lang: str) -> str:
    if lang == "ja":
        return f"{path}: ブリーフの要点: {covered.answered}/{covered.total} 件に触れています"
    return f"{path}: brief points answered: {covered.answered}/{covered.total}"


def _checked(
    path: Path,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Site | None,
    voice: VoiceProfile | None,
    given: list[ApprovedPart] | None = None,
) -> tuple[list[Finding], Coverage | None]:
    """One post's findings, as `check` reports them; and how many points of its brief it answers (`given`, or
    the approved brief its record names)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        record = read_record(path)  # a draft's run record knows what its footnotes' sources say
    except UnreadableRecord as exc:
        print(f"genpost: {exc}; its footnotes are checked without their sources' text", file=sys.stderr)
        record, own = None, True
    else:
        own = genposts_own(record)  # genpost's own draft is held to the reference format; a refresh, to the site's
    cited = cited_in_record(record) if record else None
    approved = given or (record.brief.from_brief.parts if record and record.brief.from_brief else None)
    found = quality.check_text(
        text, settings, instincts, site, path.name, cited, voice=voice, own=own, approved=approved
    )
    if not approved:
        return found, None
    doc = parse(text).keyed(approved)
    return found, coverage(approved, {key: doc.part_text(key) for key in doc.part_keys})


@click.command()
@out_option
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def drafts(out: Path, as_json: bool) -> int:
    """List the drafts in out/ with their review state, findings and cost; a draft whose run record holds gate errors
    is marked "not publishable (N errors)"."""
    check_out(out)
    found = list_drafts(out)
    if as_json:
        rows = [
            {**d.__dict__, "path": str(d.path), "publishable": None if d.unreadable else not d.blocked} for d in found
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for d in found:
        figures = "record unreadable" if d.unreadable else f"{d.errors:2}E {d.warnings:2}W"
        verdict = f"  {d.verdict}" if d.verdict else ""
        print(
            f"{d.status:9} {figures} {d.tokens:>8,} tok ${d.cost:.4f}  {d.instinct:13} {d.name}  「{d.title}」{verdict}"
        )
        if d.unreadable:
            print(f"genpost: {d.unreadable}", file=sys.stderr)
    print(f"{len(found)} draft(s) in {out}", file=sys.stderr)
    return 0


@click.command(name="publish")
@click.argument("file", type=PATH)
@click.option("--site", type=PATH, required=True, help="The Jekyll site root whose _posts/ receives the post.")
@click.option("--force", is_flag=True, help="Publish even with error findings or dead related links.")
@click.option(
    "--push/--no-push",
    default=None,
    help="Push the site's publish commit (default: publish.push.enabled in genpost.yml).",
)
@verbose_option
def publish_command(file: Path, site: Path, force: bool, push: bool | None) -> int:
    """Publish the draft FILE into the site's _posts/, send its Unsplash download pings, and commit it
    when the site is a git repository."""
    settings, instincts, voice = judged_by()
    done = asyncio.run(publish(file, site, settings, instincts, force=force, push=push, voice=voice))
    state = "published" if done.copied else "already published"
    pending = f", {done.pending} pending" if done.pending else ""
    print(f"genpost: {state}; {done.pinged} Unsplash download ping(s){pending}", file=sys.stderr)
    if done.commit:
        print(f"genpost: committed {done.commit[:10]} in {site}", file=sys.stderr)
    if done.pushed:
        print(f"genpost: pushed to {done.pushed.remote} {done.pushed.branch}", file=sys.stderr)
    print(done.path)
    return 0


@click.command(name="reject")
@click.argument("file", type=PATH)
@click.option("--note", required=True, help="Why the draft is rejected (kept in its review state).")
def reject_command(file: Path, note: str) -> int:
    """Reject the draft FILE, with a note for the record."""
    draft = draft_path(file.parent, file.name)
    reject(draft, note)
    print(f"genpost: rejected {draft.name}", file=sys.stderr)
    return 0


@click.command()
@out_option
@site_option
@click.option("--port", type=int, default=8765, show_default=True, help="The port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to bind (loopback only by default).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
def review(out: Path, site: Path | None, port: int, host: str, no_browser: bool) -> int:
    """Review the drafts in out/ in a local web app."""
    check_out(out)
    check_site(site)
    import uvicorn

    from pipeline.review.app import create_app

    url = f"http://{host}:{port}/"
    print(f"genpost: reviewing {out} at {url} (Ctrl-C to stop)", file=sys.stderr)
    if not no_browser:
        import webbrowser

        webbrowser.open(url)
    settings, instincts, voice = judged_by()
    app = create_app(out, site, settings, instincts, host=host, port=port, voice=voice)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
