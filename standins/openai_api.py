"""A stand-in for the OpenAI Chat Completions API on 127.0.0.1.

Speaks the wire format the openai SDK expects: plain answers, json_schema
answers and streamed (SSE) answers with usage. A latency model (time to first
token + tokens per second, one token per character) makes it behave like a
real server under load, and queued faults let tests break it on purpose.
`kind` makes it behave like a server that takes less: one that refuses
json_schema, json_object, stream_options or streaming (with a 400, 422 or 500),
or sends no usage in a stream (see KINDS).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from standins.fake_writer import FakeWriter
from standins.http import FaultQueue, JSONHandler, LoopbackServer


def approx_tokens(text: str) -> int:
    """Tokens as a modern tokenizer counts them, roughly: a CJK character is one, ASCII runs four to one."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E7F)
    return wide + math.ceil((len(text) - wide) / 4)


@dataclass
class Latency:
    ttft_s: float = 0.0
    tokens_per_s: float = 0.0  # 0: instant

    def generation_s(self, tokens: int) -> float:
        return tokens / self.tokens_per_s if self.tokens_per_s else 0.0


@dataclass
class Fault:
    """One injected failure, used by the next request that reaches the server."""

    status: int | None = None  # answer with this HTTP status
    retry_after: str | None = None
    hang_s: float = 0.0  # sleep before answering
    content: str | None = None  # answer with this content instead
    finish_reason: str | None = None
    reset: bool = False  # drop the connection without an answer
    refusal: str | None = None  # refuse instead of answering
    cut_at: int | None = None  # stop the answer after this many characters, finish_reason "length"
    message: str = "injected"  # the error message of a status fault
    when: str | None = None  # only for a request whose messages contain this text (a re-ask's too)
    # End a stream halfway with [DONE] and no finish_reason, as llama-cpp-python's server does when another
    # request arrives.
    interrupted: bool = False


@dataclass(frozen=True)
class ServerKind:
    """What the server takes: each feature it refuses, with the HTTP status it refuses it with (None: taken)."""

    json_schema: int | None = None  # response_format {"type": "json_schema", ...}
    json_object: int | None = None  # response_format {"type": "json_object", "schema": ...}
    stream_options: int | None = None  # stream_options in a streamed request
    streaming: int | None = None  # "stream": true
    usage_in_stream: bool = True  # False: stream_options is taken, but a stream ends with no usage chunk

    def refusal(self, body: dict) -> tuple[str, int] | None:
        """The feature this request carries that the server refuses, and the status it answers with."""
        kind = (body.get("response_format") or {}).get("type")
        carried = {
            "json_schema": kind == "json_schema",
            "json_object": kind == "json_object",
            "stream_options": bool(body.get("stream")) and body.get("stream_options") is not None,
            "streaming": bool(body.get("stream")),
        }
        for feature, present in carried.items():
            status = getattr(self, feature)
            if present and status is not None:
                return feature, status
        return None


# Kinds of server genpost meets (the statuses are what each answers the feature it does not take with).
KINDS = {
    "openai": ServerKind(),
    # llama-cpp-python's server: json_object with a schema, not json_schema (an unhandled error: 500);
    # it takes stream_options but sends no usage in a stream.
    "llama-cpp-python": ServerKind(json_schema=500, usage_in_stream=False),
    # A server that validates the request: json_schema is not a response_format it knows.
    "json-object-only-400": ServerKind(json_schema=400),
    "json-object-only-422": ServerKind(json_schema=422),
    # No structured output at all: JSON is asked for in the prompt.
    "no-json-mode": ServerKind(json_schema=400, json_object=400),
    # Streams, but refuses stream_options (older OpenAI-compatible servers).
    "no-stream-options": ServerKind(stream_options=400),
    # Cannot stream at all, and says so with a 422.
    "no-streaming": ServerKind(stream_options=422, streaming=422),
    # Takes nothing but a plain request.
    "plain-only-500": ServerKind(json_schema=500, json_object=500, stream_options=500, streaming=500),
}


