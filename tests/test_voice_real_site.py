"""The voice on a site like the one genpost writes for (issue 30): である posts with six H2s, most numbered
「方法1　…」「視点2　…」 with a full-width space, `seo_keywords` whose words are joined by spaces (and written apart
in the prose), `reading_time: 8` on every post whatever its length, no timezone in _config.yml, a post in CR LF.

The builder keeps what it wrote (each H2 and whether it is numbered, each post's keyword uses), so every figure
is known by construction."""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.instincts import load_instincts
from pipeline.voice.measure import PostReading, measure, read_site, reading_rate
from pipeline.voice.profile import VoiceProfile, load_voice, write_voice
from pipeline.voice.prose import numbered
from tests.voicesites import Voice, Writer

INSTINCTS = load_instincts()
NEWEST = date(2025, 11, 30)
TODAY = date(2025, 12, 10)
PLAIN = Voice(polite=False, numbered=True, images=False, sections=6, sentences=(2, 3), rate=200)
# (the primary keyword as the site's front matter holds it, the post's own nouns: none holds a keyword's word)
KEYWORDS = (
    ("AI マーケティング 最新トレンド", ("下書きの型", "指示文", "分析の結果", "学習用のデータ", "検証の手順")),
    ("メール 開封率 改善", ("件名の言葉", "配信の時刻", "差出人の名前", "冒頭の一行", "配信リスト")),
    ("店頭 販促 事例", ("売り場の動線", "手書きのポップ", "試食の声かけ", "レジ前の棚", "季節の飾り")),
    ("SNS 運用 効率化", ("写真の構図", "ハッシュタグ", "返信の速さ", "固定の投稿", "投稿の時間帯")),
    ("会員 制度 設計", ("入会の特典", "ポイントの期限", "カードの見た目", "ランクの条件", "退会の手続き")),
    ("ウェビナー 集客 施策", ("告知ページ", "登壇者の紹介", "申込みフォーム", "開催の曜日", "録画の配信")),
    ("口コミ 返信 文例", ("レビューの依頼", "星の数の分布", "写真つきの感想", "お礼の言葉", "紹介の導線")),
    ("価格 設定 心理", ("値札の書き方", "割引の見せ方", "松竹梅の並び", "送料の表示", "定期便の案内")),
    ("動画 広告 制作", ("冒頭の三秒", "字幕の大きさ", "尺の長さ", "サムネイル", "締めの一言")),
    ("アプリ 通知 最適化", ("文面の長さ", "送る曜日", "既読の割合", "アイコンの色", "設定の画面")),
    ("採用 広報 戦略", ("社員の声", "職場の写真", "求人票の言葉", "説明会の案内", "選考の流れ")),
    ("顧客 理解 調査", ("問い合わせの記録", "購買の間隔", "解約の理由", "自由回答の欄", "店頭での会話")),
)
# How each post numbers its H2s: a label and a number with a full-width space, or none (None).
LABELS = ("方法", "視点", "方法", "ポイント", "視点", None, "方法", "ステップ", "視点", "方法", None, "視点")
H2_COUNTS = (6, 6, 5, 6, 7, 6, 6, 5, 6, 6, 7, 6)  # most posts six, some five or seven
PARAGRAPHS = (1, 2, 1, 3, 2, 1, 2, 3, 1, 2, 2, 1)  # paragraphs a section after the first (bodies of many lengths)
ASPECTS = (
    "背景を押さえる",
    "現場の声を聞く",
    "数字で確かめる",
    "小さく試す",
    "続ける仕組みを作る",
    "失敗から学ぶ",
    "次の手を選ぶ",
)
# An unnumbered post's H2s: a year or a count at the start is no numbering.
PLAIN_H2 = ("2026年の{a}を見通す", "5つのポイントで整理する", "現場で起きていること", "よくある誤解")
# The prose's uses of the primary keyword: its words as the site writes them, with particles between.
USES = (
    "{a}{b}の{c}を押さえると、施策の順番が決まる。",
    "{a}{b}で{c}を試した現場では、会話の中身が変わった。",
    "{c}を意識した{a}{b}は、まだ少ない。",
    "{a}{b}の{c}は、数字だけでは語れない。",
)
CONFIG = "title: 実在サイトに似たテストサイト\nurl: https://example.com\npermalink: /blog/:year/:month/:day/:title/\n"


