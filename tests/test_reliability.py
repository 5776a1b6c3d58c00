"""Model faults, retries, resume after a crash, concurrency: every fault injected for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from standins.openai_api import Fault, Latency
from tests.conftest import CALLS_PER_POST, OUTLINE_CALL, PLANTED_KEY, ROOT

KEYWORDS = ["AI マーケティング 最新トレンド"]


def write(genpost, out: Path, *extra: str):
    return genpost("--instinct", "learning", "--keywords", *KEYWORDS, "--out", str(out), *extra)


def record_of(run) -> dict:
    return json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))


LEAD_PIECE = "記事の冒頭に置く導入文"  # only the lead's prompt says this


def outline_bodies(llm) -> list[dict]:
    """The outline call's requests (the metadata call runs beside it, so order across calls is not fixed)."""
    return [b for b in llm.chat_bodies() if any(OUTLINE_CALL in (m["content"] or "") for m in b["messages"])]


PLAN_FAULTS = {
    "429 rate limit": Fault(status=429),
    "500": Fault(status=500),
    "503": Fault(status=503),
    "reset connection": Fault(reset=True),
    "hang past the timeout": Fault(hang_s=3),
    "empty answer": Fault(content=""),
    "refusal": Fault(refusal="I can't help with that."),
}


@pytest.mark.parametrize("fault", PLAN_FAULTS.values(), ids=PLAN_FAULTS.keys())
def test_transient_fault_is_retried(llm, genpost, tmp_path, fast_retries, fault):
    llm.inject(replace(fault, when=OUTLINE_CALL))
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    outline_call = next(c for c in record_of(run)["calls"] if c["part"] == "outline")
    assert outline_call["attempts"] == 2 and len(outline_bodies(llm)) == 2


@pytest.mark.parametrize("stream", [True, False])
def test_refusal_and_empty_answers_in_both_wire_formats(llm, genpost, tmp_path, fast_retries, stream):
    fast_retries().write_text(
        fast_retries().read_text(encoding="utf-8").replace("llm:\n", f"llm:\n  stream: {str(stream).lower()}\n"),
        encoding="utf-8",
    )
    llm.inject(Fault(refusal="no", when=LEAD_PIECE), Fault(content="", when="「## 成功事例と期待できる効果」の本文"))
    run = write(genpost, tmp_path)
    assert run.code == 0, run.stderr
    attempts = {c["part"]: c["attempts"] for c in record_of(run)["calls"]}
    assert attempts["lead"] == 2 and attempts["cases.1"] + attempts["cases.2"] == 3


def test_invalid_json_is_reasked(llm, genpost, tmp_path, fast_retries):
    llm.inject(Fault(content="これはJSONではありません", when=OUTLINE_CALL))
    run = write(genpost, tmp_path)
    assert run.code == 0
    assert [c["part"] for c in record_of(run)["calls"]].count("outline") == 2
    assert "JSON として読めません" in outline_bodies(llm)[1]["messages"][-1]["content"]


def test_cut_off_text_is_retried_with_more_room(llm, genpost, tmp_path, fast_retries):
    llm.inject(Fault(cut_at=40, when=LEAD_PIECE))
    run = write(genpost, tmp_path)
    assert run.code == 0
    lead_bodies = [b for b in llm.chat_bodies() if LEAD_PIECE in b["messages"][-1]["content"]]
    assert len(lead_bodies) == 2 and lead_bodies[1]["max_tokens"] > lead_bodies[0]["max_tokens"]
    assert record_of(run)["sections"]["lead"].endswith("。")


def test_cut_off_twice_is_trimmed_to_a_sentence(llm, genpost, tmp_path, fast_retries):
    llm.inject(Fault(cut_at=70, when=LEAD_PIECE), Fault(cut_at=70, when=LEAD_PIECE))
    run = write(genpost, tmp_path)
    assert run.code == 0
    lead = record_of(run)["sections"]["lead"]
    assert lead.endswith("。") and len(lead) < 70


def test_cut_off_json_is_reasked_with_more_room(llm, genpost, tmp_path, fast_retries):
    llm.inject(Fault(cut_at=50, when=OUTLINE_CALL))
    run = write(genpost, tmp_path)
    assert run.code == 0
    first, second = outline_bodies(llm)[:2]
    assert second["max_tokens"] > first["max_tokens"]


def test_retry_after_is_honoured(llm, genpost, tmp_path, fast_retries):
    llm.inject(Fault(status=429, retry_after="0.4", when=OUTLINE_CALL))
    assert write(genpost, tmp_path).code == 0
    first, second = [r for r in llm.requests if OUTLINE_CALL in str(r.body)][:2]
    assert second.received - first.received >= 0.4


