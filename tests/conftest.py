"""Fixtures: the loopback OpenAI stand-in, a throw-away Jekyll site, CLI runners."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.llm.server_support import assume_everything
from standins.openai_api import OpenAIStandIn
from standins.unsplash_api import UnsplashStandIn
from standins.web import SearXNGStandIn, WebStandIn

ROOT = Path(__file__).resolve().parent.parent
# A post in the reference format with the old generator's defects, written for the project.
OLD_POST = ROOT / "docs" / "examples" / "old-generator-post.md"
# The real post the old generator wrote; only this project's own machines have it beside the clone.
REFERENCE_POST = ROOT.parent / "shared" / "reference" / "sample-post.md"
# A post's model calls through the stand-in: the briefs and the metadata, 16 drafting pieces, the polish.
CALLS_PER_POST = 19  # the outline, the metadata, 16 pieces and the polish
# Text only one call's prompt holds, for faults aimed at it (Fault(when=...)).
OUTLINE_CALL = "構成を考え"
METADATA_CALL = "タイトルなどの情報"
POLISH_CALL = "一人の書き手"
# A key that must never show up in any output; tests grep for it.
PLANTED_KEY = "sk-genpost-test-PLANTED-7f3a9c"


@pytest.fixture(scope="session")
def openai_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as server:
        yield server


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's keys, servers or settings."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "UNSPLASH_ACCESS_KEY",
        "UNSPLASH_API_URL",
        "GENPOST_CONFIG",
        "GENPOST_HOME",
        "GENPOST_PROVIDER",
        "GENPOST_LOCAL_MODEL",
        "GENPOST_LLM_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def unsplash_server() -> Iterator[UnsplashStandIn]:
    with UnsplashStandIn() as server:
        yield server


@pytest.fixture(scope="session")
def web() -> Iterator[WebStandIn]:
    """Pages (HTML, a PDF, dead, slow, huge) on 127.0.0.1 to use as sources."""
    with WebStandIn() as server:
        yield server


@pytest.fixture
def searxng(web: WebStandIn) -> Iterator[SearXNGStandIn]:
    """A SearXNG JSON API that finds the web stand-in's survey and PDF."""
    results = [
        (web.url("survey.html"), "生成AI活用実態調査2026", "国内企業の生成AI活用"),
        (web.url("report.pdf"), "Marketing Automation Benchmark 2026", "email automation"),
    ]
    with SearXNGStandIn(results) as server:
        yield server


@pytest.fixture
def unsplash(unsplash_server: UnsplashStandIn, monkeypatch: pytest.MonkeyPatch) -> UnsplashStandIn:
    """The Unsplash stand-in, reset, with genpost's environment pointing at it."""
    unsplash_server.reset()
    monkeypatch.setenv("UNSPLASH_ACCESS_KEY", unsplash_server.key)
    monkeypatch.setenv("UNSPLASH_API_URL", unsplash_server.root)
    return unsplash_server


@pytest.fixture
def llm(openai_server: OpenAIStandIn, monkeypatch: pytest.MonkeyPatch) -> OpenAIStandIn:
    """The stand-in, reset, with the SDK's environment pointing at it."""
    openai_server.reset()
    assume_everything(openai_server.base_url)  # it takes every feature: no test's fault makes genpost learn otherwise
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED_KEY)
    return openai_server


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        return self.stdout.strip().splitlines()[-1]


@pytest.fixture
def genpost(capsys: pytest.CaptureFixture[str]):
    """Run the command line in-process; returns exit code and output."""

    def run(*args: str) -> CliRun:
        code = main(list(args))
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


