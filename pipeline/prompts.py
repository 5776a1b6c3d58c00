"""The Jinja2 prompt templates in `prompts/`, rendered into chat messages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from pipeline.errors import UsageError
from pipeline.paths import resource

SYSTEM_TEMPLATE = "system.j2"


@dataclass(frozen=True)
class RenderedPrompt:
    """Messages for one model call, and which template (and version) made them."""

    template: str
    template_hash: str
    messages: list[dict[str, str]] = field(default_factory=list)

    def followed_by(self, *turns: dict[str, str]) -> RenderedPrompt:
        """The same prompt with more turns appended (for a re-ask)."""
        return RenderedPrompt(self.template, self.template_hash, [*self.messages, *turns])


class PromptBook:
    """Renders `prompts/*.j2` with StrictUndefined: a missing variable is an error, not a blank."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or resource("prompts")
        self.env = Environment(
            loader=FileSystemLoader(self.directory),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        shared = sorted(self.directory.glob("_*.j2"))
        self._shared_source = "".join(p.read_text(encoding="utf-8") for p in shared)

    def _hash(self, name: str) -> str:
        digest = hashlib.sha256()
        for part in (SYSTEM_TEMPLATE, name):
            digest.update((self.directory / part).read_bytes())
        digest.update(self._shared_source.encode())
        return digest.hexdigest()[:12]

    def text(self, name: str, **context: Any) -> str:
        """Render one template to text."""
        try:
            return self.env.get_template(name).render(**context).strip()
        except TemplateError as exc:
            raise UsageError(f"prompts/{name}: {exc}") from None

    def document(self, name: str, tail: str = "", **context: Any) -> RenderedPrompt:
        """A document for a model to continue: `name` rendered, then `tail` (where the continuation starts)."""
        text = self.text(name, **context) + tail
        return RenderedPrompt(name, self._hash(name), [{"role": "user", "content": text}])

    def render(self, name: str, **context: Any) -> RenderedPrompt:
        """System message from `system.j2`, user message from `name`."""
        messages = [
            {"role": "system", "content": self.text(SYSTEM_TEMPLATE, **context)},
            {"role": "user", "content": self.text(name, **context)},
        ]
        return RenderedPrompt(name, self._hash(name), messages)
