"""Files genpost writes get the modes a site's files have: a new file 0o666 less the umask (0644), never the
0600 of a temp file; a file written again keeps its own mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.store import claim_write, new_file_mode, replace_write


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_new_file_has_the_mode_open_gives_it(tmp_path, umask_022):
    assert new_file_mode() == 0o644
    assert mode_of(claim_write(tmp_path, "a.md", "x")) == 0o644
    assert mode_of(replace_write(tmp_path / "b.md", "x")) == 0o644
    os.umask(0o077)
    assert new_file_mode() == 0o600 and mode_of(replace_write(tmp_path / "c.md", "x")) == 0o600


def test_a_file_written_again_keeps_its_mode_and_line_breaks(tmp_path, umask_022):
    post = tmp_path / "post.md"
    post.write_text("x", encoding="utf-8")
    post.chmod(0o664)
    replace_write(post, "---\r\ntitle: a\r\n---\r\nbody\r\n")
    assert mode_of(post) == 0o664
    assert post.read_bytes() == b"---\r\ntitle: a\r\n---\r\nbody\r\n"


def test_a_published_post_and_its_draft_are_0644(llm, genpost, site, tmp_path, umask_022):
    out = str(tmp_path / "out")
    run = genpost("--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--out", out)
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    assert mode_of(draft) == 0o644 and mode_of(draft.with_suffix(".json")) == 0o644
    published = genpost("publish", str(draft), "--site", str(site))
    assert published.code == 0, published.stderr
    assert mode_of(site / "_posts" / draft.name) == 0o644
