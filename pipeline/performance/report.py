"""`genpost report`: the site at a glance, as one self-contained HTML page (no network): its clusters of posts,
the in-prose links each post receives and the orphans, the stale posts `refresh --list` names; and, with
Search Console data, clicks and impressions per post over the two periods, the posts that lost most, pages near
the first page, competing posts, searches no post answers, and the links to add. Figures are SVG drawn with
matplotlib (text kept as text, so the browser's Japanese font shows it); every table sorts by a click.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jinja2

from pipeline.errors import GenpostError
from pipeline.performance.export import Row
from pipeline.performance.signals import (
    Competing,
    Performance,
    PostFigures,
    Signal,
    competing,
    gaps,
    ranked_for,
)
from pipeline.refresh.reasons import Stale, read_post
from pipeline.site.context import Site
from pipeline.site.posts import SitePost

HERE = Path(__file__).parent
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
TOP = 20  # posts in a figure
LINK_SOURCES = 3  # strongest pages suggested as sources of links to a page near the first page


@dataclass
class PostLine:
    """A post as the report lists it."""

    name: str
    title: str
    cluster: str
    inbound: int  # in-prose links from the site's other posts
    figures: PostFigures | None = None
    signals: list[Signal] = field(default_factory=list)
    draft: str = ""  # a refresh or draft of it waiting in out/


@dataclass
class LinkIdea:
    source: str
    source_title: str
    target: str
    target_title: str
    anchor: str


@dataclass
class SiteReport:
    site: str
    made_at: datetime
    posts: list[PostLine]
    clusters: dict[str, list[PostLine]]
    stale: list[Stale]
    performance: Performance | None = None
    lost: list[PostLine] = field(default_factory=list)
    striking: list[PostLine] = field(default_factory=list)
    competing: list[Competing] = field(default_factory=list)
    gaps: list[Row] = field(default_factory=list)
    links: list[LinkIdea] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)  # name → SVG

    @property
    def orphans(self) -> list[PostLine]:
        return [p for p in self.posts if p.inbound == 0]


def inbound_links(site: Site) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Each post's count of in-prose links from the site's other posts, and which posts each post links to."""
    names = {p.name for p in site.posts}
    counts = dict.fromkeys(names, 0)
    linked: dict[str, set[str]] = {name: set() for name in names}
    for post in site.posts:
        try:
            doc = read_post(post.path)
        except GenpostError:
            continue
        for block in doc.prose:
            for _, target in block.internal_links:
                found = target if target in names else _by_path(site, target)
                if found and found != post.name:
                    counts[found] += 1
                    linked[post.name].add(found)
    return counts, linked


def _by_path(site: Site, href: str) -> str | None:
    post = site.permalinks.by_path(href)
    return post.name if post is not None else None


def build_report(
    site: Site,
    stale: list[Stale],
    performance: Performance | None,
    drafts: dict[str, Path],
    now: datetime,
    cache: Path | None = None,
) -> SiteReport:
    """Everything the report shows (`drafts`: `_posts/…` → a draft of it in out/)."""
    counts, linked = inbound_links(site)
    signals: dict[str, list[Signal]] = {}
    if performance is not None:
        for signal in performance.signals():
            signals.setdefault(signal.post, []).append(signal)
    posts = []
    for post in site.posts:
        figures = performance.posts.get(post.name) if performance else None
        draft = next((p.name for target, p in drafts.items() if Path(target).stem == post.name), "")
        posts.append(
            PostLine(
                post.name,
                post.title,
                _cluster(post),
                counts.get(post.name, 0),
                figures,
                signals.get(post.name, []),
                draft,
            )
        )
    clusters: dict[str, list[PostLine]] = {}
    for line in posts:
        clusters.setdefault(line.cluster, []).append(line)
    report = SiteReport(str(site.root), now, posts, dict(sorted(clusters.items(), key=lambda c: -len(c[1]))), stale)
    if performance is None:
        return report
    report.performance = performance
    measured = [p for p in posts if p.figures is not None]
    report.lost = sorted((p for p in measured if p.figures.lost > 0), key=lambda p: -p.figures.lost)[:TOP]
    report.striking = [p for p in posts if any(s.code == "performance.striking-distance" for s in p.signals)]
    answers = ranked_for(site, performance, cache)
    report.competing = competing(performance, answers)
    report.gaps = gaps(performance, answers)
    report.links = link_ideas(report.striking, measured, linked, answers)
    report.figures = draw_figures(measured, report.lost)
    return report


