"""Brief → Plan, in two calls made at once: the briefs of the sections (on the critical path, streamed
so drafting starts early) and the metadata (title, description, tags, image queries, beside the drafting).

Each answer is validated, re-asked once about what it gets wrong, then repaired where it can be;
what is still wrong becomes findings on the draft (degrade, don't die).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.japanese import foreign_characters, is_english
from pipeline.llm import Gateway, ask_json
from pipeline.llm.fields import EnglishWords, FieldSpec, JapaneseText, TitleWith
from pipeline.llm.schema import strict_schema
from pipeline.text import char_ngrams, clean_line, jaccard, keyword_words, plain_line, squash
from pipeline.types import Brief, BriefRef, Briefs, ImageQueries, Metadata, Plan, Source, StepBrief
from pipeline.writing.outline import TREND_PARTS

log = logging.getLogger("genpost")
BRIEFS_MAX_TOKENS = 900
METADATA_MAX_TOKENS = 500
IMAGE_QUERY_SLOTS = tuple(ImageQueries.model_fields)


def categories_for(brief: Brief, settings: Settings) -> list[str]:
    """The category choices: the given theme, or the configured categories."""
    return [brief.theme] if brief.theme else list(settings.site.categories)


def briefs_schema(categories: list[str]) -> dict:
    """The Briefs schema with the category limited to the allowed choices."""
    schema = strict_schema(Briefs)
    schema["properties"]["category"]["enum"] = categories
    return schema


def title_similarity(a: str, b: str, ignore: list[str] = ()) -> float:
    """Jaccard similarity of the two titles' character bigrams.

    Whitespace, case, digits and the words in `ignore` (the primary keyword, which every
    title on the topic carries) are left out, so what is compared is the title's angle.
    """

    def grams(text: str) -> set[str]:
        squashed = squash(text)
        for word in ignore:
            squashed = squashed.replace(squash(word), "")
        return char_ngrams(re.sub(r"\d+", "", squashed), 2)

    return jaccard(grams(a), grams(b))


def briefs_problems(briefs: Briefs, brief: Brief, settings: Settings) -> list[str]:
    """What valid-JSON briefs still get wrong, in words the model can act on."""
    problems = []
    if briefs.category not in categories_for(brief, settings):
        problems.append("category は指定の選択肢から選んでください")
    if any(not s.title.strip() for s in briefs.steps):
        problems.append("steps.title は空にしないでください")
    return problems


def metadata_problems(meta: Metadata, brief: Brief, settings: Settings, existing: list[str] = ()) -> list[str]:
    """What valid-JSON metadata still gets wrong, in words the model can act on."""
    problems = []
    lengths = settings.lengths
    title = unicodedata.normalize("NFKC", meta.title)
    if len(meta.title) > lengths.title_max:
        problems.append(f"title が{len(meta.title)}字です。{lengths.title_max}字以内にしてください")
    if not any(ch.isdigit() for ch in title):
        problems.append("title に半角数字を含めてください")
    missing = [w for w in keyword_words(brief.primary_keyword) if w.lower() not in title.lower()]
    if missing:
        problems.append(f"title に主キーワードの語（{'、'.join(missing)}）を含めてください")
    if len(meta.description) > lengths.description_max:
        problems.append(f"description を{lengths.description_max}字以内にしてください")
    if is_english(meta.description) or foreign_characters(meta.title + meta.description):
        problems.append("title と description は日本語で書き、日本で使わない漢字（簡体字など）は使わないでください")
    if any(is_english(tag) and " " in tag.strip() for tag in meta.tags):
        problems.append("tags は日本語にしてください（製品名や略語はそのままでかまいません）")
    queries = meta.image_queries.model_dump().values()
    if any(not q.strip() or not q.isascii() for q in queries):
        problems.append("image_queries は英語（ASCII）で、空にしないでください")
    words = keyword_words(brief.primary_keyword)
    close = [t for t in existing if title_similarity(meta.title, t, words) >= settings.memory.title_similarity]
    if close:
        problems.append(f"title が既存の記事「{close[0]}」と似すぎています。別の切り口のタイトルにしてください")
    if any(not t.strip() for t in meta.tags):
        problems.append("tags は空にしないでください")
    return problems


def briefs_fields() -> dict[str, FieldSpec]:
    """What the briefs' constrained fields are (a grammar-decoding provider enforces them)."""
    return {"steps.title": JapaneseText(min_chars=2, max_chars=20)}


