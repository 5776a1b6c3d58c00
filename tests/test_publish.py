"""genpost publish: the post into _posts/, download pings once per photo, refusals, clean front matter."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline.site import publish as publishing
from standins.unsplash_api import UnsplashFault
from tests.postparse import parse_post
from tests.test_review import draft


def test_post_carries_credits_and_publishing_pings_once(llm, unsplash, genpost, site, tmp_path):
    run = genpost(
        "--instinct",
        "learning",
        "--keywords",
        "AI マーケティング 最新トレンド",
        "--out",
        str(tmp_path / "out"),
        "--date",
        "2025-12-16T01:00:00Z",
    )
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    post = parse_post(draft)
    lines = post.body.splitlines()
    for alt, _ in post.images:
        below = lines[lines.index(next(line for line in lines if line.startswith(f"![{alt}]"))) + 1]
        assert below.startswith('<small class="photo-credit">Photo by <a href="https://unsplash.com/@')
    assert "アイキャッチ画像: Photo by" in post.body
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    assert all(i["credit"] and i["source"] == "unsplash" for i in record["images"])
    assert not unsplash.downloads()

    published = genpost("publish", str(draft), "--site", str(site))
    assert published.code == 0, published.stderr
    assert (site / "_posts" / draft.name).read_text(encoding="utf-8") == draft.read_text(encoding="utf-8")
    pings = unsplash.downloads()
    assert len(pings) == 4 and {p.path for p in pings} == {
        urlsplit(i["download_location"]).path for i in record["images"]
    }
    assert all(p.headers["Authorization"] == f"Client-ID {unsplash.key}" for p in pings)

    again = genpost("publish", str(draft), "--site", str(site))
    assert again.code == 0 and "already published" in again.stderr
    assert len(unsplash.downloads()) == 4, "a post is never pinged twice"
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    assert all(i["downloaded_at"] for i in record["images"])


def test_publish_refuses_bad_input(genpost, site, tmp_path):
    assert genpost("publish", str(tmp_path / "missing.md"), "--site", str(site)).code == 2
    wrong = tmp_path / "notes.md"
    wrong.write_text("x", encoding="utf-8")
    assert genpost("publish", str(wrong), "--site", str(site)).code == 2
    assert genpost("publish", str(wrong)).code == 2


@pytest.mark.parametrize("status", [403, 429, 500])
def test_failed_pings_stay_pending_and_retry_on_the_next_publish(
    llm, unsplash, genpost, site, tmp_path, monkeypatch, status
):
    config = tmp_path / "genpost.yml"
    config.write_text("images:\n  backoff_initial_s: 0.01\n", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(config))
    run = genpost("--instinct", "learning", "--keywords", "x", "--out", str(tmp_path))
    draft = Path(run.last_line)
    unsplash.inject(*[UnsplashFault(status=status)] * 3)
    first = genpost("publish", str(draft), "--site", str(site))
    assert first.code == 0 and "1 pending" in first.stderr
    second = genpost("publish", str(draft), "--site", str(site))
    assert second.code == 0 and "1 Unsplash download ping" in second.stderr
    assert len({p.path for p in unsplash.downloads()}) == 4


def test_related_links_that_point_nowhere_block_publishing(llm, genpost, tmp_path, site):
    path = draft(genpost, tmp_path / "out", site)
    name = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["related"][0]["name"]
    (site / "_posts" / f"{name}.md").unlink()
    refused = genpost("publish", str(path), "--site", str(site))
    assert refused.code == 1 and "links.related" in refused.stderr
    assert genpost("publish", str(path), "--site", str(site), "--force").code == 0


def test_publishing_strips_review_only_fields(llm, genpost, tmp_path, site):
    path = draft(genpost, tmp_path / "out")
    text = path.read_text(encoding="utf-8").replace("featured: true\n", 'featured: true\nreview_note: "要修正"\n')
    path.write_text(text, encoding="utf-8")
    assert genpost("publish", str(path), "--site", str(site), "--force").code == 0
    published = parse_post(site / "_posts" / path.name)
    assert "review_note" not in published.front and published.front["title"] == parse_post(path).front["title"]
    assert list(published.front)[-1] == "seo_keywords"


def test_publish_reads_the_draft_once(llm, genpost, tmp_path, site, monkeypatch):
    reads = []
    real = publishing.parse
    monkeypatch.setattr(publishing, "parse", lambda text: reads.append(text) or real(text))
    path = draft(genpost, tmp_path / "out")
    assert genpost("publish", str(path), "--site", str(site), "--force").code == 0
    assert len(reads) == 1, "what the site receives, the check and the commit message come from one reading"
