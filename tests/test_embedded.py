"""The embedded model's plumbing: assembling, verifying, choosing, grammar schemas (no model run)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from pipeline.config import LLMSettings, LocalSettings, load_settings
from pipeline.errors import UsageError
from pipeline.llm import embedded
from pipeline.llm.choice import provider_name
from pipeline.llm.fields import JapaneseText, TitleWith
from pipeline.llm.grammar import JSON_CHAR, grammar_schema, pattern_for
from pipeline.llm.schema import strict_schema
from pipeline.types import Metadata, StepText, SummaryText
from pipeline.writing.drafter import JAPANESE_FIELDS
from pipeline.writing.outline import Kind
from pipeline.writing.planner import briefs_fields, briefs_schema, metadata_fields
from tests import factories as f

DEFAULT = LocalSettings().model


def parts(tmp_path, chunks: list[bytes]):
    paths = []
    for i, chunk in enumerate(chunks, 1):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(chunk)
        paths.append(path)
    return paths


def test_assemble_concatenates_in_order_and_verifies(tmp_path):
    chunks = [b"GGUF", b"-weights-", b"end"]
    whole = b"".join(chunks)
    target = tmp_path / "cache" / "model.gguf"
    sha = hashlib.sha256(whole).hexdigest()
    assert embedded.assemble(parts(tmp_path, chunks), target, len(whole), sha) == target
    assert target.read_bytes() == whole
    assert not list(target.parent.glob(".assemble-*")), "no temp file left behind"


def test_assemble_refuses_a_wrong_checksum(tmp_path):
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(UsageError, match="sha256"):
        embedded.assemble(parts(tmp_path, [b"a", b"b"]), target, 2, "0" * 64)
    assert not target.exists() and not list(target.parent.glob("*"))


def test_assemble_refuses_a_wrong_size(tmp_path):
    whole = b"ab"
    with pytest.raises(UsageError, match="bytes"):
        embedded.assemble(parts(tmp_path, [b"a", b"b"]), tmp_path / "m.gguf", 3, hashlib.sha256(whole).hexdigest())


def test_resolve_a_model_of_your_own(tmp_path):
    model = tmp_path / "big-japanese.gguf"
    with pytest.raises(UsageError, match="does not exist"):
        embedded.resolve(str(model), None, DEFAULT)
    model.write_bytes(b"weights")
    assert embedded.resolve(str(model), None, DEFAULT) == model
    assert embedded.resolve(str(model), hashlib.sha256(b"weights").hexdigest(), DEFAULT) == model
    with pytest.raises(UsageError, match="sha256"):
        embedded.resolve(str(model), "1" * 64, DEFAULT)


def test_a_damaged_cached_default_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GENPOST_CACHE", str(tmp_path))
    (tmp_path / embedded.MODELS[DEFAULT].name).write_bytes(b"truncated")
    with pytest.raises(UsageError, match="delete it"):
        embedded.resolve(None, None, DEFAULT)
    with pytest.raises(UsageError, match="not one of"):
        embedded.resolve(None, None, "gpt-5-local")


def test_default_model_parts_are_installed():
    model = embedded.MODELS[DEFAULT]
    files = embedded.part_files(model)
    assert [p.name for p in files] == [f"part{i:02d}.bin" for i in range(1, len(model.packages) + 1)]
    assert sum(p.stat().st_size for p in files) == model.size


@pytest.mark.parametrize(
    ("env", "requested", "expected"),
    [
        ({"OPENAI_API_KEY": "k"}, None, "openai"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, None, "openai"),
        ({}, None, "local"),
        ({"OPENAI_API_KEY": "k"}, "local", "local"),
        ({}, "openai", "openai"),
    ],
)
def test_provider_choice(monkeypatch, env, requested, expected):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert provider_name(LLMSettings(), requested) == expected


def test_provider_and_model_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GENPOST_PROVIDER", "local")
    monkeypatch.setenv("GENPOST_LOCAL_MODEL", "/models/x.gguf")
    settings = load_settings(tmp_path / "none.yml")
    assert settings.llm.provider == "local" and settings.llm.local.model_path == "/models/x.gguf"
    monkeypatch.setenv("GENPOST_PROVIDER", "cloud")
    with pytest.raises(UsageError, match="GENPOST_PROVIDER"):
        load_settings(tmp_path / "none.yml")


def test_grammar_schema_bounds_every_string():
    title = TitleWith("2025年版", ("x",), 20)
    meta = grammar_schema(strict_schema(Metadata), {"title": title})["properties"]
    assert meta["title"]["pattern"] == pattern_for(title) and meta["title"]["pattern"].startswith("^2025年版x")
    assert meta["description"]["pattern"] == f"^{JSON_CHAR}{{2,120}}$"
    schema = grammar_schema(briefs_schema(["AIマーケティング"]))
    props = schema["properties"]
    assert props["lead"]["pattern"].endswith("{2,30}$")
    assert props["trend_points"]["items"]["pattern"].endswith("{2,30}$")
    assert "pattern" not in props["category"] and props["category"]["enum"] == ["AIマーケティング"]
    assert props["steps"]["items"]["properties"]["title"]["pattern"].endswith("{2,20}$"), "$ref resolved"
    assert "$defs" not in json.dumps(schema)
    plain = re.compile(meta["description"]["pattern"])
    assert plain.match("普通の文です。") and not plain.match("改行\nあり") and not plain.match("x")


def test_metadata_fields_force_the_title_rules():
    brief, settings = f.brief(), f.settings()
    fields = metadata_fields(brief, settings)
    title = re.compile(pattern_for(fields["title"]))
    assert title.match("2025年版AIマーケティング最新トレンド5選：学ぶ")
    assert title.match("2025年版AI マーケティング 最新トレンド")
    assert not title.match("AIマーケティング最新トレンド")
    assert not title.match("2025年版AIマーケティング" + "あ" * 60)
    english = re.compile(pattern_for(fields["image_queries.hero"]))
    assert english.match("team meeting strategy") and not english.match("会議")
    japanese = pattern_for(JapaneseText())
    assert re.match(japanese, "データを集めます") and not re.match(japanese, "How to learn")


def test_a_keyword_naming_the_year_is_not_asked_twice_in_the_title():
    brief = f.brief(keywords=["AI ツール 比較 2025"])
    pattern = pattern_for(metadata_fields(brief, f.settings())["title"])
    assert re.match(pattern, "2025年版AIツール比較の決定版5選") and pattern.count("2025") == 1


def test_grammars_compile_in_llama_cpp():
    """llama-cpp-python falls back to free JSON when a schema fails to compile; ours must compile."""
    grammar = pytest.importorskip("llama_cpp.llama_grammar")
    brief, settings = f.brief(), f.settings()

    def japanese(kind: Kind) -> dict:
        return dict.fromkeys(JAPANESE_FIELDS[kind], JapaneseText())

    schemas = [
        grammar_schema(strict_schema(Metadata), metadata_fields(brief, settings)),
        grammar_schema(briefs_schema(settings.site.categories), briefs_fields()),
        grammar_schema(strict_schema(StepText), japanese(Kind.STEP)),
        grammar_schema(strict_schema(SummaryText), japanese(Kind.SUMMARY)),
    ]
    for schema in schemas:
        converter = grammar.SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
        converter.visit(schema, "")
        assert "root" in converter.format_grammar()


def test_the_body_range_follows_the_packaged_model(tmp_path, monkeypatch):
    from pipeline.config import load_settings
    from pipeline.llm.choice import fit_to_model

    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    shipped = load_settings()
    fit_to_model(shipped)
    assert shipped.lengths.body == (1800, 3000), "the 0.5B default writes about 2,200 characters"
    assert shipped.quality.max_rewrites == 0, "a redraft round costs the embedded model minutes"
    config = tmp_path / "genpost.yml"
    config.write_text("llm:\n  local:\n    model: qwen2.5-coder-1.5b\n", encoding="utf-8")
    larger = load_settings(config)
    fit_to_model(larger)
    assert larger.lengths.body == (4000, 6000) and larger.quality.max_rewrites == 2
    config.write_text("lengths:\n  body: [2000, 2600]\n", encoding="utf-8")
    chosen = load_settings(config)
    fit_to_model(chosen)
    assert chosen.lengths.body == (2000, 2600), "a range set in genpost.yml is kept"
    api = load_settings()
    fit_to_model(api, "openai")
    assert api.lengths.body == (2500, 3500) and api.quality.max_rewrites == 2
