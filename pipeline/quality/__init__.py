"""The quality gate: every rule of `genpost check`, run over one post."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.document import PostDoc
from pipeline.instincts import Instinct
from pipeline.quality import (
    claims,
    copying,
    duplication,
    links,
    markup,
    numbers,
    photos,
    repetition,
    script,
    shape,
    style,
)
from pipeline.quality.context import Check
from pipeline.quality.parse import parse
from pipeline.types import Finding

RULE_SETS = (
    shape.RULES,
    numbers.RULES,
    style.RULES,
    claims.RULES,
    photos.RULES,
    duplication.RULES,
    copying.RULES,
    script.RULES,
    repetition.RULES,
    markup.RULES,
    links.RULES,
)


def check_text(
    text: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None = None,
    name: str | None = None,
    cited: dict[str, list[str]] | None = None,
) -> list[Finding]:
    """Every finding for a post's text (read as a PostDoc), in file order."""
    return check_doc(parse(text), settings, instincts, site, name, cited)


def check_doc(
    doc: PostDoc,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None = None,
    name: str | None = None,
    cited: dict[str, list[str]] | None = None,
) -> list[Finding]:
    """Every finding for a post, in file order; `cited`: what each footnote's source says, if known."""
    context = Check(doc.numbered(), settings, instincts, site, name, cited)
    findings = [finding for rules in RULE_SETS for rule in rules for finding in rule(context)]
    return sorted(findings, key=lambda f: (f.line or 0, f.rule))


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def to_confirm(findings: list[Finding]) -> list[Finding]:
    """The figures an editor must confirm (要確認): unsourced, or not what their source says."""
    return [f for f in findings if f.rule in ("claims.unsourced", "claims.unsupported")]
