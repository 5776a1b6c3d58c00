"""The internal-link rules (links.*): each fires on a post that breaks it and stays quiet on a good one;
plain `/blog/…/` paths against a site's permalink; anchors other posts use; the real `jekyll build`."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from pipeline.document import Kind
from pipeline.parse import parse
from pipeline.quality import check_doc, check_text
from pipeline.quality.links import first_sentence, normalised
from tests.conftest import jekyll_path
from tests.test_quality import INSTINCTS, SETTINGS, clean_post

TOOLS = "2025-12-12-aiマーケティングツール比較-2025年版10選"
GEN_AI = "2025-12-11-生成ai活用法-学習意欲を刺激する3つの方法"
STRATEGY = "2025-12-14-2025年版-ai時代を生き抜く-マーケティング戦略立案-5つの生存術"
RAMEN = "2025-12-13-ラーメン店の行列を作る7つの工夫"
CAMP = "2025-12-15-冬のキャンプ道具の選び方5選"
# The clean post (about 1,700 characters) counts as a post of normal length under these settings.
NORMAL = SETTINGS.model_copy(update={"lengths": SETTINGS.lengths.model_copy(update={"body": (1000, 3500)})})


def link(anchor: str, name: str) -> str:
    return f"[{anchor}]({{% post_url {name} %}})"


def body_paragraphs(text: str) -> list[str]:
    """The Markdown of the post's paragraphs after the lead, in order."""
    return [b.markdown for b in parse(text).prose if b.kind == Kind.PARAGRAPH and b.part != "lead"]


def add(text: str, n: int, sentence: str) -> str:
    """The post with `sentence` added at the end of its `n`th paragraph after the lead."""
    paragraph = body_paragraphs(text)[n]
    assert text.count(paragraph) == 1
    return text.replace(paragraph, paragraph + sentence, 1)


def linked_post() -> str:
    """The clean post with three internal links, each in a paragraph of its own: it passes every rule."""
    text = clean_post()
    text = add(text, 0, f"あわせて{link('AIツール比較', TOOLS)}も参考になります。")
    text = add(text, 2, f"具体例は{link('生成AIの活用法', GEN_AI)}で紹介しています。")
    return add(text, 5, f"考え方は{link('AI時代の戦略立案', STRATEGY)}が役立ちます。")


def found(text: str, site: Path | None = None, settings=NORMAL, name: str | None = None):
    """The links.* findings (links.related is the related block's own rule)."""
    findings = check_text(text, settings, INSTINCTS, site, name)
    return [f for f in findings if f.rule.startswith("links.") and f.rule != "links.related"]


def rules(text: str, site: Path | None = None, settings=NORMAL, name: str | None = None) -> dict[str, str]:
    return {f.rule: f.severity for f in found(text, site, settings, name)}


def blog_site(site: Path) -> Path:
    """The test site with the permalink `/blog/:title/`."""
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + "permalink: /blog/:title/\n", encoding="utf-8")
    return site


def plain_post(body: str, title: str = "他のツールで書いた記事") -> str:
    """A post genpost did not write."""
    return f'---\nlayout: post\ntitle: "{title}"\ndate: 2025-12-16 10:00:00 +0900\n---\n\n{body}\n'


# --- a good post -----------------------------------------------------------------------------------


def test_a_post_with_good_internal_links_passes_every_rule(site):
    text = linked_post()
    assert found(text, site) == [] and found(text) == []
    errors = [f for f in check_text(text, NORMAL, INSTINCTS, site) if f.severity == "error"]
    assert errors == [], "markup.liquid takes `]({% post_url … %})` as genpost's own"


def test_the_related_block_is_not_counted(site):
    from pipeline.types import RelatedPost

    related = [RelatedPost(name=n, title=t, score=0.5) for n, t in ((TOOLS, "AIツール比較"), (GEN_AI, "生成AI"))]
    text = clean_post(related)
    text = add(text, 0, f"あわせて{link('AIツール比較', TOOLS)}も参考になります。")
    text = add(text, 2, f"具体例は{link('生成AIの活用法', GEN_AI)}で紹介しています。")
    assert "related-posts" in text and found(text, site) == [], "a post the related block names may be linked too"


