"""What every model provider takes, returns and says it can do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pipeline.llm.fields import FieldSpec


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
    # What string fields are, by dotted path ("title", "image_queries.hero"); a provider
    # that decodes under a grammar enforces them, the others ignore them.
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    # Called with the answer so far as it streams in (a provider that does not stream never calls it).
    on_partial: Callable[[str], None] | None = field(default=None, compare=False, repr=False)
    # Continue this text rather than answer `messages` (a provider whose capabilities say `continues`).
    document: str | None = None
    stop: tuple[str, ...] = ()  # end the continuation at any of these
    stop_after: int = 0  # end it at the first sentence end once it holds this many characters (0: no such end)
    grammar: str | None = None  # GBNF the continuation follows
    allow: str = ""  # characters outside JIS X 0208 a site uses, allowed in the continuation
    variant: int = 0  # asked again (a redraft): a provider with a fixed seed samples differently


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


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do; the gateway and the stages ask this, never the provider's class."""

    concurrency: int | None = None  # calls it serves at once (None: as many as configured)
    streaming: bool = True  # answers can be streamed
    grammar: bool = False  # decodes under a grammar built from the request's fields
    retry_cutoffs: bool = True  # a cut-off answer is worth asking again with more room
    fixed_model: str | None = None  # the one model it runs, whatever a stage asks for
    whole_draft: bool = True  # its context holds a whole draft (the polish pass; every piece sees every brief)
    # It follows written instructions (a small model copies them into its answer instead).
    follows_instructions: bool = True
    # It continues a document (`ChatRequest.document`) under a grammar, and a model that copies instructions
    # drafts that way.
    continues: bool = False


class Provider(Protocol):
    name: str
    capabilities: Capabilities

    async def chat(self, request: ChatRequest) -> ChatResult:
        """One model call; raise TransientError for failures worth retrying."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class BatchProvider(Protocol):
    """A provider that also takes whole batches of calls (the OpenAI Batch API)."""

    def batch_body(self, request: ChatRequest) -> dict[str, Any]:
        """The request as one line's body in a batch input file."""
        ...

    async def submit_batch(self, lines: list[dict[str, Any]], metadata: dict[str, str]) -> str:
        """Upload the lines and start a batch; returns its id."""
        ...

    async def batch_results(self, batch_id: str) -> tuple[str, dict[str, Any] | None]:
        """The batch's status, and once it is completed its answers by custom id."""
        ...