def metadata_fields(brief: Brief, settings: Settings) -> dict[str, FieldSpec]:
    """What the metadata's constrained fields are: a grammar-decoding provider makes the title rules hold."""
    year = str(brief.date.astimezone(settings.site.zone).year)
    words = tuple(w for w in keyword_words(brief.primary_keyword) if w != year)  # the opening names the year
    fields: dict[str, FieldSpec] = {f"image_queries.{slot}": EnglishWords() for slot in IMAGE_QUERY_SLOTS}
    fields["title"] = TitleWith(f"{year}年版", words, settings.lengths.title_max)
    # A small model otherwise answers with English hashtags here.
    fields["description"] = JapaneseText(min_chars=40, max_chars=settings.lengths.description_max)
    return fields


def _context(
    brief: Brief, instinct: Instinct, settings: Settings, sources: list[Source], voice: dict[str, Any] | None
) -> dict:
    """What both planning prompts are told (`voice`: the site's style, from voice.yml, as the drafting prompts
    are told it)."""
    return {
        "voice": voice,
        "site_name": settings.site.name,
        "brief": brief,
        "instinct": instinct,
        "structure": brief.structure,
        "date_label": brief.date.astimezone(settings.site.zone).strftime("%Y年%m月%d日"),
        "sources": [{"title": s.title, "first_line": _first_line(s.text)} for s in sources[:8]],
    }


async def make_briefs(
    brief: Brief,
    instinct: Instinct,
    settings: Settings,
    gateway: Gateway,
    sources: list[Source] = (),
    on_partial: Callable[[str], None] | None = None,
    voice: dict[str, Any] | None = None,
) -> Briefs:
    """What each section says: the call drafting waits for (`on_partial` sees the answer as it streams)."""
    categories = categories_for(brief, settings)
    prompt = gateway.prompts.render(
        "outline.j2",
        **_context(brief, instinct, settings, sources, voice),
        categories=categories,
        theme_hint=brief.theme or "テーマ",
        trend_parts=TREND_PARTS[brief.structure],
    )
    answer = await ask_json(
        gateway,
        stage="plan",
        part="outline",
        prompt=prompt,
        model=Briefs,
        schema=briefs_schema(categories),
        max_tokens=BRIEFS_MAX_TOKENS,
        check=lambda b: briefs_problems(b, brief, settings),
        fields=briefs_fields(),
        on_partial=on_partial,
    )
    return repair_briefs(answer, brief, settings)


async def make_metadata(
    brief: Brief,
    instinct: Instinct,
    settings: Settings,
    gateway: Gateway,
    existing: list[str] = (),
    sources: list[Source] = (),
    voice: dict[str, Any] | None = None,
) -> Metadata:
    """Title, description, tags and image queries; `existing` titles are not to be echoed; with `voice`, the
    description is written in the site's style."""
    prompt = gateway.prompts.render(
        "metadata.j2",
        **_context(brief, instinct, settings, sources, voice),
        keyword_words=keyword_words(brief.primary_keyword),
        title_max=settings.lengths.title_max,
        description_max=settings.lengths.description_max,
        recent_titles=list(existing)[-10:],
    )
    answer = await ask_json(
        gateway,
        stage="plan",
        part="metadata",
        prompt=prompt,
        model=Metadata,
        max_tokens=METADATA_MAX_TOKENS,
        check=lambda m: metadata_problems(m, brief, settings, existing),
        fields=metadata_fields(brief, settings),
    )
    meta = repair_metadata(answer, brief, instinct, settings)
    remaining = metadata_problems(meta, brief, settings, existing)
    if remaining:
        # Degrade, don't die: the draft is written, and the gate's error findings hold it back from publishing.
        log.warning(
            "the plan still breaks %d rule(s) after a re-ask (%s); the draft carries them as findings for the editor",
            len(remaining),
            "; ".join(remaining),
        )
    return meta