# --- links.unresolved --------------------------------------------------------------------------------


def test_a_post_url_naming_no_post_is_an_error_with_the_site(site):
    text = add(linked_post(), 7, f"{link('消えた記事の話', '2025-01-01-どこにもない記事')}も読めます。")
    (finding,) = [f for f in found(text, site) if f.rule == "links.unresolved"]
    assert finding.severity == "error" and finding.part and isinstance(finding.block, int) and finding.line
    assert "2025-01-01-どこにもない記事" in finding.message_ja and finding.message
    assert "links.unresolved" not in rules(text), "without --site nothing is known of the site"


def test_a_post_jekyll_does_not_build_does_not_resolve(site):
    (site / "_posts" / "2025-12-10-下書き.md").write_text("---\ntitle: d\npublished: false\n---\n", encoding="utf-8")
    (site / "_posts" / "2099-01-01-予約投稿.md").write_text("---\ntitle: l\n---\n", encoding="utf-8")
    text = add(linked_post(), 7, f"{link('下書きの記事', '2025-12-10-下書き')}もあります。")
    text = add(text, 8, f"{link('予約投稿の記事', '2099-01-01-予約投稿')}もあります。")
    messages = [f.message_ja for f in found(text, site) if f.rule == "links.unresolved"]
    assert len(messages) == 2 and "公開されていません" in messages[0] and "後の日付" in messages[1]


def test_plain_blog_paths_of_a_post_genpost_did_not_write(site):
    blog_site(site)
    (site / "contact.md").write_text("---\ntitle: お問い合わせ\n---\n", encoding="utf-8")
    body = (
        f"最初に[AIツールの比較記事](/blog/{TOOLS[11:]}/)を読むと全体像がつかめます。\n\n"
        f"次に[生成AIの活用法](/blog/{GEN_AI[11:]}/#steps)で手順を確かめましょう。\n\n"
        "ご相談は[お問い合わせ窓口](/contact/)からどうぞ。\n\n"
        "[アイコン素材](/assets/icon.png)もあります。\n\n"
        "[消えた記事の紹介](/blog/消えた記事/)はもうありません。\n\n"
        f"[日付つきの古い住所](/2025/12/14/{STRATEGY[11:]}.html)も残っています。\n\n"
        f"[末尾のスラッシュ抜け](/blog/{RAMEN[11:]})も惜しい例です。"
    )
    text = plain_post(body)
    unresolved = [f for f in found(text, site) if f.rule == "links.unresolved"]
    shown = [f.excerpt for f in unresolved]
    assert shown == [
        "/assets/icon.png",
        "/blog/消えた記事/",
        f"/2025/12/14/{STRATEGY[11:]}.html",
        f"/blog/{RAMEN[11:]}",
    ]
    assert f"/blog/{RAMEN[11:]}/" in unquote(unresolved[-1].message), "the post it was meant for is named"
    (site / "assets").mkdir()
    (site / "assets" / "icon.png").write_bytes(b"\x89PNG")
    assert len([f for f in found(text, site) if f.rule == "links.unresolved"]) == 3, "a file of the site is fine"
    # the same links on a site whose permalink is the default (date) all miss but the dated one
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("permalink: /blog/:title/\n", ""), encoding="utf-8")
    missed = [f.excerpt for f in found(text, site) if f.rule == "links.unresolved"]
    assert f"/blog/{TOOLS[11:]}/" in missed and f"/2025/12/14/{STRATEGY[11:]}.html" in missed, "category first"


