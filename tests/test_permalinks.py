"""Post URLs as Jekyll 4 gives them: every permalink style, proved against the real `jekyll build`."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from pipeline.site import permalinks
from pipeline.site.permalinks import load, sanitize, slugify
from tests.conftest import jekyll_path

# Posts that exercise what a URL is made of: Japanese slugs and categories, a time that is another day in
# Tokyo, categories in every form Jekyll reads, a front-matter slug, other extensions, a folder, characters
# the pretty slug keeps and the default one drops, a post's own permalink.
POSTS = {
    "2025-12-14-aiマーケティング最新トレンド5選-学習意欲を刺激する実践ガイド.md": (
        'title: "AIマーケティング最新トレンド"\ncategories: [AIマーケティング]\ndate: "2025-12-14T01:00:00.000Z"\n'
    ),
    "2025-12-31-年末の振り返り.md": 'title: "年末"\ncategories: [AIマーケティング, "Big Data"]\n'
    "date: 2025-12-31T20:00:00.000Z\n",
    "2025-01-05-q&a-入門(2025)!.md": "title: Q&A\ncategory: 心理学 入門\n",
    "2025-02-03-space case.markdown": "title: space\ncategories: Growth Hacking\n",
    "2025-03-04-html-post.html": "title: html\ncategories: [News, news]\n",
    "2025-04-05-file-slug.md": "title: slugged\nslug: 前面スラッグ Custom\n",
    "2025-05-06-no-zone.md": "title: no zone\ndate: 2025-05-06 23:30:00\n",
    "guides/2025-06-07-ガイド.md": "title: guide\ncategories: [ガイド]\n",
    "2025-07-08-own-permalink.md": "title: own\npermalink: /special/:slug/\n",
    "2025-08-09-all-upper-ABC.md": "title: upper\ncategories: [ABC]\ndate: 2025-08-09\n",
}

CONFIGS = {
    "default": "",
    "date": "permalink: date\n",
    "pretty": "permalink: pretty\n",
    "ordinal": "permalink: ordinal\n",
    "weekdate": "permalink: weekdate\n",
    "none": "permalink: none\n",
    "blog-title": "permalink: /blog/:title/\n",
    "custom": "permalink: /:categories/:year/:i_month/:i_day/:short_year-:y_day/:slug:output_ext\n",
    "no-ext": "permalink: /:year/:short_month/:long_day/:title\n",
    "underscore": "permalink: /:slugified_categories/:month_:day/:name/\n",
    "weeks": "permalink: /:w_year/:week/:w_day/:hour:minute:second/:title.html\n",
    "collection": "collections:\n  posts:\n    permalink: /articles/:path/\n",
    "baseurl": "permalink: /blog/:title/\nbaseurl: /sub/\n",
    "defaults": (
        "permalink: pretty\ndefaults:\n  - scope: {path: '', type: posts}\n"
        "    values: {permalink: '/d/:categories/:title/'}\n"
    ),
}


def make_site(root: Path, config: str, posts: dict[str, str] = POSTS, zone: str = "Asia/Tokyo") -> Path:
    """A site with the posts above and a page listing each post's `post_url` (what Jekyll links it as)."""
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(f"title: t\ntimezone: {zone}\n{config}", encoding="utf-8")
    for name, front in posts.items():
        path = root / "_posts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{front}---\n\n本文です。\n", encoding="utf-8")
    names = [str(Path(n).with_suffix("")) for n in posts]
    listing = "".join(f'<a data-name="{n}" href="{{% post_url {n} %}}">x</a>\n' for n in names)
    (root / "links.html").write_text(f"---\npermalink: /links.html\n---\n{listing}", encoding="utf-8")
    return root


def build(jekyll: str, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=300,
    )


def built_files(site: Path) -> set[str]:
    out = site / "_site"
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "links.html"}


