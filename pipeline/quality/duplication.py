"""Duplication: a post too close to one already on the site."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from pipeline.parse import parse
from pipeline.quality.context import Check
from pipeline.site.posts import POST_NAME
from pipeline.text import char_ngrams, jaccard
from pipeline.types import Finding


def shingles(text: str, n: int = 3) -> frozenset[str]:
    return frozenset(char_ngrams(re.sub(r"\s+", "", text), n))


@cache
def _post_shingles(path: Path, mtime: float) -> frozenset[str]:
    return shingles(parse(path.read_text(encoding="utf-8", errors="replace")).prose_text())


def similar_posts(c: Check) -> list[Finding]:
    if c.site is None:
        return []
    mine = shingles(c.doc.prose_text())
    out = []
    for path in sorted(c.site.posts_dir.glob("*")):
        if not POST_NAME.match(path.name) or path.name == c.name:
            continue
        score = jaccard(mine, _post_shingles(path, path.stat().st_mtime))
        if score >= c.settings.quality.duplicate_threshold:
            message = f"{score:.0%} similar to {path.name} (threshold {c.settings.quality.duplicate_threshold:.0%})"
            out.append(
                c.finding("duplicate.similar", "error", message, f"サイトの記事 {path.name} と{score:.0%}似ています")
            )
    return out


RULES = (similar_posts,)
