"""What a person types is checked at the door: bounded, printable, in range; exit 2 with one line, before any
model call, wherever it comes from (the command line, a batch file)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import inputs
from pipeline.errors import UsageError
from tests.conftest import DATE, KEYWORDS, ROOT

CONTROL = ["\x00", "\x1b[31m", "\x07", "\x7f", "\x9b"]


def refused(run, llm, *words: str) -> str:
    assert run.code == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("genpost: error: "), run.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert llm.chat_bodies() == [], "no model call was made"
    return lines[0]


def write(genpost, tmp_path: Path, *args: str):
    return genpost("--instinct", "learning", "--out", str(tmp_path / "out"), "--date", DATE, *args)


def test_a_keyword_longer_than_the_cap_is_refused(llm, genpost, tmp_path):
    run = write(genpost, tmp_path, "--keywords", "あ" * 100_000)
    refused(run, llm, "--keywords 1", "100,000 characters", "at most 100")


def test_too_many_keywords_are_refused(llm, genpost, tmp_path):
    run = write(genpost, tmp_path, "--keywords", *[f"キーワード{n}" for n in range(11)])
    refused(run, llm, "at most 10 keywords")


@pytest.mark.parametrize("control", CONTROL)
def test_control_characters_in_a_keyword_or_theme_are_refused(llm, genpost, tmp_path, control):
    refused(write(genpost, tmp_path, "--keywords", f"AI{control}マーケティング"), llm, "control character")
    refused(write(genpost, tmp_path, "--keywords", *KEYWORDS, "--theme", f"テーマ{control}"), llm, "--theme")


@pytest.mark.parametrize("date", ["0001-01-01", "0001-01-01T00:00:00+09:00", "9999-12-31T23:00:00-05:00", "1969-07-20"])
def test_a_date_out_of_range_is_a_usage_error(llm, genpost, tmp_path, date):
    run = genpost("--instinct", "learning", "--keywords", *KEYWORDS, "--out", str(tmp_path), "--date", date)
    line = refused(run, llm, "--date", "out of range")
    assert "unexpected" not in line


def test_a_batch_file_with_a_control_character_names_the_item(llm, genpost, tmp_path):
    batch = tmp_path / "batch.yml"
    batch.write_text(
        '- instinct: learning\n  keywords: ["AI マーケティング"]\n'
        '- instinct: play\n  keywords: ["ゲーム化"]\n  theme: "遊び\\0のテーマ"\n',
        encoding="utf-8",
    )
    run = genpost("batch", "--file", str(batch), "--out", str(tmp_path / "out"))
    refused(run, llm, "item 2", "theme", "U+0000")
    long = tmp_path / "long.yml"
    long.write_text(f'- instinct: learning\n  keywords: ["{"A" * 101}"]\n', encoding="utf-8")
    refused(genpost("batch", "--file", str(long), "--out", str(tmp_path / "out")), llm, "item 1", "101 characters")


# A run in a child process that drops to an unprivileged user once genpost is imported (as root, every
# folder is writable; the interpreter itself lives where only root may read).
AS_NOBODY = """
import os, sys
from pipeline.cli import main
if os.geteuid() == 0:
    os.setgid(65534)
    os.setuid(65534)
sys.exit(main(sys.argv[1:]))
"""


def test_an_out_folder_that_cannot_be_written_fails_before_any_model_call(llm, tmp_path):
    base = Path(tempfile.mkdtemp(prefix="genpost-ro-"))
    base.chmod(0o755)
    out = base / "out"
    out.mkdir()
    out.chmod(0o555)
    env = {**os.environ, "HOME": str(base), "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-test"}
    args = ["--instinct", "learning", "--keywords", *KEYWORDS, "--out", str(out), "--date", DATE]
    done = subprocess.run(
        [sys.executable, "-c", AS_NOBODY, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"genpost: error: --out {out} cannot be written (out: Permission denied)"
    ]
    assert llm.chat_bodies() == []


def test_an_out_folder_whose_genpost_folder_is_a_file_fails_before_any_model_call(llm, genpost, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".genpost").write_text("not a folder", encoding="utf-8")
    run = genpost("--instinct", "learning", "--keywords", *KEYWORDS, "--out", str(out), "--date", DATE)
    refused(run, llm, f"--out {out} cannot be written", ".genpost")


@given(st.lists(st.text(), max_size=12))
def test_any_keywords_are_accepted_or_refused_with_a_usage_error(values):
    try:
        words = inputs.keywords(values)
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    assert 1 <= len(words) <= inputs.KEYWORDS_MAX
    assert all(w == w.strip() and 0 < len(w) <= inputs.KEYWORD_MAX_CHARS for w in words)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for w in words for c in w)
