"""Servers that take less than OpenAI: what genpost learns from their refusals, and `genpost doctor`.

The stand-in plays each kind of server (standins.openai_api.KINDS): one that refuses json_schema
with a 400, 422 or 500 (llama-cpp-python's server), one with no JSON mode at all, one that refuses
stream_options or streaming, one that sends no usage in a stream.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipeline.config import LLMSettings, RetrySettings
from pipeline.errors import ProviderError
from pipeline.llm import Gateway, ask_json
from pipeline.llm.openai_provider import OpenAIProvider
from pipeline.llm.server_support import (
    JSON_OBJECT,
    JSON_SCHEMA,
    PROMPT,
    STREAM,
    STREAM_USAGE,
    WHOLE,
    Form,
    ServerSupport,
    forget,
    public_url,
    support_for,
)
from pipeline.prompts import PromptBook, RenderedPrompt
from standins.openai_api import KINDS, Fault, OpenAIStandIn
from tests.conftest import CALLS_PER_POST, PLANTED_KEY, POLISH_CALL, record_of, write_post
from tests.postparse import FRONT_MATTER_KEYS, parse_post


@pytest.fixture
def server(llm: OpenAIStandIn) -> Iterator[OpenAIStandIn]:
    """The stand-in, with nothing known about it yet (the `llm` fixture takes it as taking everything)."""
    forget(llm.base_url)
    yield llm
    forget(llm.base_url)


def play(server: OpenAIStandIn, kind: str) -> OpenAIStandIn:
    server.kind = KINDS[kind]
    return server


def form_of(body: dict) -> Form:
    """The form a request went out in, read off the wire."""
    kind = (body.get("response_format") or {}).get("type")
    said = "\n".join(m.get("content") or "" for m in body["messages"])
    answer = {"json_schema": JSON_SCHEMA, "json_object": JSON_OBJECT}.get(
        kind, PROMPT if "JSONスキーマ:" in said else "text"
    )
    if not body.get("stream"):
        return Form(answer, WHOLE)
    return Form(answer, STREAM_USAGE if body.get("stream_options") else STREAM)


# --- the ladder, on its own ------------------------------------------------------------------------


def test_a_refused_feature_is_skipped_and_one_that_worked_is_never_blamed():
    support = ServerSupport()
    first = support.first_form(has_schema=True, streamed=True)
    assert first == Form(JSON_SCHEMA, STREAM_USAGE) and support.suspect(first) == "json_schema"
    assert support.without(first, "json_schema") == Form(JSON_OBJECT, STREAM_USAGE)
    support.refused("json_schema", 500)
    support.worked(Form(JSON_OBJECT, STREAM_USAGE))
    assert support.first_form(True, True) == Form(JSON_OBJECT, STREAM_USAGE)
    assert support.suspect(Form(JSON_OBJECT, STREAM_USAGE)) is None, "every feature it carries has worked"
    assert support.first_form(has_schema=False, streamed=False) == Form("text", WHOLE)
    support.refused("json_object", 400)
    support.refused("streaming", 422)
    assert support.first_form(True, True) == Form(PROMPT, WHOLE), "stream_options is no use without streaming"


def test_the_shown_url_has_no_credentials():
    assert public_url("http://user:s3cret@127.0.0.1:8000/v1/?key=abc#x") == "http://127.0.0.1:8000/v1"
    assert support_for("http://a:b@[::1]:9/v1/") is support_for("http://[::1]:9/v1")


# --- one call at a time, through the gateway ------------------------------------------------------


class Answer(BaseModel):
    summary: str
    points: list[str]


def _ask(stream: bool, attempts: int = 2) -> tuple[Answer, Gateway]:
    settings = LLMSettings(
        stream=stream, retry=RetrySettings(attempts=attempts, backoff_initial_s=0.01, backoff_max_s=0.02)
    )

    async def run() -> tuple[Answer, Gateway]:
        gateway = Gateway(OpenAIProvider(5), settings, PromptBook())
        prompt = RenderedPrompt(
            "t.j2",
            "abc",
            [{"role": "system", "content": "編集者です。"}, {"role": "user", "content": "要点をまとめてください"}],
        )
        try:
            return await ask_json(gateway, stage="plan", part="x", prompt=prompt, model=Answer, max_tokens=200), gateway
        finally:
            await gateway.close()

    return asyncio.run(run())


LADDERS = {
    # kind: the forms the first call tries, streamed and not
    "llama-cpp-python": ([Form(JSON_SCHEMA, STREAM_USAGE), Form(JSON_OBJECT, STREAM_USAGE)], ["json_schema"]),
    "json-object-only-400": ([Form(JSON_SCHEMA, STREAM_USAGE), Form(JSON_OBJECT, STREAM_USAGE)], ["json_schema"]),
    "json-object-only-422": ([Form(JSON_SCHEMA, STREAM_USAGE), Form(JSON_OBJECT, STREAM_USAGE)], ["json_schema"]),
    "no-stream-options": (
        [Form(JSON_SCHEMA, STREAM_USAGE), Form(JSON_OBJECT, STREAM_USAGE), Form(JSON_OBJECT, STREAM)],
        ["stream_options"],
    ),
    "no-streaming": (
        [
            Form(JSON_SCHEMA, STREAM_USAGE),
            Form(JSON_OBJECT, STREAM_USAGE),
            Form(JSON_OBJECT, STREAM),
            Form(PROMPT, STREAM),
            Form(PROMPT, WHOLE),
        ],
        ["streaming"],
    ),
}


@pytest.mark.parametrize("kind", LADDERS)
def test_the_first_refusal_tries_the_next_simpler_form_at_once(server, kind):
    play(server, kind)
    tries, refused = LADDERS[kind]
    answer, gateway = _ask(stream=True)
    assert answer.summary and answer.points
    assert [form_of(b) for b in server.chat_bodies()] == tries
    assert gateway.calls[0].attempts == 1, "a refusal costs no retry and no backoff"
    support = support_for(server.base_url)
    assert [f for f, works in support.works.items() if works is False] == refused
    assert support.refused_with == {refused[0]: getattr(KINDS[kind], refused[0])}
    # With json_object the schema is the grammar-ready one: a pattern caps every string a small model writes.
    schema = server.chat_bodies()[1]["response_format"]["schema"]
    assert schema["properties"]["summary"]["pattern"].startswith("^") and schema["properties"]["points"]["items"]


def test_a_server_that_refuses_several_features_is_learnt_call_by_call(server):
    play(server, "no-json-mode")
    _ask(stream=False)
    tried = [form_of(b) for b in server.chat_bodies()]
    assert tried == [Form(JSON_SCHEMA, WHOLE), Form(JSON_OBJECT, WHOLE), Form(PROMPT, WHOLE)]
    # json_object was refused and the prompt then worked; json_schema is not blamed on that alone.
    assert support_for(server.base_url).works == {"json_object": False}
    server.reset()
    server.kind = KINDS["no-json-mode"]
    _ask(stream=False)
    assert [form_of(b) for b in server.chat_bodies()] == [Form(JSON_SCHEMA, WHOLE), Form(PROMPT, WHOLE)]
    server.reset()
    server.kind = KINDS["no-json-mode"]
    answer, _ = _ask(stream=False)
    assert [form_of(b) for b in server.chat_bodies()] == [Form(PROMPT, WHOLE)], "now it asks in the prompt alone"
    (body,) = server.chat_bodies()
    assert "response_format" not in body
    system = body["messages"][0]["content"]
    assert system.startswith("編集者です。") and "JSONスキーマ:" in system and '"points"' in system
    assert answer.points, "the fenced JSON the model answered with is read"


def test_a_flaky_500_is_not_taken_for_a_refusal(server):
    """Every form of the first attempt fails: nothing is recorded, and the gateway's retry uses the richest form."""
    server.inject(*[Fault(status=500) for _ in range(3)])
    answer, gateway = _ask(stream=False)
    bodies = server.chat_bodies()
    first_attempt = [Form(JSON_SCHEMA, WHOLE), Form(JSON_OBJECT, WHOLE), Form(PROMPT, WHOLE)]
    assert [form_of(b) for b in bodies] == [*first_attempt, Form(JSON_SCHEMA, WHOLE)]
    assert gateway.calls[0].attempts == 2 and answer.points
    assert support_for(server.base_url).works == {"json_schema": True}


