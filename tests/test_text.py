"""Slugs, prose cleaning and character counts."""

from __future__ import annotations

import pytest

from pipeline.text import char_count, clean_line, clean_prose, keyword_words, slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        # The reference site's own post names.
        (
            "2025年版：AI時代を生き抜く！マーケティング戦略立案「5つの生存術」",
            "2025年版-ai時代を生き抜く-マーケティング戦略立案-5つの生存術",
        ),
        (
            "2025年、来年トレンド予測！業界別「共感」を生む心理学マーケティング5つの秘訣",
            "2025年-来年トレンド予測-業界別-共感-を生む心理学マーケティング5つの秘訣",
        ),
        (
            "2025年マーケティングトレンド予測：生き残るための5つの比較戦略",
            "2025年マーケティングトレンド予測-生き残るための5つの比較戦略",
        ),
        ("../../etc/passwd", "etc-passwd"),
        ("ｶﾀｶﾅ と ＡＢＣ１２３", "カタカナ-と-abc123"),
        ("!!!", "post"),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_slug_is_capped_and_safe():
    slug = slugify("あ" * 200 + "/x")
    assert len(slug) <= 70 and "/" not in slug


def test_clean_prose_drops_headings_and_neutralises_markup():
    text = (
        "## 見出し\n本文です。\n![img](http://x)\n<script>alert(1)</script>\n"
        "{% include x %} と {{ y }}\n```\n\n\n\n終わり"
    )
    cleaned = clean_prose(text)
    assert "## " not in cleaned and "![img]" not in cleaned and "```" not in cleaned
    assert "<script>" not in cleaned and "&lt;script&gt;" in cleaned
    assert "{%" not in cleaned and "{{" not in cleaned and "&#123;% include x %}" in cleaned
    assert "\n\n\n" not in cleaned and cleaned.startswith("本文です。")


def test_clean_line():
    assert clean_line("- 項目です\n続き") == "項目です 続き"
    assert clean_line("1. 番号付き") == "番号付き"


def test_char_count_ignores_whitespace():
    assert char_count("日本語 の\n文章") == 6


def test_keyword_words():
    assert keyword_words("AI　マーケティング  最新トレンド") == ["AI", "マーケティング", "最新トレンド"]


def test_a_link_definition_in_model_prose_is_plain_text():
    from pipeline.text import clean_line, clean_prose

    assert clean_prose("[x]: javascript:alert(1)\n\n本文です。[x]") == "［x］: javascript:alert(1)\n\n本文です。[x]"
    assert clean_line("  [ref]: data:text/html,x") == "［ref］: data:text/html,x"
    quoted = clean_prose("- [a]: javascript:x\n> 1. [b]: vbscript:y")
    assert quoted == "- ［a］: javascript:x\n&gt; 1. ［b］: vbscript:y"


def test_a_theme_becomes_a_category_jekyll_can_put_in_a_url():
    from pipeline.text import category_text

    assert category_text('"quoted": #comment') == '"quoted"： #comment'
    assert category_text("AI:\n入門  ガイド") == "AI： 入門 ガイド"
