"""A Jekyll site's post URLs, as Jekyll 4 gives them: the permalink setting, the posts in `_posts/`, which
post a `{% post_url NAME %}` or a site-relative path (`/blog/slug/`) reaches, and which paths are other pages.

What Jekyll does (4.x): `_config.yml`'s `permalink` is a built-in style (date, pretty, ordinal, weekdate,
none) or a template of placeholders; `collections.posts.permalink`, a front-matter default's `permalink` and a
post's own `permalink:` take precedence, in that order, as written. `:title` is the post's `slug` (front matter,
else the file name after its date) with every run of characters other than letters, marks, digits and
`._~!$&'()+,;=@` made one `-`, case kept; `:slug` the same in the default mode (letters, marks, digits), lower
case; `:categories` the categories lower-cased, joined with `/`, nothing else changed. Dates are read in the
site's `timezone` (a YAML time without a zone is UTC). The URL then loses `..`, `./` and doubled `/`.
A URL ending in `/` is written as `…/index.html`; one without the output extension gets it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline import frontmatter
from pipeline.site.posts import notice, site_config

# Jekyll's built-in permalink styles.
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
# A post's file name: its date, its slug, its extension (Jekyll's DATE_FILENAME_MATCHER, on the base name).
DATED = re.compile(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-([^/]*)(\.[^./]+)$")
# What `{% post_url %}` takes: an optional folder under `_posts/`, a date, a slug.
POST_URL_NAME = re.compile(r"^((?:[^/]+/)*)(\d+)-(\d+)-(\d+)-(.*)$")
_PLACEHOLDER = re.compile(r":([a-z_]+)")
_MARKDOWN_EXT = "markdown,mkdown,mkdn,mkd,md"
_PRETTY_KEEP = set("._~!$&'()+,;=@")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
_MONTHS += ["November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_PAGE_EXTS = (".md", ".markdown", ".html", ".htm")
_SKIPPED_DIRS = {"node_modules", "vendor"}


class PermalinkError(ValueError):
    """A permalink template Jekyll would stop the build on (an unknown placeholder)."""


def slugify(text: str, mode: str = "default", cased: bool = False) -> str:
    """Jekyll's `Utils.slugify` in its default and pretty modes: each run of other characters is one `-`, one
    `-` at either end dropped, lower case unless `cased`."""
    out: list[str] = []
    run = False
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] in "LM" or category == "Nd" or (mode == "pretty" and ch in _PRETTY_KEEP):
            out.append(ch)
            run = False
        elif not run:
            out.append("-")
            run = True
    slug = re.sub(r"^-|-$", "", "".join(out))
    return slug if cased else slug.lower()


def sanitize(url: str) -> str:
    """Jekyll's last step: a leading `/`, `..` made `/`, `./` dropped, runs of `/` made one."""
    url = ("/" + url).replace("..", "/").replace("./", "")
    return re.sub(r"/+", "/", url)


@dataclass(frozen=True)
class Config:
    """What `_config.yml` says about posts' URLs."""

    template: str = STYLES["date"]
    baseurl: str = ""  # "" or "/sub" (no trailing slash)
    zone: tzinfo | None = None  # None: the machine's own
    future: bool = False
    markdown_ext: frozenset[str] = frozenset(f".{e}" for e in _MARKDOWN_EXT.split(","))
    posts_dir: str = "_posts"  # relative to the site
    defaults: tuple[tuple[str, bool, dict], ...] = ()  # (scope path, scoped to posts, values)


