"""Japanese style rules, after textlint's ja-technical-writing defaults, with a real tokenizer.

MeCab through fugashi with the UniDic-lite dictionary does the morphology (`pipeline.japanese.tagger`).
"""

from __future__ import annotations

import itertools
import re

from pipeline.document import Block
from pipeline.japanese import sentences, tagger
from pipeline.quality.context import Check
from pipeline.quality.numbers import stuffed
from pipeline.types import Finding

_HANKAKU_KANA = re.compile(r"[\uFF66-\uFF9F]+")
_FULL = r"[\u3040-\u30ff\u3400-\u9fff]"
_HALF = r"[A-Za-z0-9]"
_SPACED = re.compile(rf"{_FULL} {_HALF}|{_HALF} {_FULL}")
_TIGHT = re.compile(rf"{_FULL}{_HALF}|{_HALF}{_FULL}")


def _ending(sentence: str) -> str | None:
    """'polite' (です・ます), 'plain' (だ・である) or None for a sentence that ends neither way."""
    words = [w for w in tagger()(sentence) if w.feature.pos1 not in ("補助記号", "記号", "空白")]
    tail = words[-4:]
    while tail and tail[-1].feature.pos1 == "助詞" and tail[-1].feature.pos2 == "終助詞":
        tail = tail[:-1]
    if not tail:
        return None
    lemmas = [w.feature.lemma for w in tail]
    if "です" in lemmas or "ます" in lemmas:
        return "polite"
    last = tail[-1]
    if last.feature.lemma == "だ" and last.feature.pos1 == "助動詞":
        return "plain"
    if len(tail) >= 2 and tail[-2].surface == "で" and last.feature.lemma in ("有る", "ある"):
        return "plain"
    return None


def mixed_endings(c: Check) -> list[Finding]:
    """です・ます body prose must not mix in である / だ sentence endings; with a voice, prose in the site's style
    must not mix in the other."""
    if c.voice is not None and c.voice.style is not None:
        from pipeline.quality.voice import mixed_against_site  # it reads sentences with this module's tagger

        return mixed_against_site(c)
    plain = []
    polite = 0
    for block in c.doc.prose:
        for sentence in sentences(block):
            if not sentence.endswith("。"):
                continue
            kind = _ending(sentence)
            polite += kind == "polite"
            if kind == "plain":
                plain.append((block, sentence))
    if not plain or not polite:
        return []
    return [
        c.finding(
            "style.mixed-endings",
            "error",
            "である/だ ending in です・ます prose",
            "です・ます調の中に「である・だ」調の文があります",
            block=b,
            excerpt=s[-30:],
        )
        for b, s in plain
    ]


def sentence_rules(c: Check) -> list[Finding]:
    out = []
    limit, max_ten = c.settings.quality.sentence_max, c.settings.quality.max_ten
    for block in c.doc.prose:
        for sentence in sentences(block):
            if len(sentence) > limit:
                message = f"a sentence of {len(sentence)} characters (max {limit})"
                out.append(
                    c.finding(
                        "style.sentence-length",
                        "error",
                        message,
                        f"1文が{len(sentence)}字あります（{limit}字まで）",
                        block=block,
                        excerpt=sentence[:30],
                    )
                )
            ten = sentence.count("、") + sentence.count("，")
            if ten > max_ten:
                message = f"{ten} 読点 in one sentence (max {max_ten})"
                out.append(
                    c.finding(
                        "style.max-ten",
                        "error",
                        message,
                        f"1文に読点が{ten}個あります（{max_ten}個まで）",
                        block=block,
                        excerpt=sentence[:30],
                    )
                )
    return out


def doubled_particles(c: Check) -> list[Finding]:
    out = []
    for block in c.doc.prose:
        words = list(tagger()(block.text))
        for a, b in itertools.pairwise(words):
            if a.feature.pos1 == "助詞" and b.feature.pos1 == "助詞" and a.surface == b.surface:
                message = f"doubled particle 「{a.surface}{b.surface}」"
                out.append(
                    c.finding(
                        "style.doubled-particle",
                        "error",
                        message,
                        f"助詞が重複しています「{a.surface}{b.surface}」",
                        block=block,
                        excerpt=block.text[:30],
                    )
                )
    return out


def hankaku_kana(c: Check) -> list[Finding]:
    out = []
    for block in c.doc.prose:
        for match in _HANKAKU_KANA.finditer(block.text):
            out.append(
                c.finding(
                    "style.hankaku-kana",
                    "error",
                    f"half-width kana 「{match.group(0)}」",
                    f"半角カナ「{match.group(0)}」があります",
                    block=block,
                )
            )
    return out


def spacing(c: Check) -> list[Finding]:
    """Full- and half-width text meet the same way throughout: with a space, or without. A keyword phrase stuffed
    into the prose (its words as `seo_keywords` spaces them, again and again) is numbers.keyword-stuffing's, and
    counts for neither way here."""
    stuffing = [(u.block.index, u.start, u.end) for _, run in stuffed(c) for u in run]

    def free(block: Block, match: re.Match[str]) -> bool:
        return not any(i == block.index and match.start() < end and start < match.end() for i, start, end in stuffing)

    spaced = [(b, m) for b in c.doc.prose for m in _SPACED.finditer(b.text) if free(b, m)]
    tight = [(b, m) for b in c.doc.prose for m in _TIGHT.finditer(b.text) if free(b, m)]
    if not spaced or not tight:
        return []
    minority = spaced if len(spaced) < len(tight) else tight
    style = "with" if minority is spaced else "without"
    return [
        c.finding(
            "style.spacing",
            "warning",
            f"full/half-width text joined {style} a space, unlike the rest",
            f"全角と半角の間の空白が{'あり' if style == 'with' else 'なし'}で、ほかの箇所と不統一です",
            block=b,
            excerpt=m.group(0),
        )
        for b, m in minority
    ]


RULES = (mixed_endings, sentence_rules, doubled_particles, hankaku_kana, spacing)
