"""Any string in any field that reaches a post: keywords, theme, the model's title, description, tags, step
titles and prose, a source's title, URL and text. Whatever Hypothesis draws (Liquid, HTML, Markdown, YAML
breakers, control characters, RTL marks, emoji), the command either refuses it at the door (exit 2, one line)
or writes a post that passes `genpost check`'s markup rules, builds in real Jekyll with no Liquid run, and
renders in the review app (real Chromium) with nothing run."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.quality import check_text
from pipeline.review.render import render_post
from standins.fake_writer import FakeWriter
from standins.web import page
from tests.conftest import jekyll_path, make_site
from tests.test_review import AUDIT, canary, chromium_path, served  # noqa: F401 - fixtures used below

PLANTED = "LIQUID-RAN-7c1e"  # a _config.yml value: it shows on a page only if a post's Liquid ran
PAYLOADS = [
    "{{ site.planted }}",
    "{% raw %}",
    "{% include evil.html %}",
    "{{",
    "{%",
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "[押して](javascript:alert(1))",
    "](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x]: javascript:alert(1)",
    "---\nlayout: evil\n---",
    '"quoted": #comment',
    "key: value\n- item",
    "&anchor *alias !!python/object:os.system",
    "\x00",
    "\x1b[31m",
    "\x07",
    "\u202e\u200f",
    "👩\u200d💻🙂",
    "# 見出し",
    "| a | b |",
    "$$x^2$$",
    "{: onclick=alert(1)}",
    "\\",
    "`code`",
]
# A source's URL tail: any characters a URL can carry, markup included (spaces and controls are refused).
URL_CHARS = st.text(alphabet=st.sampled_from(list("{}%[]()<>'\"!*$|;:@&=+,/?#~^`\\abcあ字")), max_size=24)


def hostile(max_size: int = 30, printable: bool = False) -> st.SearchStrategy[str]:
    """Any text, a known payload, or a payload inside any text (`printable`: no control characters, which the
    door refuses in what a person types)."""
    chars = st.characters(blacklist_categories=("Cc", "Cs")) if printable else st.characters()
    payloads = [p for p in PAYLOADS if p.isprintable() or (not printable and p)]
    around = st.text(chars, max_size=max_size // 3)
    return st.one_of(
        st.text(chars, max_size=max_size),
        st.sampled_from(payloads),
        st.builds(lambda a, p, b: a + p + b, around, st.sampled_from(payloads), around),
    )


def typed(max_size: int = 30) -> st.SearchStrategy[str]:
    """What a person types: mostly what the door lets through, sometimes what it refuses."""
    return st.one_of(hostile(max_size, printable=True), hostile(max_size, printable=True), hostile(max_size))


class FuzzWriter(FakeWriter):
    """A model that puts the drawn strings into every answer, keeping its JSON valid."""

    def __init__(self, drawn: dict[str, str]) -> None:
        super().__init__()
        self.drawn = drawn

    def prose(self, prompt: str, keyword: str) -> str:
        return self.drawn["prose"] + super().prose(prompt, keyword) + self.drawn["prose"]

    def _string(self, name: str, keyword: str, prompt: str) -> str:
        text = super()._string(name, keyword, prompt)
        if name in self.drawn:
            return self.drawn[name] + text
        return self.drawn["field"] + text


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's parser reads them (a title's or a text area's content
    is text to a browser, as a script's is)."""

    CDATA_CONTENT_ELEMENTS = (*HTMLParser.CDATA_CONTENT_ELEMENTS, "title", "textarea")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, {k: v or "" for k, v in attrs}))


def live_markup(html: str, scripts_allowed: tuple[str, ...] = ()) -> list[str]:
    """What in `html` could run: a script (but those allowed), a handler, a script URL."""
    parser = Tags()
    parser.feed(html)
    bad = []
    for tag, attrs in parser.seen:
        if tag == "script" and attrs.get("type") != "application/ld+json" and attrs.get("src") not in scripts_allowed:
            bad.append(f"<script {attrs}>")
        bad += [f"<{tag} {k}>" for k in attrs if k.startswith("on")]
        bad += [
            f"<{tag} {k}={v}>"
            for k, v in attrs.items()
            if k in ("href", "src", "action") and re.match(r"\s*(javascript|vbscript|data):", v, re.I)
        ]
        if tag in ("iframe", "object", "embed", "base", "form", "svg"):
            bad.append(f"<{tag}>")
    return bad


