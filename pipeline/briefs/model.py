"""A brief as its file holds it (`out/briefs/DATE-SLUG.brief.yml`): what the top search results cover, what the
post will say part by part, and whether an editor approved it.

The file is YAML an editor can read and edit, a Japanese comment above each key. genpost writes it whole; an
editor's hand edit is read back through the same model (a malformed file is one line naming its line and key).
Approval holds the hash of what was approved: a brief edited after it is unapproved again, by hand or in the app.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from pipeline.store import replace_write
from pipeline.text import plain_line
from pipeline.yamlfile import load_validated

INTENTS = ("情報収集", "比較検討", "購入・申込", "手順")
Intent = Literal["情報収集", "比較検討", "購入・申込", "手順"]
SUFFIX = ".brief.yml"
POINTS = (2, 4)  # each part's points, at least and at most
MAX_TEXT = 200  # a heading, a point, a title: one line of at most this many characters


def _line(value: object) -> str:
    """One line of plain text: no control characters, markup or Liquid kept as text (never run)."""
    return plain_line(str(value if value is not None else ""))[:MAX_TEXT]


Line = Annotated[str, AfterValidator(_line)]  # one line of plain text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntentNote(_Model):
    kind: Intent
    reason: Line = ""


class Result(_Model):
    """One of the top results: where it is, what it is called, its headings, how long it is."""

    url: str
    title: Line = ""
    headings: list[str] = Field(default_factory=list)  # `## …` and `### …`, in the page's order
    chars: int = Field(0, ge=0)
    fetched_at: datetime | None = None
    error: Line = ""  # why it could not be read (then it has no headings)

    @field_validator("headings")
    @classmethod
    def _headings(cls, value: list[str]) -> list[str]:
        out = []
        for heading in value:
            marks, _, text = heading.strip().partition(" ") if heading.strip().startswith("#") else ("", "", heading)
            text = _line(text)
            if text:
                out.append(f"{marks[:3]} {text}" if marks.strip("#") == "" and marks else text)
        return out


class Shared(_Model):
    """A topic two or more results cover, and which (1 = the first result)."""

    topic: Line
    results: list[int] = Field(default_factory=list)


class Question(_Model):
    """A question the results answer: from a heading that asks (`from: 結果2`), or the engine's suggestions."""

    question: Line
    source: Line = Field("", alias="from")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SitePost(_Model):
    """One of the site's own posts on the topic: a link candidate, not a topic to repeat."""

    post: Line
    title: Line = ""


class Gaps(_Model):
    angle: list[str] = Field(default_factory=list)  # what the results miss that the instinct's angle offers
    site: list[SitePost] = Field(default_factory=list)


class Length(_Model):
    median: int = Field(0, ge=0)
    min: int = Field(0, ge=0)
    max: int = Field(0, ge=0)
    target: int = Field(0, ge=0)


class Point(_Model):
    """What a part says, and the result or question it answers (`結果2`, `質問1`, `切り口`)."""

    text: Line
    answers: Line = ""


class Section(_Model):
    """One part of the post: its key (the outline's: lead, background, trend1 …), its heading, its points."""

    part: str
    heading: str | None = None  # None: the lead, which has none
    points: list[Point] = Field(default_factory=list)

    @field_validator("heading")
    @classmethod
    def _heading(cls, value: str | None) -> str | None:
        return _line(value) or None if value is not None else None


