"""The assembler: YAML and JSON-LD escaping, reading time, blocks."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
import yaml

from pipeline.document import json_ld
from pipeline.types import RelatedPost
from pipeline.writing.assembler import Assembler, reading_minutes
from tests import factories
from tests import factories as f
from tests.postparse import FRONT_MATTER_KEYS, parse_post


def assemble(plan=None, sections=None, related=(), brief=None):
    plan = plan or f.plan()
    return Assembler(f.settings(), f.learning()).assemble(
        brief or f.brief(), plan, f.outline(plan), sections or f.sections(), f.images(), list(related)
    )


HOSTILE = [
    "タイトル: \"引用\" と '単引用'",
    "# ハッシュで始まる5選",
    "---\nlayout: evil\n---",
    "コロン: と [括弧] と {波括弧} と & と *星* 3選",
    "{% include secret.html %} と {{ site.github }} 2選",
    "</script><script>alert(1)</script> 1選",
    "@at と `バッククォート` と | パイプ > 大なり 9選",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_front_matter_survives_hostile_titles(title):
    plan = f.plan(title=title, description=title, tags=[title, "普通"])
    post = assemble(plan=plan, brief=f.brief(keywords=[title, "x: y"]))
    parsed = parse_post(post.markdown)
    assert list(parsed.front) == FRONT_MATTER_KEYS
    assert parsed.front["title"] == title and parsed.front["description"] == title
    assert parsed.front["tags"] == [title, "普通"] and parsed.front["seo_keywords"] == [title, "x: y"]


@pytest.mark.parametrize("title", HOSTILE)
def test_json_ld_cannot_close_its_script_or_run_liquid(title):
    post = assemble(plan=f.plan(title=title, description=title))
    parsed = parse_post(post.markdown)
    assert parsed.body.count("</script>") == 1
    ld = parsed.json_ld
    assert ld["headline"] == title and ld["description"] == title
    script = parsed.body.split('<script type="application/ld+json">')[1]
    assert "{{" not in script and "{%" not in script


def test_json_ld_escaping_round_trips():
    data = {"a": "</script>{{x}}{%y%}{{{z", "b": "&<>"}
    text = json_ld(data)
    assert "<" not in text and ">" not in text and "{{" not in text and "{%" not in text
    assert json.loads(text) == data


def test_reading_time_follows_length():
    short, long = assemble(sections=f.sections(100)), assemble(sections=f.sections(1500))
    assert short.reading_time < long.reading_time
    assert long.reading_time == reading_minutes(long.body_chars, 500)
    assert long.body_chars > 1500 * 11
    assert parse_post(long.markdown).front["reading_time"] == long.reading_time


@pytest.mark.parametrize(("chars", "minutes"), [(0, 1), (1, 1), (500, 1), (501, 2), (3000, 6), (3001, 7)])
def test_reading_minutes(chars, minutes):
    assert reading_minutes(chars, 500) == minutes


def test_related_block_uses_post_url_and_escapes_titles():
    related = [RelatedPost(name="2025-12-14-a", title="<b>A</b> & {{ x }}", score=0.5)]
    body = parse_post(assemble(related=related).markdown).body
    assert "{{ site.baseurl }}{% post_url 2025-12-14-a %}" in body
    assert "&lt;b&gt;A&lt;/b&gt; &amp; &#123;{ x }}" in body
    assert body.index("related-posts") < body.index("cta-section") < body.index("application/ld+json")


def test_no_related_block_without_related_posts():
    assert "related-posts" not in assemble().markdown


def test_step_layout_matches_reference():
    sections = f.sections()
    step = sections["step1"]
    body = parse_post(assemble(sections=sections).markdown).body
    block = body[body.index("### ステップ1: 準備0") :].split("\n\n")[0].splitlines()
    assert block[1] == step.summary
    assert block[2:] == [
        "- **実行内容:**",
        f"    - {step.actions[0]}",
        f"    - {step.actions[1]}",
        "- **指標:**",
        f"    - {step.metrics[0]}",
        "- **注意点:**",
        f"    - {step.cautions[0]}",
    ]


def test_filename_uses_site_local_day_and_slug():
    late = f.brief(date=f.brief().date.replace(hour=23, minute=30))
    post = assemble(brief=late, plan=f.plan(title="2025年版：AI時代を生き抜く！「5つの生存術」"))
    assert post.filename == "2025-12-16-2025年版-ai時代を生き抜く-5つの生存術.md"


def test_front_matter_is_plain_yaml_timestamp():
    text = assemble().markdown
    assert re.search(r"^date: 2025-12-15T01:51:06\.256Z$", text, re.MULTILINE)
    assert re.search(r'^title: ".*"$', text, re.MULTILINE)
    assert isinstance(yaml.safe_load(parse_post(text).front_text)["date"], datetime)


def test_a_site_with_a_baseurl_gets_post_url_alone_in_its_related_block():
    """Jekyll 4's post_url holds the baseurl already: `{{ site.baseurl }}` before it would write it twice."""
    from pipeline.quality import check_text

    settings = factories.settings()
    settings.site.baseurl = "/blog"
    related = [RelatedPost(name="2025-12-14-a", title="関連", score=1.0)]
    post = Assembler(settings, factories.learning()).assemble(
        factories.brief(), factories.plan(), factories.outline(), factories.sections(), factories.images(), related
    )
    assert 'href="{% post_url 2025-12-14-a %}"' in post.markdown and "{{ site.baseurl }}" not in post.markdown
    findings = check_text(post.markdown, settings, {"learning": factories.learning()})
    assert not [f for f in findings if f.rule.startswith("markup.")]
