"""Claims: a figure that reads as a fact needs a source that says it, or an editor's check (要確認).

A figure counts as sourced when its sentence cites a footnote. Where the passages behind the
footnotes are known (the pipeline, or a draft's run record), the cited passage must hold the
figure too: a citation the source does not support is an error of its own.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.japanese import sentences
from pipeline.quality.context import Check
from pipeline.types import Finding

FIGURE = re.compile(
    r"(?:約|およそ|最大|平均|年間)?\s*\d+(?:[.,]\d+)?\s*(?:%|％|パーセント|倍|万円|億円|円|件|ポイント|pt)"
)
SOURCE = re.compile(r"出典|によると|によれば|より引用|https?://|\]\(")
REF = re.compile(r"\[\^([^\]\s]+)\]")
_HEDGE = re.compile(r"^(?:約|およそ|最大|平均|年間)")


def core(figure: str) -> str:
    """A figure as sources write it: NFKC (full-width digits, ％), no hedge (約), no spaces or commas."""
    text = unicodedata.normalize("NFKC", figure).replace("パーセント", "%")
    return _HEDGE.sub("", re.sub(r"[\s,]", "", text))


def holds(passage: str, figure: str) -> bool:
    """Does the passage state the figure?"""
    return core(figure) in re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", passage)).replace("パーセント", "%")


def _known(c: Check, refs: list[str]) -> bool:
    """Is what one of these footnotes' sources says known (an editor's own footnote is taken on trust)?"""
    return c.cited is not None and any(r in c.cited for r in refs)


def unsourced_figures(c: Check) -> list[Finding]:
    out = []
    for block in c.doc.prose:
        for sentence in sentences(block):
            refs = [r for r in REF.findall(sentence) if r in c.doc.footnotes]  # an undefined mark cites nothing
            if not refs and SOURCE.search(sentence):
                continue
            for match in FIGURE.finditer(sentence):
                figure = match.group(0).strip()
                if not refs:
                    en, ja = (
                        f"要確認: 「{figure}」 reads as a fact but has no source",
                        f"要確認: 「{figure}」に出典がありません",
                    )
                    found = c.finding("claims.unsourced", "error", en, ja, block=block, excerpt=sentence)
                elif _known(c, refs) and not any(holds(p, figure) for r in refs for p in (c.cited or {}).get(r, [])):
                    en = f"「{figure}」: the cited source does not say this"
                    ja = f"「{figure}」は引用した資料に書かれていません（出典と合いません）"
                    found = c.finding("claims.unsupported", "error", en, ja, block=block, excerpt=sentence)
                else:
                    continue
                out.append(found.model_copy(update={"figure": figure}))
    return out


def footnotes(c: Check) -> list[Finding]:
    """Every footnote mark has its definition (kramdown prints a bare `[^3]` otherwise); every definition is used."""
    out = []
    used = {label for label, _ in c.doc.footnote_refs}
    for block in c.doc.prose:  # a mark without its definition stays text: `[^3]`
        for label in REF.findall(block.text):
            if label not in c.doc.footnotes:
                en, ja = f"footnote [^{label}] has no definition", f"脚注 [^{label}] の出典の記載がありません"
                out.append(c.finding("claims.footnote", "error", en, ja, block=block))
    for label in c.doc.footnotes:
        if label not in used:
            en, ja = f"footnote [^{label}] is never cited", f"脚注 [^{label}] は本文で使われていません"
            out.append(c.finding("claims.footnote", "warning", en, ja))
    return out


RULES = (unsourced_figures, footnotes)
