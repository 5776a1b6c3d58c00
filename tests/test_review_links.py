"""Internal links in the review app: the card that lists them, dropping one, and how the page, the preview and
the editor's save treat `[anchor]({% post_url NAME %})`. Drafts with links are written by hand from a draft
the stand-in wrote."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from pipeline.config import load_settings
from pipeline.document import Kind
from pipeline.instincts import load_instincts
from pipeline.parse import parse
from pipeline.quality import check_text
from pipeline.review.app import create_app
from pipeline.review.drafts import load_state, read_record, save_record
from pipeline.review.history import stamp_of, text_of, who_runs
from pipeline.types import DroppedLink, LinkCandidate, Links, PlacedLink
from tests import test_review
from tests.conftest import SITE_POSTS
from tests.test_editor import form_of
from tests.test_review import chromium_path, draft

STRATEGY = "2025-12-14-2025年版-ai時代を生き抜く-マーケティング戦略立案-5つの生存術"  # titled from the record
LEARNING = "2025-12-11-生成ai活用法-学習意欲を刺激する3つの方法"  # titled from the site's front matter
RAMEN = "2025-12-13-ラーメン店の行列を作る7つの工夫"  # a candidate that got no link
MISSING = "2020-01-01-存在しない記事"  # no such post in the site
RECORD_TITLE = "戦略立案の記事（実行記録の題）"
BACKGROUND_H2 = "学習本能の心理学的背景"
served_app = test_review.served  # the fixture: the review app on a real uvicorn server


def liquid_link(anchor: str, name: str) -> str:
    return f"[{anchor}]({{% post_url {name} %}})"


def with_link(text: str, block_of, name: str, start: int = 4, length: int = 6) -> tuple[str, str]:
    """`text` with `length` characters of the block `block_of(doc)` picks (from `start` into its content)
    made a link to `name`; and the anchor."""
    block = block_of(parse(text))
    source = block.source
    assert text.count(source) == 1, "the block's lines are found once"
    anchor = block.markdown[start : start + length]
    assert anchor and "[" not in anchor and source.count(anchor) >= 1
    return text.replace(source, source.replace(anchor, liquid_link(anchor, name), 1), 1), anchor


def appended(text: str, block, extra: str) -> str:
    """`text` with `extra` at the end of the block's last line."""
    source = block.source
    assert source.endswith("\n") and text.count(source) == 1
    return text.replace(source, source[:-1] + extra + "\n", 1)


def lead_paragraph(doc):
    return next(b for b in doc.blocks if b.kind == Kind.PARAGRAPH and b.h2 is None)


def background_paragraph(doc):
    return next(b for b in doc.blocks if b.kind == Kind.PARAGRAPH and b.h2 == BACKGROUND_H2)


def nested_bullet(doc):
    return next(b for b in doc.blocks if b.kind == Kind.LIST_ITEM and b.level == 2 and not b.label)


@pytest.fixture
def linked(llm, genpost, tmp_path, site):
    """A draft with three internal links written in by hand (the lead: a post the site lacks; the background:
    a post the record placed; a nested bullet: a post only the site knows), and the record saying so; the app
    serving it with --site. Returns (client, token, draft, anchors by post name)."""
    out = tmp_path / "out"
    path = draft(genpost, out, site)
    text = path.read_text(encoding="utf-8")
    anchors = {}
    text, anchors[MISSING] = with_link(text, lead_paragraph, MISSING, start=12)
    text, anchors[STRATEGY] = with_link(text, background_paragraph, STRATEGY, start=24)
    text, anchors[LEARNING] = with_link(text, nested_bullet, LEARNING)
    path.write_text(text, encoding="utf-8")
    record = read_record(path)
    links = Links(
        candidates=[
            LinkCandidate(part="background", name=STRATEGY, title=RECORD_TITLE, score=0.82),
            LinkCandidate(part="cases", name=RAMEN, title=SITE_POSTS[f"{RAMEN}.md"][0], score=0.31),
        ],
        placed=[PlacedLink(part="background", name=STRATEGY, anchor=anchors[STRATEGY], how="marked")],
        dropped=[DroppedLink(part="cases", name=RAMEN, why="本文に合う箇所がありませんでした")],
    )
    findings = check_text(text, load_settings(), load_instincts(), site, path.name)
    save_record(path, record.model_copy(update={"links": links, "findings": findings}))
    client = TestClient(
        create_app(out, site, load_settings(), load_instincts(), allowed_hosts=["testserver"]), follow_redirects=False
    )
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/drafts/{path.name}").text).group(1)
    return client, token, path, anchors


