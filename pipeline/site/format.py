"""What a site's own files say about how its posts are shown: the blocks its layout renders itself (a CTA,
related posts, jekyll-seo-tag's JSON-LD), the author its posts name, its `url` and its `timezone`.

Read once per site (cached by path). A post genpost writes for the site leaves out what the layout renders, so a
page carries each block once; settings genpost.yml leaves unset are taken from here (`fit_to_site`), and what
genpost.yml sets explicitly wins.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from pipeline import frontmatter
from pipeline.config import Settings
from pipeline.site.posts import site_config, uses_seo_tag

TEMPLATE_BYTES = 256_000  # a layout or include larger than this is not read
MAX_TEMPLATES = 40  # layouts and includes followed from the post's layout, at most
RECENT_POSTS = 20  # the newest posts whose author is counted
POST_BYTES = 1_000_000
_INCLUDE = re.compile(r"\{%-?\s*include(?:_relative)?\s+([\w./-]+)")
_LAYOUT = re.compile(r"\A---\s*\n(?:.*\n)*?layout:\s*[\"']?([\w./-]+)", re.M)
# A CTA the layout renders: an element whose class or id says cta, or an include named for one.
_CTA = re.compile(r"""(?:class|id)\s*=\s*["'][^"']*\bcta\b|(?:class|id)\s*=\s*["'][^"']*\bcta[-_]""", re.I)
# Related posts the layout renders: Jekyll's related_posts, or an element or include named for them.
_RELATED = re.compile(r"""related_posts|(?:class|id)\s*=\s*["'][^"']*\brelated\b|related[-_]posts""", re.I)
_LOGO = ("logo.svg", "logo.png", "logo.webp", "logo.jpg")


@dataclass(frozen=True)
class SiteFormat:
    """How the site shows a post, as its files say."""

    seo_tag: bool = False  # jekyll-seo-tag writes the BlogPosting
    renders_cta: bool = False  # the post's layout renders a call to action
    renders_related: bool = False  # the post's layout renders related posts
    author: str | None = None  # the author most of its newest posts name
    url: str | None = None  # `_config.yml`'s url
    timezone: str | None = None  # `_config.yml`'s timezone, when Python knows the zone
    wall_clock: bool = False  # a site whose `_config.yml` names no zone: its posts' dates are wall-clock times
    logo: str | None = None  # a logo file of the site, as a URL under `url`


def read_format(site: Path | None, layout: str) -> SiteFormat:
    """The site's format for posts of `layout` (a site of None: nothing known)."""
    if site is None:
        return SiteFormat()
    root = site.resolve()
    return _read(root, layout, _fingerprint(root))


def _fingerprint(site: Path) -> tuple[int, ...]:
    """When the files a format is read from last changed: a site changed since is read again."""
    paths = [site / "_config.yml", site / "_posts", site / "_layouts", site / "_includes"]
    for folder in ("_layouts", "_includes"):
        if (site / folder).is_dir():
            paths += sorted((site / folder).iterdir())[:MAX_TEMPLATES]
    stamps = []
    for path in paths:
        try:
            stamps.append(path.stat().st_mtime_ns)
        except OSError:
            stamps.append(0)
    return tuple(stamps)


@lru_cache(maxsize=16)
def _read(site: Path, layout: str, fingerprint: tuple[int, ...]) -> SiteFormat:
    config = site_config(site)
    templates = "\n".join(_templates(site, layout))
    url = str(config.get("url") or "").strip().rstrip("/") or None
    zone = str(config.get("timezone") or "").strip() or None
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
    return SiteFormat(
        seo_tag=uses_seo_tag(site),
        renders_cta=bool(_CTA.search(templates)),
        renders_related=bool(_RELATED.search(templates)),
        author=_author(site),
        url=url,
        timezone=zone,
        wall_clock=zone is None,
        logo=_logo(site, url),
    )


def _templates(site: Path, layout: str) -> list[str]:
    """The post layout's text, the layouts it sits in and the includes they use (bounded in number and size)."""
    found: list[str] = []
    queue = [site / "_layouts" / f"{layout}.html"]
    seen: set[Path] = set()
    while queue and len(seen) < MAX_TEMPLATES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = _small_text(path, TEMPLATE_BYTES)
        if text is None:
            continue
        found.append(text)
        if (parent := _LAYOUT.match(text)) is not None:
            queue.append(site / "_layouts" / f"{parent.group(1).removesuffix('.html')}.html")
        for name in _INCLUDE.findall(text):
            found.append(f"include {name}")  # an include's name says what it renders, too
            queue.append(site / "_includes" / name)
    return found


def _small_text(path: Path, limit: int) -> str | None:
    """A regular file's UTF-8 text, when it is no larger than `limit` bytes."""
    try:
        if not path.is_file() or path.stat().st_size > limit:
            return None
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def _author(site: Path) -> str | None:
    """The author most of the site's newest posts name."""
    posts = sorted((p for p in (site / "_posts").glob("*") if p.suffix in (".md", ".markdown", ".html")), reverse=True)
    names: Counter[str] = Counter()
    for path in posts[:RECENT_POSTS]:
        text = _small_text(path, POST_BYTES)
        if text is None:
            continue
        try:
            data, _ = frontmatter.split(text)
        except (ValueError, yaml.YAMLError):
            continue
        author = data.get("author")
        if isinstance(author, str) and author.strip() and "\n" not in author:
            names[author.strip()] += 1
    return names.most_common(1)[0][0] if names else None


def _logo(site: Path, url: str | None) -> str | None:
    """A logo file of the site (`assets/**/logo.*`, `images/logo.*`) as a URL under the site's `url`."""
    if url is None:
        return None
    for folder in ("assets", "images", "img"):
        root = site / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("logo.*"))[:MAX_TEMPLATES]:
            if path.name in _LOGO and path.is_file():
                return f"{url}/{path.relative_to(site).as_posix()}"
    return None


def fit_to_site(settings: Settings, found: SiteFormat) -> list[str]:
    """Take what genpost.yml leaves unset from the site (author, url, logo, timezone); what genpost.yml sets wins.
    Returns, once each, the values genpost.yml sets that the site disagrees with (for `check --site`)."""
    site = settings.site
    given = site.model_fields_set
    learned = {"author": found.author, "url": found.url, "timezone": found.timezone}
    disagree = []
    for key, value in learned.items():
        if value is None:
            continue
        if key not in given:
            setattr(site, key, value)
        elif getattr(site, key) != value:
            disagree.append(f"site.{key}: genpost.yml says {getattr(site, key)!r}, the site {value!r}")
    if "logo" not in given and found.url is not None:
        site.logo = found.logo or ""  # never another domain's logo: none when the site has no logo file
    return disagree
