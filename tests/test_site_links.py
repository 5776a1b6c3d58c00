"""Internal links written after the site's address, as many Jekyll sites write them:
`[anchor]({{ site.baseurl }}{% post_url NAME %})` (with or without spaces, `{{ site.url }}` before it too) is the
same link to a post as a bare `{% post_url NAME %}`: counted, resolved, and rendered by the real `jekyll build`."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from pipeline.parse import parse
from pipeline.quality import check_text
from tests.conftest import jekyll_path
from tests.test_links_check import GEN_AI, INSTINCTS, NORMAL, STRATEGY, TOOLS, add, build, found, plain_post, rules
from tests.test_quality import clean_post

URL = "https://www.example.jp"
FORMS = (
    "{{{{ site.baseurl }}}}{{% post_url {} %}}",
    "{{{{site.baseurl}}}}{{% post_url {} %}}",
    "{{{{ site.url }}}}{{{{ site.baseurl }}}}{{% post_url {} %}}",
)


def site_link(anchor: str, name: str, form: int = 0) -> str:
    return f"[{anchor}]({FORMS[form].format(name)})"


def linked_after_the_address() -> str:
    """The clean post with three internal links, one in each form, each in a paragraph of its own."""
    text = add(clean_post(), 0, f"あわせて{site_link('AIツール比較', TOOLS, 0)}も参考になります。")
    text = add(text, 2, f"具体例は{site_link('生成AIの活用法', GEN_AI, 1)}で紹介しています。")
    return add(text, 5, f"考え方は{site_link('AI時代の戦略立案', STRATEGY, 2)}が役立ちます。")


def _all(text: str, site) -> set[str]:
    return {f.rule for f in check_text(text, NORMAL, INSTINCTS, site, None)}


def test_a_link_after_the_site_address_is_a_link_to_the_post():
    for form in range(len(FORMS)):
        (block,) = parse(f"---\ntitle: t\n---\n\n{site_link('AIツール比較', TOOLS, form)}を読みます。\n").prose
        assert block.internal_links == [("AIツール比較", TOOLS)], site_link("AIツール比較", TOOLS, form)
        assert block.text == "AIツール比較を読みます。"
    plain = parse(f"---\ntitle: t\n---\n\n[x]({{{{ site.title }}}}{{% post_url {TOOLS} %}})です。\n").prose[0]
    assert plain.internal_links == [], "only the site's address may stand before the post_url"


def test_links_after_the_site_address_pass_every_link_rule(site):
    assert "links.count" in rules(clean_post(), site), "a post without links is too few"
    text = linked_after_the_address()
    assert found(text, site) == []
    assert "markup.liquid" not in _all(text, site), "the site's address before a post_url is the site's own Liquid"
    other = text.replace("{{ site.url }}", "{{ site.title }}")
    assert "markup.liquid" in _all(other, site), "any other Liquid still is not"
    bare = text
    for prefix in ("{{ site.url }}", "{{ site.baseurl }}", "{{site.baseurl}}"):
        bare = bare.replace(prefix, "")
    assert bare != text and found(bare, site) == []
    links = [b.internal_links for b in parse(text).prose if b.internal_links]
    assert links == [b.internal_links for b in parse(bare).prose if b.internal_links] and len(links) == 3


def test_a_link_after_the_site_address_to_a_missing_post_is_unresolved(site):
    missing = "2025-01-01-どこにもない記事"
    for form in range(len(FORMS)):
        text = add(linked_after_the_address(), 7, f"{site_link('消えた記事の話', missing, form)}も読めます。")
        (finding,) = [f for f in found(text, site) if f.rule == "links.unresolved"]
        assert finding.severity == "error" and finding.excerpt == missing and missing in finding.message_ja


SITE_POSTS = {
    # name: body (each post links the next in one of the forms)
    "2025-12-01-心理学マーケティング入門": "行列の話から始めます。まず[行列の心理学]({link})を読みます。\n",
    "2025-12-02-行列を生む心理": "行列には理由があります。道具は[AIツールの選び方]({link})で選びます。\n",
    "2025-12-03-ai-tools-比較": "ツールを比べます。[心理学マーケティング入門]({link})が前提です。\n",
}


@pytest.mark.jekyll
def test_jekyll_renders_links_after_the_site_address(tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_layouts").mkdir()
    config = f"title: t\ntimezone: Asia/Tokyo\nurl: {URL}\nbaseurl: ''\npermalink: /blog/:title/\nmarkdown: kramdown\n"
    (site / "_config.yml").write_text(config, encoding="utf-8")
    (site / "_layouts" / "post.html").write_text("<html><body>{{ content }}</body></html>\n", encoding="utf-8")
    names = list(SITE_POSTS)
    for n, (name, body) in enumerate(SITE_POSTS.items()):
        target = names[(n + 1) % len(names)]
        text = plain_post(body.format(link=FORMS[n].format(target)), name[11:])
        (site / "_posts" / f"{name}.md").write_text(text, encoding="utf-8")
    proc = build(jekyll, site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for n, name in enumerate(names):
        path = site / "_posts" / f"{name}.md"
        assert found(path.read_text(encoding="utf-8"), site, name=path.name) == [], name
        page = (site / "_site" / "blog" / name[11:] / "index.html").read_text(encoding="utf-8")
        (href,) = re.findall(r'href="([^"]*)"', page)
        target = names[(n + 1) % len(names)]
        assert unquote(href) == (URL if n == 2 else "") + f"/blog/{target[11:]}/", href
        assert (site / "_site" / unquote(href).removeprefix(URL).lstrip("/") / "index.html").is_file()
    (site / "_posts" / f"{names[1]}.md").unlink()
    first = (site / "_posts" / f"{names[0]}.md").read_text(encoding="utf-8")
    assert [f.excerpt for f in found(first, site) if f.rule == "links.unresolved"] == [names[1]]
