"""The whole site, every feature at once (issue 30): on a site built like the real one (tests/realsite.py), an
editor measures its voice, writes a post with links and sources, checks it, publishes it, refreshes the site's
most urgent post, publishes that, and builds the site with the real Jekyll on a build machine in UTC.

What must hold where the features meet: the model's lists are lists on the built page; the CTA and the related
posts appear once (the layout renders them); the post's date and its file name give the same day; the refreshed
post keeps its links; the site's own posts raise no more than a few findings a rule; file modes are kept."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from pipeline.config import SectionLengths, load_settings
from pipeline.llm.server_support import assume_everything
from pipeline.voice.follow import fit_lengths
from pipeline.voice.profile import load_voice
from standins.fake_writer import FakeWriter
from standins.openai_api import OpenAIStandIn
from standins.web import WebStandIn
from tests.conftest import PLANTED_KEY, ROOT, jekyll_path
from tests.realsite import RealSite, Writer, real_site

MOST_FINDINGS = 3  # the most findings one rule may report on the site's honest posts
NOUNS = ("生成AIの下書き", "プロンプトの型", "分析の結果", "学習用のデータ", "指示文の長さ")
OFFER = re.compile(r"^\[(L\d+)\] (.+?)(?: — .*)?$", re.MULTILINE)  # a link candidate as prompts/_links.j2 lists it
PASSAGE = re.compile(r"^\[S(\d+)\] .*?(\d+(?:\.\d+)?%)", re.MULTILINE)


class SiteWriter(FakeWriter):
    """A model writing for this site: である sentences, a bullet list under a paragraph line in every other
    part, the link mark after a sentence naming the first candidate's title, a figure with its source's marker."""

    def __init__(self) -> None:
        super().__init__()
        self.writers: dict[int, Writer] = {}  # each part's own sentences: none depends on the order of the calls
        self.lock = threading.Lock()

    @staticmethod
    def part_of(prompt: str) -> int:
        """The part's place in the post (a piece after the first: 100 on), whatever order the calls come in."""
        outline, _, rest = prompt.rpartition("【担当】")  # the instructions name it earlier; the last is the part
        current = re.match(r"(.+)", rest)
        at = outline.find(current.group(1).strip()) if outline and current else -1
        place = len(re.findall(r"（導入文）|#{2,3} ", outline[:at])) + 1 if at >= 0 else 0
        piece = re.search(r"あなたは(\d+)つ目の段落", prompt)
        return place + 100 * (int(piece.group(1)) - 1 if piece else 0)

    def _plain(self, section: int) -> str:
        with self.lock:
            writer = self.writers.setdefault(section, Writer(10**6 + section * 1_000))
            return writer.sentence(NOUNS, 40, section, polite=False)

    def prose(self, prompt: str, keyword: str) -> str:
        if "【いまの本文】" in prompt:  # a refresh: the part as it stands, this year's, its links kept
            current = prompt.split("【いまの本文】\n", 1)[1].split("\n\nこの記事はすでに", 1)[0]
            return current.strip().replace("2025年", "2026年")
        match = re.search(r"約(\d+)字", prompt)
        target = int(match.group(1)) if match else 200
        part = self.part_of(prompt)
        text = f"{keyword.split()[0]}の{self._plain(part)}" if f"主キーワード「{keyword}」を1回だけ" in prompt else ""
        while len(text) < target * 0.6:
            text += self._plain(part)
        if (offer := OFFER.search(prompt)) is not None:
            noun = NOUNS[part % len(NOUNS)]
            text += f"「{offer.group(2)}」で書いたとおり、{noun}は小さく試すのがよい。[{offer.group(1)}]"
        if (cited := PASSAGE.search(prompt)) is not None:
            text += f"調査では{cited.group(2)}という結果が出ている。[S{cited.group(1)}]"
        if part % 2:
            items = [f"- **ポイント{n}:** {self._plain(part)}" for n in (1, 2, 3)]
            text += "\n\n" + self._plain(part) + "\n" + "\n".join(items)  # a list right under a paragraph line
        return text

    def _string(self, name: str, keyword: str, prompt: str) -> str:
        if (
            name in ("title", "description", "steps.title")
            or name.startswith("image_queries.")
            or name.endswith("label")
        ):
            return super()._string(name, keyword, prompt)
        return self._plain(self.part_of(prompt) + 20)  # a step's or the summary's fields


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web: WebStandIn):
    """The site, a genpost home (a copy of genpost.yml, voice.yml beside it), the model stand-in writing for it."""
    site = real_site(tmp_path / "site")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "genpost.yml", home / "genpost.yml")
    monkeypatch.setenv("GENPOST_CONFIG", str(home / "genpost.yml"))
    with OpenAIStandIn(writer=SiteWriter()) as server:
        assume_everything(server.base_url)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", PLANTED_KEY)
        yield site, server


def _findings(genpost, site: Path, *posts: Path) -> dict[str, list[dict]]:
    run = genpost("check", "--json", "--site", str(site), *map(str, posts))
    assert run.code in (0, 1), run.stderr
    return {Path(r["file"]).name: r["findings"] for r in json.loads(run.stdout)}


