"""What a site's own files say about its posts (pipeline/site/format.py): the blocks its layout renders, its
author, url, logo and timezone; a post written for it carries each block once, in the site's own name."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.site.format import fit_to_site, read_format
from tests.conftest import jekyll_path, make_site
from tests.postparse import parse_post

KEYWORDS = ("--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド")


def leadfive_like(root: Path) -> Path:
    """A site built like the real one: its layout renders the CTA (an include) and related posts itself, its
    posts name their author, `_config.yml` has a url and no timezone, and it has a logo file."""
    site = make_site(root)
    config = site / "_config.yml"
    config.write_text("title: t\nurl: https://www.example.jp/\nbaseurl: ''\nmarkdown: kramdown\n", encoding="utf-8")
    (site / "_includes").mkdir()
    (site / "_includes" / "cta.html").write_text(
        '<div class="cta-box"><a href="/contact/">無料相談</a></div>\n', encoding="utf-8"
    )
    (site / "_layouts" / "default.html").write_text(
        '<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8"></head><body>{{ content }}</body></html>\n',
        encoding="utf-8",
    )
    (site / "_layouts" / "blog-post.html").write_text(
        "---\nlayout: default\n---\n<article>{{ content }}</article>\n{% include cta.html %}\n"
        '<section class="related-posts"><h2>関連記事</h2>{% for post in site.related_posts limit:3 %}'
        '<a href="{{ post.url }}">{{ post.title }}</a>{% endfor %}</section>\n',
        encoding="utf-8",
    )
    (site / "assets" / "images").mkdir(parents=True)
    (site / "assets" / "images" / "logo.png").write_bytes(b"\x89PNG\r\n")
    for path in (site / "_posts").iterdir():
        path.write_text(path.read_text(encoding="utf-8").replace("---\n\n", 'author: "LeadFive"\n---\n\n', 1))
    return site


def test_the_layouts_blocks_author_url_and_logo_are_read(tmp_path):
    site = leadfive_like(tmp_path / "site")
    found = read_format(site, "blog-post")
    assert found.renders_cta and found.renders_related and not found.seo_tag
    assert found.author == "LeadFive" and found.url == "https://www.example.jp" and found.timezone is None
    assert found.logo == "https://www.example.jp/assets/images/logo.png"
    plain = read_format(make_site(tmp_path / "plain"), "blog-post")
    assert plain == type(found)(timezone="Asia/Tokyo"), "a plain site renders nothing itself"


def test_what_genpost_yml_sets_wins_and_the_disagreement_is_named(tmp_path):
    site = leadfive_like(tmp_path / "site")
    settings = load_settings()
    assert fit_to_site(settings, read_format(site, "blog-post")) == []
    assert (settings.site.author, settings.site.url) == ("LeadFive", "https://www.example.jp")
    assert settings.site.logo == "https://www.example.jp/assets/images/logo.png"
    assert settings.site.timezone == "Asia/Tokyo", "no timezone on the site: the default stands"
    config = tmp_path / "genpost.yml"
    config.write_text("site:\n  author: 編集部\n", encoding="utf-8")
    explicit = load_settings(config)
    said = fit_to_site(explicit, read_format(site, "blog-post"))
    assert explicit.site.author == "編集部" and said == ["site.author: genpost.yml says '編集部', the site 'LeadFive'"]


def test_check_site_names_a_setting_the_site_disagrees_with_once(genpost, tmp_path, monkeypatch):
    site = leadfive_like(tmp_path / "site")
    config = tmp_path / "genpost.yml"
    config.write_text("site:\n  author: 編集部\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    posts = sorted(str(p) for p in (site / "_posts").iterdir())
    run = genpost("check", "--site", str(site), *posts)
    notes = [line for line in run.stderr.splitlines() if line.startswith("genpost: note:")]
    assert notes[0] == "genpost: note: site.author: genpost.yml says '編集部', the site 'LeadFive'; genpost.yml wins"
    assert len(notes) == 2 and "sets no timezone" in notes[1], "said once for all the posts checked"


def test_a_post_for_the_site_carries_each_block_once_in_the_sites_name(llm, genpost, tmp_path):
    site = leadfive_like(tmp_path / "site")
    # 02:15 on the 16th in Tokyo is still the 15th in UTC: the day a build machine in either zone must show.
    run = genpost(*KEYWORDS, "--site", str(site), "--out", str(tmp_path / "out"), "--date", "2025-12-15T17:15:00Z")
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    text = draft.read_text(encoding="utf-8")
    assert draft.name.startswith("2025-12-16-")
    assert '\ndate: "2025-12-16 02:15:00"\n' in text, "a site with no timezone gets the wall-clock time Jekyll reads"
    assert "cta-section" not in text and 'class="related-posts"' not in text, "the layout renders both"
    post = parse_post(draft)
    assert post.front["author"] == "LeadFive"
    assert post.json_ld["author"]["name"] == "LeadFive"
    assert post.json_ld["publisher"]["logo"]["url"] == "https://www.example.jp/assets/images/logo.png"
    assert post.json_ld["datePublished"] == "2025-12-16T02:15:00+09:00"
    checked = genpost("check", "--json", "--site", str(site), str(draft))
    rules = {f["rule"] for report in json.loads(checked.stdout) for f in report["findings"]}
    assert not rules & {"cta.missing", "cta.duplicate", "links.related-duplicate"}, rules

    doubled = tmp_path / "doubled" / draft.name
    doubled.parent.mkdir()
    doubled.write_text(text + '\n<div class="cta-section">\n  <h2>無料相談受付中</h2>\n</div>\n', encoding="utf-8")
    checked = genpost("check", "--json", "--site", str(site), str(doubled))
    rules = {f["rule"] for report in json.loads(checked.stdout) for f in report["findings"]}
    assert "cta.duplicate" in rules and checked.code == 1
    assert "frontmatter.date-day" not in rules
    zoned = tmp_path / "zoned" / draft.name  # the same instant in UTC: a UTC build machine shows the 15th
    zoned.parent.mkdir()
    zoned.write_text(text.replace('date: "2025-12-16 02:15:00"', "date: 2025-12-15T17:15:00.000Z"), encoding="utf-8")
    checked = genpost("check", "--json", "--site", str(site), str(zoned))
    found = [f for report in json.loads(checked.stdout) for f in report["findings"]]
    assert [f["message_ja"][:46] for f in found if f["rule"] == "frontmatter.date-day"] == [
        "ビルドするマシンのタイムゾーンによって公開日が 2025-12-15、2025-12-16 "
    ]

    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    assert genpost("publish", str(draft), "--site", str(site), "--force").code == 0
    for zone in ("Asia/Tokyo", "UTC", "America/New_York"):  # the build machine's zone does not move the day
        env = {**os.environ, "TZ": zone}
        built = subprocess.run([jekyll, "build", "-q"], cwd=site, capture_output=True, text=True, timeout=300, env=env)
        assert built.returncode == 0, built.stderr
        pages = [p.relative_to(site / "_site").as_posix() for p in (site / "_site").rglob(f"{draft.stem[11:]}.html")]
        assert len(pages) == 1 and "/2025/12/16/" in pages[0], (zone, pages)
        page = site / "_site" / pages[0]
    html = page.read_text(encoding="utf-8")
    assert html.count("cta-box") == 1 and len(re.findall(r"related-posts", html)) == 1, "each block once"
