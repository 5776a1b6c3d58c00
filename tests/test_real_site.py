"""A site built like the real one genpost writes for (tests/realsite.py, issue 30): Jekyll builds it, `genpost
voice` measures it as it is written, and `genpost check` finds its real faults (2025 named as this year in 2026
posts) and next to nothing on its honest posts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from pipeline.voice.profile import load_voice
from tests.conftest import ROOT, jekyll_path
from tests.realsite import POLITE_POSTS, READING_TIME, URL, RealSite, real_site

MOST_FINDINGS = 3  # the most findings one rule may report on the site's honest posts
FEWEST_LINKS = 2  # links.count's floor (pipeline.quality.links.FEWEST)
# What a post the site wrote before it turned to である is held to now: the site's current voice.
OLD_STYLE = ("voice.style", "style.mixed-endings", "voice.sentence-length")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> RealSite:
    return real_site(tmp_path_factory.mktemp("real") / "site")


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's genpost.yml in tmp, as GENPOST_CONFIG: voice.yml is written beside it."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "genpost.yml", home / "genpost.yml")
    monkeypatch.setenv("GENPOST_CONFIG", str(home / "genpost.yml"))
    return home


def _voice(genpost, site: RealSite, home: Path) -> Path:
    run = genpost("voice", "--site", str(site.root))
    assert run.code == 0, run.stderr
    assert run.last_line == str(home / "voice.yml")
    return home / "voice.yml"


def _check(genpost, site: RealSite, *posts: Path) -> list[list[dict]]:
    """`genpost check --site --json` over the posts: each post's findings, in turn."""
    run = genpost("check", "--json", "--site", str(site.root), *map(str, posts))
    assert run.code in (0, 1), run.stderr
    reports = json.loads(run.stdout)
    assert [Path(report["file"]) for report in reports] == list(posts)
    return [report["findings"] for report in reports]


def _by_name(genpost, site: RealSite, *posts: Path) -> dict[str, list[dict]]:
    return dict(zip([p.stem for p in posts], _check(genpost, site, *posts), strict=True))


def _front(path: Path) -> tuple[dict, str]:
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


# --- the site --------------------------------------------------------------------------------------


