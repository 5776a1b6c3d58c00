"""How far voice.yml is from what the site measures now: figure by figure, each marked when it has drifted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from pipeline.voice.profile import VoiceProfile

SHARE_DRIFT = 0.1  # a share (0–1) that moved more than this
RELATIVE_DRIFT = 0.15  # a count or length that moved more than this part of itself (and by more than 1)
RATE_DRIFT = 0.3  # a rate per 100 sentences
WORDS_KEPT = 0.5  # a word list that keeps less than this share of its words (Jaccard) has drifted
_SHARES = {"polite", "plain", "tolerance", "numbered", "posts", "kanji", "hiragana", "katakana"}
_SHARES |= {"reference", "images", "credited", "cta", "json_ld"}


@dataclass(frozen=True)
class Drift:
    """One figure: as voice.yml says it, as the site measures now, and whether it has drifted."""

    key: str
    kept: Any
    now: Any
    drifted: bool
    absent: bool = False  # the editor took the figure's group out of voice.yml

    def line(self) -> str:
        mark = "  ← ずれています" if self.drifted else ""
        kept = "（voice.yml にない）" if self.absent else _show(self.kept)
        return f"{self.key}: voice.yml {kept} / サイト {_show(self.now)}{mark}"


def _show(value: Any) -> str:
    if value is None:
        return "なし"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]" if value else "[]"
    return str(value)


def _number_drifted(name: str, kept: float, now: float) -> bool:
    if name in _SHARES:
        return abs(kept - now) > SHARE_DRIFT
    if name == "per_100":
        return abs(kept - now) > max(2.0, RATE_DRIFT * abs(kept))
    return abs(kept - now) > max(1.0, RELATIVE_DRIFT * abs(kept))


def drifted(name: str, kept: Any, now: Any) -> bool:
    """Has a figure moved further than its kind of figure may?"""
    if kept is None or now is None:
        return (kept is None) != (now is None)  # a figure the site has lost, or gained
    if isinstance(kept, bool | str):
        return kept != now
    if isinstance(kept, int | float) and isinstance(now, int | float):
        return _number_drifted(name, kept, now)
    if isinstance(kept, tuple) and isinstance(now, tuple):
        return any(_number_drifted(name, a, b) for a, b in zip(kept, now, strict=True))
    if isinstance(kept, list) and isinstance(now, list):
        union = set(kept) | set(now)
        return bool(union) and len(set(kept) & set(now)) / len(union) < WORDS_KEPT
    return kept != now


def compare(kept: VoiceProfile, now: VoiceProfile) -> list[Drift]:
    """Every figure of the site's voice now, against voice.yml (a figure the editor took out is shown, never
    counted as drift)."""
    out = []
    for group in VoiceProfile.model_fields:
        if group in ("version", "measured"):
            continue
        fresh = getattr(now, group)
        if not isinstance(fresh, BaseModel):
            continue
        old = getattr(kept, group)
        for name in type(fresh).model_fields:
            value = getattr(fresh, name)
            before = getattr(old, name) if old is not None else None
            moved = old is not None and drifted(name, before, value)
            out.append(Drift(f"{group}.{name}", before, value, moved, absent=old is None))
    return out
