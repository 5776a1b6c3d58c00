"""Drafts and run records in `out/`: written atomically, never clobbering another."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import UsageError


def ensure_dir(path: Path) -> Path:
    """Create `path` as a directory, or fail with a usage error that names it."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {path} cannot be created: {exc.strerror}") from None
    return path


def _temp_file(directory: Path, text: str) -> Path:
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(name)


def claim_write(directory: Path, filename: str, text: str) -> Path:
    """Write `text` under `filename`, or `stem-2.md`, `stem-3.md`… if taken.

    The file appears whole (hard link of a finished temp file) and an existing
    file is never replaced, even by another process racing for the same name.
    """
    tmp = _temp_file(directory, text)
    stem, suffix = os.path.splitext(filename)
    try:
        for n in range(1, 1000):
            target = directory / (filename if n == 1 else f"{stem}-{n}{suffix}")
            try:
                os.link(tmp, target)
                return target
            except FileExistsError:
                continue
        raise UsageError(f"too many drafts named {filename} in {directory}")
    finally:
        tmp.unlink(missing_ok=True)


def replace_write(path: Path, text: str) -> Path:
    """Write `path` whole, replacing what was there (temp file + rename)."""
    tmp = _temp_file(path.parent, text)
    os.replace(tmp, path)
    return path


def write_draft(out_dir: Path, filename: str, markdown: str, record: Callable[[str], str]) -> Path:
    """The draft `.md` and its run record `.json` beside it; returns the draft's path.

    `record(name)` gives the record's JSON once the draft's final name is known;
    if the record cannot be written, the draft is removed again.
    """
    ensure_dir(out_dir)
    draft = claim_write(out_dir, filename, markdown)
    try:
        replace_write(draft.with_suffix(".json"), record(draft.name))
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
    return draft
