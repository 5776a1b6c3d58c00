"""Everything → the Markdown post: front matter, sections, images, blocks, JSON-LD."""

from __future__ import annotations

import html
import json
import math
import re

from pipeline import frontmatter
from pipeline.citations import Footnotes, citable_url, cited_texts, footnote_lines, strip_markers, to_footnotes
from pipeline.config import Settings
from pipeline.frontmatter import Flow, Quoted, Timestamp
from pipeline.instincts import Instinct
from pipeline.outline import RELATED_H2, STEP_LABELS, Outline
from pipeline.parttext import texts_of
from pipeline.sources import Grounding
from pipeline.text import char_count, heading_text, neutralise_liquid, slugify
from pipeline.types import Brief, Image, PartText, Plan, Post, RelatedPost, Sections, Source, StepText, SummaryText

_LIQUID_IN_JSON = re.compile(r"\{(?=[{%])")


def reading_minutes(chars: int, per_minute: int) -> int:
    """Minutes to read `chars` Japanese characters at `per_minute`, at least 1."""
    return max(1, math.ceil(chars / per_minute))


def prose_of(sections: Sections) -> list[str]:
    """Every piece of text a reader reads, in order."""
    return [text for value in sections.values() for text in texts_of(value)]


def part_lines(value: PartText) -> list[str]:
    """A part's Markdown under its heading: prose, a step's labelled bullets, or the summary's points."""
    if isinstance(value, StepText):
        lines = [value.summary]
        for label, items in zip(STEP_LABELS, (value.actions, value.metrics, value.cautions), strict=True):
            lines.append(f"- **{label}:**")
            lines += [f"    - {item}" for item in items]
        return [*lines, ""]
    if isinstance(value, SummaryText):
        points = [f"- **{p.label}:** {p.text}" for p in value.points]
        return [value.intro, "", *points, "", value.closing, ""]
    return [value, ""]


def json_ld(data: dict) -> str:
    """JSON for a script tag: no `<`, `>` or `&` that could end it, no live Liquid."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _LIQUID_IN_JSON.sub(r"\\u007b", text)


def _image_line(image: Image | None) -> list[str]:
    """The image, and under it the photographer's credit as Unsplash asks."""
    if image is None:
        return []
    lines = [f"![{heading_text(image.alt)}]({image.url})"]
    if image.credit:
        lines.append(f'<small class="photo-credit">{neutralise_liquid(image.credit)}</small>')
    return lines


