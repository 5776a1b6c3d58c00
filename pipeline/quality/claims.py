"""Claims: figures that read as facts need a source, or an editor's check (要確認)."""

from __future__ import annotations

import re

from pipeline.quality.context import Check
from pipeline.quality.style import sentences
from pipeline.types import Finding

FIGURE = re.compile(
    r"(?:約|およそ|最大|平均|年間)?\s*\d+(?:[.,]\d+)?\s*(?:%|％|パーセント|倍|万円|億円|円|件|ポイント|pt)"
)
SOURCE = re.compile(r"出典|によると|によれば|より引用|https?://|\]\(")


def unsourced_figures(c: Check) -> list[Finding]:
    out = []
    for block in c.doc.blocks:
        for sentence in sentences(block):
            if SOURCE.search(sentence):
                continue
            for match in FIGURE.finditer(sentence):
                figure = match.group(0).strip()
                message = f"要確認: 「{figure}」 reads as a fact but has no source"
                found = c.finding(
                    "claims.unsourced",
                    "error",
                    message,
                    f"要確認: 「{figure}」に出典がありません",
                    block=block,
                    excerpt=sentence[:60],
                )
                out.append(found.model_copy(update={"figure": figure}))
    return out


RULES = (unsourced_figures,)