@dataclass
class RealSite:
    """The site, what was written into it, its voice, and a genpost home with voice.yml beside genpost.yml."""

    root: Path
    home: Path
    voice: VoiceProfile
    posts: list[Path] = field(default_factory=list)
    h2: list[list[tuple[str, bool]]] = field(default_factory=list)  # each post's H2s, and whether numbered
    uses: list[int] = field(default_factory=list)  # each post's uses of its primary keyword


def _post(writer: Writer, number: int) -> tuple[str, list[tuple[str, bool]], int]:
    """One post's text, its H2s (numbered or not) and how often its prose uses the primary keyword."""
    keyword, nouns = KEYWORDS[number]
    a, b, c = keyword.split()
    label, count = LABELS[number], H2_COUNTS[number]
    uses = 3 + number % 2  # three or four, one in a section of its own each
    body: list[str] = []
    headings: list[tuple[str, bool]] = []
    used = 0

    def paragraph(sentences: int, with_keyword: bool = False) -> None:
        nonlocal used
        text = "".join(writer.sentence(nouns, False, number)[0] for _ in range(sentences))
        if with_keyword and used < uses:
            text += USES[used].format(a=a, b=b, c=c)
            used += 1
        body.append(text)

    paragraph(3, with_keyword=True)  # the lead
    for h in range(1, count + 1):
        aspect = ASPECTS[(h + number) % len(ASPECTS)]
        if h == count:
            heading, numbers = "まとめ", False
        elif label is None:
            heading, numbers = PLAIN_H2[h - 1].format(a=a) if h <= len(PLAIN_H2) else aspect, False
        else:
            heading, numbers = f"{label}{h}\u3000{nouns[h % len(nouns)]}で{aspect}", True
        headings.append((heading, numbers))
        body.append(f"## {heading}")
        paragraph(3, with_keyword=h % 2 == 0 or h == count)
        for _ in range(PARAGRAPHS[(number + h) % len(PARAGRAPHS)] - 1):
            paragraph(2 + h % 2)
    assert used == uses, "every use of the keyword has a section"
    day = NEWEST - timedelta(days=number)
    when = f"{day.isoformat()} 09:00:00 +0900" if number % 2 else f"{day.isoformat()}T01:00:00.000Z"
    kind = label or "視点"
    title = f"{a}{b}の{c}を見直す{count}つの{kind}"
    description = (
        f"{a}{b}の{c}について、{nouns[0]}と{nouns[1]}の記録から見直すための{kind}を、現場の例を交えてまとめた。"
    )
    front = (
        f'---\nlayout: post\ntitle: "{title}"\ndate: {when}\ncategories: [マーケティング]\n'
        f'tags: ["{a}", "{c}"]\nauthor: "編集部"\ndescription: "{description}"\n'
        f'image: "https://images.unsplash.com/photo-real{number:04d}?w=1200&h=630&fit=crop"\n'
        f'reading_time: 8\nseo_keywords: ["{keyword}", "{a}{b} {nouns[0]}"]\n---\n'
    )
    return front + "\n" + "\n\n".join(body) + "\n", headings, uses


