"""The gateway every model call goes through: concurrency, retries, timeouts, usage, cost."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
)

from pipeline.config import LLMSettings
from pipeline.errors import ProviderError, UsageError
from pipeline.llm.pricing import call_cost
from pipeline.llm.provider import ChatRequest, ChatResult, Provider, TransientError
from pipeline.llm.schema import strict_schema
from pipeline.prompts import PromptBook, RenderedPrompt
from pipeline.text import trim_to_sentence
from pipeline.types import CallRecord

log = logging.getLogger("genpost.llm")
M = TypeVar("M", bound=BaseModel)


class InvalidAnswer(ProviderError):
    """A structured answer that stayed invalid after the re-ask."""


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
        # A provider that runs one call at a time (the embedded model) says so; queueing here
        # keeps each call's recorded duration its own.
        self._gate = gate or asyncio.Semaphore(call_cap(provider, settings))
        self._origin = time.perf_counter()

    def session(self) -> Gateway:
        """A gateway for one more post: same provider and concurrency cap, its own call records."""
        return Gateway(self.provider, self.settings, self.prompts, model_override=self.model_override, gate=self._gate)

    def model_for(self, stage: str) -> str:
        """A provider with one fixed model (the embedded one) names it; others follow the config."""
        fixed = getattr(self.provider, "model_name", None)
        return fixed or self.model_override or self.settings.model_for(stage)

    async def close(self) -> None:
        await self.provider.close()

    async def text(self, *, stage: str, part: str, prompt: RenderedPrompt, max_tokens: int) -> str:
        """A free-text answer; one still cut off after its retry ends at its last full sentence."""
        result = await self._call(stage, part, prompt, max_tokens, None, "answer", {})
        if result.finish_reason == "length":
            log.info("%s/%s: answer cut off; trimmed to its last sentence", stage, part)
            return trim_to_sentence(result.text)
        return result.text

    async def structured(
        self,
        *,
        stage: str,
        part: str,
        prompt: RenderedPrompt,
        model: type[M],
        max_tokens: int,
        schema: dict | None = None,
        check: Callable[[M], list[str]] | None = None,
        patterns: dict[str, str] | None = None,
    ) -> M:
        """A JSON answer validated against `model` (and `check`), re-asked once if invalid."""
        schema = schema or strict_schema(model)
        name = model.__name__.lower()
        for attempt in (1, 2):
            result = await self._call(stage, part, prompt, max_tokens, schema, name, patterns or {})
            value, problems = _parse(result.text, model, check)
            if value is not None:
                return value
            log.info("%s/%s: invalid answer (%s)", stage, part, "; ".join(problems))
            if attempt == 2:
                raise InvalidAnswer(f"{stage}: the model's answer stayed invalid: {'; '.join(problems)}")
            if result.finish_reason == "length":
                max_tokens = int(max_tokens * 1.5)
            reask = self.prompts.text("reask.j2", problems=problems)
            prompt = prompt.followed_by(
                {"role": "assistant", "content": result.text}, {"role": "user", "content": reask}
            )
        raise AssertionError("unreachable")

    async def _call(
        self,
        stage: str,
        part: str,
        prompt: RenderedPrompt,
        max_tokens: int,
        schema: dict | None,
        schema_name: str,
        patterns: dict[str, str],
    ) -> ChatResult:
        request = self._request(stage, prompt, max_tokens, schema, schema_name, patterns, self.settings.stream)
        async with self._gate:
            started = time.perf_counter()
            result, attempts = await self._with_retries(request, f"{stage}/{part}")
            ended = time.perf_counter()
        record = self._record(stage, part, prompt, request.model, self.provider.name, result, 1.0)
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

    def _request(
        self,
        stage: str,
        prompt: RenderedPrompt,
        max_tokens: int,
        schema: dict | None,
        schema_name: str,
        patterns: dict[str, str],
        stream: bool,
    ) -> ChatRequest:
        return ChatRequest(
            model=self.model_for(stage),
            messages=prompt.messages,
            max_tokens=max_tokens,
            temperature=self.settings.temperature,
            timeout=self.settings.timeout,
            stream=stream,
            schema=schema,
            schema_name=schema_name,
            patterns=patterns,
        )

    def _record(
        self,
        stage: str,
        part: str,
        prompt: RenderedPrompt,
        model: str,
        provider: str,
        result: ChatResult,
        price_share: float,
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
            wait=_wait(policy.backoff_initial_s, policy.backoff_max_s),
            before_sleep=lambda state: log.info(
                "%s: %s; retrying in %.1fs", label, state.outcome.exception(), state.upcoming_sleep
            ),
            reraise=False,
        )
        attempts, cut_off = 0, False
        # A cut-off answer is asked once more with more room, unless the provider says that won't help.
        retry_cutoffs = getattr(self.provider, "retry_cutoffs", True)
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

    # --- the OpenAI Batch API: the same requests, answered within 24 hours at a discount ---

    def batch_line(
        self, custom_id: str, stage: str, prompt: RenderedPrompt, max_tokens: int, model: type[BaseModel] | None = None
    ) -> dict:
        """One line of a Batch API input file for a call this gateway would otherwise make."""
        batch_body = getattr(self.provider, "batch_body", None)
        if batch_body is None:
            raise UsageError("the Batch API needs the openai provider")
        schema = strict_schema(model) if model else None
        request = self._request(
            stage, prompt, max_tokens, schema, model.__name__.lower() if model else "answer", {}, False
        )
        return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": batch_body(request)}

    async def submit_batch(self, lines: list[dict], metadata: dict[str, str]) -> str:
        return await self.provider.submit_batch(lines, metadata)  # type: ignore[attr-defined]

    async def batch_results(self, batch_id: str) -> tuple[str, dict | None]:
        return await self.provider.batch_results(batch_id)  # type: ignore[attr-defined]

    def take_batch_answer(self, stage: str, part: str, prompt: RenderedPrompt, item: dict | None) -> str | None:
        """The text of one Batch API answer, recorded like a call (at the batch price); None if it failed."""
        response = (item or {}).get("response") or {}
        body = response.get("body") or {}
        if response.get("status_code") != 200 or not body.get("choices"):
            return None
        choice = body["choices"][0]
        usage = body.get("usage") or {}
        result = ChatResult(
            text="",
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            cached_tokens=(usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0,
        )
        model = body.get("model") or self.model_for(stage)
        self.calls.append(
            self._record(stage, part, prompt, model, "openai-batch", result, self.settings.batch_discount)
        )
        return (choice.get("message") or {}).get("content") or None

    def totals(self) -> dict[str, int | float]:
        """Token and cost totals over every call so far."""
        return {
            "calls": len(self.calls),
            "prompt_tokens": sum(c.prompt_tokens for c in self.calls),
            "completion_tokens": sum(c.completion_tokens for c in self.calls),
            "cached_tokens": sum(c.cached_tokens for c in self.calls),
            "cost_usd": round(sum(c.cost_usd for c in self.calls), 8),
        }


def call_cap(provider: Provider, settings: LLMSettings) -> int:
    """Calls in flight at once: the configured cap, or fewer if the provider takes one at a time."""
    return min(settings.concurrency, getattr(provider, "max_concurrency", settings.concurrency))


def _wait(initial: float, longest: float) -> Callable[[RetryCallState], float]:
    """Exponential backoff with full jitter; a server's Retry-After wins when it asks for longer.

    The time budget (stop_before_delay) stops a wait that would pass it.
    """

    def wait(state: RetryCallState) -> float:
        backoff = min(initial * 2 ** (state.attempt_number - 1), longest)
        backoff = random.uniform(backoff / 2, backoff)
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None)
        return max(backoff, asked) if asked else backoff

    return wait


def parse_answer(text: str, model: type[M]) -> M | None:
    """A JSON answer read as `model`, or None if it does not fit."""
    value, _ = _parse(text, model, None)
    return value


def _parse(text: str, model: type[M], check: Callable[[M], list[str]] | None) -> tuple[M | None, list[str]]:
    """The parsed answer and no problems, or None and what is wrong with it."""
    try:
        # strict=False: a raw newline inside a string is tolerated, as most servers emit it.
        value = model.model_validate(json.loads(_strip_fence(text), strict=False))
    except json.JSONDecodeError as exc:
        return None, [f"JSON として読めません（{exc.msg}）"]
    except ValidationError as exc:
        return None, [f"{'.'.join(map(str, e['loc'])) or 'JSON'}: {e['msg']}" for e in exc.errors()[:5]]
    problems = check(value) if check else []
    return (None, problems) if problems else (value, [])


def _strip_fence(text: str) -> str:
    """Some servers wrap JSON in a Markdown code fence; take what is inside."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[-1]
        stripped = stripped.rsplit("```", 1)[0]
    return stripped
