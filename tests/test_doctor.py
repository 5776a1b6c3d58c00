"""`genpost doctor` as a real process: the embedded model in a child that crashes, hangs or works, and servers
that answer a 200 that is not JSON or trickle SSE comments forever."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from standins.http import JSONHandler, LoopbackServer
from tests.conftest import ROOT, CliRun

FAKE_LLAMA = Path(__file__).resolve().parent / "fake_llama"


def doctor(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> CliRun:
    """`python -m pipeline doctor …` as a process; a run past `timeout` seconds fails the test."""
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "doctor", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


def fake_llama(tmp_path: Path, how: str) -> dict[str, str]:
    """The environment for a doctor whose llama_cpp is the stand-in that ends `how`, with a dummy GGUF."""
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    path = os.pathsep.join(p for p in (str(FAKE_LLAMA), os.environ.get("PYTHONPATH")) if p)
    return {
        "PYTHONPATH": path,
        "GENPOST_FAKE_LLAMA": how,
        "GENPOST_FAKE_LLAMA_PID": str(tmp_path / "child.pid"),
        "GENPOST_LOCAL_MODEL": str(model),
    }


def assert_no_raw_crash(run: CliRun) -> None:
    said = run.stdout + run.stderr
    assert "Segmentation fault" not in said and "Traceback" not in said and "Fatal Python error" not in said


# --- the embedded model ---------------------------------------------------------------------------


def test_a_child_that_crashes_is_one_line_naming_the_signal_and_the_version(tmp_path):
    run = doctor("--provider", "local", env=fake_llama(tmp_path, "crash"))
    assert run.code == 1, run.stderr
    assert_no_raw_crash(run)
    said = (run.stdout + run.stderr).splitlines()
    crashes = [line for line in said if "signal 11" in line]
    assert crashes == [
        "the embedded model crashed (signal 11, SIGSEGV) while loading the model in llama-cpp-python 9.9.9+fake; "
        "rebuild it portably: rm -rf .venv && make install (or make install LLAMA_CPU=baseline on a CPU without AVX2)"
    ]
    assert said[-1] == crashes[0] and not run.stderr
    assert "llama-cpp-python: 9.9.9+fake" in said
    assert "build: SSE3, SSSE3, AVX, AVX2, F16C, FMA, LLAMAFILE" in said  # AVX512 = 0 is off
    assert any(line.startswith("model: ") and line.endswith("model.gguf (0 MiB)") for line in said)


def test_a_child_that_crashes_on_import_names_the_installed_version(tmp_path):
    try:
        version = metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        pytest.skip("llama-cpp-python is not installed")
    run = doctor("--provider", "local", env=fake_llama(tmp_path, "crash-import"))
    assert run.code == 1
    assert_no_raw_crash(run)
    last = run.stdout.splitlines()[-1]
    assert last.startswith(
        f"the embedded model crashed (signal 11, SIGSEGV) while importing llama_cpp in llama-cpp-python {version};"
    )
    assert sum("signal 11" in line for line in run.stdout.splitlines()) == 1


def test_a_child_that_hangs_is_killed_at_the_timeout(tmp_path):
    env = fake_llama(tmp_path, "hang")
    run = doctor("--provider", "local", "--timeout", "3", env=env)
    assert run.code == 1, run.stderr
    assert run.stdout.splitlines()[-1] == (
        "the embedded model's check did not finish within 3 s (while loading the model) and was stopped; "
        "a slow machine needs a larger --timeout"
    )
    pid = int((tmp_path / "child.pid").read_text(encoding="utf-8"))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_model_file_that_is_not_there_is_a_line_and_exit_1(tmp_path):
    run = doctor("--provider", "local", "--model", str(tmp_path / "missing.gguf"))
    assert run.code == 1 and not run.stderr
    assert run.stdout.splitlines()[-1] == (
        f"genpost cannot use the embedded model: local model {tmp_path / 'missing.gguf'} does not exist"
    )


def test_without_a_server_auto_checks_the_embedded_model_and_openai_still_needs_one(tmp_path):
    run = doctor(env=fake_llama(tmp_path, "crash"))
    assert run.code == 1 and "signal 11" in run.stdout
    run = doctor("--provider", "openai")
    assert run.code == 2 and run.stderr.startswith("genpost: error: no server is configured") and not run.stdout


@pytest.mark.slow
def test_the_real_embedded_model_loads_and_answers():
    run = doctor("--provider", "local", timeout=300)
    assert run.code == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    print("\n" + run.stdout)
    assert lines[0].startswith("cpu: ")
    assert f"llama-cpp-python: {metadata.version('llama-cpp-python')}" in lines
    build = next(line for line in lines if line.startswith("build: "))
    assert re.fullmatch(r"build: [A-Z0-9_]+(, [A-Z0-9_]+)*", build), build
    rate = r"\d+ tokens in \d+\.\d s \(\d+\.\d tok/s, prompt \d+ tokens\)"
    assert any(re.fullmatch(f"plain: {rate}", line) for line in lines), lines
    assert any(re.fullmatch(rf'json: {rate}: \{{"ok": (true|false)\}}', line) for line in lines), lines
    assert lines[-1].startswith("genpost will use: the embedded model ")


# --- servers --------------------------------------------------------------------------------------

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"ok": true}'}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
}


class OddHandler(JSONHandler):
    """Answers /v1/chat/completions as its server's `mode` says: `html` or `bad-json` (a 200 that is not JSON),
    `keepalive` (headers, then `: keepalive` every 0.5 s forever, streamed or not), `keepalive-streams` (a
    plain answer, but streams that trickle)."""

    def do_POST(self) -> None:
        body = self.read_json() or {}
        server: OddServer = self.server.standin  # type: ignore[attr-defined]
        if server.mode == "html":
            self.send_text(b"<html><body>502 Bad Gateway</body></html>", "text/html")
        elif server.mode == "bad-json":
            self.send_text(b"upstream error: <nil>", "application/json")
        elif server.mode == "keepalive" or (server.mode == "keepalive-streams" and body.get("stream")):
            self.start_chunked("text/event-stream" if body.get("stream") else "application/json")
            try:
                while not server.done.wait(0.5):
                    self.write_chunk(b": keepalive\n\n")
            except OSError:  # the client hung up
                return
        else:
            self.send_json(200, COMPLETION)

    def send_text(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class OddServer(LoopbackServer):
    def __init__(self, mode: str) -> None:
        super().__init__(OddHandler)
        self.mode = mode
        self.done = threading.Event()  # ends the trickles

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"


@pytest.fixture
def odd_server() -> Iterator[OddServer]:
    with OddServer("html") as server:
        yield server
        server.done.set()


def at(server: OddServer) -> dict[str, str]:
    return {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-unused"}


@pytest.mark.parametrize("mode", ["html", "bad-json"])
def test_a_200_that_is_not_json_is_a_line_per_check_and_exit_1(odd_server, mode):
    odd_server.mode = mode
    run = doctor("--timeout", "10", env=at(odd_server))
    assert run.code == 1 and not run.stderr, run.stderr
    note = "not checked (the server's answer is not JSON)"
    assert run.stdout.splitlines() == [
        f"server: {odd_server.base_url} (model gpt-4o-mini)",
        f"streaming: {note}",
        f"json_schema: {note}",
        f"json_object: {note}",
        f"usage: {note}",
        "genpost cannot use this server: a plain request failed (the server's answer is not JSON)",
    ]


def test_a_server_that_trickles_keepalives_forever_is_bounded_by_the_timeout(odd_server):
    odd_server.mode = "keepalive"
    run = doctor("--timeout", "2", env=at(odd_server))
    assert run.code == 1 and not run.stderr, run.stderr
    lines = run.stdout.splitlines()
    assert lines[1:5] == [
        "streaming: not checked",
        "json_schema: not checked",
        "json_object: not checked",
        "usage: not checked",
    ]
    assert lines[-1] == "genpost cannot use this server: a plain request failed (no complete answer within 2 s)"


def test_streams_that_trickle_keepalives_forever_are_bounded_by_the_timeout(odd_server):
    odd_server.mode = "keepalive-streams"
    run = doctor("--timeout", "2", env=at(odd_server))
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[1:] == [
        "streaming: not checked (no complete answer within 2 s)",
        "json_schema: supported",
        "json_object: supported",
        "usage: supported (without streaming)",
        "genpost will use: json_schema, no streaming",
    ]