def card_of(page: str) -> str:
    return page.split('<div class="card" id="links">', 1)[1].split('<div class="card">', 1)[0]


def entries(page: str) -> list[str]:
    """The card's entries, one text each (tags dropped, entities read)."""
    card = card_of(page).split("<details", 1)[0]
    items = re.findall(r'<li[^>]*class="internal-link">(.*?)</li>', card, re.DOTALL)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item))).strip() for item in items]


def unlink_form(page: str, name: str, nth: int = 0) -> dict[str, str]:
    """The fields of the card's form that drops the `nth` link to `name`, as the page holds them."""
    forms = re.findall(r'<form method="post" action="[^"]+/unlink" class="unlink">(.*?)</form>', page, re.DOTALL)
    for form in forms:
        fields = {k: html.unescape(v) for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', form)}
        if fields["target"] == name and fields["nth"] == str(nth):
            return fields
    raise AssertionError(f"no form drops the link to {name}")


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """The lines that differ, as (before, after); both texts must have the same lines otherwise."""
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new), "no line was added or removed"
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


# --- the card ----------------------------------------------------------------------------------------


def test_the_card_lists_each_link_with_its_title_section_and_whether_the_site_has_it(linked):
    client, _, path, anchors = linked
    page = client.get(f"/drafts/{path.name}").text
    assert "サイト内リンク（3 件）" in card_of(page)
    lead, background, bullet = entries(page)
    assert f"「{anchors[MISSING]}」" in lead and MISSING in lead and "導入文" in lead
    assert "✗ サイトにありません" in lead, "the site has no such post"
    assert f"「{anchors[STRATEGY]}」 → {RECORD_TITLE} ✓" in background, "the record's title, and the site has it"
    assert BACKGROUND_H2 in background and "導入文" not in background
    learning_title = SITE_POSTS[f"{LEARNING}.md"][0]
    assert f"「{anchors[LEARNING]}」 → {learning_title} ✓" in bullet, "the site's front matter gives the title"
    assert "実践ステップ › ステップ1: 顧客理解を深める準備" in bullet
    assert page.count("このリンクを外す") == 3


def test_candidates_that_got_no_link_are_listed_with_score_and_why(linked):
    client, _, path, _ = linked
    card = card_of(client.get(f"/drafts/{path.name}").text)
    details = card.split('<details id="unlinked">', 1)[1].split("</details>", 1)[0]
    assert "リンクにならなかった候補（1 件）" in details
    assert SITE_POSTS[f"{RAMEN}.md"][0] in details and "スコア 0.31" in details
    assert "本文に合う箇所がありませんでした" in details and "cases" in details
    assert RECORD_TITLE not in details, "a candidate that is linked is not among them"


def test_without_a_site_or_a_record_titles_are_post_names_and_nothing_is_checked(linked, tmp_path):
    _, _, path, anchors = linked
    path.with_suffix(".json").unlink()
    client = TestClient(
        create_app(path.parent, None, load_settings(), load_instincts(), allowed_hosts=["testserver"]),
        follow_redirects=False,
    )
    page = client.get(f"/drafts/{path.name}").text
    texts = entries(page)
    assert len(texts) == 3 and all("✓" not in t and "✗" not in t for t in texts)
    assert f"「{anchors[STRATEGY]}」 → {STRATEGY}" in texts[1], "no record, no site: the post's name"
    assert 'id="unlinked"' not in page


