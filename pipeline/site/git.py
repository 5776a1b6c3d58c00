"""A site that is a git repository: a published post committed, and pushed when asked.

Through the git command line (the tool every site owner already has and configures: identity,
credentials, hooks). Only the paths genpost wrote are committed (`git commit -- PATHS`), so
whatever else is staged or changed in the site's working tree is left exactly as it was.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import GenpostError

_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")  # https://user:token@host → https://***@host


class GitError(GenpostError):
    """A git command failed."""


class PushFailed(GitError):
    """The post is committed in the site, but the push failed: the commit stays."""

    def __init__(self, message: str, commit: str | None, remote: str, reason: str) -> None:
        super().__init__(message)
        self.commit, self.remote, self.reason = commit, remote, reason


@dataclass
class Pushed:
    remote: str
    branch: str


def _git(site: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(["git", "-C", str(site), *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(masked(f"git {args[0]}: {exc}")) from None
    if check and done.returncode != 0:
        raise GitError(f"git {args[0]} failed: {_first_line(done.stderr or done.stdout)}")
    return done


def masked(text: str) -> str:
    """`text` with the credentials of any URL in it hidden: https://user:token@host → https://***@host."""
    return _CREDENTIALS.sub(r"\1***@", text)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return masked(lines[0] if lines else "no output")


def is_repository(site: Path) -> bool:
    """Is `site` inside a git work tree (and is git installed)?"""
    try:
        done = subprocess.run(
            ["git", "-C", str(site), "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def _identity(site: Path) -> list[str]:
    """A committer for repositories that have none configured (a fresh server)."""
    if _git(site, "config", "user.email", check=False).stdout.strip():
        return []
    return ["-c", "user.name=genpost", "-c", "user.email=genpost@localhost"]


# What an unfinished operation leaves in the git directory: a commit of some paths is refused then.
_BUSY = {
    "index.lock": "another git process is running (index.lock)",
    "MERGE_HEAD": "a merge is in progress",
    "CHERRY_PICK_HEAD": "a cherry-pick is in progress",
    "REVERT_HEAD": "a revert is in progress",
    "rebase-merge": "a rebase is in progress",
    "rebase-apply": "a rebase or am is in progress",
}


def ready_to_commit(site: Path) -> None:
    """Refuse (one line) a repository in which committing the post would fail: mid-merge, mid-rebase, locked."""
    git_dir = Path(_git(site, "rev-parse", "--absolute-git-dir").stdout.strip())
    for name, why in _BUSY.items():
        if (git_dir / name).exists():
            raise GitError(f"the site's repository is not ready: {why}; nothing was published")


def _is_url(remote: str) -> bool:
    return "://" in remote or ":" in remote.split("/")[0] or remote.startswith(("/", "."))


def ready_to_push(site: Path, remote: str, branch: str) -> None:
    """Refuse (one line) a push that cannot be made: an unknown remote, or no branch to push to."""
    if not _is_url(remote) and _git(site, "remote", "get-url", remote, check=False).returncode != 0:
        raise GitError(f"the site's repository has no remote {masked(remote)!r}; nothing was published")
    if not branch and _git(site, "symbolic-ref", "--quiet", "HEAD", check=False).returncode != 0:
        raise GitError("the site's repository is on no branch (detached HEAD) and publish.push.branch is empty")


def _has_head(site: Path) -> bool:
    return _git(site, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode == 0


def commit(site: Path, paths: list[Path], message: str) -> str | None:
    """Commit exactly `paths` (files under `site`); the commit's id, or None when they hold no change.

    A commit that fails (a hook refuses it, say) leaves the index of those paths as it found it."""
    relative = [str(p.resolve().relative_to(site.resolve())) for p in paths if p.exists()]
    # A file the site's .gitignore names (genpost's own ledger, often) stays out of the commit.
    relative = [p for p in relative if _git(site, "check-ignore", "--quiet", p, check=False).returncode != 0]
    if not relative:
        return None
    _git(site, "add", "--", *relative)
    if _git(site, "diff", "--cached", "--quiet", "--", *relative, check=False).returncode == 0:
        return None
    try:
        _git(site, *_identity(site), "commit", "--quiet", "-m", message, "--", *relative)
    except GitError:
        if _has_head(site):
            _git(site, "reset", "--quiet", "--", *relative, check=False)
        else:
            _git(site, "rm", "--cached", "--quiet", "--", *relative, check=False)
        raise
    return _git(site, "rev-parse", "HEAD").stdout.strip()


def push(site: Path, remote: str, branch: str) -> Pushed:
    """Push HEAD to `remote`'s `branch` (empty: the current branch's name); the remote is shown masked."""
    target = branch or _git(site, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    _git(site, "push", "--quiet", remote, f"HEAD:refs/heads/{target}")
    return Pushed(masked(remote), target)