def run_process(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> CliRun:
    """Run `python -m pipeline` as a real process."""
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


SITE_POSTS = {
    "2025-12-14-2025年版-ai時代を生き抜く-マーケティング戦略立案-5つの生存術.md": (
        "2025年版：AI時代を生き抜く！マーケティング戦略立案「5つの生存術」",
        ["マーケティング戦略 AI時代", "AI マーケティング 最新トレンド", "生成AI 活用法 マーケティング"],
        "戦略立案",
    ),
    "2025-12-13-ラーメン店の行列を作る7つの工夫.md": (
        "ラーメン店の行列を作る7つの工夫",
        ["飲食店 集客", "行列 心理"],
        "業界別ガイド",
    ),
    "2025-12-12-aiマーケティングツール比較-2025年版10選.md": (
        "AIマーケティングツール比較：2025年版10選",
        ["AI ツール 比較 2025", "AI マーケティング 最新トレンド"],
        "AIマーケティング",
    ),
    "2025-12-11-生成ai活用法-学習意欲を刺激する3つの方法.md": (
        "生成AI活用法：学習意欲を刺激する3つの方法",
        ["生成AI 活用法 マーケティング", "学習 本能"],
        "AIマーケティング",
    ),
    "2025-12-15-冬のキャンプ道具の選び方5選.md": (
        "冬のキャンプ道具の選び方5選",
        ["キャンプ 道具", "アウトドア"],
        "ライフスタイル",
    ),
}


def make_site(root: Path) -> Path:
    """A minimal Jekyll site with a layout and the posts above."""
    (root / "_posts").mkdir(parents=True)
    (root / "_layouts").mkdir()
    (root / "_config.yml").write_text(
        "title: genpost test site\ntimezone: Asia/Tokyo\nbaseurl: ''\nmarkdown: kramdown\n", encoding="utf-8"
    )
    (root / "_layouts" / "blog-post.html").write_text(
        '<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8"><title>{{ page.title }}</title></head>\n'
        '<body><article data-instinct="{{ page.instinct }}" data-reading="{{ page.reading_time }}">\n'
        "{{ content }}\n</article></body></html>\n",
        encoding="utf-8",
    )
    for name, (title, tags, category) in SITE_POSTS.items():
        tag_list = ", ".join(f'"{t}"' for t in tags)
        (root / "_posts" / name).write_text(
            f'---\nlayout: blog-post\ntitle: "{title}"\ncategories: [{category}]\n'
            f"tags: [{tag_list}]\n---\n\n本文です。\n",
            encoding="utf-8",
        )
    return root


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site")


def jekyll_path() -> str | None:
    """The jekyll command; on CI its absence is a failure, not a skip."""
    found = shutil.which("jekyll")
    if found is None and os.environ.get("CI"):
        pytest.fail("jekyll is not installed; .ci/run installs Debian's jekyll")
    return found


FAST_RETRIES = (
    "llm:\n  timeout: {timeout}\n  retry:\n    attempts: {attempts}\n    budget_s: {budget}\n"
    "    backoff_initial_s: 0.01\n    backoff_max_s: 0.05\n"
)


@pytest.fixture
def fast_retries(tmp_path, monkeypatch):
    """Retries that back off for milliseconds, not seconds."""

    def configure(attempts: int = 4, budget: float = 60, timeout: float = 1.0) -> Path:
        config = tmp_path / "genpost.yml"
        config.write_text(FAST_RETRIES.format(attempts=attempts, budget=budget, timeout=timeout), encoding="utf-8")
        monkeypatch.setenv("GENPOST_CONFIG", str(config))
        return config

    configure()
    return configure


KEYWORDS = ["AI マーケティング 最新トレンド", "生成AI 活用法 マーケティング"]
DATE = "2025-12-15T01:51:06.256Z"


def write_post(genpost, out: Path, *extra: str, instinct: str = "learning") -> CliRun:
    """`genpost --instinct … --keywords …` into `out`, on a fixed date."""
    return genpost("--instinct", instinct, "--keywords", *KEYWORDS, "--out", str(out), "--date", DATE, *extra)


def record_of(run: CliRun) -> dict:
    """The run record written beside the draft the run printed."""
    return json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` (a test identity, no user config) and return its output."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", "-c", "core.quotepath=false", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def git_site(site: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The test site as a git repository on `main`, pushed to a bare remote `origin`; (site, remote)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(remote))
    git(site, "init", "--quiet", "-b", "main")
    git(site, "config", "user.name", "Site Owner")
    git(site, "config", "user.email", "owner@example.com")
    (site / ".gitignore").write_text("_site/\n", encoding="utf-8")
    git(site, "add", ".")
    git(site, "commit", "--quiet", "-m", "the site")
    git(site, "remote", "add", "origin", str(remote))
    git(site, "push", "--quiet", "-u", "origin", "main")
    return site, remote
