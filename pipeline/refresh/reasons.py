"""Why a published post needs a refresh, for any Jekyll post (genpost's or not), most urgent first.

- a year before today's (in `site.timezone`, not the post's date) in the title, description, seo_keywords or a
  heading; a post whose front matter says `refresh: keep` (a retrospective that names its year) is left alone;
- a cited source that is dead, moved or changed since it was cited (`sources.py`);
- figures flagged 要確認 (`claims.unsourced`) or not what their source says (`claims.unsupported`), and internal
  links that no longer resolve (`links.unresolved`): the gate's own rules; a related post that is gone
  (`links.related`: Jekyll stops the build on it);
- age: older than `refresh.max_age_months` (from `last_modified_at` when it is later) on a keyword the
  calendar still uses.
Each reason names the parts a refresh rewrites for it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pipeline.config import Settings
from pipeline.document import FOOTNOTES, RELATED, Kind, PostDoc
from pipeline.errors import GenpostError
from pipeline.instincts import Instinct
from pipeline.parse import SECTION_PARTS, parse
from pipeline.performance.signals import Performance, Signal
from pipeline.quality import claims, links
from pipeline.quality.context import Check
from pipeline.refresh.sources import Checked, Ledger, SourceFindings, check_urls, cited_sources, judge
from pipeline.review.drafts import load_record
from pipeline.schedule import load_calendar
from pipeline.site.context import Site
from pipeline.site.permalinks import DATED
from pipeline.site.posts import name_day
from pipeline.sources.urls import shown, without_credentials
from pipeline.store import read_exact
from pipeline.text import topic_key, years_in
from pipeline.types import Finding, RefreshReason
from pipeline.writing.citations import cited_in_record

log = logging.getLogger("genpost")
KEEP = "keep"  # `refresh: keep` in front matter: the post is left alone
# How urgent each reason is; a post's score is the sum of its reasons'.
WEIGHTS = {
    "performance.clicks-lost": 6,  # the site loses readers now: above everything the files show
    "links.unresolved": 5,
    "performance.position-lost": 4,
    "performance.striking-distance": 3,
    "performance.low-ctr": 3,
    "links.related": 5,
    "source.dead": 4,
    "claims.unsupported": 4,
    "year.title": 4,
    "source.changed": 3,
    "year.description": 2,
    "year.seo_keywords": 2,
    "year.tags": 2,
    "year.prose": 2,
    "year.heading": 2,
    "claims.unsourced": 2,
    "source.moved": 1,
    "age": 1,
}
FIELD_NAMES = {
    "title": "タイトル",
    "description": "説明文（description）",
    "seo_keywords": "seo_keywords",
    "tags": "タグ",
}
PROSE = (Kind.PARAGRAPH, Kind.LIST_ITEM, Kind.STEP_LABEL)


@dataclass(frozen=True)
class Reason:
    """One reason a post needs a refresh: in Japanese, with the parts (or front-matter fields) it rewrites."""

    code: str
    message: str
    parts: tuple[str, ...] = ()
    detail: str = ""
    fixes: tuple[Finding, ...] = ()  # what the rewrite of its parts is told to fix
    url: str = ""  # a source's URL as the footnote writes it
    moved_to: str = ""  # a moved source's new address

    @property
    def weight(self) -> float:
        return WEIGHTS.get(self.code, 1)

    def model(self) -> RefreshReason:
        return RefreshReason(code=self.code, message=self.message, parts=list(self.parts), detail=self.detail)


@dataclass
class Stale:
    """A post of the site and why it needs a refresh."""

    path: Path
    name: str  # its path under _posts/
    title: str
    day: date | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(r.weight for r in self.reasons), 2)

    @property
    def urgency(self) -> float:
        """Its most urgent reason's weight: the list is ranked by it first, so a post of this year that names
        last year comes before an old post listed only for its age, however many small reasons that one has."""
        return max((r.weight for r in self.reasons), default=0)

    def to_json(self) -> dict:
        return {
            "file": f"_posts/{self.name}",
            "title": self.title,
            "date": self.day.isoformat() if self.day else None,
            "score": self.score,
            "reasons": [r.model().model_dump() for r in self.reasons],
        }


def read_post(path: Path) -> PostDoc:
    """A post read as a document; GenpostError (one line) when its text or front matter cannot be read."""
    try:
        doc = parse(read_exact(path))  # its line breaks kept: a CR LF post is refreshed as CR LF
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or type(exc).__name__
        raise GenpostError(f"{path.name}: cannot be read ({why})") from None
    if doc.front.error:
        raise GenpostError(f"{path.name}: the front matter cannot be read ({doc.front.error})")
    return doc


def keeps(doc: PostDoc) -> bool:
    return str(doc.front.get("refresh", "")).strip().lower() == KEEP


def site_posts(site: Path) -> list[Path]:
    """Every post under `site/_posts/` (its folders too, as Jekyll reads them), in name order; a link is never
    followed (it may lead out of the site)."""
    root = site / "_posts"
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(p.startswith((".", "_", "#")) or p.endswith("~") for p in relative.parts):
            continue
        if not DATED.match(path.name) or path.suffix.lower() not in (".md", ".markdown", ".html"):
            continue
        if path.is_symlink() or not path.resolve().is_relative_to(root.resolve()) or not path.is_file():
            continue
        found.append(path)
    return found


def post_day(doc: PostDoc, path: Path) -> date | None:
    """The post's date: its front matter's, else its file name's."""
    return _day(doc.front.date) or name_day(path.name)


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date() if value else None
    except ValueError:
        return None


