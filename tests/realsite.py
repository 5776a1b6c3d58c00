"""A Jekyll site built like the real one genpost writes for (issue 30).

Its own layouts render the CTA (an include) and the related posts; `_config.yml` has a url and no timezone; it has
a logo file. Its 24 posts carry the old generator's front matter: a date with no offset, `author: "LeadFive"`,
`reading_time: 8` on every post whatever its length, `seo_keywords` of space-joined phrases whose words the prose
writes apart. The four oldest (2025) are in です・ます with plain H2s; the twenty since November 2025 in である with
six H2s, most numbered 「方法1　…」 with a full-width space, some plain (はじめに, まとめ) and a few odd ones (a
closing `#`, an H3 under an H2, an emoji, a colon). Posts link earlier posts in their prose through `post_url`, some
cite a figure in a footnote. Three 2026 posts still name 2025 as the current year: faults a check must find. One
post is saved with CR LF line endings.

Every sentence comes from the next number of one counter, its parts picked from small windows of long word lists
(each section of each post its own window), and each post has nouns of its own topic: no two sentences of the site
are alike and no two sections or posts read alike. The builder keeps what it wrote, so a test knows every figure.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

URL = "https://www.example.jp"
CONFIG = f"title: LeadFive テストサイト\nurl: {URL}\nbaseurl: ''\nmarkdown: kramdown\n"  # no timezone, no permalink
DEFAULT_LAYOUT = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>{% if page.title %}{{ page.title }} | {% endif %}{{ site.title }}</title>
<meta name="description" content="{{ page.description | default: site.title }}">
</head>
<body>
<header><a href="{{ '/' | relative_url }}">
<img src="{{ '/assets/images/logo.png' | relative_url }}" alt="LeadFive"></a></header>
<main>
{{ content }}
</main>
<footer>LeadFive</footer>
</body>
</html>
"""
POST_LAYOUT = """---
layout: default
---
<article class="blog-post">
<h1>{{ page.title }}</h1>
<p class="post-meta">{{ page.date | date: "%Y年%m月%d日" }} · {{ page.author }} · {{ page.reading_time }}分</p>
<img class="hero" src="{{ page.image }}" alt="{{ page.title }}">
<div class="post-content">
{{ content }}
</div>
</article>
{% include cta.html %}
<section class="related-posts">
<h2>関連記事</h2>
<ul class="related-list">
{% for post in site.related_posts limit:3 %}<li class="related">
<a href="{{ post.url | relative_url }}">{{ post.title }}</a></li>
{% endfor %}</ul>
</section>
"""
CTA_INCLUDE = """<div class="cta-box">
<h2>無料相談受付中</h2>
<p>AI×心理学マーケティングのご相談は、お気軽にどうぞ。</p>
<a href="/contact/" class="cta-button">無料相談はこちら</a>
</div>
"""