def test_the_site_is_written_as_the_real_one(site):
    config = yaml.safe_load((site.root / "_config.yml").read_text(encoding="utf-8"))
    assert config["url"] == URL and config["markdown"] == "kramdown" and "timezone" not in config
    assert (site.root / "assets" / "images" / "logo.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert len(site.posts) == 24 and len(site.plain) == 20 and len(site.polite) == POLITE_POSTS
    days = sorted(p.name[:10] for p in site.posts)
    assert days[0].startswith("2025-") and days[-1] == "2026-11-25"
    for path in site.posts:
        assert path.stat().st_mode & 0o777 == 0o644
        raw = path.read_bytes()
        assert (b"\r\n" in raw) == (path == site.crlf), path.name
        front, body = _front(path)
        assert list(front) == [
            *("layout", "title", "date", "categories", "tags", "author", "description", "image"),
            *("reading_time", "seo_keywords"),
        ]
        assert re.search(rb"\ndate: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\r?\n", raw), "a date with no offset"
        assert front["reading_time"] == READING_TIME and front["author"] == "LeadFive"
        keyword = front["seo_keywords"][0]
        assert keyword not in body and all(word in body for word in keyword.split()), "its words, apart"
    stale = [_front(site.root / "_posts" / f"{name}.md") for name in site.stale_2025]
    assert len(stale) == 3
    for front, body in stale:
        assert front["date"].year == 2026 and "2025" in front["title"] and "2025年の今" in body
        assert any("2025" in k for k in front["seo_keywords"]) and any("2025" in t for t in front["tags"])


def test_jekyll_builds_it_with_lists_links_and_one_cta_a_page(site, tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    source = shutil.copytree(site.root, tmp_path / "site")
    built = subprocess.run([jekyll, "build", "-q"], cwd=source, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    pages = {}
    for page in (source / "_site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if (title := re.search(r'<article class="blog-post">\n<h1>(.*?)</h1>', html)) is not None:
            pages[title.group(1)] = html
    assert len(pages) == len(site.posts), "every post is built, none in the future"
    for name in site.names:
        html = pages[site.titles[name]]
        content = html.split('<div class="post-content">', 1)[1].split("</article>", 1)[0]
        assert html.count('class="cta-box"') == 1, name
        assert content.count("<li>") == site.items[name], f"{name}: each bullet an <li>"
        assert html.count('<li class="related">') == 3
        assert "{%" not in html and "post_url" not in html
        linked = [source / "_site" / unquote(href) for href in re.findall(r'<a href="/([^"#]+\.html)">', content)]
        assert [re.search(r"<h1>(.*?)</h1>", p.read_text(encoding="utf-8"))[1] for p in linked] == [
            site.titles[target] for target in site.links[name]
        ], f"{name}: each post_url is the linked post's page"
        assert len(re.findall(r"<h2 ", content)) == 6 and len(re.findall(r"<h3 ", content)) == site.h3[name]
        assert not re.search(r"#</h2>", content), "a closing # is no part of the heading"
        assert ('class="footnotes"' in content) == (name in site.footnoted)


# --- the voice -------------------------------------------------------------------------------------


def test_voice_measures_the_site_as_it_is_written(site, genpost, tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    voice = load_voice(_voice(genpost, site, home))
    assert voice is not None and voice.measured is not None and voice.style is not None
    assert voice.measured.posts == len(site.plain), "the 20 newest: the である posts, the CR LF one too"
    assert voice.style.main == "である" and voice.style.polite == 0.0
    sections, built = voice.sections, site.numbered_share(site.plain)
    assert sections is not None and 0.55 <= built <= 0.65
    assert sections.numbered == round(built, 3), "every numbered H2 (「方法1　…」「ポイント2：…」) is counted"
    low, high = sections.range
    counts = [len(site.h2[name]) for name in site.plain]
    assert sum(low <= n <= high for n in counts) >= 0.8 * len(counts)
    assert voice.format is not None and voice.format.reading_rate is None, "reading_time: 8 is a constant"
    assert "reading_time" in voice.format.front_matter and "seo_keywords" in voice.format.front_matter
    assert "  reading_rate: null  #" in (home / "voice.yml").read_text(encoding="utf-8")


# --- the gate --------------------------------------------------------------------------------------


def _expected(site: RealSite, name: str) -> tuple[str, ...]:
    """The rules a post may be flagged by for what it is by construction (not by how the site writes)."""
    rules: tuple[str, ...] = ()
    if name in site.polite:
        rules += OLD_STYLE
    if name in site.stale_2025:
        rules += ("numbers.stale-year",)
    if len(site.links[name]) < FEWEST_LINKS:  # the site's first posts had little to link
        rules += ("links.count",)
    return rules


def test_check_finds_next_to_nothing_on_the_sites_honest_posts(site, genpost, tmp_path, monkeypatch):
    _voice(genpost, site, _home(tmp_path, monkeypatch))
    found = _by_name(genpost, site, *site.posts)
    assert set(found) == set(site.names)
    honest = Counter(
        f["rule"] for name, findings in found.items() for f in findings if f["rule"] not in _expected(site, name)
    )
    assert max(honest.values(), default=0) <= MOST_FINDINGS, honest
    for name in site.polite:  # the site's older voice is named, paragraph by paragraph
        assert "voice.style" in {f["rule"] for f in found[name]}, name


def test_check_finds_2025_named_as_this_year_in_2026_posts(site, genpost, tmp_path, monkeypatch):
    _voice(genpost, site, _home(tmp_path, monkeypatch))
    paths = [site.root / "_posts" / f"{name}.md" for name in (*site.stale_2025, site.own_year)]
    found = _by_name(genpost, site, *paths)
    for name in site.stale_2025:
        stale = [f for f in found[name] if f["rule"] == "numbers.stale-year"]
        assert {f["message"].split()[0] for f in stale} == {"title", "seo_keywords"}, stale
        assert all("2025年を挙げています" in f["message_ja"] and "2026年" in f["message_ja"] for f in stale)
    assert "numbers.stale-year" not in {f["rule"] for f in found[site.own_year]}, "2025 in a 2025 post is its year"


def test_a_crlf_post_is_read_as_its_lf_twin(site, genpost, tmp_path, monkeypatch):
    _voice(genpost, site, _home(tmp_path, monkeypatch))
    raw = site.crlf.read_bytes()
    faulty = raw.replace(b"\r\n\r\n## ", "\r\n\r\n導入した店舗では、売上が30%伸びた。\r\n\r\n## ".encode(), 1)
    crlf, lf = tmp_path / "crlf" / site.crlf.name, tmp_path / "lf" / site.crlf.name  # the site's own copy is skipped
    for path, data in ((crlf, faulty), (lf, faulty.replace(b"\r\n", b"\n"))):
        path.parent.mkdir()
        path.write_bytes(data)
    found = [[(f["rule"], f["line"]) for f in findings] for findings in _check(genpost, site, crlf, lf)]
    line = faulty.split(b"\r\n").index("導入した店舗では、売上が30%伸びた。".encode()) + 1
    assert found[0] == found[1] == [("claims.unsourced", line)], "the same findings, on the same lines"
