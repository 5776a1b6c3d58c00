"""A Jekyll site: its posts, and which of them are related to a new one."""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from pipeline import frontmatter, yamlfile
from pipeline.errors import UsageError
from pipeline.text import char_ngrams, jaccard, squash
from pipeline.types import RelatedPost

log = logging.getLogger("genpost")

# Jekyll's own post names: a date whose month and day may have one digit (2025-1-5-slug.md), a slug, an extension.
POST_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)\.(md|markdown|html)$")


def name_day(name: str) -> date | None:
    """The date a post's file name gives (`2025-1-5-slug.md` is 5 January 2025); None when it gives none."""
    match = POST_NAME.match(name)
    try:
        return date(*map(int, match.group(1, 2, 3))) if match else None
    except ValueError:  # 2025-02-30
        return None


# What `{% post_url NAME %}` cannot carry, nor genpost's own reading of the link it writes: Liquid's delimiters,
# quotes, what ends a Markdown link or an HTML attribute; besides any white space or control character.
_UNSAFE_IN_NAME = frozenset("{}%'\"<>()[]\\`|")


def post_url_safe(name: str) -> bool:
    """Can `{% post_url name %}` name this post safely (as a link target in a draft)?"""
    return 0 < len(name) <= 255 and not any(c in _UNSAFE_IN_NAME or unicodedata.category(c)[0] in "CZ" for c in name)


_told: set[str] = set()


def _one_line(text: str) -> str:
    """`text` with its control characters and line breaks written as escapes (a file name may hold them)."""
    return "".join(repr(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


def notice(about: Path | str, message: str) -> None:
    """One line on stderr about a file of the site, once a run (several stages read the same files)."""
    if str(about) not in _told:
        _told.add(str(about))
        log.warning("%s", _one_line(message))


def unlinked(path: Path) -> None:
    """The notice for a post whose file name `{% post_url %}` cannot carry."""
    notice(f"unlinkable:{path}", f"{path}: its file name cannot go in {{% post_url %}}; not linked")


_TAG = re.compile(r"<[^<>]*>")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"\*\*|__|~~|`")
_STARRED = re.compile(r"\*([^*\s][^*]*)\*")


def plain(value: object, limit: int = 500) -> str:
    """Site text (a title, a description, a keyword) as prompts, link anchors and the related block take it: one
    line of plain text: tags and Markdown marks taken out, then HTML entities unescaped once (`&lt;b&gt;` is the
    text `<b>`, never a tag), control characters and line breaks made spaces, runs of spaces made one; at most
    `limit` characters."""
    text = _MD_LINK.sub(r"\1", _TAG.sub("", str(value)))
    text = html.unescape(_STARRED.sub(r"\1", _MARKS.sub("", text)))
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    return re.sub(r" {2,}", " ", text).strip()[:limit].strip()


def site_config(site: Path) -> dict[str, Any]:
    """The site's `_config.yml` ({} where it is missing, unreadable or broken, as Jekyll's defaults stand then);
    one too big to build (its aliases a "billion laughs") is a UsageError naming it."""
    path = site / "_config.yml"
    try:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except yamlfile.Refused as exc:
        raise UsageError(f"{path}: {exc.problem}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


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
    """Every post under `site/_posts`, newest name first; unreadable files are skipped (one whose front matter is
    refused, with a notice); titles and keywords as `plain` makes them. A hostile `_config.yml` is a UsageError."""
    site_config(site)
    posts = []
    for path in sorted((site / "_posts").glob("*"), reverse=True):
        day = name_day(path.name)
        if not path.is_file() or day is None:
            continue
        try:
            data, _ = frontmatter.split(path.read_text(encoding="utf-8"))
        except frontmatter.Refused as exc:
            notice(path, f"{path}: {exc}; skipped")
            continue
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            continue
        words = [*_as_list(data.get("tags")), *_as_list(data.get("seo_keywords")), *_as_list(data.get("categories"))]
        keywords = _as_list(data.get("seo_keywords")) or _as_list(data.get("tags"))
        title = plain(data.get("title") or "") or plain(path.stem)
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
        return [plain(value)]
    if isinstance(value, list):
        return [plain(v) for v in value if not isinstance(v, list | dict)]
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
    """The `count` posts most related by topic; ties go to the newer post. A post whose name `{% post_url %}`
    cannot carry is never one (a notice names it)."""
    carried = []
    for post in posts:
        if post_url_safe(post.name):
            carried.append(post)
        else:
            unlinked(post.path)
    scored = [(topic_score(title, words, p), p) for p in carried]
    ranked = sorted((s for s in scored if s[0] >= min_score), key=lambda s: -s[0])
    return [RelatedPost(name=p.name, title=p.title, score=s) for s, p in ranked[:count]]


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


_SEO_TAG = re.compile(r"\{%-?\s*seo\b")


def uses_seo_tag(site: Path | None) -> bool:
    """Does the site write its own BlogPosting JSON-LD (jekyll-seo-tag: in its plugins, or `{% seo %}` in a layout)?"""
    if site is None:
        return False
    config = site_config(site)
    plugins = [*_listed(config.get("plugins")), *_listed(config.get("gems"))]
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