# Each post's primary keyword (three words, as `seo_keywords` joins them) and category, and its nouns (one a section),
# oldest post first.
# At least one of a keyword's words stands in no word list, so the prose has it only where the builder puts it.
_KEYWORDS = (
    ("メール 配信 開封率", "実践テクニック"),
    ("店頭 販促 事例", "業界別ガイド"),
    ("会員 制度 設計", "戦略立案"),
    ("口コミ 返信 文例", "実践テクニック"),
    ("AI マーケティング 最新トレンド", "AIマーケティング"),
    ("価格 設定 心理", "消費者心理"),
    ("ウェビナー 集客 告知文", "実践テクニック"),
    ("動画 広告 制作", "実践テクニック"),
    ("SNS 運用 効率化", "AIマーケティング"),
    ("アプリ 通知 最適化", "実践テクニック"),
    ("採用 広報 戦略", "戦略立案"),
    ("顧客 理解 調査", "消費者心理"),
    ("LP 構成 見直し", "実践テクニック"),
    ("展示会 出展 準備", "業界別ガイド"),
    ("生成AI 社内 活用法", "AIマーケティング"),
    ("広告 予算 配分", "戦略立案"),
    ("BtoB 商談 育成", "成功事例"),
    ("ブランド 認知 拡大", "戦略立案"),
    ("リピート 購入 促進", "消費者心理"),
    ("地域 集客 連携", "業界別ガイド"),
    ("ChatGPT 業務 効率", "AIマーケティング"),
    ("EC サイト 回遊", "成功事例"),
    ("コンテンツ 企画 発想法", "トレンド分析"),
    ("カスタマー サポート 品質", "実践テクニック"),
)
_NOUNS = (
    "件名の言葉 配信の時刻 差出人の名前 冒頭の一行 宛先リストの整理",
    "売り場の動線 手書きのポップ 試食の声かけ レジ前の棚 季節の飾りつけ",
    "入会の特典 ポイントの期限 会員証の見た目 ランクの条件 退会の手続き",
    "レビューの依頼 星の数の分布 写真つきの感想 お礼の言葉 厳しい意見への対応",
    "生成AIの下書き 指示文の型 分析の結果 学習用のデータ 人による確認",
    "値札の書き方 割引の見せ方 松竹梅の並び 送料の表示 定期便の案内",
    "告知ページ 登壇者の紹介 申込みフォーム 開催の曜日 録画の配信",
    "冒頭の三秒 字幕の大きさ 尺の長さ サムネイル 締めの一言",
    "投稿の時間帯 写真の構図 ハッシュタグ 返信の速さ 固定の投稿",
    "通知の文面 送る曜日 既読の割合 アイコンの色 設定の画面",
    "社員の声 職場の写真 求人票の言葉 説明会の案内 選考の流れ",
    "問い合わせの記録 購買の間隔 解約の理由 自由回答の欄 店頭での会話",
    "ファーストビュー 見出しの言葉 ボタンの位置 導入企業の並べ方 フォームの項目",
    "ブースの配置 配布物の中身 名刺の交換 来場者への声かけ 会期後のお礼状",
    "社内規程 議事録の要約 下書きの点検 使い方の勉強会 入力してよい情報",
    "媒体の選び方 入札の上限 月ごとの配分表 成果の測り方 止める基準",
    "提案書の構成 商談の記録 見込み客の温度 事例資料 決裁者への説明",
    "ロゴの使い方 色の決まり 名前の呼ばれ方 社外での発信 社員の名刺",
    "再購入の案内 同梱の手紙 購入後のメール 定期便の中身 誕生月の特典",
    "商店街の行事 地元の新聞 近隣の店との協力 地図アプリの情報 店先の看板",
    "返信の下書き 議事メモの整理 表計算の関数 翻訳の確認 社内の質問窓口",
    "商品の並び順 検索の結果 おすすめの枠 カートの画面 商品写真の枚数",
    "取材のメモ 読者の質問 見出しの案 編集会議 過去記事の棚卸し",
    "問い合わせの窓口 回答の速さ よくある質問 応対の記録 引き継ぎの手順",
)


def _topic(keyword: str, category: str, nouns: str) -> tuple[tuple[str, str, str], str, tuple[str, ...]]:
    a, b, c = keyword.split()
    return (a, b, c), category, tuple(nouns.split())


