"""Brief → Plan: one structured call, validated, re-asked once if invalid."""

from __future__ import annotations

import re
import unicodedata

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.llm import Gateway, ask_json
from pipeline.llm.fields import EnglishWords, FieldSpec, JapaneseText, TitleWith
from pipeline.llm.schema import strict_schema
from pipeline.outline import TREND_PARTS
from pipeline.text import char_ngrams, clean_line, jaccard, keyword_words, squash
from pipeline.types import Brief, ImageQueries, Plan

PLAN_MAX_TOKENS = 1200


def categories_for(brief: Brief, settings: Settings) -> list[str]:
    """The category choices: the given theme, or the configured categories."""
    return [brief.theme] if brief.theme else list(settings.site.categories)


def plan_schema(categories: list[str]) -> dict:
    """The Plan schema with the category limited to the allowed choices."""
    schema = strict_schema(Plan)
    schema["properties"]["category"]["enum"] = categories
    return schema


IMAGE_QUERY_SLOTS = tuple(ImageQueries.model_fields)


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


def plan_problems(plan: Plan, brief: Brief, settings: Settings, existing: list[str] = ()) -> list[str]:
    """What a valid-JSON plan still gets wrong, in words the model can act on."""
    problems = []
    lengths = settings.lengths
    title = unicodedata.normalize("NFKC", plan.title)
    if len(plan.title) > lengths.title_max:
        problems.append(f"title が{len(plan.title)}字です。{lengths.title_max}字以内にしてください")
    if not any(ch.isdigit() for ch in title):
        problems.append("title に半角数字を含めてください")
    missing = [w for w in keyword_words(brief.primary_keyword) if w.lower() not in title.lower()]
    if missing:
        problems.append(f"title に主キーワードの語（{'、'.join(missing)}）を含めてください")
    if len(plan.description) > lengths.description_max:
        problems.append(f"description を{lengths.description_max}字以内にしてください")
    if plan.category not in categories_for(brief, settings):
        problems.append("category は指定の選択肢から選んでください")
    queries = plan.image_queries.model_dump().values()
    if any(not q.strip() or not q.isascii() for q in queries):
        problems.append("image_queries は英語（ASCII）で、空にしないでください")
    limit = settings.memory.title_similarity
    words = keyword_words(brief.primary_keyword)
    close = [t for t in existing if title_similarity(plan.title, t, words) >= limit]
    if close:
        problems.append(f"title が既存の記事「{close[0]}」と似すぎています。別の切り口のタイトルにしてください")
    if any(not t.strip() for t in plan.tags) or any(not s.title.strip() for s in plan.steps):
        problems.append("tags と steps.title は空にしないでください")
    return problems


def plan_fields(brief: Brief, settings: Settings) -> dict[str, FieldSpec]:
    """What the plan's constrained fields are: a grammar-decoding provider makes the title rules hold."""
    year = str(brief.date.astimezone(settings.site.zone).year)
    words = tuple(w for w in keyword_words(brief.primary_keyword) if w != year)  # the opening names the year
    fields: dict[str, FieldSpec] = {f"image_queries.{slot}": EnglishWords() for slot in IMAGE_QUERY_SLOTS}
    fields["title"] = TitleWith(f"{year}年版", words, settings.lengths.title_max)
    fields["steps.title"] = JapaneseText(min_chars=2, max_chars=20)
    return fields


async def make_plan(
    brief: Brief, instinct: Instinct, settings: Settings, gateway: Gateway, existing: list[str] = ()
) -> Plan:
    """Ask the planning model for a Plan that meets every rule; `existing` titles are not to be echoed."""
    categories = categories_for(brief, settings)
    prompt = gateway.prompts.render(
        "plan.j2",
        site_name=settings.site.name,
        brief=brief,
        instinct=instinct,
        structure=brief.structure,
        categories=categories,
        theme_hint=brief.theme or "テーマ",
        trend_parts=TREND_PARTS[brief.structure],
        keyword_words=keyword_words(brief.primary_keyword),
        title_max=settings.lengths.title_max,
        description_max=settings.lengths.description_max,
        date_label=brief.date.astimezone(settings.site.zone).strftime("%Y年%m月%d日"),
        recent_titles=list(existing)[-10:],
    )
    plan = await ask_json(
        gateway,
        stage="plan",
        part="plan",
        prompt=prompt,
        model=Plan,
        schema=plan_schema(categories),
        max_tokens=PLAN_MAX_TOKENS,
        check=lambda p: plan_problems(p, brief, settings, existing),
        fields=plan_fields(brief, settings),
    )
    steps = [s.model_copy(update={"title": clean_line(s.title)}) for s in plan.steps]
    return plan.model_copy(update={"tags": _tags_with_primary(plan.tags, brief.primary_keyword), "steps": steps})


def _tags_with_primary(tags: list[str], primary: str) -> list[str]:
    """Tags with the primary keyword first and no duplicates."""
    ordered = [primary, *tags]
    return list(dict.fromkeys(t.strip() for t in ordered if t.strip()))
