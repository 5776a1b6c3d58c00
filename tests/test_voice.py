"""The site's voice (issue 25): measured from two fixture sites of known figures, kept in voice.yml and edited
there, compared with the site again, stated in the drafting and polish prompts, and held to by the gate."""

from __future__ import annotations

import json
import re
import shutil
import statistics
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.cli.common import judged_by
from pipeline.config import Settings
from pipeline.instincts import load_instincts
from pipeline.parse import parse
from pipeline.prompts import PromptBook
from pipeline.quality import check_text
from pipeline.review.app import create_app
from pipeline.voice.follow import fit_lengths, prompt_voice
from pipeline.voice.measure import measure, quartiles
from pipeline.voice.profile import VoiceProfile, load_voice, write_voice
from pipeline.voice.prose import read_sentence
from tests.conftest import DATE, record_of, write_post
from tests.test_editor import form_of
from tests.voicesites import PLAIN_SITE, POLITE_SITE, Built, add_post, build_site

INSTINCTS = load_instincts()
POSTS = 12
NEWEST = date(2025, 11, 30)  # the fixture sites' newest post; drafts are dated after it (conftest's DATE)
TODAY = date(2025, 12, 10)
SHAPE = {"structure.h2", "images.credit", "cta.missing", "numbers.reading-time"}  # the false errors
# The rules a site's format and voice bear on: none of them may fault the site's own posts.
FORMAT_AND_STYLE = ("structure.", "images.", "cta.", "numbers.", "frontmatter.", "jsonld.", "style.", "voice.")


@dataclass
class Site:
    """A fixture site, what was written into it, its voice, and a genpost home with voice.yml beside genpost.yml."""

    built: Built
    voice: VoiceProfile
    home: Path

    @property
    def root(self) -> Path:
        return self.built.root

    def posts(self) -> list[Path]:
        return sorted((self.root / "_posts").glob("*.md"))


def _site(base: Path, kind, seed: int) -> Site:
    built = build_site(base / "site", kind, POSTS, NEWEST, seed)
    home = base / "home"
    home.mkdir()
    (home / "genpost.yml").write_text("site:\n  name: Voice Fixture\n", encoding="utf-8")
    voice = measure(built.root, 20, TODAY, INSTINCTS)
    write_voice(voice, home / "voice.yml")
    return Site(built, voice, home)


@pytest.fixture(scope="module")
def polite(tmp_path_factory) -> Site:
    return _site(tmp_path_factory.mktemp("polite"), POLITE_SITE, 0)


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Site:
    return _site(tmp_path_factory.mktemp("plain"), PLAIN_SITE, 5000)


def use(site: Site, monkeypatch) -> None:
    """Run genpost with the site's home: its genpost.yml, and voice.yml beside it."""
    monkeypatch.setenv("GENPOST_CONFIG", str(site.home / "genpost.yml"))


def one_line_error(run) -> None:
    assert run.code == 2, (run.code, run.stderr)
    assert run.stderr.startswith("genpost: error: ") and run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stderr


# --- measuring ---------------------------------------------------------------------------------------


def test_the_polite_site_measures_as_written(polite):
    voice, built = polite.voice, polite.built
    assert voice.measured.posts == POSTS and voice.measured.last == NEWEST
    assert voice.style.main == "です・ます" and voice.style.polite == 1.0 and voice.style.tolerance == 0.0
    q1, median, q3 = quartiles(built.lengths())
    assert (voice.sentence_length.q1, voice.sentence_length.median, voice.sentence_length.q3) == (
        round(q1),
        round(median),
        round(q3),
    )
    assert voice.body_length.median == round(statistics.median(built.bodies))
    low, high = voice.body_length.range
    assert low <= min(built.bodies) and max(built.bodies) <= high
    assert voice.sections.median == 5 and voice.sections.range == (5, 5) and voice.sections.numbered == 0.0
    assert voice.lists.posts == 1.0
    assert voice.format.images == 1.0 and voice.format.credited == 1.0 and voice.format.cta == 1.0
    assert voice.format.reference == 0.0  # its H2s are not genpost's reference ones
    assert 400 <= voice.format.reading_rate <= 500  # stated at 500 characters a minute, rounded up
    assert {"featured", "image", "instinct"} <= set(voice.format.front_matter)
    assert {"まず", "例えば", "実際"} <= set(voice.openers.words)  # what the builder opens sentences with
    assert set(voice.openers.words) <= set(built.openers) | {"この"}  # この段階では → この
    assert "いかがでしたか" in voice.avoid.phrases and "例えば" in voice.connectives.words


