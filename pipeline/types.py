"""The data that flows one way: Brief → Plan → Sections → Images → Post → RunRecord."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from pipeline.document import PostDoc


class ApprovedPart(BaseModel):
    """One part of an approved brief, under the key the post gives it: its heading and its points."""

    part: str
    heading: str | None = None
    points: list[str] = Field(default_factory=list)
    answers: list[str] = Field(default_factory=list)  # what each point answers (構成: the part's role, not checked)


class BriefRef(BaseModel):
    """The approved brief a post is drafted from: its file, the hash of its text, its parts."""

    path: str
    sha256: str
    parts: list[ApprovedPart] = Field(default_factory=list)


class Brief(BaseModel):
    """What to write: the run's inputs."""

    model_config = ConfigDict(frozen=True)
    instinct: str
    keywords: list[str] = Field(min_length=1)
    theme: str | None = None
    structure: str
    date: datetime
    site: Path | None = None
    sources: list[str] = Field(default_factory=list)  # URLs, files or folders to ground the post in
    search: bool = False  # also search the web (sources.search) for the keywords
    from_brief: BriefRef | None = None  # an approved brief (`genpost --brief`): its headings, order and points

    @property
    def primary_keyword(self) -> str:
        return self.keywords[0]


class StepBrief(BaseModel):
    title: str = Field(description="ステップの短い見出し（日本語、20字以内）")
    brief: str = Field(description="読者がこのステップで実行すること（日本語、30字以内）")


class ImageQueries(BaseModel):
    hero: str = Field(description="English Unsplash search query for the hero image")
    background: str = Field(description="English query for the psychology section image")
    trend: str = Field(description="English query for the trend section image")
    cases: str = Field(description="English query for the success-case section image")


class Briefs(BaseModel):
    """The outline call's answer: what each section says.

    It is streamed, and each part starts as soon as its brief is whole, so the fields come in the
    order that ends drafting soonest: the longest parts first, the short trend opening last. The
    lead's brief comes late on purpose: the lead says what the post covers, and by then it can see.
    """

    category: str = Field(description="記事のカテゴリー")
    trend_points: list[str] = Field(
        min_length=5, max_length=5, description="トレンド分析の各小見出しで書く要点（5つ、順番どおり、各30字以内）"
    )
    steps: list[StepBrief] = Field(min_length=3, max_length=3)
    summary: str = Field(description="まとめセクションの要点（30字以内）")
    background: str = Field(description="心理学的背景セクションの要点（30字以内）")
    cases: str = Field(description="成功事例セクションの要点（30字以内）")
    lead: str = Field(description="導入文の要点（30字以内）")
    trend: str = Field(description="トレンド分析セクション冒頭の要点（30字以内）")


class Metadata(BaseModel):
    """The metadata call's answer, made beside the drafting: title, description, tags, image queries."""

    title: str = Field(description="記事タイトル（日本語、60字以内、数字と主キーワードを含む）")
    description: str = Field(description="メタディスクリプション（日本語、120字以内）")
    tags: list[str] = Field(min_length=3, max_length=6, description="タグ（日本語）")
    image_queries: ImageQueries

    @classmethod
    def unknown(cls) -> Metadata:
        """Metadata not asked for yet (the pieces are drafted beside the metadata call)."""
        queries = ImageQueries.model_construct(**dict.fromkeys(ImageQueries.model_fields, ""))
        return cls.model_construct(title="", description="", tags=[], image_queries=queries)


class Plan(BaseModel):
    """The whole plan as the post uses it: the briefs and the metadata, as answered or as repaired.

    It holds no answer bounds (those are Briefs' and Metadata's, for the model): a repaired plan may
    keep two tags or a long title for the gate to flag, and its record must load all the same.
    """

    category: str
    trend_points: list[str]
    steps: list[StepBrief]
    summary: str
    background: str
    cases: str
    lead: str
    trend: str
    title: str
    description: str
    tags: list[str]
    image_queries: ImageQueries

    @classmethod
    def of(cls, briefs: Briefs, metadata: Metadata) -> Plan:
        """The two answers joined as they are (each was checked, or deliberately left for the gate to flag)."""
        return cls.model_construct(**dict(briefs), **dict(metadata))

    @property
    def briefs(self) -> Briefs:
        return Briefs.model_construct(**{key: getattr(self, key) for key in Briefs.model_fields})

    @property
    def metadata(self) -> Metadata:
        return Metadata.model_construct(**{key: getattr(self, key) for key in Metadata.model_fields})


class StepText(BaseModel):
    """One step of 実践ステップ as the post holds it. A list may be empty: the gate's last cut can empty one,
    and the shape rules then flag it (structure.step-empty); the record keeps what the post holds."""

    summary: str
    actions: list[str] = Field(default_factory=list)
    metrics: list[str] = Field(default_factory=list)
    cautions: list[str] = Field(default_factory=list)


