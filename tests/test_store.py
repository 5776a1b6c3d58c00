"""Files in out/: written whole or not at all, never over another, put back when a change fails halfway."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipeline.errors import UsageError
from pipeline.store import (
    Checkpoint,
    FileSnapshot,
    claim_write,
    ensure_dir,
    ensure_writable,
    replace_write,
    run_key,
    write_draft,
)

NAME = "2025-12-15-タイトル.md"


class Stage(BaseModel):
    title: str
    parts: list[str]


def debris(folder: Path) -> list[str]:
    """Temp files left behind."""
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith((".tmp-", ".probe-")))


def test_claim_write_writes_the_text_under_the_name(tmp_path):
    path = claim_write(tmp_path, NAME, "本文\n")
    assert path == tmp_path / NAME and path.read_text(encoding="utf-8") == "本文\n"
    assert debris(tmp_path) == []


def test_claim_write_never_replaces_a_file_it_takes_the_next_name(tmp_path):
    (tmp_path / NAME).write_text("an editor's draft", encoding="utf-8")
    second = claim_write(tmp_path, NAME, "two")
    third = claim_write(tmp_path, NAME, "three")
    assert [second.name, third.name] == ["2025-12-15-タイトル-2.md", "2025-12-15-タイトル-3.md"]
    assert (tmp_path / NAME).read_text(encoding="utf-8") == "an editor's draft"
    assert second.read_text(encoding="utf-8") == "two" and third.read_text(encoding="utf-8") == "three"


def test_claim_write_racing_threads_each_get_their_own_file(tmp_path):
    texts = [f"draft {n}\n" * 200 for n in range(16)]
    paths: list[Path] = []
    barrier = threading.Barrier(len(texts))

    def write(text: str) -> None:
        barrier.wait()
        paths.append(claim_write(tmp_path, NAME, text))

    threads = [threading.Thread(target=write, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(paths)) == len(texts)
    assert sorted(p.read_text(encoding="utf-8") for p in paths) == sorted(texts), "each whole, none mixed"
    assert debris(tmp_path) == []


def test_claim_write_gives_up_after_999_names(tmp_path):
    (tmp_path / NAME).write_text("x")
    for n in range(2, 1000):
        (tmp_path / f"2025-12-15-タイトル-{n}.md").write_text("x")
    with pytest.raises(UsageError, match="too many drafts named"):
        claim_write(tmp_path, NAME, "one more")
    assert debris(tmp_path) == []


def test_a_write_that_fails_leaves_no_temp_file(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        claim_write(tmp_path, NAME, "text")
    with pytest.raises(OSError):
        replace_write(tmp_path / "record.json", "{}")
    assert not any(tmp_path.iterdir())


def test_replace_write_is_whole_or_nothing(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "record.json"
    replace_write(path, '{"old": true}')
    assert path.read_text(encoding="utf-8") == '{"old": true}', "the folder is made"

    def crash(*args):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        replace_write(path, '{"new": true}')
    assert path.read_text(encoding="utf-8") == '{"old": true}' and debris(tmp_path) == []


def test_write_draft_puts_the_record_beside_the_draft_under_its_final_name(tmp_path):
    (tmp_path / NAME).write_text("taken", encoding="utf-8")
    draft = write_draft(tmp_path, NAME, "markdown", lambda name: f'{{"draft": "{name}"}}')
    assert draft.name == "2025-12-15-タイトル-2.md"
    assert draft.with_suffix(".json").read_text(encoding="utf-8") == '{"draft": "2025-12-15-タイトル-2.md"}'


def test_write_draft_removes_the_draft_when_its_record_fails(tmp_path):
    def broken(name: str) -> str:
        raise RuntimeError("the record cannot be made")

    with pytest.raises(RuntimeError):
        write_draft(tmp_path / "out", NAME, "markdown", broken)
    assert list((tmp_path / "out").iterdir()) == []


def test_ensure_writable_makes_the_folders_and_leaves_nothing_behind(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    assert ensure_writable(out) == out
    assert (out / ".genpost").is_dir() and debris(out) == []


@pytest.mark.parametrize("where", ["file", "under a file"])
def test_an_out_that_cannot_be_a_folder_is_a_usage_error(tmp_path, where):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    out = blocker if where == "file" else blocker / "out"
    with pytest.raises(UsageError, match=f"--out {out}"):
        ensure_writable(out)
    with pytest.raises(UsageError, match="--out"):
        ensure_dir(out)


def test_an_out_that_refuses_files_is_a_usage_error(tmp_path, monkeypatch):
    """A read-only folder (or a full disk): the probe file cannot be made (as root, chmod would not stop it)."""

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(UsageError, match=r"--out .* cannot be written \(out: Permission denied\)"):
        ensure_writable(tmp_path / "out")


def test_a_genpost_folder_that_is_a_file_is_a_usage_error(tmp_path):
    (tmp_path / ".genpost").write_text("x")
    with pytest.raises(UsageError, match=r"cannot be written \(\.genpost"):
        ensure_writable(tmp_path)


def test_file_snapshot_puts_back_every_file_as_it_was(tmp_path):
    kept, made = tmp_path / "post.md", tmp_path / "_posts" / "new.md"
    kept.write_text("before", encoding="utf-8")
    snapshot = FileSnapshot([kept, made])
    kept.write_text("halfway", encoding="utf-8")
    made.parent.mkdir()
    made.write_text("new", encoding="utf-8")
    snapshot.restore()
    assert kept.read_text(encoding="utf-8") == "before" and not made.exists()
    kept.unlink()
    snapshot.restore()
    assert kept.read_text(encoding="utf-8") == "before", "a file removed since is written back"
    assert debris(tmp_path) == []


def test_a_checkpoint_keeps_models_and_plain_values(tmp_path):
    first = Checkpoint(tmp_path, "key1")
    first.save("plan", Stage, Stage(title="題", parts=["a", "b"]))
    first.save("ids", list[str], ["x", "y"])
    again = Checkpoint(tmp_path, "key1")
    assert again.load("plan", Stage) == Stage(title="題", parts=["a", "b"])
    assert again.load("ids", list[str]) == ["x", "y"] and again.reused == ["plan", "ids"]
    assert Checkpoint(tmp_path, "key2").load("plan", Stage) is None, "another run's key sees nothing"


def test_a_disabled_checkpoint_loads_nothing(tmp_path):
    Checkpoint(tmp_path, "key").save("plan", Stage, Stage(title="t", parts=[]))
    fresh = Checkpoint(tmp_path, "key", enabled=False)
    assert fresh.load("plan", Stage) is None and fresh.reused == []


@pytest.mark.parametrize("damage", ["{not json", '{"title": 3}', "", '["a list"]'])
def test_a_damaged_checkpoint_is_ignored(tmp_path, damage):
    checkpoint = Checkpoint(tmp_path, "key")
    checkpoint.dir.mkdir(parents=True)
    (checkpoint.dir / "plan.json").write_text(damage, encoding="utf-8")
    assert checkpoint.load("plan", Stage) is None and checkpoint.reused == []


def test_reuse_makes_a_stage_once_then_loads_it(tmp_path):
    made: list[int] = []

    async def make() -> Stage:
        made.append(1)
        return Stage(title="t", parts=["p"])

    for _ in range(2):
        assert asyncio.run(Checkpoint(tmp_path, "key").reuse("plan", Stage, make)) == Stage(title="t", parts=["p"])
    assert made == [1]
    checkpoint = Checkpoint(tmp_path, "key")
    checkpoint.clear()
    assert not checkpoint.dir.exists() and checkpoint.load("plan", Stage) is None


def test_a_checkpoint_that_cannot_be_saved_costs_a_warning_not_the_run(tmp_path, caplog):
    (tmp_path / ".genpost").write_text("a file where the folder goes")
    Checkpoint(tmp_path, "key").save("plan", Stage, Stage(title="t", parts=[]))
    assert "checkpoint plan not saved" in caplog.text


def test_run_key_is_stable_and_changes_with_any_input():
    key = run_key(instinct="learning", keywords=["a", "b"], date="2025-12-15")
    assert key == run_key(date="2025-12-15", keywords=["a", "b"], instinct="learning"), "order does not matter"
    assert len(key) == 20 and key.isalnum()
    assert key != run_key(instinct="learning", keywords=["b", "a"], date="2025-12-15")
    assert key != run_key(instinct="learning", keywords=["a", "b"], date="2025-12-16")
