"""Findings for people (one line each, then a summary, in Japanese or English) and for programs (JSON)."""

from __future__ import annotations

from pathlib import Path

from pipeline.quality import errors, to_confirm
from pipeline.types import Finding

SEVERITY = {"ja": {"error": "エラー", "warning": "警告"}, "en": {"error": "error", "warning": "warning"}}


def report_text(path: Path, findings: list[Finding], lang: str = "ja") -> str:
    """`file:line: severity [rule] message` a finding, then a summary naming the figures to confirm (要確認)."""
    words = SEVERITY[lang]
    lines = []
    for f in findings:
        where = f"{path}:{f.line}" if f.line else str(path)
        lines.append(f"{where}: {words[f.severity]} [{f.rule}] {f.text(lang)}")
    n_errors = len(errors(findings))
    n_warnings = len(findings) - n_errors
    if lang == "ja":
        summary = f"{path}: エラー {n_errors} 件、警告 {n_warnings} 件"
    else:
        summary = f"{path}: {n_errors} error(s), {n_warnings} warning(s)"
    confirm = to_confirm(findings)
    if confirm:
        line = "行目" if lang == "ja" else "line "
        figures = "、".join(
            f"{f.figure} ({line}{f.line})" if lang == "en" else f"{f.figure}（{f.line}{line}）" for f in confirm
        )
        summary += f"; 要確認 {len(confirm)}: {figures}"
    lines.append(summary)
    return "\n".join(lines)


def report_json(path: Path, findings: list[Finding]) -> dict:
    """Counts, the figures to confirm, and every finding with its rule id and both texts."""
    return {
        "file": str(path),
        "errors": len(errors(findings)),
        "warnings": len(findings) - len(errors(findings)),
        "to_confirm": [
            {"line": f.line, "figure": f.figure, "excerpt": f.excerpt, "message": f.message, "message_ja": f.message_ja}
            for f in to_confirm(findings)
        ],
        "findings": [f.model_dump(exclude_none=True) for f in findings],
    }
