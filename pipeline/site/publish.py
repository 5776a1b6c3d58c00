"""Publishing a draft: copy it into the site's `_posts/` and tell Unsplash which photos are used."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import Settings
from pipeline.document import PostDoc
from pipeline.errors import GenpostError, UsageError
from pipeline.instincts import Instinct
from pipeline.parse import parse
from pipeline.quality import check_doc, check_text
from pipeline.refresh import draft as refresh_draft
from pipeline.review import history
from pipeline.review.drafts import (
    UnreadableRecord,
    genposts_own,
    load_state,
    locked,
    read_record,
    record_path,
    save_record,
    save_state,
    state_path,
)
from pipeline.site import git as site_git
from pipeline.site.git import Pushed
from pipeline.site.posts import POST_NAME
from pipeline.store import FileSnapshot, read_exact, replace_write
from pipeline.types import Finding, Refresh, RunRecord
from pipeline.voice.profile import VoiceProfile
from pipeline.writing.citations import cited_in_record
from pipeline.writing.images import UnsplashUnavailable, photo_key, unsplash_client

log = logging.getLogger("genpost")
# Front-matter fields an editor or a tool may add while reviewing; the site never sees them.
REVIEW_ONLY = ("review", "genpost_", "draft_")


@dataclass
class Published:
    path: Path
    copied: bool
    pinged: int
    pending: int
    commit: str | None = None  # the site's commit, when the site is a git repository
    pushed: Pushed | None = None


def _ledger_path(site: Path) -> Path:
    # A dot-folder: Jekyll neither builds nor serves it.
    return site / ".genpost" / "downloads.json"


def _read_ledger(site: Path) -> dict[str, list[str]]:
    try:
        return json.loads(_ledger_path(site).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _copy(text: str, target: Path, replaces: bool = False) -> bool:
    """Write the post whole; publishing the same draft again is a no-op, a different one an error (unless the
    draft is a refresh that `replaces` the post)."""
    if target.exists():
        if read_exact(target) == text:
            return False
        if not replaces:
            raise GenpostError(f"{target} already exists with other content; remove it or rename the draft")
    replace_write(target, text)
    return True


def site_text(draft_text: str, doc: PostDoc) -> str:
    """The post as the site receives it (`doc`: the draft read): review-only front-matter fields removed (a broken
    front matter is a ValueError)."""
    if doc.front.error:
        raise ValueError(doc.front.error)
    review_only = [key for key in doc.front.keys if key.startswith(REVIEW_ONLY)]
    if not review_only:
        return draft_text
    return replace(doc, front=doc.front.without(review_only)).to_markdown()


class Refused(GenpostError):
    """The draft has error findings; it is published only with `force`."""

    def __init__(self, draft: Path, found: list[Finding]) -> None:
        self.rules = sorted({f.rule for f in found})
        self.count = len(found)
        super().__init__(
            f"{draft.name} not published: {self.count} error finding(s) ({', '.join(self.rules)}); "
            "fix them, or publish with --force"
        )


def blocking_findings(
    doc: PostDoc,
    draft: Path,
    site: Path,
    settings: Settings,
    instincts: dict[str, Instinct],
    record: RunRecord | None,
    voice: VoiceProfile | None = None,
) -> list[Finding]:
    """What keeps the post from going live (error findings, related links that point nowhere among them, and
    with voice.yml the site's voice), judged as `check` judges it."""
    cited = cited_in_record(record) if record else None
    found = check_doc(doc, settings, instincts, site, draft.name, cited, voice=voice, own=genposts_own(record))
    return [f for f in found if f.severity == "error"]


@dataclass
class Publication:
    """What a publish will do, every check passed before anything is written."""

    draft: Path
    site: Path
    target: Path
    text: str  # the post as the site receives it
    doc: PostDoc  # the draft, read once: checked, and its title and instinct in the commit message
    record: RunRecord | None
    git: bool  # commit in the site's repository
    push: bool
    refresh: Refresh | None = None  # the draft refreshes the published post at `target`


def prepare(
    draft: Path,
    site: Path,
    settings: Settings,
    instincts: dict[str, Instinct],
    force: bool,
    push: bool | None,
    voice: VoiceProfile | None = None,
) -> Publication:
    """Every check a publish needs (the draft, its record, its findings, the site's paths, git's state), before
    anything is written; each refusal is one line."""
    if not draft.is_file() or draft.suffix != ".md":
        raise UsageError(f"{draft} is not a draft (.md file)")
    if not POST_NAME.match(draft.name):
        raise UsageError(f"{draft.name} is not a Jekyll post name (YYYY-MM-DD-slug.md)")
    target = site_target(site, draft.name)
    try:
        text = read_exact(draft)
        doc = parse(text)  # the draft is read once: what the site receives, the check, the commit message
        clean = site_text(text, doc)
    except (UnicodeDecodeError, ValueError) as exc:
        raise GenpostError(f"{draft.name} not published: {exc}") from None
    try:
        record = read_record(draft)
    except UnreadableRecord as exc:
        raise GenpostError(f"{draft.name} not published: {exc}") from None
    refresh = record.refresh if record is not None else None
    if refresh is not None:  # a refresh replaces the post it was made from, at its own name
        target = refresh_draft.target_of(site, refresh)
        refresh_draft.check_base(target, refresh, clean)
    elif target.exists() and read_exact(target, "replace") != clean:
        raise GenpostError(f"{target} already exists with other content; remove it or rename the draft")
    published = read_exact(target, "replace") if target.exists() else None
    if (published is None or (refresh is not None and published != clean)) and not force:
        found = blocking_findings(doc, target if refresh else draft, site, settings, instincts, record, voice)
        if refresh is not None and published is not None:  # only what the refresh brought in: not the post's own
            before = check_text(published, settings, instincts, site, target.name, voice=voice, own=False)
            found = refresh_draft.new_errors(found, before)
        if found:
            raise Refused(draft, found)
    git = settings.publish.commit and site_git.is_repository(site)
    wanted = settings.publish.push.enabled if push is None else push
    if git:
        site_git.ready_to_commit(site)
        if wanted:
            site_git.ready_to_push(site, settings.publish.push.remote, settings.publish.push.branch)
    return Publication(draft, site, target, clean, doc, record, git, bool(git and wanted), refresh)


def site_target(site: Path, name: str) -> Path:
    """`site/_posts/name`, refused when `_posts` or the post would be outside the site (a link out of it)."""
    posts = site / "_posts"
    if not posts.is_dir():
        raise UsageError(f"--site {site} has no _posts/ directory")
    root = site.resolve()
    if not posts.resolve().is_relative_to(root):
        raise UsageError(f"--site {site}: _posts/ leads out of the site (to {posts.resolve()}); nothing was published")
    target = posts / name
    if target.is_symlink() or target.resolve().parent != posts.resolve():
        raise UsageError(f"{target} is a link; nothing was published")
    ledger = _ledger_path(site)
    for path in (ledger.parent, ledger):
        if path.is_symlink() or (path.exists() and not path.resolve().is_relative_to(root)):
            raise UsageError(f"{path} leads out of the site; nothing was published")
    return target


async def publish(
    draft: Path,
    site: Path,
    settings: Settings,
    instincts: dict[str, Instinct],
    force: bool = False,
    push: bool | None = None,
    voice: VoiceProfile | None = None,
) -> Published:
    """Copy `draft` into `site/_posts/`, ping each Unsplash photo once, and commit (and push) in a git site.

    `voice`: the site's voice.yml, if any, which the draft is judged by as `check` judges it.
    All or nothing: every check runs first (a draft with error findings is refused unless `force`);
    a failure while writing puts back the post, the ledger, the record and the review state as they
    were. A push that fails afterwards keeps the commit and raises PushFailed saying so.
    """
    with locked(draft):  # no editor's save, regenerate or second publish changes the draft meanwhile
        plan = prepare(draft, site, settings, instincts, force, push, voice)
        before = FileSnapshot([plan.target, _ledger_path(site), record_path(draft), state_path(draft)])
        try:
            done = await _write(plan, settings, force)
            if plan.git:
                message = commit_message(draft, plan.doc, plan.refresh)
                done.commit = site_git.commit(site, [done.path, _ledger_path(site)], message)
        except BaseException:
            before.restore()
            raise
        if plan.refresh is not None:
            refresh_draft.after_publish(draft.parent, plan.refresh)
    if plan.push:
        remote, branch = settings.publish.push.remote, settings.publish.push.branch
        try:
            done.pushed = site_git.push(site, remote, branch)
        except site_git.GitError as exc:
            shown = site_git.masked(remote)
            where = f"committed {done.commit[:10]} in {site}" if done.commit else f"nothing new to commit in {site}"
            message = f"{where}, but the push to {shown} failed: {exc}"
            raise site_git.PushFailed(message, done.commit, shown, str(exc)) from None
    return done


def commit_message(draft: Path, doc: PostDoc, refresh: Refresh | None = None) -> str:
    """The site commit's message: the title, the instinct and the review note (a refresh: its reasons)."""
    front = doc.front
    note = load_state(draft).note or "なし"
    title = front.title if "title" in front else draft.stem  # the file name only where the title is missing
    if refresh is not None:
        return refresh_draft.commit_message(title, refresh, note)
    return f"記事を公開: {title}\n\n本能: {front.instinct}\nレビューのメモ: {note}\n"


def keep_history(draft: Path, record: RunRecord | None) -> None:
    """The draft's versions, with their diffs, into its run record (saved by the caller): they go with the post."""
    versions = load_state(draft).versions
    if record is None or not versions:
        return
    record.history = [
        {**v.model_dump(mode="json"), "label": v.label, "diff": "\n".join(history.diff(draft, v.number))}
        for v in versions
    ]


async def _write(plan: Publication, settings: Settings, force: bool) -> Published:
    """The post into _posts/, the review state marked, the download pings sent, the history kept."""
    draft, site, record = plan.draft, plan.site, plan.record
    copied = _copy(plan.text, plan.target, replaces=plan.refresh is not None)
    state = load_state(draft)
    if state.status != "published":
        state.mark("published")  # the editor's note stays: the site commit quotes it
        if force:
            state.history[-1]["note"] = "forced"
        save_state(draft, state)
    if record is None:
        log.warning("%s has no run record: no Unsplash download pings", draft.name)
        return Published(plan.target, copied, 0, 0)
    ledger = _read_ledger(site)
    done = set(ledger.get(draft.name, []))
    due = [
        image
        for image in record.images
        if image.source == "unsplash"
        and image.download_location
        and image.downloaded_at is None
        and photo_key(image.url) not in done
    ]
    pinged = 0
    client = unsplash_client(settings.images, draft.parent / ".genpost" / "unsplash-cache") if due else None
    if client is not None:
        try:
            for image in due:
                try:
                    await client.ping_download(image.download_location or "")
                except UnsplashUnavailable as exc:
                    log.warning("unsplash download ping for %s failed (%s); publish again to retry", image.slot, exc)
                    continue
                image.downloaded_at = datetime.now(UTC)
                done.add(photo_key(image.url) or image.url)
                pinged += 1
        finally:
            await client.close()
            ledger[draft.name] = sorted(done)
            replace_write(_ledger_path(site), json.dumps(ledger, ensure_ascii=False, indent=2))
    keep_history(draft, record)
    save_record(draft, record)
    return Published(plan.target, copied, pinged, len(due) - pinged)
