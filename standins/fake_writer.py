"""The stand-in's "model": reads genpost's prompts and answers in Japanese.

It is deterministic and knows only what any model could read from the prompt:
the primary keyword, the requested length (約N字) and, for JSON answers, the schema.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

SENTENCES = (
    "{topic}を考えるときは、まず顧客が何に関心を持っているかを丁寧に確かめることが大切です。",
    "小さな範囲で試し、結果を見ながら少しずつ改善していく進め方が効果的です。",
    "担当者同士で目的を共有しておくと、施策の良し悪しを判断しやすくなります。",
    "集めたデータを定期的に振り返ることで、次に打つべき手が自然と見えてきます。",
    "読者の疑問に先回りして答える情報は、信頼を積み重ねるきっかけになります。",
    "新しい取り組みほど、最初に小さな成功体験をつくることが継続の鍵になります。",
    "ツールはあくまで手段であり、人の判断と組み合わせてこそ力を発揮します。",
    "現場の声を取り入れながら進めると、無理のない運用の形が見つかります。",
)
TAGS = ("心理学マーケティング", "顧客体験", "行動経済学", "コンテンツ戦略", "データ活用")
ENGLISH = ("business strategy meeting", "marketing analytics dashboard", "team collaboration office", "people learning")


def _line_value(prompt: str, label: str) -> str | None:
    match = re.search(rf"^- {label}: (.+)$", prompt, re.MULTILINE)
    return match.group(1).strip() if match else None


class FakeWriter:
    """Deterministic answers shaped by the prompt."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def answer(self, body: dict[str, Any]) -> str:
        prompt = "\n".join(m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user")
        keyword = _line_value(prompt, "主キーワード") or "マーケティング"
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            spec = fmt["json_schema"]
            value = self._instance(spec["schema"], spec["schema"].get("$defs", {}), "", keyword, prompt)
            return json.dumps(value, ensure_ascii=False)
        return self.prose(prompt, keyword)

    def prose(self, prompt: str, keyword: str) -> str:
        match = re.search(r"約(\d+)字", prompt)
        target = int(match.group(1)) if match else 200
        include = f"主キーワード「{keyword}」を1回だけ" in prompt
        start = next(self._counter)
        out = f"{keyword}に取り組むうえで、押さえておきたい考え方があります。" if include else ""
        i = start
        while len(out) < target:
            out += SENTENCES[i % len(SENTENCES)].format(topic="この取り組み")
            i += 1
        return out

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
        n = next(self._counter)
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
        return SENTENCES[n % len(SENTENCES)].format(topic="この取り組み")


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
