"""`genpost refresh`: the site's posts that aged, each with its reasons, most urgent first; a refresh that keeps
the post's file name, URL and date and every part without a reason byte for byte; publishing it in place; and
`--auto` refreshing from the top of the list after the day's post."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from pipeline.cli import main
from pipeline.config import load_settings
from pipeline.document import FOOTNOTES, FrontMatter, PostDoc
from pipeline.errors import UsageError
from pipeline.instincts import load_instincts
from pipeline.llm.server_support import assume_everything
from pipeline.parse import parse
from pipeline.refresh.reasons import WEIGHTS
from pipeline.refresh.splice import bump_years
from pipeline.review.app import create_app
from pipeline.review.drafts import load_state, read_record
from pipeline.review.history import text_of
from pipeline.site import permalinks
from standins.openai_api import OpenAIStandIn
from standins.web import WebStandIn
from tests.conftest import OLD_POST, PLANTED_KEY, CliRun, git, jekyll_path
from tests.refreshsite import (
    CHANGING,
    CHANGING_AFTER,
    EXPECTED,
    GONE,
    HTML,
    MULTI,
    NEVER,
    Days,
    MovedStandIn,
    build,
    multi,
)
from tests.test_jekyll import seo_site

TODAY = datetime.now(ZoneInfo("Asia/Tokyo")).date()
CONFIG = "sources:\n  cache_hours: 0\n  timeout: 5\n  attempts: 1\n"


def run_main(*args: str) -> CliRun:
    """The command line in-process, outside a test function (a module fixture has no capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return CliRun(code, out.getvalue(), err.getvalue())


@dataclass
class Case:
    """The refresh site, listed before and after one of its sources changed."""

    site: Path
    out: Path
    config: Path
    first: CliRun  # --list --json while every source says what it said when cited
    second: CliRun  # --list --json after the changing source changed
    text: CliRun  # --list, as a person reads it
    cached: CliRun  # --list --json with the sources' copies taken from the cache (sources.cache_hours: 168)
    cached_requests: list[str]  # the paths that listing asked the web for

    def post(self, ending: str) -> Path:
        return next(p for p in (self.site / "_posts").iterdir() if p.stem.endswith(ending))


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory, web: WebStandIn):
    root = tmp_path_factory.mktemp("refresh")
    config = root / "genpost.yml"
    config.write_text(CONFIG, encoding="utf-8")
    with MovedStandIn(web.url("survey.html")) as moved, pytest.MonkeyPatch.context() as env:
        env.setenv("GENPOST_CONFIG", str(config))
        out = root / "out"
        site = build(root / "site", web, moved, TODAY, out)
        listing = ("refresh", "--list", "--site", str(site), "--out", str(out))
        first = run_main(*listing, "--json")
        web.documents[CHANGING] = (HTML, CHANGING_AFTER.encode())
        second = run_main(*listing, "--json")
        text = run_main(*listing)
        cache_config = root / "cache.yml"
        cache_config.write_text("sources:\n  cache_hours: 168\n", encoding="utf-8")
        env.setenv("GENPOST_CONFIG", str(cache_config))
        asked = len(web.seen)
        cached = run_main(*listing, "--json")
        requests = [path for path, _ in web.seen[asked:]]
        env.setenv("GENPOST_CONFIG", str(config))
        yield Case(site, out, config, first, second, text, cached, requests)


def listed(run: CliRun) -> dict[str, dict]:
    assert run.code == 0, run.stderr
    return {item["file"]: item for item in json.loads(run.stdout)}


def codes_by_ending(run: CliRun) -> dict[str, set[str]]:
    found = {}
    for file, item in listed(run).items():
        ending = next((e for e in [*EXPECTED, *NEVER] if file.removesuffix(".md").endswith(e)), file)
        found[ending] = {r["code"] for r in item["reasons"]}
    return found


# --- finding what aged -------------------------------------------------------------------------------------


