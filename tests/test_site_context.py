"""The site, read once (issue 30 item 1): `check --site` over many posts and a run that writes a post read the
site's URLs, posts and link index once, through the one Site object the command builds."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from pipeline.site import context as site_context
from pipeline.site import links
from tests.conftest import ROOT
from tests.realsite import real_site


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How often the site's URLs, posts and link index are read."""
    calls: Counter = Counter()

    def counting(name: str, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(site_context.permalinks, "load", counting("permalinks", site_context.permalinks.load))
    monkeypatch.setattr(site_context, "load_posts", counting("posts", site_context.load_posts))
    monkeypatch.setattr(links.SiteIndex, "of_site", classmethod(counting("index", links.SiteIndex.of_site.__func__)))
    return calls


def test_check_of_many_posts_reads_the_site_once(genpost, tmp_path, counted):
    site = real_site(tmp_path / "site")
    run = genpost("check", "--json", "--site", str(site.root), *map(str, site.posts))
    assert run.code in (0, 1), run.stderr
    assert len(json.loads(run.stdout)) == len(site.posts) == 24
    assert counted["permalinks"] == 1, "every post's links are checked against one reading of the site's URLs"


def test_a_run_reads_the_site_once(llm, genpost, tmp_path, counted, monkeypatch):
    site = real_site(tmp_path / "site")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "genpost.yml", home / "genpost.yml")
    monkeypatch.setenv("GENPOST_CONFIG", str(home / "genpost.yml"))
    assert genpost("voice", "--site", str(site.root)).code == 0
    run = genpost(
        "--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--site", str(site.root),
        "--out", str(tmp_path / "out"), "--date", "2026-12-05T22:15:00Z",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert Path(run.last_line).is_file()
    assert counted["index"] == 1 and counted["posts"] == 1 and counted["permalinks"] == 1, counted
