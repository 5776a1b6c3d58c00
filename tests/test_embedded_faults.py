"""What a reader rejects at a glance in a draft of the small embedded model, and the gate now names (issue 29, part 4):
the prompts' scaffolding standing as content, near copies of a prompt line, garbled katakana, Chinese function
words, `StepN.` lines and quoted one-line fragments; and the drafts list saying which drafts cannot be published.

The bad examples are the real drafts' (shared/reference/embedded-drafts, copied here as literals); every rule is
also tried on good Japanese, which it must leave alone."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.config import load_settings
from pipeline.instincts import load_instincts
from pipeline.quality.chinese import chinese_words
from pipeline.quality.copying import near_copy_of, prompt_lines
from pipeline.quality.garbage import quoted_fragments_in
from pipeline.quality.katakana import garbled_in
from pipeline.quality.scaffolding import PART_WORDS, scaffolding_in, vocabulary
from pipeline.review.app import create_app
from pipeline.types import Brief, Finding, ImageQueries, Plan, RunRecord
from tests import factories as f
from tests.conftest import OLD_POST, REFERENCE_POST, ROOT
from tests.test_chinese import post
from tests.test_integrity import UNIQUE, found, post_with
from tests.test_quality import clean_post, run_rules

DRAFTS = ROOT.parent / "shared" / "reference" / "embedded-drafts"
DEMO = DRAFTS / "2026-12-06-demo-fresh-machine.md"
DRAFT_1_5B = DRAFTS / "qwen2.5-coder-1.5b.md"
NEW_RULES = (
    "integrity.scaffolding",
    "integrity.near-copy",
    "script.garbled-katakana",
    "script.step-marker",
    "script.quoted-fragment",
)
FUNCTION_WORDS_SEEN = ("首先", "其次", "因此", "但是", "我们", "然后", "所以", "如何")
PROMPTS = ROOT / "prompts"


def new_findings(text: str) -> list[Finding]:
    """The findings of the new rules, and Chinese-pattern findings that name a function word."""
    return [
        x
        for x in run_rules(text)
        if x.rule in NEW_RULES
        or (x.rule == "script.chinese-pattern" and any(w in x.message_ja for w in FUNCTION_WORDS_SEEN))
    ]


def with_description(text: str) -> str:
    """The clean post with another description."""
    post_text = clean_post()
    start = post_text.index('description: "')
    end = post_text.index("\n", start)
    return post_text[:start] + f'description: "{text}"' + post_text[end:]


# --- 1. the prompts' scaffolding, in any field --------------------------------------------------------------


def test_the_demo_drafts_description_is_scaffolding_not_just_short():
    text = with_description("タイトルと導入文")
    assert text != clean_post()
    (finding,) = found(text, "integrity.scaffolding")
    assert finding.severity == "error" and finding.part == "front_matter"
    assert "説明文（description）" in finding.message_ja and "「タイトルと導入文」" in finding.message_ja


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("タイトルと導入文", "名前だけ"),  # the demo's description
        ("【担当】（導入文）", "名前だけ"),  # the 1.5B draft's first line
        ("要点(userインターフェースやデータベースを使用して自動化を行い)", "ラベル「要点」"),  # the demo's step 3
        ("このステップの概要を1〜2文で。", "1〜2文で"),  # the 0.5B draft's steps
        ("実行内容を2〜4項目。", "2〜4項目"),
        ("注意点は1〜2個項", "1〜2個項"),
        ("全体で約260字。", "約260字"),
        ("カutions： 注意点を１〜２项", "1〜2项"),
        ("「この記事全体の見出し」や「## 学习本能の心理学的背景」などに注意してください", "記事全体の見出し"),
    ],
)
def test_scaffolding_from_the_real_drafts(text, why):
    found_why = scaffolding_in(text)
    assert found_why is not None and why in found_why[1], found_why


@pytest.mark.parametrize(
    "text",
    [
        "見出しを工夫すると、読者は迷わず読み進められます。",
        "導入文（リード文）では、読者の悩みに寄り添います。",
        "本文の前に要点をまとめておくと、読み手が迷いません。",
        "「見出し」を変えるだけで、クリック率が変わることがあります。",
        "タイトルは32字以内にまとめると、検索結果で途切れません。",
        "結論を1〜2文で伝えると、読者の理解が早まります。",
        "押さえるべきポイントは3つです。",
        "担当者は迅速に状況を把握できます。",
        "まとめと次のアクション",
        "AIマーケティングの最新トレンド分析",
        "要点0: 顧客の関心を丁寧に確かめることが大切です。",  # a summary point's label (the fixtures')
    ],
)
def test_a_real_sentence_that_mentions_the_words_is_not_scaffolding(text):
    assert scaffolding_in(text) is None


def test_scaffolding_is_found_in_prose_tags_and_step_titles():
    text = post_with(trend2=UNIQUE[0] + "\n全体で約260字。\n" + UNIQUE[1])
    (finding,) = found(text, "integrity.scaffolding")
    assert finding.part == "trend2" and finding.excerpt == "全体で約260字。" and "約260字" in finding.message_ja
    tagged = clean_post().replace("tags: [", "tags: [見出しと本文, ", 1)
    (tag,) = found(tagged, "integrity.scaffolding")
    assert tag.part == "front_matter" and "タグ" in tag.message_ja
    steps = [f.plan().steps[0].model_copy(update={"title": "導入文"}), *f.plan().steps[1:]]
    (step,) = found(post(steps=steps), "integrity.scaffolding")
    assert step.subsection == "ステップ1: 導入文" and step.part is None, "the plan's title: the editor's"


def test_a_line_the_copy_rule_names_is_not_named_twice():
    text = post_with(trend2=UNIQUE[0] + "\n【担当】（導入文）\n" + UNIQUE[1])
    assert found(text, "integrity.copied-instruction") and not found(text, "integrity.scaffolding")


def test_the_vocabulary_is_read_from_the_prompts(tmp_path):
    words, phrases = vocabulary(PROMPTS)
    assert {"導入文", "見出し", "要点", "本文", "担当", "summary", "closing"} <= words
    assert "記事全体の見出し" in phrases and "担当" not in phrases, "phrases: labels of two words or more"
    text = "\n".join(p.read_text(encoding="utf-8") for p in PROMPTS.glob("*.j2"))
    assert all(w in text for w in words & set(PART_WORDS)), "every part word kept is in a template"
    (tmp_path / "only.j2").write_text("【担当】{{ current }}の本文を書いてください。", encoding="utf-8")
    mine, _ = vocabulary(tmp_path)
    assert {"担当", "本文"} <= mine and not {"段落", "文字数"} & mine, "a word no template holds drops out"


# --- 2. near copies of a prompt line ------------------------------------------------------------------------


def test_a_prompt_line_with_a_few_letters_changed_is_a_near_copy():
    copied = "主キーは「AI マーケティング 最新トレンド」を1回だけ含める。"  # the 0.5B draft's summary
    (finding,) = found(post_with(trend3=UNIQUE[0] + copied + UNIQUE[1]), "integrity.near-copy")
    assert finding.part == "trend3" and finding.excerpt == copied and "3文字" in finding.message_ja
    lines = prompt_lines(PROMPTS, ("LeadFive", "学習本能", "", "", "", "AI マーケティング 最新トレンド", ""))
    assert near_copy_of("読者の状況別に、どれを選ぶべきかを示してくださいね。", lines) is not None
    assert near_copy_of("読者の状況別に、どの施策から始めるかを考えます。", lines) is None


def test_a_heading_written_again_as_a_line_of_prose_is_a_copy_of_the_prompts_heading_list():
    text = post_with(trend2="なぜこの方法が重要なのか？\n" + UNIQUE[0] + UNIQUE[1])  # the demo's step 1
    (finding,) = found(text, "integrity.near-copy")
    assert finding.part == "trend2" and "見出し" in finding.message_ja


def test_an_exact_copy_is_left_to_the_copy_rules_and_good_prose_is_no_near_copy():
    exact = "読者の悩みや関心に寄り添い、この記事で何がわかるかを伝えてください。"
    text = post_with(lead=UNIQUE[0] + exact + UNIQUE[1])
    assert found(text, "integrity.copied-instruction") and not found(text, "integrity.near-copy")
    assert not found(clean_post(), "integrity.near-copy")
    good = "AIマーケティングの最新トレンドを理解すると、次に試す施策が自然に決まります。"
    assert not found(post_with(trend3=UNIQUE[0] + good + UNIQUE[1]), "integrity.near-copy")


# --- 3. garbled katakana --------------------------------------------------------------------------------------

GARBLED = [
    ("AIマーキッチングの新しいトレンド分析では、顧客に対する特定性認識と対応能力が重要です。", ["マーキッチング"]),
    (
        "ここでは「AIパーティンス」について詳しく説明します。これはユーザビリティと理解能力のバランスから"
        "構成される新しいアプロフィックスであり、",
        ["パーティンス", "アプロフィックス"],
    ),
    (
        "学習本能（キーワードパーソンス）はAIマーケティングで新しい知識やスキルを得ることを意味します。",
        ["キーワードパーソンス"],
    ),
    ("AIマーケティングは、智能アシスタントやエージェンスを提供するためです。", ["エージェンス"]),  # 0.5B
    ("「AI マーケットング」という言葉が初めて聞いたときに何をするかを考えます。", ["マーケットング"]),  # 1.5B
    ("「インテーナット店は、ユーザーが最も興味を示す商品を見つけました。」", ["インテーナット"]),  # 1.5B
]


@pytest.mark.parametrize(("sentence", "words"), GARBLED)
def test_garbled_katakana_from_the_real_drafts(sentence, words):
    assert garbled_in(sentence) == words


REAL_LOANWORDS = [
    # the dictionary knows them
    *("マーケティング", "トレンド", "ユーザビリティ", "パーソナライズ", "エンゲージメント", "コンテンツ", "インサイト"),
    *("チャットボット", "プライバシー", "ダッシュボード", "セグメンテーション", "インタラクション", "コンバージョン"),
    "リターゲティング",
    # it does not, and an English ending or a known word explains them (the sample post's first)
    *("パーソナライゼーション", "レコメンデーション", "レコメンデーションエンジン", "コンテンツレコメンデーション"),
    *("パーソナライズド", "ゲーミフィケーション", "ハイパーパーソナライゼーション", "マイクロインフルエンサー"),
    *("アナリティクス", "ナーチャリング", "リードナーチャリング", "ハルシネーション", "エージェンティック"),
    *("ジェネレーティブ", "フリーミアム", "スケーラビリティ", "レジリエンス", "インクルージョン"),
    *("オプティマイゼーション", "フルフィルメント", "マインドフルネス", "オーケストレーター", "マーケティングファネル"),
    "ユーザージェネレーテッドコンテンツ",
    # too short to judge
    *("ウェビナー", "ファネル"),
]


@pytest.mark.parametrize("word", REAL_LOANWORDS)
def test_real_loanwords_are_not_garbled(word):
    assert garbled_in(f"まずは{word}を活用して、顧客の理解を深めます。") == []


def test_names_the_posts_own_words_and_latin_run_ons_are_left_alone():
    assert garbled_in("ツァイガルニク効果を活用します。") == [], "a name before 効果"
    assert garbled_in("AIマーケeting的成本が高い") == [], "script.garbage's"
    assert garbled_in("マーキッチングを始めます。", frozenset({"マーキッチング"})) == [], "the post's own word"
    text = post_with(trend3=UNIQUE[0] + GARBLED[0][0] + UNIQUE[1])
    (finding,) = found(text, "script.garbled-katakana")
    assert finding.part == "trend3" and "「マーキッチング」" in finding.message_ja and finding.severity == "error"
    own = text.replace('seo_keywords: ["AI マーケティング 最新トレンド"', 'seo_keywords: ["AIマーキッチング"', 1)
    assert own != text and not found(own, "script.garbled-katakana"), "a keyword is the post's material"


# --- 4. Chinese function words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("首先に、知識とスキルを得る能力が必要であることが明確になります。", ["首先"]),  # the demo
        ("如何使用生成AI？", ["如何"]),  # the demo
        ("其次，顧客の声を集めます。", ["其次"]),
        ("因此、データの整備が欠かせません。", ["因此"]),
        ("但是、注意が必要です。", ["但是"]),
        ("我们は新しい方法を学びます。", ["我们"]),
        ("然后、結果を確認します。", ["然后"]),
        ("所以、計画が大切です。", ["所以"]),
        ("可是、問題も残ります。", ["可是"]),
    ],
)
def test_chinese_function_words(sentence, words):
    assert chinese_words(sentence) == words


@pytest.mark.parametrize(
    "sentence",
    [
        "人気の所以は、その使いやすさにあります。",
        "これが長く愛される所以です。",
        "如何にして顧客の心をつかむかが問われます。",
        "如何なる場合も、丁寧に答えます。",
        "許可是非の判断は、法務と相談して決めます。",
        "但し是非とも、小さく試してください。",
        "まず、顧客の声を集めます。次に、結果を確認します。",
    ],
)
def test_japanese_that_holds_the_same_characters_is_not_chinese(sentence):
    assert chinese_words(sentence) == []


def test_a_chinese_function_word_is_an_error_on_its_sentence():
    bad = "首先に、知識とスキルを得る能力が必要です。"
    (finding,) = found(post_with(trend1=UNIQUE[0] + bad + UNIQUE[1]), "script.chinese-pattern")
    assert finding.part == "trend1" and finding.excerpt == bad and "「首先」" in finding.message_ja


# --- 5. StepN. lines ------------------------------------------------------------------------------------------


def test_an_english_step_marker_opening_a_line_is_an_error():
    text = post_with(
        trend2=UNIQUE[0] + "\nまず、以下のようなステップを行います。\nStep1.何をするかを理解して書きます。"
    )
    (finding,) = found(text, "script.step-marker")
    assert finding.part == "trend2" and "「Step1.」" in finding.message_ja
    listed = post_with(trend3=UNIQUE[0] + "\n\n- **ステップ1**: 初期設定\n- **Step3**: 大規模なプロジェクト開発")
    (item,) = found(listed, "script.step-marker")
    assert item.excerpt == "Step3: 大規模なプロジェクト開発", "the 1.5B draft's list"


def test_japanese_steps_and_names_are_no_step_marker():
    text = post_with(
        trend2=UNIQUE[0] + "\nステップ1：顧客の声を集めます。\nAWS Step Functionsで処理を自動化します。\n" + UNIQUE[1]
    )
    assert not found(text, "script.step-marker")
    assert not found(clean_post(), "script.step-marker")


# --- 6. quoted one-line fragments --------------------------------------------------------------------------------


def test_a_line_that_only_quotes_a_phrase_is_a_fragment():
    assert quoted_fragments_in(["「学習本能の心理学的背景」"], "AIマーケティングは、データを理解する能力です。") == [
        "「学習本能の心理学的背景」"
    ]
    lines = [
        "まず、以下のようなステップを行います。",
        "Step1.何をするかを理解して書きます。",
        "「生成AIについて学ぶための技能を得る」",
    ]
    assert quoted_fragments_in(lines, "次に、具体的な計画も作成します。") == ["「生成AIについて学ぶための技能を得る」"]
    text = post_with(trend2="「学習本能の心理学的背景」\n\n" + UNIQUE[0] + UNIQUE[1])
    (finding,) = found(text, "script.quoted-fragment")
    assert finding.part == "trend2" and finding.excerpt == "「学習本能の心理学的背景」"


@pytest.mark.parametrize(
    ("lines", "after"),
    [
        (["「もっと知りたい」という気持ちが、次の行動を生みます。"], ""),  # a quote inside a sentence
        (["「AIに任せればうまくいく」", "そう考えていませんか？"], ""),  # a quote the next line takes up
        (["「導入してよかった」"], "と話す担当者もいます。"),
        (["「この結果、購読率が上がったことが確認されました。」"], ""),  # a quoted sentence
    ],
)
def test_a_quote_in_a_sentence_or_taken_up_is_no_fragment(lines, after):
    assert quoted_fragments_in(lines, after) == []


def test_quoted_voices_as_bullets_are_no_fragment():
    text = post_with(trend3=UNIQUE[0] + "\n\n- 「もっと知りたい」\n- 「どう活用できるんだろう？」")
    assert not found(text, "script.quoted-fragment")


# --- the drafts as a whole --------------------------------------------------------------------------------------


@pytest.mark.skipif(not DEMO.is_file(), reason="shared/reference/embedded-drafts is not beside this clone")
def test_the_demo_draft_gets_a_finding_for_each_of_the_six_faults():
    findings = run_rules(DEMO.read_text(encoding="utf-8"))
    by_rule = {rule: [x for x in findings if x.rule == rule] for rule in NEW_RULES}
    assert all(by_rule.values()), {rule: len(x) for rule, x in by_rule.items()}
    assert any(
        "タイトルと導入文" in x.message_ja and x.part == "front_matter" for x in by_rule["integrity.scaffolding"]
    )
    garbled = " ".join(x.message_ja for x in by_rule["script.garbled-katakana"])
    assert all(w in garbled for w in ("マーキッチング", "アプロフィックス", "パーティンス", "キーワードパーソンス"))
    chinese = [x for x in findings if x.rule == "script.chinese-pattern"]
    assert any("「首先」" in x.message_ja for x in chinese)
    assert any("Step1." in x.message_ja for x in by_rule["script.step-marker"])
    quoted = {x.excerpt for x in by_rule["script.quoted-fragment"]}
    assert quoted == {"「学習本能の心理学的背景」", "「生成AIについて学ぶための技能を得る」"}
    assert all(x.severity == "error" for rule in NEW_RULES for x in by_rule[rule])


@pytest.mark.skipif(not DRAFT_1_5B.is_file(), reason="shared/reference/embedded-drafts is not beside this clone")
def test_the_1_5b_draft_has_no_real_loanword_flagged():
    findings = [x for x in run_rules(DRAFT_1_5B.read_text(encoding="utf-8")) if x.rule == "script.garbled-katakana"]
    named = {word for x in findings for word in re.findall(r"「([ァ-ヺー]+)」", x.message_ja)}
    assert named == {"マーケットング", "インテーナット"}, "its アシスタント, テクノロジー, ライブラリ… are words"


def test_good_posts_get_none_of_the_new_findings():
    assert new_findings(clean_post()) == []
    assert new_findings(OLD_POST.read_text(encoding="utf-8")) == []
    if REFERENCE_POST.is_file():
        assert new_findings(REFERENCE_POST.read_text(encoding="utf-8")) == []


SAMPLE_LIKE = """AIマーケティングでは、顧客の行動パターンを分析し、パーソナライゼーションを進めます。
顧客セグメンテーション、レコメンデーションエンジン、チャットボットなどを構築・導入します。
ある顧客がAIの最新動向に関心を示していれば、関連する専門記事やウェビナー情報が優先的に提示されるイメージです。
パーソナライズド・コミュニケーションでは、メールやプッシュ通知の内容を自動で最適化します。
「このブランドは自分にとって価値がある」と感じた顧客は、自然と関与を深めてくれます。
自動レポート作成とダッシュボード化により、担当者は迅速に状況を把握できます。"""


def test_sample_post_like_prose_gets_none_of_the_new_findings():
    assert new_findings(post_with(trend1=SAMPLE_LIKE, cases=SAMPLE_LIKE.replace("AI", "生成AI"))) == []


# --- the drafts list: not publishable, with the count --------------------------------------------------------


def _draft_with_record(out: Path, name: str, errors: int) -> Path:
    """A draft in out/ with a run record whose gate left `errors` errors (and one warning)."""
    out.mkdir(parents=True, exist_ok=True)
    draft = out / name
    draft.write_text(clean_post(), encoding="utf-8")
    moment = datetime(2025, 12, 15, tzinfo=UTC)
    queries = ImageQueries(hero="", background="", trend="", cases="")
    plan = Plan(
        category="AIマーケティング", trend_points=[], steps=[], summary="", background="", cases="", lead="",
        trend="", title="題", description="", tags=[], image_queries=queries,
    )  # fmt: skip
    found = [
        Finding(rule="script.garbled-katakana", severity="error", message="garbled", message_ja="崩れたカタカナ")
        for _ in range(errors)
    ] + [Finding(rule="numbers.keyword", severity="warning", message="keyword", message_ja="キーワード")]
    record = RunRecord(
        genpost_version="test", created_at=moment, plan=plan, sections={}, images=[], related=[], calls=[],
        brief=Brief(instinct="learning", keywords=["AI マーケティング 最新トレンド"], structure="howTo", date=moment),
        totals={}, stage_seconds={}, reading_time=1, body_chars=30, findings=found, draft=name,
    )  # fmt: skip
    draft.with_suffix(".json").write_text(record.model_dump_json(indent=2), encoding="utf-8")
    return draft


def test_genpost_drafts_says_which_drafts_are_not_publishable(genpost, tmp_path):
    out = tmp_path / "out"
    _draft_with_record(out, "2025-12-15-bad.md", errors=5)
    _draft_with_record(out, "2025-12-14-good.md", errors=0)
    _draft_with_record(out, "2025-12-13-one.md", errors=1)
    listed = genpost("drafts", "--out", str(out))
    assert listed.code == 0, listed.stderr
    bad, good, one = listed.stdout.splitlines()
    assert bad.startswith("draft") and " 5E  1W" in bad and bad.endswith("not publishable (5 errors)")
    assert "not publishable" not in good and " 0E  1W" in good
    assert one.endswith("not publishable (1 error)")
    rows = {row["name"]: row for row in json.loads(genpost("drafts", "--out", str(out), "--json").stdout)}
    assert rows["2025-12-15-bad.md"]["publishable"] is False and rows["2025-12-14-good.md"]["publishable"] is True


def test_the_review_apps_list_shows_not_publishable_with_the_count(tmp_path):
    out = tmp_path / "out"
    _draft_with_record(out, "2025-12-15-bad.md", errors=5)
    _draft_with_record(out, "2025-12-14-good.md", errors=0)
    client = TestClient(create_app(out, None, load_settings(), load_instincts(), allowed_hosts=["testserver"]))
    page = client.get("/").text
    rows = page.split("<tr>")[2:]  # the header row first
    bad = next(r for r in rows if "2025-12-15-bad.md" in r)
    good = next(r for r in rows if "2025-12-14-good.md" in r)
    assert '<span class="blocked"' in bad and "公開不可（エラー5件）" in bad and '<span class="error">5 エラー' in bad
    assert "公開不可" not in good and '<span class="error">0 エラー' in good


def test_a_published_draft_or_an_unreadable_record_is_not_called_unpublishable(genpost, tmp_path):
    out = tmp_path / "out"
    published = _draft_with_record(out, "2025-12-15-done.md", errors=2)
    published.with_suffix(".review.json").write_text('{"status": "published"}', encoding="utf-8")
    broken = _draft_with_record(out, "2025-12-14-broken.md", errors=2)
    broken.with_suffix(".json").write_text('{"draft": ', encoding="utf-8")
    listed = genpost("drafts", "--out", str(out))
    assert "not publishable" not in listed.stdout and "record unreadable" in listed.stdout
    client = TestClient(create_app(out, None, load_settings(), load_instincts(), allowed_hosts=["testserver"]))
    assert "公開不可" not in client.get("/").text
