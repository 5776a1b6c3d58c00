"""Publishing is all or nothing: every check before any write, everything put back when a write fails;
never outside the site; credentials in a push remote never shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.review.app import create_app
from pipeline.review.drafts import load_state
from tests.conftest import git, write_post

SECRET = "s3cret-token-9f2"


def draft_in(genpost, tmp_path: Path, *extra: str) -> Path:
    run = write_post(genpost, tmp_path / "out", *extra)
    assert run.code == 0, run.stderr
    return Path(run.last_line)


def snapshot(draft: Path, site: Path) -> dict[str, str | None]:
    """Everything a publish may change: the site's files, the draft's record and review state."""
    files = [p for p in site.rglob("*") if p.is_file() and ".git" not in p.parts]
    files += [draft.with_suffix(".json"), draft.with_suffix(".review.json")]
    return {str(p): (p.read_text(encoding="utf-8") if p.exists() else None) for p in files}


def refused_cleanly(run, draft: Path, site: Path, before: dict, code: int = 1) -> str:
    assert run.code == code, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("genpost: error: "), run.stderr
    assert not (site / "_posts" / draft.name).exists(), "nothing reached _posts"
    assert snapshot(draft, site) == before, "the site, the record and the review state are as they were"
    assert load_state(draft).status == "draft"
    return lines[0]


def test_a_commit_refused_by_a_hook_puts_everything_back(llm, unsplash, genpost, tmp_path, git_site):
    site, _ = git_site
    path = draft_in(genpost, tmp_path)
    hook = site / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'no posts on Fridays' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = snapshot(path, site)
    head = git(site, "rev-parse", "HEAD")
    line = refused_cleanly(genpost("publish", str(path), "--site", str(site), "--force"), path, site, before)
    assert "no posts on Fridays" in line
    assert git(site, "rev-parse", "HEAD") == head and git(site, "status", "--porcelain") == ""

    hook.unlink()
    assert genpost("publish", str(path), "--site", str(site), "--force").code == 0, "and it can be published later"
    assert (site / "_posts" / path.name).exists() and load_state(path).status == "published"


@pytest.mark.parametrize("busy", ["MERGE_HEAD", "index.lock", "rebase-merge"])
def test_a_repository_in_the_middle_of_something_is_refused_first(llm, genpost, tmp_path, git_site, busy):
    site, _ = git_site
    path = draft_in(genpost, tmp_path)
    marker = site / ".git" / busy
    if busy == "rebase-merge":
        marker.mkdir()
    else:
        marker.write_text(git(site, "rev-parse", "HEAD"), encoding="utf-8")
    before = snapshot(path, site)
    line = refused_cleanly(genpost("publish", str(path), "--site", str(site), "--force"), path, site, before)
    assert "not ready" in line


def test_a_push_to_an_unknown_remote_is_refused_before_anything_is_written(
    llm, genpost, tmp_path, git_site, monkeypatch
):
    site, _ = git_site
    config = tmp_path / "genpost.yml"
    config.write_text("publish:\n  push:\n    enabled: true\n    remote: upstream\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    path = draft_in(genpost, tmp_path)
    before = snapshot(path, site)
    line = refused_cleanly(genpost("publish", str(path), "--site", str(site), "--force"), path, site, before)
    assert "no remote 'upstream'" in line


def test_posts_that_lead_out_of_the_site_are_refused(llm, genpost, tmp_path, site):
    path = draft_in(genpost, tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    real_posts = site / "_posts"
    real_posts.rename(tmp_path / "old-posts")
    (site / "_posts").symlink_to(outside, target_is_directory=True)
    run = genpost("publish", str(path), "--site", str(site), "--force")
    assert run.code == 2 and "leads out of the site" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert list(outside.iterdir()) == [] and load_state(path).status == "draft"


def test_a_post_path_that_is_a_link_is_refused(llm, genpost, tmp_path, site):
    path = draft_in(genpost, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    (site / "_posts" / path.name).symlink_to(victim)
    run = genpost("publish", str(path), "--site", str(site), "--force")
    assert run.code == 2 and "is a link" in run.stderr
    assert victim.read_text(encoding="utf-8") == "keep me\n" and load_state(path).status == "draft"


def test_a_ledger_folder_that_leads_out_of_the_site_is_refused(llm, genpost, tmp_path, site):
    path = draft_in(genpost, tmp_path)
    outside = tmp_path / "ledger-elsewhere"
    outside.mkdir()
    (site / ".genpost").symlink_to(outside, target_is_directory=True)
    run = genpost("publish", str(path), "--site", str(site), "--force")
    assert run.code == 2 and "leads out of the site" in run.stderr
    assert list(outside.iterdir()) == [] and not (site / "_posts" / path.name).exists()


def test_a_different_post_of_the_same_name_is_refused_before_anything_changes(llm, genpost, tmp_path, site):
    path = draft_in(genpost, tmp_path)
    (site / "_posts" / path.name).write_text("---\ntitle: someone else's\n---\n", encoding="utf-8")
    before = snapshot(path, site)
    run = genpost("publish", str(path), "--site", str(site), "--force")
    assert run.code == 1 and "already exists" in run.stderr
    assert snapshot(path, site) == before and load_state(path).status == "draft"


def test_credentials_in_the_push_remote_are_masked_everywhere(llm, genpost, tmp_path, git_site, monkeypatch):
    site, _ = git_site
    remote = f"https://genpost-bot:{SECRET}@127.0.0.1:9/site.git"  # nothing listens on port 9
    config = tmp_path / "genpost.yml"
    config.write_text(f"publish:\n  push:\n    enabled: true\n    remote: {remote}\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    first = draft_in(genpost, tmp_path / "a")
    run = genpost("publish", str(first), "--site", str(site), "--force", "-v")
    assert run.code == 1 and "push to https://***@127.0.0.1:9/site.git failed" in run.stderr
    assert SECRET not in run.stdout + run.stderr

    second = draft_in(genpost, tmp_path / "b", "--date", "2025-12-20T01:00:00Z")
    out = second.parent
    app = create_app(out, site, load_settings(), load_instincts(), allowed_hosts=["testserver"])
    client = TestClient(app, follow_redirects=False)
    page = client.get(f"/drafts/{second.name}").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post(f"/drafts/{second.name}/publish", data={"csrf": token, "force": "on"})
    assert answer.status_code == 303 and SECRET not in answer.headers["location"], answer.text
    shown = client.get(answer.headers["location"]).text
    assert "プッシュに失敗" in shown and SECRET not in shown
    for path in (first, second):
        for kept in (path.with_suffix(".json"), path.with_suffix(".review.json")):
            assert SECRET not in kept.read_text(encoding="utf-8")
    assert SECRET not in git(site, "log", "--format=%B")