def test_a_draft_without_links_says_so(llm, genpost, tmp_path):
    path = draft(genpost, tmp_path / "out")
    client = TestClient(
        create_app(path.parent, None, load_settings(), load_instincts(), allowed_hosts=["testserver"]),
        follow_redirects=False,
    )
    card = card_of(client.get(f"/drafts/{path.name}").text)
    assert "サイト内リンク（0 件）" in card and "本文にサイト内リンクはありません" in card and "unlink" not in card


# --- dropping a link ---------------------------------------------------------------------------------


def test_dropping_a_link_removes_exactly_that_link_and_keeps_its_words(linked, site):
    client, token, path, anchors = linked
    before = path.read_text(encoding="utf-8")
    page = client.get(f"/drafts/{path.name}").text
    form = {**unlink_form(page, STRATEGY), "csrf": token, "who": "編集部 田中"}
    done = client.post(f"/drafts/{path.name}/unlink", data=form, follow_redirects=True)
    assert done.status_code == 200 and f"リンクを外しました: {RECORD_TITLE}" in done.text

    after = path.read_text(encoding="utf-8")
    [(old, new)] = changed_lines(before, after)
    assert old.replace(liquid_link(anchors[STRATEGY], STRATEGY), anchors[STRATEGY]) == new
    assert liquid_link(anchors[MISSING], MISSING) in after and liquid_link(anchors[LEARNING], LEARNING) in after

    versions = load_state(path).versions
    assert [v.kind for v in versions] == ["generated", "polished", "edited"]
    assert versions[-1].who == "編集部 田中" and versions[-1].note == f"リンクを外しました: {RECORD_TITLE}"
    assert text_of(path, versions[-1].number) == after and versions[-1].stamp == stamp_of(after)

    record = read_record(path)
    assert [p.name for p in record.links.placed] == []
    assert record.links.dropped[-1] == DroppedLink(part="background", name=STRATEGY, why="編集者が外しました")
    assert len(record.links.candidates) == 2, "the candidates stay as they were"
    assert entries(done.text)[1].startswith(f"「{anchors[LEARNING]}」"), "the card lists what is left"
    details = card_of(done.text).split('<details id="unlinked">', 1)[1]
    assert RECORD_TITLE in details and "編集者が外しました" in details
    assert "v3 手直し" in done.text and f"リンクを外しました: {RECORD_TITLE}" in done.text.split('id="history"')[1]


def test_dropping_a_link_runs_the_gate_again(linked, site):
    client, token, path, _ = linked
    record = read_record(path)
    assert any(f.severity == "error" and MISSING in f.message for f in record.findings), "the gate finds no such post"
    form = {**unlink_form(client.get(f"/drafts/{path.name}").text, MISSING), "csrf": token}
    done = client.post(f"/drafts/{path.name}/unlink", data=form, follow_redirects=True)
    assert f"リンクを外しました: {MISSING}" in done.text, "no title known: the post's name"
    after = path.read_text(encoding="utf-8")
    record = read_record(path)
    expected = check_text(after, load_settings(), load_instincts(), site, path.name)
    assert [f.model_dump() for f in record.findings] == [f.model_dump() for f in expected]
    assert not any(MISSING in f.message for f in record.findings)
    count = sum(f.severity == "error" for f in expected)
    assert f"品質チェック: エラー {count} 件、全 {len(expected)} 件" in done.text
    assert record.links.placed and record.links.placed[0].name == STRATEGY, "a link never placed moves nothing"


