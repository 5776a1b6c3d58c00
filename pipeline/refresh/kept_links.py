"""The links a refreshed part already holds: shown to the model as numbered links it must keep, put back after.

A link is shown as `[語句](K1)`: the model reads where it stands and what it says, never its URL. Its answer's
`[語句](K1)` becomes the link it was (`[語句]({% post_url NAME %})`, or the path or URL it held); a link the
answer left out is put back on the first plain mention of its old anchor, or named as lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.document import FOOTNOTE_MARK, POST_URL, Block
from pipeline.site.links import plain_anchor, wrap
from pipeline.types import PartText
from pipeline.writing.parttext import map_texts

# What a model writes for a kept link: [語句](K1), with full-width brackets or spaces now and then.
SHOWN = re.compile(r"[\[［]([^\[\]［］\n]{1,120})[\]］]\s*[\(（]\s*[Kk]\s*(\d{1,3})\s*[\)）]")
# The same link while the answer is cleaned (clean_prose reduces a Markdown link to its text): private-use
# characters around it, which no cleaning step touches.
_OPEN, _MID, _CLOSE = "\ue010", "\ue011", "\ue012"
_HELD = re.compile(f"{_OPEN}(\\d+){_MID}([^{_CLOSE}]*){_CLOSE}")
_TARGET = re.compile(r"\]\(\s*((?:[^()\s]|\{[^()]*?\})+)\s*\)")  # a Markdown link's target (Liquid and all)
_STRAY = re.compile(f"[{_OPEN}{_MID}{_CLOSE}]")


@dataclass(frozen=True)
class Kept:
    """One link of the post's prose: its number in the prompt, its part, anchor and Markdown target."""

    number: int
    part: str
    anchor: str
    target: str

    @property
    def markdown(self) -> str:
        return f"[{self.anchor}]({self.target})"


def _target(href: str) -> str:
    """A link's Markdown target as the post wrote it (a `post_url` link through Liquid again)."""
    if href.startswith(POST_URL):
        return f"{{% post_url {href[len(POST_URL) :]} %}}"
    return f"<{href}>" if re.search(r"[\s()<>]", href) else href


@dataclass
class KeptLinks:
    """Every link shown in a refresh's prompts, by number; and the links each part's answer lost."""

    links: dict[int, Kept] = field(default_factory=dict)
    lost: list[Kept] = field(default_factory=list)
    shown: int = 0  # the links numbered so far

    def again(self, part: str) -> None:
        """The part is shown once more (a later round): the links of its earlier showing are forgotten (those its
        text still holds are numbered anew; a link lost then stays lost)."""
        self.links = {n: k for n, k in self.links.items() if k.part != part}

    def show(self, part: str, block: Block) -> str:
        """The block's text as the model is shown it: no footnote marks, each link `[語句](Kn)`."""
        text = FOOTNOTE_MARK.sub("", block.text).strip()
        anchors = block.inline.anchors
        written = _TARGET.findall(block.markdown)  # each link's target as the post wrote it (its Liquid too)
        targets = written if len(written) == len(anchors) else [_target(href) for _, href in anchors]
        at = 0
        for (anchor, _), target in zip(anchors, targets, strict=True):
            found = text.find(anchor, at) if anchor else -1
            if found < 0:
                continue
            self.shown += 1
            kept = Kept(self.shown, part, anchor, target)
            self.links[kept.number] = kept
            shown = f"[{anchor}](K{kept.number})"
            text = text[:found] + shown + text[found + len(anchor) :]
            at = found + len(shown)
        return text

    def of_part(self, part: str) -> list[Kept]:
        return [k for k in self.links.values() if k.part == part]

    @staticmethod
    def hold(value: PartText) -> PartText:
        """The answer with each `[語句](Kn)` held in private-use marks, so that cleaning keeps it."""
        return map_texts(value, lambda text: SHOWN.sub(_held, text))

    def restore(self, part: str, value: PartText) -> PartText:
        """The cleaned answer with each held link made the link it was (a number not shown in this part is
        reduced to its text), and each of the part's links it left out put back on its anchor, or named lost."""
        mine = {k.number: k for k in self.of_part(part)}
        placed: set[int] = set()

        def back(match: re.Match[str]) -> str:
            kept, anchor = mine.get(int(match.group(1))), match.group(2).strip()
            if kept is None or kept.number in placed or not anchor or not plain_anchor(anchor):
                return anchor
            placed.add(kept.number)
            return f"[{anchor}]({kept.target})"

        value = map_texts(value, lambda text: _STRAY.sub("", _HELD.sub(back, text)))
        for kept in mine.values():
            if kept.number in placed:
                continue
            value, done = _on_mention(value, kept)
            if not done:
                self.lost.append(kept)
        return value


def _held(match: re.Match[str]) -> str:
    return f"{_OPEN}{match.group(2)}{_MID}{match.group(1)}{_CLOSE}"


def _on_mention(value: PartText, kept: Kept) -> tuple[PartText, bool]:
    """`value` with the first plain mention of `kept`'s anchor (outside any link or markup) made the link."""
    done = False

    def link(text: str) -> str:
        nonlocal done
        if done or kept.anchor not in text:
            return text
        linked = wrap(text, kept.anchor, kept.markdown)
        done = linked != text
        return linked

    return map_texts(value, link), done
