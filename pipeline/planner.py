"""Brief → Plan: one structured call, validated, re-asked once if invalid."""

from __future__ import annotations

import logging
import re
import unicodedata

from pipeline.config import Settings
from pipeline.instincts import Instinct
from pipeline.llm import Gateway, ask_json
from pipeline.llm.fields import EnglishWords, FieldSpec, JapaneseText, TitleWith
from pipeline.llm.schema import strict_schema
from pipeline.outline import TREND_PARTS
from pipeline.quality.script import foreign_characters, is_english
from pipeline.text import char_ngrams, clean_line, jaccard, keyword_words, plain_line, squash
from pipeline.types import Brief, ImageQueries, Plan, Source

PLAN_MAX_TOKENS = 1200


def categories_for(brief: Brief, settings: Settings) -> list[str]:
    """The category choices: the given theme, or the configured categories."""
    return [brief.theme] if brief.theme else list(settings.site.categories)


def plan_schema(categories: list[str]) -> dict:
    """The Plan schema with the category limited to the allowed choices."""
    schema = strict_schema(Plan)
    schema["properties"]["category"]["enum"] = categories
    return schema


log = logging.getLogger("genpost")
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
    if is_english(plan.description) or foreign_characters(plan.title + plan.description):
        problems.append("title と description は日本語で書き、日本で使わない漢字（簡体字など）は使わないでください")
    if any(is_english(tag) and " " in tag.strip() for tag in plan.tags):
        problems.append("tags は日本語にしてください（製品名や略語はそのままでかまいません）")
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
    brief: Brief,
    instinct: Instinct,
    settings: Settings,
    gateway: Gateway,
    existing: list[str] = (),
    sources: list[Source] = (),
) -> Plan:
    """Ask the planning model for a Plan that meets every rule; `existing` titles are not to be echoed.

    The planner sees each source's title and first line, so the outline can lean on what they hold.
    """
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
        sources=[{"title": s.title, "first_line": _first_line(s.text)} for s in sources[:8]],
    )
    answer = await ask_json(
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
    plan = repair(answer, brief, instinct, settings)
    remaining = plan_problems(plan, brief, settings, existing)
    if remaining:
        # Degrade, don't die: the draft is written, and the gate's error findings hold it back from publishing.
        log.warning(
            "the plan still breaks %d rule(s) after a re-ask (%s); the draft carries them as findings for the editor",
            len(remaining),
            "; ".join(remaining),
        )
    return plan


def _first_line(text: str, limit: int = 80) -> str:
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def repair(plan: Plan, brief: Brief, instinct: Instinct, settings: Settings) -> Plan:
    """What can be mended without the model: image queries, the description's length, tags, category, step titles."""
    defaults = instinct.image_queries.model_dump()
    queries = {
        slot: q if q.strip() and q.isascii() else defaults[slot] for slot, q in plan.image_queries.model_dump().items()
    }
    choices = categories_for(brief, settings)
    steps = [
        s.model_copy(update={"title": plain_line(s.title) or plain_line(s.brief)[:20] or "実践のポイント"})
        for s in plan.steps
    ]
    return plan.model_copy(
        update={
            "image_queries": ImageQueries(**queries),
            "description": cut_to_sentence(plan.description, settings.lengths.description_max),
            "tags": clean_tags(plan.tags, brief.primary_keyword),
            "category": plan.category if plan.category in choices else choices[0],
            "steps": steps,
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
    """The primary keyword first; no empty, duplicate or English tags, none with foreign ideographs."""
    kept = [clean_line(t) for t in tags]
    kept = [t for t in kept if t and not (is_english(t) and " " in t) and not foreign_characters(t)]
    return list(dict.fromkeys([primary.strip(), *kept]))
