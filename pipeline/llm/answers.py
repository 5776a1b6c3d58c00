"""What stages ask the gateway for: text (trimmed when cut off) or JSON (validated, re-asked once)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.errors import ProviderError
from pipeline.llm.fields import FieldSpec
from pipeline.llm.gateway import Gateway
from pipeline.llm.provider import ChatRequest
from pipeline.llm.schema import strict_schema
from pipeline.prompts import RenderedPrompt
from pipeline.text import trim_to_sentence

log = logging.getLogger("genpost.llm")
M = TypeVar("M", bound=BaseModel)


class InvalidAnswer(ProviderError):
    """A structured answer that stayed invalid after the re-ask."""


async def ask_text(
    gateway: Gateway, *, stage: str, part: str, prompt: RenderedPrompt, max_tokens: int, stop_after: int = 0
) -> str:
    """A free-text answer; one still cut off after its retry ends at its last full sentence."""
    request = gateway.request(stage, prompt, max_tokens, stop_after=stop_after)
    result = await gateway.call(stage, part, prompt, request)
    if result.finish_reason == "length":
        log.info("%s/%s: answer cut off; trimmed to its last sentence", stage, part)
        return trim_to_sentence(result.text)
    return result.text


async def continue_text(gateway: Gateway, *, part: str, prompt: RenderedPrompt, request: ChatRequest) -> str:
    """The document `request` continues (made by `gateway.document_request`); one that ran to its cap ends at
    its last full sentence (unless a grammar shaped it: a list is kept whole)."""
    stage = "draft"
    result = await gateway.call(stage, part, prompt, request)
    if result.finish_reason == "length" and request.grammar is None:
        log.info("%s/%s: continuation ran to its cap; trimmed to its last sentence", stage, part)
        return trim_to_sentence(result.text)
    return result.text


async def ask_json(
    gateway: Gateway,
    *,
    stage: str,
    part: str,
    prompt: RenderedPrompt,
    model: type[M],
    max_tokens: int,
    schema: dict | None = None,
    check: Callable[[M], list[str]] | None = None,
    fields: dict[str, FieldSpec] | None = None,
    on_partial: Callable[[str], None] | None = None,
) -> M:
    """A JSON answer validated against `model`, re-asked once, told what is wrong.

    `check` finds what a valid answer still gets wrong (soft rules); it is asked about once.
    A second answer that is valid but still breaks them is returned, for the caller to
    repair or flag; one that is not valid JSON of `model` raises InvalidAnswer.
    """
    schema = schema or strict_schema(model)
    name = model.__name__.lower()
    for attempt in (1, 2):
        request = gateway.request(stage, prompt, max_tokens, schema, name, fields, on_partial=on_partial)
        result = await gateway.call(stage, part, prompt, request)
        value, problems = parse(result.text, model, None)
        if value is not None and check is not None and attempt == 1:
            problems = check(value)
        if value is not None and (attempt == 2 or not problems):
            return value
        log.info("%s/%s: invalid answer (%s)", stage, part, "; ".join(problems))
        if attempt == 2:
            raise InvalidAnswer(f"{stage}: the model's answer stayed invalid: {'; '.join(problems)}")
        if result.finish_reason == "length":
            max_tokens = int(max_tokens * 1.5)
        reask = gateway.prompts.text("reask.j2", problems=problems)
        prompt = prompt.followed_by({"role": "assistant", "content": result.text}, {"role": "user", "content": reask})
    raise AssertionError("unreachable")


def parse_answer(text: str, model: type[M]) -> M | None:
    """A JSON answer read as `model`, or None if it does not fit."""
    value, _ = parse(text, model, None)
    return value


def parse(text: str, model: type[M], check: Callable[[M], list[str]] | None) -> tuple[M | None, list[str]]:
    """The parsed answer and what `check` finds wrong with it, or None and why it does not parse."""
    try:
        # strict=False: a raw newline inside a string is tolerated, as most servers emit it.
        value = model.model_validate(json.loads(_strip_fence(text), strict=False))
    except json.JSONDecodeError as exc:
        return None, [f"JSON として読めません（{exc.msg}）"]
    except ValidationError as exc:
        return None, [f"{'.'.join(map(str, e['loc'])) or 'JSON'}: {e['msg']}" for e in exc.errors()[:5]]
    return value, check(value) if check else []


def _strip_fence(text: str) -> str:
    """Some servers wrap JSON in a Markdown code fence; take what is inside."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[-1]
        stripped = stripped.rsplit("```", 1)[0]
    return stripped