def refusal_payload(feature: str, status: int) -> dict:
    """An error body as servers write one: FastAPI's 422 detail, an OpenAI-style 400, a bare 500."""
    if status == 422:
        return {"detail": [{"loc": ["body", feature], "msg": "Input should be valid", "type": "value_error"}]}
    if status == 400:
        return {"error": {"message": f"{feature} is not supported", "type": "invalid_request_error"}}
    return {"error": {"message": "Internal Server Error", "type": "server_error"}}


# The schema a prompt asks for, as genpost's prompts/json_answer.j2 writes it (one line of JSON).
SCHEMA_IN_PROMPT = re.compile(r"^JSONスキーマ:\n(\{.*\})$", re.MULTILINE)


def as_schema_request(body: dict) -> tuple[dict, bool]:
    """The body as the writer reads it: a schema given with json_object, or in the prompt, put where json_schema
    puts it; and whether it came from the prompt."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return body, False
    schema = fmt.get("schema") if fmt.get("type") == "json_object" else None
    from_prompt = False
    if schema is None:
        said = "\n".join(m.get("content") or "" for m in body.get("messages") or [])
        found = SCHEMA_IN_PROMPT.search(said)
        if found is None:
            return body, False
        schema, from_prompt = json.loads(found[1]), True
    name = "edits" if "edits" in schema.get("properties", {}) else "answer"
    if name == "edits" and "Edit" not in schema.get("$defs", {}):  # a grammar-ready schema has its $refs inlined
        schema = {**schema, "$defs": {"Edit": schema["properties"]["edits"]["items"]}}
    return {**body, "response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}}, (
        from_prompt
    )


@dataclass
class Seen:
    """A request as the server received it."""

    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    received: float = 0.0


class _Handler(JSONHandler):
    @property
    def api(self) -> OpenAIStandIn:
        return self.server.standin  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        batch = self.api.batches.get(path.rsplit("/", 1)[-1]) if "/batches/" in path else None
        if path.endswith("/models"):
            self.send_json(200, {"object": "list", "data": [{"id": "stand-in", "object": "model"}]})
        elif "/files/" in path and path.endswith("/content"):
            content = self.api.files.get(path.split("/")[-2])
            if content is None:
                self.send_json(404, {"error": {"message": "no such file"}})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        elif batch is not None:
            self.send_json(200, self.api.poll_batch(batch))
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    def _upload(self) -> None:
        """POST /v1/files: a multipart upload (purpose=batch)."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + raw
        )
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        content = parts["file"].get_payload(decode=True)
        file_id = self.api.store_file(content)
        self.send_json(
            200,
            {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": int(time.time()),
                "filename": parts["file"].get_filename(),
                "purpose": "batch",
                "status": "processed",
            },
        )

    def do_POST(self) -> None:
        if self.path.rstrip("/").endswith("/files"):
            self._upload()
            return
        body = self.read_json()
        api = self.api
        if self.path.rstrip("/").endswith("/batches"):
            self.send_json(200, api.create_batch(body))
            return
        api.record(Seen(self.path, body, dict(self.headers.items()), time.time()))
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        self._counted = True
        self._epoch = api.enter()
        try:
            self._answer(api, body)
        finally:
            self._finished()

    def _finished(self) -> None:
        """Stop counting this request as in flight: called just before its last bytes go out,
        so the count never lags behind a client that has already seen the answer end."""
        if getattr(self, "_counted", False):
            self._counted = False
            self.api.leave(self._epoch)

    def _answer(self, api: OpenAIStandIn, body: dict) -> None:
        api.wait_at_barrier(body)
        refused = api.kind.refusal(body)
        if refused is not None:
            self.send_json(refused[1], refusal_payload(*refused))
            return
        fault = api.next_fault(body)
        if fault and fault.hang_s:
            time.sleep(fault.hang_s)
        if fault and fault.reset:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault and fault.status:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self.send_json(fault.status, {"error": {"message": fault.message, "type": "server_error"}}, headers)
            return
        if fault and fault.refusal:
            self._refuse(body, fault.refusal)
            return
        if fault and fault.content is not None:
            content = fault.content
        else:
            view, from_prompt = as_schema_request(body)
            content = api.writer.answer(view)
            # A model asked for JSON in the prompt alone often wraps it in a code fence.
            content = f"```json\n{content}\n```" if from_prompt else content
        finish = fault.finish_reason if fault and fault.finish_reason else "stop"
        if fault and fault.cut_at is not None:
            content, finish = content[: fault.cut_at], "length"
        if fault and fault.interrupted and body.get("stream"):
            content, finish = content[: len(content) // 2], None
        usage = {
            "prompt_tokens": sum(approx_tokens(m.get("content") or "") for m in body["messages"]),
            "completion_tokens": approx_tokens(content),
            "total_tokens": 0,
            "prompt_tokens_details": {"cached_tokens": 0},
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if body.get("stream"):
            self._stream(body, content, finish, usage)
        else:
            time.sleep(api.latency.ttft_s + api.latency.generation_s(approx_tokens(content)))
            self._finished()
            self.send_json(200, _completion(body["model"], content, finish, usage))

    def _stream(self, body: dict, content: str, finish: str | None, usage: dict) -> None:
        latency = self.api.latency
        self.start_chunked("text/event-stream")
        time.sleep(latency.ttft_s)
        model = body["model"]
        pieces = [content[i : i + 8] for i in range(0, len(content), 8)] or [""]
        for n, piece in enumerate(pieces):
            delta = {"role": "assistant", "content": piece} if n == 0 else {"content": piece}
            self._event(_chunk(model, [{"index": 0, "delta": delta, "finish_reason": None}]))
            time.sleep(latency.generation_s(approx_tokens(piece)))
        if finish is None:  # cut short
            self._finished()
            self.write_chunk(b"data: [DONE]\n\n")
            self.end_chunked()
            return
        self._event(_chunk(model, [{"index": 0, "delta": {}, "finish_reason": finish}]))
        if (body.get("stream_options") or {}).get("include_usage") and self.api.kind.usage_in_stream:
            self._event({**_chunk(model, []), "usage": usage})
        self._finished()
        self.write_chunk(b"data: [DONE]\n\n")
        self.end_chunked()

    def _refuse(self, body: dict, refusal: str) -> None:
        model = body["model"]
        if not body.get("stream"):
            answer = _completion(model, "", "stop", {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2})
            answer["choices"][0]["message"].update(content=None, refusal=refusal)
            self.send_json(200, answer)
            return
        self.start_chunked("text/event-stream")
        self._event(_chunk(model, [{"index": 0, "delta": {"role": "assistant", "refusal": refusal}}]))
        self._event(_chunk(model, [{"index": 0, "delta": {}, "finish_reason": "stop"}]))
        self.write_chunk(b"data: [DONE]\n\n")
        self.end_chunked()

    def _event(self, payload: dict) -> None:
        self.write_chunk(f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode())


def _completion(model: str, content: str, finish: str, usage: dict) -> dict:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": usage,
    }


def _chunk(model: str, choices: list) -> dict:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
    }


