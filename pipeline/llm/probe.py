"""The embedded model's check, for `genpost doctor --provider local`.

The child, `python -m pipeline.llm.probe --model-path GGUF`, loads the model with the local provider and asks
it two tiny questions the way genpost does: plain prose (the chat template, decoded as a document) and JSON
(a grammar built from the schema). Its report is JSON on stdout, one object a line as it gets there
(`{"llama_cpp": …}`, `{"loaded_s": …}`, `{"first_call_s": …}`, `{"answer": "plain", …}`, `{"answer": "json", …}`,
or `{"error": …}`), so that the parent knows how far it got when a llama.cpp build dies under it (SIGILL, SIGSEGV).

The parent, `check_local`, reads this x86-64 CPU's flags, resolves the model as the local provider does, runs
the child with its stderr captured and the whole check bounded by a timeout, and turns what it said, or how it
ended, into the doctor's lines.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import platform
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from pipeline.config import LocalSettings, load_settings
from pipeline.errors import GenpostError, UsageError
from pipeline.llm import embedded
from pipeline.llm.provider import ChatRequest
from pipeline.llm.server_check import CHECK_PROMPT, CHECK_SCHEMA

FIRST_PROMPT = "こんにちは。"
PLAIN_PROMPT = "マーケティングとは何か、一文で説明してください。"
PLAIN_TOKENS, JSON_TOKENS = 16, 24

# What `make install`'s portable build of llama.cpp needs (-DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON).
PORTABLE_NEEDS = ("avx2", "fma", "f16c")
REBUILD = "rebuild it portably: rm -rf .venv && make install (or make install LLAMA_CPU=baseline on a CPU without AVX2)"
# The CPU features llama_print_system_info() names, and the /proc/cpuinfo flag each one runs on.
CPU_FLAGS = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "AVX_VNNI": "avx_vnni",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
}
log = logging.getLogger("genpost.llm")
# What Python's faulthandler writes around a crash (with -v): not a cause worth quoting.
_NOISE = ("Fatal Python error", "Current thread", "Thread 0x", "Stack (most recent", "File ", "Extension modules")


# --- the child ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Load the model and time a plain and a JSON answer, reporting on stdout; 0 when both came back."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.llm.probe", description=__doc__)
    parser.add_argument("--model-path", required=True, help="the GGUF to load (resolved and verified already)")
    args = parser.parse_args(argv)
    # The report keeps the real stdout; anything llama.cpp or a library prints goes to stderr.
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    say = _reporter(report)
    try:
        import llama_cpp
    except ImportError as exc:
        say(error=f"llama-cpp-python cannot be imported ({exc})")
        return 1
    info = llama_cpp.llama_print_system_info()
    say(llama_cpp=getattr(llama_cpp, "__version__", "unknown"), system_info=_text(info))
    try:
        asyncio.run(_probe(Path(args.model_path), say))
    except GenpostError as exc:
        say(error=str(exc))
        return 1
    except Exception as exc:  # llama-cpp-python's own errors (a file it cannot load, a grammar it cannot build)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        say(error=f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
        return 1
    return 0


def _reporter(stream: IO[str]) -> Callable[..., None]:
    def say(**fields: Any) -> None:
        stream.write(json.dumps(fields, ensure_ascii=False) + "\n")
        stream.flush()

    return say


def _text(value: bytes | str | None) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value or "")


async def _probe(path: Path, say: Callable[..., None]) -> None:
    from pipeline.llm.local_provider import LocalProvider

    local = load_settings().llm.local.model_copy(update={"model_path": str(path), "sha256": None})
    began = time.perf_counter()
    provider = LocalProvider(local)
    say(loaded_s=round(time.perf_counter() - began, 3), threads=local.threads or os.cpu_count() or 1)
    try:
        # The first call builds the decoding masks over the vocabulary (once a run): timed apart from the answers.
        began = time.perf_counter()
        await provider.chat(_ask(FIRST_PROMPT, 1, None))  # a prompt of its own: the plain one is read when timed
        say(first_call_s=round(time.perf_counter() - began, 3))
        asks = {
            "plain": _ask(PLAIN_PROMPT, PLAIN_TOKENS, None),
            "json": _ask(CHECK_PROMPT, JSON_TOKENS, CHECK_SCHEMA),
        }
        for name, request in asks.items():
            began = time.perf_counter()
            result = await provider.chat(request)
            say(
                answer=name,
                text=result.text,
                tokens=result.completion_tokens,
                prompt_tokens=result.prompt_tokens,
                seconds=round(time.perf_counter() - began, 3),
            )
    finally:
        await provider.close()


def _ask(prompt: str, tokens: int, schema: dict | None) -> ChatRequest:
    messages = [{"role": "user", "content": prompt}]
    return ChatRequest("local", messages, tokens, 0.0, 600.0, stream=False, schema=schema, schema_name="check")


# --- the parent -----------------------------------------------------------------------------------


@dataclass
class Probe:
    """What the child reported so far."""

    version: str | None = None
    features: list[str] = field(default_factory=list)
    loaded_s: float | None = None
    threads: int | None = None
    first_call_s: float | None = None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None

    @property
    def stage(self) -> str:
        """Where the child was when it stopped."""
        if self.version is None:
            return "while importing llama_cpp"
        if self.loaded_s is None:
            return "while loading the model"
        if self.first_call_s is None:
            return "on its first call"
        if "plain" not in self.answers:
            return "on its plain answer"
        if "json" not in self.answers:
            return "on its JSON answer"
        return "after its answers"


def check_local(local: LocalSettings, timeout: float, echo: Callable[[str], None], verbose: bool = False) -> bool:
    """Check the embedded model in a child process, echoing a line per item; True when it loads and answers."""
    flags = cpu_flags()
    echo(cpu_line(flags, platform.machine()))
    try:
        path = embedded.resolve(local.model_path, local.sha256, local.model)
    except UsageError as exc:
        echo(f"genpost cannot use the embedded model: {exc}")
        return False
    echo(f"model: {path} ({path.stat().st_size / 2**20:.0f} MiB)")
    if importlib.util.find_spec("llama_cpp") is None:
        echo("genpost cannot use the embedded model: llama-cpp-python is not installed; run `make install`")
        return False

    probe = Probe()

    def heard(line: bytes) -> None:
        try:
            fields = json.loads(line)
        except ValueError:
            return
        if isinstance(fields, dict):
            for said in _take(probe, fields, flags):
                echo(said)

    # With -v, Python's faulthandler shows where a crash happened; otherwise its dump is left out.
    faulthandler = ["-X", "faulthandler"] if verbose else []
    command = [sys.executable, *faulthandler, "-m", "pipeline.llm.probe", "--model-path", str(path)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    code, stderr = asyncio.run(_run(command, env, timeout, heard))
    if verbose and stderr.strip():
        log.info("the embedded model's check wrote on stderr:\n%s", stderr.rstrip())
    version = probe.version or _installed_version()
    said = last_words(stderr)
    if code is None:
        echo(
            f"the embedded model's check did not finish within {timeout:g} s ({probe.stage}) and was stopped; "
            "a slow machine needs a larger --timeout"
        )
        return False
    if code < 0:
        echo(crash_line(-code, version, probe.stage, said))
        return False
    if code != 0 or probe.error or "json" not in probe.answers:
        cause = probe.error or (f"its check exited with {code} {probe.stage}" + (f": {said}" if said else ""))
        echo(f"genpost cannot use the embedded model: {cause}")
        return False
    echo(f"genpost will use: the embedded model {path.name}, prose decoded as a document and JSON under a grammar")
    return True


def _take(probe: Probe, fields: dict[str, Any], flags: set[str] | None) -> list[str]:
    """Record one line of the child's report; the doctor's lines it makes."""
    if "llama_cpp" in fields:
        probe.version = str(fields["llama_cpp"])
        probe.features = build_features(str(fields.get("system_info", "")))
        needs = {feature: CPU_FLAGS[feature] for feature in probe.features if feature in CPU_FLAGS}
        lacking = [feature for feature, flag in needs.items() if flags is not None and flag not in flags]
        build = ", ".join(probe.features) or "none reported"
        if lacking:
            build += f" (this CPU lacks {', '.join(lacking)}: expect a crash; {REBUILD})"
        return [f"llama-cpp-python: {probe.version}", f"build: {build}"]
    if "loaded_s" in fields:
        probe.loaded_s, probe.threads = float(fields["loaded_s"]), fields.get("threads")
        return [f"loaded: in {probe.loaded_s:.1f} s ({probe.threads} threads)"]
    if "first_call_s" in fields:
        probe.first_call_s = float(fields["first_call_s"])
        return [f"first call: {probe.first_call_s:.1f} s (one token; builds the decoding masks, once a run)"]
    if "answer" in fields:
        name = str(fields["answer"])
        probe.answers[name] = fields
        return [f"{name}: {answer_line(fields)}"]
    if "error" in fields:
        probe.error = str(fields["error"])
    return []


async def _run(
    command: list[str], env: dict[str, str], timeout: float, heard: Callable[[bytes], None]
) -> tuple[int | None, str]:
    """Run the child, handing each stdout line to `heard`; its exit code (None: killed at `timeout`) and stderr."""
    child = await asyncio.create_subprocess_exec(
        *command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        limit=1 << 20,
    )
    assert child.stdout is not None and child.stderr is not None
    errors = asyncio.ensure_future(child.stderr.read())
    code: int | None = None
    try:
        async with asyncio.timeout(timeout):
            async for line in child.stdout:
                heard(line)
            code = await child.wait()
    except TimeoutError:
        pass
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    return code, _text(await errors)


def answer_line(fields: dict[str, Any]) -> str:
    """`16 tokens in 1.1 s (14.5 tok/s, prompt 31 tokens)`, and for JSON the answer or what is wrong with it."""
    tokens, seconds = int(fields.get("tokens") or 0), float(fields.get("seconds") or 0.0)
    rate = f"{tokens / seconds:.1f} tok/s" if seconds > 0 else "instant"
    line = f"{tokens} tokens in {seconds:.1f} s ({rate}, prompt {int(fields.get('prompt_tokens') or 0)} tokens)"
    if fields.get("answer") != "json":
        return line
    text = str(fields.get("text") or "").strip()
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict) and isinstance(value.get("ok"), bool):
        return f"{line}: {json.dumps(value)}"
    return f"{line}: not JSON of the schema (genpost validates and re-asks)"


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str] | None:
    """The CPU's flags from /proc/cpuinfo (the first processor's); None where there is no such file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return set(value.split())
    except OSError:
        return None
    return None


