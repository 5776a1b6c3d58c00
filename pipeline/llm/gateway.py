"""The gateway every model call goes through: concurrency, retries, timeouts, usage and cost.

What an answer means (text to trim, JSON to parse and re-ask) is `answers.py`'s business;
the Batch API is `batch_client.py`'s. This module is the call policy alone.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
)

from pipeline.config import LLMSettings
from pipeline.errors import ProviderError
from pipeline.llm.fields import FieldSpec
from pipeline.llm.pricing import call_cost
from pipeline.llm.provider import ChatRequest, ChatResult, Provider, TransientError
from pipeline.prompts import PromptBook, RenderedPrompt
from pipeline.types import CallRecord

log = logging.getLogger("genpost.llm")


class EmptyAnswer(TransientError):
    """The model answered nothing."""


class CutOff(TransientError):
    """A text answer stopped at its token cap; retried with more room."""


class Gateway:
    """The one door to the models. Every call is capped, timed, retried and recorded."""

    def __init__(
        self,
        provider: Provider,
        settings: LLMSettings,
        prompts: PromptBook,
        *,
        model_override: str | None = None,
        progress: Callable[[CallRecord], None] | None = None,
        gate: asyncio.Semaphore | None = None,
    ) -> None:
        """`gate` shares one concurrency cap between the gateways of a batch's posts."""
        self.provider = provider
        self.settings = settings
        self.prompts = prompts
        self.model_override = model_override
        self.progress = progress
        self.calls: list[CallRecord] = []
        # A provider that serves one call at a time (the embedded model) says so; queueing
        # here keeps each call's recorded duration its own.
        self._gate = gate or asyncio.Semaphore(call_cap(provider, settings))
        self._origin = time.perf_counter()

    def session(self) -> Gateway:
        """A gateway for one more post: same provider and concurrency cap, its own call records."""
        return Gateway(
            self.provider,
            self.settings,
            self.prompts,
            model_override=self.model_override,
            progress=self.progress,
            gate=self._gate,
        )

    def model_for(self, stage: str) -> str:
        return self.provider.capabilities.fixed_model or self.model_override or self.settings.model_for(stage)

    async def close(self) -> None:
        await self.provider.close()

    def request(
        self,
        stage: str,
        prompt: RenderedPrompt,
        max_tokens: int,
        schema: dict[str, Any] | None = None,
        schema_name: str = "answer",
        fields: dict[str, FieldSpec] | None = None,
        stream: bool | None = None,
        on_partial: Callable[[str], None] | None = None,
        stop_after: int = 0,
    ) -> ChatRequest:
        """The request a stage's call makes (`stop_after`: a provider that can, ends a text answer at the first
        sentence end past this many characters)."""
        streaming = self.settings.stream if stream is None else stream
        return ChatRequest(
            model=self.model_for(stage),
            messages=prompt.messages,
            max_tokens=max_tokens,
            temperature=self.settings.temperature,
            timeout=self.settings.timeout,
            stream=streaming and self.provider.capabilities.streaming,
            schema=schema,
            schema_name=schema_name,
            fields=fields or {},
            on_partial=on_partial,
            stop_after=stop_after,
        )

    def document_request(
        self,
        stage: str,
        prompt: RenderedPrompt,
        max_tokens: int,
        *,
        stop: tuple[str, ...] = (),
        stop_after: int = 0,
        grammar: str | None = None,
        allow: str = "",
        variant: int = 0,
    ) -> ChatRequest:
        """The request that continues the document `prompt` holds (its one message), for a provider that
        `continues`."""
        if not self.provider.capabilities.continues:
            raise ProviderError(f"the {self.provider.name} provider cannot continue a document")
        request = self.request(stage, prompt, max_tokens, stream=False)
        document = prompt.messages[-1]["content"]
        return replace(
            request, document=document, stop=stop, stop_after=stop_after, grammar=grammar, allow=allow, variant=variant
        )

    async def call(self, stage: str, part: str, prompt: RenderedPrompt, request: ChatRequest) -> ChatResult:
        """One call within the concurrency cap, retried by the policy, recorded."""
        async with self._gate:
            started = time.perf_counter()
            result, attempts = await self._with_retries(request, f"{stage}/{part}")
            ended = time.perf_counter()
        record = self.record(stage, part, prompt, request.model, self.provider.name, result)
        record.started_s, record.duration_s = round(started - self._origin, 4), round(ended - started, 4)
        record.attempts = attempts
        self.calls.append(record)
        if self.progress:
            self.progress(record)
        log.info(
            "%s/%s: %s, %d+%d tokens, %.2fs, %d attempt(s)",
            stage,
            part,
            request.model,
            result.prompt_tokens,
            result.completion_tokens,
            ended - started,
            attempts,
        )
        return result

    def record(
        self,
        stage: str,
        part: str,
        prompt: RenderedPrompt,
        model: str,
        provider: str,
        result: ChatResult,
        price_share: float = 1.0,
    ) -> CallRecord:
        """A call's record: usage and cost (at `price_share` of the price table); timings left to the caller."""
        cost = call_cost(
            self.settings.prices, model, result.prompt_tokens, result.cached_tokens, result.completion_tokens
        )
        return CallRecord(
            stage=stage,
            part=part,
            model=model,
            provider=provider,
            template=prompt.template,
            template_hash=prompt.template_hash,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            cached_tokens=result.cached_tokens,
            cost_usd=round(cost * price_share, 8),
            started_s=0.0,
            duration_s=0.0,
            ttft_s=round(result.ttft_s, 4) if result.ttft_s is not None else None,
            finish_reason=result.finish_reason,
        )

    def totals(self) -> dict[str, int | float]:
        """Token and cost totals over every call so far."""
        return totals_of(self.calls)

    async def _attempt(self, request: ChatRequest, retry_cutoff: bool) -> ChatResult:
        """One try. An empty answer is retried; so is a cut-off text answer, once."""
        result = await self.provider.chat(request)
        if not result.text.strip():
            raise EmptyAnswer("the model answered nothing")
        if retry_cutoff and result.finish_reason == "length" and request.schema is None:
            raise CutOff(f"answer cut off at {request.max_tokens} tokens")
        return result

    async def _with_retries(self, request: ChatRequest, label: str) -> tuple[ChatResult, int]:
        policy = self.settings.retry
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(policy.attempts) | stop_before_delay(policy.budget_s),
            wait=backoff(policy.backoff_initial_s, policy.backoff_max_s),
            before_sleep=lambda state: log.info(
                "%s: %s; retrying in %.1fs", label, state.outcome.exception(), state.upcoming_sleep
            ),
            reraise=False,
        )
        attempts, cut_off = 0, False
        # A cut-off answer is asked once more with more room, unless the provider says that won't help.
        retry_cutoffs = self.provider.capabilities.retry_cutoffs and policy.cut_off
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    sized = replace(request, max_tokens=int(request.max_tokens * 1.5)) if cut_off else request
                    try:
                        result = await self._attempt(sized, retry_cutoff=retry_cutoffs and not cut_off)
                    except CutOff:
                        cut_off = True
                        raise
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise ProviderError(f"model provider failed after {attempts} attempt(s): {cause}") from None
        return result, attempts


def totals_of(calls: list[CallRecord]) -> dict[str, int | float]:
    """Token and cost totals over calls."""
    return {
        "calls": len(calls),
        "prompt_tokens": sum(c.prompt_tokens for c in calls),
        "completion_tokens": sum(c.completion_tokens for c in calls),
        "cached_tokens": sum(c.cached_tokens for c in calls),
        "cost_usd": round(sum(c.cost_usd for c in calls), 8),
    }


def call_cap(provider: Provider, settings: LLMSettings) -> int:
    """Calls in flight at once: the configured cap, or fewer if the provider takes fewer."""
    return min(settings.concurrency, provider.capabilities.concurrency or settings.concurrency)


def backoff(initial: float, longest: float) -> Callable[[RetryCallState], float]:
    """Exponential backoff with full jitter; a server's Retry-After wins when it asks for longer.

    The time budget (stop_before_delay) stops a wait that would pass it.
    """

    def wait(state: RetryCallState) -> float:
        delay = min(initial * 2 ** (state.attempt_number - 1), longest)
        delay = random.uniform(delay / 2, delay)
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None)
        return max(delay, asked) if asked else delay

    return wait