def test_dropping_a_link_in_a_nested_bullet_keeps_its_marker_and_indent(linked):
    client, token, path, anchors = linked
    before = path.read_text(encoding="utf-8")
    form = {**unlink_form(client.get(f"/drafts/{path.name}").text, LEARNING), "csrf": token, "who": ""}
    assert client.post(f"/drafts/{path.name}/unlink", data=form).status_code == 303
    [(old, new)] = changed_lines(before, path.read_text(encoding="utf-8"))
    assert old.startswith("    - ") and new == old.replace(liquid_link(anchors[LEARNING], LEARNING), anchors[LEARNING])
    assert load_state(path).versions[-1].who == who_runs(), "no name in the form: the OS user"


def test_only_the_chosen_one_of_three_links_to_one_post_is_dropped(linked):
    client, token, path, anchors = linked
    text = path.read_text(encoding="utf-8")
    block = background_paragraph(parse(text))
    more = f"{liquid_link('参考', STRATEGY)}と{liquid_link('続き', STRATEGY)}を読む。"
    text = appended(text, block, more)  # after the fixture's link to the same post
    path.write_text(text, encoding="utf-8")
    page = client.get(f"/drafts/{path.name}").text
    assert [e.split(" → ")[0] for e in entries(page)][1:4] == [f"「{anchors[STRATEGY]}」", "「参考」", "「続き」"]
    form = {**unlink_form(page, STRATEGY, nth=2), "csrf": token}
    assert client.post(f"/drafts/{path.name}/unlink", data=form).status_code == 303
    [(old, new)] = changed_lines(text, path.read_text(encoding="utf-8"))
    assert new == old.replace(liquid_link("続き", STRATEGY), "続き") and new.count("post_url") == 2
    assert 'id="link-' + quote(STRATEGY, safe="") + '"' in card_of(page) and card_of(page).count('id="link-') == 3


@pytest.mark.parametrize(
    "anchor",
    ["**強調**した言葉", "角[括弧]入り", r"逃がした\]括弧", "`コード`の説明"],
    ids=["emphasis", "nested brackets", "an escaped bracket", "a code span"],
)
def test_the_anchor_is_kept_with_its_markup(linked, anchor):
    """The words stay as written, markup and all, beside an image and an outside link with parentheses."""
    client, token, path, _ = linked
    text = path.read_text(encoding="utf-8")
    block = background_paragraph(parse(text))
    image = "![図](https://images.unsplash.com/photo-1?w=10)"
    other = "[外部の資料](https://example.com/a_(b))"
    text = appended(text, block, f"{other}と{image}、{liquid_link(anchor, LEARNING)}も。")
    path.write_text(text, encoding="utf-8")
    page = client.get(f"/drafts/{path.name}").text
    assert (
        client.post(f"/drafts/{path.name}/unlink", data={**unlink_form(page, LEARNING), "csrf": token}).status_code
        == 303
    )
    [(old, new)] = changed_lines(text, path.read_text(encoding="utf-8"))
    assert new == old.replace(liquid_link(anchor, LEARNING), anchor)
    assert other in new and image in new


def test_a_stale_page_cannot_drop_a_link(linked):
    client, token, path, _ = linked
    page = client.get(f"/drafts/{path.name}").text
    fields = {**form_of(page), "csrf": token}
    fields["body"] = fields["body"].replace("。", "！", 1)
    assert client.post(f"/drafts/{path.name}/save", data=fields).status_code == 303  # someone saved meanwhile
    saved = path.read_text(encoding="utf-8")
    refused = client.post(f"/drafts/{path.name}/unlink", data={**unlink_form(page, STRATEGY), "csrf": token})
    assert refused.status_code == 409 and "ほかで変更されました" in refused.text
    assert path.read_text(encoding="utf-8") == saved and len(load_state(path).versions) == 3
    assert read_record(path).links.placed[0].name == STRATEGY


