"""Content integrity: copied instructions, foreign script and repetition, in `genpost check` and in the pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.japanese import foreign_characters, is_english
from pipeline.quality.copying import Instructions
from pipeline.quality.mend import cut_sentences
from pipeline.writing.assembler import Assembler
from standins.fake_writer import FakeWriter, sentence
from standins.openai_api import Fault
from tests import factories as f
from tests.conftest import CALLS_PER_POST, OLD_POST, OUTLINE_CALL, REFERENCE_POST
from tests.test_quality import SETTINGS, clean_post, rules, run_rules

UNIQUE = [sentence(n * 7919) for n in range(40)]  # sentences no fixture part uses


def post_with(**parts: str) -> str:
    """A clean post with some parts' prose replaced."""
    sections = f.sections(60)
    sections["lead"] += "".join(
        f"AI マーケティング 最新トレンドを{verb}。" for verb in ("学びましょう", "比べてみましょう", "試しましょう")
    )
    for key, text in parts.items():
        sections[key] = text
    plan = f.plan(
        description="AIマーケティングの最新トレンドを心理学の視点で整理し、明日から使える実践ステップまで紹介します。"
    )
    return (
        Assembler(SETTINGS, f.learning()).assemble(f.brief(), plan, f.outline(plan), sections, f.images(), []).markdown
    )


def found(text: str, rule: str) -> list:
    return [x for x in run_rules(text) if x.rule == rule]


# --- copied instructions -------------------------------------------------------------------


@pytest.mark.parametrize(
    "copied",
    [
        "指定のJSONスキーマで返してください。",  # step.j2 and summary.j2
        "要点: 顧客の学びを支える仕組みを作る",  # the prompt's label
        "【担当】（導入文）",  # the prompt's scaffolding
        "見出し、URL、HTMLタグ、前置きや後書きは書かない。",  # _rules.j2
    ],
)
def test_a_sentence_copied_from_the_prompts_is_an_error(copied):
    text = post_with(trend2=copied + UNIQUE[0] + UNIQUE[1])
    (finding,) = found(text, "integrity.copied-instruction")
    assert finding.severity == "error" and finding.subsection == "ステップ1: 準備と計画"
    assert "指示文" in finding.message_ja and copied[:10] in finding.message_ja


def test_prose_about_the_topic_is_not_a_copy():
    assert not found(clean_post(), "integrity.copied-instruction")
    assert not found(OLD_POST.read_text(encoding="utf-8"), "integrity.copied-instruction")
    if REFERENCE_POST.is_file():
        assert not found(REFERENCE_POST.read_text(encoding="utf-8"), "integrity.copied-instruction")


def test_a_piece_is_compared_with_its_own_prompt_less_its_material():
    prompt = "【担当】## 学習本能の心理学的背景\n要点: 好奇心が行動を生む理由\n- 約200字で書く。見出しは書かない。"
    instructions = Instructions.of([prompt], material=["好奇心が行動を生む理由", "学習本能の心理学的背景"])
    kept, cut = cut_sentences(
        f"要点: 好奇心が行動を生む理由\n{UNIQUE[2]}好奇心が行動を生む理由を考えます。", instructions.copies
    )
    assert cut == ["要点: 好奇心が行動を生む理由"], "the label is scaffolding"
    assert kept.startswith(UNIQUE[2]) and "好奇心が行動を生む理由を考えます。" in kept, "the brief's words are material"


# --- foreign script --------------------------------------------------------------------------


def test_ideographs_outside_jis_x_0208_are_found_by_the_codec():
    assert foreign_characters("学习と进步の们") == ["习", "进", "步", "们"], "步 is JIS X 0213's, not JIS X 0208's"
    assert foreign_characters("学習と進歩、塚本さん") == []
    assert foreign_characters("山﨑さん") == ["﨑"] and foreign_characters("山﨑さん", "﨑") == [], "a site adds names"
    text = post_with(cases="AIを活用した学习の事例では、" + UNIQUE[3])
    (finding,) = found(text, "script.foreign-character")
    assert finding.section == "成功事例と期待できる効果" and "习" in finding.message_ja


