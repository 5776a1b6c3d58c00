"""Drafts in out/: their names, run records and review state (`out/DATE-SLUG.review.json`), and the list of them.

The review app, `publish` and the CLI twins all read and write drafts through this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from pipeline import frontmatter
from pipeline.errors import UsageError
from pipeline.history import Version
from pipeline.site import POST_NAME
from pipeline.store import replace_write
from pipeline.types import RunRecord

Status = Literal["draft", "approved", "rejected", "published"]


class Pending(BaseModel):
    """A regenerated section waiting for the editor to accept or discard it."""

    part: str
    value: Any
    note: str = ""


class ReviewState(BaseModel):
    status: Status = "draft"
    note: str = ""
    history: list[dict[str, str]] = Field(default_factory=list)  # status changes
    versions: list[Version] = Field(default_factory=list)  # the texts, each kept (pipeline/history.py)
    pending: Pending | None = None

    def mark(self, status: Status, note: str = "") -> None:
        self.status = status
        if note:
            self.note = note
        self.history.append({"at": datetime.now(UTC).isoformat(timespec="seconds"), "status": status, "note": note})


def state_path(draft: Path) -> Path:
    return draft.with_suffix(".review.json")


def load_state(draft: Path) -> ReviewState:
    try:
        return ReviewState.model_validate_json(state_path(draft).read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return ReviewState()


def save_state(draft: Path, state: ReviewState) -> None:
    replace_write(state_path(draft), state.model_dump_json(indent=2))


def load_record(draft: Path) -> RunRecord | None:
    try:
        return RunRecord.model_validate_json(draft.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return None


def save_record(draft: Path, record: RunRecord) -> None:
    """The draft's run record, rewritten whole."""
    replace_write(draft.with_suffix(".json"), record.model_copy(update={"draft": draft.name}).model_dump_json(indent=2))


def draft_path(out_dir: Path, name: str) -> Path:
    """The draft called `name` inside `out_dir`; anything else (a path, `..`, a stranger) is refused."""
    candidate = out_dir / name
    if "/" in name or "\\" in name or not POST_NAME.match(name) or not name.endswith(".md"):
        raise UsageError(f"{name!r} is not a draft name")
    if candidate.resolve().parent != out_dir.resolve() or not candidate.is_file():
        raise UsageError(f"no draft {name!r} in {out_dir}")
    return candidate


@dataclass
class DraftInfo:
    name: str
    path: Path
    title: str
    date: str
    instinct: str
    keyword: str
    status: Status
    errors: int
    warnings: int
    tokens: int
    cost: float


def list_drafts(out_dir: Path) -> list[DraftInfo]:
    """Every draft in `out_dir`, newest first, with its state and run-record figures."""
    drafts = []
    for path in sorted(out_dir.glob("*.md"), reverse=True):
        if not POST_NAME.match(path.name):
            continue
        try:
            front, _ = frontmatter.split(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            front = {}
        record = load_record(path)
        keywords = front.get("seo_keywords") or [""]
        findings = record.findings if record else []
        totals = record.totals if record else {}
        drafts.append(
            DraftInfo(
                name=path.name,
                path=path,
                title=str(front.get("title") or path.stem),
                date=path.name[:10],
                instinct=str(front.get("instinct") or ""),
                keyword=str(keywords[0]) if isinstance(keywords, list) and keywords else "",
                status=load_state(path).status,
                errors=sum(f.severity == "error" for f in findings),
                warnings=sum(f.severity == "warning" for f in findings),
                tokens=int(totals.get("prompt_tokens", 0) + totals.get("completion_tokens", 0)),
                cost=float(totals.get("cost_usd", 0.0)),
            )
        )
    return drafts


def reject(draft: Path, note: str) -> ReviewState:
    if not note.strip():
        raise UsageError("a rejection needs a note (--note)")
    state = load_state(draft)
    state.mark("rejected", note.strip())
    save_state(draft, state)
    return state
