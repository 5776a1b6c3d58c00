"""What the script rules read, and how: each sentence a writer wrote, each step title, the front matter's texts.

A rule gives `scan` what it looks for in a text and how it reports it; a finding in a step title (which the
plan gave) is the editor's, since no redraft of the step changes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pipeline.document import Block, Kind
from pipeline.japanese import sentences
from pipeline.quality.context import Check
from pipeline.types import Finding
from pipeline.writing.outline import STEPS_H2

Report = Callable[..., Finding]  # (check, what was found, excerpt, block= or line=) → the finding


def written(c: Check) -> list[Block]:
    """The prose a writer wrote (the assembler's step labels are not)."""
    return [b for b in c.doc.prose if b.kind != Kind.STEP_LABEL]


def step_titles(c: Check) -> list[Block]:
    """The step headings (ステップN: …): the only headings a model writes."""
    return c.doc.h3_under(STEPS_H2)


def unplaced(finding: Finding) -> Finding:
    """A finding no redraft of its part can fix (in a step's title, which the plan gave): the editor's."""
    return finding.model_copy(update={"part": None})


def front_texts(c: Check, names: Iterable[str] = ("title", "description", "tags")) -> list[tuple[str, str]]:
    """(field, text) of the named front-matter fields that hold text, each tag on its own."""
    front = c.doc.front.fields
    out: list[tuple[str, Any]] = []
    for name in names:
        value = front.get(name)
        out += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return [(name, value) for name, value in out if isinstance(value, str) and value.strip()]


def scan(c: Check, find: Callable[[str], list[str]], report: Report, front: Iterable[str]) -> list[Finding]:
    """A finding for each sentence, step title and front-matter text (of the fields `front`) in which `find`
    finds something."""
    out = []
    for block in written(c):
        for sentence in sentences(block):
            if found := find(sentence):
                out.append(report(c, found, sentence, block=block))
    for heading in step_titles(c):
        if found := find(heading.text):
            out.append(unplaced(report(c, found, heading.text, block=heading)))
    for _, value in front_texts(c, front):
        if found := find(value):
            out.append(report(c, found, value[:80], line=1))
    return out
