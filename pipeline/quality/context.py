"""What every rule receives: the parsed post, the settings, the site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.quality.parse import Block, PostDoc
from pipeline.types import Finding


@dataclass
class Check:
    doc: PostDoc
    settings: Settings
    instincts: dict[str, Instinct]
    site: Path | None = None
    name: str | None = None  # the post's file name, to skip itself on the site

    def finding(
        self,
        rule: str,
        severity: str,
        message: str,
        line: int | None = None,
        block: Block | None = None,
        excerpt: str | None = None,
    ) -> Finding:
        if block is not None:
            return Finding(
                rule=rule,
                severity=severity,  # type: ignore[arg-type]
                message=message,
                line=line or block.line,
                section=block.h2 or "lead",
                subsection=block.h3,
                excerpt=excerpt,
            )
        return Finding(rule=rule, severity=severity, message=message, line=line, excerpt=excerpt)  # type: ignore[arg-type]