def test_each_stale_post_is_listed_with_its_reasons_and_no_other(case):
    assert codes_by_ending(case.second) == EXPECTED, "a post per reason; the kept, fresh and off-topic ones never"
    for item in listed(case.second).values():
        assert set(item) == {"file", "title", "date", "score", "reasons"}
        assert item["file"].startswith("_posts/") and item["score"] > 0
        for reason in item["reasons"]:
            assert re.search(r"[ぁ-んァ-ン一-龥]", reason["message"]), "every reason is said in Japanese"
            assert set(reason) == {"code", "message", "parts", "detail"}
    multi = next(i for f, i in listed(case.second).items() if MULTI in f)
    by_code = {r["code"]: r for r in multi["reasons"]}
    assert by_code["year.heading"]["parts"] == ["s1"] and by_code["claims.unsourced"]["parts"] == ["s1"]
    assert by_code["year.title"]["detail"] == str(TODAY.year - 1)


def test_the_most_urgent_come_first(case):
    """Ranked by the weight of a post's most urgent reason, then by all its reasons' weights together."""
    items = list(listed(case.second).values())
    urgency = [max(WEIGHTS[r["code"]] for r in i["reasons"]) for i in items]
    ranks = list(zip(urgency, [i["score"] for i in items], strict=True))
    assert ranks == sorted(ranks, reverse=True)
    assert "broken-link" in items[0]["file"] or "dead-source" in items[0]["file"], "a broken link or source first"
    files = [i["file"] for i in items]
    aged = next(n for n, f in enumerate(files) if f.endswith("aged-calendar.md"))
    dated = [n for n, i in enumerate(items) if any(r["code"].startswith("year.") for r in i["reasons"])]
    assert len(dated) == 4 and max(dated) < aged, "every post that names a past year comes before one only aged"


def test_a_source_that_changed_between_fetches_is_found(case, web):
    before, after = codes_by_ending(case.first), codes_by_ending(case.second)
    assert "changed-source" not in before, "a source first seen is remembered as what the post cites"
    assert after["changed-source"] == {"source.changed"}
    assert {k: v for k, v in after.items() if k != "changed-source"} == before
    assert sum(path == CHANGING for path, _ in web.seen) >= 2, "fetched again, not taken from the cache"
    ledger = json.loads((case.out / ".genpost" / "refresh" / "sources.json").read_text(encoding="utf-8"))
    cited = next(v for k, v in ledger["cited"].items() if k.endswith("changed-source.md"))
    assert list(cited) == [web.url(CHANGING.lstrip("/"))]


def test_sources_from_the_cache_keep_their_reasons(case):
    assert case.cached_requests == [GONE], "only the dead source is asked for again: the others are in the cache"
    assert codes_by_ending(case.cached) == codes_by_ending(case.second), "moved and changed, from the cache too"


def test_the_text_list_says_the_same_in_japanese(case):
    assert case.text.code == 0
    files = re.findall(r"^\s*[\d.]+\s+(_posts/\S+)", case.text.stdout, re.MULTILINE)
    assert files == list(listed(case.second)), "the same list, in the same order"
    assert "タイトルに過去の年" in case.text.stdout and "要確認の数値「約30%」" in case.text.stdout
    assert "を取得できません（HTTP 404）" in case.text.stdout and "に移転しています" in case.text.stdout
    assert case.text.stderr.strip().splitlines()[-1].startswith(f"genpost: {len(EXPECTED)} post(s) of ")


# --- refreshing one ------------------------------------------------------------------------------------------


@dataclass
class Refreshed:
    run: CliRun
    post: Path
    before: str  # the post as published
    draft: Path


@pytest.fixture(scope="module")
def refreshed(case, openai_server: OpenAIStandIn) -> Refreshed:
    post = case.post(MULTI)
    before = post.read_text(encoding="utf-8")
    openai_server.reset()
    assume_everything(openai_server.base_url)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GENPOST_CONFIG", str(case.config))
        env.setenv("OPENAI_BASE_URL", openai_server.base_url)
        env.setenv("OPENAI_API_KEY", PLANTED_KEY)
        run = run_main("refresh", post.name, "--site", str(case.site), "--out", str(case.out), "--json")
    assert run.code == 0, run.stderr
    return Refreshed(run, post, before, Path(json.loads(run.stdout)["path"]))


