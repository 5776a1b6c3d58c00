"""Everything → the post as a PostDoc: front matter, the parts under their headings, images and credits,
footnotes, the related-posts and CTA blocks, JSON-LD. The assembler owns every block but the prose."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from html import escape as html_escape

from pipeline.config import Settings
from pipeline.document import (
    CTA,
    FIELDS,
    FOOTNOTE_MARK,
    HERO,
    JSON_LD,
    RELATED,
    Block,
    FrontMatter,
    Kind,
    PostDoc,
    post_time,
)
from pipeline.frontmatter import Timestamp
from pipeline.instincts import Instinct
from pipeline.parse import item_block, parse_blocks
from pipeline.site.format import SiteFormat
from pipeline.site.posts import post_url_safe
from pipeline.sources import Grounding
from pipeline.text import char_count, heading_text, neutralise_liquid, slugify
from pipeline.types import (
    Brief,
    Image,
    PartText,
    Plan,
    Post,
    RelatedPost,
    Sections,
    Source,
    StepText,
    SummaryText,
)
from pipeline.writing.citations import Footnotes, citable_url, cited_texts, footnote_blocks, strip_markers, to_footnotes
from pipeline.writing.outline import RELATED_H2, STEP_LABELS, Outline


def reading_minutes(chars: int, per_minute: int) -> int:
    """Minutes to read `chars` Japanese characters at `per_minute`, at least 1."""
    return max(1, math.ceil(chars / per_minute))


def body_chars(doc: PostDoc) -> int:
    """The characters a reader reads in the body (footnote marks not counted)."""
    return char_count(FOOTNOTE_MARK.sub("", doc.prose_text()))


def _gapped(blocks: list[Block], gap: str) -> list[Block]:
    """`blocks` with the first standing after `gap` (the rest keep theirs)."""
    return [replace(blocks[0], gap=gap), *blocks[1:]] if blocks else []


def part_blocks(key: str, value: PartText, after_heading: bool) -> list[Block]:
    """A part's text as blocks of `key`: prose as its paragraphs and bullets; a step's summary, then each label
    with its bullets under it; the summary's opening, its labelled points, its close. `after_heading`: the
    first block follows its heading with no blank line between."""
    if isinstance(value, StepText):
        blocks = _gapped(parse_blocks(value.summary, key), "")
        for label, items in zip(STEP_LABELS, (value.actions, value.metrics, value.cautions), strict=True):
            blocks.append(Block(Kind.STEP_LABEL, "", key, level=1, label=label, gap=""))
            blocks += [replace(item_block(item, 2), part=key, gap="") for item in items]
    elif isinstance(value, SummaryText):
        labelled = [f"**{p.label}:** {p.text}" if p.label else p.text for p in value.points if p.label or p.text]
        points = [replace(item_block(text, 1), part=key, gap="") for text in labelled]
        closing = _gapped(parse_blocks(value.closing, key), "\n")
        blocks = parse_blocks(value.intro, key) + _gapped(points, "\n") + closing
    else:
        blocks = parse_blocks(value, key)
    return _gapped(blocks, "" if after_heading else "\n")


def _image_blocks(image: Image | None, part: str) -> list[Block]:
    """The image right under its heading, and under it the photographer's credit as Unsplash asks."""
    if image is None:
        return []
    blocks = [Block(Kind.IMAGE, f"![{heading_text(image.alt)}]({image.url})", part, gap="")]
    if image.credit:
        credit = f'<small class="photo-credit">{neutralise_liquid(image.credit)}</small>'
        blocks.append(Block(Kind.CREDIT, credit, part, gap=""))
    return blocks