def test_a_500_for_features_that_worked_before_is_retried_as_before(server):
    _ask(stream=True)
    server.reset()
    server.inject(Fault(status=500))
    _, gateway = _ask(stream=True)
    assert [form_of(b) for b in server.chat_bodies()] == [Form(JSON_SCHEMA, STREAM_USAGE)] * 2
    assert gateway.calls[0].attempts == 2


def test_when_nothing_works_the_error_says_what_was_refused(server):
    server.down = Fault(status=500, message=f"boom {PLANTED_KEY}")
    with pytest.raises(ProviderError) as raised:
        _ask(stream=False)
    message = str(raised.value)
    assert message == (
        f"model provider failed after 2 attempt(s): the server at {server.base_url} refused json_schema (HTTP 500), "
        "json_object (HTTP 500) and plain requests (HTTP 500)"
    )
    assert len(server.chat_bodies()) == 6, "each attempt tries each form once"
    assert support_for(server.base_url).works == {}, "a server that answers nothing has refused nothing"


def test_a_400_for_every_form_is_not_retried_and_leaks_nothing(server):
    server.down = Fault(status=400, message=f"bad request {PLANTED_KEY}")
    with pytest.raises(ProviderError) as raised:
        _ask(stream=True, attempts=4)
    message = str(raised.value)
    assert message == (
        f"model provider rejected the call: the server at {server.base_url} refused json_schema (HTTP 400), "
        "stream_options (HTTP 400), json_object (HTTP 400), streaming (HTTP 400) and plain requests (HTTP 400)"
    )
    assert len(server.chat_bodies()) == 5 and PLANTED_KEY not in message and "要点" not in message


