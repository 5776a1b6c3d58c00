"""genpost.yml's comments come from config.py's descriptions; the values and free comments stay as they were."""

from __future__ import annotations

import pytest
import yaml

from pipeline.config import LLMSettings, SiteSettings
from pipeline.config_comments import COLUMN, describe, with_comments
from pipeline.settings_doc import CONFIG

CATEGORIES = "  categories: [AIマーケティング, 消費者心理, 成功事例, 実践テクニック, トレンド分析, 業界別ガイド]"


def comment_of(text: str, key: str) -> str:
    line = next(line for line in text.splitlines() if line.lstrip().startswith(f"{key}:"))
    return line.split("# ", 1)[1] if "# " in line else ""


def test_a_stale_or_missing_comment_is_rewritten_at_the_column():
    text = "site:\n  name: Acme   # the company\n  language: ja\n"
    fixed = with_comments(text)
    assert comment_of(fixed, "name") == SiteSettings.model_fields["name"].description
    assert comment_of(fixed, "language") == SiteSettings.model_fields["language"].description
    assert all(line.index("#") == COLUMN for line in fixed.splitlines())
    assert with_comments(fixed) == fixed, "a second run changes nothing"


def test_a_changed_description_makes_the_shipped_file_stale(monkeypatch):
    shipped = CONFIG.read_text(encoding="utf-8")
    monkeypatch.setattr(LLMSettings.model_fields["timeout"], "description", "seconds per call, changed")
    fixed = with_comments(shipped)
    assert fixed != shipped
    assert "  timeout: 120                          # seconds per call, changed" in fixed.splitlines()


def test_values_layout_and_free_comments_are_kept():
    text = (
        "# a header the generator leaves alone\n"
        "\n"
        "site:\n"
        "  # a note set apart by a blank line\n"
        "\n"
        "  # the old comment of categories, directly above it\n"
        f"{CATEGORIES}\n"
        "  url: 'https://example.com/#not-a-comment'\n"
        "cta:\n"
        "  text: a long text<br>\n"
        "    over two lines\n"
        "lengths:\n"
        "  # body: [2000, 2600]   # an old note\n"
        "llm:\n"
        "  models:\n"
        "    plan: gpt-4o-mini     # a stage: data, not a setting\n"
    )
    fixed = with_comments(text)
    assert yaml.safe_load(fixed) == yaml.safe_load(text)
    lines = fixed.splitlines()
    kept = [0, 1, 3, 4]  # the header, and the note set apart by a blank line
    assert [lines[i] for i in kept] == [text.splitlines()[i] for i in kept]
    assert "the old comment" not in fixed
    above = lines[lines.index(CATEGORIES) - 1]
    assert above == "  # " + SiteSettings.model_fields["categories"].description, "a long line gets its comment above"
    assert "  url: 'https://example.com/#not-a-comment'" in fixed, "a # inside a value is the value's"
    text_line = lines.index("  text: a long text<br>")
    assert lines[text_line - 1] == "  # its text (may hold HTML)" and lines[text_line + 1] == "    over two lines"
    body = next(line for line in lines if line.startswith("  # body:"))
    assert body.endswith("# the body's target range (a warning outside it)"), "a commented-out key has one too"
    assert "    plan: gpt-4o-mini     # a stage: data, not a setting" in lines


def test_a_comment_is_never_a_value_changed():
    with pytest.raises(ValueError, match="not a setting"):
        with_comments("site:\n  colour: blue\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        with_comments("site:\n  name: [a, b] trailing\n")


def test_descriptions_by_path():
    assert describe(("site", "name")) == "the publisher's name in JSON-LD"
    assert describe(("site",)) == "The site the posts are for", "a section without a description: its docstring"
    assert describe(("llm", "local")) == "the embedded model"
    assert describe(("llm", "models", "plan")) is None and describe(("llm", "prices", "gpt-4o")) is None
    assert describe(("llm", "prices", "gpt-4o", "output")) == "completion tokens"
    with pytest.raises(ValueError, match=r"site\.colour"):
        describe(("site", "colour"))