def test_an_english_sentence_in_japanese_prose_is_an_error():
    english = post_with(background=UNIQUE[4] + "This is the best way to learn marketing today. " + UNIQUE[5])
    assert found(english, "script.latin-sentence")
    names = post_with(background=UNIQUE[4] + "ChatGPTとGoogle Analytics 4でSEOを測ります。" + UNIQUE[5])
    assert not found(names, "script.latin-sentence"), "product names and acronyms are fine"


def test_english_description_and_tags_are_errors():
    text = clean_post()
    description = text.split('description: "')[1].split('"')[0]
    english = text.replace(description, "Learn the latest AI marketing trends with practical steps for your team.")
    assert [x.excerpt[:5] for x in found(english, "script.english-metadata")] == ["Learn"]
    tags = text.replace(
        "tags: [AI マーケティング 最新トレンド, 生成AI]",
        "tags: [AI マーケティング 最新トレンド, machine learning, ChatGPT]",
    )
    assert [x.excerpt for x in found(tags, "script.english-metadata")] == ["machine learning"]
    assert is_english("machine learning") and not is_english("ChatGPT ビジネス活用 事例")


# --- repetition ------------------------------------------------------------------------------


def test_the_same_sentence_twice_names_both_places():
    repeated = UNIQUE[6]
    text = post_with(background=repeated + UNIQUE[7], cases=UNIQUE[8] + repeated)
    (finding,) = found(text, "repetition.sentence")
    assert finding.severity == "error" and finding.section == "成功事例と期待できる効果"
    assert "学習本能の心理学的背景" in finding.message_ja and "学習本能の心理学的背景" in finding.other


def test_a_nearly_identical_sentence_counts_too():
    first = "顧客の声を毎週まとめて共有すると、次に打つ手がはっきり見えてきます。"
    second = "顧客の声を毎週まとめて共有すれば、次に打つ手がはっきり見えてきます。"
    assert found(post_with(lead=first + UNIQUE[9], trend1=second + UNIQUE[10]), "repetition.sentence")
    different = "店頭の声を月末に整理すると、値付けの迷いが減っていきます。"
    assert not found(post_with(lead=first + UNIQUE[9], trend1=different + UNIQUE[10]), "repetition.sentence")


def test_a_paragraph_repeated_in_another_section():
    paragraph = "".join(UNIQUE[11:15])
    reworded = paragraph.replace("ます。", "ますね。", 2)
    (finding,) = found(post_with(trend1=paragraph, cases=reworded), "repetition.paragraph")
    assert finding.section == "成功事例と期待できる効果" and "なぜこの方法が重要なのか" in finding.other
    assert not found(post_with(trend1=paragraph, cases=reworded), "repetition.sentence"), (
        "reported once, as a paragraph"
    )


def test_sections_that_overlap_heavily_are_a_warning():
    shared = "".join(UNIQUE[16:22])
    text = post_with(trend2=shared + UNIQUE[22], trend3=UNIQUE[23] + shared[::-1][:0] + shared[: len(shared) // 2])
    overlaps = found(text, "repetition.sections")
    assert overlaps and all(x.severity == "warning" for x in overlaps)


def test_a_section_overlapping_two_earlier_ones_equally_is_reported_once():
    shared = "".join(UNIQUE[16:22])
    text = post_with(lead=shared, trend=shared, trend1=shared)  # the lead has no heading at all
    overlaps = found(text, "repetition.sections")
    places = [(x.section, x.subsection) for x in overlaps]
    assert len(set(places)) == len(places) >= 2, "each section once, against the earlier one it overlaps most"
    assert all(x.other == overlaps[0].other for x in overlaps[:2]), "a tie goes to the first section in the post"


def test_an_old_generator_post_gets_no_repetition_error():
    for path in (OLD_POST, REFERENCE_POST):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not {"repetition.sentence", "repetition.paragraph"} & rules(text), path


def test_the_reference_posts_real_overlap_is_at_most_a_warning():
    if not REFERENCE_POST.is_file():
        pytest.skip(f"{REFERENCE_POST} is not beside this clone")
    overlaps = found(REFERENCE_POST.read_text(encoding="utf-8"), "repetition.sections")
    assert overlaps and all(x.severity == "warning" for x in overlaps)
    assert any("ステップ3" in (x.subsection or "") for x in overlaps), "the howTo step against 実践ステップ"


# --- in the pipeline -----------------------------------------------------------------------


def record_of(run) -> dict:
    return json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))