# --- whole posts ----------------------------------------------------------------------------------

# The form the last call (the polish) goes out in, once genpost has learnt the server; and what it learnt
# the server refuses (each said once on stderr).
LEARNT = {
    "openai": (Form(JSON_SCHEMA, STREAM_USAGE), set()),
    "llama-cpp-python": (Form(JSON_OBJECT, STREAM_USAGE), {"json_schema"}),
    "json-object-only-400": (Form(JSON_OBJECT, STREAM_USAGE), {"json_schema"}),
    "json-object-only-422": (Form(JSON_OBJECT, STREAM_USAGE), {"json_schema"}),
    "no-json-mode": (Form(PROMPT, STREAM_USAGE), {"json_schema", "json_object"}),
    "no-stream-options": (Form(JSON_SCHEMA, STREAM), {"stream_options"}),
    "no-streaming": (Form(JSON_SCHEMA, WHOLE), {"streaming"}),
    # stream_options is never blamed: once streaming is refused it is not sent again.
    "plain-only-500": (Form(PROMPT, WHOLE), {"json_schema", "json_object", "streaming"}),
}


@pytest.mark.parametrize("kind", LEARNT)
def test_a_whole_post_through_each_kind_of_server(server, genpost, tmp_path, kind):
    play(server, kind)
    run = write_post(genpost, tmp_path / "out")
    assert run.code == 0, run.stderr
    post = parse_post(Path(run.last_line))
    assert list(post.front) == FRONT_MATTER_KEYS and len(post.h2) == 5 and post.json_ld["@type"] == "BlogPosting"
    record = record_of(run)
    calls = record["calls"]
    assert len(calls) == CALLS_PER_POST and all(c["attempts"] == 1 for c in calls), "refusals cost no retries"
    assert any(e["applied"] for e in record["polish"]), "the polish's edits came back as JSON of its schema"

    bodies = server.chat_bodies()
    refused = [b for b in bodies if server.kind.refusal(b)]
    polish = [b for b in bodies if POLISH_CALL in b["messages"][-1]["content"]]
    # By the last call genpost knows the server. One that refuses all four features is learnt a feature a
    # call (no feature is blamed for another's refusal): its polish call may still try json_schema once.
    assert len(polish) <= (2 if kind == "plain-only-500" else 1), [form_of(b) for b in polish]
    learnt, refused_features = LEARNT[kind]
    assert form_of(polish[-1]) == learnt and not server.kind.refusal(polish[-1])
    notices = [line for line in run.stderr.splitlines() if " refused " in line]
    assert sorted(line.split(" refused ")[1].split(" ")[0] for line in notices) == sorted(refused_features)
    assert all(line.startswith(f"genpost: the server at {server.base_url} refused ") for line in notices)
    assert len(bodies) == CALLS_PER_POST + len(refused)
    if kind == "openai":
        assert not refused


def test_usage_missing_from_a_stream_is_zero_not_a_failure(server, genpost, tmp_path):
    play(server, "llama-cpp-python")
    run = write_post(genpost, tmp_path / "out")
    assert run.code == 0, run.stderr
    assert support_for(server.base_url).usage_in_stream is False
    assert all(c["completion_tokens"] == 0 for c in record_of(run)["calls"])


# --- genpost doctor --------------------------------------------------------------------------------