def build(base: Path) -> RealSite:
    """Twelve posts a day apart, the newest dated NEWEST; the fourth written with CR LF line endings."""
    root, home = base / "site", base / "home"
    (root / "_posts").mkdir(parents=True)
    home.mkdir()
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")  # no timezone
    (home / "genpost.yml").write_text("site:\n  name: Real Fixture\n", encoding="utf-8")
    writer = Writer(PLAIN, 3000)
    site = RealSite(root, home, VoiceProfile())
    for number in range(len(KEYWORDS)):
        text, headings, uses = _post(writer, number)
        day = NEWEST - timedelta(days=number)
        path = root / "_posts" / f"{day.isoformat()}-real-{number + 1:02d}.md"
        path.write_bytes((text.replace("\n", "\r\n") if number == 3 else text).encode("utf-8"))
        site.posts.append(path)
        site.h2.append(headings)
        site.uses.append(uses)
    site.voice = measure(root, 20, TODAY, INSTINCTS)
    write_voice(site.voice, home / "voice.yml")
    return site


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> RealSite:
    return build(tmp_path_factory.mktemp("real"))


def _check(genpost, site: RealSite, monkeypatch, *posts: Path) -> list[dict]:
    """`genpost check POSTS --site` with the site's voice.yml: every finding."""
    monkeypatch.setenv("GENPOST_CONFIG", str(site.home / "genpost.yml"))
    run = genpost("check", *map(str, posts), "--site", str(site.root), "--json")
    assert run.code in (0, 1), run.stderr
    return [finding for report in json.loads(run.stdout) for finding in report["findings"]]


# --- measuring -------------------------------------------------------------------------------------


def test_the_site_is_built_as_the_real_one_is_written(real):
    assert (real.root / "_posts").is_dir() and "timezone" not in (real.root / "_config.yml").read_text("utf-8")
    assert b"\r\n" in real.posts[3].read_bytes() and b"\r\n" not in real.posts[0].read_bytes()
    assert real.voice.measured.posts == len(KEYWORDS)  # the CR LF post is read too
    assert real.voice.style.main == "である"
    assert sum(n == 6 for n in H2_COUNTS) / len(H2_COUNTS) < 0.8  # six H2s alone would leave out too many posts


def test_the_numbered_share_is_the_count_of_numbered_h2s(real):
    headings = [h for post in real.h2 for h in post]
    share = sum(numbers for _, numbers in headings) / len(headings)
    assert 0.6 <= share <= 0.7  # as on the real site (0.62–0.66)
    assert real.voice.sections.numbered == round(share, 3)
    assert [h for h, numbers in headings if numbered(h) != numbers] == []


@pytest.mark.parametrize(
    "heading",
    [
        *("方法1\u3000顧客を知る", "視点2：データを読む", "ステップ3 準備する", "ポイント4", "1. はじめに", "1) 準備"),
        *("２）準備", "①準備", "第1章 はじめに", "第三回\u3000振り返り", "(1) 準備", "（１）準備", "【3】準備"),
        *("STEP 2 準備", "Step2：試す", "Q1. なぜか", "方法１０\u3000まとめ", "その1\u3000前提"),
    ],
)
def test_a_short_label_and_a_number_is_a_numbered_heading(heading):
    assert numbered(heading)


@pytest.mark.parametrize(
    "heading",
    [
        *("2026年のAI活用", "5つのポイント", "3選：今すぐ使える施策", "AI活用の3ステップ", "1.5倍にする方法"),
        *("GA4 の設定", "Web3 時代の集客", "2026 年の展望", "第一歩を踏み出す", "ステップ1で学ぶ基礎"),
        *("まとめ", "10月の施策"),
    ],
)
def test_a_year_a_count_or_a_name_with_a_number_is_not_a_numbering(heading):
    assert not numbered(heading)


def _covered(spans: list[tuple[float, float]], low: float, high: float) -> float:
    return sum(low <= a and b <= high for a, b in spans) / len(spans)


