"""A stand-in for llama-cpp-python that ends the way a mis-built llama.cpp does, for `genpost doctor`'s tests.

Put tests/fake_llama first on PYTHONPATH. GENPOST_FAKE_LLAMA says how: `crash` (loading the model kills the
process with SIGSEGV), `crash-import` (importing it does), `hang` (loading sleeps for an hour). With
GENPOST_FAKE_LLAMA_PID set, the process writes its pid into that file first.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

__version__ = "9.9.9+fake"
HOW = os.environ.get("GENPOST_FAKE_LLAMA", "crash")

if os.environ.get("GENPOST_FAKE_LLAMA_PID"):
    with open(os.environ["GENPOST_FAKE_LLAMA_PID"], "w", encoding="utf-8") as pid_file:
        pid_file.write(str(os.getpid()))

if HOW == "crash-import":
    os.kill(os.getpid(), signal.SIGSEGV)


def llama_print_system_info() -> bytes:
    return b"CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 0 | LLAMAFILE = 1 |"


class Llama:
    """Never loads anything."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if HOW == "hang":
            time.sleep(3600)
        os.kill(os.getpid(), signal.SIGSEGV)