TOPICS = tuple(_topic(k, c, n) for (k, c), n in zip(_KEYWORDS, _NOUNS, strict=True))
DATES = (
    *(date(2025, 2, 12), date(2025, 4, 9), date(2025, 6, 18), date(2025, 8, 27)),  # です・ます
    *(date(2025, 11, 5), date(2025, 11, 26), date(2025, 12, 10), date(2025, 12, 24)),
    *(date(2026, 1, 14), date(2026, 1, 28), date(2026, 2, 18), date(2026, 3, 4), date(2026, 3, 25)),
    *(date(2026, 4, 8), date(2026, 4, 29), date(2026, 5, 20), date(2026, 6, 10), date(2026, 7, 1)),
    *(date(2026, 7, 22), date(2026, 8, 12), date(2026, 9, 2), date(2026, 9, 30), date(2026, 10, 21)),
    date(2026, 11, 25),
)
HOURS = ("09:00:00", "10:30:00", "08:15:00", "12:00:00", "07:45:00")  # no offset: the old generator wrote none
POLITE_POSTS = 4  # the oldest, written before the site turned to である
STALE = (8, 10, 13)  # 2026 posts that still say 2025 is this year
OWN_YEAR = 6  # a December 2025 post that names 2025: its own year, no fault
CRLF = 11
FOOTNOTED = (2, 5, 9, 12, 15, 18, 21)
READING_TIME = 8
# How each である post numbers its H2s: a label, for five numbered H2s and まとめ; (はじめに, label), for はじめに,
# four numbered and まとめ; None, for six plain H2s.
NUMBERING = (
    "方法", ("はじめに", "視点"), "ポイント", None, ("はじめに", "方法"), "視点", ("はじめに", "ステップ"), "方法",
    None, ("はじめに", "ポイント"), "視点", ("はじめに", "方法"), "ステップ", None, ("はじめに", "視点"), "方法",
    ("はじめに", "ポイント"), "視点", None, ("はじめに", "方法"),
)  # fmt: skip
HEADING_VERBS = (
    "を見直す",
    "を数字で確かめる",
    "を小さく試す",
    "を現場で聞く",
    "を仕組みにする",
    "を言葉にする",
    "を比べて選ぶ",
)
PLAIN_HEADINGS = ("{n}の落とし穴", "{n}から始める", "{n}をどう読むか", "{n}と向き合う", "{n}を続けるには")
TITLE_VERBS = ("を見直す", "を立て直す", "で成果を出す", "を進める", "を磨く")
TITLE_KINDS = ("方法", "視点", "ポイント", "ステップ", "コツ")