def test_a_provider_that_stays_down_ends_the_run(llm, genpost, tmp_path, fast_retries):
    llm.down = Fault(status=503)
    run = write(genpost, tmp_path / "out")
    assert run.code == 1
    error = run.stderr.splitlines()[-1]
    assert error.startswith("genpost: error:") and "503" in error and "4 attempt" in error
    assert "Traceback" not in run.stderr
    assert len(outline_bodies(llm)) == 4, "the attempt budget holds"
    assert len(llm.chat_bodies()) == 8, "the metadata call beside it keeps its own"
    assert not list((tmp_path / "out").glob("*.md"))


def test_the_time_budget_stops_retrying(llm, genpost, tmp_path, fast_retries):
    fast_retries(attempts=20, budget=0.5)
    llm.down = Fault(status=429, retry_after="0.2")
    run = write(genpost, tmp_path / "out")
    assert run.code == 1 and "429" in run.stderr
    assert 2 <= len(outline_bodies(llm)) <= 4, "no retry starts once the budget is spent"


def test_a_hanging_provider_times_out(llm, genpost, tmp_path, fast_retries):
    fast_retries(attempts=2, timeout=0.3)
    llm.down = Fault(hang_s=2)
    run = write(genpost, tmp_path / "out")
    assert run.code == 1 and "Timeout" in run.stderr and len(outline_bodies(llm)) == 2


def test_a_rejected_call_is_not_retried(llm, genpost, tmp_path, fast_retries):
    llm.inject(Fault(status=400, message=f"bad request with key {PLANTED_KEY}", when=OUTLINE_CALL))
    run = write(genpost, tmp_path / "out")
    assert run.code == 1 and "400" in run.stderr and len(outline_bodies(llm)) == 1
    assert PLANTED_KEY not in run.stderr


# --- resume -------------------------------------------------------------------------------


def _process(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_run_resumes_without_spending_tokens_twice(llm, tmp_path):
    out = tmp_path / "out"
    args = ["--instinct", "learning", "--keywords", *KEYWORDS, "--out", str(out)]
    env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": PLANTED_KEY}
    llm.hang_after = 8  # the outline, the metadata and six pieces are answered; every later call hangs
    proc = _process(args, env)
    checkpoints = out / ".genpost" / "checkpoints"
    deadline = time.monotonic() + 60
    # brief, briefs, metadata, images (found while drafting) and six pieces
    while time.monotonic() < deadline and len(list(checkpoints.glob("*/*.json"))) < 4 + 6:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = {p.stem for p in checkpoints.glob("*/*.json")}
    assert {"brief", "briefs", "metadata", "images"} <= saved and len(saved) == 10
    assert not list(out.glob("*.md")), "a killed run leaves no draft"

    llm.reset()
    rerun = _process(args, env)
    stdout, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr
    requests = llm.chat_bodies()
    assert len(requests) == CALLS_PER_POST - 8, "only the unfinished parts (and the polish) are asked again"
    schemas = {b["response_format"]["json_schema"]["name"] for b in requests if "response_format" in b}
    assert not schemas & {"briefs", "metadata"}, "neither planning call is made again"
    record = json.loads(Path(stdout.strip().splitlines()[-1]).with_suffix(".json").read_text(encoding="utf-8"))
    assert len(record["resumed"]) == 9 and {"briefs", "metadata", "images"} <= set(record["resumed"])
    assert not list(checkpoints.glob("*/*.json")), "a finished run clears its checkpoint"


def test_fresh_ignores_the_checkpoint(llm, genpost, tmp_path, fast_retries):
    out = tmp_path / "out"
    # An earlier run planned, then died on its first section (a rejected call is not retried).
    llm.inject(Fault(status=400, when="主キーワード「"))
    assert write(genpost, out).code == 1
    assert (next((out / ".genpost" / "checkpoints").iterdir()) / "briefs.json").exists()
    llm.reset()
    assert write(genpost, out, "--fresh").code == 0
    assert len(llm.chat_bodies()) == CALLS_PER_POST, "--fresh plans and drafts everything again"


# --- concurrency ----------------------------------------------------------------------------


def test_two_processes_writing_the_same_slug_keep_both_drafts(llm, tmp_path):
    llm.latency = Latency(ttft_s=0.02, tokens_per_s=20000)
    # Both plan their titles before either has written: a process that starts a post later would
    # (rightly) see the first draft in topic memory and choose another title, so another file name.
    llm.hold("metadata", 2)
    env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": PLANTED_KEY}
    out = tmp_path / "out"
    procs = [
        _process(
            [
                "--instinct",
                "learning",
                "--keywords",
                *KEYWORDS,
                "--out",
                str(out),
                "--fresh",
                "--date",
                "2025-12-15T01:00:00Z",
            ],
            env,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1] for r in results]
    paths = {Path(r[0].strip().splitlines()[-1]) for r in results}
    assert len(paths) == 2 and all(p.exists() and p.with_suffix(".json").exists() for p in paths)
    assert {p.name.endswith("-2.md") for p in paths} == {True, False}, sorted(p.name for p in paths)
    for path in paths:
        assert json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["draft"] == path.name
