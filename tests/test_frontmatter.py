"""YAML front matter: written in the reference post's style, read back safely, edited a line at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.frontmatter import Flow, Quoted, Timestamp, dump, split, with_fields

JST = timezone(timedelta(hours=9))
BODY = "\n本文の一行目です。\n\n---\n\n区切り線のあとの段落です。\n"
# Any string a model, a keyword or an editor could put in a field (surrogates cannot be UTF-8 at all).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


def post(**fields) -> str:
    base = {
        "layout": "blog-post",
        "title": Quoted("2025年版AIマーケティング"),
        "date": Timestamp.of(datetime(2025, 12, 15, 9, 30, 0, 123456, tzinfo=JST)),
        "tags": Flow(["AI", "心理学"]),
        "featured": True,
        "reading_time": 6,
    }
    return dump({**base, **fields}) + BODY


def test_dump_writes_the_reference_style_in_the_given_order():
    text = dump({"layout": "blog-post", "title": Quoted("タイトル"), "tags": Flow(["a", "b c"]), "featured": True})
    assert text == '---\nlayout: blog-post\ntitle: "タイトル"\ntags: [a, b c]\nfeatured: true\n---\n'


def test_a_timestamp_is_utc_with_milliseconds_and_reads_back_as_a_time():
    stamp = Timestamp.of(datetime(2025, 12, 15, 9, 30, 0, 123456, tzinfo=JST))
    assert stamp == "2025-12-15T00:30:00.123Z"
    assert dump({"date": stamp}) == "---\ndate: 2025-12-15T00:30:00.123Z\n---\n", "plain, not quoted"
    read = yaml.safe_load("date: " + stamp)["date"]
    assert read.replace(tzinfo=UTC) == datetime(2025, 12, 15, 0, 30, 0, 123000, tzinfo=UTC)


def test_split_gives_the_fields_and_the_body_unchanged():
    fields, body = split(post())
    assert fields["title"] == "2025年版AIマーケティング" and fields["tags"] == ["AI", "心理学"]
    assert fields["featured"] is True and fields["reading_time"] == 6 and isinstance(fields["date"], datetime)
    assert body == BODY, "a --- in the body is the body's"


@pytest.mark.parametrize(
    "text",
    ["no front matter at all\n", "---\ntitle: never closed\n", "", "--- \n"],
)
def test_text_without_a_closed_front_matter_is_all_body(text):
    assert split(text) == ({}, text)


def test_front_matter_that_is_not_a_mapping_gives_no_fields():
    assert split("---\n- a\n- b\n---\nbody") == ({}, "body")
    assert split("---\n---\nbody") == ({}, "body")


@pytest.mark.parametrize(
    "broken",
    ['title: "unclosed\n', "title: [a, b\n", "a: b: c\n", "\ttitle: tab\n", "title: *nowhere\n"],
)
def test_broken_yaml_is_a_value_error_in_one_line(broken):
    with pytest.raises(ValueError, match="the front matter is not valid YAML") as caught:
        split(f"---\n{broken}---\nbody")
    assert "\n" not in str(caught.value)


def test_yaml_tags_that_would_build_objects_are_refused():
    with pytest.raises(ValueError, match="not valid YAML"):
        split("---\ntitle: !!python/object/apply:os.system ['true']\n---\n")


def test_with_fields_rewrites_only_the_changed_lines():
    text = post()
    changed = with_fields(text, {"title": Quoted("新しいタイトル"), "reading_time": 7})
    before, after = text.split("\n"), changed.split("\n")
    differing = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert [after[i] for i in differing] == ['title: "新しいタイトル"', "reading_time: 7"]


def test_with_fields_adds_a_missing_key_at_the_end_of_the_block():
    changed = with_fields(post(), {"description": Quoted("説明")})
    fields, body = split(changed)
    assert list(fields)[-1] == "description" and fields["description"] == "説明" and body == BODY


def test_with_fields_needs_front_matter():
    for text in ("no front matter\n", "---\ntitle: never closed\n"):
        with pytest.raises(ValueError, match="no front matter"):
            with_fields(text, {"title": Quoted("x")})


def test_a_list_item_with_a_line_break_stays_on_one_line_and_reads_back():
    tags = ["改行\nのあるタグ", "NEL\x85タグ", "AI　マーケティング"]
    text = dump({"tags": Flow(tags), "title": Quoted("t")})
    assert text == '---\ntags: ["改行\\nのあるタグ", "NEL\\Nタグ", AI　マーケティング]\ntitle: "t"\n---\n'
    assert split(text)[0]["tags"] == tags


def test_a_key_is_matched_whole_not_by_its_prefix():
    text = dump({"title_note": "keep", "title": Quoted("old")}) + BODY
    fields, _ = split(with_fields(text, {"title": Quoted("new")}))
    assert fields == {"title_note": "keep", "title": "new"}


# Front matter as people write it by hand, in posts genpost did not write (refresh edits these).
HAND_WRITTEN = """---
layout: post
title: 2024年の振り返り
tags:
  - 心理学
  - マーケティング
