"""An editor's save: the body and the title, description and tags, changed by hand in the review app.

A save is refused, with the reason, when the draft changed on disk since the editor loaded it
(its version stamp) or when it breaks a part genpost's assembler owns: headings, image lines and
credits, the related-posts and CTA blocks, footnote definitions and the JSON-LD. Otherwise the
draft is written atomically, the previous version kept in its history, and the gate run again.

An editor may also drop one internal link (`unlink`): its markup goes, its words stay, and nothing else in the
draft changes; the run record's `links` says the editor dropped it.

The version check and the write happen under the draft's lock (`out/.genpost/locks/<draft>.lock`), so two
app processes on one out/ never both pass the check: the second sees the first's save and is refused.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pipeline import frontmatter
from pipeline.config import Settings
from pipeline.document import Block, FrontMatter, PostDoc, write_blocks
from pipeline.errors import UsageError
from pipeline.instincts import Instinct
from pipeline.parse import parse
from pipeline.quality import check_text
from pipeline.review.drafts import genposts_own, load_record, load_state, locked, save_record, save_state
from pipeline.review.history import keep_change, stamp_of, who_runs
from pipeline.store import replace_write
from pipeline.types import DroppedLink, Finding, Links, RunRecord
from pipeline.voice.profile import VoiceProfile
from pipeline.writing.citations import cited_in_record

TITLE_MAX_INPUT = 200
EDITOR_DROPPED = "編集者が外しました"  # why a link the editor dropped is in the record's `links.dropped`
_LINK_MIDDLE = re.compile(r"\]\(")  # where a Markdown link's text ends and its destination begins


class StaleDraft(UsageError):
    """The draft changed on disk after the editor loaded it."""


@dataclass
class Saved:
    stamp: str
    findings: list[Finding]


def owned_parts(doc: PostDoc) -> list[str]:
    """The blocks the assembler wrote, as written, in order: headings, images and credits, step labels,
    footnote definitions, the related-posts and CTA blocks, the JSON-LD."""
    return [block.lines() for block in doc.blocks if block.owned]


def _first_change(before: list[str], after: list[str]) -> str:
    """The first line of the first owned block that changed, as it was."""
    for old, new in zip(before, after, strict=False):
        if old != new:
            pairs = zip(old.split("\n"), [*new.split("\n"), ""], strict=False)
            return next((a.strip()[:60] for a, b in pairs if a != b), old.strip()[:60])
    extra = before[len(after) :] or after[len(before) :]
    return extra[0].strip()[:60] if extra else ""


def _tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,、\n]", text) if t.strip()]


def save(
    draft: Path,
    body: str,
    fields: dict[str, str],
    version: str,
    who: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None = None,
    voice: VoiceProfile | None = None,
) -> Saved:
    """Write the editor's version of `draft`; refused (UsageError, in Japanese) when stale or when it breaks
    an assembler-owned part. `fields`: title, description, tags (comma separated). Done under the draft's lock."""
    with locked(draft):
        return _save(draft, body, fields, version, who, settings, instincts, site, voice)


def _save(
    draft: Path,
    body: str,
    fields: dict[str, str],
    version: str,
    who: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None,
    voice: VoiceProfile | None,
) -> Saved:
    text = draft.read_text(encoding="utf-8")
    if stamp_of(text) != version:
        raise StaleDraft(
            "この下書きは、開いた後にほかで変更されました。入力した内容は編集欄に残っています。"
            "コピーしてからページを開き直し、もう一度編集してください"
        )
    old = parse(text)
    body = body.replace("\r\n", "\n")
    if not body.startswith("\n"):
        body = "\n" + body
    doc = parse((old.front.source or "") + body)
    before, after = owned_parts(old), owned_parts(doc)
    if before != after:
        raise UsageError(
            "見出し・画像とクレジット・関連記事・CTA・脚注・JSON-LD は genpost が組み立てる部分なので、"
            f"ここでは変えられません（変わった箇所:「{_first_change(before, after)}」）"
        )
    title, description = fields.get("title", "").strip(), fields.get("description", "").strip()
    tags = _tags(fields.get("tags", ""))
    if not title or not description or not tags:
        raise UsageError("タイトル・ディスクリプション・タグは空にできません")
    if len(title) > TITLE_MAX_INPUT or "\n" in title or "\n" in description:
        raise UsageError("タイトルとディスクリプションは1行で書いてください")
    new_text = doc.with_front(title=title, description=description, tags=tags).to_markdown()
    if not new_text.endswith("\n"):
        new_text += "\n"
    findings = _write(draft, new_text, who.strip() or "editor", "", settings, instincts, site, voice)
    return Saved(stamp_of(new_text), findings)