def test_dropping_a_link_needs_the_token_and_the_apps_own_page(linked, tmp_path):
    client, token, path, _ = linked
    before = path.read_text(encoding="utf-8")
    form = unlink_form(client.get(f"/drafts/{path.name}").text, STRATEGY)
    assert form.pop("csrf") == token, "the page's form carries the token"
    assert client.post(f"/drafts/{path.name}/unlink", data=form).status_code == 403, "no token"
    assert client.post(f"/drafts/{path.name}/unlink", data={**form, "csrf": "forged"}).status_code == 403
    foreign = client.post(
        f"/drafts/{path.name}/unlink", data={**form, "csrf": token}, headers={"Origin": "http://attacker.example"}
    )
    assert foreign.status_code == 403
    assert client.get(f"/drafts/{path.name}/unlink").status_code == 405
    outside = tmp_path / "2025-12-16-outside.md"
    outside.write_text(before, encoding="utf-8")
    for name in ("..%2F2025-12-16-outside.md", "2025-12-16-outside.md"):
        assert client.post(f"/drafts/{name}/unlink", data={**form, "csrf": token}).status_code == 404
    assert path.read_text(encoding="utf-8") == before and outside.read_text(encoding="utf-8") == before
    assert len(load_state(path).versions) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"target": "2025-12-12-aiマーケティングツール比較-2025年版10選"},
        {"nth": "1"},
        {"nth": "-1"},
        {"block": "0"},
        {"block": "99999"},
        {"block": "x"},
        {"block": "-1"},
        {"target": ""},
    ],
    ids=[
        "another post",
        "a second link",
        "a negative count",
        "another block",
        "past the end",
        "no number",
        "-1",
        "empty",
    ],
)
def test_a_link_that_is_not_there_is_refused_and_nothing_changes(linked, change):
    client, token, path, _ = linked
    before = path.read_text(encoding="utf-8")
    form = {**unlink_form(client.get(f"/drafts/{path.name}").text, STRATEGY), "csrf": token, **change}
    refused = client.post(f"/drafts/{path.name}/unlink", data=form)
    assert refused.status_code == 422 and "リンクを外せませんでした" in refused.text
    assert path.read_text(encoding="utf-8") == before and len(load_state(path).versions) == 2


def test_a_link_in_a_heading_is_listed_but_not_dropped_here(linked):
    client, token, path, _ = linked
    text = path.read_text(encoding="utf-8")
    text = text.replace(f"\n## {BACKGROUND_H2}\n", f"\n## {liquid_link('学習本能', RAMEN)}の心理学的背景\n", 1)
    path.write_text(text, encoding="utf-8")
    page = client.get(f"/drafts/{path.name}").text
    assert any("「学習本能」" in e for e in entries(page)) and page.count("このリンクを外す") == 3
    heading = next(b for b in parse(text).blocks if b.kind == Kind.HEADING and b.internal_links)
    form = {**unlink_form(page, STRATEGY), "csrf": token, "block": str(heading.index), "target": RAMEN}
    refused = client.post(f"/drafts/{path.name}/unlink", data=form)
    assert refused.status_code == 422 and "genpost が組み立てる部分" in refused.text
    assert path.read_text(encoding="utf-8") == text


# --- rendering and the editor's save -----------------------------------------------------------------


def test_the_page_and_the_preview_link_to_the_card_not_to_liquid(linked):
    client, token, path, anchors = linked
    page = client.get(f"/drafts/{path.name}").text
    body = page.split('<div class="card post">', 1)[1].split('<div class="card">', 1)[0]
    for name in (MISSING, STRATEGY, LEARNING):
        local = "#link-" + quote(name, safe="")
        assert f'<a href="{local}" rel="noopener noreferrer">{anchors[name]}</a>' in body
        assert f'id="{local[1:]}"' in card_of(page), "the card holds what the link points to"
    assert "post_url" not in body and "{%" not in body

    markdown = (
        "## 見出し\n\n本文の"
        + liquid_link("関連する記事", STRATEGY)
        + "です。\n\n- 箇条の"
        + liquid_link("記事", "a/b")
        + "\n"
    )
    answer = client.post(f"/drafts/{path.name}/preview", data={"csrf": token, "body": markdown})
    assert answer.status_code == 200 and "post_url" not in answer.text
    assert (
        f'本文の<a href="#link-{quote(STRATEGY, safe="")}" rel="noopener noreferrer">関連する記事</a>です。'
        in answer.text
    )
    assert '<li>箇条の<a href="#link-a%2Fb" rel="noopener noreferrer">記事</a></li>' in answer.text


