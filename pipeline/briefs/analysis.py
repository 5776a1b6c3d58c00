"""What the top results say, read without a model: the topics they share (matched by meaning: fugashi's words
ranked with BM25, not identical strings), the questions they answer, what the searcher wants, what they leave
out, how long they are; and the post's outline with each part's points, each naming what it answers.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import bm25s
import numpy as np

from pipeline.briefs.model import POINTS, IntentNote, Length, Point, Question, Section, Shared
from pipeline.instincts import Instinct
from pipeline.quality.coverage import ROLE
from pipeline.sources.index import tokens
from pipeline.writing.outline import Kind, Part, build_outline

# A heading's numbering, which says nothing of its topic: 1. / 第2章 / ① / ステップ3： / 方法1　/ STEP 2
_NUMBERING = re.compile(
    r"^\s*(?:第?\s*[0-9０-９]+\s*[章節.．、)）:：]?|[①-⑳]|(?:ステップ|STEP|Step|ＳＴＥＰ|方法|ポイント|手順|その|Q|Ｑ)\s*[0-9０-９]*\s*[.．:：]?)\s*"
)
# Headings every page has, which no searcher asks about.
_BOILERPLATE = re.compile(
    r"^(?:まとめ|おわりに|はじめに|目次|関連記事|参考|参考文献|お問い合わせ|この記事|著者|プロフィール)"
)
_ASKS = re.compile(
    r"(?:[？?]|とは|のか|ですか|ますか|でしょうか)\s*$|^(?:なぜ|どう|どの|何|いつ|どこ|誰)"
    r"|(?:なぜ|どう|どの|何|いつ|どこ|誰|どれ)[^。]*か\s*$"
)
# The words that say what a searcher wants, strongest first where a page says more than one.
INTENT_WORDS = {
    "購入・申込": ("料金", "価格", "費用", "申込", "申し込み", "購入", "無料トライアル", "見積", "契約", "プラン"),
    "比較検討": ("比較", "おすすめ", "ランキング", "違い", "選び方", "口コミ", "評判", "徹底比較", "メリット"),
    "手順": ("方法", "やり方", "手順", "ステップ", "始め方", "作り方", "設定", "導入", "使い方", "コツ"),
    "情報収集": ("とは", "意味", "最新", "トレンド", "事例", "動向", "仕組み", "種類"),
}
SAME_TOPIC = 0.45  # a heading matches another page's when it scores this share of what it scores against itself
# What each kind of part is for, beside its heading, when points are matched to parts.
ROLES = {
    "lead": "読者の悩み 結論 この記事でわかること",
    "background": "心理 理由 なぜ 仕組み",
    "trend_intro": "最新 動向 トレンド 変化",
    "steps_intro": "手順 全体像 準備",
    "cases": "事例 成果 効果 数値 企業",
    "summary": "まとめ 次の行動 ポイント",
}
STEP_TITLES = ("準備と計画", "実行と運用", "測定と改善")


@dataclass
class PageSection:
    level: int
    heading: str
    text: str = ""  # the text under it, up to the next heading


@dataclass
class Page:
    """One result as it was read: its sections, length, and when; or why it could not be read."""

    url: str
    title: str
    sections: list[PageSection] = field(default_factory=list)
    chars: int = 0
    fetched_at: datetime | None = None
    error: str = ""

    @property
    def read(self) -> bool:
        return not self.error


def topic_of(heading: str) -> str:
    """A heading without its numbering and outer punctuation."""
    return _NUMBERING.sub("", heading.strip()).strip(" 　:：-|｜")


def _index(texts: list[list[str]]) -> bm25s.BM25:
    index = bm25s.BM25()
    index.index([t or ["∅"] for t in texts], show_progress=False)
    return index


def shared_topics(pages: list[Page]) -> list[Shared]:
    """The topics two or more results cover, and which: each heading matched to the other pages' headings (and
    the text under them) by BM25 over fugashi's words; matches joined into topics."""
    items = [
        (n, topic_of(s.heading), s)
        for n, page in enumerate(pages, 1)
        for s in page.sections
        if topic_of(s.heading) and not _BOILERPLATE.match(topic_of(s.heading))
    ]
    if len(items) < 2:
        return []
    words = [tokens(topic) * 2 + tokens(s.text[:200]) for _, topic, s in items]
    index = _index(words)
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    scores = _similarities(index, [tokens(topic) for _, topic, _ in items])
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            mutual = scores[i][j] >= SAME_TOPIC * scores[i][i] and scores[j][i] >= SAME_TOPIC * scores[j][j]
            if items[i][0] != items[j][0] and scores[i][i] > 0 and scores[j][j] > 0 and mutual:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(root(i), []).append(i)
    topics = []
    for members in groups.values():
        pages_of = sorted({items[i][0] for i in members})
        if len(pages_of) < 2:
            continue
        # Its name: the heading nearest all the others (the shortest, of equals).
        central = max(members, key=lambda i: (sum(scores[j][i] / scores[j][j] for j in members), -len(items[i][1])))
        topics.append((-len(pages_of), min(members), Shared(topic=items[central][1], results=pages_of)))
    return [shared for *_, shared in sorted(topics, key=lambda t: (t[0], t[1]))]