class OpenAIStandIn(LoopbackServer, FaultQueue):
    """Start it, point OPENAI_BASE_URL at `base_url`, read `requests` afterwards."""

    def __init__(self, latency: Latency | None = None, writer: FakeWriter | None = None) -> None:
        LoopbackServer.__init__(self, _Handler)
        FaultQueue.__init__(self)
        self.latency = latency or Latency()
        self.writer = writer or FakeWriter()
        self.kind = ServerKind()  # what it takes: every feature, unless a test makes it another kind
        self.max_in_flight = 0
        self.down: Fault | None = None  # every request gets this fault while it is set
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.batch_requests: list[list[dict]] = []
        self.batch_faults: dict[str, str] = {}  # custom_id → "error", or content to answer with
        self.batch_polls_before_done = 0
        self.hang_after: int | None = None  # requests after this many hang
        self.barrier: tuple[str, threading.Barrier] | None = None  # see hold()
        self._answered = 0
        self._in_flight = 0
        self._epoch = 0

    def hold(self, schema: str, parties: int) -> None:
        """Answer no request for the JSON schema `schema` until `parties` of them have arrived
        (two processes are then surely past the same point at once)."""
        self.barrier = (schema, threading.Barrier(parties, timeout=30))

    def wait_at_barrier(self, body: dict) -> None:
        """Block a request for the held schema until its parties have all arrived."""
        held = self.barrier
        if held is None or (body.get("response_format") or {}).get("json_schema", {}).get("name") != held[0]:
            return
        with contextlib.suppress(threading.BrokenBarrierError):  # a party never came: the test's asserts say so
            held[1].wait()

    def enter(self) -> int:
        """Count requests being answered at once (max_in_flight keeps the peak).

        Returns the epoch: requests still hanging from before a reset() are not counted after it.
        """
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._epoch

    def leave(self, epoch: int) -> None:
        with self._lock:
            if epoch == self._epoch:
                self._in_flight -= 1

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def next_fault(self, body: dict) -> Fault | None:
        """The next queued fault that fits the request; else the standing one (`down`);
        else, past `hang_after` answered requests, a long hang."""
        said = "\n".join(m.get("content") or "" for m in body.get("messages") or [])
        with self._lock:
            for fault in self.faults:
                if fault.when is None or fault.when in said:
                    self.faults.remove(fault)
                    return fault
            if self.down is not None:
                return self.down
            self._answered += 1
            if self.hang_after is not None and self._answered > self.hang_after:
                return Fault(hang_s=60)
            return None

    def reset(self) -> None:
        self.quiesce()
        self.clear_faults_and_requests()
        with self._lock:
            self.max_in_flight = 0
            self._in_flight = 0
            self._epoch += 1
            self.down = None
            self.hang_after = None
            self.barrier = None
            self.batch_faults = {}
            self.batch_requests = []
            self.batch_polls_before_done = 0
            self._answered = 0
        self.latency = Latency()
        self.writer = FakeWriter()
        self.kind = ServerKind()

    # --- the Batch API: files in, a batch that runs every line through the writer, files out ---

    def store_file(self, content: bytes) -> str:
        with self._lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = content
            return file_id

    def create_batch(self, body: dict) -> dict:
        lines = [json.loads(line) for line in self.files[body["input_file_id"]].decode().splitlines() if line.strip()]
        output = []
        for n, line in enumerate(lines):
            fault = self.batch_faults.get(line["custom_id"])
            if fault == "error":
                result = {"status_code": 500, "request_id": f"req-{n}", "body": {"error": {"message": "failed"}}}
            else:
                content = fault if fault else self.writer.answer(line["body"])
                usage = {
                    "prompt_tokens": sum(approx_tokens(m["content"]) for m in line["body"]["messages"]),
                    "completion_tokens": approx_tokens(content),
                }
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
                answer = _completion(line["body"]["model"], content, "stop", usage)
                result = {"status_code": 200, "request_id": f"req-{n}", "body": answer}
            output.append({"id": f"batch_req_{n}", "custom_id": line["custom_id"], "response": result, "error": None})
        output_id = self.store_file("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in output).encode())
        with self._lock:
            batch_id = f"batch_{len(self.batches) + 1}"
            self.batches[batch_id] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": body["endpoint"],
                "errors": None,
                "input_file_id": body["input_file_id"],
                "completion_window": body["completion_window"],
                "status": "in_progress",
                "output_file_id": None,
                "error_file_id": None,
                "created_at": int(time.time()),
                "metadata": body.get("metadata"),
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                "_output": output_id,
                "_polls_left": self.batch_polls_before_done,
            }
            self.batch_requests.append(lines)
        return self.public(self.batches[batch_id])

    def poll_batch(self, batch: dict) -> dict:
        """Each retrieve brings the batch closer to done; then it points at its output file."""
        with self._lock:
            if batch["_polls_left"] > 0:
                batch["_polls_left"] -= 1
            else:
                total = batch["request_counts"]["total"]
                batch.update(status="completed", output_file_id=batch["_output"], completed_at=int(time.time()))
                batch["request_counts"] = {"total": total, "completed": total, "failed": 0}
            return self.public(batch)

    @staticmethod
    def public(batch: dict) -> dict:
        return {k: v for k, v in batch.items() if not k.startswith("_")}

    def chat_bodies(self) -> list[dict]:
        with self._lock:
            return [s.body for s in self.requests if s.path.endswith("/chat/completions")]
