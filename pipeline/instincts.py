"""The eight instincts and their fallback photo catalogue, from `instincts.yml`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pipeline.paths import resource
from pipeline.types import ImageQueries
from pipeline.yamlfile import load_validated


class CataloguePhoto(BaseModel):
    """A real Unsplash photo kept for when no search is possible."""

    model_config = ConfigDict(extra="forbid")
    url: str
    page: str
    description: str = ""
    photographer: str
    profile: str


class Instinct(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = ""
    name: str
    triggers: list[str] = Field(min_length=1)
    psychology: str
    tone: str
    images: list[CataloguePhoto] = Field(min_length=4)
    image_queries: ImageQueries  # English searches for when a plan's own are unusable


class _InstinctsFile(BaseModel):
    photos: dict[str, CataloguePhoto] = Field(default_factory=dict)
    instincts: dict[str, Instinct] = Field(min_length=1)


def load_instincts(path: Path | None = None) -> dict[str, Instinct]:
    """All instincts by key, in file order."""
    path = path or resource("instincts.yml")
    data = load_validated(_InstinctsFile, path)
    for key, instinct in data.instincts.items():
        instinct.key = key
    return data.instincts