def _similarities(index: bm25s.BM25, queries: list[list[str]]) -> list[list[float]]:
    """Each query's BM25 score against every document of `index` (the documents in the queries' order)."""
    rows = []
    for query in queries:
        row = [0.0] * len(queries)
        if query:
            found, scores = index.retrieve([query], k=len(queries), show_progress=False)
            for number, score in zip(map(int, np.ravel(found)), map(float, np.ravel(scores)), strict=True):
                row[number] = score
        rows.append(row)
    return rows


def questions(pages: list[Page], suggestions: list[str]) -> list[Question]:
    """The questions the results answer: headings that ask (from the result), and the engine's suggestions."""
    found: dict[str, Question] = {}
    for n, page in enumerate(pages, 1):
        for section in page.sections:
            text = topic_of(section.heading)
            if text and _ASKS.search(text):
                found.setdefault(_key(text), Question(question=text, source=f"結果{n}"))
    for suggestion in suggestions:
        text = topic_of(suggestion)
        if text:
            found.setdefault(_key(text), Question(question=text, source="検索候補"))
    return list(found.values())


def _key(text: str) -> str:
    return re.sub(r"[\s？?。、]", "", unicodedata.normalize("NFKC", text)).lower()


def intent(keywords: list[str], pages: list[Page]) -> IntentNote:
    """What the searcher wants: the kind whose words the keyword (weight 3), the results' titles (2) and their
    headings (1) use most."""
    keyword = " ".join(keywords)
    read = [p for p in pages if p.read]
    scores: dict[str, int] = {}
    why: dict[str, str] = {}
    for kind, words in INTENT_WORDS.items():
        in_keyword = [w for w in words if w in keyword]
        in_titles = [w for w in words if any(w in p.title for p in read)]
        in_headings = [w for w in words if any(w in s.heading for p in read for s in p.sections)]
        pages_with = sum(any(w in _page_words(p) for w in words) for p in read)
        scores[kind] = (
            3 * len(in_keyword)
            + 2 * sum(w in p.title for p in read for w in words)
            + sum(w in s.heading for p in read for s in p.sections for w in words)
        )
        parts = [f"キーワードに「{'」「'.join(in_keyword)}」"] if in_keyword else []
        used = list(dict.fromkeys([*in_titles, *in_headings]))[:3]
        if used:
            parts.append(f"上位{len(read)}件中{pages_with}件のタイトル・見出しに「{'」「'.join(used)}」")
        why[kind] = "、".join(parts)
    best = max(INTENT_WORDS, key=lambda k: (scores[k], k == "情報収集"))
    if scores[best] == 0:
        reason = "キーワードにも上位記事にも、比較・申込・手順を示す言葉がないため（既定: 情報収集）"
        return IntentNote(kind="情報収集", reason=reason)
    return IntentNote(kind=best, reason=f"{why[best]}があるため")  # type: ignore[arg-type]


def _page_words(page: Page) -> str:
    return " ".join([page.title, *(s.heading for s in page.sections)])


def angle(instinct: Instinct, pages: list[Page]) -> list[str]:
    """What the results leave out that the instinct's angle offers: its psychology, and each trigger word no
    result uses."""
    text = " ".join(" ".join([p.title, *(s.heading + s.text for s in p.sections)]) for p in pages)
    found = []
    if "心理" not in text:
        found.append(f"{instinct.name}の心理学的背景から説明する（上位記事は心理面に触れていません）")
    for trigger in instinct.triggers:
        if trigger not in text:
            found.append(f"「{trigger}」を軸にした{instinct.name}の切り口（上位記事は触れていません）")
    return found