def test_a_plain_path_must_carry_the_baseurl(site):
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("baseurl: ''", "baseurl: /blog"), encoding="utf-8")
    blog_site(site)
    good = plain_post(f"まず[AIツールの比較記事](/blog/blog/{TOOLS[11:]}/)を読みましょう。")
    bad = plain_post(f"まず[AIツールの比較記事](/blog/{TOOLS[11:]}/)を読みましょう。")
    assert "links.unresolved" not in rules(good, site)
    (finding,) = [f for f in found(bad, site) if f.rule == "links.unresolved"]
    assert f"/blog/blog/{TOOLS[11:]}/" in unquote(finding.message)


def test_hostile_targets_are_flagged_not_followed(site, tmp_path):
    (tmp_path / "secret.md").write_text("secret", encoding="utf-8")
    targets = ["/../secret.md", "/%2e%2e/secret.md", "/a%00b/", "/" + "あ" * 3000 + "/", "/_posts/", "/.git/config"]
    body = "\n\n".join(f"[リンク先の記事{n}]({t})を読みました。" for n, t in enumerate(targets))
    body += "\n\n" + link("壊れた名前の記事", "../../../etc/passwd") + "です。"
    unresolved = [f for f in found(plain_post(body), site) if f.rule == "links.unresolved"]
    assert len(unresolved) == len(targets) + 1


# --- links.count ---------------------------------------------------------------------------------------


def test_too_few_or_too_many_internal_links_in_a_post_of_normal_length(site):
    one = add(clean_post(), 0, f"あわせて{link('AIツール比較', TOOLS)}も参考になります。")
    assert rules(one, site).get("links.count") == "warning"
    assert "links.count" not in rules(linked_post(), site)
    many = linked_post()
    for n, (anchor, name) in enumerate((("行列を作る工夫", RAMEN), ("冬のキャンプ道具", CAMP)), start=7):
        many = add(many, n, f"{link(anchor, name)}も紹介しています。")
    assert "links.count" not in rules(many, site), "five is the most"
    extra = "/2025/12/12/stray.html"
    assert "links.count" not in rules(add(many, 9, f"[外部の記事](https://example.com{extra})も。"), site)
    sixth = plain_post("")  # a sixth post to link to
    (site / "_posts" / "2025-12-01-六本目.md").write_text(sixth, encoding="utf-8")
    six = add(many, 9, f"{link('六本目の記事', '2025-12-01-六本目')}もあります。")
    (finding,) = [f for f in found(six, site) if f.rule == "links.count"]
    assert "6" in finding.message and finding.part, "placed at the sixth link"


def test_links_count_follows_the_links_settings(site):
    four = add(linked_post(), 7, f"{link('行列を作る工夫', RAMEN)}も紹介しています。")
    assert "links.count" not in rules(four, site)
    three_at_most = NORMAL.model_copy(update={"links": NORMAL.links.model_copy(update={"max_links": 3})})
    assert rules(four, site, three_at_most).get("links.count") == "warning"
    off = NORMAL.model_copy(update={"links": NORMAL.links.model_copy(update={"enabled": False})})
    assert "links.count" not in rules(clean_post(), site, off), "no links asked for when they are turned off"
    assert "links.count" in rules(clean_post(), site)


def test_links_count_waits_for_a_site_a_normal_length_and_posts_to_link(site, tmp_path):
    none = clean_post()
    assert "links.count" in rules(none, site)
    assert "links.count" not in rules(none), "no --site"
    assert "links.count" not in rules(none, site, SETTINGS), "a short post (under lengths.body's lower bound)"
    small = tmp_path / "small"
    (small / "_posts").mkdir(parents=True)
    (small / "_posts" / f"{TOOLS}.md").write_text(plain_post(""), encoding="utf-8")
    (small / "_posts" / "2025-12-15-この記事.md").write_text(none, encoding="utf-8")
    assert "links.count" not in rules(none, small, name="2025-12-15-この記事.md"), "one other post only"


# --- links.per-paragraph -------------------------------------------------------------------------------


