"""The provider registry: the built-in providers, and third-party ones installed as real entry points."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline import provider_names
from pipeline.config import LLMSettings, load_settings
from pipeline.errors import UsageError
from pipeline.llm import registry
from pipeline.llm.choice import make_provider, provider_name
from pipeline.llm.provider import ChatRequest
from tests.conftest import ROOT
from tests.postparse import FRONT_MATTER_KEYS, parse_post

KEYWORD = "AI マーケティング 最新トレンド"

# A provider that answers from memory with the stand-in's writer: no server, no network.
MEMORY_PLUGIN = """
from pipeline.llm.provider import Capabilities, ChatResult
from standins.fake_writer import FakeWriter

STARTED = []
NOT_A_FACTORY = "a string"


class MemoryProvider:
    name = "memory"
    capabilities = Capabilities(streaming=False)

    def __init__(self, settings):
        self.writer = FakeWriter()
        STARTED.append(settings)

    async def chat(self, request):
        body = {"messages": request.messages}
        if request.schema is not None:
            spec = {"name": request.schema_name, "schema": request.schema}
            body["response_format"] = {"type": "json_schema", "json_schema": spec}
        text = self.writer.answer(body)
        return ChatResult(text=text, finish_reason="stop", prompt_tokens=100, completion_tokens=len(text))

    async def close(self):
        pass


def make(settings):
    return MemoryProvider(settings)


def failing(settings):
    raise RuntimeError("no credentials\\nfor this provider")


def hollow(settings):
    return object()
"""


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Install a throw-away distribution: a `*.dist-info` with `entry_points.txt` on sys.path, as pip would leave
    it, and its modules beside it. importlib.metadata finds it like any installed plugin."""
    modules: list[str] = []

    def add(entry_points: dict[str, str], files: dict[str, str]) -> None:
        where = tmp_path / "site-packages"
        info = where / "genpost_test_plugins-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: genpost-test-plugins\nVersion: 1.0\n")
        lines = [f"{name} = {target}" for name, target in entry_points.items()]
        (info / "entry_points.txt").write_text(f"[{provider_names.GROUP}]\n" + "\n".join(lines) + "\n")
        for module, source in files.items():
            (where / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            modules.append(module)
        monkeypatch.syspath_prepend(str(where))

    yield add
    for module in modules:
        sys.modules.pop(module, None)


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "provider plugin" in line]


def test_the_builtin_providers_resolve(monkeypatch):
    assert provider_names.builtin_names() == ["openai", "local"] == provider_names.names(plugins=False)
    assert all(provider_names.is_known(name) for name in ("openai", "local"))
    assert list(registry.BUILTIN_FACTORIES) == provider_names.builtin_names(), "each built-in name has a factory"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    provider = make_provider(LLMSettings(), "openai")
    try:
        assert provider.name == "openai" and provider.capabilities.streaming
    finally:
        asyncio.run(provider.close())
    assert provider_name(LLMSettings(provider="local")) == "local"


