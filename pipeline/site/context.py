"""The site genpost writes for, read once: the one object that knows it.

A `Site` holds what genpost learns from a Jekyll site's own files: `_config.yml`, its posts (as related posts
and link targets see them), every post's URL (as Jekyll builds it), the link index, what its post layout
renders itself and who its posts name as author (`SiteFormat`), and its voice (voice.yml, measured from its
posts). Each is read the first time it is asked for and kept: a run, a batch of posts or a `check` of many
posts reads the site once. Commands build it once from `--site` and pass it with the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.site import permalinks
from pipeline.site.format import SiteFormat, read_format
from pipeline.site.links import SiteIndex
from pipeline.site.permalinks import Permalinks
from pipeline.site.posts import SitePost, load_posts, site_config
from pipeline.voice.profile import VoiceProfile


@dataclass(eq=False)
class Site:
    """A Jekyll site, its parts read on first use and kept."""

    root: Path
    layout: str = "blog-post"  # the layout genpost's posts use (site.layout in genpost.yml)
    voice: VoiceProfile | None = None  # voice.yml, measured from this site's posts
    _indexes: dict[Path | None, SiteIndex] = field(default_factory=dict, repr=False)

    @cached_property
    def config(self) -> dict[str, Any]:
        """`_config.yml` ({} where Jekyll's defaults stand); a hostile one is a UsageError naming it."""
        return site_config(self.root)

    @cached_property
    def format(self) -> SiteFormat:
        """What the post layout renders itself, the author its posts name, its url, timezone and logo."""
        return read_format(self.root, self.layout)

    @cached_property
    def posts(self) -> list[SitePost]:
        """Its posts, newest name first, as related posts and links see them."""
        return load_posts(self.root)

    @cached_property
    def permalinks(self) -> Permalinks:
        """Every post's URL, as Jekyll builds it."""
        return permalinks.load(self.root)

    def index(self, cache: Path | None = None) -> SiteIndex:
        """Its posts indexed for links (`cache`: the index file kept between runs)."""
        if cache not in self._indexes:
            self._indexes[cache] = SiteIndex.of_site(self.root, cache)
        return self._indexes[cache]

    @property
    def posts_dir(self) -> Path:
        return self.root / "_posts"


def site_of(site: Site | Path | None, layout: str = "blog-post", voice: VoiceProfile | None = None) -> Site | None:
    """`site` as a Site (a folder given as a path is read afresh)."""
    if site is None or isinstance(site, Site):
        return site
    return Site(Path(site), layout, voice)