def part_bytes(doc: PostDoc, part: str) -> str:
    return "".join((b.gap or "") + b.written() for b in doc.of_part(part))


def test_a_refresh_keeps_the_file_name_url_and_date(refreshed, case):
    draft, post = refreshed.draft, refreshed.post
    assert draft.name == post.name and draft.parent == case.out
    assert post.read_text(encoding="utf-8") == refreshed.before, "the site is not touched before publish"
    old, new = parse(refreshed.before), parse(draft.read_text(encoding="utf-8"))
    assert new.front["date"] == old.front["date"]
    modified = new.front["last_modified_at"]
    assert isinstance(modified, datetime) and abs(datetime.now(UTC) - modified) < timedelta(minutes=5)
    assert str(TODAY.year - 1) not in new.front["title"] and new.front["title"] != old.front["title"]
    assert new.front["seo_keywords"] == [f"メール配信 見直し {TODAY.year}", "開封率 改善"]
    record = read_record(draft)
    assert record.refresh.target == f"_posts/{post.name}"
    assert {r.code for r in record.refresh.reasons} == EXPECTED[MULTI]
    rules = {f.rule for f in record.findings}
    assert "frontmatter.extra" not in rules, "the last_modified_at a refresh adds is never an unexpected key"
    before_url = permalinks.load(case.site).by_name(post.stem).url
    copy = case.out.parent / "url-check"
    shutil.copytree(case.site, copy)
    shutil.copy(draft, copy / "_posts" / post.name)
    assert permalinks.load(copy).by_name(post.stem).url == before_url
    summary = json.loads(refreshed.run.stdout)
    assert summary["target"] == f"_posts/{post.name}" and "s1" in summary["parts"]


def test_parts_without_a_reason_are_kept_byte_for_byte(refreshed):
    old, new = parse(refreshed.before), parse(refreshed.draft.read_text(encoding="utf-8"))
    for part in ("lead", "s2", "s3", FOOTNOTES):
        assert part_bytes(new, part) == part_bytes(old, part), part
    assert part_bytes(new, "s1") != part_bytes(old, "s1")
    heading = new.of_part("s1")[0]
    assert heading.text == f"{TODAY.year}年のメール配信の傾向"
    assert "約25%" not in new.prose_text(), "the figure to confirm was rewritten"
    changed = {"title", "seo_keywords"}
    old_lines = [line for line in old.front.source.splitlines() if line.split(":", 1)[0] not in changed]
    new_lines = [line for line in new.front.source.splitlines() if line.split(":", 1)[0] not in changed]
    assert new_lines == [*old_lines[:-1], new_lines[-2], "---"] and new_lines[-2].startswith("last_modified_at: ")
    assert "# 編集部のメモ: この行はそのまま残ります" in new.front.source and "  - 見直し" in new.front.source
    whole_old, whole_new = refreshed.before, refreshed.draft.read_text(encoding="utf-8")
    tail = whole_old[whole_old.index("## 配信リストの整え方") :]
    assert whole_new.endswith(tail), "everything after the rewritten section, to the last byte"


def test_history_starts_with_the_published_post_and_the_app_shows_the_refresh(refreshed, case):
    versions = load_state(refreshed.draft).versions
    assert [v.kind for v in versions] == ["published", "refreshed"]
    assert text_of(refreshed.draft, 1) == refreshed.before
    app = create_app(case.out, case.site, load_settings(case.config), load_instincts(), allowed_hosts=["testserver"])
    page = TestClient(app).get(f"/drafts/{refreshed.draft.name}").text
    assert 'id="refresh"' in page and "公開中の記事との差分" in page and f"_posts/{refreshed.post.name}" in page
    assert "<del>-## " in page and f"<ins>+## {TODAY.year}年のメール配信の傾向</ins>" in page
    assert "タイトルに過去の年" in page and 'id="regenerate"' not in page


