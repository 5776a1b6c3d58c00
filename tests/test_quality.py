"""The quality gate: a test per rule on small fixtures, the reference post, the CLI, the pipeline's gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.quality import check_text
from pipeline.types import RelatedPost
from pipeline.writing.assembler import Assembler
from standins.fake_writer import FakeWriter
from standins.openai_api import Fault
from tests import factories as f
from tests.conftest import OLD_POST, REFERENCE_POST

SETTINGS = load_settings()
INSTINCTS = load_instincts()
SENTENCE = f.SENTENCE


def clean_post(related=()) -> str:
    """A post genpost could have written: every rule passes."""
    sections = f.sections(60)
    plan = f.plan(
        description="AIマーケティングの最新トレンドを心理学の視点で整理し、明日から使える実践ステップまで丁寧に紹介します。"
    )
    sections["lead"] += "".join(
        f"AI マーケティング 最新トレンドを{verb}。" for verb in ("学びましょう", "比べてみましょう", "試しましょう")
    )
    post = Assembler(SETTINGS, f.learning()).assemble(
        f.brief(), plan, f.outline(plan), sections, f.images(), list(related)
    )
    return post.markdown


def run_rules(text: str, site: Path | None = None, settings=SETTINGS):
    return check_text(text, settings, INSTINCTS, site)


def rules(text: str, severity: str = "error", site: Path | None = None, settings=SETTINGS) -> set[str]:
    return {x.rule for x in run_rules(text, site, settings) if x.severity == severity}


def test_a_clean_post_has_no_errors():
    assert rules(clean_post()) == set()


# --- shape -----------------------------------------------------------------------------------


def test_front_matter_keys_and_types():
    text = clean_post()
    assert "frontmatter.missing" in rules(text.replace("featured: true\n", ""))
    assert "frontmatter.type" in rules(text.replace("reading_time: ", "reading_time: many", 1))
    assert "frontmatter.type" in rules(text.replace("featured: true", 'featured: "yes"'))
    assert "frontmatter.instinct" in rules(text.replace("instinct: learning", "instinct: sleep"))
    assert "frontmatter.extra" in rules(text.replace("featured: true\n", "featured: true\nmood: happy\n"), "warning")
    swapped = text.replace('author: "LeadFive AI"\n', "").replace(
        "featured: true\n", 'featured: true\nauthor: "LeadFive AI"\n'
    )
    assert "frontmatter.order" in rules(swapped, "warning")
    assert "frontmatter.invalid" in rules(
        text.replace('title: "', 'title: "unclosed', 1).replace('"\ndate', "\ndate", 1)
    )


def test_instinct_heading_must_be_japanese():
    text = clean_post().replace("## 学習本能の心理学的背景", "## learningの心理学的背景")
    assert "structure.instinct-name" in rules(text)


def test_h2_and_h3_structure():
    text = clean_post()
    assert "structure.h2" in rules(text.replace("## 成功事例と期待できる効果", "## 事例"))
    assert "structure.h3" in rules(text.replace("### ステップ2: 実装と実行", "### 実装"))
    assert rules(text.replace("### なぜこの方法が重要なのか", "### なぜ")) >= {"structure.h3"}


def test_practical_steps_and_labels():
    text = clean_post()
    assert "structure.step-labels" in rules(text.replace("- **指標:**", "- **測り方:**", 1))
    assert "structure.steps" in rules(text.replace("### ステップ3: 準備2", "### 最後に"))


def test_image_lines_follow_their_h2():
    text = clean_post()
    lines = text.splitlines()
    at = lines.index("## 成功事例と期待できる効果")
    del lines[at + 1 : at + 3]
    assert "images.placement" in rules("\n".join(lines))


def test_related_links_resolve_in_the_site(site):
    existing = next((site / "_posts").iterdir()).stem
    good = clean_post([RelatedPost(name=existing, title="x", score=1)])
    bad = clean_post([RelatedPost(name="2020-01-01-gone", title="x", score=1)])
    assert "links.related" not in rules(good, site=site)
    assert "links.related" in rules(bad, site=site)
    assert "links.related" not in rules(bad), "without --site the links are not checked"


def test_json_ld_is_one_block_that_agrees_and_meets_google():
    text = clean_post()
    block = text[text.index('<script type="application/ld+json">') :]
    assert "jsonld.count" in rules(text + "\n" + block)
    assert "jsonld.count" in rules(text.replace(block, ""))
    assert "jsonld.agree" in rules(text.replace('"headline": "2025年版', '"headline": "2024年版'))
    assert "jsonld.google" in rules(
        text.replace('"datePublished": "2025-12-15T01:51:06.256Z"', '"datePublished": "昨日"')
    )
    assert "jsonld.google" in rules(text.replace('"name": "LeadFive AI"', '"name": ""'))
    assert "jsonld.invalid" in rules(text.replace('"@type": "BlogPosting",', '"@type": "BlogPosting",,'))


def test_cta_is_required():
    assert "cta.missing" in rules(clean_post().replace('<div class="cta-section">', "<div>"))


# --- numbers ---------------------------------------------------------------------------------


def test_reading_time_must_agree_with_length():
    text = clean_post()
    stated = int(text.split("reading_time: ")[1].split("\n")[0])
    assert "numbers.reading-time" in rules(text.replace(f"reading_time: {stated}", f"reading_time: {stated + 5}"))
    assert "numbers.reading-time" not in rules(text.replace(f"reading_time: {stated}", f"reading_time: {stated + 1}"))


def test_title_and_description():
    text = clean_post()
    long_title = "2025年" + "あ" * 60
    assert "numbers.title-length" in rules(text.replace("2025年版AIマーケティング最新トレンド5選", long_title))
    assert "numbers.title-number" in rules(
        text.replace('title: "2025年版AIマーケティング最新トレンド5選"', 'title: "数字なし"')
    )
    description = text.split('description: "')[1].split('"')[0]
    assert "numbers.description" in rules(text.replace(description, "あ" * 130))
    assert "numbers.description" in rules(text.replace(description, "短い"), "warning")


def test_a_year_before_the_posts_year_is_a_warning():
    text = clean_post()  # dated 2025-12-15, titled 2025年版
    assert "numbers.stale-year" not in rules(text, "warning")
    stale = text.replace("2025年版AIマーケティング", "2024年版AIマーケティング")
    assert "numbers.stale-year" in rules(stale, "warning")
    keyword = text.replace('seo_keywords: ["AI マーケティング 最新トレンド"', 'seo_keywords: ["AI ツール 比較 2024"')
    found = [x for x in run_rules(keyword) if x.rule == "numbers.stale-year"]
    assert len(found) == 1 and "2024" in found[0].message and "seo_keywords" in found[0].message
    new_year = text.replace("date: 2025-12-15T01:51:06.256Z", "date: 2025-12-31T16:00:00.000Z")  # 2026-01-01 in Tokyo
    assert "numbers.stale-year" in rules(new_year, "warning"), "the year is the site's, not UTC's"


def test_body_length_and_keyword_use_are_warnings():
    text = clean_post()
    assert "numbers.body-length" in rules(text, "warning"), "the fixture is short"
    assert "numbers.keyword" not in rules(text, "warning")
    assert "numbers.keyword" in rules(text.replace("AI マーケティング 最新トレンドを学びましょう。", "", 2), "warning")


# --- Japanese style --------------------------------------------------------------------------


def with_lead(sentence: str) -> str:
    text = clean_post()
    lead = text.split("---\n\n", 1)[1].split("\n", 1)[0]
    return text.replace(lead, sentence + lead, 1)


def test_mixed_endings():
    assert "style.mixed-endings" in rules(with_lead("これは重要な考え方である。"))
    assert "style.mixed-endings" in rules(with_lead("これが答えだ。"))
    assert "style.mixed-endings" not in rules(with_lead("これは重要な考え方です。"))


def test_sentence_length_and_commas():
    assert "style.sentence-length" in rules(with_lead("あ" * 101 + "です。"))
    assert "style.max-ten" in rules(with_lead("まず、次に、さらに、そして、最後に確認します。"))
    assert "style.max-ten" not in rules(with_lead("まず、次に、最後に確認します。"))


def test_doubled_particles_use_the_tokenizer():
    assert "style.doubled-particle" in rules(with_lead("顧客のの行動を分析します。"))
    assert "style.doubled-particle" in rules(with_lead("売上がが伸びました。"))
    assert "style.doubled-particle" not in rules(with_lead("ののしる言葉は使いません。"))


def test_half_width_kana():
    assert "style.hankaku-kana" in rules(with_lead("ﾏｰｹﾃｨﾝｸﾞを学びます。"))


def test_spacing_between_full_and_half_width_is_consistent():
    text = with_lead("AIを使います。SNSで共有します。CRMの導入です。GA4で測ります。")
    assert "style.spacing" in rules(text, "warning"), "the keyword's spaced form is the odd one out"
    assert "style.spacing" not in rules(
        clean_post().replace("AI マーケティング 最新トレンド", "AIマーケティング最新トレンド"), "warning"
    )


# --- claims, images, duplication -------------------------------------------------------------------


def test_unsourced_figures_need_confirmation():
    findings = run_rules(with_lead("売上が約15%向上しました。満足度は10ポイント上がり、費用は2倍です。"))
    figures = [x.message for x in findings if x.rule == "claims.unsourced"]
    assert len(figures) == 3 and all(m.startswith("要確認") for m in figures)
    assert "claims.unsourced" not in rules(with_lead("総務省の調査によると、利用率は約15%です。"))
    assert "claims.unsourced" not in rules(with_lead("3つのポイントと5選を紹介します。"))


def test_images_need_alt_credit_and_clean_urls():
    text = clean_post()
    assert "images.alt" in rules(text.replace("![background の画像]", "![]").replace("![backgroundの画像]", "![]"))
    assert "images.credit" in rules(text.replace('<small class="photo-credit">', "<small>", 1))
    assert "images.credit" in rules(text.replace('<p class="photo-credit">', "<p>"))
    assert "images.url-params" in rules(text.replace("photo-1?w=1200", "photo-1?w=1080&w=1200"))


def test_duplicates_of_site_posts(site):
    text = clean_post()
    assert "duplicate.similar" not in rules(text, site=site)
    (site / "_posts" / "2025-11-01-copy.md").write_text(text, encoding="utf-8")
    assert "duplicate.similar" in rules(text, site=site)


# --- the old generator's posts ----------------------------------------------------------------


def by_rule(findings) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for finding in findings:
        grouped.setdefault(finding.rule, []).append(finding)
    return grouped


def test_an_old_generator_post_shows_its_known_defects():
    found = by_rule(run_rules(OLD_POST.read_text(encoding="utf-8")))
    figures = {x.figure for x in found["claims.unsourced"]}
    assert figures == {"約30%", "約12%", "約60%", "5ポイント"}
    assert len(found["images.credit"]) == 4, "three section images and the hero, none credited"
    assert "reading_time is 8" in found["numbers.reading-time"][0].message
    assert len(found["images.url-params"]) == 5 and all("w= ×2" in x.message for x in found["images.url-params"])
    assert found["structure.instinct-name"][0].line == 18
    assert found["style.max-ten"], "a sentence with too many 読点"


def test_the_real_reference_post_shows_the_same_kinds_of_defects():
    if not REFERENCE_POST.is_file():
        pytest.skip(f"{REFERENCE_POST} is not beside this clone (only the project's own machines have it)")
    found = by_rule(run_rules(REFERENCE_POST.read_text(encoding="utf-8")))
    figures = {x.figure for x in found["claims.unsourced"]}
    assert figures == {"約20%", "約15%", "約70%", "10ポイント"}
    assert len(found["images.credit"]) == 4 and len(found["images.url-params"]) == 5
    assert "reading_time is 8" in found["numbers.reading-time"][0].message
    assert found["structure.instinct-name"][0].line == 18


# --- the command line -----------------------------------------------------------------------


def test_check_exit_codes_and_output(genpost, tmp_path):
    clean = tmp_path / "2025-12-15-clean.md"
    clean.write_text(clean_post(), encoding="utf-8")
    ok = genpost("check", str(clean))
    assert ok.code == 0 and ok.last_line.startswith(f"{clean}: エラー 0 件、警告 ") and ": 警告 [" in ok.stdout
    bad = genpost("check", str(OLD_POST), str(clean))
    assert bad.code == 1
    assert f"{OLD_POST}:82: エラー [claims.unsourced] 要確認: 「約30%」に出典がありません" in bad.stdout
    assert "要確認 4: 約30%（82行目）、約12%（82行目）、約60%（85行目）、5ポイント（85行目）" in bad.stdout
    english = genpost("check", str(OLD_POST), "--lang", "en")
    assert f"{OLD_POST}:82: error [claims.unsourced] 要確認: 「約30%」 reads as a fact" in english.stdout
    assert "要確認 4: 約30% (line 82)、約12% (line 82)、約60% (line 85)、5ポイント (line 85)" in english.stdout
    assert genpost("check", str(tmp_path / "missing.md")).code == 2
    assert genpost("check").code == 2
    assert genpost("check", str(clean), "--site", str(tmp_path)).code == 2


def test_check_json(genpost, site):
    run = genpost("check", str(OLD_POST), "--site", str(site), "--json")
    (report,) = json.loads(run.stdout)
    assert run.code == 1 and report["errors"] > 0 and len(report["to_confirm"]) == 4
    assert {"rule", "severity", "message", "message_ja"} <= set(report["findings"][0])
    assert all(x["message_ja"] and x["message"] for x in report["findings"]), "every rule speaks both languages"
    assert any(x["rule"] == "links.related" for x in report["findings"]), "the sample's links name no post here"


# --- the gate inside the pipeline -----------------------------------------------------------------


def test_the_gate_redrafts_a_failing_section(llm, genpost, tmp_path):
    llm.inject(Fault(content="導入の結果、売上が約15%向上しました。", when="「## 成功事例と期待できる効果」の本文"))
    run = genpost("--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--out", str(tmp_path))
    assert run.code == 0, run.stderr
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert record["rewrites"] == [{"round": 1, "parts": ["cases"], "errors": 1}]
    assert not [x for x in record["findings"] if x["severity"] == "error"]
    assert "約15%" not in Path(run.last_line).read_text(encoding="utf-8")
    fix_prompts = [
        b["messages"][-1]["content"]
        for b in llm.chat_bodies()
        if "【前回の原稿の問題】" in b["messages"][-1]["content"]
    ]
    assert len(fix_prompts) == 2 and all("出典のない数値" in p for p in fix_prompts), "both pieces of the section"


class StubbornWriter(FakeWriter):
    """A model that keeps inventing a statistic in the case studies."""

    def prose(self, prompt: str, keyword: str) -> str:
        text = super().prose(prompt, keyword)
        return text + "売上は約3倍になりました。" if "成功事例と期待できる効果」の本文" in prompt else text


def test_what_still_fails_is_written_with_its_findings(llm, genpost, tmp_path):
    llm.writer = StubbornWriter()
    run = genpost("--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--out", str(tmp_path))
    assert run.code == 0 and "quality error(s) remain" in run.stderr
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert [r["round"] for r in record["rewrites"]] == [1, 2], "bounded by quality.max_rewrites"
    unsourced = [x for x in record["findings"] if x["rule"] == "claims.unsourced"]
    assert unsourced and all(x["section"] == "成功事例と期待できる効果" for x in unsourced)


@pytest.mark.parametrize("structure", ["howTo", "problemSolution", "caseStudy", "comparison"])
def test_generated_posts_pass_the_gate(llm, genpost, tmp_path, structure):
    run = genpost(
        "--instinct", "play", "--keywords", "ゲーム化 マーケティング", "--structure", structure, "--out", str(tmp_path)
    )
    text = Path(run.last_line).read_text(encoding="utf-8")
    assert rules(text) == set()


def test_a_step_label_with_nothing_under_it_is_an_error():
    text = (Path(__file__).parent.parent / "docs" / "examples" / "old-generator-post.md").read_text(encoding="utf-8")
    before = {f.rule for f in check_text(text, load_settings(), load_instincts())}
    emptied = text.replace("- **指標:**\n    - データの統合率、分類できた読み手の割合\n", "- **指標:**\n", 1)
    assert emptied != text
    found = [f for f in check_text(emptied, load_settings(), load_instincts()) if f.rule == "structure.step-empty"]
    assert "structure.step-empty" not in before
    assert len(found) == 1 and found[0].severity == "error" and "指標" in found[0].text("ja")


def test_every_finding_in_the_body_names_its_part_and_block(genpost):
    run = genpost("check", str(OLD_POST), "--json")
    (report,) = json.loads(run.stdout)
    body = [f for f in report["findings"] if f.get("line") and f["line"] > 15]
    assert len(body) >= 10
    assert all(f.get("part") and isinstance(f.get("block"), int) for f in body), body
    parts = {f["part"] for f in body}
    assert {"background", "step1", "cases", "json_ld"} <= parts, "findings name the outline's parts and blocks"
    front = [f for f in report["findings"] if f.get("line") == 1]
    assert front and all(f["part"] == "front_matter" for f in front)
