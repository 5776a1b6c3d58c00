"""The stand-in's "model": reads genpost's prompts and answers in Japanese.

It is deterministic and knows only what any model could read from the prompt:
the primary keyword, the requested length (約N字) and, for JSON answers, the schema.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

# Sentences are put together from three lists of coprime lengths, so no two in a post say the
# same thing and paragraphs share little wording, as a person's would.
SUBJECTS = (
    "顧客の関心", "小さな試み", "担当者同士の目線合わせ", "集めたアンケート", "読者の疑問", "最初の成功体験",
    "ツールの設定", "店頭で聞いた声", "施策の目的", "週ごとの振り返り", "チームの役割分担", "問い合わせの内容",
    "過去の配信履歴", "毎朝の観察メモ", "次の一手の候補", "商品ページの導線", "季節ごとの需要",
    "既存客の購買間隔", "競合の見せ方", "社内の用語集", "新人向けの手引き", "会員登録の手順", "メールの件名",
    "資料の見出し", "営業との情報交換", "解約理由の記録", "レビューの傾向", "広告の訴求軸", "イベントの来場者",
    "価格の伝え方", "写真の選び方", "導入事例の構成", "相談窓口の対応", "検索されている言葉", "説明動画の長さ",
    "比較表の項目", "お礼の一言", "試用期間の案内", "よくある質問の並び", "担当者の思い込み", "数値目標の置き方",
)  # fmt: skip
MIDDLES = (
    "を丁寧に確かめると", "を定期的に見直すと", "を言葉にしておくと", "を小さく試してみると",
    "を数字で追いかけると", "を記録に残しておくと", "を周囲と共有すると", "を早めに整えておくと",
    "を一つずつ点検すると", "を優先して考えると", "を具体的に描いてみると", "を続けて観察すると",
    "を顧客の目線で読み直すと", "を月末にまとめると", "を図に起こすと", "を声に出して説明すると",
    "を他部署に見てもらうと", "を三つに絞り込むと", "を前回と比べると", "を朝会で話題にすると",
    "を短い言葉に直すと", "を写真で残しておくと", "を順番に並べ替えると", "を例え話で伝えると",
    "を一覧にしておくと", "をあえて減らしてみると", "を週に一度だけ測ると", "を新しい人に任せると",
    "を理由と一緒に書くと", "を相手の言葉で言い換えると", "を期限付きで試すと",
)  # fmt: skip
ENDINGS = (
    "判断がぶれにくくなります。", "改善の糸口が見つかります。", "次の施策を選びやすくなります。",
    "無理のない運用が続きます。", "信頼が少しずつ積み上がります。", "成果の理由が見えてきます。",
    "迷いが減り動きが速くなります。", "読者との距離が縮まります。", "学びが次の行動につながります。",
    "取り組みが定着しやすくなります。", "チームの足並みがそろいます。", "思わぬ強みに気づけます。",
    "手戻りがぐっと減ります。", "話し合いが前向きになります。", "お客様の反応が読みやすくなります。",
    "担当が替わっても品質が保てます。", "優先順位がはっきりします。", "小さな変化にも早く気づけます。",
    "説明にかかる時間が短くなります。", "よい習慣として根づいていきます。", "失敗の原因を特定しやすくなります。",
    "新しいアイデアが生まれやすくなります。", "関係者の納得感が高まります。",
    "ムダな作業に気づきやすくなります。", "目標までの道筋が描けます。", "現場の負担が軽くなります。",
    "顧客の期待とのずれが小さくなります。", "次に試すことが自然に決まります。", "振り返りの質が上がります。",
)  # fmt: skip


OPENERS = (
    "ふだんから", "最初の週に", "会議の前に", "迷ったときこそ", "忙しい時期ほど", "新しい期が始まったら", "月に一度は",
    "担当が決まったら", "公開の前に", "数字が落ちたときは", "慣れてきた頃に", "年度の初めに", "小さなチームでも",
    "予算が限られていても", "少し立ち止まって", "朝の十分間で", "週末の前に", "節目ごとに", "思い切って",
    "焦らずに", "できるところから", "いつもより丁寧に", "ときどき",
)  # fmt: skip
SPACE = len(OPENERS) * len(SUBJECTS) * len(MIDDLES) * len(ENDINGS)  # coprime lengths: 847,757 sentences


def sentence(n: int) -> str:
    """The n-th sentence: all SPACE of them are different."""
    parts = (OPENERS, SUBJECTS, MIDDLES, ENDINGS)
    return "".join(words[n % len(words)] for words in parts)


BRIDGES = ("ここまでの背景を踏まえて見ていくと、", "こうした流れを実践に移すなら、", "実際の現場に目を向けると、")
TAGS = ("心理学マーケティング", "顧客体験", "行動経済学", "コンテンツ戦略", "データ活用")
ENGLISH = ("business strategy meeting", "marketing analytics dashboard", "team collaboration office", "people learning")


# A passage as a drafting prompt quotes it, and a figure in it.
PASSAGE = re.compile(r"^\[S(\d+)\] (.+) \(.*\)$", re.MULTILINE)
FIGURE = re.compile(r"\d+(?:\.\d+)?(?:%|ポイント|倍)")


def _line_value(prompt: str, label: str) -> str | None:
    match = re.search(rf"^- {label}: (.+)$", prompt, re.MULTILINE)
    return match.group(1).strip() if match else None


class FakeWriter:
    """Deterministic answers shaped by the prompt.

    Each answer draws its sentences from a place in the sentence sequence that its prompt
    decides, so the same prompt always gets the same answer, whatever order calls come in.
    """

    def __init__(self) -> None:
        self._local = threading.local()  # each answer's sentence numbers (the server answers on many threads)
        self._used: set[int] = set()
        self._lock = threading.Lock()

    def _sequence(self, prompt: str) -> Iterator[int]:
        """Sentence numbers from where the prompt's hash points, skipping any this writer has used."""
        n = int(hashlib.sha256(prompt.encode()).hexdigest()[:12], 16) % SPACE
        while True:
            with self._lock:
                while n in self._used:
                    n = (n + 1) % SPACE
                self._used.add(n)
            yield n

    def _next(self) -> int:
        return next(self._local.numbers)

    def answer(self, body: dict[str, Any]) -> str:
        prompt = "\n".join(m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user")
        self._local.numbers = self._sequence(prompt)
        keyword = _line_value(prompt, "主キーワード") or "マーケティング"
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            spec = fmt["json_schema"]
            if spec.get("name") == "edits":
                find = spec["schema"]["$defs"]["Edit"]["properties"]["find"]["description"]
                limit = int(re.search(r"(\d+)字以内", find).group(1))
                return json.dumps({"edits": self.polish(prompt, limit)}, ensure_ascii=False)
            value = self._instance(spec["schema"], spec["schema"].get("$defs", {}), "", keyword, prompt)
            return json.dumps(value, ensure_ascii=False)
        return self.prose(prompt, keyword)

    def prose(self, prompt: str, keyword: str) -> str:
        match = re.search(r"約(\d+)字", prompt)
        target = int(match.group(1)) if match else 200
        include = f"主キーワード「{keyword}」を1回だけ" in prompt
        out = f"{keyword}では、{sentence(self._next())}" if include else ""
        cited = self.citation(prompt)
        while len(out) < target - len(cited):
            out += sentence(self._next())
        return out + cited

    def polish(self, prompt: str, limit: int) -> list[dict[str, str]]:
        """Edits as a careful editor makes them: each section after the lead opens with a line that
        takes up the one before it (the opening words of its first paragraph, copied exactly)."""
        draft = prompt.split("【下書き】", 1)[-1].splitlines()[1:]
        openings = [
            next((line for line in draft[n + 1 :] if line.strip() and not line.startswith("#")), "")
            for n, line in enumerate(draft)
            if line.startswith("## ")
        ]
        edits = []
        for bridge, opening in zip(BRIDGES, openings[1:], strict=False):
            # The sentence's opening words (after a "<keyword>では、" lead-in, which other sections share):
            # short, and almost always unique.
            lead_in = opening.find("では、")
            sentence_start = opening[lead_in + 3 :] if 0 <= lead_in < limit else opening
            anchor = sentence_start[: min(limit, 24)]
            if anchor:
                edits.append({"find": anchor, "replace": bridge + anchor, "reason": "つなぎ"})
        return edits

    def citation(self, prompt: str) -> str:
        """A sentence that uses a figure from a passage the prompt quotes, with its marker."""
        quoted = [(number, FIGURE.search(text)) for number, text in PASSAGE.findall(prompt)]
        usable = [(number, figure.group(0)) for number, figure in quoted if figure]
        if not usable:
            return ""
        n = self._next()
        number, figure = usable[n % len(usable)]
        subject, ending = SUBJECTS[n % len(SUBJECTS)], ENDINGS[n % len(ENDINGS)]
        return f"資料の{figure}という数字を手がかりに{subject}を考えると{ending}[S{number}]"

    def _instance(self, schema: dict, defs: dict, name: str, keyword: str, prompt: str) -> Any:
        if "$ref" in schema:
            return self._instance(defs[schema["$ref"].split("/")[-1]], defs, name, keyword, prompt)
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object":
            return {
                key: self._instance(sub, defs, f"{name}.{key}".lstrip("."), keyword, prompt)
                for key, sub in schema.get("properties", {}).items()
            }
        if kind == "array":
            count = schema.get("minItems", 3)
            if name == "tags":
                return [keyword, *TAGS][:count]
            items = {**schema.get("items", {})}
            items.setdefault("description", schema.get("description", ""))
            return [self._instance(items, defs, name, keyword, prompt) for _ in range(count)]
        if kind in ("integer", "number"):
            return 1
        if kind == "boolean":
            return True
        limit = re.search(r"(\d+)字以内", schema.get("description", ""))
        text = self._string(name, keyword, prompt)
        return text[: int(limit.group(1))] if limit else text

    def _string(self, name: str, keyword: str, prompt: str) -> str:
        compact = "".join(keyword.split())
        n = self._next()
        year = _line_value(prompt, "公開日") or "2026年"
        year = year[: year.index("年") + 1] if "年" in year else "2026年"
        if name == "title" and "似すぎています" in prompt:
            return f"{year}版{compact}を深掘りする3つの視点"
        if name == "title":
            return f"{year}版{compact}の実践ガイド5選"
        if name == "steps.title":
            return "顧客理解を深める準備"
        if name == "description":
            return f"{compact}を心理学の視点で整理し、明日から使える実践ステップを紹介します。"
        if name.startswith("image_queries."):
            return ENGLISH[n % len(ENGLISH)]
        if name.endswith("label"):
            return "目的を明確にする"
        return sentence(n)


HOSTILE = (
    '{% include secret.html %} {{ site.github }} <script>alert("x")</script> '
    '[click](javascript:alert(1)) ---\nlayout: evil\n--- "quote": #tag ../../etc/passwd'
)


class HostileWriter(FakeWriter):
    """A model that echoes hostile text into every answer, while keeping JSON valid."""

    def prose(self, prompt: str, keyword: str) -> str:
        return f"## 見出し\n{HOSTILE}\n\n" + super().prose(prompt, keyword) + f"\n{HOSTILE}"

    def _string(self, name: str, keyword: str, prompt: str) -> str:
        text = super()._string(name, keyword, prompt)
        if name.startswith("image_queries."):
            return text
        if name in ("title", "description", "steps.title"):
            return text + ' {{ x }} "q": #1 </script>'
        return text + HOSTILE
