"""A Jekyll site: its posts, and which of them are related to a new one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from pipeline import frontmatter
from pipeline.text import char_ngrams, jaccard, squash
from pipeline.types import RelatedPost

# Jekyll's own post names: a date whose month and day may have one digit (2025-1-5-slug.md), a slug, an extension.
POST_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)\.(md|markdown|html)$")


def name_day(name: str) -> date | None:
    """The date a post's file name gives (`2025-1-5-slug.md` is 5 January 2025); None when it gives none."""
    match = POST_NAME.match(name)
    try:
        return date(*map(int, match.group(1, 2, 3))) if match else None
    except ValueError:  # 2025-02-30
        return None


@dataclass(frozen=True)
class SitePost:
    """A post in `_posts/`: `name` is what `{% post_url %}` takes."""

    name: str
    path: Path
    title: str
    tags: tuple[str, ...] = field(default=())
    keyword: str = ""  # its primary keyword: the first seo_keyword, else the first tag
    day: date | None = None  # its date: the front matter's, else the one in its file name
    published: bool = True  # `published: false` in its front matter: Jekyll does not build it

    def linkable(self, before: date) -> bool:
        """Can a post dated `before` link to it? Jekyll builds it (published, not dated in the future: Jekyll
        leaves future posts out unless told), and it is not newer than the post that links."""
        return self.published and self.day is not None and self.day <= min(before, date.today())


def load_posts(site: Path) -> list[SitePost]:
    """Every post under `site/_posts`, newest name first; unreadable files are skipped."""
    posts = []
    for path in sorted((site / "_posts").glob("*"), reverse=True):
        day = name_day(path.name)
        if not path.is_file() or day is None:
            continue
        try:
            data, _ = frontmatter.split(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            continue
        words = [*_as_list(data.get("tags")), *_as_list(data.get("seo_keywords")), *_as_list(data.get("categories"))]
        keywords = _as_list(data.get("seo_keywords")) or _as_list(data.get("tags"))
        title = str(data.get("title") or path.stem)
        day = _front_day(data.get("date")) or day
        published = data.get("published") is not False
        posts.append(SitePost(path.stem, path, title, tuple(words), keywords[0] if keywords else "", day, published))
    return posts


def _front_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _bigrams(text: str) -> set[str]:
    return char_ngrams("".join(c for c in squash(text) if c.isalpha()), 2)


def topic_score(title: str, words: list[str], post: SitePost) -> float:
    """How related `post` is: shared tags and keywords, and shared title wording (Jaccard, half each)."""
    tag_score = jaccard({squash(w) for w in words}, {squash(w) for w in post.tags})
    text_score = jaccard(_bigrams(title + " ".join(words)), _bigrams(post.title + " ".join(post.tags)))
    return round(0.5 * tag_score + 0.5 * text_score, 4)


def related_posts(
    posts: list[SitePost], title: str, words: list[str], count: int, min_score: float
) -> list[RelatedPost]:
    """The `count` posts most related by topic; ties go to the newer post."""
    scored = [(topic_score(title, words, p), p) for p in posts]
    ranked = sorted((s for s in scored if s[0] >= min_score), key=lambda s: -s[0])
    return [RelatedPost(name=p.name, title=p.title, score=s) for s, p in ranked[:count]]


_SEO_TAG = re.compile(r"\{%-?\s*seo\b")


def uses_seo_tag(site: Path | None) -> bool:
    """Does the site write its own BlogPosting JSON-LD (jekyll-seo-tag: in its plugins, or `{% seo %}` in a layout)?"""
    if site is None:
        return False
    try:
        config = yaml.safe_load((site / "_config.yml").read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        config = {}
    plugins = [*(config.get("plugins") or []), *(config.get("gems") or [])] if isinstance(config, dict) else []
    if "jekyll-seo-tag" in plugins:
        return True
    templates = [p for folder in ("_layouts", "_includes") for p in (site / folder).glob("*.html")]
    for path in templates:
        try:
            if _SEO_TAG.search(path.read_text(encoding="utf-8")):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False
