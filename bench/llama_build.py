"""llama-cpp-python built portably (make install) against a native build: compile time and decoding speed.

    python bench/llama_build.py [--builds portable native] [--runs 3]

Each build is compiled from source into a folder of its own (`pip install --target`, no cache), with the
flags the Makefile gives it, and timed. Then, in a child process per run, the packaged 0.5B model is loaded
from that build and asked what genpost asks, through the local provider: 128 tokens of prose and a JSON
answer under a grammar. Prints compile seconds and tokens a second (median of the runs) for each build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import asyncio, json, time
from pipeline.config import load_settings
from pipeline.llm.local_provider import LocalProvider
from pipeline.llm.provider import ChatRequest
import llama_cpp

SCHEMA = {"type": "object", "properties": {"points": {"type": "array", "items": {"type": "string"},
          "minItems": 3, "maxItems": 3}}, "required": ["points"], "additionalProperties": False}

async def main():
    provider = LocalProvider(load_settings().llm.local)
    await provider.chat(ChatRequest("local", [{"role": "user", "content": "こんにちは。"}], 1, 0.5, 600))
    figures = {"system_info": llama_cpp.llama_print_system_info().decode()}
    asks = {
        "prose": ChatRequest("local", [{"role": "user", "content": "日本の四季について詳しく書いてください。"}],
                             128, 0.5, 600),
        "json": ChatRequest("local", [{"role": "user", "content": "マーケティングの要点を三つ、JSONで。"}],
                            128, 0.5, 600, schema=SCHEMA, schema_name="points"),
    }
    for name, request in asks.items():
        started = time.perf_counter()
        result = await provider.chat(request)
        figures[name] = result.completion_tokens / (time.perf_counter() - started)
    await provider.close()
    print(json.dumps(figures))

asyncio.run(main())
"""


def flags(build: str) -> str:
    """The CMAKE_ARGS the Makefile gives `LLAMA_CPU=build`."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(rf"^LLAMA_FLAGS_{build}\s*:=\s*(.*)$", makefile, re.M)
    if not found:
        raise SystemExit(f"the Makefile has no LLAMA_FLAGS_{build}")
    return found.group(1).strip()


def compile_into(target: Path, build: str, version: str) -> float:
    """Compile llama-cpp-python `version` with `build`'s flags into `target`; the seconds it took."""
    env = {**os.environ, "CMAKE_ARGS": flags(build), "PIP_CONSTRAINT": str(ROOT / "requirements" / "lock.txt")}
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-cache-dir", "--no-deps", "--target", str(target)]
    started = time.perf_counter()
    subprocess.run([*command, f"llama-cpp-python=={version}"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def speeds(target: Path) -> dict:
    """One child's figures with the build in `target` first on the path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])}
    run = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        tail = (run.stderr.strip().splitlines() or [""])[-1]
        return {"error": f"exit {run.returncode}: {tail}"}
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", nargs="+", default=["portable", "native"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    version = metadata.version("llama-cpp-python")
    print(f"llama-cpp-python {version}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        for build in args.builds:
            target = Path(tmp) / build
            seconds = compile_into(target, build, version)
            runs = [speeds(target) for _ in range(args.runs)]
            failed = [run["error"] for run in runs if "error" in run]
            if failed:
                print(f"{build:9} compile {seconds:6.1f} s   failed: {failed[0]}")
                continue
            prose = statistics.median(run["prose"] for run in runs)
            answer = statistics.median(run["json"] for run in runs)
            features = re.findall(r"(\w+) = 1", runs[0]["system_info"])
            print(
                f"{build:9} compile {seconds:6.1f} s   prose {prose:5.1f} tok/s   json {answer:5.1f} tok/s   "
                f"({', '.join(features)})"
            )


if __name__ == "__main__":
    main()