def cpu_line(flags: set[str] | None, machine: str) -> str:
    """Whether this CPU has what `make install`'s portable build of llama.cpp uses (a warning, not a refusal)."""
    if machine.lower() not in ("x86_64", "amd64"):
        return f"cpu: {machine} (not x86-64: no flags to check)"
    if flags is None:
        return "cpu: x86-64, flags unknown (no /proc/cpuinfo)"
    missing = [flag for flag in PORTABLE_NEEDS if flag not in flags]
    if missing:
        return (
            f"cpu: x86-64 without {', '.join(missing)}, which make install's portable build uses: "
            "if the model crashes, make install LLAMA_CPU=baseline"
        )
    return f"cpu: x86-64 with {', '.join(PORTABLE_NEEDS)} (what make install's portable build uses)"


def build_features(system_info: str) -> list[str]:
    """The features llama_print_system_info() says are on (`AVX2 = 1`), each once, in its order."""
    found = re.findall(r"([A-Za-z0-9_]+)\s*=\s*1\b", system_info)
    return list(dict.fromkeys(found))


def crash_line(signum: int, version: str, stage: str, said: str = "") -> str:
    """One line for a child killed by a signal: which, where, in which llama-cpp-python, and what to do."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = "unknown"
    last = f" (its last words: {said})" if said else ""
    if signum == signal.SIGKILL:
        return f"the embedded model was killed (signal {signum}, {name}) {stage}{last}: out of memory?"
    where = f"{stage} in llama-cpp-python {version}"
    return f"the embedded model crashed (signal {signum}, {name}) {where}{last}; {REBUILD}"


def last_words(stderr: str, limit: int = 200) -> str:
    """The last meaningful line the child wrote on stderr, flattened and cut to `limit` characters."""
    for line in reversed(stderr.splitlines()):
        flat = " ".join("".join(c if c.isprintable() else " " for c in line).split())
        if flat and not flat.startswith(_NOISE) and not flat.startswith("<"):
            return flat if len(flat) <= limit else flat[: limit - 1] + "…"
    return ""


def _installed_version() -> str:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


if __name__ == "__main__":
    raise SystemExit(main())
