"""Grounded drafting end to end: sources in, passages to the prompts, footnotes out, citations checked."""

from __future__ import annotations

import json
import re
from pathlib import Path

from standins.fake_writer import PASSAGE, FakeWriter
from tests.postparse import parse_post

KEYWORD = "AI マーケティング 最新トレンド"


def write(genpost, out: Path, *extra: str):
    return genpost("--instinct", "learning", "--keywords", KEYWORD, "--out", str(out), *extra)


def record_of(run) -> dict:
    return json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))


def test_a_cited_figure_becomes_a_footnote_on_its_source(llm, web, genpost, tmp_path, site):
    run = write(
        genpost, tmp_path / "out", "--sources", web.url("survey.html"), web.url("report.pdf"), "--site", str(site)
    )
    assert run.code == 0, run.stderr
    text = Path(run.last_line).read_text(encoding="utf-8")
    post = parse_post(text)
    assert not re.search(r"\[S\d+\]", text), "no raw marker reaches the post"
    refs = re.findall(r"\[\^(\d+)\](?!:)", post.body)
    definitions = dict(re.findall(r"^\[\^(\d+)\]: (.+)$", post.body, re.MULTILINE))
    assert refs and set(refs) == set(definitions), "every footnote cited and defined"
    assert sorted(set(refs), key=refs.index) == sorted(definitions), "numbered in order of first use"
    assert any(
        "生成AI活用実態調査2026 — Example Research (閲覧日 " in d and web.url("survey.html") in d
        for d in definitions.values()
    )
    assert post.body.index("[^1]: ") < post.body.index('<div class="related-posts">'), "before the related posts"
    assert {c["url"] for c in post.json_ld["citation"]} <= {web.url("survey.html"), web.url("report.pdf")}

    record = record_of(run)
    assert [s["location"] for s in record["sources"]] == [web.url("survey.html"), web.url("report.pdf")]
    assert all(s["fetched_at"] and len(s["sha256"]) == 64 and "text" not in s for s in record["sources"])
    assert record["given"]["background.1"] and {p["id"] for p in record["passages"]} >= set(record["given"]["lead"])
    kept = [c for c in record["citations"] if c["kept"]]
    assert kept and all(c["footnote"] for c in kept)
    assert not [x for x in record["findings"] if x["rule"].startswith("claims.")], (
        "the figures are what the sources say"
    )

    prompts = [b["messages"][-1]["content"] for b in llm.chat_bodies()]
    quoted = [p for p in prompts if "【使える資料】" in p]
    assert len(quoted) >= 10 and all(PASSAGE.search(p) for p in quoted), "`[S1] text (title)` in the prompts"
    plans = [
        b
        for b in llm.chat_bodies()
        if b.get("response_format", {}).get("json_schema", {}).get("name") in ("briefs", "metadata")
    ]
    assert len(plans) == 2 and all(
        "生成AI活用実態調査2026: 生成AI活用実態調査2026" in b["messages"][-1]["content"] for b in plans
    ), "both planning calls see the titles"

    check = genpost("check", run.last_line, "--site", str(site))
    assert "claims." not in check.stdout, "genpost check reads the footnotes, with the record's passages"


class LyingWriter(FakeWriter):
    """A model that cites a passage for a figure the passage does not hold."""

    def citation(self, prompt: str) -> str:
        found = PASSAGE.search(prompt)
        return f"導入した企業の売上は99.9%伸びました。[S{found.group(1)}]" if found else ""


def test_a_citation_the_source_does_not_support_is_an_error(llm, web, genpost, tmp_path):
    llm.writer = LyingWriter()
    run = write(genpost, tmp_path, "--sources", web.url("survey.html"))
    assert run.code == 0, run.stderr
    unsupported = [x for x in record_of(run)["findings"] if x["rule"] == "claims.unsupported"]
    assert unsupported and all(x["figure"] == "99.9%" and "出典と合いません" in x["message_ja"] for x in unsupported)


