"""A refresh as a draft in out/: its run record (which `_posts/` file it replaces, and why), its history (the
published post first), and what publish and the review app ask of it."""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from pathlib import Path

from pipeline.errors import GenpostError, UsageError
from pipeline.refresh.sources import Ledger
from pipeline.review.drafts import load_record, load_state, save_state
from pipeline.review.history import keep, text_of, who_runs
from pipeline.store import read_exact, write_draft
from pipeline.types import Finding, Refresh, RunRecord

PUBLISHED_VERSION = 1  # a refresh's history starts with the post as the site has it


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draft_name(target: Path) -> str:
    """The draft's name: the post's own (a draft in out/ is a `.md`)."""
    return f"{target.stem}.md"


def write(out_dir: Path, target: Path, published: str, text: str, record: RunRecord) -> Path:
    """The draft and its record in out/ (beside another draft of the same name it gets `-2`: the record says
    which post it replaces); its history: the published post, then the refresh."""

    def record_json(name: str) -> str:
        return record.model_copy(update={"draft": name}).model_dump_json(indent=2)

    path = write_draft(out_dir, draft_name(target), text, record_json)
    state = load_state(path)
    keep(path, state.versions, published, "published", "site")
    note = "更新の理由: " + " / ".join(r.message for r in record.refresh.reasons) if record.refresh else ""
    keep(path, state.versions, text, "refreshed", f"genpost ({who_runs()})", note[:300])
    save_state(path, state)
    return path


def open_refreshes(out_dir: Path) -> dict[str, Path]:
    """The refresh drafts in out/ still waiting for review (not published, not rejected), by the file they
    replace (`_posts/…`)."""
    found: dict[str, Path] = {}
    for path in sorted(out_dir.glob("*.md")):
        record = load_record(path)
        if record is None or record.refresh is None:
            continue
        if load_state(path).status not in ("published", "rejected"):
            found.setdefault(record.refresh.target, path)
    return found


def target_of(site: Path, refresh: Refresh) -> Path:
    """The `_posts/` file a refresh replaces, refused (exit 2) when it is not a file inside the site's `_posts/`
    or is a link."""
    posts = site / "_posts"
    if not posts.is_dir():
        raise UsageError(f"--site {site} has no _posts/ directory")
    relative = Path(refresh.target)
    if relative.parts[:1] != ("_posts",) or ".." in relative.parts or relative.is_absolute():
        raise UsageError(f"the refresh names {refresh.target}, which is not a post of the site; nothing was published")
    target = site / relative
    root = posts.resolve()
    if target.is_symlink() or not target.resolve().is_relative_to(root) or not target.is_file():
        raise UsageError(f"{target} is not a post of {site} (missing, or a link); nothing was published")
    return target


def check_base(target: Path, refresh: Refresh, clean: str) -> None:
    """Refuse a refresh of a post that changed on the site since the refresh was made (its change would be lost)."""
    now = read_exact(target, "replace")
    if now != clean and refresh.base_sha256 and sha256_of(now) != refresh.base_sha256:
        raise GenpostError(
            f"{target.name} changed on the site since this refresh was made; refresh it again (genpost refresh)"
        )


def new_errors(draft: list[Finding], published: list[Finding]) -> list[Finding]:
    """The draft's error findings beyond those the published post already had (by rule): what the refresh
    brought in. A post genpost did not write breaks genpost's shape rules before and after alike."""
    before = Counter(f.rule for f in published if f.severity == "error")
    out = []
    for finding in draft:
        if finding.severity != "error":
            continue
        if before[finding.rule] > 0:
            before[finding.rule] -= 1
            continue
        out.append(finding)
    return out


def commit_message(title: str, refresh: Refresh, note: str) -> str:
    """The site commit of a refresh: `記事を更新: <title>`, the reasons, the review note."""
    reasons = "\n".join(f"- {r.message}" for r in refresh.reasons) or "- （理由の記録がありません）"
    return f"記事を更新: {title}\n\n更新の理由:\n{reasons}\nレビューのメモ: {note or 'なし'}\n"


def after_publish(out_dir: Path, refresh: Refresh) -> None:
    """The refreshed post cites its sources as they are now: that is what the next check compares with."""
    ledger = Ledger(out_dir)
    ledger.remember(refresh.target.removeprefix("_posts/"), refresh.sources, replace=True)
    ledger.save()


def diff_lines(draft: Path, refresh: Refresh, site: Path | None) -> list[str]:
    """The draft against the published post (the site's file when there is a site, else the first version)."""
    published = ""
    if site is not None:
        try:
            published = read_exact(target_of(site, refresh), "replace")
        except (GenpostError, OSError):
            published = ""
    if not published:
        published = text_of(draft, PUBLISHED_VERSION)
    try:
        current = read_exact(draft)
    except OSError:
        current = ""
    lines = difflib.unified_diff(
        published.splitlines(), current.splitlines(), "公開中の記事", "更新案", lineterm="", n=2
    )
    return list(lines)


def review_card(draft: Path, record: RunRecord | None, site: Path | None) -> dict | None:
    """What the review app shows of a refresh: the post it replaces, why, and the diff against it."""
    refresh = record.refresh if record is not None else None
    if refresh is None:
        return None
    return {
        "target": refresh.target,
        "reasons": refresh.reasons,
        "parts": refresh.parts,
        "diff": diff_lines(draft, refresh, site),
    }
