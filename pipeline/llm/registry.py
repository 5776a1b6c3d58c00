"""Building the provider a run chose: the built-in providers' factories, and the plugins' that
`pipeline/provider_names.py` finds and loads (which names exist, and the one line that refuses any other).

A factory takes the LLMSettings and returns a Provider (`pipeline/llm/provider.py`). The built-in providers
import their SDK or llama.cpp only when built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.errors import GenpostError, ProviderError, UsageError
from pipeline.llm.provider import Capabilities, Provider
from pipeline.provider_names import BUILTIN, plugins, unknown

if TYPE_CHECKING:
    from pipeline.config import LLMSettings

ProviderFactory = Callable[["LLMSettings"], Provider]


def _openai(settings: LLMSettings) -> Provider:
    """Any OpenAI-compatible Chat Completions API (OPENAI_API_KEY, OPENAI_BASE_URL)."""
    from pipeline.llm.openai_provider import OpenAIProvider

    return OpenAIProvider(settings.timeout)


def _local(settings: LLMSettings) -> Provider:
    """The embedded model: llama.cpp in-process (imported only now)."""
    from pipeline.llm.local_provider import LocalProvider

    return LocalProvider(settings.local)


# The built-in providers' factories, under the names `provider_names.BUILTIN` offers.
BUILTIN_FACTORIES: dict[str, ProviderFactory] = {"openai": _openai, "local": _local}


def factory(name: str) -> ProviderFactory:
    """The factory `name` stands for, built-in or a plugin's; an unknown name is a usage error (exit 2)
    listing the known ones."""
    if name in BUILTIN:
        return BUILTIN_FACTORIES[name]
    found = plugins().get(name)
    if found is None:
        raise UsageError(unknown(name))
    return found


def build(name: str, settings: LLMSettings) -> Provider:
    """A provider from its factory. What a plugin's factory raises, or gives back instead of a provider,
    ends the run with one line (exit 1), never a traceback."""
    make = factory(name)
    if name in BUILTIN:
        return make(settings)
    try:
        provider = make(settings)
    except GenpostError:
        raise
    except Exception as exc:
        raise ProviderError(f"provider {name!r} could not start: {type(exc).__name__}: {exc}") from None
    missing = [
        what
        for what, ok in (
            ("a name", isinstance(getattr(provider, "name", None), str)),
            ("capabilities", isinstance(getattr(provider, "capabilities", None), Capabilities)),
            ("chat()", callable(getattr(provider, "chat", None))),
            ("close()", callable(getattr(provider, "close", None))),
        )
        if not ok
    ]
    if missing:
        raise ProviderError(f"provider {name!r} gave a {type(provider).__name__} without {', '.join(missing)}")
    return provider