class InventingWriter(FakeWriter):
    """A model that states a figure and cites nothing."""

    def citation(self, prompt: str) -> str:
        return "この手法で成約率は約25%上がります。" if "成功事例と期待できる効果」の本文" in prompt else ""


def test_an_invented_figure_stays_flagged(llm, web, genpost, tmp_path):
    llm.writer = InventingWriter()
    run = write(genpost, tmp_path, "--sources", web.url("survey.html"))
    unsourced = [x for x in record_of(run)["findings"] if x["rule"] == "claims.unsourced"]
    assert unsourced and {x["figure"] for x in unsourced} == {"約25%"}


class StrayWriter(FakeWriter):
    """A model that cites a passage it was never given."""

    def citation(self, prompt: str) -> str:
        return "詳しい数字は別の資料にあります。[S999]" if "【使える資料】" in prompt else ""


def test_a_marker_naming_no_given_passage_is_dropped_and_recorded(llm, web, genpost, tmp_path):
    llm.writer = StrayWriter()
    run = write(genpost, tmp_path, "--sources", web.url("survey.html"))
    text = Path(run.last_line).read_text(encoding="utf-8")
    assert "S999" not in text and "[^" not in text
    dropped = [c for c in record_of(run)["citations"] if not c["kept"]]
    assert dropped and all(c["marker"] == "S999" and c["reason"] == "no such passage was given" for c in dropped)


def test_a_dead_source_costs_a_line_not_the_run(llm, web, genpost, tmp_path):
    run = write(genpost, tmp_path, "--sources", web.url("missing.html"), web.url("survey.html"))
    assert run.code == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if "missing.html" in line]
    assert len(lines) == 1 and "HTTP 404" in lines[0]
    assert [s["location"] for s in record_of(run)["sources"]] == [web.url("survey.html")]


def test_with_no_usable_source_the_run_behaves_as_before_and_says_so(llm, web, genpost, tmp_path):
    run = write(genpost, tmp_path, "--sources", web.url("missing.html"))
    assert run.code == 0, run.stderr
    assert "none could be used" in run.stderr
    record = record_of(run)
    assert record["sources"] == [] and record["citations"] == []
    assert not any("【使える資料】" in b["messages"][-1]["content"] for b in llm.chat_bodies())
    assert "[^" not in Path(run.last_line).read_text(encoding="utf-8")


class EchoingWriter(FakeWriter):
    """A model that copies its passages into the post, Liquid and HTML included."""

    def citation(self, prompt: str) -> str:
        found = PASSAGE.search(prompt)
        return f"{found.group(2)}[S{found.group(1)}]" if found else ""


def test_liquid_and_html_in_a_fetched_page_stay_inert(llm, web, genpost, tmp_path):
    llm.writer = EchoingWriter()
    run = write(genpost, tmp_path, "--sources", web.url("hostile.html"))
    assert run.code == 0, run.stderr
    body = parse_post(Path(run.last_line)).body.split('<script type="application/ld+json">')[0]
    assert "{%" not in body and "{{ site.github" not in body.replace("{{ site.baseurl }}", "")
    assert "<script>" not in body


def test_bad_sources_are_usage_errors(llm, genpost, tmp_path):
    assert write(genpost, tmp_path, "--sources", str(tmp_path / "nope.md")).code == 2
    assert write(genpost, tmp_path, "--sources", "ftp://example.com/x.pdf").code == 2
    refused = write(genpost, tmp_path, "--search")
    assert refused.code == 2 and "sources.search" in refused.stderr