def write(genpost, out: Path):
    return genpost("--instinct", "learning", "--keywords", "AI マーケティング 最新トレンド", "--out", str(out))


def test_a_copied_line_is_cut_when_the_rest_stands(llm, genpost, tmp_path):
    text = "【担当】（導入文）\n" + "".join(UNIQUE[24:31])
    llm.inject(Fault(content=text, when="記事の冒頭に置く導入文"))
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    record = record_of(run)
    assert record["cuts"] == [{"part": "lead", "lines": ["【担当】（導入文）"]}]
    assert "【担当】" not in Path(run.last_line).read_text(encoding="utf-8")
    assert len(llm.chat_bodies()) == CALLS_PER_POST, "nothing was asked again"


def test_a_piece_that_is_mostly_copied_is_asked_again(llm, genpost, tmp_path):
    copied = (
        "記事の冒頭に置く導入文を書いてください。読者の悩みや関心に寄り添い、この記事で何がわかるかを伝えてください。"
    )
    llm.inject(Fault(content=copied, when="記事の冒頭に置く導入文"))
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    asks = [
        b["messages"][-1]["content"]
        for b in llm.chat_bodies()
        if "記事の冒頭に置く導入文" in b["messages"][-1]["content"]
    ]
    assert (
        len(asks) == 2 and "指示文をそのまま本文に書いています（「記事の冒頭に置く導入文を書いてください。" in asks[1]
    )
    assert "寄り添い" not in record_of(run)["sections"]["lead"]


REPEATED = "AI マーケティング 最新トレンドでは、顧客との接点を一覧にしておくと手戻りがぐっと減ります。"


class RepeatingWriter(FakeWriter):
    """A model whose case studies say only what the lead already said."""

    def prose(self, prompt: str, keyword: str) -> str:
        if "成功事例と期待できる効果」の本文" in prompt and "前回の原稿の問題" not in prompt:
            return REPEATED
        text = super().prose(prompt, keyword)
        return REPEATED + text if "記事の冒頭に置く導入文" in prompt else text


class EchoingWriter(FakeWriter):
    """A model that closes the case studies with the lead's first sentence, once."""

    def prose(self, prompt: str, keyword: str) -> str:
        text = super().prose(prompt, keyword)
        if "成功事例と期待できる効果」の本文" in prompt and "2つ目のモデルケース" in prompt:
            return text + REPEATED
        return REPEATED + text if "記事の冒頭に置く導入文" in prompt else text


def test_a_repeated_sentence_is_cut_when_its_part_stands_without_it(llm, genpost, tmp_path):
    llm.writer = EchoingWriter()
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    record = record_of(run)
    assert record["rewrites"] == [], "no call was needed"
    assert {"part": "cases", "lines": [REPEATED], "rule": "repetition.sentence"} in record["cuts"]
    body = Path(run.last_line).read_text(encoding="utf-8")
    assert body.count(REPEATED) == 1, "the lead keeps it"


def test_the_redraft_prompt_names_the_repeated_sentence_and_where_it_stands(llm, genpost, tmp_path):
    llm.writer = RepeatingWriter()
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    record = record_of(run)
    assert record["rewrites"][0]["parts"] == ["cases"], "cutting would leave nothing: the part is written again"
    fixes = [
        b["messages"][-1]["content"] for b in llm.chat_bodies() if "前回の原稿の問題" in b["messages"][-1]["content"]
    ]
    assert fixes and all("顧客との接点を一覧にしておくと" in p and "導入文" in p and "すでに" in p for p in fixes)
    assert not [x for x in record["findings"] if x["rule"].startswith("repetition.") and x["severity"] == "error"]


def _mend(sections, findings_for, final: bool):
    """The gate's cut on the post the assembler makes of `sections`: `findings_for(doc)` names the blocks."""
    from pipeline.quality.mend import mend, shapes_of
    from pipeline.writing.assembler import Assembler
    from tests import factories

    outline, settings = factories.outline(), factories.settings()
    post = Assembler(settings, factories.learning()).assemble(
        factories.brief(), factories.plan(), outline, sections, factories.images(), []
    )
    return mend(post, shapes_of(outline, settings.lengths), findings_for(post.doc), final)