def read_config(site: Path) -> Config:
    """The site's `_config.yml` as it bears on posts' URLs (Jekyll's defaults where it is missing or broken)."""
    data = site_config(site)  # a hostile one (a "billion laughs") is a UsageError naming it
    style = data.get("permalink") or "date"
    template = STYLES.get(str(style), str(style))
    collections = data.get("collections")
    if isinstance(collections, dict) and isinstance(collections.get("posts"), dict):
        template = str(collections["posts"].get("permalink") or template)
    baseurl = str(data.get("baseurl") or "").rstrip("/")
    if baseurl and not baseurl.startswith("/"):
        baseurl = "/" + baseurl
    zone = None
    if data.get("timezone"):
        try:
            zone = ZoneInfo(str(data["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
    exts = str(data.get("markdown_ext") or _MARKDOWN_EXT)
    posts_dir = "_posts"
    if data.get("collections_dir"):
        posts_dir = f"{str(data['collections_dir']).strip('/')}/_posts"
    return Config(
        template=template,
        baseurl=baseurl,
        zone=zone,
        future=data.get("future") is True,
        markdown_ext=frozenset(f".{e.strip().lower()}" for e in exts.split(",") if e.strip()),
        posts_dir=posts_dir,
        defaults=tuple(_defaults(data.get("defaults"))),
    )


def _defaults(value: object) -> list[tuple[str, bool, dict]]:
    """The front-matter defaults that can apply to posts, least specific first (Jekyll's precedence)."""
    found = []
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("values"), dict):
            continue
        scope = entry.get("scope") if isinstance(entry.get("scope"), dict) else {}
        kind = scope.get("type")
        if kind not in (None, "posts", "post"):
            continue
        path = str(scope.get("path") or "").strip("/")
        found.append((path, kind is not None, entry["values"]))
    return sorted(found, key=lambda d: (len(d[0]), d[1]))


def _applies(scope: str, relative: str) -> bool:
    """Does a default scoped to `scope` (a folder, or a glob) apply to the file at `relative`?"""
    if not scope:
        return True
    if "*" in scope:
        return PurePosixPath(relative).match(scope) or PurePosixPath(relative).parent.match(scope)
    return relative == scope or relative.startswith(scope + "/")


@dataclass(frozen=True)
class Post:
    """A post as Jekyll builds it."""

    name: str  # what `{% post_url %}` takes: its path under `_posts/` without the extension
    source: Path
    url: str  # its URL path without the baseurl, decoded ("/blog/スラッグ/")
    output: str  # the file Jekyll writes under `_site/`, decoded ("blog/スラッグ/index.html")
    slug: str  # its `slug` (front matter, else from the file name)
    date: datetime  # in the site's zone
    published: bool = True


@dataclass
class Permalinks:
    """Every post of a site and its URL."""

    site: Path
    config: Config
    posts: dict[str, Post] = field(default_factory=dict)  # by name
    errors: dict[str, str] = field(default_factory=dict)  # name → why Jekyll could not give it a URL

    def href(self, post: Post) -> str:
        """The link to `post` as `{% post_url %}` writes it: the baseurl, then its URL, percent-encoded."""
        return quote(self.config.baseurl + post.url, safe="/!$&'()*+,;=:@-._~")

    def built(self, post: Post, at: datetime) -> bool:
        """Does `jekyll build` at `at` write this post (published, and not dated after `at` unless `future`)?"""
        return post.published and (self.config.future or post.date <= at)

    def by_name(self, name: str) -> Post | None:
        """The post `{% post_url name %}` finds: by its folder and file name, else (as Jekyll still allows,
        with a warning) by its slug and date."""
        name = name.lstrip("/")
        if name in self.posts:
            return self.posts[name]
        match = POST_URL_NAME.match(name)
        if not match:
            return None
        folder, year, month, day, slug = match.groups()
        for post in self.posts.values():
            same_day = (post.date.year, post.date.month, post.date.day) == (int(year), int(month), int(day))
            if same_day and not folder and slug == post.slug:
                return post
        return None

    def by_path(self, href: str) -> Post | None:
        """The post a site-relative link reaches (its query and fragment aside), or None: its URL, or the file
        that URL is served from (`…/index.html`, `….html`)."""
        path = self.local_path(href)
        return self._by_path.get(path) if path is not None else None

    @cached_property
    def _by_path(self) -> dict[str, Post]:
        """Each post by its URL and by the path of the file it is served from (the first post wins a clash)."""
        index: dict[str, Post] = {}
        for post in self.posts.values():
            index.setdefault(post.url, post)
            index.setdefault("/" + post.output, post)
        return index

    @cached_property
    def _pages(self) -> frozenset[str]:
        return _page_permalinks(self.site)

    def local_path(self, href: str) -> str | None:
        """A site-relative link's path, decoded, without the baseurl; None when it is not under the baseurl."""
        path = unquote(urlsplit(href).path)
        base = self.config.baseurl
        if base:
            if path != base and not path.startswith(base + "/"):
                return None
            path = path[len(base) :] or "/"
        return path

    def page_exists(self, href: str) -> bool:
        """Is a site-relative link a file, folder or page of the site's source other than a post: `/contact/`
        as `contact/`, `contact.md`, `contact.html`, or a page whose `permalink:` is `/contact/`?"""
        path = self.local_path(href)
        if path is None:
            return False
        parts = [p for p in path.split("/") if p]
        if any(p in ("..", ".") or p.startswith(("_", ".")) or "\x00" in p for p in parts):
            return False
        if path in self._pages:
            return True
        if not parts:
            return (self.site / "index.html").exists() or (self.site / "index.md").exists()
        here = self.site.joinpath(*parts)
        stem = here.with_suffix("") if here.suffix.lower() in (".html", ".htm") else here
        candidates = [here, *(stem.with_name(stem.name + ext) for ext in _PAGE_EXTS)]
        try:
            return any(p.exists() for p in candidates)
        except (OSError, ValueError):
            return False


def mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _page_permalinks(site: Path) -> frozenset[str]:
    """The literal `permalink:` of the site's pages (top level and one folder down, no `_` or `.` folders)."""
    found: set[str] = set()
    folders = [site] + [d for d in _children(site) if d.is_dir() and not d.name.startswith(("_", "."))]
    for folder in folders:
        if folder.name in _SKIPPED_DIRS:
            continue
        for path in _children(folder):
            if path.suffix.lower() not in _PAGE_EXTS or not path.is_file():
                continue
            permalink = _front(path).get("permalink")
            if isinstance(permalink, str) and ":" not in permalink:
                found.add(unquote(sanitize(permalink)))
    return frozenset(found)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())[:2000]
    except OSError:
        return []


@lru_cache(maxsize=8192)
def _front_cached(path: Path, _: float) -> dict[str, Any] | None:
    """A file's front matter (None when it is not UTF-8 or its YAML is broken: Jekyll skips or stops)."""
    try:
        data, _body = frontmatter.split(path.read_text(encoding="utf-8"))
    except frontmatter.Refused as exc:
        notice(path, f"{path}: {exc}; skipped")
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data


def _front(path: Path) -> dict[str, Any]:
    return _front_cached(path, mtime(path)) or {}


def load(site: Path) -> Permalinks:
    """Every post under the site's `_posts/` (its folders too, as Jekyll reads them) and its URL."""
    config = read_config(site)
    found = Permalinks(site, config)
    root = site / config.posts_dir
    if not root.is_dir():
        return found
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(p.startswith((".", "_", "#")) or p.endswith("~") for p in relative.parts):
            continue
        match = DATED.match(path.name)
        if not match or not path.is_file():
            continue
        data = _front_cached(path, mtime(path))
        if data is None:
            continue
        name = relative.with_name(path.stem).as_posix()
        try:
            found.posts[name] = _post(config, path, f"{config.posts_dir}/{relative.as_posix()}", name, match, data)
        except PermalinkError as exc:
            found.errors[name] = str(exc)
    return found


def _post(config: Config, path: Path, relative: str, name: str, match: re.Match[str], front: dict) -> Post:
    """One post's URL, date and slug, as Jekyll gives them."""
    defaults: dict[str, Any] = {}
    categories: list[str] = []
    for scope, _, values in config.defaults:
        if _applies(scope, relative):
            defaults.update(values)
            categories += _split(values.get("categories"))
    data = {**defaults, **front}
    year, month, day, file_slug, ext = match.groups()
    slug = _ruby_str(data["slug"]) if data.get("slug") is not None else file_slug.rstrip(".")
    moment = front_date(data.get("date"), config.zone) or _local(datetime(int(year), int(month), int(day)), config.zone)
    categories += _split(front.get("categories"))
    if data.get("category") is not None:
        categories += _split([data["category"]])
    output_ext = ".html" if ext.lower() in config.markdown_ext or ext.lower() == ".html" else ext
    values = _placeholders(moment, slug, categories, output_ext, path.stem, relative, config)
    own = data.get("permalink")
    url = _expand(_ruby_str(own) if own else config.template, values)
    if url.endswith("/"):
        output = url.lstrip("/") + "index.html"
    else:
        output = url.lstrip("/") + ("" if url.endswith(output_ext) else output_ext)
    return Post(name, path, url, output, slug, moment, data.get("published") is not False)


def _split(value: object) -> list[str]:
    """Categories as Jekyll reads them: a string split at spaces, a list's items as strings."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            if isinstance(item, list):
                out += _split(item)
            elif item is not None:
                out.append(_ruby_str(item))
        return out
    return []


def _ruby_str(value: object) -> str:
    """A YAML value as Ruby's `to_s` writes it (for the scalars a post's front matter holds)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    """A wall-clock time read in the site's zone (the machine's when the site sets none)."""
    return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()


