"""The quality gate: every rule of `genpost check`, run over one post."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.document import PostDoc
from pipeline.instincts import Instinct
from pipeline.parse import parse
from pipeline.quality import (
    chinese,
    claims,
    copying,
    coverage,
    duplication,
    garbage,
    katakana,
    links,
    markup,
    numbers,
    photos,
    repetition,
    scaffolding,
    script,
    shape,
    style,
    topic,
)
from pipeline.quality import voice as site_voice
from pipeline.quality.context import Check
from pipeline.site.context import Site, site_of
from pipeline.types import ApprovedPart, Finding

if TYPE_CHECKING:
    from pipeline.voice.profile import VoiceProfile

RULE_SETS = (
    shape.RULES,
    numbers.RULES,
    style.RULES,
    claims.RULES,
    photos.RULES,
    duplication.RULES,
    copying.RULES,
    script.RULES,
    chinese.RULES,
    garbage.RULES,
    katakana.RULES,
    scaffolding.RULES,
    topic.RULES,
    repetition.RULES,
    markup.RULES,
    links.RULES,
    site_voice.RULES,
    coverage.RULES,
)


def check_text(
    text: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Site | Path | None = None,
    name: str | None = None,
    cited: dict[str, list[str]] | None = None,
    *,
    voice: VoiceProfile | None = None,
    own: bool = True,
    approved: list[ApprovedPart] | None = None,
) -> list[Finding]:
    """Every finding for a post's text (read as a PostDoc), in file order."""
    doc = parse(text)
    doc = doc.keyed(approved) if approved else doc
    return check_doc(doc, settings, instincts, site, name, cited, voice=voice, own=own, approved=approved)


def check_doc(
    doc: PostDoc,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Site | Path | None = None,
    name: str | None = None,
    cited: dict[str, list[str]] | None = None,
    *,
    voice: VoiceProfile | None = None,
    own: bool = True,
    approved: list[ApprovedPart] | None = None,
) -> list[Finding]:
    """Every finding for a post, in file order; `site`: the Site (one reading for many checks), or its folder;
    `cited`: what each footnote's source says, if known; `voice`: the site's voice (voice.yml; the Site's when
    not given); `own`: genpost wrote the post (else, with a voice, it is held to the site's format)."""
    found = site_of(site, settings.site.layout, voice)
    voice = voice if voice is not None else (found.voice if found is not None else None)
    context = Check(doc.numbered(), settings, instincts, found, name, cited, voice, own, approved)
    findings = [finding for rules in RULE_SETS for rule in rules for finding in rule(context)]
    findings = site_voice.judged(context, findings)
    return sorted(findings, key=lambda f: (f.line or 0, f.rule))


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def to_confirm(findings: list[Finding]) -> list[Finding]:
    """The figures an editor must confirm (要確認): unsourced, or not what their source says."""
    return [f for f in findings if f.rule in ("claims.unsourced", "claims.unsupported")]
