"""A post drafted from an approved brief answers each of its points (`brief.coverage`): a point counts as
answered when most of its words (fugashi's content words) stand in its part's text. A part the post no longer
has is named too. A point that only says the part's role (`構成`) is a note to the writer, not checked."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.quality.context import Check
from pipeline.sources.index import tokens
from pipeline.types import ApprovedPart, Finding

SHARE = 0.5  # of a point's words that its part must use
ROLE = "構成"  # what a point answers when genpost wrote it from the part's role (pipeline/briefs/analysis.py)


@dataclass(frozen=True)
class Coverage:
    """How many of the brief's points the post answers, and which it leaves out (part, point)."""

    answered: int
    total: int
    missing: list[tuple[str, str]]


def coverage(parts: list[ApprovedPart], text_of: dict[str, str]) -> Coverage:
    """Each point of `parts` against its part's text (`text_of`: part → its text; a part not there says nothing)."""
    missing, total = [], 0
    for part in parts:
        said = set(tokens(text_of.get(part.part, "")))
        for n, point in enumerate(part.points):
            if n < len(part.answers) and part.answers[n] == ROLE:
                continue  # the part's role in the post, said by genpost: a note to the writer, not a topic
            total += 1
            words = set(tokens(point))
            if words and len(words & said) < SHARE * len(words):
                missing.append((part.part, point))
    return Coverage(total - len(missing), total, missing)


def covered(c: Check) -> list[Finding]:
    if not c.approved:
        return []
    parts = {key: c.doc.part_text(key) for key in c.doc.part_keys}
    found = coverage(c.approved, parts)
    out = []
    for part, point in found.missing:
        block = next((b for b in c.doc.of_part(part) if b.text), None)
        out.append(
            c.finding(
                "brief.coverage",
                "error",
                f"{part} leaves the approved point unanswered: {point}",
                f"承認済みブリーフの要点に触れていません: 「{point}」",
                block=block,
                excerpt=point,
            )
        )
    return out


RULES = (covered,)
