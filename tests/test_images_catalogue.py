"""The instinct catalogue and image URLs."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from pipeline.images import catalogue_images, sized_url
from pipeline.instincts import load_instincts
from tests import factories as f

ORIGIN_KEYS = ["survival", "reproduction", "nurturing", "territorial", "hierarchy", "learning", "communication", "play"]


def test_all_eight_instincts_with_everything_prompts_need():
    instincts = load_instincts()
    assert list(instincts) == ORIGIN_KEYS
    assert instincts["learning"].name == "学習本能"
    assert instincts["learning"].triggers == ["好奇心", "発見", "理解", "スキル"]
    for instinct in instincts.values():
        assert instinct.name.endswith("本能") and instinct.psychology and instinct.tone
        assert len(instinct.images) >= 4
        assert all(p.url.startswith("https://images.unsplash.com/photo-") for p in instinct.images)


def test_sized_url_sets_each_parameter_once():
    origin = (
        "https://images.unsplash.com/photo-1553532435-93d532a45f15?crop=entropy&cs=tinysrgb&fit=max"
        "&fm=jpg&ixid=M3w3ODc1MzN8MHwxfHNlYXJjaHwyOXx8&ixlib=rb-4.1.0&q=80&w=1080"
    )
    url = sized_url(origin)
    keys = [k for k, _ in parse_qsl(urlsplit(url).query)]
    assert len(keys) == len(set(keys))
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["w"] == "1200" and params["h"] == "630" and params["fit"] == "crop" and params["crop"] == "smart"
    assert params["ixid"] == "M3w3ODc1MzN8MHwxfHNlYXJjaHwyOXx8"


def test_catalogue_gives_four_distinct_images_with_alt_text():
    plan = f.plan()
    images = catalogue_images(f.learning(), plan, f.outline(plan))
    assert [i.slot for i in images] == ["hero", "background", "trend", "cases"]
    assert len({i.url for i in images}) == 4
    assert images[1].alt == "学習本能の心理学的背景に関連するイメージ"
    assert images[0].query == "ai"
