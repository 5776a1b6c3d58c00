"""Metadata taken from what the model wrote, where asking a small model for it costs a copied instruction.

Asked for a description, a small model writes the prompt back (「この記事は、日本語で…」); asked for
tags, it makes words up. Its lead already says what the post is about, and the headings it was
given name the topics: the description is the lead cut at a sentence end, and the tags are the
keywords and the noun phrases of the post's own headings (fugashi), most repeated first.
"""

from __future__ import annotations

from collections import Counter

from pipeline.japanese import tagger
from pipeline.site.links import noun_phrases
from pipeline.types import Brief, Plan, Sections
from pipeline.writing.outline import TREND_PARTS, Outline, section_headings
from pipeline.writing.planner import cut_to_sentence

TAGS = (3, 6)
TAG_CHARS = (2, 15)


def description_from(lead: str, limit: int) -> str:
    """The lead's first paragraph within `limit` characters, cut at a sentence end."""
    first = next((p for p in lead.split("\n\n") if p.strip()), "")
    return cut_to_sentence(first, limit)


def tags_from(brief: Brief, outline: Outline, instinct_name: str, theme: str) -> list[str]:
    """The keywords, then the noun phrases of the post's own headings (those the structure does not fix)."""
    fixed = {*section_headings(instinct_name, theme), *(t for titles in TREND_PARTS.values() for t in titles)}
    headings = [p.heading for p in outline if p.heading and p.heading not in fixed]
    counts = Counter(phrase for heading in headings for phrase in dict.fromkeys(noun_phrases(heading)))
    phrases = [p for p, _ in counts.most_common() if TAG_CHARS[0] <= len(p) <= TAG_CHARS[1] and known(p)]
    tags = list(dict.fromkeys(k.strip() for k in [brief.primary_keyword, *brief.keywords[1:], theme] if k.strip()))
    for phrase in phrases:
        if len(tags) >= TAGS[1]:
            break
        if not any(phrase in tag or tag in phrase for tag in tags):
            tags.append(phrase)
    return tags if len(tags) >= TAGS[0] else list(dict.fromkeys([*tags, theme, instinct_name]))


def known(phrase: str) -> bool:
    """Every word of `phrase` is in the dictionary (a small model's made-up word is not); not a number, and not
    kana alone (ため, こと: nouns no reader tags a post with)."""
    words = tagger()(phrase)
    kana_only = all("ぁ" <= ch <= "ゖ" or ch == "ー" for ch in phrase)
    return bool(words) and not any(w.is_unk for w in words) and not phrase.isdigit() and not kana_only


def taken_from_draft(
    plan: Plan, sections: Sections, outline: Outline, brief: Brief, instinct_name: str, description_max: int
) -> Plan:
    """The plan with its description cut from the lead and its tags from the keywords and headings."""
    lead = sections.get("lead")
    description = description_from(lead, description_max) if isinstance(lead, str) else ""
    tags = tags_from(brief, outline, instinct_name, plan.category)
    return plan.model_copy(update={"description": description or plan.description, "tags": tags})
