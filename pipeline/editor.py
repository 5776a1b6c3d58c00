"""An editor's save: the body and the title, description and tags, changed by hand in the review app.

A save is refused, with the reason, when the draft changed on disk since the editor loaded it
(its version stamp) or when it breaks a part genpost's assembler owns: headings, image lines and
credits, the related-posts and CTA blocks, footnote definitions and the JSON-LD. Otherwise the
draft is written atomically, the previous version kept in its history, and the gate run again.

The version check and the write happen under the draft's lock (`out/.genpost/locks/<draft>.lock`), so two
app processes on one out/ never both pass the check: the second sees the first's save and is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline import frontmatter
from pipeline.assembler import json_ld
from pipeline.citations import cited_in_record
from pipeline.config import Settings
from pipeline.drafts import load_record, load_state, locked, save_record, save_state
from pipeline.errors import UsageError
from pipeline.frontmatter import Flow, Quoted
from pipeline.history import keep_change, stamp_of
from pipeline.instincts import Instinct
from pipeline.quality import check_text
from pipeline.store import replace_write
from pipeline.types import Finding

_BLOCK_START = re.compile(r"^<(div|script|ul|ol|table|p|small)\b")
_OWNED_LINE = re.compile(r"^(#{1,6} |!\[|\[\^\d+\]:|\{%|<small class=\"photo-credit\"|<p class=\"photo-credit\")")
_JSON_LD = re.compile(r'(<script type="application/ld\+json">\n)(.*?)(\n</script>)', re.DOTALL)
TITLE_MAX_INPUT = 200


class StaleDraft(UsageError):
    """The draft changed on disk after the editor loaded it."""


@dataclass
class Saved:
    stamp: str
    findings: list[Finding]


def owned_parts(body: str) -> list[str]:
    """The lines the assembler wrote, in order: headings, images and credits, blocks, footnote definitions."""
    owned, block = [], None
    for line in body.split("\n"):
        if block is not None:
            owned.append(line)
            if line.startswith(f"</{block}>"):
                block = None
            continue
        start = _BLOCK_START.match(line)
        if start and f"</{start.group(1)}>" not in line:
            block = start.group(1)
            owned.append(line)
        elif start or _OWNED_LINE.match(line):
            owned.append(line)
    return owned


def _first_change(before: list[str], after: list[str]) -> str:
    for old, new in zip(before, after, strict=False):
        if old != new:
            return old.strip()[:60]
    extra = before[len(after) :] or after[len(before) :]
    return extra[0].strip()[:60] if extra else ""


def _tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,、\n]", text) if t.strip()]


def _with_metadata(body: str, title: str, description: str) -> str:
    """The body with the JSON-LD's headline and description following the front matter."""
    match = _JSON_LD.search(body)
    if not match:
        return body
    try:
        data = json.loads(match.group(2))
    except ValueError:
        return body
    if isinstance(data, dict) and data.get("@type") == "BlogPosting":
        data.update(headline=title, description=description)
    elif isinstance(data, dict) and data.get("@type") == "WebPage":  # beside jekyll-seo-tag's BlogPosting
        data.update(name=title)
    return body[: match.start(2)] + json_ld(data) + body[match.end(2) :]


def save(
    draft: Path,
    body: str,
    fields: dict[str, str],
    version: str,
    who: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None = None,
) -> Saved:
    """Write the editor's version of `draft`; refused (UsageError, in Japanese) when stale or when it breaks
    an assembler-owned part. `fields`: title, description, tags (comma separated). Done under the draft's lock."""
    with locked(draft):
        return _save(draft, body, fields, version, who, settings, instincts, site)


def _save(
    draft: Path,
    body: str,
    fields: dict[str, str],
    version: str,
    who: str,
    settings: Settings,
    instincts: dict[str, Instinct],
    site: Path | None,
) -> Saved:
    text = draft.read_text(encoding="utf-8")
    if stamp_of(text) != version:
        raise StaleDraft(
            "この下書きは、開いた後にほかで変更されました。入力した内容は編集欄に残っています。"
            "コピーしてからページを開き直し、もう一度編集してください"
        )
    _, old_body = frontmatter.split(text)
    body = body.replace("\r\n", "\n")
    if not body.startswith("\n"):
        body = "\n" + body
    before, after = owned_parts(old_body), owned_parts(body)
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
    fields_changed = {"title": Quoted(title), "description": Quoted(description), "tags": Flow(tags)}
    head = frontmatter.with_fields(text[: len(text) - len(old_body)], fields_changed)
    new_text = head + _with_metadata(body, title, description)
    if not new_text.endswith("\n"):
        new_text += "\n"

    state = load_state(draft)
    keep_change(draft, state.versions, new_text, "edited", who.strip() or "editor")
    replace_write(draft, new_text)
    save_state(draft, state)

    record = load_record(draft)
    cited = cited_in_record(record) if record else None
    findings = check_text(new_text, settings, instincts, site, draft.name, cited)
    if record is not None:
        save_record(draft, record.model_copy(update={"findings": findings}))
    return Saved(stamp_of(new_text), findings)