def test_sources_dead_moved_and_changed_are_fixed_where_they_are_cited(llm, genpost, case, monkeypatch, web):
    monkeypatch.setenv("GENPOST_CONFIG", str(case.config))

    def refreshed_doc(ending: str) -> tuple[PostDoc, PostDoc]:
        post = case.post(ending)
        run = genpost("refresh", post.name, "--site", str(case.site), "--out", str(case.out))
        assert run.code == 0, run.stderr
        return parse(post.read_text(encoding="utf-8")), parse(Path(run.last_line).read_text(encoding="utf-8"))

    old, new = refreshed_doc("moved-source")
    assert part_bytes(new, "lead") == part_bytes(old, "lead"), "a moved source changes its footnote only"
    (note,) = new.of_part(FOOTNOTES)
    assert note.links == (web.url("survey.html"),)

    old, new = refreshed_doc("dead-source")
    assert new.of_part(FOOTNOTES) == [] and "[^1]" not in new.text, "nothing cites the dead source any more"
    assert part_bytes(new, "lead") != part_bytes(old, "lead")

    old, new = refreshed_doc("changed-source")
    assert "47.2%" in new.prose_text() and "[^1]" in new.prose_text(), "the source's new figure, cited"
    assert part_bytes(new, FOOTNOTES) == part_bytes(old, FOOTNOTES), "cited by the footnote it had"


def test_fresh_sources_are_cited_as_new_footnotes(llm, genpost, case, monkeypatch, web):
    monkeypatch.setenv("GENPOST_CONFIG", str(case.config))
    post = case.post("unsourced-figure")
    survey = web.url("survey.html")
    run = genpost("refresh", post.name, "--site", str(case.site), "--out", str(case.out), "--sources", survey)
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    new = parse(draft.read_text(encoding="utf-8"))
    (note,) = new.of_part(FOOTNOTES)
    assert note.label == "1" and note.links == (survey,) and "生成AI活用実態調査2026" in note.text
    assert "[^1]" in new.prose_text() and "約30%" not in new.prose_text()
    record = read_record(draft)
    assert [s.location for s in record.sources] == [survey]
    assert [(c.part, c.footnote) for c in record.citations if c.kept] == [("lead", 1)]
    assert not [f for f in record.findings if f.rule.startswith("claims.")], "the new figure is its source's"


