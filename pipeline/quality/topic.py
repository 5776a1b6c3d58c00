"""Off topic: a section that shares no content word with what it is meant to be about.

A section's words are its nouns, verbs, adjectives and adjectival nouns, by their dictionary form
(fugashi's lemma; an unknown word such as AI by its letters), less the words too general to tie a
section to anything (する, こと, 方法 …). What it is meant to be about is its heading (and the H2
above an H3), the post's keywords, title, tags and category, and the instinct's name and trigger
words. Sharing none of them, a section has drifted (two sections of a marketing post about
health and LSTMs): a warning for the editor, since a short section may still be on topic in other words.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.document import Block, Kind
from pipeline.japanese import sentences
from pipeline.quality.chinese import words
from pipeline.quality.context import Check
from pipeline.quality.copying import letters
from pipeline.types import Finding
from pipeline.writing.outline import RELATED_H2

SECTION_MIN = 40  # letters: a shorter section says too little to judge
# Words any section may use whatever it is about (について's つく, によって's よる …).
GENERAL = frozenset(
    (
        "為る", "有る", "居る", "成る", "出来る", "行う", "言う", "思う", "考える", "見る", "分かる", "使う",
        "持つ", "出る", "入る", "来る", "行く", "得る", "見える", "事", "物", "所", "方", "時", "為", "様", "中",
        "上", "下", "前", "後", "今", "場合", "方法", "必要", "重要", "大切", "可能", "様々", "色々", "多い",
        "少ない", "良い", "無い", "高い", "新しい", "次", "点", "例", "他", "以上", "以下", "それぞれ", "全体",
        "部分", "内容", "具体", "実際", "自分", "皆", "人", "ステップ", "つく", "付く", "関する", "対する", "よる",
        "因る", "依る", "おく", "於く",
    )
)  # fmt: skip
_CONTENT = {"名詞": ("普通名詞", "固有名詞"), "動詞": ("一般",), "形容詞": ("一般",), "形状詞": ("一般",)}
_LOAN = re.compile(r"^[A-Za-z0-9ァ-ヺー]{2,}$")


def content_words(text: str) -> set[str]:
    """The content words of `text`, by dictionary form (an unknown Latin or katakana word by its letters)."""
    out = set()
    for word in words(text):
        if word.unknown:
            normal = unicodedata.normalize("NFKC", word.surface).lower()
            if _LOAN.match(normal):
                out.add(normal)
        elif word.pos2 in _CONTENT.get(word.pos1, ()) and word.pos3 not in ("助数詞可能",):
            lemma = word.lemma.split("-")[0] or word.surface
            if lemma not in GENERAL:
                out.add(lemma)
    return out


def _topic(c: Check) -> set[str]:
    """What the whole post is about: keywords, title, tags, category, the instinct's words."""
    front = c.doc.front
    texts = [front.title, *front.keywords, *front.tags, *front.categories]
    instinct = c.instincts.get(front.instinct)
    if instinct is not None:
        texts += [instinct.name, *instinct.triggers]
    return {w for text in texts for w in content_words(text)}


def sections(c: Check) -> dict[tuple[str, str | None], list[Block]]:
    """The prose under each heading (the lead, which has none, and the related posts are left out)."""
    out: dict[tuple[str, str | None], list[Block]] = {}
    for block in c.doc.prose:
        if block.kind == Kind.STEP_LABEL or block.h2 is None or block.h2 == RELATED_H2:
            continue
        out.setdefault((block.h2, block.h3), []).append(block)
    return out


def off_topic(c: Check) -> list[Finding]:
    topic = _topic(c)
    out = []
    for (h2, h3), blocks in sections(c).items():
        if len(letters("".join(b.text for b in blocks))) < SECTION_MIN:
            continue
        meant = topic | content_words(h2) | content_words(h3 or "")
        said = {w for b in blocks for sentence in sentences(b) for w in content_words(sentence)}
        if said & meant:
            continue
        heading = h3 or h2
        out.append(
            c.finding(
                "shape.off-topic",
                "warning",
                f"「{heading}」 shares no word with its heading, the keywords or the title: it may be off topic",
                f"「{heading}」の本文に、見出し・キーワード・タイトルと共通する語がありません（話題がそれている可能性があります）",
                block=blocks[0],
                excerpt=blocks[0].text[:60],
            )
        )
    return out


RULES = (off_topic,)
