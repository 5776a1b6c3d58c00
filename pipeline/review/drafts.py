"""Drafts in out/: their names, run records and review state (`out/DATE-SLUG.review.json`), and the list of them.

The review app, `publish` and the CLI twins all read and write drafts through this module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, Field, ValidationError

from pipeline import frontmatter
from pipeline.document import FrontMatter
from pipeline.errors import GenpostError, UsageError
from pipeline.review.history import Version
from pipeline.site.posts import POST_NAME, name_day
from pipeline.store import replace_write
from pipeline.types import RunRecord

Status = Literal["draft", "approved", "rejected", "published"]
LOCK_WAIT_S = 30.0


class Pending(BaseModel):
    """A regenerated section waiting for the editor to accept or discard it."""

    part: str
    value: Any
    note: str = ""


class ReviewState(BaseModel):
    status: Status = "draft"
    note: str = ""
    history: list[dict[str, str]] = Field(default_factory=list)  # status changes
    versions: list[Version] = Field(default_factory=list)  # the texts, each kept (pipeline/review/history.py)
    pending: Pending | None = None

    def mark(self, status: Status, note: str = "") -> None:
        self.status = status
        if note:
            self.note = note
        self.history.append({"at": datetime.now(UTC).isoformat(timespec="seconds"), "status": status, "note": note})


class DraftBusy(UsageError):
    """Another process held the draft's lock for longer than a save waits."""


def draft_lock(draft: Path, timeout: float | None = None) -> FileLock:
    """The lock every read-modify-write of `draft` (its text, review state and record) is done under, across
    processes; waits `timeout` seconds (default LOCK_WAIT_S). Not reentrant across lock objects: take it once,
    around code that does not take it again."""
    folder = draft.parent / ".genpost" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / f"{draft.name}.lock"), timeout=LOCK_WAIT_S if timeout is None else timeout)


@contextmanager
def locked(draft: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the draft's lock; DraftBusy (in Japanese) if it is not free within `timeout` seconds."""
    lock = draft_lock(draft, timeout)
    try:
        lock.acquire()
    except Timeout:
        raise DraftBusy(
            "ほかの保存や差し替えが終わらないため、この下書きを書き換えられませんでした。"
            "しばらくしてからもう一度試してください"
        ) from None
    try:
        yield
    finally:
        lock.release()


def state_path(draft: Path) -> Path:
    return draft.with_suffix(".review.json")


def load_state(draft: Path) -> ReviewState:
    try:
        return ReviewState.model_validate_json(state_path(draft).read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return ReviewState()


def save_state(draft: Path, state: ReviewState) -> None:
    replace_write(state_path(draft), state.model_dump_json(indent=2))


class UnreadableRecord(GenpostError):
    """A run record that is there but does not load: shown as unreadable, never as a draft with no findings."""


def record_path(draft: Path) -> Path:
    return draft.with_suffix(".json")


def genposts_own(record: RunRecord | None) -> bool:
    """A draft genpost wrote whole, held to the reference format; not a refresh of a site's post (held to the site's
    format, as the site's posts are), nor a post with no run record."""
    return record is not None and record.refresh is None


def read_record(draft: Path) -> RunRecord | None:
    """The draft's run record; None when it has none; UnreadableRecord (one line) when it does not load."""
    path = record_path(draft)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableRecord(f"{path.name}: the run record cannot be read ({type(exc).__name__})") from None
    try:
        return RunRecord.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "JSON"
        raise UnreadableRecord(
            f"{path.name}: the run record does not load ({exc.error_count()} problem(s); first at {where}: "
            f"{first['msg']})"
        ) from None


def load_record(draft: Path) -> RunRecord | None:
    """The run record where one is only helpful (a check's citations, a save's findings): None if it does not load."""
    try:
        return read_record(draft)
    except UnreadableRecord:
        return None


def save_record(draft: Path, record: RunRecord) -> None:
    """The draft's run record, rewritten whole."""
    replace_write(record_path(draft), record.model_copy(update={"draft": draft.name}).model_dump_json(indent=2))


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
    errors: int | None  # None: the run record does not load (see `unreadable`)
    warnings: int | None
    tokens: int
    cost: float
    unreadable: str = ""  # why the run record does not load

    @property
    def blocked(self) -> bool:
        """Not publishable as it stands: its run record holds gate errors (publish refuses it without --force), and it
        is not published yet."""
        return bool(self.errors) and self.status != "published"

    @property
    def verdict(self) -> str:
        """Whether it can be published, for `genpost drafts`: "not publishable (N errors)", or "" (a draft with no
        errors, a published one, one whose record does not load)."""
        if not self.blocked:
            return ""
        return f"not publishable ({self.errors} error{'s' if self.errors != 1 else ''})"

    @property
    def verdict_ja(self) -> str:
        """The same for the review app: 「公開不可（エラー5件）」, or ""."""
        return f"公開不可（エラー{self.errors}件）" if self.blocked else ""


def list_drafts(out_dir: Path) -> list[DraftInfo]:
    """Every draft in `out_dir`, newest first, with its state and run-record figures."""
    drafts = []
    for path in sorted(out_dir.glob("*.md"), reverse=True):
        if not POST_NAME.match(path.name):
            continue
        try:
            front = FrontMatter(frontmatter.split(path.read_text(encoding="utf-8"))[0])
        except (OSError, UnicodeDecodeError, ValueError):
            front = FrontMatter()
        unreadable = ""
        try:
            record = read_record(path)
        except UnreadableRecord as exc:
            record, unreadable = None, str(exc)
        findings = record.findings if record else []
        totals = record.totals if record else {}
        drafts.append(
            DraftInfo(
                name=path.name,
                path=path,
                title=front.title or path.stem,
                date=str(name_day(path.name) or ""),
                instinct=front.instinct,
                keyword=(front.keywords or [""])[0],  # the tags are no keyword here
                status=load_state(path).status,
                errors=None if unreadable else sum(f.severity == "error" for f in findings),
                warnings=None if unreadable else sum(f.severity == "warning" for f in findings),
                tokens=int(totals.get("prompt_tokens", 0) + totals.get("completion_tokens", 0)),
                cost=float(totals.get("cost_usd", 0.0)),
                unreadable=unreadable,
            )
        )
    return drafts


def mark(draft: Path, status: Status, note: str = "") -> ReviewState:
    """The draft's review state marked `status` (with a note), under the draft's lock."""
    with locked(draft):
        state = load_state(draft)
        state.mark(status, note)
        save_state(draft, state)
    return state


def approve(draft: Path, note: str = "") -> ReviewState:
    return mark(draft, "approved", note.strip())


def reject(draft: Path, note: str) -> ReviewState:
    if not note.strip():
        raise UsageError("a rejection needs a note (--note)")
    return mark(draft, "rejected", note.strip())