def _write(
    draft: Path,
    text: str,
    who: str,
    note: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None,
    voice: VoiceProfile | None,
    links: Callable[[RunRecord], Links] | None = None,
) -> list[Finding]:
    """Write the draft's new `text` (its old text kept in the history), run the gate again and put its findings
    in the run record; `links(record)`, if given, is the record's new `links`."""
    state = load_state(draft)
    keep_change(draft, state.versions, text, "edited", who, note)
    replace_write(draft, text)
    save_state(draft, state)

    record = load_record(draft)
    cited = cited_in_record(record) if record else None
    findings = check_text(text, settings, instincts, site, draft.name, cited, voice=voice, own=genposts_own(record))
    if record is not None:
        update: dict[str, Any] = {"findings": findings}
        if links is not None:
            update["links"] = links(record)
        save_record(draft, record.model_copy(update=update))
    return findings


# --- dropping an internal link --------------------------------------------------------------------


@dataclass
class Unlinked:
    stamp: str
    findings: list[Finding]
    title: str  # the title of the post the link went to


def links_in(block: Block) -> list[tuple[str, str]]:
    """The block's internal links as (anchor, target): a post's name as `{% post_url %}` takes it, or a site path
    (the hrefs Markdown reads are URL-encoded; a post's name holds no `%`, so decoding gives it back)."""
    return [(anchor, unquote(target)) for anchor, target in block.internal_links]


def site_post(site: Path | None, name: str) -> Path | None:
    """The file in the site's `_posts/` that `{% post_url name %}` names, if there is one (a name holding a
    path, a control character or too long for a file names none)."""
    if site is None or not name or any(ch in name for ch in "/\\") or any(ch < " " for ch in name):
        return None
    for ext in ("md", "markdown", "html"):
        path = site / "_posts" / f"{name}.{ext}"
        try:
            if path.is_file():
                return path
        except (OSError, ValueError):
            return None
    return None


def link_title(name: str, record: RunRecord | None, site: Path | None) -> str:
    """What a linked post is called: its title among the record's candidates, else in its front matter in the
    site, else its name."""
    for candidate in record.links.candidates if record else []:
        if candidate.name == name:
            return candidate.title
    path = site_post(site, name)
    if path is not None:
        try:
            title = FrontMatter(frontmatter.split(path.read_text(encoding="utf-8"))[0]).title.strip()
        except (OSError, UnicodeDecodeError, ValueError):
            title = ""
        if title:
            return title
    return name


def unlink(
    draft: Path,
    index: int,
    target: str,
    nth: int,
    version: str,
    who: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None = None,
    voice: VoiceProfile | None = None,
) -> Unlinked:
    """Drop the `nth` link (0: the first) to `target` (a post's name, or a site path) in block `index`: its
    markup goes, its words stay, and not a byte else in the draft changes. Refused (UsageError, in Japanese)
    when the draft changed since `version` or the link is not there. Done under the draft's lock."""
    with locked(draft):
        return _unlink(draft, index, target, nth, version, who, settings, instincts, site, voice)


def _unlink(
    draft: Path,
    index: int,
    target: str,
    nth: int,
    version: str,
    who: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None,
    voice: VoiceProfile | None,
) -> Unlinked:
    text = draft.read_text(encoding="utf-8")
    if stamp_of(text) != version:
        raise StaleDraft(
            "この下書きは、開いた後にほかで変更されました。ページを開き直してから、もう一度リンクを外してください"
        )
    doc = parse(text)
    missing = UsageError("そのリンクは下書きにありません。ページを開き直してください")
    if not 0 <= index < len(doc.blocks) or nth < 0:
        raise missing
    block = doc.blocks[index]
    if block.owned:
        raise UsageError("見出しなど genpost が組み立てる部分のリンクは、ここでは外せません")
    found = _without_link(text, doc, index, target, nth)
    if found is None:
        raise missing
    new_text, anchor = found
    record = load_record(draft)
    title = link_title(target, record, site)
    findings = _write(
        draft,
        new_text,
        who.strip() or who_runs(),
        f"リンクを外しました: {title}",
        settings,
        instincts,
        site,
        voice,
        lambda r: _dropped(r.links, block.part, target, anchor),
    )
    return Unlinked(stamp_of(new_text), findings, title)


