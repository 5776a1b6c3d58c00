"""Everything → the Markdown post: front matter, sections, images, blocks, JSON-LD."""

from __future__ import annotations

import html
import json
import math
import re

from pipeline import frontmatter
from pipeline.config import Settings
from pipeline.frontmatter import Flow, Quoted, Timestamp
from pipeline.instincts import Instinct
from pipeline.outline import STEP_LABELS, Outline
from pipeline.text import char_count, neutralise_liquid, slugify
from pipeline.types import Brief, Image, Plan, Post, RelatedPost, Sections

_LIQUID_IN_JSON = re.compile(r"\{(?=[{%])")


def reading_minutes(chars: int, per_minute: int) -> int:
    """Minutes to read `chars` Japanese characters at `per_minute`, at least 1."""
    return max(1, math.ceil(chars / per_minute))


def prose_of(sections: Sections) -> list[str]:
    """Every piece of text a reader reads, in order."""
    texts = [sections.lead, sections.background, sections.trend_intro, *sections.trend_parts]
    texts.append(sections.steps_intro)
    for step in sections.steps:
        texts += [step.summary, *step.actions, *step.metrics, *step.cautions]
    texts.append(sections.cases)
    summary = sections.summary
    texts += [summary.intro, *(p.label + p.text for p in summary.points), summary.closing]
    return texts


def json_ld(data: dict) -> str:
    """JSON for a script tag: no `<`, `>` or `&` that could end it, no live Liquid."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _LIQUID_IN_JSON.sub(r"\\u007b", text)


def _image_line(image: Image | None) -> list[str]:
    """The image, and under it the photographer's credit as Unsplash asks."""
    if image is None:
        return []
    lines = [f"![{_md_text(image.alt)}]({image.url})"]
    if image.credit:
        lines.append(f'<small class="photo-credit">{neutralise_liquid(image.credit)}</small>')
    return lines


def _md_text(text: str) -> str:
    """Text placed inside Markdown link brackets."""
    return neutralise_liquid(html.escape(text, quote=False)).replace("[", "［").replace("]", "］")


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
        h = _md_text
        lines = [sections.lead, ""]
        lines += [f"## {h(outline.background)}", *_image_line(images.get("background")), "", sections.background, ""]
        lines += [f"## {h(outline.trend)}", *_image_line(images.get("trend")), "", sections.trend_intro, ""]
        for title, text in zip(outline.trend_parts, sections.trend_parts, strict=True):
            lines += [f"### {h(title)}", text, ""]
        lines += [f"## {h(outline.steps)}", sections.steps_intro, ""]
        for number, (title, step) in enumerate(zip(outline.step_titles, sections.steps, strict=True), 1):
            lines += [f"### ステップ{number}: {_md_text(title)}", step.summary]
            for label, items in zip(STEP_LABELS, (step.actions, step.metrics, step.cautions), strict=True):
                lines.append(f"- **{label}:**")
                lines += [f"    - {item}" for item in items]
            lines.append("")
        lines += [f"## {h(outline.cases)}", *_image_line(images.get("cases")), "", sections.cases, ""]
        summary = sections.summary
        lines += [f"## {h(outline.summary)}", summary.intro, ""]
        lines += [f"- **{p.label}:** {p.text}" for p in summary.points]
        lines += ["", summary.closing, ""]
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
            "## 関連記事",
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

    def json_ld_block(self, fields: dict) -> list[str]:
        site = self.settings.site
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
        return ['<script type="application/ld+json">', json_ld(data), "</script>"]

    def assemble(
        self,
        brief: Brief,
        plan: Plan,
        outline: Outline,
        sections: Sections,
        images: list[Image],
        related: list[RelatedPost],
    ) -> Post:
        by_slot = {image.slot: image for image in images}
        chars = sum(char_count(t) for t in prose_of(sections))
        minutes = reading_minutes(chars, self.settings.lengths.reading_chars_per_minute)
        fields = self.front_matter(brief, plan, by_slot["hero"], minutes)
        lines = self.body(outline, sections, by_slot)
        lines += self.hero_credit(by_slot["hero"])
        lines += self.related_block(related) + self.cta_block() + self.json_ld_block(fields)
        markdown = frontmatter.dump(fields) + "\n" + "\n".join(lines) + "\n"
        local_day = brief.date.astimezone(self.settings.site.zone).strftime("%Y-%m-%d")
        return Post(
            filename=f"{local_day}-{slugify(plan.title)}.md",
            markdown=markdown,
            front_matter={k: (list(v) if isinstance(v, list) else v) for k, v in fields.items()},
            reading_time=minutes,
            body_chars=chars,
            related=related,
        )


def _html_text(text: str) -> str:
    return neutralise_liquid(html.escape(text))