class Assembler:
    """Owns every heading, image line and block; the model only wrote the prose."""

    def __init__(self, settings: Settings, instinct: Instinct) -> None:
        self.settings = settings
        self.instinct = instinct

    def front_matter(self, brief: Brief, plan: Plan, hero: Image, reading_time: int) -> dict:
        site = self.settings.site
        return {
            "layout": site.layout,
            "title": Quoted(plan.title),
            "date": Timestamp.of(brief.date),
            "categories": Flow([plan.category]),
            "tags": Flow(plan.tags),
            "author": Quoted(site.author),
            "description": Quoted(plan.description),
            "image": Quoted(hero.url),
            "featured": site.featured,
            "instinct": self.instinct.key,
            "reading_time": reading_time,
            "seo_keywords": Flow([Quoted(k) for k in brief.keywords]),
        }

    def body(self, outline: Outline, sections: Sections, images: dict[str, Image]) -> list[str]:
        """Each part under its heading, in the outline's order; an image line right after the H2s that carry one."""
        lines: list[str] = []
        for part in outline:
            if part.heading:
                lines.append(f"{'#' * part.level} {heading_text(part.heading)}")
            if part.image:
                lines += [*_image_line(images.get(part.image)), ""]
            lines += part_lines(sections[part.key])
        return lines

    def hero_credit(self, hero: Image) -> list[str]:
        """The front-matter image has no line in the body; its credit closes the article."""
        if not hero.credit:
            return []
        return [f'<p class="photo-credit">アイキャッチ画像: {neutralise_liquid(hero.credit)}</p>', ""]

    def related_block(self, related: list[RelatedPost]) -> list[str]:
        if not related:
            return []
        items = [
            f'    <li><a href="{{{{ site.baseurl }}}}{{% post_url {r.name} %}}">{_html_text(r.title)}</a></li>'
            for r in related
        ]
        heading = _html_text(self.settings.related.heading)
        return [
            f"## {RELATED_H2}",
            "",
            '<div class="related-posts">',
            f"  <h3>{heading}</h3>",
            "  <ul>",
            *items,
            "  </ul>",
            "</div>",
            "",
        ]

    def cta_block(self) -> list[str]:
        cta = self.settings.cta
        return [
            '<div class="cta-section">',
            f"  <h2>{cta.heading}</h2>",
            f"  <p>{cta.text}</p>",
            f'  <a href="{html.escape(cta.link)}" class="btn btn-primary btn-lg">{cta.button}</a>',
            "</div>",
            "",
        ]

    def json_ld_block(self, fields: dict, cited: list[Source] = (), seo_tag: bool = False) -> list[str]:
        """The post's BlogPosting; on a site whose jekyll-seo-tag writes the BlogPosting from the front
        matter, a WebPage node with only what that one lacks (language, keywords, publisher logo, citations)."""
        site = self.settings.site
        works = [{"@type": "CreativeWork", "name": s.title, "url": u} for s in cited if (u := citable_url(s.location))]
        if seo_tag:
            page = {
                "@context": "https://schema.org",
                "@type": "WebPage",
                "name": str(fields["title"]),
                "inLanguage": site.language,
                "keywords": [str(k) for k in fields["seo_keywords"]],
                "publisher": {
                    "@type": "Organization",
                    "name": site.name,
                    "logo": {"@type": "ImageObject", "url": site.logo},
                },
                **({"citation": works} if works else {}),
            }
            return ['<script type="application/ld+json">', json_ld(page), "</script>"]
        data = {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": str(fields["title"]),
            "image": str(fields["image"]),
            "author": {"@type": "Organization", "name": site.author},
            "publisher": {
                "@type": "Organization",
                "name": site.name,
                "logo": {"@type": "ImageObject", "url": site.logo},
            },
            "datePublished": str(fields["date"]),
            "description": str(fields["description"]),
            "inLanguage": site.language,
            "keywords": [str(k) for k in fields["seo_keywords"]],
        }
        if works:
            data["citation"] = works
        return ['<script type="application/ld+json">', json_ld(data), "</script>"]

    def assemble(
        self,
        brief: Brief,
        plan: Plan,
        outline: Outline,
        sections: Sections,
        images: list[Image],
        related: list[RelatedPost],
        grounding: Grounding | None = None,
        seo_tag: bool = False,
    ) -> Post:
        """The post; with `grounding`, the parts' [S7] markers become footnotes on their sources."""
        by_slot = {image.slot: image for image in images}
        plain = {key: strip_markers(value) for key, value in sections.items()}
        chars = sum(char_count(t) for t in prose_of(plain))
        minutes = reading_minutes(chars, self.settings.lengths.reading_chars_per_minute)
        fields = self.front_matter(brief, plan, by_slot["hero"], minutes)
        if grounding is None:
            sections, notes = plain, Footnotes()
        else:
            sections, notes = to_footnotes(sections, outline.part_keys(), grounding.passages_by_id())
        sources = {s.id: s for s in grounding.sources} if grounding else {}
        lines = self.body(outline, sections, by_slot)
        lines += self.hero_credit(by_slot["hero"])
        notes_lines = footnote_lines(notes, sources, self.settings.site.zone)
        lines += [*notes_lines, ""] if notes_lines else []
        cited = [sources[s] for s in sorted(notes.by_source, key=notes.by_source.get)]
        lines += self.related_block(related) + self.cta_block() + self.json_ld_block(fields, cited, seo_tag)
        markdown = frontmatter.dump(fields) + "\n" + "\n".join(lines) + "\n"
        local_day = brief.date.astimezone(self.settings.site.zone).strftime("%Y-%m-%d")
        return Post(
            filename=f"{local_day}-{slugify(plan.title)}.md",
            markdown=markdown,
            front_matter={k: (list(v) if isinstance(v, list) else v) for k, v in fields.items()},
            reading_time=minutes,
            body_chars=chars,
            related=related,
            citations=notes.citations,
            cited=cited_texts(notes, grounding.index.passages) if grounding else {},
        )


def _html_text(text: str) -> str:
    return neutralise_liquid(html.escape(text))
