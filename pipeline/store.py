"""Drafts, run records and checkpoints in `out/`: written atomically, never clobbering another."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from pipeline.errors import UsageError

log = logging.getLogger("genpost")


def ensure_dir(path: Path) -> Path:
    """Create `path` as a directory, or fail with a usage error that names it."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {path} cannot be created: {exc.strerror}") from None
    return path


def ensure_writable(out_dir: Path) -> Path:
    """`out_dir` and its `.genpost/` created and proven writable (a file made and removed in each), or a usage
    error naming the folder: a draft folder that cannot be written fails before any model call, not after."""
    for folder in (ensure_dir(out_dir), out_dir / ".genpost"):
        try:
            folder.mkdir(exist_ok=True)
            fd, name = tempfile.mkstemp(dir=folder, prefix=".probe-")
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            raise UsageError(f"--out {out_dir} cannot be written ({folder.name}: {exc.strerror})") from None
    return out_dir


def read_exact(path: Path, errors: str = "strict") -> str:
    """A text file as it is on disk, UTF-8, its line breaks kept (`read_text` turns CR LF into LF): a site's CR LF
    post stays CR LF through a refresh and a publish."""
    return path.read_bytes().decode("utf-8", errors=errors)


def new_file_mode() -> int:
    """The mode `open()` gives a new file here: 0o666 less the process's umask (a site's posts are 0644, not the
    0600 of a temp file)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read the umask by setting it, and put it straight back
    os.umask(mask)
    return 0o666 & ~mask


def _temp_file(directory: Path, text: str, mode: int | None = None) -> Path:
    """`text` in a new hidden file in `directory`, on disk, with `mode` (default: a new file's); removed again
    if the write fails."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        os.fchmod(fd, new_file_mode() if mode is None else mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(name)
        raise
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
    """Write `path` whole, replacing what was there (temp file + rename), keeping the mode it had."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = None
    tmp = _temp_file(path.parent, text, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class FileSnapshot:
    """Text files as they were (or their absence), put back whole if a change of several fails halfway."""

    def __init__(self, paths: list[Path]) -> None:
        self.before: dict[Path, str | None] = {}
        for path in paths:
            try:
                self.before[path] = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                self.before[path] = None

    def restore(self) -> None:
        for path, text in self.before.items():
            if text is None:
                path.unlink(missing_ok=True)
            else:
                replace_write(path, text)


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


class Checkpoint:
    """Finished stages of one run under `out/.genpost/checkpoints/<key>/`, reused after a crash.

    The key is a hash of the run's inputs, so re-running the same command finds them.
    Saving is best-effort: a checkpoint that cannot be written costs tokens later, never the run.
    """

    def __init__(self, out_dir: Path, key: str, enabled: bool = True) -> None:
        self.dir = out_dir / ".genpost" / "checkpoints" / key
        self.enabled = enabled
        self.reused: list[str] = []

    def _path(self, name: str) -> Path:
        return self.dir / f"{name}.json"

    def load(self, name: str, kind: Any) -> Any | None:
        """The saved value of `kind` (a pydantic model or a plain type), or None."""
        if not self.enabled:
            return None
        try:
            value = TypeAdapter(kind).validate_json(self._path(name).read_bytes())
        except (OSError, ValidationError):
            return None
        self.reused.append(name)
        return value

    def save(self, name: str, kind: Any, value: Any) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            replace_write(self._path(name), TypeAdapter(kind).dump_json(value, indent=2).decode())
        except OSError as exc:
            log.warning("checkpoint %s not saved: %s", name, exc.strerror)

    async def reuse(self, name: str, kind: Any, make: Callable[[], Awaitable[Any]]) -> Any:
        """The saved value of stage `name`, or `make()`'s, saved for next time."""
        found = self.load(name, kind)
        if found is not None:
            return found
        value = await make()
        self.save(name, kind, value)
        return value

    def clear(self) -> None:
        """Forget this run's stages (after its draft is written)."""
        shutil.rmtree(self.dir, ignore_errors=True)


def run_key(**inputs: Any) -> str:
    """A stable key for a run's inputs."""
    canonical = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]
