"""Fixture sites for the voice, of this project's own writing: one written in です・ます with plain H2s, credited
photos and a CTA, one in である with numbered H2s, no body image, no photo credit and no CTA.

Each sentence is put together from lists of coprime lengths (no two sentences of a site alike), each post leans on
its own topic's words, and the builder keeps what it wrote, so a test knows every figure by construction: each
paragraph sentence's length and style, each post's body length and H2 count.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pipeline.text import char_count

# (primary keyword, the topic's own nouns): each post is on one topic.
TOPICS = (
    ("AI マーケティング", ("生成AIの下書き", "AIの分析結果", "プロンプトの型", "AIへの指示文", "学習用のデータ")),
    ("メール 開封率", ("件名の言葉", "配信の時刻", "差出人の名前", "冒頭の一行", "配信リスト")),
    ("店頭 販促", ("売り場の動線", "手書きのポップ", "試食の声かけ", "レジ前の棚", "季節の飾り")),
    ("SNS 投稿", ("投稿の時間帯", "写真の構図", "ハッシュタグ", "返信の速さ", "固定の投稿")),
    ("会員 制度", ("入会の特典", "ポイントの期限", "会員証の見た目", "ランクの条件", "退会の手続き")),
    ("ウェビナー 集客", ("告知ページ", "登壇者の紹介", "申込みフォーム", "開催の曜日", "録画の配信")),
    ("口コミ 活用", ("レビューの依頼", "星の数の分布", "写真つきの感想", "返信の文面", "紹介の導線")),
    ("価格 設定", ("値札の書き方", "割引の見せ方", "松竹梅の並び", "送料の表示", "定期便の案内")),
    ("動画 制作", ("冒頭の三秒", "字幕の大きさ", "尺の長さ", "サムネイル", "締めの一言")),
    ("アプリ 通知", ("通知の文面", "送る曜日", "既読の割合", "アイコンの色", "設定の画面")),
    ("採用 広報", ("社員の声", "職場の写真", "求人票の言葉", "説明会の案内", "選考の流れ")),
    ("顧客 理解", ("問い合わせの記録", "購買の間隔", "解約の理由", "アンケートの自由回答", "店頭での会話")),
)
OPENERS = ("", "まず", "例えば、", "実際、", "この段階では", "一方で、", "ここで", "")
ACTIONS = (
    "丁寧に読み返す", "週に一度だけ数える", "担当どうしで見せ合う", "一つずつ書き出す", "前の月と比べる",
    "小さく試す", "顧客の言葉で言い直す", "朝会で話題にする", "表にまとめる", "三つに絞る", "写真に残す",
    "期限を決めて試す", "新人に説明してみる", "順番を入れ替える", "あえて減らす", "理由と一緒に記録する",
    "別の部署に見てもらう", "声に出して読む", "数字で追いかける", "競合と並べてみる", "図に起こしてみる",
    "季節ごとに見直す", "一覧にして貼り出す",
)  # fmt: skip
THINGS = (
    "次の一手", "判断の軸", "迷う時間", "手戻り", "会話の中身", "優先順位", "小さな変化", "無駄な作業",
    "成果の理由", "準備の手間", "お客様の反応", "チームの足並み", "説明の時間", "改善の糸口", "目標までの道筋",
    "現場の負担", "思わぬ強み", "失敗の原因", "振り返りの質",
)  # fmt: skip
# How a result ends: です・ます (polite) and である (plain), side by side; every one a form the voice classifies.
CHANGES = (
    ("が見えてきます。", "が見えてくる。"),
    ("がはっきりします。", "がはっきりする。"),
    ("が少しずつ変わります。", "が少しずつ変わる。"),
    ("がつかめます。", "がつかめる。"),
    ("に気づきやすくなります。", "に気づきやすい。"),
    ("が整っていきます。", "が整っていく。"),
    ("が確かなものになるのです。", "が確かなものになるのである。"),
    ("が前より軽くなりました。", "が前より軽くなった。"),
    ("が自然に決まります。", "が自然に決まるはずだ。"),
    ("に迷わなくなります。", "に迷わない。"),
    ("が共有されます。", "が共有される。"),
)  # fmt: skip
# The である site writes shorter sentences: shorter actions and things.
SHORT_ACTIONS = (
    "数える", "比べる", "試す", "減らす", "書き出す", "見せ合う", "絞る", "記録する", "読み返す", "並べる", "貼り出す",
    "問い直す", "言い直す",
)  # fmt: skip
SHORT_THINGS = ("迷い", "手戻り", "無駄", "次の手", "反応", "強み", "弱み", "課題", "負担", "狙い", "順番")
WINDOW = (9, 7)  # the actions and things one post uses (coprime with the nouns, openers and changes: no repeats)
ASPECTS = ("見直す理由", "よくある思い込み", "手順", "測り方", "続けるコツ", "つまずきやすい点", "次の一歩")
CREDIT = (
    '<small class="photo-credit">Photo by <a href="https://unsplash.com/@fixture{n}?utm_source=voice&amp;'
    'utm_medium=referral">Fixture {n}</a> on <a href="https://unsplash.com/?utm_source=voice&amp;'
    'utm_medium=referral">Unsplash</a></small>'
)
HERO_CREDIT = (
    '<p class="photo-credit">アイキャッチ画像: Photo by <a href="https://unsplash.com/@hero{n}?utm_source=voice&amp;'
    'utm_medium=referral">Hero {n}</a> on <a href="https://unsplash.com/?utm_source=voice&amp;utm_medium=referral">'
    "Unsplash</a></p>"
)
CTA = (
    '<div class="cta-section">\n  <h2>ご相談はこちら</h2>\n  <p>まずはお気軽にご相談ください。</p>\n'
    '  <a href="/contact/" class="btn btn-primary btn-lg">相談する</a>\n</div>'
)


@dataclass(frozen=True)
class Voice:
    """How a fixture site is written."""

    polite: bool  # です・ます, else である
    numbered: bool  # `## 1. …` H2s
    images: bool  # a credited photo under the first H2s, a hero credit, a CTA block
    sections: int  # H2s a post
    sentences: tuple[int, ...]  # sentences a paragraph, in turn
    rate: int  # the characters a minute `reading_time` is stated at
    odd_every: int = 0  # every n-th paragraph carries one sentence in the other style (0: none)


POLITE_SITE = Voice(polite=True, numbered=False, images=True, sections=5, sentences=(3, 4), rate=500)
PLAIN_SITE = Voice(polite=False, numbered=True, images=False, sections=6, sentences=(2, 3), rate=200, odd_every=4)


@dataclass
class Built:
    """A fixture site and what was written into it, newest post first."""

    root: Path
    names: list[str] = field(default_factory=list)
    sentences: list[list[tuple[int, str]]] = field(default_factory=list)  # each post's (length, style) in paragraphs
    bodies: list[int] = field(default_factory=list)
    h2: list[int] = field(default_factory=list)
    openers: Counter = field(default_factory=Counter)

    def styles(self, count: int | None = None) -> Counter:
        return Counter(style for post in self.sentences[:count] for _, style in post)

    def lengths(self, count: int | None = None) -> list[int]:
        return [length for post in self.sentences[:count] for length, _ in post]


def _window(words: tuple[str, ...], post: int, size: int) -> tuple[str, ...]:
    return tuple(words[(post * 3 + k) % len(words)] for k in range(size))


class Writer:
    """The sentences of one site: each from a fresh number, so none repeats."""

    def __init__(self, voice: Voice, seed: int) -> None:
        self.voice, self.numbers = voice, itertools.count(seed)

    def sentence(self, nouns: tuple[str, ...], polite: bool, post: int) -> tuple[str, str]:
        """A sentence of post number `post` (each post draws on its own few actions and things), and its opener."""
        n = next(self.numbers)
        actions = _window(ACTIONS if self.voice.polite else SHORT_ACTIONS, post, WINDOW[0])
        things = _window(THINGS if self.voice.polite else SHORT_THINGS, post, WINDOW[1])
        opener = OPENERS[n % len(OPENERS)]
        change = CHANGES[n % len(CHANGES)][0 if polite else 1]
        comma = "、" if self.voice.polite else ""
        text = f"{opener}{nouns[n % len(nouns)]}を{actions[n % len(actions)]}と{comma}{things[n % len(things)]}{change}"
        return text, opener.rstrip("、")

    def bullet(self, nouns: tuple[str, ...]) -> str:
        n = next(self.numbers)
        return f"{nouns[n % len(nouns)]}を{ACTIONS[(n * 7) % len(ACTIONS)]}"


def _post(writer: Writer, topic: int, day: date, number: int, built: Built, extra_front: str = "") -> tuple[str, str]:
    """One post's name and file text; what it holds is added to `built`."""
    voice = writer.voice
    keyword, nouns = TOPICS[topic % len(TOPICS)]
    words = "".join(keyword.split())
    title = f"{words}を見直す{voice.sections}つの視点（その{number}）"
    body: list[str] = []
    written: list[tuple[int, str]] = []
    prose: list[str] = []
    paragraphs = itertools.count()

    def paragraph() -> None:
        index = next(paragraphs)
        count = voice.sentences[index % len(voice.sentences)]
        odd = voice.odd_every and index % voice.odd_every == voice.odd_every - 1
        sentences = []
        for position in range(count):
            other = bool(odd) and position == 1  # one sentence, among the site's, in the other style
            polite = voice.polite != other
            text, opener = writer.sentence(nouns, polite, number)
            sentences.append(text)
            written.append((char_count(text), "polite" if polite else "plain"))
            if opener:
                built.openers[opener] += 1
        body.append("".join(sentences))
        prose.append(body[-1])

    paragraph()
    for h in range(1, voice.sections + 1):
        aspect = ASPECTS[(h + number) % len(ASPECTS)]
        heading = f"{nouns[h % len(nouns)]}の{aspect}"
        body.append(f"## {h}. {heading}" if voice.numbered else f"## {heading}")
        if voice.images and h <= 3:
            body.append(
                f"![{heading}のイメージ](https://images.unsplash.com/photo-{number:04d}{h}?w=1200&h=630&fit=crop)\n"
                + CREDIT.format(n=f"{number}-{h}")
            )
        paragraph()
        if h % 2 == 0:
            items = [writer.bullet(nouns) for _ in range(3)]
            body.append("\n".join(f"- {item}" for item in items))
            prose += items
        paragraph()
    if voice.images:
        body += [HERO_CREDIT.format(n=number), CTA]
    chars = char_count("\n".join(prose))
    reading = max(1, math.ceil(chars / voice.rate))
    tags = f'["{keyword}", "{nouns[0]}"]'
    description = f"{words}について、{nouns[0]}と{nouns[1]}から見直すための視点を、現場の例を交えてまとめました。"
    featured = "featured: true\n" if voice.images else ""
    front = (
        f'---\nlayout: blog-post\ntitle: "{title}"\ndate: {day.isoformat()}T01:00:00.000Z\n'
        "categories: [実践テクニック]\n"
        f'tags: {tags}\nauthor: "Fixture Writer"\ndescription: "{description}"\n'
        f'image: "https://images.unsplash.com/photo-hero{number:04d}?w=1200&h=630&fit=crop"\n{featured}'
        f'instinct: learning\nreading_time: {reading}\nseo_keywords: ["{keyword}"]\n{extra_front}---\n'
    )
    built.sentences.append(written)
    built.bodies.append(chars)
    built.h2.append(voice.sections)
    name = f"{day.isoformat()}-voice-{number:03d}"
    return name, front + "\n" + "\n\n".join(body) + "\n"


def build_site(root: Path, voice: Voice, posts: int, newest: date, seed: int = 0) -> Built:
    """A Jekyll site of `posts` posts a day apart, the newest dated `newest`, written in `voice`."""
    (root / "_posts").mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text("title: voice fixture\ntimezone: Asia/Tokyo\n", encoding="utf-8")
    built = Built(root)
    writer = Writer(voice, seed)
    for number in range(posts):
        name, text = _post(writer, number, newest - timedelta(days=number), number + 1, built)
        (root / "_posts" / f"{name}.md").write_text(text, encoding="utf-8")
        built.names.append(name)
    return built


def add_post(built: Built, voice: Voice, day: date, number: int, extra_front: str = "", seed: int = 10**6) -> Path:
    """One more post (a draft with `published: false`, a post dated in the future …), not counted in `built`."""
    scratch = Built(built.root)
    name, text = _post(Writer(voice, seed), number, day, number, scratch, extra_front)
    path = built.root / "_posts" / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path