def _copied(block, excerpt: str):
    from pipeline.types import Finding

    return Finding(
        rule="integrity.copied-instruction",
        severity="error",
        message="copied",
        message_ja="指示文",
        part=block.part,
        block=block.index,
        excerpt=excerpt,
    )


def test_the_last_cut_may_empty_a_steps_list_rather_than_keep_an_instruction():
    from tests import factories

    sections = factories.sections()
    copied = "進み具合の測り方を1〜3つ"
    sections["step2"] = sections["step2"].model_copy(update={"metrics": [copied]})

    def findings(doc):
        (block,) = [b for b in doc.of_part("step2") if b.text == copied]
        return [_copied(block, copied)]

    kept, none = _mend(sections, findings, final=False)
    assert f.step_of(kept, "step2")[1]["指標"] == [copied] and none == [], "while redrafting can help, it stays whole"
    cut, cuts = _mend(sections, findings, final=True)
    summary, lists = f.step_of(cut, "step2")
    assert lists["指標"] == [] and summary == sections["step2"].summary
    assert cuts == [{"part": "step2", "lines": [copied], "rule": "integrity.copied-instruction"}]


def test_a_copied_line_is_found_in_a_list_and_in_bold():
    from tests import factories

    sections = factories.sections()
    prose = sections["trend5"]
    sections["trend5"] = prose + "\n\n3. **小見出しの本文を書いてください。\n   - 心理学的背景"

    def findings(doc):
        blocks = doc.of_part("trend5")
        bold = next(b for b in blocks if "小見出しの本文を書いてください。" in b.text)
        listed = next(b for b in blocks if b.text == "心理学的背景")
        return [_copied(bold, "**小見出しの本文を書いてください。"), _copied(listed, "心理学的背景")]

    mended, cuts = _mend(sections, findings, final=True)
    assert mended.part_text("trend5") == prose and len(cuts) == 2


# --- copied runs: 12 letters of the prompts' fixed text, in any field ---------------------------------


def fixed_text() -> str:
    """The prompts' fixed text and instincts.yml's, as the rule reads them."""
    from pipeline.paths import resource
    from pipeline.quality.copying import instinct_texts, template_texts

    return "\n".join([*template_texts(resource("prompts")), *instinct_texts([f.learning()])])


def test_a_list_item_that_copies_the_step_prompt():
    copied = "進み具合の測り方を1〜3つ / 気をつけることを1〜2つ"
    assert "進み具合の測り方を1〜3つ" in fixed_text(), "step.j2's field description, as the issue quotes it"
    sections = f.sections(60)
    sections["step2"] = sections["step2"].model_copy(update={"metrics": [copied]})
    text = Assembler(SETTINGS, f.learning()).assemble(f.brief(), f.plan(), f.outline(), sections, f.images(), [])
    (finding,) = found(text.markdown, "integrity.copied-run")
    assert finding.severity == "error" and finding.part == "step2" and finding.excerpt == copied
    assert finding.message_ja.startswith("箇条書きが") and "「進み具合の測り方を1〜3つ」" in finding.message_ja
    # Inside a sentence of its own, where most of the sentence is the writer's: the 4-gram rule misses it.
    mixed = "来店数の推移を毎週記録して、進み具合の測り方を1〜3つ決めておくと迷いません。"
    sections["step2"] = sections["step2"].model_copy(update={"metrics": [mixed]})
    text = Assembler(SETTINGS, f.learning()).assemble(f.brief(), f.plan(), f.outline(), sections, f.images(), [])
    assert found(text.markdown, "integrity.copied-run") and not found(text.markdown, "integrity.copied-instruction")


def test_prose_that_copies_the_system_prompt_or_an_instincts_definition():
    system = "人間の8つの本能に基づく心理学マーケティングが、顧客の行動を説明します。"
    definition = "新しい知識やスキルを得て世界を理解したいという欲求が、人を動かします。"
    assert "人間の8つの本能に基づく心理学マーケティング" in fixed_text()
    text = post_with(trend3=UNIQUE[0] + system + UNIQUE[1], cases=UNIQUE[2] + definition + UNIQUE[3])
    runs = {x.part: x for x in found(text, "integrity.copied-run")}
    assert set(runs) == {"trend3", "cases"}
    assert "「人間の8つの本能に基づく心理学マーケティング」" in runs["trend3"].message_ja
    assert "新しい知識やスキルを得て世界を理解したいという欲求" in runs["cases"].message_ja
    assert runs["cases"].excerpt == definition and runs["cases"].message_ja.startswith("本文が")