def test_a_code_block_shows_liquid_as_written(linked):
    client, token, path, _ = linked
    markdown = "```\n" + liquid_link("例", STRATEGY) + "\n```\n"
    answer = client.post(f"/drafts/{path.name}/preview", data={"csrf": token, "body": markdown}).text
    assert html.escape(liquid_link("例", STRATEGY), quote=False) in answer and "#link-" not in answer


HOSTILE_NAME = '2025-12-14-x"onmouseover="alert(1)\'<b>{{site.github.token}}'
HOSTILE_ANCHOR = r"&lt;script&gt;alert(1)&lt;/script&gt;\<img src=x onerror=alert(2)>{{ site.github.token }}"


def test_a_hostile_anchor_or_target_is_shown_as_text(linked):
    client, token, path, _ = linked
    text = path.read_text(encoding="utf-8")
    block = background_paragraph(parse(text))
    hostile = liquid_link(HOSTILE_ANCHOR, HOSTILE_NAME) + liquid_link("<svg onload=alert(3)>x</svg>", "y")
    text = appended(text, block, hostile)
    path.write_text(text, encoding="utf-8")
    page = client.get(f"/drafts/{path.name}").text
    card = card_of(page)
    shown = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;{{ site.github.token }}"
    assert f"「{shown}」" in card, "the anchor, as the reader reads it, escaped"
    escaped = str(escape(HOSTILE_NAME))  # as the page's templates escape text
    assert f'<input type="hidden" name="target" value="{escaped}">' in card and f"・ {escaped}</small>" in card
    assert "<script>alert" not in page and "<img src=x" not in page and "<svg" not in page
    assert 'onmouseover="' not in page and "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")
    assert (
        f'href="#link-{quote(HOSTILE_NAME, safe="")}"' in page and f'id="link-{quote(HOSTILE_NAME, safe="")}"' in card
    )

    form = {**unlink_form(page, HOSTILE_NAME), "csrf": token}
    assert client.post(f"/drafts/{path.name}/unlink", data=form).status_code == 303
    [(old, new)] = changed_lines(text, path.read_text(encoding="utf-8"))
    assert new == old.replace(liquid_link(HOSTILE_ANCHOR, HOSTILE_NAME), HOSTILE_ANCHOR)
    assert f"リンクを外しました: {HOSTILE_NAME}" == load_state(path).versions[-1].note


def test_a_save_writes_internal_links_back_as_they_were(linked):
    client, token, path, anchors = linked
    before = path.read_text(encoding="utf-8")
    fields = {**form_of(client.get(f"/drafts/{path.name}").text), "csrf": token}
    assert client.post(f"/drafts/{path.name}/save", data=fields).status_code == 303
    after = path.read_text(encoding="utf-8")
    linked_lines = [line for line in before.split("\n") if "{% post_url" in line and "site.baseurl" not in line]
    assert len(linked_lines) == 3 and all(line in after.split("\n") for line in linked_lines)
    assert after == before, "a save that changes nothing writes the draft back byte for byte"

    # An edit elsewhere leaves the links alone; the editor may delete one by hand, as prose.
    fields = {**form_of(client.get(f"/drafts/{path.name}").text), "csrf": token}
    fields["body"] = fields["body"].replace(liquid_link(anchors[LEARNING], LEARNING), anchors[LEARNING], 1)
    fields["body"] = fields["body"].replace(
        "まとめと次のアクション\n", "まとめと次のアクション\n追記した一文です。\n", 1
    )
    assert client.post(f"/drafts/{path.name}/save", data=fields).status_code == 303
    edited = path.read_text(encoding="utf-8")
    assert "追記した一文です。" in edited and liquid_link(anchors[LEARNING], LEARNING) not in edited
    assert all(line in edited.split("\n") for line in linked_lines if LEARNING not in line)
    assert len(entries(client.get(f"/drafts/{path.name}").text)) == 2


