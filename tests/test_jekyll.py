"""A generated post builds with the real `jekyll build` and carries its JSON-LD."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import jekyll_path
from tests.postparse import parse_post

pytestmark = pytest.mark.jekyll


def build(jekyll: str, site: Path) -> None:
    proc = subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_post_with_footnotes_builds_with_kramdowns_own_footnotes(llm, web, genpost, site, tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    args = ["--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--site", str(site)]
    run = genpost(*args, "--out", str(tmp_path / "out"), "--sources", web.url("survey.html"), web.url("hostile.html"))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    shutil.copy(draft, site / "_posts" / draft.name)
    build(jekyll, site)
    slug = draft.stem.split("-", 3)[3]
    (page,) = [p for p in (site / "_site").rglob("*.html") if p.stem == slug]
    html = page.read_text(encoding="utf-8")
    assert '<div class="footnotes" role="doc-endnotes">' in html and 'href="#fn:1"' in html
    assert "生成AI活用実態調査2026" in html.split('<div class="footnotes"')[1]
    assert "[S1]" not in html and "[^1]" not in html and "secret.html" not in html


def test_generated_post_builds_in_jekyll(llm, genpost, site, tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    title = 'AI マーケティング 最新トレンド5選: "引用" #1 {{ site.title }}'
    run = genpost(
        "--instinct",
        "learning",
        "--keywords",
        "AI マーケティング 最新トレンド",
        "生成AI 活用法 マーケティング",
        "--site",
        str(site),
        "--out",
        str(tmp_path / "out"),
        "--theme",
        "AIマーケティング",
        "--date",
        "2025-12-16T01:00:00Z",
    )
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    # Give the post a title that would break naive YAML, JSON-LD or Liquid handling.
    text = draft.read_text(encoding="utf-8")
    front = parse_post(draft).front
    text = text.replace(f'title: "{front["title"]}"', "title: " + json.dumps(title, ensure_ascii=False), 1)
    shutil.copy(draft, site / "_posts" / draft.name)
    (site / "_posts" / draft.name).write_text(text, encoding="utf-8")

    build(jekyll, site)

    slug = draft.stem.split("-", 3)[3]
    (page,) = [p for p in (site / "_site").rglob("*.html") if p.stem == slug]
    html = page.read_text(encoding="utf-8")
    assert '<title>AI マーケティング 最新トレンド5選: "引用" #1 {{ site.title }}</title>' in html, "title read whole"
    assert '<script type="application/ld+json">' in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">\s*(\{.*?\})\s*</script>', html, re.S).group(1))
    assert ld["@type"] == "BlogPosting" and ld["datePublished"] == "2025-12-16T01:00:00.000Z"
    assert len(BLOG_POSTING.findall(html)) == 1, "a site without jekyll-seo-tag gets genpost's one"
    assert "<h2 id=" in html and "学習本能の心理学的背景" in html
    assert 'data-instinct="learning"' in html and f'data-reading="{front["reading_time"]}"' in html
    links = re.findall(r'<div class="related-posts">.*?</div>', html, re.S)[0]
    hrefs = re.findall(r'href="([^"]+)"', links)
    assert hrefs and all(h.startswith("/") for h in hrefs)
    built = {str(p.relative_to(site / "_site")) for p in (site / "_site").rglob("*.html")}
    for href in hrefs:
        assert unquote(href).lstrip("/") in built, f"{unquote(href)} was not built"


BLOG_POSTING = re.compile(r'"@type":\s*"BlogPosting"')


def seo_site(site: Path) -> Path:
    """The test site with jekyll-seo-tag, as the reference site's default.html uses it."""
    config = site / "_config.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "url: https://example.com\nplugins:\n  - jekyll-seo-tag\n",
        encoding="utf-8",
    )
    (site / "_layouts" / "blog-post.html").write_text(
        '<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8">{% seo %}</head>\n'
        "<body><article>{{ content }}</article></body></html>\n",
        encoding="utf-8",
    )
    (site / "assets" / "images").mkdir(parents=True, exist_ok=True)
    (site / "assets" / "images" / "logo.png").write_bytes(b"\x89PNG\r\n")  # the logo the JSON-LD names
    return site


def test_one_blogposting_on_a_page_whatever_the_site(llm, genpost, site, tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    plain = genpost(
        "--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--out", str(tmp_path / "a")
    )
    assert plain.code == 0, plain.stderr
    seo_site(site)
    args = ["--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--site", str(site)]
    run = genpost(*args, "--out", str(tmp_path / "out"), "--date", "2025-12-16T01:00:00Z")
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    body = parse_post(draft).body
    assert not BLOG_POSTING.search(body) and '"@type": "WebPage"' in body, "the body leaves the BlogPosting to the site"
    assert "jsonld.duplicate" not in genpost("check", str(draft), "--site", str(site)).stdout
    assert "jsonld.duplicate" in genpost("check", plain.last_line, "--site", str(site)).stdout, "two would be flagged"

    shutil.copy(draft, site / "_posts" / draft.name)
    build(jekyll, site)
    slug = draft.stem.split("-", 3)[3]
    (page,) = [p for p in (site / "_site").rglob("*.html") if p.stem == slug]
    html = page.read_text(encoding="utf-8")
    assert len(BLOG_POSTING.findall(html)) == 1, "jekyll-seo-tag's, and no second one"
    blocks = re.findall(r'<script type="application/ld\+json">\s*(\{.*?\})\s*</script>', html, re.S)
    nodes = [json.loads(b) for b in blocks]
    seo = next(n for n in nodes if n["@type"] == "BlogPosting")
    ours = next(n for n in nodes if n["@type"] == "WebPage")
    assert seo["headline"] == parse_post(draft).front["title"] and seo["description"]
    assert ours["inLanguage"] == "ja" and ours["keywords"]
    assert ours["publisher"]["logo"]["url"] == "https://example.com/assets/images/logo.png", "the site's own logo"
