"""Following the voice when drafting: the figures the prompts state (prompts/_voice.j2), short excerpts of the
site's posts nearest to the topic as examples of the voice, and the body's length range."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline.config import SectionLengths, Settings
from pipeline.document import Kind
from pipeline.japanese import sentences
from pipeline.parse import parse
from pipeline.site.links import SiteIndex
from pipeline.voice.profile import VoiceProfile
from pipeline.voice.prose import MIXED, STYLE_NAMES, paragraph_chars, read_sentence

EXAMPLES = 2  # excerpts in a prompt, at most
EXAMPLE_CHARS = (60, 160)  # an excerpt's length: whole sentences, at least and at most
SCALE = (0.5, 2.0)  # how far the voice may stretch or shrink the sections' targets


def fit_lengths(settings: Settings, voice: VoiceProfile | None) -> None:
    """The body's range from the voice, and each section's target scaled so the body aims at the site's median,
    unless genpost.yml (or the embedded model's own range) sets `lengths.body`; the sections' targets stay as
    genpost.yml sets them."""
    lengths = settings.lengths
    if voice is None or voice.body_length is None or "body" in lengths.model_fields_set:
        return
    middle = sum(lengths.body) / 2
    lengths.body = voice.body_length.range
    if "sections" not in lengths.model_fields_set and middle:
        scale = min(max(voice.body_length.median / middle, SCALE[0]), SCALE[1])
        targets = {key: max(40, round(value * scale)) for key, value in lengths.sections.model_dump().items()}
        lengths.sections = SectionLengths(**targets)


def style_phrase(voice: VoiceProfile) -> str | None:
    """How a prompt names the site's style (`である調`), or None when the site mixes or the voice does not say."""
    main = voice.main_style
    return f"「{main}」調" if main in STYLE_NAMES.values() else None


def prompt_voice(
    voice: VoiceProfile | None, examples: list[dict[str, str]] | None = None, short: bool = False
) -> dict[str, Any] | None:
    """What the prompts say of the voice (prompts/_voice.j2): the style, sentence and paragraph length, openers
    and connectives to prefer, phrases to leave out, and examples; None without a voice. `short`: the style and
    the sentence length only, for a model with a small window that copies what it is shown."""
    if voice is None:
        return None
    style = voice.style
    phrase = style_phrase(voice)
    if phrase is not None and style is not None:
        share = style.polite if style.main == STYLE_NAMES["polite"] else style.plain
        rule = f"文体は「{style.main}」調に統一する（このサイトの文末の{share:.0%}がこの文体です）。"
    elif style is not None and style.main == MIXED:
        rule = "文末は、このサイトと同じく「です・ます」調と「である」調を使い分け、段落の中ではどちらかにそろえる。"
    else:
        rule = "文体は「です・ます」調に統一する。"
    sentence, paragraph = voice.sentence_length, voice.paragraph_length
    said = {
        "style": style.main if style is not None else None,
        "style_rule": rule,
        "style_phrase": phrase or "「です・ます」調",
        "sentence": sentence.model_dump(include={"median", "q1", "q3"}) if sentence is not None else None,
        "paragraph": paragraph.median if paragraph is not None else None,
        "openers": voice.openers.words[:5] if voice.openers is not None else [],
        "connectives": voice.connectives.words[:5] if voice.connectives is not None else [],
        "avoid": voice.avoid.phrases[:12] if voice.avoid is not None else [],
        "examples": list(examples or []),
    }
    if short:
        said.update(paragraph=None, openers=[], connectives=[], avoid=[], examples=[])
    return said


def examples_for(
    site: Path | None,
    voice: VoiceProfile | None,
    query: str,
    day: date,
    index: SiteIndex | None = None,
    cache: Path | None = None,
) -> list[dict[str, str]]:
    """One or two short excerpts, in the site's style, of the site's posts nearest to `query` (the post's
    keywords and theme): posts Jekyll builds, dated no later than `day`. The model is told to take the voice
    from them, never the words; the gate's duplication and copying rules still hold a draft to that."""
    if site is None or voice is None or not (site / "_posts").is_dir():
        return []
    index = index or SiteIndex.of_site(site, cache)
    newest = min(day, datetime.now(UTC).date())
    out: list[dict[str, str]] = []
    for page, _ in index.ranked(query, 10):
        if len(out) >= EXAMPLES:
            break
        if not page.published or page.day > newest:
            continue
        text = _excerpt(site, page.name, voice.main_style)
        if text:
            out.append({"title": page.title, "text": text})
    return out


def _excerpt(site: Path, name: str, style: str | None) -> str | None:
    """The first paragraph under a heading that is written wholly in the site's style, cut at a sentence end."""
    # The post named `name` exactly (a name holding glob characters such as [ or * matches only itself).
    candidates = (site / "_posts" / f"{name}{suffix}" for suffix in (".md", ".markdown"))
    path = next((p for p in candidates if p.is_file()), None)
    try:
        doc = parse(path.read_text(encoding="utf-8")) if path is not None else None
    except (OSError, UnicodeDecodeError):
        return None
    if doc is None:
        return None
    low, high = EXAMPLE_CHARS
    wanted = {name: key for key, name in STYLE_NAMES.items()}.get(style or "")
    for block in doc.of_kind(Kind.PARAGRAPH):
        if block.h2 is None or paragraph_chars(block) < low or block.links or block.citations:
            continue
        found = [read_sentence(s) for s in sentences(block)]
        if wanted is not None and any(s.style not in (None, wanted) for s in found):
            continue
        text = ""
        for sentence in found:
            if len(text) + len(sentence.text) > high:
                break
            text += sentence.text
        if len(text) >= low:
            return text
    return None
