"""Which provider a run uses: the one asked for, else OpenAI-compatible when a key or server is set, else the
embedded model. The providers themselves are looked up in the registry (`registry.py`)."""

from __future__ import annotations

import os

from pipeline.config import LLMSettings, Settings
from pipeline.llm import registry
from pipeline.llm.provider import Provider
from pipeline.provider_names import AUTO


def provider_name(settings: LLMSettings, requested: str | None = None) -> str:
    """A registered provider's name: --provider, then GENPOST_PROVIDER / config, then auto."""
    name = requested or settings.provider
    if name == AUTO:
        has_server = os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")
        name = "openai" if has_server else "local"
    return name


def make_provider(settings: LLMSettings, requested: str | None = None) -> Provider:
    """Build the provider; its SDK, llama.cpp or plugin is imported only now."""
    return registry.build(provider_name(settings, requested), settings)


def fit_to_model(settings: Settings, requested: str | None = None) -> None:
    """With a packaged embedded model, the body's range and the gate's redraft rounds are that model's own,
    unless genpost.yml sets them."""
    from pipeline.llm.embedded import MODELS

    local = settings.llm.local
    if provider_name(settings.llm, requested) != "local" or local.model_path or local.model not in MODELS:
        return
    model = MODELS[local.model]
    if "body" not in settings.lengths.model_fields_set:
        settings.lengths.body = model.body
    if "max_rewrites" not in settings.quality.model_fields_set:
        settings.quality.max_rewrites = model.max_rewrites
