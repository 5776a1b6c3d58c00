"""The gate every draft passes before it is written: findings, and which parts to redraft."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.quality import check_doc
from pipeline.site.context import Site
from pipeline.types import ApprovedPart, Finding, Post
from pipeline.voice.profile import VoiceProfile

# Rules a section can fix by being written again (the rest need an editor or a re-plan).
REWRITABLE = (
    "style.",
    "claims.",
    "integrity.",
    "script.",
    "repetition.",
    "voice.style",
    "shape.step-repeats-title",  # the step's summary is written again (its title is the plan's)
    "brief.coverage",  # the part is written again, told the approved point it left out
)


def gate(
    post: Post,
    settings: Settings,
    instinct: Instinct,
    site: Site | Path | None,
    voice: VoiceProfile | None = None,
    approved: list[ApprovedPart] | None = None,
) -> list[Finding]:
    """Every finding for an assembled post (its citations checked against the passages they cite; held to the
    site's voice when there is one; to an approved brief's outline and points when drafted from one)."""
    cited = post.cited or None
    instincts = {instinct.key: instinct}
    return check_doc(post.doc, settings, instincts, site, post.filename, cited, voice=voice, approved=approved)


def fixes_by_part(findings: list[Finding], parts: Iterable[str]) -> dict[str, list[Finding]]:
    """Errors a redraft can fix, grouped by the part they are in (of `parts`, those a redraft may write)."""
    fixes: dict[str, list[Finding]] = {}
    keys = set(parts)
    for finding in findings:
        if finding.severity == "error" and finding.rule.startswith(REWRITABLE) and finding.part in keys:
            fixes.setdefault(finding.part, []).append(finding)
    return fixes
