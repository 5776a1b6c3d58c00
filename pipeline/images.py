"""Images for a post. Until the Unsplash client lands: the per-instinct catalogue."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.instincts import Instinct
from pipeline.outline import Outline
from pipeline.types import Image, Plan

# Unsplash's imgix parameters for a 1200×630 card, each set exactly once.
RESIZE = {"w": "1200", "h": "630", "fit": "crop", "crop": "smart", "auto": "format", "q": "80"}

# The H2 sections that carry an image, in order, and the plan's query for each.
IMAGE_SLOTS = ("background", "trend", "cases")


def sized_url(url: str, params: dict[str, str] | None = None) -> str:
    """The URL with each resize parameter set once, other parameters (such as ixid) kept."""
    params = RESIZE if params is None else params
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def alt_for(slot: str, outline: Outline, title: str) -> str:
    """Alt text: the H2's title, as in the reference post; the hero's is the post title."""
    heading = {"background": outline.background, "trend": outline.trend, "cases": outline.cases}.get(slot)
    return f"{heading}に関連するイメージ" if heading else title


def catalogue_images(instinct: Instinct, plan: Plan, outline: Outline) -> list[Image]:
    """Hero first, then one image per slot; no photo is used twice in a post."""
    slots = ("hero", *IMAGE_SLOTS)
    queries = plan.image_queries.model_dump()
    photos = instinct.images
    if len(photos) < len(slots):
        raise ValueError(f"instinct {instinct.key} needs {len(slots)} catalogue photos")
    images = []
    for slot, photo in zip(slots, photos, strict=False):
        images.append(
            Image(
                slot=slot,
                url=sized_url(photo.url),
                alt=alt_for(slot, outline, plan.title),
                query=queries.get(slot, ""),
                source="catalogue",
                page=photo.page,
                photographer=photo.photographer,
                profile=photo.profile,
            )
        )
    return images
