"""A part's text, whatever its kind (prose, a step, the summary): read every piece of it, or change each."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.types import PartText, StepText, SummaryText


def texts_of(value: PartText) -> list[str]:
    """Every piece of text in a part, in reading order (a summary point's label before its text)."""
    if isinstance(value, StepText):
        return [value.summary, *value.actions, *value.metrics, *value.cautions]
    if isinstance(value, SummaryText):
        return [value.intro, *(t for p in value.points for t in (p.label, p.text)), value.closing]
    return [value]


def map_texts(value: PartText, change: Callable[[str], str]) -> PartText:
    """The part with `change` applied to every piece of its text (model_copy: an emptied list stays possible)."""
    if isinstance(value, StepText):
        lists = [[change(x) for x in items] for items in (value.actions, value.metrics, value.cautions)]
        update = {"summary": change(value.summary), "actions": lists[0], "metrics": lists[1], "cautions": lists[2]}
        return value.model_copy(update=update)
    if isinstance(value, SummaryText):
        points = [p.model_copy(update={"label": change(p.label), "text": change(p.text)}) for p in value.points]
        update = {"intro": change(value.intro), "points": points, "closing": change(value.closing)}
        return value.model_copy(update=update)
    return change(value)
