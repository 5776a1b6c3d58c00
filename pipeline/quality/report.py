"""Findings for people (one line each, then a summary) and for programs (JSON)."""

from __future__ import annotations

from pathlib import Path

from pipeline.quality import errors, to_confirm
from pipeline.types import Finding


def report_text(path: Path, findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        where = f"{path}:{f.line}" if f.line else str(path)
        lines.append(f"{where}: {f.severity} [{f.rule}] {f.message}")
    n_errors = len(errors(findings))
    summary = f"{path}: {n_errors} error(s), {len(findings) - n_errors} warning(s)"
    confirm = to_confirm(findings)
    if confirm:
        figures = "、".join(f"{f.figure} (line {f.line})" for f in confirm)
        summary += f"; 要確認 {len(confirm)}: {figures}"
    lines.append(summary)
    return "\n".join(lines)


def report_json(path: Path, findings: list[Finding]) -> dict:
    return {
        "file": str(path),
        "errors": len(errors(findings)),
        "warnings": len(findings) - len(errors(findings)),
        "to_confirm": [{"line": f.line, "excerpt": f.excerpt, "message": f.message} for f in to_confirm(findings)],
        "findings": [f.model_dump(exclude_none=True) for f in findings],
    }