def _first_line(text: str, limit: int = 80) -> str:
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def repair_briefs(briefs: Briefs, brief: Brief, settings: Settings) -> Briefs:
    """What can be mended without the model: the category, step titles (plain text, never empty)."""
    choices = categories_for(brief, settings)
    steps = [
        s.model_copy(update={"title": plain_line(s.title) or plain_line(s.brief)[:20] or "実践のポイント"})
        for s in briefs.steps
    ]
    category = briefs.category if briefs.category in choices else choices[0]
    return briefs.model_copy(update={"category": category, "steps": steps})


def repair_metadata(meta: Metadata, brief: Brief, instinct: Instinct, settings: Settings) -> Metadata:
    """What can be mended without the model: the title as one line of plain text (no tags: a layout may print it
    unescaped), image queries, the description's length, tags."""
    defaults = instinct.image_queries.model_dump()
    queries = {
        slot: q if q.strip() and q.isascii() else defaults[slot] for slot, q in meta.image_queries.model_dump().items()
    }
    return meta.model_copy(
        update={
            "title": plain_line(meta.title),
            "image_queries": ImageQueries(**queries),
            "description": cut_to_sentence(meta.description, settings.lengths.description_max),
            "tags": clean_tags(meta.tags, brief.primary_keyword),
        }
    )


def cut_to_sentence(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a sentence end when one is near enough."""
    text = clean_line(text)
    if len(text) <= limit:
        return text
    ends = [m.end() for m in re.finditer(r"[。！？]", text[:limit])]
    return text[: ends[-1]] if ends and ends[-1] >= limit // 2 else text[: limit - 1] + "…"


def clean_tags(tags: list[str], primary: str) -> list[str]:
    """The primary keyword first; no empty, duplicate or English tags, none with foreign characters."""
    kept = [clean_line(t) for t in tags]
    kept = [t for t in kept if t and not (is_english(t) and " " in t) and not foreign_characters(t)]
    return list(dict.fromkeys([primary.strip(), *kept]))


def fallback_metadata(brief: Brief, instinct: Instinct) -> Metadata:
    """Metadata for a draft whose metadata call failed: the gate flags the title and the description."""
    tags = [brief.primary_keyword, *brief.keywords[1:3], instinct.name]
    return Metadata.model_construct(
        title=brief.primary_keyword, description="", tags=tags, image_queries=instinct.image_queries
    )


_STEP_PREFIX = re.compile(r"^ステップ\s*[0-9０-９]+\s*[:：]\s*")
APPROVED_BRIEF_CHARS = 120  # a part's approved points joined, as the plan's brief for it


def plan_from_brief(ref: BriefRef, theme: str) -> Plan:
    """The plan an approved brief makes (`genpost --brief`): each part's points as its brief, its steps' titles
    as the editor left them; the outline call is not made. The metadata is still asked for."""
    parts = {p.part: p for p in ref.parts}

    def said(key: str) -> str:
        return "、".join(parts[key].points)[:APPROVED_BRIEF_CHARS] if key in parts else ""

    trend = [p for p in ref.parts if re.fullmatch(r"trend\d+", p.part)]
    steps = [p for p in ref.parts if re.fullmatch(r"step\d+", p.part)]
    briefs = Briefs.model_construct(
        category=theme,
        trend_points=[said(p.part) for p in trend],
        steps=[StepBrief(title=_STEP_PREFIX.sub("", p.heading or ""), brief=said(p.part)) for p in steps],
        summary=said("summary"),
        background=said("background"),
        cases=said("cases"),
        lead=said("lead"),
        trend=said("trend_intro"),
    )
    return Plan.of(briefs, Metadata.unknown())