class StepAnswer(StepText):
    """One step as the model is asked to write it (the schema's bounds are the prompt's, not the post's)."""

    summary: str = Field(description="ステップの概要（1〜2文）")
    actions: list[str] = Field(min_length=2, max_length=4, description="実行内容の箇条書き")
    metrics: list[str] = Field(min_length=1, max_length=3, description="指標の箇条書き")
    cautions: list[str] = Field(min_length=1, max_length=2, description="注意点の箇条書き")


class SummaryPoint(BaseModel):
    label: str = Field(description="実行ポイントの短い見出し")
    text: str = Field(description="実行ポイントの説明（1〜2文）")


class SummaryText(BaseModel):
    """まとめと次のアクション as the post holds it."""

    intro: str
    points: list[SummaryPoint] = Field(default_factory=list)
    closing: str


class SummaryAnswer(SummaryText):
    """まとめと次のアクション as the model is asked to write it."""

    intro: str = Field(description="導入の一文")
    points: list[SummaryPoint] = Field(min_length=3, max_length=3)
    closing: str = Field(description="締めくくりの一文")


def _part_kind(value: Any) -> str:
    """Which kind of part text a stored value is, so a record that does not load names one kind's error."""
    if isinstance(value, str):
        return "prose"
    if isinstance(value, SummaryText) or (isinstance(value, dict) and "points" in value):
        return "summary"
    return "step"


# What the model wrote for one part of the outline (see pipeline.writing.outline.Kind).
PartText = Annotated[
    Annotated[str, Tag("prose")] | Annotated[StepText, Tag("step")] | Annotated[SummaryText, Tag("summary")],
    Discriminator(_part_kind),
]
# Every part's text by its key ("lead", "trend3", "step2", …), in the outline's order.
Sections = dict[str, PartText]


class Image(BaseModel):
    """A photo placed in the post, with what its credit and download tracking need."""

    slot: str
    url: str
    alt: str = ""
    query: str = ""
    source: str = "catalogue"  # "unsplash" (searched) or "catalogue"
    page: str | None = None
    photographer: str | None = None
    profile: str | None = None
    credit: str = ""  # the HTML credit line placed under the image
    likes: int | None = None
    download_location: str | None = None  # pinged once, when the post is published
    downloaded_at: datetime | None = None


class Source(BaseModel):
    """A document the post may draw figures from: a page, a PDF, a file of the company's library."""

    id: int  # its number among the post's sources, from 1
    location: str  # the URL or the file's path
    title: str
    publisher: str = ""  # the site or the folder it came from
    kind: Literal["web", "file", "library", "search"] = "web"
    fetched_at: datetime
    sha256: str  # of the extracted text
    chars: int = 0
    text: str = Field("", exclude=True)  # the extracted text (kept in the cache, not the run record)

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))


class Passage(BaseModel):
    """A few sentences of a source, as a drafting prompt quotes them: `[S7] text (title)`."""

    id: str  # "S7": the marker a model writes after the sentence that uses it
    source: int
    text: str


class Citation(BaseModel):
    """A marker a model wrote, and what became of it."""

    part: str
    marker: str  # "S7"
    kept: bool
    footnote: int | None = None  # the footnote it became
    reason: str = ""  # why it was dropped


class StageTrace(BaseModel):
    """What one stage over an assembled post did (pipeline/writing/stages.py): the parts whose text it changed,
    and the errors and warnings the draft had after it."""

    stage: str
    seconds: float = 0.0
    changed: list[str] = Field(default_factory=list)
    errors: int = 0
    warnings: int = 0


class PolishEdit(BaseModel):
    """An edit the polish pass proposed, and whether it was applied."""

    find: str
    replace: str
    reason: str
    part: str | None = None  # the part it was found in
    applied: bool
    why: str = ""  # why it was rejected


class LinkCandidate(BaseModel):
    """A post of the site a section could link to: chosen by relevance to the section's heading and brief."""

    part: str  # the section it was chosen for
    name: str  # the post, as `{% post_url %}` names it
    title: str
    score: float  # relevance, 0–1 (how much of the section's query the post's text matches)
    description: str = ""  # what the section's prompt showed of it
    keyword: str = ""  # its primary keyword (a mention of it may carry the link)


class PlacedLink(BaseModel):
    """A link placed in the prose."""

    part: str
    name: str
    anchor: str  # the words that carry it
    how: Literal["marked", "mention"]  # the model marked its sentence, or the post's key phrase was found


class DroppedLink(BaseModel):
    """A candidate that got no link, and why (in Japanese: editors read it)."""

    part: str
    name: str
    why: str