def length(pages: list[Page], body: tuple[int, int]) -> Length:
    """The results' lengths, and the target proposed: their median within the site's range (`body`)."""
    chars = [p.chars for p in pages if p.read and p.chars]
    low, high = body
    if not chars:
        return Length(target=(low + high) // 2)
    median = int(statistics.median(chars))
    return Length(median=median, min=min(chars), max=max(chars), target=max(low, min(high, median)))


@dataclass
class Candidate:
    point: Point
    words: list[str]


def outline(
    instinct: Instinct,
    theme: str,
    structure: str,
    keyword: str,
    shared: list[Shared],
    asked: list[Question],
    angles: list[str],
) -> list[Section]:
    """The post's parts in the structure's order, each with 2–4 points: the shared topics and questions that
    best match its heading and role (BM25 over fugashi's words), each used once, then the instinct's angle."""
    parts = list(build_outline(instinct.name, theme, structure, list(STEP_TITLES)))
    candidates = [Candidate(Point(text=s.topic, answers=_results(s.results)), tokens(s.topic)) for s in shared]
    candidates += [
        Candidate(Point(text=q.question, answers=f"質問{n}"), tokens(q.question)) for n, q in enumerate(asked, 1)
    ]
    used: set[int] = set()
    chosen: dict[str, list[Point]] = {p.key: [] for p in parts}
    if candidates:
        index = _index([c.words for c in candidates])
        for part in parts:
            query = tokens(" ".join([part.heading or "", ROLES.get(part.group if part.position == 0 else "", "")]))
            if part.kind is Kind.STEP:
                query += tokens(ROLES["steps_intro"])
            if not query:
                continue
            found, scores = index.retrieve([query], k=len(candidates), show_progress=False)
            for number, score in zip(map(int, np.ravel(found)), map(float, np.ravel(scores)), strict=True):
                if len(chosen[part.key]) >= POINTS[1] - 1 or score <= 0:
                    break
                if number not in used:
                    used.add(number)
                    chosen[part.key].append(candidates[number].point)
    # What is left goes where there is room, in reading order; the instinct's angle goes to its background; then
    # each part's own role.
    rest = [c.point for n, c in enumerate(candidates) if n not in used]
    extra = [Point(text=a, answers="切り口") for a in angles]
    for part in parts:
        points = chosen[part.key]
        while part.key == "background" and extra and len(points) < POINTS[1] - 1:
            points.append(extra.pop(0))
        while len(points) < POINTS[0] and rest:
            points.append(rest.pop(0))
        for own in _own_points(part, keyword, instinct.name):
            if len(points) >= POINTS[0]:
                break
            points.append(Point(text=own, answers=ROLE))
    return [Section(part=p.key, heading=p.heading, points=chosen[p.key]) for p in parts]


def _results(numbers: list[int]) -> str:
    return "結果" + "・".join(map(str, numbers))


def _own_points(part: Part, keyword: str, instinct: str) -> tuple[str, str]:
    """What a part says on its own, when no result or question fits it: its role in the post."""
    subject = re.sub(r"^ステップ\d+[:：]\s*", "", part.heading or "")
    roles = {
        "lead": (f"「{keyword}」で読者が抱えている悩みを示す", "この記事でわかることを先に示す"),
        "background": (f"{instinct}が「{keyword}」で働く理由を説明する", "読者の行動が変わる心理の仕組みを示す"),
        "trend_intro": (f"「{keyword}」をめぐる最近の変化を示す", "この節で扱う論点を先に示す"),
        "steps_intro": ("3つのステップの全体像を示す", "始める前に用意するものを示す"),
        "cases": (f"「{keyword}」で成果を出した事例を示す", "事例から読み取れる効果を示す（出典のある数値だけ）"),
        "summary": ("記事の要点を3つにまとめる", "読者が次に取る行動を示す"),
    }
    if part.key in roles:
        return roles[part.key]
    if part.kind is Kind.STEP:
        return (f"{subject}で何をするかを具体的に示す", f"{subject}の進み具合の測り方を示す")
    return (f"{subject}を「{keyword}」に当てはめて説明する", f"{subject}について読者が今日からできることを示す")
