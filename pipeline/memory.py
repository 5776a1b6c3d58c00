"""Topic memory: what was written, in SQLite under the state directory."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.site.posts import load_posts

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,               -- the post's site-local date, YYYY-MM-DD
    primary_keyword TEXT NOT NULL,
    title TEXT NOT NULL,
    instinct TEXT NOT NULL,
    theme TEXT,
    source TEXT NOT NULL,            -- cli, auto or batch
    draft TEXT NOT NULL,
    images TEXT NOT NULL,            -- JSON list of image URLs
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS posts_day ON posts(day);
CREATE INDEX IF NOT EXISTS posts_keyword ON posts(primary_keyword);
"""


@dataclass(frozen=True)
class Written:
    day: date
    primary_keyword: str
    title: str
    source: str = "site"


class TopicMemory:
    """Posts genpost wrote, plus (read-only) the posts already on a site."""

    def __init__(self, path: Path, site: Path | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.executescript(SCHEMA)
        self.site = site

    def close(self) -> None:
        self.db.close()

    def remember(
        self,
        day: date,
        keyword: str,
        title: str,
        instinct: str,
        theme: str | None,
        source: str,
        draft: str,
        images: list[str],
    ) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO posts (day, primary_keyword, title, instinct, theme, source, draft, images)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (day.isoformat(), keyword, title, instinct, theme, source, draft, json.dumps(images)),
            )

    def written(self) -> list[Written]:
        """Everything known to be written: genpost's history and the site's posts."""
        rows = self.db.execute("SELECT day, primary_keyword, title, source FROM posts").fetchall()
        known = [Written(date.fromisoformat(d), k, t, s) for d, k, t, s in rows]
        return known + self._site_posts()

    def _site_posts(self) -> list[Written]:
        if self.site is None:
            return []
        return [Written(p.day, p.keyword, p.title) for p in load_posts(self.site) if p.day]

    def auto_post_on(self, day: date) -> str | None:
        """The draft an earlier `--auto` run wrote for `day`, if any."""
        return self.made_on(day, "auto")

    def made_on(self, day: date, source: str) -> str | None:
        """What an earlier run of `source` (auto: a post; brief: a brief) made for `day`, if anything."""
        row = self.db.execute(
            "SELECT draft FROM posts WHERE day = ? AND source = ? ORDER BY id LIMIT 1", (day.isoformat(), source)
        ).fetchone()
        return row[0] if row else None
