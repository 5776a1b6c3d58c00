"""A draft's versions: what genpost wrote, what the polish and a regenerated part changed, each
editor's save; who and when, and the diff against the version before.

The texts live under `out/.genpost/history/<draft stem>/`, one file a version; the list of them
is in the draft's review state. A published post keeps the list, with its diffs, in its run record.
"""

from __future__ import annotations

import difflib
import getpass
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from pipeline.store import replace_write

Kind = Literal["generated", "polished", "regenerated", "edited", "published", "refreshed"]
KIND_LABELS: dict[str, str] = {
    "generated": "生成",
    "polished": "推敲",
    "regenerated": "部分の書き直し",
    "edited": "手直し",
    "published": "公開中の記事",  # a refresh's first version: the post as the site has it
    "refreshed": "更新",
}


class Version(BaseModel):
    """One version of a draft."""

    number: int
    kind: Kind
    who: str
    at: datetime
    note: str = ""
    stamp: str  # the version stamp of its text

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def stamp_of(text: str) -> str:
    """A short fingerprint of a draft's text: a save names the version it was edited from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def who_runs() -> str:
    """The OS user, for versions written from the command line."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _folder(draft: Path) -> Path:
    return draft.parent / ".genpost" / "history" / draft.stem


def text_path(draft: Path, number: int) -> Path:
    return _folder(draft) / f"v{number:03d}.md"


def keep(draft: Path, versions: list[Version], text: str, kind: Kind, who: str, note: str = "") -> Version:
    """Keep `text` as the draft's next version (the caller saves the list with the review state)."""
    number = versions[-1].number + 1 if versions else 1
    replace_write(text_path(draft, number), text)
    version = Version(number=number, kind=kind, who=who, at=datetime.now(UTC), note=note, stamp=stamp_of(text))
    versions.append(version)
    return version


def keep_change(draft: Path, versions: list[Version], text: str, kind: Kind, who: str, note: str = "") -> Version:
    """Keep the draft's new `text`; a draft from before histories first has what it was kept as generated."""
    if not versions:
        keep(draft, versions, draft.read_text(encoding="utf-8"), "generated", "genpost")
    return keep(draft, versions, text, kind, who, note)


def text_of(draft: Path, number: int) -> str:
    try:
        return text_path(draft, number).read_text(encoding="utf-8")
    except OSError:
        return ""


def diff(draft: Path, number: int) -> list[str]:
    """Version `number` against the one before it, as unified-diff lines (the first version against nothing)."""
    before = text_of(draft, number - 1) if number > 1 else ""
    after = text_of(draft, number)
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), f"v{number - 1}", f"v{number}", lineterm="", n=2
    )
    return list(lines)