def front_date(value: object, zone: tzinfo | None) -> datetime | None:
    """A front-matter date as Jekyll reads it, in the site's zone; None when it gives none."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # YAML: no zone is UTC
    elif isinstance(value, date):
        moment = _local(datetime(value.year, value.month, value.day), zone)
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        moment = parsed if parsed.tzinfo is not None else _local(parsed, zone)
    else:
        return None
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


def _placeholders(
    moment: datetime, slug: str, categories: list[str], output_ext: str, stem: str, relative: str, config: Config
) -> dict[str, str]:
    """Each placeholder's value for one post (Jekyll's UrlDrop), unescaped."""
    iso_year, iso_week, iso_day = moment.isocalendar()
    cleaned = relative[: -len(PurePosixPath(relative).suffix)].replace(config.posts_dir, "", 1).rstrip(".")
    return {
        "collection": "posts",
        "path": cleaned,
        "name": slugify(stem),
        "title": slugify(slug, "pretty", cased=True),
        "slug": slugify(slug),
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "slugified_categories": "/".join(dict.fromkeys(slugify(c) for c in categories)),
        "output_ext": output_ext,
        "year": f"{moment.year:04d}",
        "month": f"{moment.month:02d}",
        "day": f"{moment.day:02d}",
        "hour": f"{moment.hour:02d}",
        "minute": f"{moment.minute:02d}",
        "second": f"{moment.second:02d}",
        "i_day": str(moment.day),
        "i_month": str(moment.month),
        "short_month": _MONTHS[moment.month - 1][:3],
        "long_month": _MONTHS[moment.month - 1],
        "short_year": f"{moment.year % 100:02d}",
        "w_year": str(iso_year),
        "week": f"{iso_week:02d}",
        "w_day": str(iso_day),
        "short_day": _DAYS[iso_day - 1][:3],
        "long_day": _DAYS[iso_day - 1],
        "y_day": f"{moment.timetuple().tm_yday:03d}",
    }


def _expand(template: str, values: dict[str, str]) -> str:
    """The URL a template gives, decoded: its own text as written (percent-escapes read), each `:placeholder`
    replaced by its value (a trailing `_` may end a name: `:month_:day`); then sanitised."""
    out, at = [], 0
    for match in _PLACEHOLDER.finditer(template):
        out.append(unquote(template[at : match.start()]))
        key = match.group(1)
        if key in values:
            out.append(values[key])
        elif key.endswith("_") and key[:-1] in values:
            out.append(values[key[:-1]] + "_")
        else:
            raise PermalinkError(f"the permalink {template!r} has :{key}, which Jekyll does not know")
        at = match.end()
    out.append(unquote(template[at:]))
    return sanitize("".join(out))