class BriefFile(_Model):
    """The whole brief."""

    keywords: list[str] = Field(min_length=1)
    instinct: str
    structure: str
    theme: Line = ""  # the post's category and its trend section's theme
    intent: IntentNote
    results: list[Result] = Field(default_factory=list)
    shared: list[Shared] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    gaps: Gaps = Field(default_factory=Gaps)
    length: Length = Field(default_factory=Length)
    outline: list[Section] = Field(min_length=1)
    notes: str = ""
    created_at: datetime | None = None
    approved: bool = False
    approved_by: str = ""
    approved_at: datetime | None = None
    approved_sha256: str = ""  # the hash of what was approved: an edit after it unapproves the brief

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        kept = [_line(k) for k in value if _line(k)]
        if not kept:
            raise ValueError("at least one keyword")
        return kept

    @property
    def primary_keyword(self) -> str:
        return self.keywords[0]

    def content_hash(self) -> str:
        """The hash of what an editor approves: everything but the approval itself."""
        approval = {"approved", "approved_by", "approved_at", "approved_sha256"}
        data = self.model_dump(mode="json", by_alias=True, exclude=approval)
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    @property
    def is_approved(self) -> bool:
        """Approved, and not changed since (a hand edit after approval unapproves it)."""
        return self.approved and self.approved_sha256 == self.content_hash()

    def points_of(self, part: str) -> list[Point]:
        return next((s.points for s in self.outline if s.part == part), [])


# The comment above each key, in the file's order (what an editor reads first).
COMMENTS = {
    "keywords": "検索キーワード（最初が主キーワード）",
    "instinct": "訴求する本能（instincts.yml のキー）",
    "structure": "トレンド分析の構成（howTo / problemSolution / caseStudy / comparison）",
    "theme": "記事のテーマ（カテゴリーと「〜の最新トレンド分析」の見出しになります）",
    "intent": "検索意図（情報収集 / 比較検討 / 購入・申込 / 手順）と、検索結果から判断した理由",
    "results": "検索上位の記事: URL、タイトル、H2・H3見出し、本文の文字数、取得日時（読めなかったものは理由）",
    "shared": "2件以上の上位記事が扱う話題と、扱っている記事の番号（results の順、1から）",
    "questions": "上位記事が答えている質問（問いの形の見出しと、検索エンジンの候補から）",
    "gaps": "上位記事にない切り口（angle: 本能の視点）と、サイトの既存記事（site: 重ねて書かずにリンクする候補）",
    "length": "文字数: 上位記事の中央値と範囲、提案する本文の目標（サイトの文体の範囲内）",
    "outline": "記事の構成: 部分（part）ごとの見出しと要点2〜4個。要点の answers は答える記事・質問（編集できます）",
    "notes": "編集メモ（下書きには使いません）",
    "created_at": "作成日時",
    "approved": "承認済みか（genpost approve、またはレビュー画面で承認。承認後に編集すると未承認に戻ります）",
    "approved_by": "承認した人",
    "approved_at": "承認日時",
    "approved_sha256": "承認した内容のハッシュ（genpost が書きます。編集しないでください）",
}
assert list(COMMENTS) == list(BriefFile.model_fields)


def to_yaml(brief: BriefFile) -> str:
    """The brief as its file: each key under its Japanese comment."""
    data = brief.model_dump(mode="json", by_alias=True)
    lines = ["# genpost の記事ブリーフ。検索上位の記事から作りました。編集して承認すると、この構成で下書きを書きます。"]
    for key, comment in COMMENTS.items():
        lines.append(f"\n# {comment}")
        lines.append(yaml.safe_dump({key: data[key]}, allow_unicode=True, sort_keys=False, width=100).rstrip("\n"))
    return "\n".join(lines) + "\n"


def read_brief(path: Path) -> BriefFile:
    """The brief at `path`; a file that is not one is a UsageError naming its line and key (exit 2)."""
    return load_validated(BriefFile, path)


def write_brief(path: Path, brief: BriefFile) -> Path:
    """The brief written whole, or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return replace_write(path, to_yaml(brief))


def approved(brief: BriefFile, by: str, at: datetime) -> BriefFile:
    """The brief approved by `by` at `at`, holding the hash of what was approved."""
    return brief.model_copy(
        update={"approved": True, "approved_by": _line(by), "approved_at": at, "approved_sha256": brief.content_hash()}
    )


def unapproved(brief: BriefFile) -> BriefFile:
    """The brief after an edit: to be approved again."""
    return brief.model_copy(update={"approved": False, "approved_by": "", "approved_at": None, "approved_sha256": ""})