categories:
- blog

- notes
description: >
  折り返された

  説明文
author: 編集部
---
本文
"""


@pytest.mark.parametrize("key", ["tags", "categories", "description", "author"])
def test_with_fields_replaces_a_block_list_or_folded_value_whole(key):
    original, _ = split(HAND_WRITTEN)
    changed = with_fields(HAND_WRITTEN, {key: Flow(["新しい", "値"])})
    fields, body = split(changed)
    assert fields == {**original, key: ["新しい", "値"]} and body == "本文\n"
    untouched = [line for line in HAND_WRITTEN.split("\n") if line not in changed.split("\n")]
    assert untouched and all(line.startswith((" ", "-", f"{key}:")) or not line for line in untouched)


@settings(max_examples=200, deadline=None)
@given(title=ANY_TEXT, tags=st.lists(ANY_TEXT, max_size=4), body=ANY_TEXT)
def test_any_strings_survive_dump_and_split(title, tags, body):
    fields, read_body = split(dump({"title": Quoted(title), "tags": Flow(tags), "layout": "blog-post"}) + body)
    assert fields == {"title": title, "tags": tags, "layout": "blog-post"} and read_body == body


@settings(max_examples=200, deadline=None)
@given(title=ANY_TEXT, description=ANY_TEXT, tags=st.lists(ANY_TEXT, max_size=4))
def test_any_strings_survive_with_fields_and_leave_the_rest_alone(title, description, tags):
    text = post()
    original, _ = split(text)
    changed = with_fields(text, {"title": Quoted(title), "description": Quoted(description), "tags": Flow(tags)})
    fields, body = split(changed)
    assert fields == {**original, "title": title, "description": description, "tags": tags} and body == BODY
    again = with_fields(changed, {"reading_time": 9})
    assert split(again)[0] == {**fields, "reading_time": 9}, "a later edit finds its line after any earlier one"


KEYS = st.sampled_from(["title", "tags", "categories", "description", "author", "seo_keywords"])
VALUES = st.one_of(ANY_TEXT, st.lists(ANY_TEXT, max_size=3), st.integers(), st.booleans())


@settings(max_examples=200, deadline=None)
@given(
    fields=st.dictionaries(KEYS, VALUES, min_size=1),
    key=KEYS,
    value=st.lists(ANY_TEXT, max_size=3),
    crlf=st.booleans(),
)
def test_any_block_style_front_matter_takes_any_change_and_keeps_the_rest(fields, key, value, crlf):
    # As an editor or another tool writes it: block lists, folded or quoted strings over several lines.
    block = yaml.safe_dump(fields, allow_unicode=True, default_flow_style=False, sort_keys=False, width=20)
    text = f"---\n{block}---\n本文\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    original, _ = split(text.replace("\r\n", "\n"))  # as YAML reads it (PyYAML writes NEL as it is, read as a space)
    changed = with_fields(text, {key: Flow(value)})
    read, body = split(changed.replace("\r\n", "\n"))
    assert read == {**original, key: value} and body == "本文\n"
    assert ("\r\n" in changed) == crlf and (not crlf or "\n" not in changed.replace("\r\n", ""))
