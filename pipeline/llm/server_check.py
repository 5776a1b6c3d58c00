"""`genpost doctor`'s checks: tiny requests that find out what an OpenAI-compatible server takes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import openai

from pipeline.llm.openai_provider import OpenAIProvider, describe_error
from pipeline.llm.provider import ChatRequest, ChatResult, TransientError
from pipeline.llm.server_support import (
    JSON_OBJECT,
    JSON_SCHEMA,
    REFUSALS,
    STREAM,
    STREAM_USAGE,
    TEXT,
    WHOLE,
    Form,
)

# A schema any server can fill in a few tokens.
CHECK_SCHEMA = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
    "additionalProperties": False,
}
CHECK_PROMPT = '次のJSONだけを返してください: {"ok": true}'
TEXT_TOKENS, JSON_TOKENS = 8, 24
# Why a check could not be made when the server's 200 answer is not a chat completion at all.
NOT_JSON = "the server's answer is not JSON"
NOT_A_COMPLETION = "the server's answer is not a chat completion"


@dataclass
class Check:
    """One feature's outcome: supported, refused (with its HTTP status), or not checked (and why)."""

    state: str = "not checked"
    status: int | None = None
    note: str = ""

    @property
    def taken(self) -> bool:
        return self.state in ("supported", "ignored")

    def __str__(self) -> str:
        if self.state == "refused":
            return f"refused (HTTP {self.status})"
        if self.state == "ignored":
            return "accepted, but the answer was not JSON of the schema (genpost validates and re-asks)"
        return f"{self.state} ({self.note})" if self.note else self.state


@dataclass
class ServerReport:
    """What the server took, and what genpost will use with it."""

    base_url: str
    model: str
    stream_setting: bool  # llm.stream in genpost.yml
    plain: Check = field(default_factory=Check)
    streaming: Check = field(default_factory=Check)
    stream_options: Check = field(default_factory=Check)
    json_schema: Check = field(default_factory=Check)
    json_object: Check = field(default_factory=Check)
    usage_in_stream: bool | None = None
    usage_whole: bool | None = None
    unchecked: str = ""  # why nothing past the plain request was checked, when every check would meet it

    @property
    def usable(self) -> bool:
        """genpost can work with the server: a plain request is answered (JSON can be asked for in the prompt)."""
        return self.plain.state == "supported"

    def usage_line(self) -> str:
        if self.stream_options.taken:
            if self.usage_in_stream:
                return "supported (in streams, with stream_options.include_usage)"
            return "not sent in streams (stream_options is taken but ignored): token counts and cost are recorded as 0"
        if self.stream_options.state == "refused" and self.streaming.taken:
            return f"refused (HTTP {self.stream_options.status}, stream_options)"
        if self.usage_whole is not None:
            return "supported (without streaming)" if self.usage_whole else "not sent: token counts are recorded as 0"
        return f"not checked ({self.unchecked})" if self.unchecked else "not checked"

    def will_use(self) -> str:
        if self.plain.state == "refused":
            return f"genpost cannot use this server: it refused a plain request (HTTP {self.plain.status})"
        if not self.usable:
            return f"genpost cannot use this server: a plain request failed ({self.plain.note})"
        if self.json_schema.taken:
            answer = "json_schema"
        elif self.json_object.taken:
            answer = "json_object with the schema"
        else:
            answer = "JSON asked for in the prompt (validated and re-asked)"
        if not self.stream_setting:
            stream = "no streaming (llm.stream is off)"
        elif self.stream_options.taken:
            stream = "streaming with usage" if self.usage_in_stream else "streaming (the server sends no usage)"
        elif self.streaming.taken:
            stream = "streaming without stream_options (no usage)"
        else:
            stream = "no streaming"
        return f"genpost will use: {answer}, {stream}"

    def lines(self) -> list[str]:
        return [
            f"server: {self.base_url} (model {self.model})",
            f"streaming: {self.streaming}",
            f"json_schema: {self.json_schema}",
            f"json_object: {self.json_object}",
            f"usage: {self.usage_line()}",
            self.will_use(),
        ]