def past_years(text: str, year: int) -> list[int]:
    return sorted({y for y in years_in(text) if y < year})


def _years_ja(years: list[int]) -> str:
    return "、".join(f"{y}年" for y in years)


def part_label(doc: PostDoc, part: str) -> str:
    """A part as an editor knows it: its heading, or 導入文."""
    heading = next((b.text for b in doc.of_part(part) if b.kind == Kind.HEADING), None)
    return heading or ("導入文" if part == "lead" else part)


def prose_parts(doc: PostDoc) -> list[str]:
    """The parts that hold prose a refresh can rewrite, in reading order."""
    return [k for k in doc.part_keys if k not in (RELATED, FOOTNOTES) and any(b.kind in PROSE for b in doc.of_part(k))]


def year_reasons(doc: PostDoc, year: int) -> list[Reason]:
    """A year before `year` in the title, the description, seo_keywords, the tags, a heading or the prose."""
    out = []
    for key in ("title", "description", "seo_keywords", "tags"):
        value = doc.front.get(key)
        text = " ".join(map(str, value)) if isinstance(value, list) else str(value or "")
        found = past_years(text, year)
        if found:
            message = f"{FIELD_NAMES[key]}に過去の年（{_years_ja(found)}）があります"
            out.append(Reason(f"year.{key}", message, (key,), detail=str(found[0])))
    writable = set(prose_parts(doc))
    for heading in doc.headings:
        found = past_years(heading.text, year)
        if not found or heading.part == RELATED:
            continue
        under = [b.part for b in doc.blocks if b.h2 == heading.h2 and (heading.level <= 2 or b.h3 == heading.h3)]
        parts = [p for p in dict.fromkeys([heading.part, *under]) if p in writable or p == heading.part]
        message = f"見出し「{heading.text}」に過去の年（{_years_ja(found)}）があります"
        out.append(Reason("year.heading", message, tuple(parts), detail=heading.text))
    headed = {part for reason in out if reason.code == "year.heading" for part in reason.parts}
    for part in prose_parts(doc):
        if part in headed:
            continue  # its heading's reason rewrites it already
        text = " ".join(b.text for b in doc.of_part(part) if b.kind in PROSE)
        found = past_years(text, year)
        if found:
            message = f"{part_label(doc, part)}: 本文に過去の年（{_years_ja(found)}）があります"
            out.append(Reason("year.prose", message, (part,), detail=str(found[0])))
    return out