@pytest.mark.jekyll
def test_the_refreshed_post_builds_at_its_own_url(refreshed, case, tmp_path):
    jekyll = jekyll_path()
    if jekyll is None:
        pytest.skip("jekyll is not installed")
    site = seo_site(shutil.copytree(case.site, tmp_path / "site"))
    post = permalinks.load(site).by_name(refreshed.post.stem)
    shutil.copy(refreshed.draft, site / "_posts" / refreshed.post.name)
    built = tmp_path / "built"
    done = subprocess.run([jekyll, "build", "-s", str(site), "-d", str(built)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    html = (built / post.output).read_text(encoding="utf-8")
    assert f"{TODAY.year}年のメール配信の傾向" in html and "変わらない段落です" in html
    modified = parse(refreshed.draft.read_text(encoding="utf-8")).front["last_modified_at"]
    scripts = re.findall(r'<script type="application/ld\+json">\s*(\{.*?\})\s*</script>', html, re.S)
    (node,) = [json.loads(b) for b in scripts]
    assert node["@type"] == "BlogPosting", "jekyll-seo-tag's, from the front matter"
    assert datetime.fromisoformat(node["dateModified"]) == modified.replace(microsecond=0)
    assert datetime.fromisoformat(node["datePublished"]) < datetime.fromisoformat(node["dateModified"])


# --- publishing and scheduling ----------------------------------------------------------------------------------


def test_publish_replaces_the_post_in_one_commit(llm, genpost, tmp_path, git_site):
    site, _ = git_site
    name = "2025-12-14-2025年版-ai時代を生き抜く-マーケティング戦略立案-5つの生存術.md"
    posts_before = sorted(p.name for p in (site / "_posts").iterdir())
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_text("the draft this post was published from, long ago\n", encoding="utf-8")
    run = genpost("refresh", name, "--site", str(site), "--out", str(out))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    assert draft.name == name.removesuffix(".md") + "-2.md", "out/ keeps the earlier draft: the record names the post"
    title = parse(draft.read_text(encoding="utf-8")).front["title"]
    published = genpost("publish", str(draft), "--site", str(site))
    assert published.code == 0, published.stderr
    assert sorted(p.name for p in (site / "_posts").iterdir()) == posts_before, "replaced, never a second post"
    assert (site / "_posts" / name).read_text(encoding="utf-8") == draft.read_text(encoding="utf-8")
    assert git(site, "rev-list", "--count", "HEAD").strip() == "2"
    message = git(site, "log", "-1", "--format=%B")
    assert (
        message.startswith(f"記事を更新: {title}\n")
        and "更新の理由:\n- タイトルに過去の年（2025年）があります" in message
    )
    assert git(site, "show", "--name-status", "--format=", "HEAD").strip() == f"M\t_posts/{name}"
    again = genpost("publish", str(draft), "--site", str(site))
    assert again.code == 0 and git(site, "rev-list", "--count", "HEAD").strip() == "2", "no empty commit"


def test_publish_refuses_a_post_that_changed_since_its_refresh(llm, genpost, tmp_path, site):
    name = "2025-12-12-aiマーケティングツール比較-2025年版10選.md"
    run = genpost("refresh", name, "--site", str(site), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    post = site / "_posts" / name
    post.write_text(post.read_text(encoding="utf-8") + "\n編集者が足した段落です。\n", encoding="utf-8")
    refused = genpost("publish", run.last_line, "--site", str(site))
    assert refused.code == 1 and "changed on the site since this refresh was made" in refused.stderr
    assert "編集者が足した段落です" in post.read_text(encoding="utf-8"), "the editor's change is kept"


def refresh_drafts(out: Path) -> list[Path]:
    found = [(p, read_record(p)) for p in sorted(out.glob("*.md"))]
    return [p for p, record in found if record is not None and record.refresh is not None]


def test_auto_refreshes_one_post_after_the_days_post(llm, genpost, tmp_path, case, monkeypatch):
    site = shutil.copytree(case.site, tmp_path / "site")
    config = tmp_path / "genpost.yml"
    config.write_text(CONFIG + "refresh:\n  per_day: 1\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    out = tmp_path / "out"
    top = json.loads(genpost("refresh", "--list", "--site", str(site), "--out", str(out), "--json").stdout)[0]
    run = genpost("--auto", "--site", str(site), "--out", str(out), "--date", f"{TODAY.isoformat()}T09:00:00")
    assert run.code == 0, run.stderr
    new = Path(run.last_line)
    refreshes = refresh_drafts(out)
    assert len(refreshes) == 1, "refresh.per_day: 1"
    record = read_record(refreshes[0])
    assert record.refresh.target == top["file"]
    assert read_record(new).refresh is None and read_record(new).created_at < record.created_at, "after the post"
    assert f"refresh of {top['file']} for review: {refreshes[0]}" in run.stderr
    again = genpost("--auto", "--site", str(site), "--out", str(out), "--date", f"{TODAY.isoformat()}T10:00:00")
    assert again.code == 0 and "a post exists" in again.stdout
    assert refresh_drafts(out) == refreshes, "the day's post exists: no second round of refreshes"


# --- genpost's own shape; bad input ---------------------------------------------------------------------------


def test_a_step_of_genposts_shape_is_rewritten_as_a_step(llm, genpost, tmp_path, site):
    text = OLD_POST.read_text(encoding="utf-8")
    post = site / "_posts" / "2025-12-11-old-generator.md"
    post.write_text(text, encoding="utf-8")
    kept = "2025-12-09-sns運用を自動化する3つの方法"  # one of its three related posts; the other two are gone
    (site / "_posts" / f"{kept}.md").write_text('---\ntitle: "SNS運用"\n---\n\n本文です。\n', encoding="utf-8")
    run = genpost("refresh", post.name, "--site", str(site), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    old, new = parse(text), parse(Path(run.last_line).read_text(encoding="utf-8"))
    assert new.part_keys == old.part_keys
    record = read_record(Path(run.last_line))
    rewritten = set(record.refresh.parts)
    assert {"cases", "title", "description", "related", "json_ld"} <= rewritten
    assert [r.code for r in record.refresh.reasons].count("links.related") == 2
    assert [name for name, _ in new.post_urls] == [kept], "Jekyll would stop on a post_url to a post that is gone"
    for part in old.part_keys:
        if part not in rewritten and part != "json_ld":
            assert part_bytes(new, part) == part_bytes(old, part), part
    assert "![成功事例と期待できる効果に関連するイメージ]" in part_bytes(new, "cases"), "the image line stays"
    assert "約30%" not in new.prose_text()


def test_a_step_with_a_figure_keeps_its_labels(llm, genpost, tmp_path, site):
    text = OLD_POST.read_text(encoding="utf-8")
    at = text.index("- **実行内容:**", text.index("### ステップ2", text.index("## 実践ステップ")))
    text = text[:at] + "この手順で配信数が2倍に増えました。\n\n" + text[at:]
    post = site / "_posts" / "2025-12-11-old-generator.md"
    post.write_text(text, encoding="utf-8")
    run = genpost("refresh", post.name, "--site", str(site), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    new = parse(Path(run.last_line).read_text(encoding="utf-8"))
    step = [b for b in new.of_part("step2") if b.kind.value == "step_label"]
    assert [b.label for b in step] == ["実行内容", "指標", "注意点"]
    assert "2倍" not in " ".join(b.text for b in new.of_part("step2"))


def one_line_error(run: CliRun, code: int, words: str) -> None:
    assert run.code == code, (run.code, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("genpost: error: ") and words in lines[0], run.stderr
    assert "Traceback" not in run.stderr


def test_bad_input_is_one_line_and_never_a_traceback(llm, genpost, tmp_path, site):
    out = str(tmp_path / "out")
    posts = site / "_posts"
    outside = tmp_path / "elsewhere" / "2025-01-01-stranger.md"
    outside.parent.mkdir()
    outside.write_text('---\ntitle: "2020年の話"\n---\n\n本文です。\n', encoding="utf-8")
    (posts / "2025-02-02-linked.md").symlink_to(outside)
    (posts / "2025-03-03-broken.md").write_text('---\ntitle: "壊れた: "引用"\n---\n\n本文です。\n', encoding="utf-8")
    (posts / "2025-04-04-kept.md").write_text(
        '---\ntitle: "2020年の話"\nrefresh: keep\n---\n\n本文。\n', encoding="utf-8"
    )

    def refresh(*args: str) -> CliRun:
        return genpost("refresh", *args, "--site", str(site), "--out", out)

    one_line_error(refresh("2025-09-09-missing.md"), 2, "no post")
    one_line_error(refresh(str(outside)), 2, "is not a post of")
    one_line_error(refresh("2025-02-02-linked.md"), 2, "is not a post of")
    one_line_error(refresh("2025-03-03-broken.md"), 1, "the front matter cannot be read")
    (posts / "2025-03-04-latin1.md").write_bytes('---\ntitle: "café"\n---\n\nbody\n'.encode("latin-1"))
    one_line_error(refresh("2025-03-04-latin1.md"), 1, "cannot be read (UnicodeDecodeError)")
    one_line_error(refresh("2025-04-04-kept.md"), 2, "refresh: keep")
    one_line_error(refresh(), 2, "either --list or one POST")
    one_line_error(refresh("--list", "2025-04-04-kept.md"), 2, "either --list or one POST")
    one_line_error(refresh("--list", "--sources", "https://example.com/"), 2, "--sources and --search")
    one_line_error(genpost("refresh", "--list", "--site", str(tmp_path / "nothing")), 2, "has no _posts/")
    listing = refresh("--list")
    assert listing.code == 0 and "2025-03-03-broken.md: the front matter cannot be read" in listing.stderr
    assert "kept" not in listing.stdout and "linked" not in listing.stdout, "a link out of the site is not read"
    nothing = refresh("2025-12-15-冬のキャンプ道具の選び方5選")
    assert nothing.code == 0 and "has nothing that aged" in nothing.stderr and not list(Path(out).glob("*.md"))


# --- the pieces ------------------------------------------------------------------------------------------------------


def test_front_matter_lines_are_rewritten_in_place_block_lists_and_crlf_too():
    source = "---\r\ntitle: 古い\r\ntags:\r\n  - a 2019\r\n  - b\r\n# メモ\r\nlayout: post\r\n---\r\n"
    front = FrontMatter({"title": "古い", "tags": ["a 2019", "b"], "layout": "post"}, source=source)
    new = front.with_fields(tags=["a 2026", "b"], last_modified_at=datetime(2026, 5, 1, tzinfo=UTC))
    assert new.to_yaml() == (
        "---\r\ntitle: 古い\r\ntags: [a 2026, b]\r\n# メモ\r\nlayout: post\r\n"
        "last_modified_at: 2026-05-01T00:00:00.000Z\r\n---\r\n"
    )
    assert parse(new.to_yaml() + "\r\n本文\r\n").front.fields["tags"] == ["a 2026", "b"]


def test_only_past_years_are_made_this_year():
    assert bump_years("2019年版と２０２０年、2031年、西暦12345年", 2026) == "2026年版と2026年、2031年、西暦12345年"


def test_the_path_the_list_prints_names_its_post_from_anywhere(case, tmp_path, monkeypatch):
    """`refresh --list` prints `_posts/NAME`; that path is taken as the site's, whatever the working folder."""
    from pipeline.refresh.run import resolve_post

    printed = next(iter(listed(case.second)))
    monkeypatch.chdir(tmp_path)
    assert printed.startswith("_posts/") and resolve_post(case.site, printed) == case.site / printed
    (tmp_path / "_posts").mkdir()
    (tmp_path / printed).write_text("---\ntitle: a\n---\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not a post of"):
        resolve_post(case.site, str(tmp_path / printed))


def test_a_crlf_post_stays_crlf_and_keeps_its_mode_through_refresh_and_publish(llm, genpost, tmp_path, site):
    name = "2025-12-12-aiマーケティングツール比較-2025年版10選.md"
    post = site / "_posts" / name
    post.write_bytes(post.read_text(encoding="utf-8").replace("\n", "\r\n").encode("utf-8"))
    post.chmod(0o664)
    run = genpost("refresh", name, "--site", str(site), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line).read_bytes()
    assert draft.count(b"\n") > 5 and draft.count(b"\n") == draft.count(b"\r\n"), "every line break is CR LF"
    published = genpost("publish", run.last_line, "--site", str(site))
    assert published.code == 0, published.stderr
    raw = post.read_bytes()
    assert raw == draft and raw.count(b"\n") == raw.count(b"\r\n")
    assert oct(post.stat().st_mode & 0o777) == "0o664"
    tags = parse(raw.decode("utf-8")).front["tags"]
    assert str(TODAY.year - 1) not in " ".join(tags) and any(str(TODAY.year) in t for t in tags), "years in tags too"


def test_a_crlf_post_with_headings_lists_and_footnotes_is_refreshed_in_crlf_only(llm, genpost, tmp_path, site):
    days = Days(TODAY)
    text = multi(days, "https://example.com/steady").replace("\n", "\r\n")
    name = f"{days.recent}-multi.md"
    (site / "_posts" / name).write_bytes(text.encode("utf-8"))
    run = genpost("refresh", name, "--site", str(site), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    raw = Path(run.last_line).read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n") > 30 and b"\r\r" not in raw
    for kept in ("- 配信停止の理由を記録します。", "> 引用はそのまま残ります。", "## 配信リストの整え方"):
        assert f"{kept}\r\n".encode() in raw