class Links(BaseModel):
    """The internal links of a post: every candidate with its score, each link placed, each one dropped."""

    candidates: list[LinkCandidate] = Field(default_factory=list)
    placed: list[PlacedLink] = Field(default_factory=list)
    dropped: list[DroppedLink] = Field(default_factory=list)


class RelatedPost(BaseModel):
    name: str
    title: str
    score: float


class CallRecord(BaseModel):
    """One model call as the model door saw it."""

    stage: str
    part: str
    model: str
    provider: str
    template: str
    template_hash: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    started_s: float
    duration_s: float
    ttft_s: float | None = None
    finish_reason: str | None = None
    attempts: int = 1


class Finding(BaseModel):
    """One thing the quality gate found, and where; said in English and in Japanese."""

    rule: str
    severity: Literal["error", "warning"]
    message: str
    message_ja: str = ""
    figure: str | None = None  # the figure an editor must confirm (claims rules)
    other: str | None = None  # the other place involved (repetition: where the first occurrence stands)
    line: int | None = None
    section: str | None = None  # the H2 it sits under ("lead" before the first H2)
    subsection: str | None = None  # the H3, if any
    part: str | None = None  # the part of the post it is in ("lead", "step2", "front_matter", "json_ld" …)
    block: int | None = None  # the block of the document it is about
    excerpt: str | None = None

    def text(self, lang: str = "ja") -> str:
        """The message in `lang` (ja, or en)."""
        return self.message_ja if lang == "ja" and self.message_ja else self.message


@dataclass
class Post:
    """The assembled post: its document, and what the run record and the gate need to know of it."""

    filename: str
    doc: PostDoc
    reading_time: int
    body_chars: int
    related: list[RelatedPost] = dataclass_field(default_factory=list)
    citations: list[Citation] = dataclass_field(default_factory=list)  # every marker: a footnote, or dropped
    cited: dict[str, list[str]] = dataclass_field(default_factory=dict)  # footnote label → its source's passages

    @property
    def markdown(self) -> str:
        return self.doc.to_markdown()


class RefreshReason(BaseModel):
    """Why a published post is refreshed (`genpost refresh`): said in Japanese, with the parts it rewrites."""

    code: str  # year.title, source.dead, claims.unsourced, links.unresolved, age …
    message: str
    parts: list[str] = Field(default_factory=list)  # the post's parts (or front-matter fields) it rewrites
    detail: str = ""  # what it is about: a year, a URL, a figure, a link


class Refresh(BaseModel):
    """A draft that refreshes a published post: which file it replaces, what that file was, and why."""

    target: str  # "_posts/<file>": publish replaces this file, never writes another
    reasons: list[RefreshReason] = Field(default_factory=list)
    parts: list[str] = Field(default_factory=list)  # the parts rewritten; every other part is kept byte for byte
    base_sha256: str = ""  # the published file's text when the refresh was made (publish refuses if it changed)
    sources: dict[str, str] = Field(default_factory=dict)  # each cited URL → the sha256 of its text now


class RunRecord(BaseModel):
    """Everything about a run that an editor or an accountant may ask, never a key."""

    genpost_version: str
    created_at: datetime
    brief: Brief
    plan: Plan
    sections: Sections
    images: list[Image]
    related: list[RelatedPost]
    calls: list[CallRecord]
    totals: dict[str, int | float]
    stage_seconds: dict[str, float]
    reading_time: int
    body_chars: int
    resumed: list[str] = Field(default_factory=list)  # stages taken from a crashed run's checkpoint
    findings: list[Finding] = Field(default_factory=list)  # what the quality gate still found
    rewrites: list[dict] = Field(default_factory=list)  # each gate round: the parts redrafted and why
    cuts: list[dict] = Field(default_factory=list)  # lines cut from a piece because they copied its prompt
    sources: list[Source] = Field(default_factory=list)  # every source the post could draw on
    passages: list[Passage] = Field(default_factory=list)  # the passages handed to drafting pieces
    given: dict[str, list[str]] = Field(default_factory=dict)  # piece → the passage ids its prompt quoted
    citations: list[Citation] = Field(default_factory=list)  # every marker, kept as a footnote or dropped
    polish: list[PolishEdit] = Field(default_factory=list)  # the polish pass's edits, applied or rejected
    stages: list[StageTrace] = Field(default_factory=list)  # each stage over the assembled post, in order
    links: Links = Field(default_factory=Links)  # internal links into the site: candidates, placed, dropped
    history: list[dict] = Field(default_factory=list)  # a published post's versions: who, when, what, the diff
    refresh: Refresh | None = None  # set when the draft refreshes a published post (`genpost refresh`)
    draft: str = ""