def check_reasons(
    doc: PostDoc, settings: Settings, instincts: dict[str, Instinct], site: Site, name: str, out_dir: Path
) -> list[Reason]:
    """Figures to confirm or that their source does not hold, and internal links that no longer resolve."""
    record = load_record(out_dir / f"{Path(name).stem}.md")
    cited = cited_in_record(record) if record is not None and record.refresh is None else None
    check = Check(doc.numbered(), settings, instincts, site, Path(name).name, cited)
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for finding in [*claims.unsourced_figures(check), *links.unresolved(check)]:
        grouped.setdefault((finding.rule, finding.part or "lead"), []).append(finding)
    out = []
    for (rule, part), found in grouped.items():
        where = part_label(doc, part)
        if rule == "links.unresolved":
            for finding in found:
                out.append(Reason(rule, f"{where}: {finding.message_ja}", (part,), finding.excerpt or "", (finding,)))
            continue
        figures = "".join(f"「{f.figure}」" for f in found)
        message = (
            f"{where}: 要確認の数値{figures}に出典がありません"
            if rule == "claims.unsourced"
            else f"{where}: 数値{figures}が引用した資料に書かれていません"
        )
        out.append(Reason(rule, message, (part,), found[0].figure or "", tuple(found)))
    return out + related_reasons(doc, site)


def related_reasons(doc: PostDoc, site: Site) -> list[Reason]:
    """A post the related-posts block names through `post_url` that the site no longer has."""
    posts = site.posts_dir
    out = []
    for block in doc.of_kind(Kind.RELATED):
        for name in block.post_urls:
            if not any((posts / f"{name}.{ext}").exists() for ext in ("md", "markdown", "html")):
                message = f"関連記事のリンク先 {name} がサイトにありません（Jekyll のビルドが失敗します）"
                out.append(Reason("links.related", message, (RELATED,), name))
    return out


def calendar_topics() -> set[str]:
    """The topics of every keyword the calendar still uses (years aside)."""
    try:
        calendar = load_calendar()
    except GenpostError as exc:
        log.warning("refresh: calendar.yml cannot be read (%s); age is not a reason this time", exc)
        return set()
    words = [k for day in calendar.days.values() for k in day.keywords]
    words += [k for campaign in calendar.campaigns.values() for k in campaign.keywords]
    return {topic_key(k) for k in words} - {""}


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def age_reason(doc: PostDoc, day: date | None, today: date, max_months: int, topics: set[str]) -> Reason | None:
    """Older than `max_months` (since it was last modified) on a keyword the calendar still uses."""
    modified = _day(doc.front.modified)
    since = max(d for d in (day, modified) if d is not None) if day or modified else None
    keyword = doc.front.primary_keyword
    if since is None or not keyword or topic_key(keyword) not in topics:
        return None
    months = months_between(since, today)
    if months <= max_months:
        return None
    parts = prose_parts(doc)
    shaped = set(SECTION_PARTS) <= set(doc.part_keys)
    aged = ["lead" if "lead" in parts else parts[0]] if parts else []
    if shaped:  # the trend section is about the latest trends: it ages first
        aged += [p for p in parts if p == "trend_intro" or re.fullmatch(r"trend\d+", p)]
    message = f"公開（最終更新）から{months}か月たっています。カレンダーで今も使うキーワード「{keyword}」の記事です"
    return Reason("age", message, tuple(dict.fromkeys(aged)), detail=str(months))


# The parts a performance reason rewrites: what the search result shows (title, description) and the opening.
PERFORMANCE_PARTS = {
    "performance.clicks-lost": ("title", "description", "lead"),
    "performance.position-lost": ("description", "lead"),
    "performance.striking-distance": ("description", "lead"),
    "performance.low-ctr": ("title", "description"),
}


def performance_reasons(doc: PostDoc, signals: list[Signal]) -> list[Reason]:
    """What Search Console's figures say of the post, as reasons (the parts: its title, description, opening)."""
    first = next(iter(prose_parts(doc)), None)
    out = []
    for signal in signals:
        parts = tuple(
            p if p != "lead" else first for p in PERFORMANCE_PARTS.get(signal.code, ()) if p != "lead" or first
        )
        out.append(Reason(signal.code, signal.message, parts, detail=signal.post))
    return out