def test_a_description_that_copies_the_metadata_prompt():
    assert "記事の要点と読者が得られることを書く" in fixed_text(), "metadata.j2's description line"
    text = clean_post()
    description = text.split('description: "')[1].split('"')[0]
    copied = text.replace(description, "この記事は、日本語で記事の要点と読者が得られることを書きます。")
    (finding,) = found(copied, "integrity.copied-run")
    assert finding.part == "front_matter" and finding.line == 1
    assert (
        finding.message_ja.startswith("説明文（description）が")
        and "記事の要点と読者が得られること" in finding.message_ja
    )


def test_a_tag_and_a_step_title_are_fields_too():
    copied = "人間の8つの本能に基づく心理学マーケティング"
    text = clean_post().replace(
        "tags: [AI マーケティング 最新トレンド, 生成AI]", f"tags: [AI マーケティング 最新トレンド, {copied}]"
    )
    (tag,) = found(text, "integrity.copied-run")
    assert tag.excerpt == copied and tag.message_ja.startswith("タグが")
    steps = [f.plan().steps[0], f.plan().steps[1].model_copy(update={"title": copied}), f.plan().steps[2]]
    plan = f.plan(steps=steps)
    titled = Assembler(SETTINGS, f.learning()).assemble(
        f.brief(), plan, f.outline(plan), f.sections(60), f.images(), []
    )
    (step,) = found(titled.markdown, "integrity.copied-run")
    assert step.subsection == f"ステップ2: {copied}" and step.part is None, "no redraft of the step changes its title"


def test_a_run_inside_the_posts_own_keywords_or_headings_is_not_a_copy():
    keyword = "人間の8つの本能に基づく心理学マーケティング"
    text = post_with(trend3=UNIQUE[0] + f"{keyword}が、顧客の行動を説明します。" + UNIQUE[1])
    assert found(text, "integrity.copied-run")
    own = text.replace(
        'seo_keywords: ["AI マーケティング 最新トレンド"',
        f'seo_keywords: ["AI マーケティング 最新トレンド", "{keyword}"',
        1,
    )
    assert own != text and not found(own, "integrity.copied-run"), "the post's keyword is its material"
    assert not found(clean_post(), "integrity.copied-run")
    for path in (OLD_POST, REFERENCE_POST):
        if path.is_file():
            assert not found(path.read_text(encoding="utf-8"), "integrity.copied-run"), path


# --- the last cut: what survives the redraft rounds in Chinese or garbage ------------------------------

CHINESE = "自動化和効率的な使用で、市場分析的スキル提升が可能です。"


def _found_by_the_gate(rule: str):
    """A `findings_for` for `_mend`: the gate's own findings of `rule`."""
    from pipeline.quality import check_doc

    return lambda doc: [x for x in check_doc(doc, SETTINGS, {"learning": f.learning()}) if x.rule == rule]


def test_a_chinese_sentence_is_cut_only_at_the_last_cut():
    from tests import factories

    sections = factories.sections()
    sections["cases"] += CHINESE
    kept, none = _mend(sections, _found_by_the_gate("script.chinese-pattern"), final=False)
    assert CHINESE in kept.part_text("cases") and none == [], "while a redraft can still fix it, it stays"
    cut, cuts = _mend(sections, _found_by_the_gate("script.chinese-pattern"), final=True)
    assert cut.part_text("cases") == sections["cases"].replace(CHINESE, "")
    assert cuts == [{"part": "cases", "lines": [CHINESE], "rule": "script.chinese-pattern"}]