def test_every_range_covers_most_of_the_measured_posts(real):
    readings = read_site(real.root, 20, TODAY, INSTINCTS)
    low, high = real.voice.sections.range
    assert _covered([(len(r.h2), len(r.h2)) for r in readings], low, high) >= 0.8
    assert (low, high) == (5, 7)
    low, high = real.voice.body_length.range
    assert _covered([(r.body, r.body) for r in readings], low, high) >= 0.8
    low, high = real.voice.sentence_length.section_range
    medians = [[statistics.median(s) for s in r.sections if len(s) >= 3] for r in readings]
    assert _covered([(min(m), max(m)) for m in medians if m], low, high) >= 0.8


def test_a_constant_reading_time_is_no_reading_rate(real):
    readings = read_site(real.root, 20, TODAY, INSTINCTS)
    bodies = [r.body for r in readings]
    assert {r.reading_time for r in readings} == {8} and max(bodies) * 7 >= min(bodies) * 8  # lengths far apart
    assert real.voice.format.reading_rate is None
    assert "reading_time" in real.voice.format.front_matter  # the key is still the site's
    # A stated time that moves, but not with the length, is no rate either; one that follows the length is.
    day = NEWEST

    def posts(pairs: list[tuple[int, int]]) -> list[PostReading]:
        return [PostReading(f"p{i}", day, body=body, reading_time=minutes) for i, (body, minutes) in enumerate(pairs)]

    assert reading_rate(posts([(1000, 9), (2000, 3), (3000, 9), (4000, 3), (5000, 6)])) is None
    assert reading_rate(posts([(1000, 2), (2000, 4), (3000, 6), (4000, 8), (5000, 10)])) == 500
    assert reading_rate(posts([(3000, 8), (3600, 8), (4200, 8)])) is None  # no one rate gives all three 8
    # Posts of about one length: the same value is what one rate gives them (⌈1,420 / 480⌉ = 3), and it is learnt.
    assert reading_rate(posts([(1360, 3), (1400, 3), (1420, 3)])) == 470
    assert reading_rate(posts([(1000, 2), (2000, 4)])) is None  # two posts say too little


def test_voice_measures_the_site_through_the_command(real, tmp_path, monkeypatch, genpost):
    home = tmp_path / "home"
    home.mkdir()
    (home / "genpost.yml").write_text("", encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(home / "genpost.yml"))
    run = genpost("voice", "--site", str(real.root))
    assert run.code == 0, run.stderr
    written = load_voice(home / "voice.yml")
    assert written.sections == real.voice.sections and written.format.reading_rate is None
    assert "  reading_rate: null  #" in (home / "voice.yml").read_text(encoding="utf-8")


def test_a_keywords_word_is_found_as_the_prose_writes_it():
    from pipeline.quality.numbers import word_uses

    assert word_uses("生成aiとai マーケティング、aiの活用", "AI") == 3
    assert word_uses("emailとopenaiの話", "AI") == 0  # a Latin word stands as a word of its own
    assert word_uses("ａｉ マーケティング".lower(), "マーケティング") == 1
    assert word_uses("最新 トレンド", "最新トレンド") == 1  # spaces in the prose are no part of the word


# --- the gate --------------------------------------------------------------------------------------

QUIET = ("voice.h2", "numbers.keyword", "numbers.title-keyword", "voice.reading-time", "numbers.keyword-stuffing")


def test_check_site_finds_nothing_of_the_sites_own_format_in_its_posts(real, monkeypatch, genpost):
    found = _check(genpost, real, monkeypatch, *real.posts)
    assert [f for f in found if f["rule"] in QUIET] == []
    assert [f for f in found if f["rule"] == "style.spacing"] == []  # the site writes AIマーケティング, tight