def _built(site: Path, jekyll: str) -> Path:
    """`jekyll build` on a machine whose clock is in UTC (as most build servers are)."""
    env = {**os.environ, "TZ": "UTC"}
    done = subprocess.run([jekyll, "build", "-q"], cwd=site, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return site / "_site"


def _page(built: Path, name: str) -> tuple[str, str]:
    """A post's built page (found by its file name's slug) and the path it was built at."""
    slug = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", Path(name).stem)
    pages = [p for p in built.rglob("*.html") if p.stem == slug or p.parent.name == slug]
    assert len(pages) == 1, (name, pages)
    return pages[0].read_text(encoding="utf-8"), pages[0].relative_to(built).as_posix()


def _hrefs(html: str) -> list[str]:
    return [unquote(href) for href in re.findall(r'<a href="([^"]+)"', html)]


def _content(html: str) -> str:
    return html.split('<div class="post-content">', 1)[1].split("</article>", 1)[0]


def test_voice_post_check_publish_refresh_publish_build(world: tuple[RealSite, OpenAIStandIn], genpost, tmp_path, web):
    site, _ = world
    jekyll = jekyll_path()
    out = tmp_path / "out"

    # The site's voice, measured from its posts; with the shipped genpost.yml, each part's length follows it.
    voiced = genpost("voice", "--site", str(site.root))
    assert voiced.code == 0, voiced.stderr
    settings = load_settings()
    fit_lengths(settings, load_voice(Path(voiced.last_line)))
    assert settings.lengths.sections != SectionLengths(), (
        "the shipped genpost.yml leaves the parts' lengths to the site"
    )

    # A new post with links and a source, dated 07:15 in Tokyo: still the day before in UTC.
    run = genpost(
        "--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--site", str(site.root),
        "--sources", web.url("survey.html"), "--out", str(out), "--date", "2026-12-05T22:15:00Z",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    text = draft.read_text(encoding="utf-8")
    assert draft.name.startswith("2026-12-06-")
    assert 'date: "2026-12-06 07:15:00"' in text
    assert "author: LeadFive\n" in text or 'author: "LeadFive"' in text
    assert 'class="cta-section"' not in text and 'class="related-posts"' not in text, "the layout renders both"
    items = text.count("\n- **ポイント")
    assert items >= 6 and re.search(r"。\n- \*\*ポイント1:\*\* ", text), "each list as the model wrote it"
    links = re.findall(r"\{% post_url (\S+) %\}", text)
    assert links and set(links) <= set(site.names), "links to the site's own posts"
    assert re.search(r"\[\^1\]: ", text), "the source is a footnote"

    # The draft is checked as the site's post, and published.
    drafted = _findings(genpost, site.root, draft)[draft.name]
    rules = Counter(f["rule"] for f in drafted if f["severity"] == "error")
    assert not rules.keys() & {"cta.missing", "cta.duplicate", "links.related-duplicate", "frontmatter.date-day"}
    assert not rules, "the draft has no error: it publishes without --force"
    assert genpost("publish", str(draft), "--site", str(site.root)).code == 0
    published = site.root / "_posts" / draft.name
    assert oct(published.stat().st_mode & 0o777) == "0o644", "a new post gets the site's file mode"

    # The most urgent stale post is refreshed through the path the list prints, and published.
    listed = genpost("refresh", "--list", "--json", "--site", str(site.root))
    assert listed.code == 0, listed.stderr
    first = json.loads(listed.stdout)[0]
    target = site.root / first["file"]
    assert target.stem in site.stale_2025, "a 2026 post naming 2025 comes before posts listed for their age"
    before = target.read_bytes()
    links_before = re.findall(rb"\{% post_url (\S+) %\}", before)
    mode = target.stat().st_mode & 0o777
    refreshed = genpost("refresh", first["file"], "--site", str(site.root), "--out", str(out))
    assert refreshed.code == 0, refreshed.stderr
    redraft = Path(refreshed.last_line)
    record = json.loads(redraft.with_suffix(".json").read_text(encoding="utf-8"))
    assert not [f for f in record["findings"] if f["rule"] in ("refresh.link-lost", "frontmatter.extra")]
    assert genpost("publish", str(redraft), "--site", str(site.root)).code == 0, "a clean refresh publishes"
    after = target.read_bytes()
    assert re.findall(rb"\{% post_url (\S+) %\}", after) == links_before, "every link survives the refresh"
    assert (b"\r\n" in after) == (b"\r\n" in before) and target.stat().st_mode & 0o777 == mode
    assert (
        b"2025"
        not in re.split(rb"\n---\r?\n", after, maxsplit=1)[0]
        .split(b"last_modified_at")[0]
        .split(b"date:")[1]
        .split(b"\n", 1)[1]
    ), "no 2025 left in the front matter after the date"

    # The site's own posts (the refreshed one among them): next to no findings a rule.
    left = set(site.stale_2025) - {target.stem}  # the stale posts not refreshed yet keep their faults
    honest = [p for p in sorted((site.root / "_posts").glob("*.md")) if p.stem not in {*site.polite, *left}]
    found = _findings(genpost, site.root, *[p for p in honest if p != published])
    assert not found[target.name], "the refreshed post is clean"
    counts = Counter(f["rule"] for v in found.values() for f in v)
    assert max(counts.values(), default=0) <= MOST_FINDINGS, counts

    if jekyll is None:
        pytest.skip("jekyll is not installed")
    built = _built(site.root, jekyll)
    html, where = _page(built, draft.name)
    assert "/2026/12/06/" in where, f"date and file name agree on a UTC machine: {where}"
    content = _content(html)
    assert content.count("<li><strong>ポイント") == items, "each bullet the model wrote is an <li>"
    assert "- **" not in content
    assert html.count('class="cta-box"') == 1 and html.count('class="related-posts"') == 1, "each block once"
    for name in links:
        assert any(name[11:] in href for href in _hrefs(content)), f"the link to {name} is on the page"
    refreshed = _hrefs(_content(_page(built, target.name)[0]))
    for name in links_before:
        assert any(name.decode()[11:] in href for href in refreshed), f"the refreshed page links {name.decode()}"