def test_two_internal_links_in_one_paragraph_or_bullet(site):
    text = add(linked_post(), 7, f"{link('行列を作る工夫', RAMEN)}と{link('冬のキャンプ道具', CAMP)}も読めます。")
    (finding,) = [f for f in found(text, site) if f.rule == "links.per-paragraph"]
    assert finding.severity == "error" and "行列を作る工夫" in finding.message_ja
    assert "links.per-paragraph" in rules(text), "post_url links count without --site"
    bullet = "    - できるところから新人向けの手引きを短い言葉に直すと失敗の原因を特定しやすくなります。"
    assert bullet in linked_post()
    two = bullet.replace("短い言葉に", f"{link('行列を作る工夫', RAMEN)}と{link('冬のキャンプ道具', CAMP)}を見て")
    assert "links.per-paragraph" in rules(linked_post().replace(bullet, two))


# --- links.placement ------------------------------------------------------------------------------------


def lead_of(text: str) -> str:
    return next(b.markdown for b in parse(text).prose if b.part == "lead")


def test_an_internal_link_in_the_leads_first_sentence(site):
    text = linked_post()
    lead = lead_of(text)
    first = first_sentence(lead)
    assert first.endswith("。") and len(first) < len(lead)
    in_first = text.replace(first, first[:-1] + f"（{link('AIツール比較入門', RAMEN)}）。", 1)
    (finding,) = [f for f in found(in_first, site) if f.rule == "links.placement"]
    assert finding.part == "lead" and "導入文" in finding.message_ja
    second = lead[len(first) :]
    later = text.replace(second, f"{link('行列を作る工夫', RAMEN)}も参考に。" + second, 1)
    assert "links.placement" not in rules(later, site), "the second sentence may link"


def test_first_sentence_ends_outside_links():
    assert first_sentence("[一。二](/a/?q=。)の話です。次です。") == "[一。二](/a/?q=。)の話です。"
    assert first_sentence("句点のない一文") == "句点のない一文"


def test_internal_links_in_headings_footnotes_and_the_cta(site):
    text = linked_post()
    heading = "### なぜこの方法が重要なのか"
    assert heading in text
    assert rules(text.replace(heading, f"### なぜ{link('この方法', TOOLS)}が重要なのか")).get("links.placement")
    footnote = f'\n[^9]: {link("ツール比較の記事", RAMEN)}\n\n<p class="photo-credit">'
    footnoted = add(text, 7, "調べた結果もあります[^9]。").replace('\n<p class="photo-credit">', footnote)
    assert "[^9]:" in footnoted
    placed = [f for f in found(footnoted) if f.rule == "links.placement"]
    assert placed and placed[0].part == "footnotes"
    cta = '<a href="/contact/" class="btn btn-primary btn-lg">'
    moved = text.replace(cta, f'<a href="{{{{ site.baseurl }}}}{{% post_url {RAMEN} %}}" class="btn">')
    (finding,) = [f for f in found(moved, site) if f.rule == "links.placement"]
    assert finding.part == "cta"


def test_an_internal_link_in_a_step_label(site):
    doc = parse(linked_post())
    label = next(b for b in doc.blocks if b.kind == Kind.STEP_LABEL)
    changed = doc.with_block(label.index, dataclasses.replace(label, label=link("実行内容", RAMEN), source=None))
    findings = [f for f in check_doc(changed, NORMAL, INSTINCTS, site) if f.rule == "links.placement"]
    assert len(findings) == 1 and "ステップのラベル" in findings[0].message_ja


# --- links.duplicate-target ------------------------------------------------------------------------------


def test_the_same_post_linked_twice(site):
    twice = add(linked_post(), 7, f"{link('ツールの選び方', TOOLS)}もどうぞ。")
    (finding,) = [f for f in found(twice, site) if f.rule == "links.duplicate-target"]
    assert finding.severity == "error" and TOOLS in finding.message and finding.other
    blog_site(site)
    by_path = add(linked_post(), 7, f"[ツールの選び方](/blog/{TOOLS[11:]}/)もどうぞ。")
    assert "links.duplicate-target" in rules(by_path, site), "a path to the same post is the same post"
    assert "links.duplicate-target" not in rules(by_path), "without the site a path is no known post"