DOCTOR = {
    "openai": [
        "streaming: supported",
        "json_schema: supported",
        "json_object: supported",
        "usage: supported (in streams, with stream_options.include_usage)",
        "genpost will use: json_schema, streaming with usage",
    ],
    "llama-cpp-python": [
        "streaming: supported",
        "json_schema: refused (HTTP 500)",
        "json_object: supported",
        "usage: not sent in streams (stream_options is taken but ignored): token counts and cost are recorded as 0",
        "genpost will use: json_object with the schema, streaming (the server sends no usage)",
    ],
    "json-object-only-422": [
        "streaming: supported",
        "json_schema: refused (HTTP 422)",
        "json_object: supported",
        "usage: supported (in streams, with stream_options.include_usage)",
        "genpost will use: json_object with the schema, streaming with usage",
    ],
    "no-json-mode": [
        "streaming: supported",
        "json_schema: refused (HTTP 400)",
        "json_object: refused (HTTP 400)",
        "usage: supported (in streams, with stream_options.include_usage)",
        "genpost will use: JSON asked for in the prompt (validated and re-asked), streaming with usage",
    ],
    "no-stream-options": [
        "streaming: supported",
        "json_schema: supported",
        "json_object: supported",
        "usage: refused (HTTP 400, stream_options)",
        "genpost will use: json_schema, streaming without stream_options (no usage)",
    ],
    "no-streaming": [
        "streaming: refused (HTTP 422)",
        "json_schema: supported",
        "json_object: supported",
        "usage: supported (without streaming)",
        "genpost will use: json_schema, no streaming",
    ],
    "plain-only-500": [
        "streaming: refused (HTTP 500)",
        "json_schema: refused (HTTP 500)",
        "json_object: refused (HTTP 500)",
        "usage: supported (without streaming)",
        "genpost will use: JSON asked for in the prompt (validated and re-asked), no streaming",
    ],
}


@pytest.mark.parametrize("kind", DOCTOR)
def test_doctor_says_what_each_kind_of_server_takes(server, genpost, kind):
    play(server, kind)
    run = genpost("doctor")
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"server: {server.base_url} (model gpt-4o-mini)"
    assert lines[1:] == DOCTOR[kind]
    assert all(b["max_tokens"] <= 24 for b in server.chat_bodies()), "tiny requests"


def test_doctor_with_llm_stream_off_and_a_model(server, genpost, fast_retries):
    config = fast_retries()
    config.write_text(config.read_text(encoding="utf-8").replace("llm:\n", "llm:\n  stream: false\n"), encoding="utf-8")
    run = genpost("doctor", "--model", "my-model")
    assert (
        run.code == 0
        and run.stdout.splitlines()[-1] == "genpost will use: json_schema, no streaming (llm.stream is off)"
    )
    assert {b["model"] for b in server.chat_bodies()} == {"my-model"}


def test_doctor_needs_a_server(genpost):
    run = genpost("doctor", "--provider", "openai")
    assert run.code == 2 and run.stderr.startswith("genpost: error: no server is configured") and not run.stdout


def test_doctor_on_a_server_that_fails_exits_1_and_leaks_nothing(server, genpost, monkeypatch):
    server.down = Fault(status=401, message=f"Incorrect API key provided: {PLANTED_KEY}")
    run = genpost("doctor")
    assert run.code == 1
    assert run.stdout.splitlines()[1:] == [
        "streaming: not checked",
        "json_schema: not checked",
        "json_object: not checked",
        "usage: not checked",
        "genpost cannot use this server: a plain request failed (AuthenticationError (HTTP 401))",
    ]
    assert PLANTED_KEY not in run.stdout + run.stderr and len(server.chat_bodies()) == 1

    server.down = Fault(status=500)
    run = genpost("doctor")
    assert run.code == 1 and run.stdout.splitlines()[-1] == (
        "genpost cannot use this server: it refused a plain request (HTTP 500)"
    )


def test_doctor_on_nothing_listening_and_credentials_in_the_url(genpost, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://admin:hunter2@127.0.0.1:{port}/v1")
    run = genpost("doctor", "--timeout", "2")
    assert run.code == 1
    assert run.stdout.splitlines()[0] == f"server: http://127.0.0.1:{port}/v1 (model gpt-4o-mini)"
    assert run.stdout.splitlines()[-1] == "genpost cannot use this server: a plain request failed (APIConnectionError)"
    assert "hunter2" not in run.stdout + run.stderr


def test_doctor_reports_a_server_that_accepts_json_schema_but_ignores_it(server, genpost):
    server.inject(Fault(content="はい、わかりました。"), Fault(content="はい"), Fault(content="いいえ"))
    run = genpost("doctor")
    assert run.code == 0
    assert "json_schema: accepted, but the answer was not JSON of the schema" in run.stdout
    assert "json_object: supported" in run.stdout


def test_a_stream_cut_short_is_retried_not_taken_as_the_answer(llm, genpost, tmp_path):
    """llama-cpp-python's server ends a stream with [DONE] and no finish_reason when another request comes in."""
    lead_piece = "記事の冒頭に置く導入文"
    llm.inject(Fault(interrupted=True, when=lead_piece))
    run = write_post(genpost, tmp_path / "out")
    assert run.code == 0, run.stderr
    record = record_of(run)
    assert next(c for c in record["calls"] if c["part"] == "lead")["attempts"] == 2
    cut, whole = [b for b in llm.chat_bodies() if lead_piece in b["messages"][-1]["content"]]
    assert cut == whole and record["sections"]["lead"].endswith("。")
