"""Any block structure a model writes for a part reaches the page unchanged (issue 30): paragraphs (one line or
several), bullet lists (right under a paragraph line or after a blank line, with bold labels or none), bold spans,
link marks and source markers pass through every stage the draft does — links placed, footnotes made, the part
read back from the document and assembled again (what mend, polish and redraft do), the cut with nothing to cut —
and kramdown, the renderer Jekyll uses, gives the page the same blocks: each paragraph a <p>, each list a <ul>
with one <li> an item, each bold span a <strong>, each link and footnote where the model put its mark."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.quality.mend import mend, shapes_of
from pipeline.site.links import LinkPlan, Offer, SiteIndex, SitePage, place
from pipeline.sources import Grounding
from pipeline.types import Passage, Source
from pipeline.writing.assembler import Assembler
from pipeline.writing.post_edits import refit, with_parts
from tests import factories

# Words a sentence is made of: none is a key phrase of the linked post, none is markup.
WORDS = ("顧客の声", "小さな試み", "週ごとの記録", "担当の役割", "売り場の動線", "件名の言葉", "配信の時刻", "次の一手")
ENDS = ("を確かめる。", "を見直す。", "が大切である。", "を比べてみる。", "から始める。")
PHRASE = "下書きの型"  # the linked post's key phrase: only a sentence with a link mark holds it
PAGE = SitePage(
    name="2025-11-01-draft-patterns",
    title=f"{PHRASE}を整える手順",
    description="",
    keyword=PHRASE,
    day=date(2025, 11, 1),
    published=True,
    text=f"{PHRASE}を整える手順",
)
PART = "background"


@dataclass(frozen=True)
class Sentence:
    words: tuple[int, int]
    bold: bool
    source: int | None  # [S1] or [S2] after it
    link: bool  # a link mark [L1] after it (and the linked post's key phrase in it)
    n: int = 0  # its place in the part: no two sentences alike (a repeated paragraph is kept once)

    def markdown(self) -> str:
        first, second = WORDS[self.words[0]], WORDS[self.words[1]]
        text = f"**{first}**と{second}" if self.bold else f"{first}と{second}"
        text = f"その{'一二三四五六七八九'[self.n % 9]}{'甲乙丙丁戊'[self.n // 9 % 5]}では{text}"
        text = f"{PHRASE}の{text}" if self.link else text
        return (
            text
            + ENDS[sum(self.words) % len(ENDS)]
            + (f"[S{self.source}]" if self.source else "")
            + ("[L1]" if self.link else "")
        )


@dataclass(frozen=True)
class Paragraph:
    lines: tuple[tuple[Sentence, ...], ...]  # each line's sentences

    def markdown(self) -> str:
        return "\n".join("".join(s.markdown() for s in line) for line in self.lines)

    @property
    def sentences(self) -> list[Sentence]:
        return [s for line in self.lines for s in line]


@dataclass(frozen=True)
class BulletList:
    items: tuple[tuple[str | None, Sentence], ...]  # (bold label, text)
    tight: bool  # right under the paragraph line before it, no blank line

    def markdown(self) -> str:
        return "\n".join(f"- **{label}:** {s.markdown()}" if label else f"- {s.markdown()}" for label, s in self.items)

    @property
    def sentences(self) -> list[Sentence]:
        return [s for _, s in self.items]


sentences = st.builds(
    Sentence,
    words=st.tuples(st.integers(0, len(WORDS) - 1), st.integers(0, len(WORDS) - 1)),
    bold=st.booleans(),
    source=st.sampled_from([None, None, 1, 2]),
    link=st.just(False),
)
paragraphs = st.builds(
    Paragraph, st.lists(st.lists(sentences, min_size=1, max_size=3).map(tuple), min_size=1, max_size=3).map(tuple)
)
labels = st.sampled_from([None, "ポイント1", "ポイント2", "注意点", "指標"])
lists = st.builds(BulletList, st.lists(st.tuples(labels, sentences), min_size=2, max_size=4).map(tuple), st.booleans())


@st.composite
def parts(draw: st.DrawFn) -> list[Paragraph | BulletList]:
    """A part as a model writes it: it opens with a paragraph; lists and paragraphs follow in any order (two
    lists with only a blank line between them are one list in Markdown: a paragraph stands between); one
    sentence of it may carry the link mark."""
    blocks: list[Paragraph | BulletList] = [draw(paragraphs)]
    for block in draw(st.lists(st.one_of(paragraphs, lists), min_size=0, max_size=4)):
        if isinstance(block, BulletList) and isinstance(blocks[-1], BulletList):
            blocks.append(draw(paragraphs))
        blocks.append(block)
    where = draw(st.one_of(st.none(), st.integers(0, sum(len(b.sentences) for b in blocks) - 1)))
    out, n = [], 0
    for block in blocks:
        marked = [Sentence(s.words, s.bold, s.source, n + i == where, n + i) for i, s in enumerate(block.sentences)]
        n += len(marked)
        if isinstance(block, Paragraph):
            lines, k = [], 0
            for line in block.lines:
                lines.append(tuple(marked[k : k + len(line)]))
                k += len(line)
            out.append(Paragraph(tuple(lines)))
        else:
            out.append(BulletList(tuple(zip([lb for lb, _ in block.items], marked, strict=True)), block.tight))
    return out


def written(blocks: list[Paragraph | BulletList]) -> str:
    text = blocks[0].markdown()
    for block in blocks[1:]:
        gap = "\n" if isinstance(block, BulletList) and block.tight else "\n\n"
        text += gap + block.markdown()
    return text


# --- kramdown, as Jekyll renders a post -----------------------------------------------------------

KRAMDOWN = r"""
require "json"
require "kramdown"
require "kramdown-parser-gfm"
STDOUT.sync = true
STDIN.each_line do |line|
  html = Kramdown::Document.new(JSON.parse(line), input: "GFM", hard_wrap: false).to_html
  STDOUT.puts(JSON.generate(html))
