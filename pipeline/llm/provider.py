"""What every model provider takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[dict[str, str]]
    max_tokens: int
    temperature: float
    timeout: float
    stream: bool = True
    schema: dict[str, Any] | None = None
    schema_name: str = "answer"
    # Regexes for string fields by dotted path ("title", "image_queries.hero"), enforced by
    # providers that constrain decoding with a grammar (the embedded one); others ignore them.
    patterns: dict[str, str] = field(default_factory=dict)


@dataclass
class ChatResult:
    text: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    ttft_s: float | None = None


class TransientError(Exception):
    """A failure worth retrying (rate limit, 5xx, dropped connection, timeout, refusal…).

    `retry_after` is the wait in seconds the server asked for, if it did.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Refusal(TransientError):
    """The model refused to answer."""


class Provider(Protocol):
    name: str

    async def chat(self, request: ChatRequest) -> ChatResult:
        """One model call; raise TransientError for failures worth retrying."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
