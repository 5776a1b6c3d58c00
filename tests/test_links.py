"""Links into the site: the site's posts indexed, candidates chosen per section above a relevance floor,
links placed where a model marks a sentence or where the prose mentions a post, written with post_url."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest

from pipeline.config import LinkSettings
from pipeline.parse import parse
from pipeline.site.links import LinkPlan, SiteIndex, noun_phrases, place, plan_for
from standins.fake_writer import FakeWriter
from tests.conftest import jekyll_path, record_of, write_post
from tests.linksite import NEIGHBOURS, NEVER, POSTS, link_site

DAY = date(2025, 12, 15)
POST_URL = re.compile(r"\[([^\]]+)\]\(\{% post_url (\S+) %\}\)")
OFFERED = re.compile(r"^\[L(\d+)\] (.+?)(?: — .*)?$", re.MULTILINE)


class LinkingWriter(FakeWriter):
    """A model that, shown the site's posts, writes one sentence leading to the first and marks it."""

    def prose(self, prompt: str, keyword: str) -> str:
        text = super().prose(prompt, keyword)
        offered = (
            OFFERED.findall(prompt.split("【サイト内の関連記事】", 1)[-1]) if "【サイト内の関連記事】" in prompt else []
        )
        if not offered:
            return text
        number, title = offered[0]
        topic = noun_phrases(title)[0]
        return text + f"{topic}については、別の記事でも詳しく整理しています。[L{number}]"


class MentioningWriter(FakeWriter):
    """A model that marks nothing, but writes about a neighbouring post's topic in passing."""

    def prose(self, prompt: str, keyword: str) -> str:
        text = super().prose(prompt, keyword)
        if "心理学的背景」の本文" in prompt:
            return text + "学習本能 顧客心理の考え方も、ここで役に立ちます。"
        if "成功事例と期待できる効果」の本文" in prompt:
            return text + "現場ではマーケティング自動化 コツを押さえた会社が成果を上げています。"
        return text


@pytest.fixture
def linked_site(tmp_path: Path) -> Path:
    return link_site(tmp_path / "site")


def plan(site: Path, **settings) -> LinkPlan:
    made = plan_for(site, "", DAY, LinkSettings(**settings))
    assert made is not None
    return made


# --- choosing targets -----------------------------------------------------------------------------


def test_a_section_is_offered_the_posts_on_its_topic_and_never_a_weak_match(linked_site):
    links = plan(linked_site)
    background = links.offer("background", "学習本能の心理学的背景 好奇心が購買を後押しする AI マーケティング")
    steps = links.offer("steps_intro", "実践ステップ メール配信を自動化する AI マーケティング")
    assert [o.page.name for o in background] == ["2025-11-20-学習本能で顧客心理を読む"]
    assert [o.page.name for o in steps] == ["2025-11-10-マーケティング自動化のコツ"]
    assert all(o.score >= LinkSettings().min_score for o in background + steps)
    unrelated = links.offer("trend1", "宇宙 ロケット 打ち上げ 軌道 観測")
    assert unrelated == [], "a post at the top of a short list is not enough: it must be relevant"


def test_never_a_draft_a_post_dated_after_this_one_or_the_same_post_twice(linked_site):
    links = plan(linked_site, per_section=3, max_links=10)
    query = "AI マーケティング 最新トレンド 生成AI 活用"
    first, again = links.offer("cases", query), links.offer("summary", query)
    names = [o.page.name for o in first + again]
    assert not set(names) & set(NEVER), "the draft and the post dated after this one score high, and are never offered"
    assert len(names) == len(set(names)), "a post is offered to one section only"
    assert links.offer("cases", query) == first, "asked again, a section gets what it got"
    assert {c.name for c in links.report.candidates} == set(names)


def test_relevance_is_a_share_of_the_query_not_a_rank(linked_site):
    index = SiteIndex.of_site(linked_site)
    ranked = dict((p.name, s) for p, s in index.ranked("AI導入 ロードマップ 中小企業 ステップ", 6))
    assert ranked["2025-11-01-ai導入ロードマップ"] > 0.4 > max(s for n, s in ranked.items() if "ロードマップ" not in n)
    assert all(0 <= s <= 1 for s in ranked.values())
    assert ranked.get("2025-10-01-ラーメン店の行列", 0) < 0.05


# --- placing links ---------------------------------------------------------------------------------


def test_a_marked_sentence_gets_a_link_on_a_phrase_of_it(linked_site):
    links = plan(linked_site)
    (offer,) = links.offer("background", "学習本能 好奇心 顧客心理")
    sections = {"background": f"学習本能は好奇心の源です。顧客心理の読み方も大切です。[{offer.id}]続きの文です。"}
    placed = place(sections, links)["background"]
    (anchor, name) = POST_URL.search(placed).groups()
    assert name == offer.page.name and anchor in ("顧客心理", "顧客心理の読み方") and len(anchor) <= 20
    assert "[L" not in placed and placed.endswith("続きの文です。")
    assert [(p.how, p.anchor) for p in links.report.placed] == [("marked", anchor)]


def test_a_mark_the_section_was_not_offered_is_dropped_with_why(linked_site):
    links = plan(linked_site)
    (offer,) = links.offer("background", "学習本能 好奇心 顧客心理")
    sections = {"cases": f"顧客心理の事例です。[{offer.id}]", "background": "学習本能の話です。[L9]"}
    placed = place(sections, links)
    assert "[L" not in placed["cases"] + placed["background"]
    assert "post_url" not in placed["cases"]
    assert any(d.why == "ほかの部分に示した記事の印です" for d in links.report.dropped)


