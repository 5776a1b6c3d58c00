"""Garbled katakana: a loanword a small model spelled wrong (AIマーキッチング, アプロフィックス, パーティンス,
キーワードパーソンス), which no reader can read.

Read with MeCab (fugashi with UniDic-lite) and the shape of English loanwords, never from a list of words. A
katakana run is garbled when all of these hold:
- MeCab reads it, in its sentence, as an unknown word (UniDic knows マーケティング, トレンド, ユーザビリティ,
  エンゲージメント…, and reads インサイト or チャットボット as known words in a row);
- it is six kana or longer: a short unknown word (ウェビナー, ファネル) is too little to judge;
- no English ending explains it, as it explains the loanwords UniDic lacks: -ation, -sion (パーソナライゼーション,
  レコメンデーション, インクルージョン), -ity (スケーラビリティ), -ence/-ance (レジリエンス), -ics (アナリティクス),
  -ive and -tic (ジェネレーティブ, エージェンティック), -um (フリーミアム), -ment and -ness (フルフィルメント,
  マインドフルネス), -er (オーケストレーター), -ing after the kana English writes it with (ナーチャリング;
  マーケットング has none), -ted/-ded, or -ing, -ed and -s on a word UniDic knows (パーソナライズド; not
  パーソンス, whose -s English writes ズ);
- nor is it two such parts, one a word UniDic knows (or known words in a row), each word of three kana or more
  (レコメンデーションエンジン, マイクロインフルエンサー; not イン|テー + ナット);
- it is not one of the post's keywords, its title's or category's words, or its instinct's words;
- no Latin letters run on from it (マーケeting is `script.garbage`'s), and no name's suffix follows it (ツァイガルニク
  効果, …社, …氏): a name is no loanword.
A run ends at ・ (パーソナライズド・コミュニケーション is two words).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.japanese import tagger
from pipeline.quality.chinese import words
from pipeline.quality.context import Check
from pipeline.quality.reading import scan
from pipeline.types import Finding

MIN_KANA = 6
MAX_KANA = 40  # a longer run is no word: garbled, without taking it apart
_KATAKANA = re.compile(r"[ァ-ヺー]+")
_LATIN_AFTER = re.compile(r"[A-Za-z]")
# A name's suffix after a katakana run: a person's, a firm's or an effect's name (ツァイガルニク効果), no loanword.
_NAMED = re.compile(r"効果|理論|法則|の法則|社|氏|さん|様|教授|博士")
# English endings whose katakana form is regular: a word that ends so is a loanword, known or new.
_ENDINGS = re.compile(
    r"(?:ー|[クプ])ション$"  # -ation, -ction, -ption
    r"|ージョン$"  # -sion
    r"|[ビラリシニナル]ティー?$"  # -ity
    r"|[エア]ンス$"  # -ence, -ance
    r"|(?:ティ|[リミニジシ])クス$"  # -ics
    r"|(?:ティ|シ)ブ$"  # -ive
    r"|ティック$"  # -tic
    r"|[アウ]ム$"  # -um
    r"|(?<!ッ)(?:ティ|ディ|フィ|[キギシジニヒビピミリイ])ング$"  # -ing (after ッ: _DOUBLED_ING)
    r"|(?:テッ|デッ)ド$"  # -ted, -ded
    r"|メント$|ネス$"  # -ment, -ness
    r"|(?:[タダナラサザカガバパマヤ]|ジャ|チャ|シャ)ー$"  # -er, -or (ユーザー, マネージャー; not インテー)
)
_DOUBLED_ING = re.compile(r"(.{2,}?ッ)([チキピ])ング")  # マッチング ← マッチ: the base must be a word
_INFLECTED = re.compile(r"(.{3,})([ドズス])")  # -ed, -s on a known word
_VOICELESS = "クトプフ"  # English -s is ス after these, ズ after the rest


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[tuple[str, bool], ...]:
    """`text` alone as MeCab reads it: (surface, unknown) of each token."""
    return tuple((node.surface, bool(node.is_unk)) for node in tagger()(text))


def _known(text: str) -> bool:
    """One word UniDic knows."""
    found = _tokens(text)
    return len(found) == 1 and not found[0][1]


def _word(text: str) -> bool:
    """A word UniDic knows, or known words in a row (インフル|エンサー), each of three kana or more."""
    return all(not unknown and len(surface) >= 3 for surface, unknown in _tokens(text))


def _derived(run: str) -> bool:
    """Does an English ending explain `run` (a regular one, or an inflection of a known word)?"""
    ending = _ENDINGS.search(run)
    if ending and len(run) - len(ending.group(0)) >= 2:
        return True
    if (doubled := _DOUBLED_ING.fullmatch(run)) and _known(doubled.group(1) + doubled.group(2)):
        return True
    if inflected := _INFLECTED.fullmatch(run):
        stem, end = inflected.groups()
        voiced = stem[-1] not in _VOICELESS
        if (end == "ド" or (end == "ズ") == voiced) and _known(stem):
            return True
    return False


def _stray(run: str) -> bool:
    """A known word with a kana or two run on (パーソン|ス, エージェン|ス): how a model garbles one."""
    return any(_known(run[:cut]) for cut in range(max(len(run) - 2, 3), len(run)))


_NO_START = frozenset("ッーンァィゥェォャュョヮヵヶ")


def _short_word(run: str) -> bool:
    """A word too short to judge (ファネル): one unknown word of three to five kana, shaped as a word (not ッチング,
    マーキッ), that is no known word run on."""
    found = _tokens(run)
    shaped = run[0] not in _NO_START and not run.endswith("ッ")
    return 3 <= len(run) < MIN_KANA and len(found) == 1 and found[0][1] and shaped and not _stray(run)


@lru_cache(maxsize=4096)
def explained(run: str, depth: int = 0) -> bool:
    """Is `run` a loanword: known, derived by an English ending, or a compound of a known word and such a word (a
    part too short to judge, ファネル in マーケティングファネル, is one unless it is a known word run on)?"""
    if len(run) > MAX_KANA:
        return False
    if _known(run) or _derived(run):
        return True
    if depth and (_word(run) or _short_word(run)):
        return True
    if depth >= 2:
        return False
    for cut in range(3, len(run) - 2):
        head, tail = run[:cut], run[cut:]
        if (_word(head) and explained(tail, depth + 1)) or (_word(tail) and explained(head, depth + 1)):
            return True
    return False


def _unknown_spans(text: str) -> list[tuple[int, int]]:
    """Where MeCab reads an unknown word in `text` (character offsets; tokenized as the Chinese rule does, a
    thousand characters at a time)."""
    spans, offset = [], 0
    for word in words(text):
        start = text.find(word.surface, offset)
        if start < 0:
            continue  # MeCab changed it (it does not): nothing to place
        offset = start + len(word.surface)
        if word.unknown:
            spans.append((start, offset))
    return spans


def garbled_in(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The garbled katakana words in `text`, each once; `allowed`: the post's own words (keywords, title…)."""
    unknown = _unknown_spans(text)
    found = []
    for match in _KATAKANA.finditer(text):
        if _LATIN_AFTER.match(text, match.end()):
            continue  # マーケeting: script.garbage names it
        if _NAMED.match(text, match.end()):
            continue  # a name: ツァイガルニク効果, ハブスポット社
        if not any(start < match.end() and match.start() < end for start, end in unknown):
            continue
        run = match.group(0)
        if len(run) >= MIN_KANA and run not in allowed and not explained(run):
            found.append(run)
    return list(dict.fromkeys(found))


def _allowed(c: Check) -> frozenset[str]:
    """The katakana words of the post's keywords, title and category, and of its instinct's name and triggers."""
    front = c.doc.front
    texts = [front.title, *front.keywords, *front.categories]
    instinct = c.instincts.get(front.instinct)
    if instinct is not None:
        texts += [instinct.name, *instinct.triggers]
    return frozenset(run for text in texts for run in _KATAKANA.findall(text))


def _finding(c: Check, found: list[str], excerpt: str, **where) -> Finding:
    listed = "」「".join(found)
    return c.finding(
        "script.garbled-katakana",
        "error",
        f"katakana no dictionary knows and no English word explains: 「{listed}」",
        f"辞書にない崩れたカタカナ語があります:「{listed}」。正しい語に直すか、日本語で言い換えてください",
        excerpt=excerpt,
        **where,
    )


def garbled_katakana(c: Check) -> list[Finding]:
    allowed = _allowed(c)
    return scan(c, lambda text: garbled_in(text, allowed), _finding, front=("title", "description", "tags"))


RULES = (garbled_katakana,)