def test_batch_rows_carry_sources(llm, web, genpost, tmp_path):
    sets = tmp_path / "sets.yml"
    sets.write_text(
        f"- {{instinct: play, keywords: [ゲーム化 マーケティング], sources: ['{web.url('survey.html')}']}}\n", "utf-8"
    )
    run = genpost("batch", "--file", str(sets), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    assert [s["location"] for s in record_of(run)["sources"]] == [web.url("survey.html")]


def test_the_library_grounds_the_days_post(llm, web, genpost, tmp_path, monkeypatch):
    library = tmp_path / "library"
    library.mkdir()
    (library / "case.md").write_text(
        "# 社内事例\n\nメールの件名を変えた結果、開封率は18%から27%に上がりました。配信数は同じです。", "utf-8"
    )
    config = tmp_path / "genpost.yml"
    config.write_text(f"sources:\n  library: {library}\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    run = genpost("--auto", "--date", "2026-11-23T09:00:00+09:00", "--out", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    record = record_of(run)
    assert [s["kind"] for s in record["sources"]] == ["library"]
    definitions = re.findall(r"^\[\^\d+\]: (.+)$", Path(run.last_line).read_text(encoding="utf-8"), re.MULTILINE)
    assert definitions and str(library) not in definitions[0] and "社内事例 — library" in definitions[0]


def test_an_editors_own_footnote_counts_as_a_source(genpost, tmp_path):
    from tests.test_quality import clean_post

    post = tmp_path / "2025-12-15-x.md"
    text = clean_post().replace("AI マーケティング 最新トレンドを学びましょう。", "利用率は約15%です[^1]。", 1)
    post.write_text(
        text.replace('<div class="cta-section">', '[^1]: 総務省 通信利用動向調査\n\n<div class="cta-section">'), "utf-8"
    )
    assert "claims." not in genpost("check", str(post)).stdout
    bare = post.read_text(encoding="utf-8").replace("[^1]: 総務省 通信利用動向調査\n", "")
    post.write_text(bare, "utf-8")
    assert "[claims.footnote]" in genpost("check", str(post)).stdout, "a mark without its definition"


def test_the_review_app_shows_the_sources_and_links_footnotes_to_passages(llm, web, genpost, tmp_path):
    from starlette.testclient import TestClient

    from pipeline.config import load_settings
    from pipeline.instincts import load_instincts
    from pipeline.review.app import create_app

    out = tmp_path / "out"
    run = write(genpost, out, "--sources", web.url("survey.html"))
    page = (
        TestClient(create_app(out, None, load_settings(), load_instincts(), allowed_hosts=["testserver"]))
        .get(f"/drafts/{Path(run.last_line).name}")
        .text
    )
    assert "資料（1 件）" in page and "生成AI活用実態調査2026" in page and "取得 ・ sha256" in page
    assert '<li id="fn1" class="footnote-item"><p>' in page and 'href="#source-note-1"' in page
    note = page[page.index('id="source-note-1"') :]
    assert "<blockquote>[S" in note and "43.7%" in note


def test_a_footnote_definition_nothing_cites_is_kept_and_reported():
    from pipeline.document import FOOTNOTES, Kind
    from pipeline.parse import parse
    from pipeline.quality import check_text
    from tests.test_quality import INSTINCTS, SETTINGS, clean_post

    cited = clean_post().replace("AI マーケティング 最新トレンドを学びましょう。", "利用率は約15%です[^1]。", 1)
    notes = "[^1]: 総務省 通信利用動向調査\n\n[^2]: 本文のどこからも引かれない資料\n\n"
    text = cited.replace('<div class="cta-section">', notes + '<div class="cta-section">')
    doc = parse(text)
    assert doc.to_markdown() == text, "read and written back byte for byte"
    (second,) = [b for b in doc.of_kind(Kind.CITATION) if b.label == "2"]
    assert second.part == FOOTNOTES and second.text == "本文のどこからも引かれない資料"
    footnote = [f for f in check_text(text, SETTINGS, INSTINCTS) if f.rule == "claims.footnote"]
    assert [(f.severity, f.message_ja) for f in footnote] == [("warning", "脚注 [^2] は本文で使われていません")]
    alone = text.replace("利用率は約15%です[^1]。", "利用率の話です。", 1)
    labels = sorted(f.message_ja for f in check_text(alone, SETTINGS, INSTINCTS) if f.rule == "claims.footnote")
    assert labels == ["脚注 [^1] は本文で使われていません", "脚注 [^2] は本文で使われていません"], "no mark at all"
