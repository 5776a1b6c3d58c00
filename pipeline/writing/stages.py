"""The stages an assembled post passes, new or refreshed, each with one interface (STORM's shape): a stage takes
the draft (the post's document and what the gate found in it) and the run's context, and returns the draft.

    Mend → Redraft 1 → Mend → … → Redraft N → Mend (final) → Polish

A new post and a refresh pass the same stages; what differs is the run behind them (`Run`): which parts a stage
may change, how a part is written again (the drafter, or the refresh's rewriter), how the draft is checked. Each
stage's outcome is kept (`Trace`), and the run record carries it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Protocol

from pipeline.document import PostDoc
from pipeline.errors import ProviderError
from pipeline.quality import errors
from pipeline.quality.gate import fixes_by_part
from pipeline.quality.mend import Shape, mend
from pipeline.types import Finding, PolishEdit, Post, StageTrace
from pipeline.writing.polish import Edit, apply_edits

log = logging.getLogger("genpost")


@dataclass
class Draft:
    """What every stage takes and gives: the post, what the gate found in it, and what the stages did so far."""

    post: Post
    findings: list[Finding]
    rewrites: list[dict] = field(default_factory=list)  # each redraft round: the parts written again and why
    cuts: list[dict] = field(default_factory=list)  # the sentences the mend cut
    edits: list[PolishEdit] = field(default_factory=list)  # the polish's edits, applied or not
    before: str | None = None  # the post's text before the polish changed it
    trace: list[StageTrace] = field(default_factory=list)  # each stage's outcome, in order


class Run(Protocol):
    """What the stages ask of the run they are part of (a new post's job, a refresh)."""

    def shapes(self) -> dict[str, Shape]:
        """The parts a stage may change, and what each must keep to stand."""
        ...

    def check(self, post: Post) -> list[Finding]:
        """Every finding for `post`."""
        ...

    def refit(self, post: Post, doc: PostDoc) -> Post:
        """`post` with `doc` as its document (what follows from the text made to agree with it)."""
        ...

    async def redraft(self, post: Post, fixes: dict[str, list[Finding]], round_number: int) -> Post:
        """`post` with the parts in `fixes` written again, told what to fix."""
        ...

    async def polish_edits(self, post: Post) -> list[Edit] | None:
        """The polish's edits for `post`; None where the run polishes nothing."""
        ...


class Stage(Protocol):
    """One step over the draft."""

    name: str

    async def __call__(self, draft: Draft, run: Run) -> Draft: ...


@dataclass
class Mend:
    """Copied and repeated sentences cut where their parts still stand without them; `final`: the last chance,
    where a foreign script, Chinese or garbage is cut too."""

    final: bool = False
    name: str = "mend"

    async def __call__(self, draft: Draft, run: Run) -> Draft:
        doc, cuts = mend(draft.post, run.shapes(), draft.findings, self.final)
        if not cuts:
            return draft
        post = run.refit(draft.post, doc)
        return replace(draft, post=post, findings=run.check(post), cuts=[*draft.cuts, *cuts])


@dataclass
class Redraft:
    """The parts the gate still finds errors in that a redraft can fix, written again with what was found."""

    round_number: int
    name: str = "redraft"

    async def __call__(self, draft: Draft, run: Run) -> Draft:
        fixes = fixes_by_part(draft.findings, run.shapes())
        if not fixes:
            return draft
        log.info("quality gate, round %d: redrafting %s", self.round_number, ", ".join(sorted(fixes)))
        fixed = sum(map(len, fixes.values()))
        rewrite = {"round": self.round_number, "parts": sorted(fixes), "errors": fixed}
        post = await run.redraft(draft.post, fixes, self.round_number)
        return replace(draft, post=post, findings=run.check(post), rewrites=[*draft.rewrites, rewrite])


@dataclass
class Polish:
    """One call over the whole draft; its safe edits applied, every edit kept; checked again."""

    name: str = "polish"

    async def __call__(self, draft: Draft, run: Run) -> Draft:
        try:
            edits = await run.polish_edits(draft.post)
        except ProviderError as exc:
            log.warning("polish: %s; the draft is written as the gate left it", exc)
            return draft
        if edits is None:
            return draft
        doc, applied = apply_edits(draft.post.doc, edits)
        if not any(edit.applied for edit in applied):
            return replace(draft, edits=applied)
        post = run.refit(draft.post, doc)
        return replace(draft, post=post, findings=run.check(post), edits=applied, before=draft.post.markdown)


def gate_stages(rounds: int) -> list[Stage]:
    """The gate: a mend before each redraft round, and the final mend."""
    stages: list[Stage] = []
    for number in range(1, rounds + 1):
        stages += [Mend(), Redraft(number)]
    return [*stages, Mend(final=True)]


async def through(draft: Draft, run: Run, stages: list[Stage]) -> Draft:
    """`draft` through `stages` in order, each stage's outcome kept in its trace."""
    for stage in stages:
        mark = time.perf_counter()
        after = await stage(draft, run)
        before_parts = {key: draft.post.doc.part_text(key) for key in run.shapes()}
        changed = [key for key, text in before_parts.items() if after.post.doc.part_text(key) != text]
        step = StageTrace(
            stage=stage.name,
            seconds=round(time.perf_counter() - mark, 4),
            changed=changed,
            errors=len(errors(after.findings)),
            warnings=sum(f.severity == "warning" for f in after.findings),
        )
        draft = replace(after, trace=[*after.trace, step])
    return draft
