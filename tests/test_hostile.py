"""Hostile keywords and model output: no live Liquid, no raw HTML, valid YAML and JSON-LD, safe paths."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from standins.fake_writer import HostileWriter
from standins.openai_api import Fault
from tests.conftest import PLANTED_KEY, jekyll_path
from tests.postparse import parse_post

HOSTILE_KEYWORD = 'AI {{ site.x }} "q": ../x'
OUR_LIQUID = re.compile(r"\{\{ site\.baseurl \}\}\{% post_url [^%]+ %\}")


def hostile_run(llm, genpost, out: Path, site: Path | None = None, *extra: str):
    llm.writer = HostileWriter()
    args = [
        "--instinct",
        "learning",
        "--keywords",
        HOSTILE_KEYWORD,
        "{% include x.html %}",
        "--out",
        str(out),
        "--theme",
        "<b>テーマ</b> {{ page }}",
        "--date",
        "2025-12-16T01:00:00Z",
        *extra,
    ]
    if site:
        args += ["--site", str(site)]
    return genpost(*args)


def test_hostile_text_stays_inert(llm, genpost, tmp_path, site):
    run = hostile_run(llm, genpost, tmp_path / "out", site)
    assert run.code == 0, run.stderr
    path = Path(run.last_line)
    assert path.parent == tmp_path / "out" and "/" not in path.name and ".." not in path.name
    text = path.read_text(encoding="utf-8")
    post = parse_post(path)

    # The only live Liquid is the assembler's own related-post links.
    body_without_ours = OUR_LIQUID.sub("", post.body)
    assert "{{" not in body_without_ours and "{%" not in body_without_ours
    # No raw HTML from a keyword or the model: only the assembler's blocks carry tags.
    assert "<script>alert" not in text and "<b>" not in post.body
    assert "javascript:" not in post.body
    assert post.body.count("<script") == 1 and post.body.count("</script>") == 1
    # Front matter is whole and means what it says.
    front = yaml.safe_load(post.front_text)
    assert front["seo_keywords"][0] == HOSTILE_KEYWORD and front["layout"] == "blog-post"
    assert "{{ x }}" in front["title"] and front["categories"] == ["<b>テーマ</b> {{ page }}"]
    assert post.json_ld["headline"] == front["title"]
    # A heading written by the model was cut, not kept.
    assert "## 見出し" not in post.body


def test_hostile_post_builds_in_jekyll(llm, genpost, tmp_path, site):
    jekyll = jekyll_path()
    if jekyll is None:
        import pytest

        pytest.skip("jekyll is not installed")
    run = hostile_run(llm, genpost, tmp_path / "out", site)
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    (site / "_posts" / draft.name).write_text(draft.read_text(encoding="utf-8"), encoding="utf-8")
    proc = subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr  # a live {% include x.html %} would fail here
    html = next(p for p in (site / "_site").rglob("*.html") if 'data-instinct="learning"' in p.read_text("utf-8"))
    page = html.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "{% include" in page, "the include is shown as text, not run"


def test_keys_never_leak_after_success_or_failure(llm, genpost, tmp_path, monkeypatch):
    out = tmp_path / "out"
    ok = hostile_run(llm, genpost, out, None, "-v")
    assert ok.code == 0
    llm.reset()
    llm.down = Fault(status=401, message=f"Incorrect API key provided: {PLANTED_KEY}")
    failed = genpost("--instinct", "play", "--keywords", "ゲーム化", "--out", str(out), "-v")
    assert failed.code == 1
    outputs = [ok.stdout, ok.stderr, failed.stdout, failed.stderr]
    outputs += [p.read_bytes().decode("utf-8", errors="replace") for p in out.rglob("*") if p.is_file()]
    assert len(outputs) > 4 and any(p.name == "memory.sqlite" for p in out.rglob("*"))
    assert all(PLANTED_KEY not in text for text in outputs)
    assert all(PLANTED_KEY[-10:] not in text for text in outputs)