def source_reasons(doc: PostDoc, found: SourceFindings) -> list[Reason]:
    out = []
    """A URL is shown without any password it holds (a footnote may carry one; no output does)."""
    out = []
    for cited, why in found.dead:
        message = f"出典 {shown(cited.url)} を取得できません（{why}）"
        parts = (*cited.parts, FOOTNOTES)
        out.append(Reason("source.dead", message, parts, without_credentials(cited.url), url=cited.url))
    for cited, to in found.moved:
        message = f"出典 {shown(cited.url)} は {shown(to)} に移転しています"
        detail = without_credentials(cited.url)
        out.append(Reason("source.moved", message, (FOOTNOTES,), detail, url=cited.url, moved_to=to))
    for cited in found.changed:
        message = f"出典 {shown(cited.url)} の内容が、引用したときから変わっています"
        out.append(Reason("source.changed", message, cited.parts, without_credentials(cited.url), url=cited.url))
    return out


@dataclass
class Finder:
    """Finds the reasons of the site's posts: the checks that need no network at once, the sources together."""

    site: Path
    out_dir: Path
    settings: Settings
    instincts: dict[str, Instinct]
    today: date
    topics: set[str] = field(default_factory=set)
    checks: dict[str, Checked] = field(default_factory=dict)  # every cited URL checked, once
    read: Site = field(init=False)  # the site, read once for every post's checks

    def __post_init__(self) -> None:
        self.read = Site(self.site, self.settings.site.layout)

    def local(self, path: Path, doc: PostDoc) -> list[Reason]:
        name = path.relative_to(self.site / "_posts").as_posix()
        found = year_reasons(doc, self.today.year)
        found += check_reasons(doc, self.settings, self.instincts, self.read, name, self.out_dir)
        aged = age_reason(doc, post_day(doc, path), self.today, self.settings.refresh.max_age_months, self.topics)
        return found + ([aged] if aged else [])

    async def sources(self, docs: dict[Path, PostDoc]) -> dict[Path, SourceFindings]:
        """Each post's dead, moved and changed sources; every URL of the site fetched once."""
        urls = [c.url for doc in docs.values() for c in cited_sources(doc)]
        if not urls:
            return {}
        ledger = Ledger(self.out_dir)
        self.checks = await check_urls(urls, self.settings.sources, self.out_dir, ledger)
        out = {}
        for path, doc in docs.items():
            name = path.relative_to(self.site / "_posts").as_posix()
            out[path] = judge(name, path.stem, doc, self.checks, self.out_dir, ledger)
        ledger.save()
        return out


async def find_stale(
    site: Path,
    out_dir: Path,
    settings: Settings,
    instincts: dict[str, Instinct],
    today: date | None = None,
    performance: Performance | None = None,
) -> list[Stale]:
    """Every post of the site that needs a refresh, most urgent first (then the oldest); a post that cannot be
    read costs one line on stderr. With Search Console's figures (`performance`), what they say of each post."""
    by_post: dict[str, list[Signal]] = {}
    for signal in performance.signals() if performance is not None else []:
        by_post.setdefault(signal.post, []).append(signal)
    today = today or datetime.now(settings.site.zone).date()
    finder = Finder(site, out_dir, settings, instincts, today, calendar_topics())
    docs: dict[Path, PostDoc] = {}
    for path in site_posts(site):
        try:
            doc = read_post(path)
        except GenpostError as exc:
            log.warning("refresh: %s; skipped", exc)
            continue
        if not keeps(doc):
            docs[path] = doc
    by_source = await finder.sources(docs)
    stale = []
    for path, doc in docs.items():  # every post's links are checked against the finder's one reading of the site
        reasons = finder.local(path, doc)
        if path in by_source:
            reasons += source_reasons(doc, by_source[path])
        named = path.relative_to(site / "_posts").with_suffix("").as_posix()
        reasons += performance_reasons(doc, by_post.get(named, []))
        if reasons:
            name = path.relative_to(site / "_posts").as_posix()
            title = doc.front.title or path.stem
            stale.append(Stale(path, name, title, post_day(doc, path), reasons))
    return sorted(stale, key=lambda s: (-s.urgency, -s.score, s.day or date.min, s.name))