# --- links.anchor --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "anchor",
    ["こちら", "詳しくは、こちら！", "ＣＬＩＣＫ　ＨＥＲＥ", "Read more…", "記事", "A", "", "「」", "あ" * 21],
)
def test_anchors_too_short_too_long_or_generic(anchor):
    text = add(linked_post(), 7, f"{link(anchor, RAMEN)}もどうぞ。")
    (finding,) = [f for f in found(text) if f.rule == "links.anchor"]
    assert finding.severity == "error" and finding.part


@pytest.mark.parametrize("anchor", ["行列", "ラーメン店の行列を作る7つの工夫", "あ" * 20, "ここで差がつく集客術"])
def test_good_anchors(anchor):
    assert "links.anchor" not in rules(add(linked_post(), 7, f"{link(anchor, RAMEN)}もどうぞ。"))


def test_normalised_anchor():
    assert normalised(" ＡＩ ツール、比較！ ") == normalised("aiツール比較") == "aiツール比較"


# --- links.cannibalised ----------------------------------------------------------------------------------------


def test_an_anchor_another_post_uses_for_another_post(site):
    other = site / "_posts" / RAMEN
    other.with_suffix(".md").write_text(
        plain_post(f"行列の話の前に{link('ＡＩツール 比較', CAMP)}を読みましょう。\n\n"), encoding="utf-8"
    )
    text = linked_post()  # links 「AIツール比較」 to TOOLS
    (finding,) = [f for f in found(text, site) if f.rule == "links.cannibalised"]
    assert finding.severity == "warning" and finding.other == RAMEN and CAMP in finding.message_ja
    same = other.with_suffix(".md")
    same.write_text(plain_post(f"{link('AIツール比較', TOOLS)}を読みましょう。"), encoding="utf-8")
    assert "links.cannibalised" not in rules(text, site), "the same anchor for the same post is fine"
    blog_site(site)
    same.write_text(plain_post(f"[AIツール比較](/blog/{CAMP[11:]}/)を読みましょう。"), encoding="utf-8")
    assert "links.cannibalised" in rules(text, site), "a plain path reaches a post too (re-read after a change)"
    assert "links.cannibalised" not in rules(text, site, name=f"{RAMEN}.md"), "a post is not its own rival"


# --- markup.liquid ---------------------------------------------------------------------------------------------------


def test_only_genposts_own_post_url_forms_are_allowed_liquid():
    def liquid(text: str) -> int:
        return sum(1 for f in check_text(text, NORMAL, INSTINCTS) if f.rule == "markup.liquid")

    text = linked_post()
    assert liquid(text) == 0
    assert liquid(add(text, 7, f"[余白つき]( {{%  post_url {RAMEN}  %}} )です。")) == 0
    assert liquid(add(text, 7, f"本文に {{% post_url {RAMEN} %}} だけ。")) == 1
    assert liquid(add(text, 7, f"[x]({{% post_url {RAMEN} %}}{{{{ site.title }}}})です。")) == 2, "both are live"
    assert liquid(add(text, 7, "[x]({% include secret.html %})です。")) == 1


# --- the command and the real jekyll build ---------------------------------------------------------------------------


def test_check_with_site_verifies_every_link_of_any_post(genpost, site, tmp_path):
    blog_site(site)
    post = tmp_path / "2025-12-16-他のツールの記事.md"
    post.write_text(plain_post(f"[ツール比較の記事](/blog/{TOOLS[11:]}/)と[消えた記事](/blog/nothing/)。"), "utf-8")
    run = genpost("check", str(post), "--site", str(site), "--json")
    (report,) = json.loads(run.stdout)
    unresolved = [f for f in report["findings"] if f["rule"] == "links.unresolved"]
    assert run.code == 1 and [f["excerpt"] for f in unresolved] == ["/blog/nothing/"]
    assert "links.placement" in {f["rule"] for f in report["findings"]}, "a link in the first sentence"


