"""The providers a run can choose: the built-in ones, and any a plugin adds through an entry point.

A plugin is a distribution that declares, in its pyproject.toml,

    [project.entry-points."genpost.providers"]
    memory = "genpost_memory:make_provider"

The entry point's name is the provider's name (`--provider memory`); it resolves to a factory
that takes the LLMSettings and returns a Provider (`pipeline/llm/provider.py`).

Nothing here is imported or loaded before it is needed: the names come from the installed
distributions' metadata (for `--help`), the built-in providers import their SDK or llama.cpp
only when built, and plugins are loaded, all at once and once per process, the first time a
name that is not built in has to be resolved. A plugin that fails to load costs one warning line.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING

from pipeline.errors import GenpostError, ProviderError, UsageError

if TYPE_CHECKING:
    from pipeline.config import LLMSettings
    from pipeline.llm.provider import Provider

GROUP = "genpost.providers"
AUTO = "auto"  # not a provider: the choice made from the environment (see choice.py)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

ProviderFactory = Callable[["LLMSettings"], "Provider"]

log = logging.getLogger("genpost")
_BUILTIN: dict[str, ProviderFactory] = {}


def register(name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a built-in provider's factory under `name` (plugins use an entry point instead)."""

    def add(factory: ProviderFactory) -> ProviderFactory:
        if name in _BUILTIN or name == AUTO or not NAME.fullmatch(name):
            raise ValueError(f"cannot register a provider named {name!r}")
        _BUILTIN[name] = factory
        return factory

    return add


@register("openai")
def _openai(settings: LLMSettings) -> Provider:
    """Any OpenAI-compatible Chat Completions API (OPENAI_API_KEY, OPENAI_BASE_URL)."""
    from pipeline.llm.openai_provider import OpenAIProvider

    return OpenAIProvider(settings.timeout)


@register("local")
def _local(settings: LLMSettings) -> Provider:
    """The embedded model: llama.cpp in-process (imported only now)."""
    from pipeline.llm.local_provider import LocalProvider

    return LocalProvider(settings.local)


def builtin_names() -> list[str]:
    """The providers genpost ships, in the order they are offered."""
    return list(_BUILTIN)


def _declared() -> list[metadata.EntryPoint]:
    """The installed plugins' entry points, read from their metadata: nothing is imported."""
    return sorted(metadata.entry_points(group=GROUP), key=lambda ep: ep.name)


def names(plugins: bool = True) -> list[str]:
    """Every provider's name, built-in first, then the plugins' as declared (none is loaded to list it)."""
    found = builtin_names()
    if plugins:
        found += [ep.name for ep in _declared() if ep.name not in found and NAME.fullmatch(ep.name)]
    return found


def _warn(ep: metadata.EntryPoint, why: str) -> None:
    log.warning("provider plugin %r (%s) not loaded: %s", ep.name, ep.value, " ".join(why.split()))


@functools.lru_cache(maxsize=8)
def _plugins(path: tuple[str, ...]) -> dict[str, ProviderFactory]:
    """Every plugin's factory, loaded; one warning line for each that cannot be (keyed on sys.path)."""
    loaded: dict[str, ProviderFactory] = {}
    for ep in _declared():
        if ep.name in _BUILTIN or ep.name == AUTO:
            _warn(ep, "the name belongs to genpost")
        elif not NAME.fullmatch(ep.name):
            _warn(ep, "a provider's name is letters, digits, '.', '_' and '-'")
        elif ep.name in loaded:
            _warn(ep, "another plugin has that name")
        else:
            try:
                factory = ep.load()
            except Exception as exc:  # a plugin's import may fail any way: it costs a warning, not the run
                _warn(ep, f"{type(exc).__name__}: {exc}")
                continue
            if callable(factory):
                loaded[ep.name] = factory
            else:
                _warn(ep, f"it names a {type(factory).__name__}, not a factory")
    return loaded


def plugins() -> dict[str, ProviderFactory]:
    """The plugins that loaded, by name (loaded the first time this is asked)."""
    return _plugins(tuple(sys.path))


def is_known(name: str) -> bool:
    """Whether `name` is a provider; only a name that is not built in loads the plugins."""
    return name in _BUILTIN or name in plugins()


def unknown(name: str, auto: bool = False) -> str:
    """The one line that refuses an unknown name and lists the known ones (`auto` too, where it is taken)."""
    known = ([AUTO] if auto else []) + builtin_names() + list(plugins())
    return f"unknown provider {name!r}; choose one of: {', '.join(known)}"


def factory(name: str) -> ProviderFactory:
    """The factory registered under `name`; an unknown name is a usage error (exit 2) listing the known ones."""
    if name in _BUILTIN:
        return _BUILTIN[name]
    found = plugins().get(name)
    if found is None:
        raise UsageError(unknown(name))
    return found


def build(name: str, settings: LLMSettings) -> Provider:
    """A provider from its factory. What a plugin's factory raises, or gives back instead of a provider,
    ends the run with one line (exit 1), never a traceback."""
    from pipeline.llm.provider import Capabilities

    make = factory(name)
    if name in _BUILTIN:
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