@pytest.mark.jekyll
@pytest.mark.parametrize("style", list(CONFIGS))
def test_every_url_is_the_page_jekyll_builds(tmp_path, style):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    site = make_site(tmp_path / "site", CONFIGS[style])
    proc = build(jekyll, site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = load(site)
    assert len(found.posts) == len(POSTS) and not found.errors
    outputs = {post.output for post in found.posts.values()}
    assert outputs == built_files(site), "each post's file is where Jekyll wrote it, and no other"
    listing = (site / "_site" / "links.html").read_text(encoding="utf-8")
    written = dict(re.findall(r'data-name="([^"]+)" href="([^"]+)"', listing))
    for name, post in found.posts.items():
        assert unquote(written[name]) == unquote(found.href(post)), f"{name}: post_url's link"
        assert unquote(written[name]) == found.config.baseurl + post.url
        page = site / "_site" / unquote(found.href(post)).removeprefix(found.config.baseurl).lstrip("/")
        assert (page / "index.html" if post.url.endswith("/") else page).is_file() or (
            page.with_name(page.name + ".html").is_file()
        ), f"{post.url} is served"
        assert found.by_path(found.href(post)) == post and found.by_name(name) == post


def test_styles_as_jekyll_documents_them(tmp_path):
    site = make_site(tmp_path / "site", "permalink: pretty\n")
    found = load(site)
    post = found.posts["2025-12-31-年末の振り返り"]
    # 20:00 UTC on the 31st is New Year's Day in Tokyo; categories lower-cased, a space kept (escaped in links).
    assert post.url == "/aiマーケティング/big data/2026/01/01/年末の振り返り/"
    assert found.href(post).startswith("/ai%E3%83%9E") and "big%20data/2026/01/01/" in found.href(post)
    assert found.posts["2025-01-05-q&a-入門(2025)!"].url == "/心理学 入門/2025/01/05/q&a-入門(2025)!/", "one category"
    assert found.posts["2025-04-05-file-slug"].url == "/2025/04/05/前面スラッグ-Custom/", "front-matter slug, cased"
    assert found.posts["2025-07-08-own-permalink"].url == "/special/own-permalink/"
    assert found.posts["guides/2025-06-07-ガイド"].url == "/ガイド/2025/06/07/ガイド/"
    assert found.posts["2025-05-06-no-zone"].date.day == 7, "a YAML time without a zone is UTC, then Tokyo"


def test_slugify_matches_jekylls_documented_examples():
    assert slugify("The _config.yml file?") == "the-config-yml-file"
    assert slugify("The _config.yml file?", "pretty") == "the-_config.yml-file"
    assert slugify("The _config.yml file?", "pretty", cased=True) == "The-_config.yml-file"
    assert slugify("AIマーケティング 最新トレンド：2025年版") == "aiマーケティング-最新トレンド-2025年版"
    assert slugify("--") == "" and slugify("-a-") == "a"


def test_sanitize_drops_dot_segments_and_doubled_slashes():
    assert sanitize("//blog/../x/./y//") == "/blog/x/y/"
    assert sanitize("blog/a..b") == "/blog/a/b"


def test_unknown_placeholders_and_broken_posts_are_reported_not_raised(tmp_path):
    site = make_site(tmp_path / "site", "permalink: /:nonsense/:title/\n", {"2025-01-01-a.md": "title: a\n"})
    (site / "_posts" / "2025-01-02-bad.md").write_bytes(b"---\ntitle: \xff\xfe\n---\n")
    (site / "_posts" / "2025-01-03-broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    (site / "_posts" / "notes.md").write_text("not a post\n", encoding="utf-8")
    found = load(site)
    assert set(found.errors) == {"2025-01-01-a"} and ":nonsense" in found.errors["2025-01-01-a"]
    assert not found.posts


def test_visibility_follows_published_and_future(tmp_path):
    posts = {"2025-01-01-draft.md": "title: d\npublished: false\n", "2099-01-01-later.md": "title: l\n"}
    found = load(make_site(tmp_path / "site", "", posts))
    now = datetime.now(UTC)
    assert not found.built(found.posts["2025-01-01-draft"], now)
    assert not found.built(found.posts["2099-01-01-later"], now)
    assert found.built(found.posts["2099-01-01-later"], datetime(2100, 1, 1, tzinfo=UTC))


@pytest.mark.jekyll
def test_unpublished_and_future_posts_are_not_built(tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    posts = {"2025-01-01-draft.md": "title: d\npublished: false\n", "2099-01-01-later.md": "title: l\n"}
    site = make_site(tmp_path / "site", "", posts)
    (site / "links.html").unlink()
    assert build(jekyll, site).returncode == 0
    found = load(site)
    now = datetime.now(UTC)
    built = {p.output for p in found.posts.values() if found.built(p, now)}
    assert built == built_files(site) == set()


def test_pages_of_the_site_source(tmp_path):
    site = make_site(tmp_path / "site", "baseurl: /sub\n", {"2025-01-01-a.md": "title: a\n"})
    (site / "contact.md").write_text("---\ntitle: c\n---\n", encoding="utf-8")
    (site / "about").mkdir()
    (site / "about" / "index.html").write_text("<p>about</p>", encoding="utf-8")
    (site / "company.md").write_text("---\npermalink: /会社/\n---\n", encoding="utf-8")
    (site / "_drafts").mkdir()
    (site / "_drafts" / "x.md").write_text("x", encoding="utf-8")
    found = load(site)
    assert found.page_exists("/sub/contact/") and found.page_exists("/sub/contact.html")
    assert found.page_exists("/sub/about/") and found.page_exists("/sub/%E4%BC%9A%E7%A4%BE/")
    assert not found.page_exists("/contact/"), "outside the baseurl"
    assert not found.page_exists("/sub/_drafts/x.md") and not found.page_exists("/sub/../../etc/passwd")
    assert not found.page_exists("/sub/nowhere/") and not found.page_exists("/sub/a%00b/")
    assert found.by_path("/sub/2025/01/01/a.html?x=1#top") == found.posts["2025-01-01-a"]
    assert found.by_path("/2025/01/01/a.html") is None, "without the baseurl it is another address"


def test_a_site_without_posts_or_config(tmp_path):
    found = load(tmp_path)
    assert found.posts == {} and found.config.template == permalinks.STYLES["date"]