def build(jekyll: str, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=300,
    )


LINKED_SITE = {
    # name: body (each post links the others by post_url and by /blog/:title/ path)
    "2025-12-01-心理学マーケティング入門": (
        "行列の話から始めます。はじめに[行列の心理学]({% post_url 2025-12-02-行列を生む心理 %})を読みます。\n\n"
        "次に[AIツールの選び方](/blog/ai-tools-比較/)を確かめます。\n\n"
        "[お問い合わせ窓口](/contact/)もあります。\n"
    ),
    "2025-12-02-行列を生む心理": (
        "行列には理由があります。土台は[心理学マーケティング入門](/blog/%E5%BF%83%E7%90%86%E5%AD%A6%E3%83%9E"
        "%E3%83%BC%E3%82%B1%E3%83%86%E3%82%A3%E3%83%B3%E3%82%B0%E5%85%A5%E9%96%80/)にあります。\n\n"
        "道具は[AIツールの選び方]({% post_url 2025-12-03-ai-tools-比較 %})で選びます。\n"
    ),
    "2025-12-03-ai-tools-比較": (
        "ツールを比べます。"
        "[心理学マーケティング入門]({% post_url 2025-12-01-心理学マーケティング入門 %})が前提です。\n\n"
        "[行列の心理学](/blog/行列を生む心理/#top)も参考にします。\n"
    ),
}


def linked_site(root: Path) -> Path:
    (root / "_posts").mkdir(parents=True)
    (root / "_layouts").mkdir()
    (root / "_config.yml").write_text(
        "title: t\ntimezone: Asia/Tokyo\npermalink: /blog/:title/\nmarkdown: kramdown\n", encoding="utf-8"
    )
    (root / "_layouts" / "post.html").write_text("<html><body>{{ content }}</body></html>\n", encoding="utf-8")
    (root / "contact.md").write_text("---\nlayout: post\ntitle: お問い合わせ\n---\n\n窓口です。\n", encoding="utf-8")
    for name, body in LINKED_SITE.items():
        (root / "_posts" / f"{name}.md").write_text(plain_post(body, name[11:]), encoding="utf-8")
    return root


@pytest.mark.jekyll
def test_a_site_whose_posts_link_each_other_builds_and_checks(tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    site = linked_site(tmp_path / "site")
    proc = build(jekyll, site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hrefs = []
    for name in LINKED_SITE:
        path = site / "_posts" / f"{name}.md"
        assert found(path.read_text(encoding="utf-8"), site, name=path.name) == [], name
        page = site / "_site" / "blog" / name[11:] / "index.html"
        hrefs += re.findall(r'href="(/[^"]*)"', page.read_text(encoding="utf-8"))
    assert len(hrefs) == 7
    for href in hrefs:
        target = site / "_site" / unquote(href.split("#")[0]).lstrip("/")
        assert (target / "index.html").is_file(), f"{href} is a built page"


@pytest.mark.jekyll
def test_a_missing_post_url_target_fails_jekyll_and_the_check(tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    site = linked_site(tmp_path / "site")
    gone = site / "_posts" / "2025-12-02-行列を生む心理.md"
    gone.unlink()
    proc = build(jekyll, site)
    assert proc.returncode != 0 and "2025-12-02-行列を生む心理" in proc.stdout + proc.stderr
    first = site / "_posts" / "2025-12-01-心理学マーケティング入門.md"
    third = site / "_posts" / "2025-12-03-ai-tools-比較.md"
    assert [f.excerpt for f in found(first.read_text(encoding="utf-8"), site) if f.rule == "links.unresolved"] == [
        "2025-12-02-行列を生む心理"
    ]
    assert [f.excerpt for f in found(third.read_text(encoding="utf-8"), site) if f.rule == "links.unresolved"] == [
        "/blog/行列を生む心理/#top"
    ]
