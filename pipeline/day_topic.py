"""The day's topic for `--auto`: the calendar's, or (`performance.topics`) the search no post answers yet."""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.performance.signals import next_topic
from pipeline.types import Brief
from pipeline.writing.job import Desk

log = logging.getLogger("genpost")


def searched_topic(brief: Brief, desk: Desk, site: Path | None) -> Brief:
    """The day's brief on the search no post answers (`performance.topics`), when Search Console's figures name one
    genpost has not written on; else the calendar's."""
    figures = desk.performance(site) if desk.settings.performance.topics else None
    read = desk.site(site)
    if figures is None or read is None or desk.memory is None:
        return brief
    written = {w.primary_keyword for w in desk.memory.written()}
    topic = next_topic(figures, read, written, desk.out_dir / ".genpost" / "site-index.json")
    if topic is None:
        return brief
    log.info("auto: the day's topic is a search no post answers: %s", topic)
    return brief.model_copy(update={"keywords": [topic], "theme": None})
