"""The names a run may choose a provider by: the built-in ones, and those plugins add through an entry point.

A plugin is a distribution that declares, in its pyproject.toml,

    [project.entry-points."genpost.providers"]
    memory = "genpost_memory:make_provider"

The entry point's name is the provider's name (`--provider memory`); it resolves to a factory that takes the
LLMSettings and returns a Provider (`pipeline/llm/provider.py`).

Nothing is loaded before it is needed: the names come from the installed distributions' metadata (for
`--help`), and plugins are loaded, all at once and once per process, the first time a name that is not built
in has to be resolved. A plugin that fails to load costs one warning line, and its name is then unknown.

This module knows no settings and builds no provider: `config.py` checks `llm.provider` against it, and
`llm/registry.py` builds the provider a name stands for.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

GROUP = "genpost.providers"
AUTO = "auto"  # not a provider: the choice made from the environment (see llm/choice.py)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
BUILTIN = ("openai", "local")  # the providers genpost ships, in the order they are offered

# A plugin's factory: called with the LLMSettings; what it gives back is checked when the registry builds it.
PluginFactory = Callable[[Any], Any]

log = logging.getLogger("genpost")


def builtin_names() -> list[str]:
    """The providers genpost ships, in the order they are offered."""
    return list(BUILTIN)


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
def _plugins(path: tuple[str, ...]) -> dict[str, PluginFactory]:
    """Every plugin's factory, loaded; one warning line for each that cannot be (keyed on sys.path)."""
    loaded: dict[str, PluginFactory] = {}
    for ep in _declared():
        if ep.name in BUILTIN or ep.name == AUTO:
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


def plugins() -> dict[str, PluginFactory]:
    """The plugins that loaded, by name (loaded the first time this is asked)."""
    return _plugins(tuple(sys.path))


def is_known(name: str) -> bool:
    """Whether `name` is a provider; only a name that is not built in loads the plugins."""
    return name in BUILTIN or name in plugins()


def unknown(name: str, auto: bool = False) -> str:
    """The one line that refuses an unknown name and lists the known ones (`auto` too, where it is taken)."""
    known = ([AUTO] if auto else []) + builtin_names() + list(plugins())
    return f"unknown provider {name!r}; choose one of: {', '.join(known)}"