# A sentence's shape: {o} opener, {n} noun, {m} another noun, {a} action, {t} thing, {r} result.
FRAMES = (
    "{o}{n}を{a}と、{t}{r}",
    "{o}{n}を{a}だけでも、{t}{r}",
    "{n}を{a}習慣があれば、{t}{r}",
    "{o}{n}と{m}をあわせて{a}と、{t}{r}",
    "{o}{n}を{a}かどうかで、{t}{r}",
    "{n}を{a}ことを続けると、{t}{r}",
    "{o}担当者が{n}を{a}と、{t}{r}",
    "{n}を{a}前と後では、{t}{r}",
    "{o}{n}を{a}チームほど、{t}{r}",
    "{n}を{a}場を設けると、{t}{r}",
    "{o}週の初めに{n}を{a}と、{t}{r}",
    "{o}{n}を{a}たびに、{t}{r}",
    "{o}{n}を{a}ようにしてから、{t}{r}",
    "{o}{m}より先に{n}を{a}と、{t}{r}",
    "{o}「{n}が先だ」と決めて{a}と、{t}{r}",
    "{o}{n}を{a}のは手間に見えるが、{t}{r}",
    "{n}を{a}と、{t}はどう変わるのか？",
    "{o}{n}を{a}と決めただけで、{t}{r}",
    "{n}を{a}手間を惜しまなければ、{t}{r}",
    "{o}{n}を{a}工夫ひとつで、{t}{r}",
    "{o}毎月{n}を{a}と、{t}{r}",
    "{o}あえて{n}を{a}と、{t}{r}",
    "{o}{n}を{a}だけの話でも、{t}{r}",
)
OPENERS = (
    "まず",
    "実際、",
    "一方で、",
    "たとえば",
    "しかし、",
    "また、",
    "そのうえで",
    "次に",
    "ここで",
    "とはいえ、",
    "つまり",
)
# Dictionary forms: what a sentence does with its noun.
ACTIONS = (
    "書き出す", "並べ直す", "数えてみる", "週ごとに見比べる", "一つに絞る", "声に出して読む", "表に整理する",
    "担当者と見直す", "前年と比べる", "小さく試す", "記録に残す", "順に洗い出す", "図にまとめる", "三か月追い続ける",
    "顧客に尋ねる", "他部署に見せる", "期限つきで試す", "部署の間で揃える", "思い切って削る", "朝のうちに確かめる",
    "数字で追う", "現場で聞き取る", "一覧にして貼る", "理由ごとに分ける", "あえて後回しにする", "予想と照らし合わせる",
    "新人に説明する", "競合と並べる", "月に一度点検する", "二つの案で比べる", "手元の紙に写す", "一行で言い表す",
    "時系列に並べる", "外部の目で読む", "色分けして示す", "週報に載せる", "半分に減らす", "ダッシュボードに載せる",
    "A/Bテストで確かめる", "KPIと結びつける", "スプレッドシートにまとめる", "セグメントごとに分ける",
    "ペルソナと突き合わせる", "CRMの履歴と照らす", "付箋に書いて並べる", "社外の人に聞いてみる", "一週間だけ止めてみる",
    "先月の記録と重ねる", "担当を替えて読み直す", "写真に撮って残す", "上司に一言で伝える", "朝会の議題にする",
    "月初に目標と並べる", "表の一列目に置く", "三つの案に分ける", "顧客の言葉で書き直す", "小さな表に落とす",
    "二人一組で確かめる", "期日を区切って集める",
)  # fmt: skip
# What the action brings to light: a sentence's subject.
THINGS = (
    "改善の糸口", "次の打ち手", "お客様の本音", "判断の軸", "迷いの原因", "無駄な作業", "やるべき順番", "手戻りの量",
    "チームの足並み", "成果の理由", "作業の段取り", "担当者の負担", "思わぬ強み", "失敗の癖", "見落としていた点",
    "会話の中身", "目標までの距離", "伸びしろ", "本当の課題", "説明の筋道", "数字の読み方", "優先すべき相手",
    "話し合いの焦点", "削ってよい作業", "伝えるべき順序", "手を打つ時期", "最初の一歩", "相手の期待", "社内の温度差",
    "任せられる範囲", "確かめるべき前提", "コンバージョンの伸び", "エンゲージメントの変化", "パーソナライズの余地",
    "リテンションの課題", "カスタマージャーニーの穴", "ROIの見込み", "売り場の空気", "読み手の関心", "問い合わせの傾向",
    "費用の重み", "次に試す仮説", "決め手になる一言", "言葉のずれ", "担当ごとの癖", "後回しにしてよい点",
    "季節による差", "常連客の動き", "新規客のつまずき", "社内での呼び名", "数字の揺れ", "引き継ぎの漏れ", "目指す姿",
)  # fmt: skip
# How a sentence ends, (である, です・ます): each a form the voice reads as its style.
RESULTS = (
    ("が浮かび上がる。", "が浮かび上がります。"),
    ("が読み取れる。", "が読み取れます。"),
    ("がはっきりと見えてくる。", "がはっきりと見えてきます。"),
    ("が少しずつ見えやすくなる。", "が少しずつ見えやすくなります。"),
    ("が早い段階で見つかる。", "が早い段階で見つかります。"),
    ("が目に見えて変わった。", "が目に見えて変わりました。"),
    ("が社内で共有される。", "が社内で共有されます。"),
    ("が揺らがなくなる。", "が揺らがなくなります。"),
    ("が自然と定まるはずだ。", "が自然と定まるはずです。"),
    ("が会議の話題にのぼった。", "が会議の話題にのぼりました。"),
    ("が一段と明確になる。", "が一段と明確になります。"),
    ("が伝わりやすくなる。", "が伝わりやすくなります。"),
    ("がつかみやすい。", "がつかみやすいです。"),
    ("が整理されていく。", "が整理されていきます。"),
    ("が口に出しやすくなる。", "が口に出しやすくなります。"),
    ("が誰の目にも明らかになる。", "が誰の目にも明らかになります。"),
    ("が議論の土台になる。", "が議論の土台になります。"),
    ("が思いのほか早く固まる。", "が思いのほか早く固まります。"),
    ("に目が向くようになる。", "に目が向くようになります。"),
    ("が手に取るようにわかる。", "が手に取るようにわかります。"),
    ("が数字の裏づけを得る。", "が数字の裏づけを得ます。"),
    ("がぶれにくくなる。", "がぶれにくくなります。"),
    ("が次の会議までにそろう。", "が次の会議までにそろいます。"),
    ("が担当者の間で一致する。", "が担当者の間で一致します。"),
    ("が新しい形で見えてきた。", "が新しい形で見えてきました。"),
    ("が以前より語りやすくなった。", "が以前より語りやすくなりました。"),
    ("が迷わず決められる。", "が迷わず決められます。"),
    ("が表の上で比べられる。", "が表の上で比べられます。"),
    ("が後から振り返れる。", "が後から振り返れます。"),
    ("が掘り起こされる。", "が掘り起こされます。"),
    ("が一枚の表に収まる。", "が一枚の表に収まります。"),
    ("が具体的な言葉になる。", "が具体的な言葉になります。"),
    ("が次の手につながる。", "が次の手につながります。"),
    ("が会話の中で見えてきた。", "が会話の中で見えてきました。"),
    ("がはっきり分かれる。", "がはっきり分かれます。"),
    ("が絞り込まれていく。", "が絞り込まれていきます。"),
    ("が誰にでも説明できるようになる。", "が誰にでも説明できるようになります。"),
)
# A section's window of each list: (size, step from one section to the next, step from one post to the next). A
# section's words are mostly its own: sections of a post share little wording, as a writer's do.
WINDOWS = {"frames": (2, 2, 5), "results": (3, 4, 11), "things": (4, 4, 7), "actions": (5, 5, 17), "openers": (2, 2, 3)}
# Uses of the primary keyword (a, b, c: its words), one to a section; (である, です・ます).
KEYWORD_USES = (
    ("{a}{b}の{c}は、言葉だけが先に広まりやすい。", "{a}{b}の{c}は、言葉だけが先に広まりやすいものです。"),
    ("{a}と{b}を別々に考えていては、{c}の姿はつかめない。", "{a}と{b}を別々に考えていては、{c}の姿はつかめません。"),
    (
        "{a}{b}で{c}を扱う会社は増えたが、成果の出方には差がある。",
        "{a}{b}で{c}を扱う会社は増えましたが、成果には差があります。",
    ),
    ("{c}を軸に{a}{b}を組み立て直すと、判断の筋道が通る。", "{c}を軸に{a}{b}を組み立て直すと、判断の筋道が通ります。"),
    ("{a}{b}の{c}は、一度決めて終わりにせず確かめ直すものだ。", "{a}{b}の{c}は、一度決めたら終わりではありません。"),
)
LINKS = (
    ("{n}の考え方は[{anchor}]({link})でも詳しく扱った。", "{n}の考え方は[{anchor}]({link})でも詳しく扱いました。"),
    ("土台となる話は[{anchor}]({link})にまとめてある。", "土台となる話は[{anchor}]({link})にまとめています。"),
    (
        "[{anchor}]({link})で紹介した進め方も、ここで生きてくる。",
        "[{anchor}]({link})で紹介した進め方も、ここで生きてきます。",
    ),
)
FIGURE = (
    "ある業界調査では、担当者の{p}%が{n}の扱いに迷った経験があると答えている[^1]。",
    "ある業界調査では、担当者の{p}%が{n}の扱いに迷った経験があると答えています[^1]。",
)
STALE_LINE = "2025年のうちに{a}{b}の足場を固めておけば、来年も慌てずに済む。"