def _cluster(post: SitePost) -> str:
    """The post's cluster: its first tag."""
    return post.tags[0] if post.tags else "（分類なし）"


def link_ideas(
    striking: list[PostLine], measured: list[PostLine], linked: dict[str, set[str]], answers: dict
) -> list[LinkIdea]:
    """Links from the site's strongest pages to the pages near the first page that they do not link yet; each
    anchor a query the target ranks for, never one anchor for two targets."""
    strongest = sorted(measured, key=lambda p: -(p.figures.now.clicks if p.figures else 0))
    used: set[str] = set()
    ideas = []
    for target in striking:
        queries = [q for q, posts in answers.items() if posts and posts[0][0] == target.name and q not in used]
        anchor = queries[0] if queries else target.title
        if anchor in used:
            continue
        used.add(anchor)
        sources = [p for p in strongest if p.name != target.name and target.name not in linked.get(p.name, set())]
        ideas += [LinkIdea(s.name, s.title, target.name, target.title, anchor) for s in sources[:LINK_SOURCES]]
    return ideas


def draw_figures(measured: list[PostLine], lost: list[PostLine]) -> dict[str, str]:
    """The report's figures as SVG: clicks and impressions per post over the two periods, the posts that lost
    most."""
    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # a machine with no CJK font: estimated
    from matplotlib import pyplot

    pyplot.rcParams["svg.fonttype"] = "none"  # text stays text: the browser draws the Japanese
    # Japanese glyphs measured with a CJK font where the machine has one (fonts-noto-cjk), else estimated.
    pyplot.rcParams["font.family"] = ["Noto Sans CJK JP", "DejaVu Sans"]
    pyplot.rcParams["text.parse_math"] = False  # a title with `$` in it is text, not mathtext
    top = sorted(measured, key=lambda p: -(p.figures.now.clicks + (p.figures.before.clicks if p.figures.before else 0)))
    top = top[:TOP]
    out = {}
    for key, label in (("clicks", "クリック数"), ("impressions", "表示回数")):
        figure, axes = pyplot.subplots(figsize=(9, 0.32 * max(len(top), 3) + 1))
        names = [p.title[:28] for p in top]
        now = [getattr(p.figures.now, key) for p in top]
        before = [getattr(p.figures.before, key) if p.figures.before else 0 for p in top]
        rows = range(len(top))
        axes.barh([r + 0.2 for r in rows], before, height=0.4, label="前の期間", color="#b9c6d6")
        axes.barh([r - 0.2 for r in rows], now, height=0.4, label="今の期間", color="#1f4e79")
        axes.set_yticks(list(rows), names)
        axes.invert_yaxis()
        axes.set_xlabel(label)
        axes.legend()
        out[key] = _svg(figure, pyplot)
    if lost:
        figure, axes = pyplot.subplots(figsize=(9, 0.32 * max(len(lost), 3) + 1))
        axes.barh(range(len(lost)), [p.figures.lost * 100 for p in lost], color="#a33")
        axes.set_yticks(list(range(len(lost))), [p.title[:28] for p in lost])
        axes.invert_yaxis()
        axes.set_xlabel("クリックの減少（%）")
        out["lost"] = _svg(figure, pyplot)
    return out


def _svg(figure: object, pyplot: object) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():  # a glyph the measuring font lacks: the browser's font draws it
        warnings.simplefilter("ignore", UserWarning)
        figure.tight_layout()  # type: ignore[attr-defined]
        figure.savefig(buffer, format="svg", metadata={"Date": None})  # type: ignore[attr-defined]
    pyplot.close(figure)  # type: ignore[attr-defined]
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def render_report(report: SiteReport, in_app: bool = False, csrf: str = "") -> str:
    """The report as one HTML page (`in_app`: its actions are the review app's buttons)."""
    return TEMPLATES.get_template("report.html").render(report=report, in_app=in_app, csrf=csrf)