def test_the_plain_site_measures_as_written(plain, polite):
    voice, built = plain.voice, plain.built
    styles = built.styles()
    share = styles["polite"] / (styles["polite"] + styles["plain"])  # one odd sentence in every fourth paragraph
    assert voice.style.main == "である"
    assert abs(voice.style.polite - share) < 0.001 and abs(voice.style.plain - (1 - share)) < 0.001
    per_post = [sum(s == "polite" for _, s in post) / len(post) for post in built.sentences]
    assert abs(voice.style.tolerance - max(per_post)) < 0.001  # the most a post of the site mixes
    assert voice.sentence_length.median == round(statistics.median(built.lengths()))
    assert voice.sentence_length.median < polite.voice.sentence_length.median  # shorter sentences, by construction
    assert voice.body_length.median == round(statistics.median(built.bodies))
    assert voice.sections.median == 6 and voice.sections.numbered == 1.0
    assert voice.format.images == 0.0 and voice.format.credited == 0.0 and voice.format.cta == 0.0
    assert voice.format.reading_rate <= 200  # stated at 200 characters a minute
    assert "featured" not in voice.format.front_matter and "image" in voice.format.front_matter


def test_sentence_endings_are_read_from_part_of_speech_and_conjugation():
    polite = ["準備が整います。", "試してみてください。", "大切なのでしょうか。", "成果が出ました。"]
    plain = ["準備が整う。", "これは重要である。", "継続が鍵だ。", "効果は高い。", "成果が出た。", "難しいだろうか。"]
    assert [read_sentence(s).style for s in polite] == ["polite"] * len(polite)
    assert [read_sentence(s).style for s in plain] == ["plain"] * len(plain)
    assert read_sentence("次の三つの視点。").style is None  # a noun closes it: neither style
    assert read_sentence("しかし、効果は限られる。").connectives == ("しかし",)
    assert read_sentence("実際、顧客は迷う。").opener == "実際"
    assert read_sentence("顧客は、迷う。").opener is None


def test_drafts_future_posts_and_older_posts_are_left_out(tmp_path):
    built = build_site(tmp_path / "site", PLAIN_SITE, 4, NEWEST, 900)
    add_post(built, PLAIN_SITE, date(2025, 12, 5), 90, extra_front="published: false\n")
    add_post(built, POLITE_SITE, date(2099, 1, 1), 91)
    voice = measure(built.root, 20, TODAY, INSTINCTS)
    assert voice.measured.posts == 4 and voice.measured.last == NEWEST
    assert voice.style.main == "である"  # the future post in です・ます did not count
    newest = measure(built.root, 2, TODAY, INSTINCTS)
    assert newest.measured.posts == 2 and newest.measured.first == date(2025, 11, 29)


# --- voice.yml -------------------------------------------------------------------------------------


def test_voice_yml_loads_back_as_written(polite):
    text = (polite.home / "voice.yml").read_text(encoding="utf-8")
    assert load_voice(polite.home / "voice.yml") == polite.voice
    figures = [line for line in text.splitlines() if line.startswith("  ")]
    assert figures and all("  # " in line for line in figures)  # each figure says what it means
    assert "# 文末の文体（です・ます／である／混在）" in text


