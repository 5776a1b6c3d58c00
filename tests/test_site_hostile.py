"""Bad input from a site (issue 30 item 6): a post name `{% post_url %}` cannot carry, a YAML alias bomb in front
matter or `_config.yml`, a broken site-index cache, titles with line breaks and markup. Each is skipped with a
one-line notice or refused with a one-line error naming the file; never a traceback, never unbounded time or
memory, never raw Liquid in a draft."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import LinkSettings, Settings
from pipeline.parse import parse
from pipeline.site.links import CACHE_VERSION, LinkPlan, SiteIndex, place, plan_for
from pipeline.site.posts import plain, post_url_safe
from pipeline.types import LinkCandidate, Links, RelatedPost
from pipeline.writing.assembler import Assembler
from tests import factories
from tests.conftest import ROOT, CliRun, jekyll_path, record_of, write_post
from tests.linksite import POSTS, link_site
from tests.test_links import LinkingWriter, MentioningWriter

DAY = date(2025, 12, 15)
LIQUID_NAME = "2025-01-05-x%}{{site.x}}{% comment"
TAB_NAME = "2025-11-20-学習本能で\t顧客心理を読む"
POST_URL = re.compile(r"\{%\s*post_url\s+(\S+)\s*%\}")
MEMORY_LIMIT = 1536 * 2**20  # address space for a child run: an alias bomb's expansion never fits in it
TIME_LIMIT = 60  # seconds: a child run that takes longer fails the test (never a tight wall-clock assert)


def rename(site: Path, old: str, new: str) -> Path:
    """A post of the link site moved to the file name `new` (its text unchanged)."""
    target = site / "_posts" / f"{new}.md"
    (site / "_posts" / f"{old}.md").rename(target)
    return target


def assert_no_stray_liquid(text: str) -> None:
    """Once its well-formed `{% post_url SAFE %}` tags and `{{ site.baseurl }}` are taken out, `text` opens no
    Liquid tag or output: any left is Liquid genpost did not mean to write."""
    rest = POST_URL.sub(lambda m: "" if post_url_safe(m.group(1)) else m.group(0), text)
    rest = rest.replace("{{ site.baseurl }}", "")
    assert "{%" not in rest and "{{" not in rest, rest


def linked_names(draft: Path) -> tuple[list[str], list[str]]:
    """The post names a draft links to: in its prose, and in its related-posts block."""
    doc = parse(draft.read_text(encoding="utf-8"))
    prose = [name for b in doc.prose for _, name in b.internal_links]
    related = [name for b in doc.blocks if b.part == "related" for name in b.post_urls]
    return prose, related


# --- 1. a post name holding Liquid ------------------------------------------------------------------


def test_a_post_name_holding_liquid_never_becomes_a_link(llm, genpost, tmp_path):
    site = link_site(tmp_path / "site")
    rename(site, "2025-11-20-学習本能で顧客心理を読む", LIQUID_NAME)  # the post the prose mentions
    llm.writer = MentioningWriter()
    run = write_post(genpost, tmp_path / "out", "--site", str(site))
    assert run.code == 0, run.stderr
    text = Path(run.last_line).read_text(encoding="utf-8")
    assert "site.x" not in text
    assert_no_stray_liquid(text)
    prose, related = linked_names(Path(run.last_line))
    assert LIQUID_NAME not in prose + related
    assert LIQUID_NAME not in json.dumps(record_of(run)["links"], ensure_ascii=False)
    notices = [line for line in run.stderr.splitlines() if LIQUID_NAME in line]
    assert len(notices) == 1 and "post_url" in notices[0] and "not linked" in notices[0], run.stderr


@pytest.mark.jekyll
def test_a_site_with_such_a_post_still_builds_after_publish(llm, genpost, tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    site = link_site(tmp_path / "site")
    rename(site, "2025-11-20-学習本能で顧客心理を読む", LIQUID_NAME)
    llm.writer = MentioningWriter()
    run = write_post(genpost, tmp_path / "out", "--site", str(site))
    assert run.code == 0, run.stderr
    published = genpost("publish", run.last_line, "--site", str(site), "--force")
    assert published.code == 0, published.stderr
    built = tmp_path / "built"
    done = subprocess.run([jekyll, "build", "-s", str(site), "-d", str(built)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=30))
def test_no_file_name_ever_puts_raw_liquid_in_a_draft(slug):
    """Whatever a post's file name holds, a link to it (in the prose, in the related block) is well-formed
    Liquid or is not written at all."""
    name = f"2025-11-10-{slug}"
    candidate = LinkCandidate(part="cases", name=name, title="マーケティング自動化のコツ", score=0.9)
    plan = LinkPlan.recorded(Links(candidates=[candidate]), DAY, LinkSettings())
    prose = place({"cases": "現場ではマーケティング自動化を進めています。"}, plan)["cases"]
    related = Assembler(Settings(), factories.learning()).related_block([RelatedPost(name=name, title=slug, score=1)])
    text = prose + "\n".join(b.markdown for b in related)
    assert_no_stray_liquid(text)
    if not post_url_safe(name):
        assert name not in text and not plan.report.placed
    assert {p.name for p in plan.report.placed} == {m.group(1) for m in POST_URL.finditer(prose)}


# --- 2. a name holding a tab: linked at most once, and recorded as linked -----------------------------------


class MarkingAndMentioning(LinkingWriter):
    """A model that marks a sentence for the first post it is offered, and mentions one post's topic in two
    sections (two chances to link it twice)."""

    def prose(self, prompt: str, keyword: str) -> str:
        text = super().prose(prompt, keyword)
        if "心理学的背景」の本文" in prompt:
            return text + "学習本能 顧客心理の考え方も、ここで役に立ちます。"
        if "成功事例と期待できる効果」の本文" in prompt:
            return text + "\n\n学習本能 顧客心理を押さえた会社が成果を上げています。"
        return text


def test_each_target_is_linked_at_most_once_and_the_record_says_exactly_which(llm, genpost, tmp_path):
    site = link_site(tmp_path / "site")
    rename(site, "2025-11-20-学習本能で顧客心理を読む", TAB_NAME)  # the post the prose mentions twice
    llm.writer = MarkingAndMentioning()
    run = write_post(genpost, tmp_path / "out", "--site", str(site))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    text = draft.read_text(encoding="utf-8")
    assert "\t" not in text and TAB_NAME not in text
    assert_no_stray_liquid(text)
    prose, related = linked_names(draft)
    every = Counter(POST_URL.findall(text))
    assert every and max(every.values()) == 1, every
    assert sorted(every) == sorted(prose + related)
    placed = record_of(run)["links"]["placed"]
    assert sorted(p["name"] for p in placed) == sorted(prose), "the record lists exactly what the prose links"
    assert json.dumps(TAB_NAME)[1:-1] not in json.dumps(record_of(run)), "never a candidate, placed or dropped"
    assert "学習本能で\\t顧客心理を読む" in run.stderr and "not linked" in run.stderr


# --- 3. a YAML alias bomb -----------------------------------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    """A "billion laughs": nine items, each level nine aliases of the one before (9**9 items expanded)."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def bounded(*args: str, env: dict[str, str] | None = None) -> CliRun:
    """genpost as a child process with bounded memory; taking longer than TIME_LIMIT fails the test."""
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limited,
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A genpost home of its own (`voice` writes voice.yml beside genpost.yml)."""
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / "genpost.yml").write_text("", encoding="utf-8")
    return {"GENPOST_CONFIG": str(folder / "genpost.yml")}


def site_runs(site: Path, out: Path, home: dict[str, str]) -> dict[str, CliRun]:
    """Every command that reads the site, run with bounded memory and time."""
    checked = site / "_posts" / "2025-11-01-ai導入ロードマップ.md"
    return {
        "refresh": bounded("refresh", "--list", "--site", str(site), "--out", str(out / "refresh"), env=home),
        "check": bounded("check", str(checked), "--site", str(site), env=home),
        "voice": bounded("voice", "--site", str(site), env=home),
        "write": bounded(
            "--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--site", str(site),
            "--out", str(out / "write"), "--date", "2025-12-15T01:51:06.256Z", env=home,
        ),
    }  # fmt: skip


def test_an_alias_bomb_in_front_matter_skips_that_post_in_one_line(llm, tmp_path, home):
    site = link_site(tmp_path / "site")
    bomb = site / "_posts" / "2025-11-05-bomb.md"
    front = (
        '---\nlayout: blog-post\ntitle: "爆弾"\n' + alias_bomb() + "tags: *a8\nseo_keywords: *a8\n---\n\n本文です。\n"
    )
    bomb.write_text(front, encoding="utf-8")
    runs = site_runs(site, tmp_path / "out", home)
    for command, run in runs.items():
        assert run.code in (0, 1), (command, run.code, run.stderr[-2000:])
        assert "Traceback" not in run.stderr and "MemoryError" not in run.stderr, (command, run.stderr)
        about = [line for line in run.stderr.splitlines() if bomb.name in line]
        assert about and all("refused" in line for line in about), (command, run.stderr)
    assert runs["refresh"].code == 0 and runs["voice"].code == 0 and runs["write"].code == 0
    assert Path(runs["write"].last_line).is_file()


def test_an_alias_bomb_in_config_is_one_line_error_naming_it(llm, tmp_path, home):
    site = link_site(tmp_path / "site")
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + alias_bomb() + "permalink: *a8\n", encoding="utf-8")
    out = tmp_path / "out"
    for command, run in site_runs(site, out, home).items():
        assert run.code == 2, (command, run.code, run.stderr[-2000:])
        assert "Traceback" not in run.stderr, (command, run.stderr)
        errors = [line for line in run.stderr.splitlines() if line.startswith("genpost: error: ")]
        assert len(errors) == 1 and str(config) in errors[0] and "refused" in errors[0], (command, run.stderr)
    assert not [p for p in out.rglob("*") if p.suffix in (".md", ".json") and ".genpost" not in p.parts]
    assert not (Path(home["GENPOST_CONFIG"]).parent / "voice.yml").exists()


# --- 4. a broken site-index cache ---------------------------------------------------------------------------


def _stamp(path: Path) -> str:
    found = path.stat()
    return f"{found.st_mtime_ns}:{found.st_size}"


def broken_caches(site: Path) -> dict[str, str]:
    name = next(p.name for p in sorted((site / "_posts").iterdir()))
    return {
        "not json": '{"version": ',
        "a list": "[1, 2]",
        "posts a list": json.dumps({"version": CACHE_VERSION, "posts": []}),
        "an entry not a dict": json.dumps({"version": CACHE_VERSION, "posts": {name: 5}}),
        "an entry without its page": json.dumps(
            {"version": CACHE_VERSION, "posts": {name: {"stamp": _stamp(site / "_posts" / name)}}}
        ),
        "a page of the wrong shape": json.dumps(
            {
                "version": CACHE_VERSION,
                "posts": {name: {"stamp": _stamp(site / "_posts" / name), "page": {"day": 3}, "words": ["x"]}},
            }
        ),
        "deep": "[" * 100_000 + "]" * 100_000,
    }


def assert_rebuilt(cache: Path, site: Path) -> None:
    assert cache.is_file() and not cache.is_symlink()
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert data["version"] == CACHE_VERSION and set(data["posts"]) == {p.name for p in (site / "_posts").iterdir()}


@pytest.mark.parametrize("case", ["not json", "a list", "posts a list", "an entry not a dict",
                                  "an entry without its page", "a page of the wrong shape", "deep"])  # fmt: skip
def test_a_broken_cache_is_ignored_and_rebuilt(tmp_path, case):
    site = link_site(tmp_path / "site")
    cache = tmp_path / "out" / ".genpost" / "site-index.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(broken_caches(site)[case], encoding="utf-8")
    links = plan_for(site, "", DAY, LinkSettings(), cache)
    assert links is not None and len(links.index.pages) == len(POSTS)
    assert_rebuilt(cache, site)
    assert len(SiteIndex.of_site(site, cache).pages) == len(POSTS), "and read back the next time"


def test_a_run_after_a_broken_cache_writes_its_draft(llm, genpost, tmp_path):
    site = link_site(tmp_path / "site")
    out = tmp_path / "out"
    cache = out / ".genpost" / "site-index.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(broken_caches(site)["an entry without its page"], encoding="utf-8")
    run = write_post(genpost, out, "--site", str(site))
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr and "KeyError" not in run.stderr
    assert_rebuilt(cache, site)


INDEX = "import sys; from pathlib import Path; from pipeline.site.links import SiteIndex; " + (
    "print(len(SiteIndex.of_site(Path(sys.argv[1]), Path(sys.argv[2])).pages))"
)


@pytest.mark.parametrize("kind", ["link to /dev/zero", "fifo", "too big"])
def test_a_cache_that_is_no_regular_file_or_too_big_is_not_read(tmp_path, kind):
    site = link_site(tmp_path / "site")
    cache = tmp_path / "out" / ".genpost" / "site-index.json"
    cache.parent.mkdir(parents=True)
    if kind == "link to /dev/zero":
        cache.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(cache)
    else:
        with cache.open("wb") as handle:  # a sparse file past the cap
            handle.truncate(65 * 2**20)
    proc = subprocess.run(
        [sys.executable, "-c", INDEX, str(site), str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limited,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == str(len(POSTS))
    assert str(cache) in proc.stderr and "ignored" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert_rebuilt(cache, site)


# --- 5. titles with line breaks and markup ------------------------------------------------------------------


def retitle(site: Path, name: str, title: str, description: str) -> None:
    path = site / "_posts" / f"{name}.md"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'^title: ".*"$', f"title: {json.dumps(title, ensure_ascii=False)}", text, flags=re.MULTILINE)
    text = re.sub(
        r'^description: ".*"$', f"description: {json.dumps(description, ensure_ascii=False)}", text, flags=re.M
    )
    path.write_text(text, encoding="utf-8")


def prompt_texts(llm) -> list[str]:
    """Every message the stand-in was sent, as text."""
    out = []
    for body in llm.chat_bodies():
        for message in body.get("messages", []):
            content = message.get("content")
            out += [content] if isinstance(content, str) else [json.dumps(content, ensure_ascii=False)]
    return out


def test_site_titles_reach_prompts_as_one_line_of_plain_text(llm, genpost, tmp_path):
    site = link_site(tmp_path / "site")
    retitle(
        site,
        "2025-11-10-マーケティング自動化のコツ",
        "<b>マーケティング自動化</b>で成果を出す\n5つのコツ &amp; 実例",
        "メール配信やSNS投稿の\nマーケティング自動化で、\r\n成果につなげるコツを紹介します。",
    )
    retitle(site, "2025-11-01-ai導入ロードマップ", "AI導入ロードマップの作り方\n中小企業の\t5ステップ", "説明です。")
    run = write_post(genpost, tmp_path / "out", "--site", str(site))
    assert run.code == 0, run.stderr
    prompts = "\n\n".join(prompt_texts(llm))
    assert "AI導入ロードマップの作り方 中小企業の 5ステップ" in prompts, "the title reached a prompt, flattened"
    assert "マーケティング自動化で成果を出す 5つのコツ & 実例" in prompts
    for raw in ("の作り方\n中小", "中小企業の\t5", "成果を出す\n5つ", "<b>", "&amp; 実例", "投稿の\nマーケ"):
        assert raw not in prompts, raw


def test_anchors_and_candidates_are_plain_text_not_markup(tmp_path):
    site = link_site(tmp_path / "site")
    (site / "_posts" / "2025-11-12-研究開発入門.md").write_text(
        '---\nlayout: blog-post\ntitle: "R&amp;D入門：<b>研究開発</b>の**基本**"\ndate: 2025-11-12T01:00:00Z\n'
        'description: "研究開発の&lt;基本&gt;を\\nまとめます。"\ntags: ["研究開発 基本"]\n---\n\n'
        "研究開発の基本を、R&Dの進め方とともにまとめます。\n",
        encoding="utf-8",
    )
    links = plan_for(site, "", DAY, LinkSettings(min_score=0.05))
    assert links is not None
    offers = links.offer("cases", "研究開発 R&D 入門 基本")
    assert "2025-11-12-研究開発入門" in [o.page.name for o in offers]
    (candidate,) = [c for c in links.report.candidates if c.name == "2025-11-12-研究開発入門"]
    assert (candidate.title, candidate.description) == ("R&D入門：研究開発の基本", "研究開発の<基本>を まとめます。")
    prose = "R&amp;D入門の話です。\n\n研究開発の基本を押さえると、R&amp;Dの計画が立てやすくなります。"
    placed = place({"cases": prose}, links)["cases"]
    assert "&[" not in placed and "[amp]" not in placed and "<b>" not in placed
    for link in links.report.placed:
        assert link.anchor == plain(link.anchor) and not set(link.anchor) & set("<>&*[]`;"), link.anchor
        assert f"[{link.anchor}]({{% post_url {link.name} %}})" in placed


def test_plain_unescapes_once_and_strips_markup():
    assert plain("a\nb\tc\r\nd\x00e\u2028f") == "a b c d e f"
    assert plain("&amp;lt;b&amp;gt;") == "&lt;b&gt;", "unescaped once, never twice"
    assert plain("<b>太字</b> **強調** [リンク](https://example.com) `code`") == "太字 強調 リンク code"
    assert plain("全角　スペース") == "全角　スペース"


def test_a_refreshed_posts_own_title_reaches_its_prompt_as_plain_text(llm, genpost, tmp_path):
    site = link_site(tmp_path / "site")
    name = "2025-11-01-ai導入ロードマップ"
    retitle(site, name, "2025年版 AI導入<b>ロードマップ</b>\n中小企業の\t5ステップ &amp; 実例", "説明です。")
    run = genpost("refresh", f"{name}.md", "--site", str(site), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    prompts = "\n\n".join(prompt_texts(llm))
    assert "2025年版 AI導入ロードマップ 中小企業の 5ステップ & 実例" in prompts, "its title, flattened"
    for raw in ("<b>", "ロードマップ</b>", "ロードマップ\n中小", "の\t5", "&amp;"):
        assert raw not in prompts, raw


def test_a_voice_example_is_read_from_the_post_of_that_exact_name(tmp_path):
    from pipeline.voice.follow import _excerpt

    posts = tmp_path / "_posts"
    posts.mkdir(parents=True)
    body = "---\ntitle: t\n---\n\n## 見出し\n\n{}\n"
    prose = (
        "この段落は{}の記事の本文である。読者の声を集め、週ごとに振り返る手順をまとめている。"
        "数字は社内の集計であり、比べる期間はどれも四週間である。"
    )
    (posts / "2025-01-01-a[1].md").write_text(body.format(prose.format("角括弧")), encoding="utf-8")
    (posts / "2025-01-01-a1.md").write_text(body.format(prose.format("別")), encoding="utf-8")
    assert "角括弧" in (_excerpt(tmp_path, "2025-01-01-a[1]", "である") or "")
