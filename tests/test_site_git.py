"""Publishing into a site that is a real git repository, pushed to a real bare remote."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.review.drafts import load_state, save_state
from tests.conftest import git
from tests.postparse import parse_post

KEYWORD = "AI マーケティング 最新トレンド"


def draft(genpost, out: Path, site: Path) -> Path:
    args = ["--instinct", "learning", "--keywords", KEYWORD, "--out", str(out), "--date", "2025-12-16T01:00:00Z"]
    run = genpost(*args, "--site", str(site))
    assert run.code == 0, run.stderr
    return Path(run.last_line)


def test_publish_commits_the_post_and_leaves_other_changes_alone(llm, genpost, tmp_path, git_site):
    site, _ = git_site
    path = draft(genpost, tmp_path / "out", site)
    state = load_state(path)
    state.mark("approved", "見出しを確認済み")
    save_state(path, state)
    # An editor's unfinished work in the site: a changed file, a staged one, an untracked one.
    (site / "_config.yml").write_text("title: changed by hand\n", encoding="utf-8")
    (site / "notes.md").write_text("staged\n", encoding="utf-8")
    git(site, "add", "notes.md")
    (site / "scratch.txt").write_text("untracked\n", encoding="utf-8")

    run = genpost("publish", str(path), "--site", str(site), "--force")
    assert run.code == 0, run.stderr
    assert "committed" in run.stderr and "pushed" not in run.stderr
    files = git(site, "show", "--name-only", "--format=", "HEAD").split()
    assert files == [f"_posts/{path.name}"], "only the post (the ledger has no pings to record)"
    message = git(site, "log", "-1", "--format=%B")
    assert parse_post(path).front["title"] in message and "本能: learning" in message and "見出しを確認済み" in message
    status = git(site, "status", "--porcelain").splitlines()
    assert sorted(status) == [" M _config.yml", "?? scratch.txt", "A  notes.md"]
    assert (site / "_config.yml").read_text(encoding="utf-8") == "title: changed by hand\n"
    assert genpost("publish", str(path), "--site", str(site)).code == 0
    assert len(git(site, "log", "--format=%H").split()) == 2, "publishing again makes no empty commit"


def test_push_sends_the_commit_to_the_remote(llm, genpost, tmp_path, git_site):
    site, remote = git_site
    path = draft(genpost, tmp_path / "out", site)
    run = genpost("publish", str(path), "--site", str(site), "--force", "--push")
    assert run.code == 0, run.stderr
    assert "pushed to origin main" in run.stderr
    assert git(remote, "log", "-1", "--format=%s", "main").startswith("記事を公開: ")
    assert git(remote, "rev-parse", "main") == git(site, "rev-parse", "HEAD")


def test_push_from_the_settings(llm, genpost, tmp_path, git_site, monkeypatch):
    site, remote = git_site
    config = tmp_path / "genpost.yml"
    config.write_text("publish:\n  push:\n    enabled: true\n    branch: published\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    path = draft(genpost, tmp_path / "out", site)
    assert genpost("publish", str(path), "--site", str(site), "--force").code == 0
    assert path.name in git(remote, "show", "--name-only", "--format=", "published")
    assert genpost("publish", str(path), "--site", str(site), "--no-push").code == 0


def test_a_failed_push_keeps_the_commit_and_exits_1(llm, genpost, tmp_path, git_site):
    site, remote = git_site
    git(site, "remote", "set-url", "origin", "https://user:s3cret-token@127.0.0.1:9/nowhere.git")
    path = draft(genpost, tmp_path / "out", site)
    run = genpost("publish", str(path), "--site", str(site), "--force", "--push")
    assert run.code == 1
    line = run.stderr.strip().splitlines()[-1]
    assert line.startswith("genpost: error: committed ") and "push to origin failed" in line
    assert "s3cret-token" not in run.stderr, "credentials in a remote URL are never printed"
    assert (site / "_posts" / path.name).exists()
    assert git(site, "log", "-1", "--format=%s").startswith("記事を公開: ")
    assert "記事を公開" not in git(remote, "log", "--format=%s", "main")


def test_a_site_that_is_not_a_repository_publishes_as_before(llm, genpost, tmp_path, site):
    path = draft(genpost, tmp_path / "out", site)
    run = genpost("publish", str(path), "--site", str(site), "--force", "--push")
    assert run.code == 0 and "committed" not in run.stderr
    assert (site / "_posts" / path.name).exists() and not (site / ".git").exists()


def test_the_published_record_keeps_the_history(llm, genpost, tmp_path, git_site):
    site, _ = git_site
    path = draft(genpost, tmp_path / "out", site)
    assert genpost("publish", str(path), "--site", str(site), "--force").code == 0
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    kinds = [v["kind"] for v in record["history"]]
    assert kinds == ["generated", "polished"], "the polish changed the draft"
    assert record["history"][1]["who"].startswith("genpost") and record["history"][1]["diff"].startswith("--- v1")
    assert any(
        line.startswith("+") and "ここまでの背景を踏まえて" in line for line in record["history"][1]["diff"].split("\n")
    )