@dataclass
class RealSite:
    """The site, and what was written into it; posts by file name (no suffix), oldest first."""

    root: Path
    posts: list[Path] = field(default_factory=list)
    crlf: Path = Path()
    stale_2025: list[str] = field(default_factory=list)  # 2026 posts that name 2025 as this year
    own_year: str = ""  # a 2025 post that names 2025: no fault
    polite: list[str] = field(default_factory=list)  # the older posts, in です・ます
    plain: list[str] = field(default_factory=list)  # the posts in である since November 2025: the voice's newest 20
    titles: dict[str, str] = field(default_factory=dict)
    h2: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # each post's H2s, and whether numbered
    h3: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)  # bullets in each post
    links: dict[str, list[str]] = field(default_factory=dict)  # the posts each post links to in its prose
    footnoted: list[str] = field(default_factory=list)  # posts citing a figure in a footnote
    uses: dict[str, int] = field(default_factory=dict)  # each post's uses of its primary keyword

    @property
    def names(self) -> list[str]:
        return [p.stem for p in self.posts]

    def numbered_share(self, names: list[str]) -> float:
        """The share of numbered H2s among these posts' H2s."""
        headings = [numbered for name in names for _, numbered in self.h2[name]]
        return sum(headings) / len(headings)


def _png() -> bytes:
    """A 1×1 white PNG: the site's logo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\0\xff\xff\xff")) + chunk(b"IEND", b"")


def _window(words: tuple, name: str, post: int, section: int) -> tuple:
    size, step, post_step = WINDOWS[name]
    start = section * step + post * post_step
    return tuple(words[(start + k) % len(words)] for k in range(size))


class Writer:
    """The sentences of the site, each from the next number of a counter."""

    def __init__(self, seed: int) -> None:
        self.numbers = itertools.count(seed)

    def sentence(self, nouns: tuple[str, ...], post: int, section: int, polite: bool) -> str:
        """A sentence of the section (mostly on its own noun, the first of `nouns`) in the post's words."""
        n = next(self.numbers)
        frames = _window(FRAMES, "frames", post, section)
        results = _window(RESULTS, "results", post, section)
        noun = nouns[0] if n % 3 else nouns[n % len(nouns)]
        other = next(m for k in range(1, len(nouns) + 1) if (m := nouns[(n + k) % len(nouns)]) != noun)
        opener = _window(OPENERS, "openers", post, section)[n // 3 % 2] if n % 3 == 0 else ""  # a third of them
        return frames[n % len(frames)].format(
            o=opener,
            n=noun,
            m=other,
            a=_window(ACTIONS, "actions", post, section)[n % WINDOWS["actions"][0]],
            t=_window(THINGS, "things", post, section)[n % WINDOWS["things"][0]],
            r=results[n % len(results)][1 if polite else 0],
        )


@dataclass
class _Post:
    """One post as it is written."""

    number: int
    keyword: tuple[str, str, str]
    nouns: tuple[str, ...]
    polite: bool
    body: list[str] = field(default_factory=list)
    h2: list[tuple[str, bool]] = field(default_factory=list)
    h3: int = 0
    items: int = 0
    uses: int = 0
    links: list[str] = field(default_factory=list)

    @property
    def style(self) -> int:
        return 1 if self.polite else 0

    def use(self) -> str:
        """The next use of the primary keyword."""
        a, b, c = self.keyword
        self.uses += 1
        return KEYWORD_USES[(self.uses - 1 + self.number) % len(KEYWORD_USES)][self.style].format(a=a, b=b, c=c)


def anchor(keyword: tuple[str, str, str]) -> str:
    """How the site names a post in a link: the phrase its title opens with."""
    a, b, c = keyword
    return f"{a}{b}の{c}"


def _headings(number: int, nouns: tuple[str, ...]) -> list[tuple[str, bool]]:
    """A post's six H2s and whether each is numbered, as the site writes them (the section's noun in each)."""
    if number < POLITE_POSTS:
        return [(PLAIN_HEADINGS[(k + number) % 5].format(n=nouns[k]), False) for k in range(5)] + [("まとめ", False)]
    scheme = NUMBERING[number - POLITE_POSTS]
    if scheme is None:
        found = [(PLAIN_HEADINGS[(k + number) % 5].format(n=nouns[k]), False) for k in range(5)]
        return [*found, ("まとめ：次の一歩", False)]
    intro, label = scheme if isinstance(scheme, tuple) else (None, scheme)
    found = [(intro, False)] if intro else []
    offset = len(found)
    for k in range(1, 6 - offset):
        mark = "：" if number % 5 == 2 and k == 2 else "\u3000"  # a colon now and then
        emoji = "💡 " if number % 6 == 1 and k == 3 else ""
        verb = HEADING_VERBS[(number + k) % len(HEADING_VERBS)]
        found.append((f"{label}{k}{mark}{emoji}{nouns[offset + k - 1]}{verb}", True))
    return [*found, ("まとめ", False)]


def _write(writer: Writer, post: _Post, names: list[str]) -> None:
    """The post's body (`names`: the posts before it, which it may link)."""
    number, nouns, polite = post.number, post.nouns, post.polite
    wanted = 3 + number % 2
    use_in = {0, 1, 6} | ({4} if wanted == 4 else set())  # sections (0: the lead) that use the keyword
    targets = [names[i] for i in sorted({number - 1, number - 2, number - 5}) if i >= 0]
    link_in = {2: 0, 3: 1, 5: 2}  # section → the target it links
    paragraphs = (2, 3, 2, 4, 3, 2, 3)  # by post and section: bodies of many lengths

    def sentences(own: tuple[str, ...], section: int, count: int) -> list[str]:
        return [writer.sentence(own, number, section, polite) for _ in range(count)]

    lead = sentences(nouns, 0, 2)
    if number in STALE:
        lead[0] = "2025年の今、" + lead[0]
    post.body.append(lead[0] + post.use() + lead[1])
    for h, (heading, numbered) in enumerate(_headings(number, nouns), start=1):
        closing = " #" if heading == "まとめ" and number % 7 == 3 else ""  # a closing `#` now and then
        post.body.append(f"## {heading}{closing}")
        post.h2.append((heading, numbered))
        noun = nouns[(h - 1) % len(nouns)]
        own = (noun, nouns[h % len(nouns)])  # its own noun, now and then the next section's
        for p in range(paragraphs[(number + h) % len(paragraphs)]):
            said = sentences(own, h, 3 if p == 0 else 2 + (p + number) % 3)
            if p == 0:
                said[0] = said[0].replace(noun, f"**{noun}**", 1)
                if h in use_in:
                    said.insert(1, post.use())
                elif h == 3 and number in FOOTNOTED:
                    said.insert(1, FIGURE[post.style].format(p=20 + number * 3 % 50, n=noun))
            elif p == 1 and h in link_in and link_in[h] < len(targets):
                target = targets[link_in[h]]
                line = LINKS[link_in[h]][post.style]
                link = f"{{% post_url {target} %}}"
                said.insert(1, line.format(n=noun, anchor=anchor(TOPICS[names.index(target)][0]), link=link))
                post.links.append(target)
            post.body.append("".join(said))
        if h in (2, 4) or (h == 5 and number % 2):
            items = sentences(own, h, 3 + (number + h) % 2)
            post.body.append("\n".join(f"- **ポイント{k}:** {item}" for k, item in enumerate(items, start=1)))
            post.items += len(items)
        if h == 3 and number % 3 == 1:
            post.body.append(f"### 補足　{own[1]}の注意点")
            post.h3 += 1
            post.body.append("".join(sentences((own[1], noun), 7, 4)))
    if number in STALE:
        a, b, _ = post.keyword
        post.body[-1] += STALE_LINE.format(a=a, b=b)
    if number in FOOTNOTED:
        post.body.append(f"[^1]: [出典](https://example.org/survey/{number:02d})")
    if post.uses != wanted:
        raise AssertionError(f"post {number}: {post.uses} uses of the keyword, {wanted} wanted")


def _front(post: _Post, category: str, when: date) -> tuple[str, str]:
    """The post's front matter, as the old generator wrote it, and its title."""
    number, nouns = post.number, post.nouns
    a, b, c = post.keyword
    scheme = NUMBERING[number - POLITE_POSTS] if number >= POLITE_POSTS else None
    label = scheme[1] if isinstance(scheme, tuple) else scheme
    kind = label or TITLE_KINDS[number % len(TITLE_KINDS)]  # 「5つの方法」 over 「方法1」…「方法5」
    count = sum(numbered for _, numbered in post.h2) or 5
    title = f"{anchor(post.keyword)}{TITLE_VERBS[number % len(TITLE_VERBS)]}{count}つの{kind}"
    keywords = [f"{a} {b} {c}", f"{a}{b} {nouns[0]}"]
    if number in STALE:
        title = f"2025年版　{title}"
        keywords.append(f"{a}{b} {c} 2025")
    elif number == OWN_YEAR:
        title = f"2025年の{title}"
        keywords.append(f"{a}{b} {c} 2025")
    ends = ("しました。", "します。") if post.polite else ("した。", "する。")
    description = (
        f"{a}{b}の{c}について、{nouns[0]}と{nouns[1]}を手がかりに{kind}を整理{ends[0]}"
        f"明日から試せる進め方もあわせて紹介{ends[1]}"
    )
    quoted = ", ".join(f'"{k}"' for k in keywords)
    front = (
        f'---\nlayout: blog-post\ntitle: "{title}"\ndate: {when.isoformat()} {HOURS[number % len(HOURS)]}\n'
        f'categories: [{category}]\ntags: [{", ".join(keywords)}]\nauthor: "LeadFive"\n'
        f'description: "{description}"\n'
        f'image: "https://images.unsplash.com/photo-{1600000000000 + number * 7919}?w=1200&h=630&fit=crop"\n'
        f"reading_time: {READING_TIME}\nseo_keywords: [{quoted}]\n---\n"
    )
    return front, title


def _slug(number: int) -> str:
    a, b, c = TOPICS[number][0]
    return f"{'2025年版-' if number in STALE else ''}{a}{b}-{c}".lower()


def real_site(root: Path, seed: int = 30) -> RealSite:
    """Build the site under `root`; what it holds is known by construction."""
    for folder in ("_posts", "_layouts", "_includes", "assets/images"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (root / "_layouts" / "default.html").write_text(DEFAULT_LAYOUT, encoding="utf-8")
    (root / "_layouts" / "blog-post.html").write_text(POST_LAYOUT, encoding="utf-8")
    (root / "_includes" / "cta.html").write_text(CTA_INCLUDE, encoding="utf-8")
    (root / "assets" / "images" / "logo.png").write_bytes(_png())
    site = RealSite(root)
    writer = Writer(seed)
    names: list[str] = []
    for number, (keyword, category, nouns) in enumerate(TOPICS):
        post = _Post(number, keyword, nouns, polite=number < POLITE_POSTS)
        _write(writer, post, names)
        front, title = _front(post, category, DATES[number])
        name = f"{DATES[number].isoformat()}-{_slug(number)}"
        text = front + "\n" + "\n\n".join(post.body) + "\n"
        path = root / "_posts" / f"{name}.md"
        path.write_bytes((text.replace("\n", "\r\n") if number == CRLF else text).encode("utf-8"))
        path.chmod(0o644)
        names.append(name)
        site.posts.append(path)
        (site.polite if post.polite else site.plain).append(name)
        site.titles[name], site.h2[name], site.h3[name], site.items[name] = title, post.h2, post.h3, post.items
        site.links[name], site.uses[name] = post.links, post.uses
        if number in FOOTNOTED:
            site.footnoted.append(name)
    site.crlf = site.posts[CRLF]
    site.stale_2025 = [names[n] for n in STALE]
    site.own_year = names[OWN_YEAR]
    return site
