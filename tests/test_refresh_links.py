"""A refresh on a site with a voice and in-prose links (issue 30 item 3): the rewrite is asked for in the site's
voice; each link of a rewritten part is shown as a numbered link to keep (never its URL) and comes back as the
link it was; a link the answer drops is put back on its anchor, or named as lost. A refresh passes the stages a
new post passes: its rewritten parts are checked, mended and written again by the gate's rounds, no other part
is touched, each stage is kept in the record, and CR LF stays CR LF through every round."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.instincts import load_instincts
from pipeline.llm.server_support import assume_everything
from pipeline.voice.measure import measure
from pipeline.voice.profile import write_voice
from standins.fake_writer import FakeWriter
from standins.openai_api import OpenAIStandIn
from tests.conftest import PLANTED_KEY
from tests.voicesites import PLAIN_SITE, build_site

LINKED = ("2026-11-20-voice-002", "2026-11-19-voice-003")  # two posts of the fixture site the post links to
NAME = "2026-03-02-ai-trend.md"
# A である post of the site whose first H2 names last year as this year's: that part is rewritten.
POST = f"""---
layout: blog-post
title: "2025年のAIマーケティング最新トレンド"
date: 2026-03-02 09:00:00
categories: [AIマーケティング]
tags: ["AIマーケティング"]
author: "LeadFive"
seo_keywords: ["AI マーケティング 最新トレンド"]
---

AIの使い方は年ごとに変わる。ここでは現場で使える形に整理する。

## 方法1　2025年の最新トレンドを押さえる

今年の要点は下書きの型にある。[下書きの型を整える手順]({{% post_url {LINKED[0]} %}})を先に読むと理解が早い。

- **ポイント1:** 指示文を短くする。
- **ポイント2:** [分析の結果]({{{{ site.baseurl }}}}{{% post_url {LINKED[1]} %}})を週に一度見直す。

## 方法2　続ける仕組みを作る

続けるには記録が要る。担当を決めて毎週見直すのである。
"""


def _current(prompt: str) -> str:
    """The part's text as the refresh prompt shows it."""
    return prompt.split("【いまの本文】\n", 1)[1].split("\n\nこの記事はすでに", 1)[0].strip()


class Echo(FakeWriter):
    """Writes a refreshed part back as it was shown, with this year's year; `links`: what it does with a link."""

    def __init__(self, links: str) -> None:
        super().__init__()
        self.links = links

    def prose(self, prompt: str, keyword: str) -> str:
        if "【いまの本文】" not in prompt:
            return super().prose(prompt, keyword)
        text = _current(prompt).replace("2025年", "2026年")
        if self.links == "plain":  # the anchors stay, the links do not
            text = re.sub(r"\[([^\]]+)\]\(K\d+\)", r"\1", text)
        elif self.links == "drop":  # other words altogether
            text = "今年の要点は指示文の短さにある。毎週の見直しで差が出る。\n\n- **ポイント1:** 記録を残す。"
        return text