class Assembler:
    """Owns every heading, image line and block; the model only wrote the prose."""

    def __init__(self, settings: Settings, instinct: Instinct) -> None:
        self.settings = settings
        self.instinct = instinct

    def front_matter(
        self, brief: Brief, plan: Plan, hero: Image, reading_time: int, wall_clock: bool = False
    ) -> FrontMatter:
        """genpost's twelve fields, in the reference post's order (`pipeline.document.FIELDS` says how each
        is written)."""
        site = self.settings.site
        fields = {
            "layout": site.layout,
            "title": plan.title,
            "date": post_time(brief.date, site.zone if wall_clock else None),
            "categories": [plan.category],
            "tags": list(plan.tags),
            "author": site.author,
            "description": plan.description,
            "image": hero.url,
            "featured": site.featured,
            "instinct": self.instinct.key,
            "reading_time": reading_time,
            "seo_keywords": list(brief.keywords),
        }
        assert list(fields) == list(FIELDS)
        return FrontMatter(fields)

    def body(self, outline: Outline, sections: Sections, images: dict[str, Image]) -> list[Block]:
        """Each part under its heading, in the outline's order; an image line right after the H2s that carry one."""
        blocks: list[Block] = []
        for part in outline:
            if part.heading:
                blocks.append(Block(Kind.HEADING, heading_text(part.heading), part.key, level=part.level))
            pictured = _image_blocks(images.get(part.image), part.key) if part.image else []
            blocks += pictured
            blocks += part_blocks(part.key, sections[part.key], after_heading=bool(part.heading) and not pictured)
        return blocks

    def hero_credit(self, hero: Image) -> list[Block]:
        """The front-matter image has no line in the body; its credit closes the article."""
        if not hero.credit:
            return []
        credit = f'<p class="photo-credit">アイキャッチ画像: {neutralise_liquid(hero.credit)}</p>'
        return [Block(Kind.CREDIT, credit, HERO)]

    def related_block(self, related: list[RelatedPost]) -> list[Block]:
        related = [r for r in related if post_url_safe(r.name)]  # never a name `{% post_url %}` cannot carry
        if not related:
            return []
        # The reference format writes `{{ site.baseurl }}{% post_url … %}`; Jekyll 4's post_url holds the baseurl
        # already, so a site that sets one gets the bare post_url (not the baseurl twice).
        base = "" if self.settings.site.baseurl else "{{ site.baseurl }}"
        items = [f'    <li><a href="{base}{{% post_url {r.name} %}}">{_html_text(r.title)}</a></li>' for r in related]
        heading = _html_text(self.settings.related.heading)
        html = ['<div class="related-posts">', f"  <h3>{heading}</h3>", "  <ul>", *items, "  </ul>", "</div>"]
        return [Block(Kind.HEADING, RELATED_H2, RELATED, level=2), Block(Kind.RELATED, "\n".join(html), RELATED)]

    def cta_block(self) -> Block:
        cta = self.settings.cta
        html = [
            '<div class="cta-section">',
            f"  <h2>{cta.heading}</h2>",
            f"  <p>{cta.text}</p>",
            f'  <a href="{html_escape(cta.link)}" class="btn btn-primary btn-lg">{cta.button}</a>',
            "</div>",
        ]
        return Block(Kind.CTA, "\n".join(html), CTA)

    def published(self, value: datetime) -> str:
        """`datePublished`: the front matter's UTC time as it is written; a wall-clock time with the site's offset."""
        if value.tzinfo is None:
            return value.replace(tzinfo=self.settings.site.zone).isoformat(timespec="seconds")
        return str(Timestamp.of(value))

    def json_ld_block(self, front: FrontMatter, cited: list[Source] = (), seo_tag: bool = False) -> Block:
        """The post's BlogPosting; on a site whose jekyll-seo-tag writes the BlogPosting from the front
        matter, a WebPage node with only what that one lacks (language, keywords, publisher logo, citations)."""
        site = self.settings.site
        works = [{"@type": "CreativeWork", "name": s.title, "url": u} for s in cited if (u := citable_url(s.location))]
        if seo_tag:
            page = {
                "@context": "https://schema.org",
                "@type": "WebPage",
                "name": front.get("title"),
                "inLanguage": site.language,
                "keywords": list(front.get("seo_keywords")),
                "publisher": {
                    "@type": "Organization",
                    "name": site.name,
                    **({"logo": {"@type": "ImageObject", "url": site.logo}} if site.logo else {}),
                },
                **({"citation": works} if works else {}),
            }
            return Block(Kind.JSON_LD, "", JSON_LD, data=page)
        data = {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": front.get("title"),
            "image": front.get("image"),
            "author": {"@type": "Organization", "name": site.author},
            "publisher": {
                "@type": "Organization",
                "name": site.name,
                **({"logo": {"@type": "ImageObject", "url": site.logo}} if site.logo else {}),
            },
            "datePublished": self.published(front.get("date")),
            "description": front.get("description"),
            "inLanguage": site.language,
            "keywords": list(front.get("seo_keywords")),
        }
        if works:
            data["citation"] = works
        return Block(Kind.JSON_LD, "", JSON_LD, data=data)

    def assemble(
        self,
        brief: Brief,
        plan: Plan,
        outline: Outline,
        sections: Sections,
        images: list[Image],
        related: list[RelatedPost],
        grounding: Grounding | None = None,
        site_format: SiteFormat | None = None,
    ) -> Post:
        """The post; with `grounding`, the parts' [S7] markers become footnotes on their sources. What the site's
        layout renders itself (a CTA, related posts, jekyll-seo-tag's BlogPosting) the body leaves out, so the page
        carries each once."""
        shown = site_format or SiteFormat()
        by_slot = {image.slot: image for image in images}
        if grounding is None:
            sections, notes = {key: strip_markers(value) for key, value in sections.items()}, Footnotes()
        else:
            sections, notes = to_footnotes(sections, outline.part_keys(), grounding.passages_by_id())
        sources = {s.id: s for s in grounding.sources} if grounding else {}
        blocks = self.body(outline, sections, by_slot) + self.hero_credit(by_slot["hero"])
        blocks += footnote_blocks(notes, sources, self.settings.site.zone)
        cited = [sources[s] for s in sorted(notes.by_source, key=notes.by_source.get)]
        blocks += [] if shown.renders_related else self.related_block(related)
        blocks += [] if shown.renders_cta else [self.cta_block()]
        chars = body_chars(PostDoc(FrontMatter(), tuple(blocks)))
        minutes = reading_minutes(chars, self.settings.lengths.reading_chars_per_minute)
        front = self.front_matter(brief, plan, by_slot["hero"], minutes, shown.wall_clock)
        blocks += [self.json_ld_block(front, cited, shown.seo_tag)]
        local_day = brief.date.astimezone(self.settings.site.zone).strftime("%Y-%m-%d")
        return Post(
            filename=f"{local_day}-{slugify(plan.title)}.md",
            doc=PostDoc(front, tuple(blocks)),
            reading_time=minutes,
            body_chars=chars,
            related=related,
            citations=notes.citations,
            cited=cited_texts(notes, grounding.index.passages) if grounding else {},
        )


def _html_text(text: str) -> str:
    """Text for the assembler's HTML blocks: one line, no control characters, HTML and Liquid inert."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return neutralise_liquid(html_escape(flat))