def test_a_save_from_a_browser_keeps_the_links(linked):
    """A browser sends a textarea's lines with CR LF: the draft comes back as it was, links and all."""
    client, token, path, _ = linked
    before = path.read_text(encoding="utf-8")
    fields = {**form_of(client.get(f"/drafts/{path.name}").text), "csrf": token}
    fields["body"] = fields["body"].replace("\n", "\r\n")
    assert client.post(f"/drafts/{path.name}/save", data=fields).status_code == 303
    assert path.read_text(encoding="utf-8") == before


def test_the_record_is_written_whole_json(linked):
    """The record after a drop still loads and keeps every other field."""
    client, token, path, _ = linked
    before = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    form = {**unlink_form(client.get(f"/drafts/{path.name}").text, STRATEGY), "csrf": token}
    client.post(f"/drafts/{path.name}/unlink", data=form)
    after = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert {k: v for k, v in after.items() if k not in ("links", "findings")} == {
        k: v for k, v in before.items() if k not in ("links", "findings")
    }


# --- real Chromium -----------------------------------------------------------------------------------


def test_dropping_a_link_in_chromium(linked, served_app, tmp_path):
    """The button drops the link in the editor's name; with unsaved changes in the editor it asks first, and
    dismissing the question changes nothing."""
    browser_path = chromium_path()
    if browser_path is None:
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    _, _, path, anchors = linked
    base = served_app(path.parent, tmp_path / "site")
    shots = Path(os.environ["GENPOST_SCREENSHOTS"]) if os.environ.get("GENPOST_SCREENSHOTS") else None
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, headless=True, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{base}/drafts/{quote(path.name)}")
        page.wait_for_selector("#links")
        if shots:
            page.locator("#links").screenshot(path=str(shots / "review-links.png"))
        # The link in the post leads to its entry in the card.
        page.locator(".card.post a", has_text=anchors[STRATEGY]).click()
        assert page.url.endswith("#link-" + quote(STRATEGY, safe=""))
        entry = page.locator("#links li.internal-link", has_text=RECORD_TITLE)
        assert entry.evaluate("e => e.matches(':target')")

        before = path.read_text(encoding="utf-8")
        editor = page.locator("#edit-body")
        editor.fill(editor.input_value() + "\n保存していない一文です。\n")
        entry.get_by_role("button", name="このリンクを外す").click()
        page.wait_for_timeout(300)
        assert dialogs and "保存されていません" in dialogs[0], "it asks before the editor's changes are lost"
        assert path.read_text(encoding="utf-8") == before and "保存していない一文です。" in editor.input_value()

        editor.fill(editor.input_value().replace("\n保存していない一文です。\n", ""))
        page.fill("input[name=who]", "編集部 山田")
        entry.get_by_role("button", name="このリンクを外す").click()
        page.wait_for_selector(".message")
        assert f"リンクを外しました: {RECORD_TITLE}" in page.locator(".message").inner_text()
        assert page.locator("#links li.internal-link").count() == 2 and len(dialogs) == 1
        assert "編集部 山田" in page.locator("#history").inner_text()
        browser.close()
    [(old, new)] = changed_lines(before, path.read_text(encoding="utf-8"))
    assert new == old.replace(liquid_link(anchors[STRATEGY], STRATEGY), anchors[STRATEGY])