def test_an_unmarked_candidate_is_linked_where_the_prose_mentions_it(linked_site):
    links = plan(linked_site)
    (offer,) = links.offer("steps_intro", "実践ステップ メール配信を自動化する")
    text = "最初の段落です。\n\nここではマーケティング自動化の考え方を使います。マーケティング自動化は二度目です。"
    placed = place({"steps_intro": text}, links)["steps_intro"]
    assert placed.count("post_url") == 1 and placed.startswith("最初の段落です。")
    assert POST_URL.search(placed).groups() == ("マーケティング自動化", offer.page.name)
    assert links.report.placed[0].how == "mention"


def test_one_link_a_paragraph_and_each_post_once(linked_site):
    links = plan(linked_site, per_section=2, max_links=5, min_score=0.1)
    offers = links.offer("trend1", "マーケティング自動化 メール 学習本能 顧客心理 好奇心")
    assert len(offers) == 2
    one, two = offers
    text = f"マーケティング自動化と顧客心理の話です。[{one.id}]学習本能 顧客心理にも触れます。[{two.id}]"
    placed = place({"trend1": text}, links)["trend1"]
    assert placed.count("post_url") == 1, "one paragraph, one link"
    assert any(d.why == "この段落にはすでにリンクがあります" for d in links.report.dropped)


# --- through the pipeline ----------------------------------------------------------------------------


def test_a_post_links_its_neighbours_in_the_prose(llm, genpost, tmp_path, linked_site):
    llm.writer = LinkingWriter()
    run = write_post(genpost, tmp_path / "out", "--site", str(linked_site))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    doc = parse(draft.read_text(encoding="utf-8"))
    internal = [(b.part, anchor, name) for b in doc.prose for anchor, name in b.internal_links]
    assert 2 <= len(internal) <= 5, internal
    assert {name for _, _, name in internal} <= set(NEIGHBOURS)
    assert len({name for _, _, name in internal}) == len(internal), "each post once"
    assert all(2 <= len(anchor) <= 20 and "。" not in anchor for _, anchor, _ in internal)
    assert not any(part == "lead" for part, _, _ in internal)
    related = [name for b in doc.blocks for name in b.post_urls if b.part == "related"]
    assert not set(related) & {name for _, _, name in internal}, "the related block holds other posts"
    assert not set(related) & set(NEVER[1:]), "never a draft or a post dated after this one"

    record = record_of(run)["links"]
    assert {c["name"] for c in record["candidates"]} <= set(NEIGHBOURS) and record["candidates"][0]["score"] > 0
    assert {p["name"] for p in record["placed"]} == {name for _, _, name in internal}
    assert {p["how"] for p in record["placed"]} == {"marked"}
    checked = genpost("check", str(draft), "--site", str(linked_site), "--json")
    findings = json.loads(checked.stdout)[0]["findings"]
    assert not [f for f in findings if f["rule"].startswith(("links.", "markup."))], findings


def test_the_embedded_way_links_what_the_prose_mentions(llm, genpost, tmp_path, linked_site):
    llm.writer = MentioningWriter()
    run = write_post(genpost, tmp_path / "out", "--site", str(linked_site))
    assert run.code == 0, run.stderr
    placed = record_of(run)["links"]["placed"]
    assert ("2025-11-20-学習本能で顧客心理を読む", "mention") in {(p["name"], p["how"]) for p in placed}
    assert {p["how"] for p in placed} == {"mention"}, "nothing was marked: every link is a mention's"
    text = Path(run.last_line).read_text(encoding="utf-8")
    assert "[学習本能 顧客心理]({% post_url 2025-11-20-学習本能で顧客心理を読む %})" in text


def test_without_a_site_a_mark_never_reaches_the_post(llm, genpost, tmp_path):
    llm.writer = LinkingWriter()
    run = write_post(genpost, tmp_path / "out")
    assert run.code == 0 and "[L" not in Path(run.last_line).read_text(encoding="utf-8")
    assert record_of(run)["links"] == {"candidates": [], "placed": [], "dropped": []}


@pytest.mark.jekyll
@pytest.mark.parametrize("permalink", [None, "/blog/:title/"])
def test_every_internal_link_resolves_to_a_built_page(llm, genpost, tmp_path, permalink):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    site = link_site(tmp_path / "site", permalink)
    llm.writer = LinkingWriter()
    run = write_post(genpost, tmp_path / "out", "--site", str(site))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    (site / "_posts" / draft.name).write_text(draft.read_text(encoding="utf-8"), encoding="utf-8")
    built = tmp_path / "built"
    done = subprocess.run([jekyll, "build", "-s", str(site), "-d", str(built)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pages = [p for p in built.rglob("*.html") if draft.stem[11:] in unquote(str(p))]
    assert len(pages) == 1
    html = pages[0].read_text(encoding="utf-8")
    hrefs = [unquote(h) for h in re.findall(r'<a href="(/[^"]+)"', html)]
    internal = [h for h in hrefs if any(name[11:] in h for name in POSTS)]
    assert len(internal) >= 2 and "{%" not in html
    for href in internal:
        target = built / href.lstrip("/")
        assert target.is_file() or (target / "index.html").is_file(), href
        if permalink:
            assert href.startswith("/blog/") and href.endswith("/")