end
"""


@pytest.fixture(scope="module")
def kramdown() -> Iterator:
    ruby = shutil.which("ruby")
    if ruby is None:
        if os.environ.get("CI"):
            pytest.fail("ruby and kramdown come with Debian's jekyll, which .ci/run installs")
        pytest.skip("ruby is not installed")
    proc = subprocess.Popen([ruby, "-e", KRAMDOWN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def render(markdown: str) -> str:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(markdown) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    yield render
    proc.stdin.close()
    proc.wait(timeout=10)


# --- the stages -----------------------------------------------------------------------------------


def _grounding() -> Grounding:
    fetched = datetime(2025, 12, 1, tzinfo=UTC)
    sources = [
        Source(id=n, location=f"https://example.org/{n}", title=f"調査{n}", fetched_at=fetched, sha256="0" * 64)
        for n in (1, 2)
    ]
    passages = [Passage(id=f"S{n}", source=n, text=f"調査{n}の結果。") for n in (1, 2)]
    return Grounding.recorded(sources, passages)


def through_the_stages(text: str) -> str:
    """The part's text through every stage a draft passes, as the post's Markdown."""
    settings_, outline, brief, plan = factories.settings(), factories.outline(), factories.brief(), factories.plan()
    assembler, grounding = Assembler(settings_, factories.learning()), _grounding()
    sections = {**factories.sections(), PART: text}
    links = LinkPlan(SiteIndex([PAGE]), plan.title, date(2025, 12, 15), 0.0, 1, 3)
    links.offers = {PART: [Offer("L1", PART, PAGE, 1.0)]}
    linked = place(sections, links)
    post = assembler.assemble(brief, plan, outline, linked, factories.images(), [], grounding)
    # What mend and polish do: edit the document where it stands (nothing cut here), and refit the post.
    doc, cuts = mend(post, shapes_of(outline, settings_.lengths), [], final=True)
    assert not cuts and refit(post, doc, 500).markdown == post.markdown
    # What a redraft does: the part's text written into the assembled post again, nothing else touched.
    rewritten = with_parts(post, {PART: linked[PART]}, grounding, settings_.site.zone, 500)
    assert rewritten.markdown == post.markdown, "a part written again into the post reads as it was assembled"
    return post.markdown


def section_html(markdown: str, render) -> str:
    """The part's HTML on the page: between its H2 and the next."""
    page = render(re.sub(r"\{%\s*post_url\s+(\S+)\s*%\}", r"/posts/\1/", markdown.split("\n---\n", 1)[1]))
    heading = next(h for h in factories.outline() if h.key == PART).heading
    return page.split(f">{heading}</h2>", 1)[1].split("<h2", 1)[0]


def shape_of(html: str) -> list[tuple]:
    """Each block of the section's HTML: a paragraph's (bold, links, footnote marks); a list's items, each alike."""
    out: list[tuple] = []
    for match in re.finditer(r"<p>(.*?)</p>|<ul>(.*?)</ul>", html, re.S):
        if match.group(1) is not None:
            if "<img" in match.group(1) or "photo-credit" in match.group(1):
                continue  # the section's image and its credit are the assembler's, not the model's
            out.append(("p", _marks(match.group(1))))
        else:
            out.append(("ul", tuple(_marks(li) for li in re.findall(r"<li>(.*?)</li>", match.group(2), re.S))))
    return out


def _marks(html: str) -> tuple[int, int, int]:
    return html.count("<strong>"), len(re.findall(r'<a href="/posts/', html)), html.count('class="footnote"')


def expected(blocks: list[Paragraph | BulletList]) -> list[tuple]:
    def marks(found: list[Sentence], labelled: bool = False) -> tuple[int, int, int]:
        return (sum(s.bold for s in found) + labelled, sum(s.link for s in found), sum(bool(s.source) for s in found))

    return [
        ("p", marks(b.sentences))
        if isinstance(b, Paragraph)
        else ("ul", tuple(marks([s], bool(lb)) for lb, s in b.items))
        for b in blocks
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=parts())
def test_any_block_structure_reaches_the_page_unchanged(kramdown, blocks):
    markdown = through_the_stages(written(blocks))
    assert shape_of(section_html(markdown, kramdown)) == expected(blocks)


def test_a_list_right_under_a_paragraph_line_is_a_list_on_the_page(kramdown):
    line = Paragraph(((Sentence((0, 1), False, None, False),),))
    items = BulletList(tuple((f"ポイント{n}", Sentence((n, n + 1), n == 2, None, False)) for n in (1, 2, 3)), True)
    markdown = through_the_stages(written([line, items]))
    assert "\n- **ポイント2:**" in markdown
    assert shape_of(section_html(markdown, kramdown)) == [("p", (0, 0, 0)), ("ul", ((1, 0, 0), (2, 0, 0), (1, 0, 0)))]