@pytest.fixture
def voiced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A である site with voice.yml measured from it, and the linked post to refresh."""
    built = build_site(tmp_path / "site", PLAIN_SITE, 12, date(2026, 11, 21))
    home = tmp_path / "home"
    home.mkdir()
    (home / "genpost.yml").write_text("sources:\n  cache_hours: 0\n", encoding="utf-8")
    write_voice(measure(built.root, 12, date(2026, 12, 1), load_instincts()), home / "voice.yml")
    monkeypatch.setenv("GENPOST_CONFIG", str(home / "genpost.yml"))
    (built.root / "_posts" / NAME).write_text(POST, encoding="utf-8")
    return built.root


@contextmanager
def _serve(writer: FakeWriter, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn(writer=writer) as server:
        assume_everything(server.base_url)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", PLANTED_KEY)
        yield server


def _refresh(genpost, site: Path, out: Path) -> tuple[str, dict[str, Any]]:
    run = genpost("refresh", f"_posts/{NAME}", "--site", str(site), "--out", str(out))
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    return draft.read_text(encoding="utf-8"), json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))


def test_the_rewrite_is_asked_in_the_sites_voice_with_its_links_to_keep(voiced, genpost, tmp_path, monkeypatch):
    with _serve(Echo("keep"), monkeypatch) as server:
        text, record = _refresh(genpost, voiced, tmp_path / "out")
        bodies = [b for b in server.chat_bodies() if "【いまの本文】" in json.dumps(b, ensure_ascii=False)]
    assert bodies, "the part under the dated heading was rewritten"
    system = "\n".join(m["content"] for m in bodies[0]["messages"] if m["role"] == "system")
    prompt = "\n".join(m["content"] for m in bodies[0]["messages"] if m["role"] == "user")
    assert "【このサイトの文体】" in system and "である" in system and "「です・ます」調に統一" not in system
    shown = _current(prompt)
    assert "[下書きの型を整える手順](K1)" in shown and "[分析の結果](K2)" in shown
    assert "post_url" not in prompt and "voice-002" not in prompt, "the model never sees where a link leads"
    assert "【残すリンク】" in prompt
    for name in LINKED:
        assert text.count(f"{{% post_url {name} %}}") == 1, name
    assert "2026年の最新トレンドを押さえる" in text
    assert f"[分析の結果]({{{{ site.baseurl }}}}{{% post_url {LINKED[1]} %}})" in text, "a link keeps its own form"
    assert not [f for f in record["findings"] if f["rule"] == "refresh.link-lost"]


def test_a_link_the_answer_wrote_as_plain_text_is_put_back_on_its_anchor(voiced, genpost, tmp_path, monkeypatch):
    with _serve(Echo("plain"), monkeypatch):
        text, record = _refresh(genpost, voiced, tmp_path / "out")
    assert f"[下書きの型を整える手順]({{% post_url {LINKED[0]} %}})" in text
    assert f"[分析の結果]({{{{ site.baseurl }}}}{{% post_url {LINKED[1]} %}})" in text
    assert not [f for f in record["findings"] if f["rule"] == "refresh.link-lost"]


def test_a_link_no_anchor_can_carry_back_is_named_lost(voiced, genpost, tmp_path, monkeypatch):
    with _serve(Echo("drop"), monkeypatch):
        text, record = _refresh(genpost, voiced, tmp_path / "out")
    lost = [f for f in record["findings"] if f["rule"] == "refresh.link-lost"]
    assert [f["severity"] for f in lost] == ["error", "error"]
    assert "下書きの型を整える手順" in lost[0]["message_ja"] and LINKED[0] in lost[0]["message_ja"]
    assert "post_url" not in text.split("## 方法2")[0].split("## 方法1")[1], "the rewritten part holds no link"


# --- through the stages a new post passes (pipeline/writing/stages.py): the gate's rounds over the rewritten parts

CHINESE = "自動化和効率的な使用で、市場分析的スキル提升が可能です。"  # the gate's script.chinese-pattern


class ChineseOnce(Echo):
    """Writes the refreshed part back with a Chinese sentence the first time, cleanly when told what was found."""

    def __init__(self) -> None:
        super().__init__("keep")
        self.prompts: list[str] = []

    def prose(self, prompt: str, keyword: str) -> str:
        text = super().prose(prompt, keyword)
        if "【いまの本文】" not in prompt:
            return text
        self.prompts.append(prompt)
        return text.replace(f"\n\n{CHINESE}", "") if len(self.prompts) > 1 else f"{text}\n\n{CHINESE}"


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_refreshed_part_the_gate_fails_is_written_again_and_nothing_else(voiced, genpost, tmp_path, monkeypatch, eol):
    path = voiced / "_posts" / NAME
    path.write_bytes(POST.replace("\n", eol).encode("utf-8"))
    writer = ChineseOnce()
    with _serve(writer, monkeypatch):
        text, record = _refresh(genpost, voiced, tmp_path / "out")
    assert len(writer.prompts) == 2, "the part was rewritten, then written again by the gate's round"
    assert CHINESE not in text and "中国語" in _current(writer.prompts[1]) + writer.prompts[1]
    assert record["refresh"]["parts"] == ["s1", "title"], "the part under the dated heading, and the title"
    assert [r["parts"] for r in record["rewrites"]] == [["s1"]]
    assert [s["stage"] for s in record["stages"]] == ["mend", "redraft", "mend", "redraft", "mend"]
    redrafts = [s for s in record["stages"] if s["stage"] == "redraft"]
    assert redrafts[0]["changed"] == ["s1"] and redrafts[1]["changed"] == [], "the second round found nothing to fix"
    assert not [f for f in record["findings"] if f["rule"].startswith("script.")]
    assert "## 方法2　続ける仕組みを作る" in text and "担当を決めて毎週見直すのである。" in text
    raw = (tmp_path / "out").glob("*.md")
    data = next(raw).read_bytes()
    if eol == "\r\n":
        assert data.count(b"\n") == data.count(b"\r\n"), "every line of the draft ends in CR LF"
    else:
        assert b"\r" not in data
    assert not [f for f in record["findings"] if f["rule"] == "refresh.link-lost"], "links survive both rounds"