def _without_link(text: str, doc: PostDoc, index: int, target: str, nth: int) -> tuple[str, str] | None:
    """The `nth` link to `target` in block `index`, in reading order, as (the text without it, its anchor): the
    block's lines with that one link's markup taken out. Only a change that leaves every other block, the
    block's words, images, citations and other links as they were counts."""
    block = doc.blocks[index]
    start = len(doc.front.to_yaml() + write_blocks(doc.blocks[:index]))
    start += len(block.gap if block.gap is not None else "\n")
    source = block.written()
    if text[start : start + len(source)] != source:  # the document does not write back as read
        return None
    before = links_in(block)
    found = 0
    for middle in _LINK_MIDDLE.finditer(source):
        opening, closing = _opening(source, middle.start()), _closing(source, middle.end())
        if opening is None or closing is None or not _may_lead_to(source[middle.end() : closing - 1], target):
            continue
        lines = source[:opening] + source[opening + 1 : middle.start()] + source[closing:]
        changed = text[:start] + lines + text[start + len(source) :]
        new = parse(changed)
        if len(new.blocks) != len(doc.blocks) or any(
            a != b for n, (a, b) in enumerate(zip(doc.blocks, new.blocks, strict=True)) if n != index
        ):
            continue
        after = new.blocks[index]
        same = (after.kind, after.text, after.inline.images, after.citations)
        if same != (block.kind, block.text, block.inline.images, block.citations):
            continue
        gone = _taken_out(before, links_in(after))
        if gone is None or before[gone][1] != target or _taken_out(block.links, after.links) is None:
            continue
        if found == nth:
            return changed, before[gone][0]
        found += 1
    return None


def _may_lead_to(destination: str, target: str) -> bool:
    """Could a link with this destination (as written) lead to `target`? A quick test, before the document
    is read again to make sure."""
    written = unquote(html.unescape(destination)).replace("\\", "")
    return target.replace("\\", "") in written


def _taken_out(before: Sequence[Any], after: Sequence[Any]) -> int | None:
    """Where one item was taken out of `before` to leave `after` (the first such place); None if not so."""
    if len(after) != len(before) - 1:
        return None
    return next((n for n in range(len(before)) if [*before[:n], *before[n + 1 :]] == list(after)), None)


def _escaped(text: str, at: int) -> bool:
    """Is the character at `at` escaped by a backslash?"""
    slashes = 0
    while at - slashes - 1 >= 0 and text[at - slashes - 1] == "\\":
        slashes += 1
    return slashes % 2 == 1


def _opening(text: str, end: int) -> int | None:
    """The `[` that opens the link text closed by the `]` at `end` (brackets inside balanced); None for an image."""
    depth = 0
    for at in range(end - 1, -1, -1):
        if text[at] not in "[]" or _escaped(text, at):
            continue
        if text[at] == "]":
            depth += 1
        elif depth:
            depth -= 1
        else:
            return None if at and text[at - 1] == "!" and not _escaped(text, at - 1) else at
    return None


def _closing(text: str, start: int) -> int | None:
    """Where the link destination that starts at `start` (after `](`) ends: just after its `)`."""
    depth, at, angled = 1, start, False
    while at < len(text):
        ch = text[at]
        if ch == "\\":
            at += 2
            continue
        if angled:
            angled = ch != ">"
        elif ch == "<" and not text[start:at].strip():
            angled = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if not depth:
                return at + 1
        at += 1
    return None


def _dropped(links: Links, part: str, name: str, anchor: str) -> Links:
    """The record's links with the placed link the editor dropped moved to `dropped` (the best match: same post,
    then same part, then same anchor); as they were when none was placed to that post."""
    placed = [n for n, p in enumerate(links.placed) if p.name == name]
    if not placed:
        return links
    at = max(placed, key=lambda n: (links.placed[n].part == part, links.placed[n].anchor == anchor, -n))
    gone = links.placed[at]
    return links.model_copy(
        update={
            "placed": [p for n, p in enumerate(links.placed) if n != at],
            "dropped": [*links.dropped, DroppedLink(part=gone.part, name=name, why=EDITOR_DROPPED)],
        }
    )