@pytest.mark.jekyll
def test_any_string_in_any_field_gives_an_inert_post(llm, web, tmp_path, served, canary):  # noqa: F811
    jekyll = jekyll_path()
    browser_path = chromium_path()
    out = tmp_path / "out"
    site = make_site(tmp_path / "site")
    (site / "_config.yml").write_text(
        f"title: fuzz\ntimezone: Asia/Tokyo\nbaseurl: ''\nmarkdown: kramdown\nplanted: {PLANTED}\n", encoding="utf-8"
    )
    app_settings, instincts = load_settings(), load_instincts()
    outcomes = {"written": 0, "refused": 0}
    pages = iter(range(1_000_000))

    # Each example is a whole run: no shrinking (it would take minutes); the failing example is printed whole.
    @settings(
        max_examples=16,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
    )
    @given(
        keywords=st.lists(typed(40), min_size=1, max_size=2),
        theme=typed(),
        drawn=st.fixed_dictionaries(
            {k: hostile() for k in ("title", "description", "tags", "steps.title", "prose", "field", "label")}
        ),
        source_title=hostile(),
        source_text=hostile(60),
        url_tail=URL_CHARS,
    )
    def one(keywords, theme, drawn, source_title, source_text, url_tail) -> None:
        llm.reset()
        llm.writer = FuzzWriter(drawn)
        number = next(pages)
        text = [source_text, "生成AIをマーケティング業務で使っている企業は43.7%でした。", source_text * 2]
        web.documents[f"/fuzz/{number}.html"] = ("text/html; charset=utf-8", page(source_title, text).encode())
        source = web.url(f"fuzz/{number}.html") + "?q=" + url_tail
        args = ["--instinct", "learning", "--keywords", *keywords, "--theme", theme, "--out", str(out)]
        args += ["--date", f"2025-12-{1 + number % 28:02d}T01:00:00Z", "--sources", source, "--polish"]
        code, stdout, stderr = run(*args)
        if code == 2:  # refused at the door: one line, nothing asked of the model
            assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("genpost: error: "), stderr
            assert llm.chat_bodies() == []
            outcomes["refused"] += 1
            return
        assert code == 0, stderr
        draft = Path(stdout.strip().splitlines()[-1])
        markdown = draft.read_text(encoding="utf-8")
        front = yaml.safe_load(markdown.split("\n---\n", 1)[0].removeprefix("---\n"))
        assert isinstance(front, dict) and front["layout"] == "blog-post"
        findings = check_text(markdown, app_settings, instincts, site, draft.name)
        assert not [f for f in findings if f.rule.startswith("markup.")], [f.message for f in findings]
        assert live_markup(render_post(markdown, [])) == []
        shutil.copy(draft, site / "_posts" / draft.name)
        outcomes["written"] += 1

    one()
    assert outcomes["written"] >= 5, outcomes

    # Real Jekyll builds every written post; no Liquid of theirs ran, no script or script link is on a page.
    if jekyll is not None:
        done = subprocess.run(
            [jekyll, "build", "--quiet", "-s", str(site), "-d", str(tmp_path / "built")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        built = [p for p in (tmp_path / "built").rglob("*.html")]
        assert len(built) >= outcomes["written"]
        for html_page in built:
            html = html_page.read_text(encoding="utf-8")
            assert PLANTED not in html, html_page.name
            assert live_markup(html) == [], html_page.name
            for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
                json.loads(block)

    # The review app in real Chromium: every fuzzed draft's page, and nothing runs.
    if browser_path is None:
        return
    sync_api = pytest.importorskip("playwright.sync_api")
    _, hits = canary
    base = served(out, site)
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, headless=True, args=flags)
        tab = browser.new_page()
        dialogs: list[str] = []
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for draft in sorted(out.glob("20*.md")):
            tab.goto(f"{base}/drafts/{draft.name}")
            tab.wait_for_load_state("networkidle")
            assert tab.evaluate("() => window.__pwned") is None, draft.name
            assert tab.evaluate(AUDIT) == [], draft.name
        tab.goto(base + "/")
        assert tab.evaluate(AUDIT) == []
        browser.close()
    assert dialogs == [] and hits == []
