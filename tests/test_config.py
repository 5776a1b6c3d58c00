"""Settings files: the shipped ones load, broken ones fail with file and line."""

from __future__ import annotations

import re

import pytest

from pipeline.config import load_settings
from pipeline.config_comments import with_comments
from pipeline.errors import UsageError
from pipeline.instincts import load_instincts
from pipeline.paths import PROJECT_ROOT
from pipeline.settings_doc import CONFIG, README, rows, with_table


def test_shipped_config_is_the_reference_site():
    settings = load_settings(PROJECT_ROOT / "genpost.yml")
    assert settings.site.author == "LeadFive AI" and settings.site.timezone == "Asia/Tokyo"
    assert settings.cta.link == "/contact/" and settings.lengths.reading_chars_per_minute == 500
    assert settings.llm.prices["gpt-4o-mini"].output > 0
    assert "AIマーケティング" in settings.site.categories


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("site:\n  author: ok\n  name: [unclosed\n", r"genpost\.yml:\d+"),  # YAML syntax
        ("site:\n  autor: typo\n", r"genpost\.yml:2: site\.autor"),  # an unknown key
        ("# c\nllm:\n  models: {}\nsite:\n  layout: x\n  timezone: Mars/Olympus\n", r"genpost\.yml:6: site\.timezone"),
        ("llm:\n  retry:\n    attempts: 0\n", r"genpost\.yml:3: llm\.retry\.attempts"),
        ("budget:\n  max_tokens: -1\n", r"genpost\.yml:2: budget\.max_tokens"),
    ],
)
def test_a_broken_config_names_file_line_and_key(tmp_path, text, where):
    bad = tmp_path / "genpost.yml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=where):
        load_settings(bad)


def test_timeout_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GENPOST_LLM_TIMEOUT", "7.5")
    assert load_settings(tmp_path / "missing.yml").llm.timeout == 7.5
    monkeypatch.setenv("GENPOST_LLM_TIMEOUT", "soon")
    with pytest.raises(UsageError, match="GENPOST_LLM_TIMEOUT"):
        load_settings(tmp_path / "missing.yml")


def test_broken_instincts_file_is_named(tmp_path):
    bad = tmp_path / "instincts.yml"
    bad.write_text("instincts:\n  learning:\n    name: 学習本能\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"instincts\.yml:2: instincts\.learning\.triggers"):
        load_instincts(bad)


def test_broken_config_exits_2(llm, genpost, tmp_path, monkeypatch):
    bad = tmp_path / "genpost.yml"
    bad.write_text("llm: [\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(bad))
    run = genpost("--instinct", "learning", "--keywords", "x", "--out", str(tmp_path / "out"))
    assert run.code == 2 and str(bad) in run.stderr and run.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--instinct", "sleepy", "--keywords", "x"], "survival"),
        (["--instinct", "learning", "--keywords", "x", "--structure", "listicle"], "howTo"),
        (["--instinct", "learning", "--keywords", " "], "keyword"),
        (["--instinct", "learning", "--keywords", "x", "--date", "tomorrow"], "--date"),
        (["--instinct", "learning"], "--keywords"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(llm, genpost, args, needle):
    run = genpost(*args)
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and needle in run.stderr and "Traceback" not in run.stderr
    assert not llm.chat_bodies(), "nothing reaches the model on bad input"


def test_out_that_cannot_be_a_directory_exits_2(llm, genpost, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    for out in (blocker, blocker / "sub"):
        run = genpost("--instinct", "learning", "--keywords", "x", "--out", str(out))
        assert run.code == 2 and "--out" in run.stderr and run.stderr.count("\n") == 1
    assert not llm.chat_bodies()


def test_broken_instincts_file_exits_2_with_file_and_line(llm, genpost, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "instincts.yml").write_text("instincts:\n  learning:\n    name: [\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_HOME", str(home))
    run = genpost("--instinct", "learning", "--keywords", "x", "--out", str(tmp_path / "out"))
    assert run.code == 2 and f"{home / 'instincts.yml'}:" in run.stderr and run.stderr.count("\n") == 1
    assert re.search(r"instincts\.yml:\d+:", run.stderr)


def test_every_setting_is_documented_once():
    documented = rows()
    assert len(documented) > 60 and all(meaning for _, _, meaning in documented)
    assert len({key for key, _, _ in documented}) == len(documented)


def test_the_readme_settings_table_is_current():
    readme = README.read_text(encoding="utf-8")
    assert with_table(readme) == readme, "the README's table is stale: run `python -m pipeline.settings_doc --write`"


def test_the_genpost_yml_comments_are_the_settings_descriptions():
    shipped = CONFIG.read_text(encoding="utf-8")
    assert with_comments(shipped) == shipped, (
        "genpost.yml's comments disagree with config.py: run `python -m pipeline.settings_doc --write`"
    )
    layout = "  layout: blog-post                     # front-matter `layout`"
    timezone = (
        "  # timezone: Asia/Tokyo                # the zone of the post's day: file date, calendar weekday, years"
    )
    assert layout in shipped.splitlines() and timezone in shipped.splitlines(), "a commented-out key has its comment"