@pytest.mark.parametrize(
    ("rule", "bad"),
    [
        ("script.foreign-character", "自然语言処理と機械学习に直接アクセスします。"),
        ("script.chinese-punctuation", "しかし，この方法にはいくつかの失敗があります。"),
        ("script.garbage", "”}.........attoyo2018-0"),
    ],
    ids=["foreign-character", "chinese-punctuation", "garbage"],
)
def test_foreign_script_punctuation_and_garbage_are_cut_at_the_last_cut(rule, bad):
    from tests import factories

    sections = factories.sections()
    sections["step3"] = sections["step3"].model_copy(update={"cautions": [*sections["step3"].cautions, bad]})
    cut, cuts = _mend(sections, _found_by_the_gate(rule), final=True)
    assert f.step_of(cut, "step3")[1]["注意点"] == sections["step3"].cautions[:-1]
    assert cuts == [{"part": "step3", "lines": [bad], "rule": rule}]


def test_a_part_that_is_only_chinese_keeps_its_error_for_the_editor():
    from tests import factories

    sections = factories.sections()
    sections["cases"] = CHINESE
    cut, cuts = _mend(sections, _found_by_the_gate("script.chinese-pattern"), final=True)
    assert cut.part_text("cases") == CHINESE and cuts == [], "nothing would be left of the part"


class ChineseWriter(FakeWriter):
    """An API model that keeps closing its second case study with a Chinese sentence, redraft after redraft."""

    def prose(self, prompt: str, keyword: str) -> str:
        text = super().prose(prompt, keyword)
        if "成功事例と期待できる効果」の本文" in prompt and "2つ目のモデルケース" in prompt:
            return text + CHINESE
        return text


def test_a_chinese_sentence_that_survives_the_redrafts_is_cut_before_the_draft_is_written(llm, genpost, tmp_path):
    llm.writer = ChineseWriter()
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    record = record_of(run)
    assert [r["parts"] for r in record["rewrites"]] == [["cases"], ["cases"]], "redrafted, and written again each time"
    assert {"part": "cases", "lines": [CHINESE], "rule": "script.chinese-pattern"} in record["cuts"]
    draft = Path(run.last_line).read_text(encoding="utf-8")
    assert "市場分析的スキル提升" not in draft and "自動化和効率的" not in draft
    assert not [x for x in record["findings"] if x["severity"] == "error"]


def test_a_step_that_repeats_its_title_loses_that_sentence_at_the_last_cut_if_its_summary_keeps_more():
    from pipeline.quality.mend import mend, shapes_of
    from pipeline.types import StepBrief

    plan = f.plan(steps=[StepBrief(title="顧客理解を深める準備", brief="要点"), *f.plan().steps[1:]])
    outline, settings = f.outline(plan), f.settings()
    opening = "顧客理解を深める準備をします。"

    def last_cut(summary: str):
        sections = f.sections()
        sections["step1"] = sections["step1"].model_copy(update={"summary": summary})
        post = Assembler(settings, f.learning()).assemble(f.brief(), plan, outline, sections, f.images(), [])
        findings = _found_by_the_gate("shape.step-repeats-title")(post.doc)
        assert len(findings) == 1, "the gate finds it"
        doc, cuts = mend(post, shapes_of(outline, settings.lengths), findings, final=True)
        return f.step_of(doc, "step1")[0], cuts

    rest = f.sections()["step1"].summary
    assert last_cut(opening + rest) == (
        rest,
        [{"part": "step1", "lines": [opening], "rule": "shape.step-repeats-title"}],
    )
    assert last_cut(opening) == (opening, []), "a step is not left without its summary for it"


class TitleRepeatingWriter(FakeWriter):
    """A model that opens each step with its title (the plan's 顧客理解を深める準備), until told not to."""

    def _string(self, name: str, keyword: str, prompt: str) -> str:
        text = super()._string(name, keyword, prompt)
        if name == "summary" and OUTLINE_CALL not in prompt and "前回の原稿の問題" not in prompt:
            return "顧客理解を深める準備をします。" + text
        return text


def test_a_step_that_repeats_its_title_is_redrafted(llm, genpost, tmp_path):
    llm.writer = TitleRepeatingWriter()
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    record = record_of(run)
    # The same opening in steps 2 and 3 is a repeat of step 1's, cut as such; step 1 is written again.
    assert record["rewrites"][0]["parts"] == ["step1"]
    assert {c["part"] for c in record["cuts"] if c["rule"] == "repetition.sentence"} == {"step2", "step3"}
    assert not [x for x in record["findings"] if x["rule"] == "shape.step-repeats-title"]
    assert "顧客理解を深める準備をします。" not in Path(run.last_line).read_text(encoding="utf-8")