async def check_server(provider: OpenAIProvider, model: str, timeout: float, stream_setting: bool) -> ServerReport:
    """Ask the server a plain question, then each feature once; a feature it refuses says so with its status.

    `timeout` bounds each request's whole time, however the server trickles its answer (SSE comments, a body
    that never ends).
    """
    report = ServerReport(provider.base_url, model, stream_setting)
    text = _request(model, timeout, None)
    report.plain, answer = await _try(provider, text, Form(TEXT, WHOLE), timeout)
    if not report.usable:
        if report.plain.note in (NOT_JSON, NOT_A_COMPLETION):  # what every other check would meet too
            report.unchecked = report.plain.note
            for name in ("streaming", "stream_options", "json_schema", "json_object"):
                setattr(report, name, Check("not checked", None, report.plain.note))
        return report
    report.usage_whole = _has_usage(answer)

    report.stream_options, answer = await _try(provider, text, Form(TEXT, STREAM_USAGE), timeout)
    if report.stream_options.taken:
        report.streaming = Check("supported")
        report.usage_in_stream = _has_usage(answer)
    elif report.stream_options.state == "refused":
        report.streaming, _ = await _try(provider, text, Form(TEXT, STREAM), timeout)
    else:
        report.streaming = report.stream_options

    asking = _request(model, timeout, CHECK_SCHEMA)
    report.json_schema, answer = await _try(provider, asking, Form(JSON_SCHEMA, WHOLE), timeout)
    _judge_json(report.json_schema, answer)
    report.json_object, answer = await _try(provider, asking, Form(JSON_OBJECT, WHOLE), timeout)
    _judge_json(report.json_object, answer)
    return report


def _request(model: str, timeout: float, schema: dict | None) -> ChatRequest:
    tokens = JSON_TOKENS if schema else TEXT_TOKENS
    messages = [{"role": "user", "content": CHECK_PROMPT}]
    return ChatRequest(model, messages, tokens, 0.0, timeout, stream=False, schema=schema, schema_name="check")


async def _try(
    provider: OpenAIProvider, request: ChatRequest, form: Form, timeout: float
) -> tuple[Check, ChatResult | None]:
    """One request in `form`, given `timeout` seconds in all: supported; refused with a 400, 422 or 500; else not
    checked, and why (no answer in time, an answer that is not a chat completion, an SDK error)."""
    try:
        async with asyncio.timeout(timeout):
            return Check("supported"), await provider.send(request, form)
    except TimeoutError:
        return Check("not checked", None, f"no complete answer within {timeout:g} s"), None
    except openai.APIStatusError as exc:
        if exc.status_code in REFUSALS:
            return Check("refused", exc.status_code), None
        return Check("not checked", exc.status_code, describe_error(exc)), None
    except openai.OpenAIError as exc:
        return Check("not checked", None, describe_error(exc)), None
    except TransientError as exc:  # the model refused to answer, or a stream ended early
        return Check("not checked", None, str(exc)), None
    except json.JSONDecodeError:  # a body (or a stream's event) that is not JSON
        return Check("not checked", None, NOT_JSON), None
    except AttributeError as exc:  # the SDK hands a body that is not JSON back as a str
        return Check("not checked", None, NOT_JSON if isinstance(exc.obj, str) else NOT_A_COMPLETION), None
    except (TypeError, KeyError, IndexError, ValueError):  # JSON, but not of a chat completion
        return Check("not checked", None, NOT_A_COMPLETION), None


def _has_usage(answer: ChatResult | None) -> bool | None:
    return None if answer is None else answer.prompt_tokens + answer.completion_tokens > 0


def _judge_json(check: Check, answer: ChatResult | None) -> None:
    """A taken feature whose answer is not {"ok": <bool>} was accepted but not followed."""
    if answer is None:
        return
    try:
        value = json.loads(answer.text.strip().removeprefix("```json").removesuffix("```"))
    except json.JSONDecodeError:
        value = None
    if not (isinstance(value, dict) and isinstance(value.get("ok"), bool)):
        check.state = "ignored"