def test_resolving_the_embedded_provider_imports_no_llama_cpp():
    """Listing names and resolving a factory import no provider: only building one does."""
    code = (
        "import sys; import pipeline.cli; from pipeline import provider_names; from pipeline.llm import registry; "
        "provider_names.names(); registry.factory('local'); registry.factory('openai'); "
        "print(sorted(m for m in ('llama_cpp', 'pipeline.llm.local_provider') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "[]", run.stdout + run.stderr


def test_a_third_party_provider_writes_a_whole_post(install, genpost, tmp_path):
    install({"memory": "genpost_memory_plugin:make"}, {"genpost_memory_plugin": MEMORY_PLUGIN})
    run = genpost("--provider", "memory", "--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path / "o"))
    assert run.code == 0, run.stderr
    assert not warnings_in(run.stderr)
    draft = Path(run.last_line)
    post = parse_post(draft)
    assert list(post.front) == FRONT_MATTER_KEYS and post.front["instinct"] == "learning"
    assert post.h2[0] == "学習本能の心理学的背景" and KEYWORD in post.front["seo_keywords"]
    record = json.loads(draft.with_suffix(".json").read_text(encoding="utf-8"))
    assert len(record["calls"]) > 10 and {c["provider"] for c in record["calls"]} == {"memory"}
    assert len(sys.modules["genpost_memory_plugin"].STARTED) == 1


def test_a_plugin_is_chosen_by_environment_and_config_too(install, tmp_path, monkeypatch):
    install({"memory": "genpost_memory_plugin:make"}, {"genpost_memory_plugin": MEMORY_PLUGIN})
    config = tmp_path / "genpost.yml"
    config.write_text("llm:\n  provider: memory\n", encoding="utf-8")
    settings = load_settings(config)
    assert settings.llm.provider == "memory" and provider_name(settings.llm) == "memory"
    assert provider_name(settings.llm, "openai") == "openai", "--provider wins"
    monkeypatch.setenv("GENPOST_PROVIDER", "memory")
    assert load_settings(tmp_path / "none.yml").llm.provider == "memory"
    assert type(make_provider(settings.llm)).__name__ == "MemoryProvider"


def test_the_help_lists_a_plugin_without_importing_it(install, genpost):
    install({"memory": "genpost_memory_plugin:make"}, {"genpost_memory_plugin": MEMORY_PLUGIN})
    run = genpost("--help")
    assert run.code == 0 and "--provider [openai|local|memory]" in run.stdout
    assert "genpost_memory_plugin" not in sys.modules and not run.stderr


@pytest.mark.parametrize(
    ("where", "args"),
    [
        ("command line", ("--provider", "cloud")),
        ("environment", ()),
        ("config", ()),
    ],
)
def test_an_unknown_provider_is_exit_2_listing_the_known_ones(install, genpost, tmp_path, monkeypatch, where, args):
    install({"memory": "genpost_memory_plugin:make"}, {"genpost_memory_plugin": MEMORY_PLUGIN})
    if where == "environment":
        monkeypatch.setenv("GENPOST_PROVIDER", "cloud")
    if where == "config":
        config = tmp_path / "genpost.yml"
        config.write_text("llm:\n  provider: cloud\n", encoding="utf-8")
        monkeypatch.setenv("GENPOST_CONFIG", str(config))
    run = genpost("--instinct", "learning", "--keywords", "x", "--out", str(tmp_path / "out"), *args)
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "unknown provider 'cloud'; choose one of: " in run.stderr
    assert run.stderr.rstrip().endswith("openai, local, memory"), run.stderr
    assert ("auto, " in run.stderr) == (where != "command line"), "auto is a setting, not a --provider"
    assert not (tmp_path / "out").exists()


BAD_PLUGINS = {
    "broken": "genpost_missing_module:make",
    "exploding": "genpost_exploding_plugin:make",
    "notafactory": "genpost_memory_plugin:NOT_A_FACTORY",
    "openai": "genpost_memory_plugin:make",
    "memory": "genpost_memory_plugin:make",
}
EXPLODING = 'raise RuntimeError("import-time failure\\nacross lines")\n'


def test_a_broken_plugin_costs_one_warning_line_each(install, genpost, tmp_path):
    install(BAD_PLUGINS, {"genpost_memory_plugin": MEMORY_PLUGIN, "genpost_exploding_plugin": EXPLODING})
    run = genpost("--provider", "memory", "--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path))
    assert run.code == 0, run.stderr
    warnings = warnings_in(run.stderr)
    assert len(warnings) == 4 and all(line.startswith("genpost: provider plugin '") for line in warnings), warnings
    said = dict(zip(["broken", "exploding", "notafactory", "openai"], warnings, strict=True))
    assert "ModuleNotFoundError" in said["broken"] and "genpost_missing_module" in said["broken"]
    assert "RuntimeError: import-time failure across lines" in said["exploding"]
    assert "not a factory" in said["notafactory"] and "belongs to genpost" in said["openai"]
    assert registry.factory("openai") is not sys.modules["genpost_memory_plugin"].make, "a built-in is never shadowed"


def test_choosing_a_plugin_that_failed_to_load_is_exit_2(install, genpost, tmp_path):
    install(BAD_PLUGINS, {"genpost_memory_plugin": MEMORY_PLUGIN, "genpost_exploding_plugin": EXPLODING})
    run = genpost("--provider", "broken", "--instinct", "learning", "--keywords", "x", "--out", str(tmp_path))
    assert run.code == 2, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 5 and len(warnings_in(run.stderr)) == 4
    assert lines[-1].endswith("unknown provider 'broken'; choose one of: openai, local, memory"), lines[-1]


def test_the_builtin_providers_never_load_plugins(install, genpost, tmp_path, llm):
    install(BAD_PLUGINS, {"genpost_memory_plugin": MEMORY_PLUGIN, "genpost_exploding_plugin": EXPLODING})
    run = genpost("--provider", "openai", "--instinct", "learning", "--keywords", KEYWORD, "--out", str(tmp_path))
    assert run.code == 0, run.stderr
    assert not warnings_in(run.stderr) and "genpost_memory_plugin" not in sys.modules


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("genpost_memory_plugin:failing", "provider 'bad' could not start: RuntimeError: no credentials for this"),
        ("genpost_memory_plugin:hollow", "provider 'bad' gave a object without a name, capabilities, chat(), close()"),
    ],
)
def test_a_plugin_factory_that_fails_is_one_line_and_exit_1(install, genpost, tmp_path, target, said):
    install({"bad": target}, {"genpost_memory_plugin": MEMORY_PLUGIN})
    run = genpost("--provider", "bad", "--instinct", "learning", "--keywords", "x", "--out", str(tmp_path))
    assert run.code == 1 and run.stderr.count("\n") == 1 and said in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_a_config_naming_a_missing_plugin_names_file_and_line(tmp_path):
    config = tmp_path / "genpost.yml"
    config.write_text("site:\n  name: X\nllm:\n  provider: memory\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"genpost\.yml:4: llm\.provider: .*unknown provider 'memory'"):
        load_settings(config)


def test_the_readme_example_plugin_works(install):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Providers", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert 'echo = "genpost_echo:make"' in example and sum(bool(line.strip()) for line in example.splitlines()) <= 12
    install({"echo": "genpost_echo:make"}, {"genpost_echo": example})
    provider = make_provider(LLMSettings(), "echo")
    request = ChatRequest(
        model="m", messages=[{"role": "user", "content": "こんにちは"}], max_tokens=9, temperature=0, timeout=5
    )
    assert asyncio.run(provider.chat(request)).text == "こんにちは"
    assert provider.name == "echo" and not provider.capabilities.streaming