def test_a_stuffed_keyword_is_named_as_stuffing_not_as_spacing(real, monkeypatch, genpost, tmp_path):
    text = real.posts[0].read_text(encoding="utf-8")
    keyword = KEYWORDS[0][0]
    stuffed = f"{keyword}を知る。{keyword}を学ぶ。{keyword}で勝つ。{keyword}の時代である。"
    fourth = f"\n## {real.h2[0][3][0]}\n"  # the third section uses no keyword: the four uses are all it has
    post = tmp_path / real.posts[0].name
    post.write_text(text.replace(fourth, f"\n{stuffed}\n{fourth}", 1), encoding="utf-8")
    found = _check(genpost, real, monkeypatch, post)
    stuffing = [f for f in found if f["rule"] == "numbers.keyword-stuffing"]
    assert len(stuffing) == 1 and stuffing[0]["severity"] == "error"
    assert f"キーワード「{keyword}」が200字以内に4回" in stuffing[0]["message_ja"]
    assert stuffing[0]["excerpt"] == keyword
    assert [f for f in found if f["rule"] == "style.spacing"] == []
    # Three uses are a sentence's business, not stuffing; a lone spaced use still reads as uneven spacing.
    once = tmp_path / "once" / real.posts[0].name
    once.parent.mkdir()
    lone = "この点でAI マーケティングを見直す。"
    once.write_text(text.replace(fourth, f"\n{lone}\n{fourth}", 1), encoding="utf-8")
    found = _check(genpost, real, monkeypatch, once)
    assert "numbers.keyword-stuffing" not in {f["rule"] for f in found}
    assert "style.spacing" in {f["rule"] for f in found}


def test_the_keyword_is_counted_by_its_words(real, monkeypatch, genpost, tmp_path):
    # Each post uses its keyword three or four times, its words apart: within 3–5, nothing to say.
    assert set(real.uses) == {3, 4}
    post = tmp_path / real.posts[0].name
    text = real.posts[0].read_text(encoding="utf-8")
    gone = text.replace("最新トレンドを押さえると", "動きを押さえると").replace("最新トレンドを試した", "型を試した")
    assert gone != text
    post.write_text(gone, encoding="utf-8")
    found = [f for f in _check(genpost, real, monkeypatch, post) if f["rule"] == "numbers.keyword"]
    assert len(found) == 1 and "いちばん少ない「最新トレンド」の回数" in found[0]["message_ja"]
    assert "本文に1回" in found[0]["message_ja"]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda t: t.replace("  range: [5, 7]", "  range: [-1, 7]", 1), "sections.range"),
        (lambda t: t.replace("  range: [5, 7]", "  range: [7, 5]", 1), "sections.range"),
        (lambda t: re.sub(r"section_range: \[\d+", "section_range: [-4", t), "sentence_length.section_range"),
    ],
)
def test_a_negative_or_reversed_range_in_voice_yml_is_one_line(real, tmp_path, monkeypatch, genpost, change, key):
    home = tmp_path / "home"
    home.mkdir()
    (home / "genpost.yml").write_text("", encoding="utf-8")
    text = (real.home / "voice.yml").read_text(encoding="utf-8")
    assert "  range: [5, 7]" in text
    broken = change(text)
    assert broken != text
    (home / "voice.yml").write_text(broken, encoding="utf-8")
    monkeypatch.setenv("GENPOST_CONFIG", str(home / "genpost.yml"))
    for run in (
        genpost("check", str(real.posts[0]), "--site", str(real.root)),
        genpost("voice", "--site", str(real.root), "--check"),
    ):
        assert run.code == 2, (run.code, run.stderr)
        assert run.stderr.startswith("genpost: error: ") and run.stderr.count("\n") == 1, run.stderr
        assert str(home / "voice.yml") in run.stderr and key in run.stderr


def test_a_range_end_below_zero_or_out_of_order_is_refused():
    from pydantic import ValidationError

    from pipeline.voice.profile import BodyLength

    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        BodyLength(median=10, q1=5, q3=20, range=(-100, 2000))
    with pytest.raises(ValidationError, match="must not be larger"):
        BodyLength(median=10, q1=5, q3=20, range=(3000, 2000))
    assert BodyLength(median=10, q1=5, q3=20, range=(0, 0)).range == (0, 0)