def test_an_editor_edited_voice_yml_loads(plain, tmp_path):
    text = (plain.home / "voice.yml").read_text(encoding="utf-8")
    edited = (
        text.replace("main: である", "main: です・ます  # 編集部の判断で変更")
        .replace(f"median: {plain.voice.sentence_length.median}  #", f"median: {plain.voice.sentence_length.q1}  #", 1)
        .replace("# genpost voice", "# 編集メモ: 2026年春から文体を変える\n# genpost voice")
    )
    edited = "\n".join(line for line in edited.splitlines() if not line.startswith(("avoid:", "  phrases:")))
    path = tmp_path / "voice.yml"
    path.write_text(edited + "\n", encoding="utf-8")
    voice = load_voice(path)
    assert voice.style.main == "です・ます" and voice.sentence_length.median == plain.voice.sentence_length.q1
    assert voice.avoid is None and voice.openers == plain.voice.openers
    assert "ほかの指示" in PromptBook().text("system.j2", **_system_context(prompt_voice(voice)))
    assert prompt_voice(voice)["avoid"] == []


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (lambda t: t.replace("main: である", "main: ですます"), "style.main"),
        (lambda t: t.replace("  tolerance:", "  tolerence:"), "style.tolerance"),
        (lambda t: t.replace("section_range: [", "section_range: [99, "), "sentence_length.section_range"),
        (lambda t: t.replace("  q1:", "  q1: 9999\n  q0:", 1), "sentence_length"),
        (lambda t: t.replace("style:", "style: [", 1), "voice.yml:"),
        (lambda t: "- a list\n", "(top)"),
    ],
)
def test_a_broken_voice_yml_is_one_line_naming_it(plain, tmp_path, monkeypatch, genpost, change, names):
    home = tmp_path / "home"
    home.mkdir()
    (home / "genpost.yml").write_text("", encoding="utf-8")
    (home / "voice.yml").write_text(change((plain.home / "voice.yml").read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(home / "genpost.yml"))
    for run in (
        genpost("voice", "--site", str(plain.root), "--check"),
        genpost("check", str(plain.posts()[0]), "--site", str(plain.root)),
        write_post(genpost, tmp_path / "out", "--site", str(plain.root)),  # before any model call
    ):
        one_line_error(run)
        assert "voice.yml" in run.stderr and names in run.stderr


# --- the command -----------------------------------------------------------------------------------


def test_voice_writes_voice_yml_beside_genpost_yml(polite, tmp_path, monkeypatch, genpost):
    home = tmp_path / "home"
    home.mkdir()
    (home / "genpost.yml").write_text("", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(home / "genpost.yml"))
    run = genpost("voice", "--site", str(polite.root))
    assert run.code == 0, run.stderr
    assert run.last_line == str(home / "voice.yml")
    assert "12 post(s)" in run.stderr and "です・ます" in run.stderr
    written = load_voice(home / "voice.yml")
    assert written.model_dump(exclude={"measured"}) == polite.voice.model_dump(exclude={"measured"})
    again = genpost("voice", "--site", str(polite.root))  # an editor's file is not measured over unasked
    one_line_error(again)
    assert "--force" in again.stderr
    assert genpost("voice", "--site", str(polite.root), "--force", "--recent", "3").code == 0
    assert load_voice(home / "voice.yml").measured.posts == 3


def test_check_says_how_far_voice_yml_is_from_the_site_now(plain, tmp_path, monkeypatch, genpost):
    shutil.copytree(plain.root, tmp_path / "site")
    use(plain, monkeypatch)
    monkeypatch.setenv("GENPOST_CONFIG", str(tmp_path / "genpost.yml"))
    shutil.copy(plain.home / "voice.yml", tmp_path / "voice.yml")
    same = genpost("voice", "--site", str(tmp_path / "site"), "--check")
    assert same.code == 0, same.stdout + same.stderr
    assert "ずれています" not in same.stdout and "style.main: voice.yml である / サイト である" in same.stdout
    # The site turns to です・ます: twelve newer posts in the other voice.
    build_site(tmp_path / "site", POLITE_SITE, POSTS, date(2025, 12, 9), seed=7000)
    moved = genpost("voice", "--site", str(tmp_path / "site"), "--check")
    assert moved.code == 1
    lines = {line.split(":")[0]: line for line in moved.stdout.splitlines()}
    assert lines["style.main"] == "style.main: voice.yml である / サイト です・ます  ← ずれています"
    assert lines["sections.numbered"].endswith("ずれています") and lines["format.cta"].endswith("ずれています")
    assert "ずれています" not in lines["lists.posts"]  # both sites use lists in every post
    assert "style.main" in moved.stderr and moved.stderr.count("\n") == 1


@pytest.mark.parametrize("case", ["no site", "no _posts", "no posts", "only drafts and future posts", "recent 0"])
def test_bad_input_is_one_line(case, tmp_path, monkeypatch, genpost):
    monkeypatch.setenv("GENPOST_CONFIG", str(tmp_path / "genpost.yml"))
    site = tmp_path / "site"
    args = ["voice", "--site", str(site)]
    if case != "no site":
        site.mkdir()
    if case in ("no posts", "only drafts and future posts", "recent 0"):
        (site / "_posts").mkdir()
    if case == "only drafts and future posts":
        built = Built(site)
        add_post(built, PLAIN_SITE, date(2025, 11, 1), 1, extra_front="published: false\n")
        add_post(built, PLAIN_SITE, date(2099, 1, 1), 2)
    if case == "recent 0":
        args += ["--recent", "0"]
    one_line_error(genpost(*args))
    assert not (tmp_path / "voice.yml").exists()
    one_line_error(genpost("voice", "--site", str(site), "--check"))  # no voice.yml, or no site


# --- the gate --------------------------------------------------------------------------------------


def _findings(site: Site, path: Path, voice: VoiceProfile | None, own: bool = False) -> list:
    settings = Settings()
    fit_lengths(settings, voice)
    text = path.read_text(encoding="utf-8")
    return check_text(text, settings, INSTINCTS, site.root, path.name, voice=voice, own=own)


def test_check_site_holds_the_sites_own_posts_to_their_format(plain, polite, monkeypatch, genpost):
    # Without voice.yml, every post of the である site breaks the reference post's shape (the false errors).
    for path in plain.posts()[:3]:
        assert {f.rule for f in _findings(plain, path, None) if f.severity == "error"} >= SHAPE
    for site in (plain, polite):
        use(site, monkeypatch)
        run = genpost("check", *map(str, site.posts()), "--site", str(site.root), "--json")
        found = [f for report in json.loads(run.stdout) for f in report["findings"]]
        errors = [f for f in found if f["severity"] == "error"]
        assert not [f for f in errors if f["rule"].startswith(FORMAT_AND_STYLE)], errors
        assert not [f for f in found if f["rule"].startswith("voice.")]
        assert run.code == (1 if errors else 0)


def test_a_post_is_held_where_it_differs_from_the_sites_format(plain, polite, tmp_path):
    post = plain.posts()[0]
    unnumbered = tmp_path / post.name
    text = post.read_text(encoding="utf-8")
    for n in range(1, 7):
        text = text.replace(f"## {n}. ", "## ")
    unnumbered.write_text(text.replace("reading_time: ", "reading_time: 1", 1), encoding="utf-8")
    found = {f.rule: f for f in _findings(plain, unnumbered, plain.voice)}
    assert found["voice.h2"].message_ja == "H2に番号がありません（サイトのH2の100%に番号があります）"
    assert "サイトの記事の読む速さ" in found["voice.reading-time"].message_ja
    bare = tmp_path / polite.posts()[0].name
    text = polite.posts()[0].read_text(encoding="utf-8")
    text = text.split('<div class="cta-section">')[0].replace("Unsplash</a>", "写真素材</a>")  # no CTA, no credit
    bare.write_text(text.replace("featured: true\n", ""), encoding="utf-8")
    rules = {f.rule for f in _findings(polite, bare, polite.voice) if f.severity == "error"}
    assert {"voice.cta", "voice.front-matter"} <= rules
    assert "images.credit" in rules  # the site credits its photos: so must this post
    # A post genpost wrote (a draft with its run record) keeps the reference format: its shape rules hold.
    own = {f.rule for f in _findings(plain, plain.posts()[0], plain.voice, own=True) if f.severity == "error"}
    assert {"structure.h2", "cta.missing"} <= own and "voice.h2" not in own


def test_the_style_rules_follow_the_sites_style(plain, polite):
    polite_post, plain_post = polite.posts()[0], plain.posts()[0]
    # A です・ます post held to the である site's voice: every paragraph of it is in the other style.
    wrong = [f for f in _findings(plain, polite_post, plain.voice, own=True) if f.rule == "voice.style"]
    paragraphs = [b for b in parse(polite_post.read_text(encoding="utf-8")).prose if b.kind == "paragraph"]
    assert len(wrong) == len(paragraphs) and all(f.severity == "error" for f in wrong)
    assert f"サイトの文体「である」調（文末の{plain.voice.style.plain:.0%}）" in wrong[0].message_ja
    # And a である post held to the です・ます site's: its style rules turn round.
    wrong = {f.rule for f in _findings(polite, plain_post, polite.voice, own=True) if f.severity == "error"}
    assert "voice.style" in wrong
    # style.mixed-endings is relative: です・ます sentences in a である post (beyond what the site's posts mix).
    text = plain_post.read_text(encoding="utf-8").replace("。\n\n## ", "。準備が整います。\n\n## ")
    mixed = [f for f in check_text(text, Settings(), INSTINCTS, voice=plain.voice) if f.rule == "style.mixed-endings"]
    assert mixed and "文末が「です・ます」の文があります" in mixed[0].message_ja
    # Without a voice the rule reads the same text the other way round: である endings in です・ます prose.
    old = [f for f in check_text(text, Settings(), INSTINCTS) if f.rule == "style.mixed-endings"]
    assert old and all(f.message_ja.startswith("です・ます調の中に") for f in old)
    mixed_site = plain.voice.model_copy(update={"style": plain.voice.style.model_copy(update={"main": "混在"})})
    assert not [f for f in check_text(text, Settings(), INSTINCTS, voice=mixed_site) if f.rule.startswith("style.mix")]


def test_sentence_length_and_body_length_name_the_sites_figures(plain):
    text = plain.posts()[0].read_text(encoding="utf-8")
    head, body = text.split("\n## 1. ", 1)
    long = "この節では、顧客の声を集める仕組みを一つずつ丁寧に見直し、担当者どうしで結果を共有していくことになる。"
    section = body.split("\n## ", 1)
    padded = head + "\n## 1. " + section[0].split("\n", 1)[0] + "\n\n" + long * 4 + "\n\n## " + section[1]
    found = {f.rule: f for f in check_text(padded, Settings(), INSTINCTS, voice=plain.voice)}
    figures = plain.voice.sentence_length
    low, high = figures.section_range
    assert f"（サイトの範囲 {low}〜{high}字、中央値 {figures.median}字）" in found["voice.sentence-length"].message_ja
    short = head + "\n## 1. まとめ\n\n要点を確かめる。\n"
    found = {f.rule: f for f in check_text(short, Settings(), INSTINCTS, voice=plain.voice)}
    assert f"中央値 {plain.voice.body_length.median:,}字" in found["voice.length"].message_ja
    assert "voice.length" not in {f.rule for f in _findings(plain, plain.posts()[0], plain.voice)}


def test_the_body_range_follows_the_voice_unless_genpost_yml_sets_one(polite):
    settings = Settings()
    fit_lengths(settings, polite.voice)
    assert settings.lengths.body == polite.voice.body_length.range
    assert settings.lengths.sections.lead == 100  # 200, scaled to the site's median (at most halved)
    fit_lengths(settings, polite.voice)  # applied once
    assert settings.lengths.sections.lead == 100
    mine = Settings.model_validate({"lengths": {"body": [2000, 2600]}})
    fit_lengths(mine, polite.voice)
    assert mine.lengths.body == (2000, 2600) and mine.lengths.sections.lead == 200
    sections = Settings.model_validate({"lengths": {"sections": {"lead": 300}}})
    fit_lengths(sections, polite.voice)
    assert sections.lengths.body == polite.voice.body_length.range and sections.lengths.sections.lead == 300


# --- drafting ---------------------------------------------------------------------------------------


def _system_context(voice: dict | None) -> dict:
    instinct = INSTINCTS["learning"]
    return {"site_name": "Voice Fixture", "instinct": instinct, **({"voice": voice} if voice is not None else {})}


def test_without_a_voice_the_prompts_say_what_they_always_said():
    text = PromptBook().text("system.j2", **_system_context(None))
    assert "文体は「です・ます」調に統一する。\n- 今回の記事が訴求する本能" in text
    assert "【このサイトの文体】" not in text


@pytest.mark.parametrize("which", ["plain", "polite"])
def test_a_draft_for_each_site_is_asked_for_in_its_voice(which, request, llm, genpost, monkeypatch, tmp_path):
    site: Site = request.getfixturevalue(which)
    use(site, monkeypatch)
    run = write_post(genpost, tmp_path / "out", "--site", str(site.root))
    assert run.code == 0, run.stderr
    style, other = ("である", "です・ます") if which == "plain" else ("です・ます", "である")
    bodies = llm.chat_bodies()
    drafts = [b for b in bodies if "【担当】" in b["messages"][-1]["content"]]
    assert drafts
    for body in drafts:
        system = body["messages"][0]["content"]
        assert f"- 文末: 文体は「{style}」調に統一する" in system and f"「{other}」調に統一" not in system
        assert f"{site.voice.sentence_length.median}字前後" in system
        assert "文の書き出しには、このサイトがよく使う「まず」" in system
    # One or two excerpts of the site's posts nearest the topic: the AI マーケティング post comes first.
    examples = drafts[0]["messages"][0]["content"].split("【文体の見本】")[1].splitlines()[1:]
    texts = [line.split("「", 1)[1].rsplit("」（", 1)[0] for line in examples if line.startswith("- 「")]
    site_text = "".join(p.read_text(encoding="utf-8") for p in site.posts())
    assert 1 <= len(texts) <= 2 and all(t in site_text for t in texts)
    assert "AIマーケティングを見直す" in examples[0]
    steps = [b for b in drafts if "指定のJSONスキーマ" in b["messages"][-1]["content"] and "actions" in str(b)]
    assert steps and all(f"「{style}」調で" in b["messages"][-1]["content"] for b in steps)
    lead = next(b for b in drafts if "記事の冒頭に置く導入文" in b["messages"][-1]["content"])
    assert "約100字" in lead["messages"][-1]["content"]  # the sections' targets follow the site's length
    metadata = next(b for b in bodies if "タイトルなどの情報" in b["messages"][-1]["content"])
    assert f"このサイトの文体（「{style}」調）で書く" in metadata["messages"][-1]["content"]
    outline = next(b for b in bodies if "ブログ記事の構成を考え" in b["messages"][-1]["content"])
    for planning in (metadata, outline):  # the planner is told the site's style too, never the other one
        system = planning["messages"][0]["content"]
        assert f"「{style}」調に統一" in system and f"「{other}」調に統一" not in system
        assert "【文体の見本】" not in system  # no examples: the plan's answers are short fields
    polish = [b for b in bodies if "一人の書き手" in b["messages"][-1]["content"]]
    assert polish and f"「{style}」調の日本語で" in polish[0]["messages"][-1]["content"]
    # The stand-in writes です・ます whatever it is told: the gate holds the draft to the site's style.
    findings = record_of(run)["findings"]
    wrong_style = [f for f in findings if f["rule"] == "voice.style"]
    if which == "plain":
        assert wrong_style and record_of(run)["rewrites"]  # redrafted, and still in the wrong style
        checked = genpost("check", run.last_line, "--site", str(site.root), "--json")
        assert checked.code == 1
        rules = {f["rule"] for f in json.loads(checked.stdout)[0]["findings"]}
        assert {"voice.style", "voice.sentence-length"} <= rules
        assert not rules & {"voice.h2", "voice.cta"}  # genpost's own draft keeps the reference format
    else:
        assert not wrong_style and not [f for f in findings if f["rule"] == "style.mixed-endings"]


def test_drafting_without_voice_yml_is_unchanged(llm, genpost, tmp_path, monkeypatch, plain):
    monkeypatch.setenv("GENPOST_CONFIG", str(tmp_path / "genpost.yml"))  # no voice.yml beside it
    run = write_post(genpost, tmp_path / "out", "--site", str(plain.root), "--no-polish")
    assert run.code == 0, run.stderr
    for body in llm.chat_bodies():
        system = body["messages"][0]["content"]
        assert "文体は「です・ます」調に統一する。" in system and "【このサイトの文体】" not in system
    assert not [f for f in record_of(run)["findings"] if f["rule"].startswith("voice.")]
    assert DATE.startswith("2025-12-15")


def test_an_editors_save_and_a_publish_judge_the_draft_by_the_voice_as_check_does(
    plain, llm, genpost, monkeypatch, tmp_path
):
    use(plain, monkeypatch)
    site = tmp_path / "site"
    shutil.copytree(plain.root, site)
    out = tmp_path / "out"
    run = write_post(genpost, out, "--site", str(site), "--no-polish")
    assert run.code == 0, run.stderr
    draft = Path(run.last_line)
    # The stand-in writes です・ます: held to the である site's voice, the draft has voice.style errors.
    assert "voice.style" in {f["rule"] for f in record_of(run)["findings"]}
    settings, instincts, voice = judged_by()  # what `genpost review` and `genpost publish` load
    assert voice == plain.voice
    client = TestClient(create_app(out, site, settings, instincts, allowed_hosts=["testserver"], voice=voice))
    page = client.get(f"/drafts/{draft.name}").text
    fields = {**form_of(page), "csrf": re.search(r'name="csrf" value="([^"]+)"', page)[1], "who": "佐藤"}
    fields["title"] = fields["title"] + "を検証"
    saved = client.post(f"/drafts/{draft.name}/save", data=fields, follow_redirects=True)
    assert saved.status_code == 200 and "保存しました" in saved.text
    kept = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))["findings"]
    assert "voice.style" in {f["rule"] for f in kept}, "the save checked the draft without the site's voice"
    refused = genpost("publish", str(draft), "--site", str(site))
    assert refused.code == 1 and "voice.style" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert not (site / "_posts" / draft.name).exists()


def test_a_model_that_copies_what_it_is_shown_is_told_the_style_only(plain):
    examples = [{"title": "見本", "text": "顧客の声を数えると迷いが減る。"}]
    short = PromptBook().text("system.j2", **_system_context(prompt_voice(plain.voice, examples, short=True)))
    whole = PromptBook().text("system.j2", **_system_context(prompt_voice(plain.voice, examples)))
    for text in (short, whole):
        assert "文体は「である」調に統一する" in text and f"{plain.voice.sentence_length.median}字前後" in text
    assert "【文体の見本】" in whole and "文の書き出し" in whole and "使わないので" in whole
    assert "【文体の見本】" not in short and "文の書き出し" not in short and "使わないので" not in short
