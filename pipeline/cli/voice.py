"""`genpost voice`: the site's voice measured into voice.yml, or voice.yml compared with the site now."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import click

from pipeline.cli.common import PATH, check_site, verbose_option
from pipeline.config import load_settings
from pipeline.errors import GenpostError, UsageError
from pipeline.instincts import load_instincts
from pipeline.voice.drift import compare
from pipeline.voice.measure import measure
from pipeline.voice.profile import VoiceProfile, load_voice, voice_path, write_voice

RECENT = 20


@click.command(name="voice")
@click.option("--site", type=PATH, required=True, metavar="DIR", help="The Jekyll site root whose posts are measured.")
@click.option(
    "--recent",
    type=click.IntRange(min=1, max=10_000),
    metavar="N",
    help=f"Measure the site's N newest posts; drafts and future-dated posts are left out (default: {RECENT}; "
    "with --check, as many as voice.yml was measured from).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Compare voice.yml with what the site measures now, figure by figure; exit 1 if a figure has drifted.",
)
@click.option("--force", is_flag=True, help="Measure again over an existing voice.yml (an editor's changes are lost).")
@verbose_option
def voice(site: Path, recent: int | None, check_only: bool, force: bool) -> int:
    """Measure the voice of the site's recent posts (sentence-final style, sentence and body length, headings,
    openers, format) into voice.yml beside genpost.yml: drafts are written and checked in that voice."""
    check_site(site)
    settings, instincts = load_settings(), load_instincts()
    today = datetime.now(settings.site.zone).date()
    path = voice_path()
    if check_only:
        return _check(site, path, recent, today, instincts)
    if path.exists() and not force:
        raise UsageError(
            f"{path} exists (an editor may have changed it): --check compares it with the site, --force measures again"
        )
    started = time.perf_counter()
    profile = measure(site, recent or RECENT, today, instincts)
    seconds = time.perf_counter() - started
    try:
        write_voice(profile, path)
    except OSError as exc:
        raise GenpostError(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None
    print(f"genpost: {summary(profile)}; measured in {seconds:.1f} s", file=sys.stderr)
    click.echo(str(path))
    return 0


def _check(site: Path, path: Path, recent: int | None, today, instincts) -> int:
    kept = load_voice(path)
    if kept is None:
        raise UsageError(f"no {path.name} at {path}: run `genpost voice --site {site}` first")
    posts = recent or (kept.measured.posts if kept.measured is not None and kept.measured.posts else RECENT)
    now = measure(site, posts, today, instincts)
    drifts = compare(kept, now)
    for drift in drifts:
        click.echo(drift.line())
    moved = [d.key for d in drifts if d.drifted]
    when = f" (measured {kept.measured.day})" if kept.measured is not None else ""
    posts = now.measured.posts if now.measured is not None else 0
    if moved:
        message = f"{len(moved)} figure(s) of {path}{when} differ from the site's {posts} newest posts"
        print(f"genpost: {message}: {', '.join(moved)}", file=sys.stderr)
    else:
        print(f"genpost: {path}{when} matches the site's {posts} newest posts", file=sys.stderr)
    return 1 if moved else 0


def summary(profile: VoiceProfile) -> str:
    """One line: how many posts, their style, sentence and body length."""
    parts = []
    if profile.measured is not None:
        m = profile.measured
        parts.append(f"{m.posts} post(s) ({m.first} … {m.last})")
    if profile.style is not None:
        share = profile.style.polite
        parts.append(f"{profile.style.main} (です・ます {share:.0%})")
    if profile.sentence_length is not None:
        parts.append(f"sentences {profile.sentence_length.median} chars (median)")
    if profile.body_length is not None:
        parts.append(f"body {profile.body_length.median:,} chars (median)")
    return ", ".join(parts)
