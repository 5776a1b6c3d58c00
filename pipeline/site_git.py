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
        raise GitError(f"git {args[0]}: {exc}") from None
    if check and done.returncode != 0:
        raise GitError(f"git {args[0]} failed: {_first_line(done.stderr or done.stdout)}")
    return done


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _CREDENTIALS.sub(r"\1***@", lines[0] if lines else "no output")


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


def commit(site: Path, paths: list[Path], message: str) -> str | None:
    """Commit exactly `paths` (files under `site`); the commit's id, or None when they hold no change."""
    relative = [str(p.resolve().relative_to(site.resolve())) for p in paths if p.exists()]
    # A file the site's .gitignore names (genpost's own ledger, often) stays out of the commit.
    relative = [p for p in relative if _git(site, "check-ignore", "--quiet", p, check=False).returncode != 0]
    if not relative:
        return None
    _git(site, "add", "--", *relative)
    if _git(site, "diff", "--cached", "--quiet", "--", *relative, check=False).returncode == 0:
        return None
    _git(site, *_identity(site), "commit", "--quiet", "-m", message, "--", *relative)
    return _git(site, "rev-parse", "HEAD").stdout.strip()


def push(site: Path, remote: str, branch: str) -> Pushed:
    """Push HEAD to `remote`'s `branch` (empty: the current branch's name)."""
    target = branch or _git(site, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    _git(site, "push", "--quiet", remote, f"HEAD:refs/heads/{target}")
    return Pushed(remote, target)
