"""Images: the Unsplash client against its loopback stand-in, the catalogue, credits, publishing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from pipeline.config import ImageSettings
from pipeline.instincts import load_instincts
from pipeline.writing.images import (
    UnsplashClient,
    choose_images,
    credit_html,
    photo_key,
    recently_used,
    sized_url,
)
from standins.unsplash_api import UnsplashFault, photo
from tests import factories as f

ORIGIN_KEYS = ["survival", "reproduction", "nurturing", "territorial", "hierarchy", "learning", "communication", "play"]
QUICK = ImageSettings(app_name="genpost_test", backoff_initial_s=0.01, budget_s=5, timeout=1)


def choose(tmp_path, settings=QUICK, avoid=frozenset(), key="standin-access-key", plan=None):
    """Run the image stage with a real client against the stand-in."""
    plan = plan or f.plan()

    async def run():
        client = UnsplashClient(settings, key, tmp_path / "cache")
        try:
            return await choose_images(plan, f.outline(plan), f.learning(), settings, client, set(avoid)), client
        finally:
            await client.close()

    return asyncio.run(run())


# --- the catalogue ------------------------------------------------------------------------


def test_all_eight_instincts_with_a_credited_catalogue():
    instincts = load_instincts()
    assert list(instincts) == ORIGIN_KEYS
    assert instincts["learning"].name == "学習本能"
    assert instincts["learning"].triggers == ["好奇心", "発見", "理解", "スキル"]
    for instinct in instincts.values():
        assert instinct.name.endswith("本能") and instinct.psychology and instinct.tone
        assert len({p.url for p in instinct.images}) >= 4
        for p in instinct.images:
            assert p.url.startswith("https://images.unsplash.com/photo-") and p.photographer
            assert p.profile.startswith("https://unsplash.com/@") and p.page.startswith("https://unsplash.com/photos/")


def test_without_a_client_the_catalogue_gives_four_distinct_credited_images():
    plan = f.plan()
    images = asyncio.run(choose_images(plan, f.outline(plan), f.learning(), QUICK, None, set()))
    assert [i.slot for i in images] == ["hero", "background", "trend", "cases"]
    assert len({i.url for i in images}) == 4 and {i.source for i in images} == {"catalogue"}
    assert images[1].alt == "学習本能の心理学的背景に関連するイメージ" and images[0].query == "ai"
    assert all("Photo by <a href=" in i.credit and "utm_source=genpost_test" in i.credit for i in images)


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


def test_credit_follows_the_guidelines():
    credit = credit_html("Jane <Doe>", "https://unsplash.com/@jane", "my_app")
    assert credit == (
        'Photo by <a href="https://unsplash.com/@jane?utm_source=my_app&amp;utm_medium=referral">Jane &lt;Doe&gt;</a>'
        ' on <a href="https://unsplash.com/?utm_source=my_app&amp;utm_medium=referral">Unsplash</a>'
    )


# --- the Unsplash client -------------------------------------------------------------------


def test_search_sends_what_the_api_asks(unsplash, tmp_path):
    _, client = choose(tmp_path)
    searches = unsplash.searches()
    assert len(searches) == 4, "one search per image slot"
    for seen in searches:
        assert seen.headers["Authorization"] == f"Client-ID {unsplash.key}" and seen.headers["Accept-Version"] == "v1"
        assert seen.params["orientation"] == "landscape" and seen.params["content_filter"] == "high"
        assert seen.params["per_page"] == "30" and seen.params["query"].isascii()
        assert "lang" not in seen.params
    assert sorted(s.params["query"] for s in searches) == ["ai", "brain", "chart", "team"]
    assert client.remaining == unsplash.limit - 4


def test_chosen_photos_are_distinct_liked_and_credited(unsplash, tmp_path):
    images, _ = choose(tmp_path)
    assert [i.slot for i in images] == ["hero", "background", "trend", "cases"]
    assert {i.source for i in images} == {"unsplash"} and len({photo_key(i.url) for i in images}) == 4
    assert all(i.likes >= QUICK.min_likes for i in images)
    hero = images[0]
    assert photo_key(hero.url) == photo_key(photo("ai", 1, unsplash.root)["urls"]["raw"]), "first liked result"
    params = dict(parse_qsl(urlsplit(hero.url).query))
    assert params["ixid"] == "STANDIN1" and params["w"] == "1200"
    assert hero.download_location.startswith(unsplash.root) and "Photographer" in hero.credit
    assert not unsplash.downloads(), "drafting never pings the download endpoint"


def test_same_query_for_two_slots_searches_once_and_still_differs(unsplash, tmp_path):
    plan = f.plan(image_queries=f.ImageQueries(hero="team", background="team", trend="team", cases="team"))
    images, _ = choose(tmp_path, plan=plan)
    assert len(unsplash.searches()) == 1 and len({i.url for i in images}) == 4


def test_recently_used_photos_are_skipped(unsplash, tmp_path):
    first, _ = choose(tmp_path / "a")
    unsplash.reset()
    again, _ = choose(tmp_path / "b", avoid={photo_key(i.url) for i in first})
    assert not {photo_key(i.url) for i in first} & {photo_key(i.url) for i in again}


def test_recently_used_reads_posts_and_drafts_by_date(tmp_path):
    from datetime import UTC, datetime

    (tmp_path / "2025-12-10-old.md").write_text("![a](https://images.unsplash.com/photo-111-aaa?w=1)", "utf-8")
    (tmp_path / "2025-11-01-older.md").write_text("![a](https://images.unsplash.com/photo-222-bbb?w=1)", "utf-8")
    used = recently_used([tmp_path], 30, datetime(2025, 12, 15, tzinfo=UTC))
    assert used == {"photo-111-aaa"}


def test_search_results_are_cached_for_a_day(unsplash, tmp_path):
    choose(tmp_path)
    assert len(unsplash.searches()) == 4
    choose(tmp_path)
    assert len(unsplash.searches()) == 4, "the second run reads the disk cache"
    stale = QUICK.model_copy(update={"cache_hours": 0})
    choose(tmp_path, settings=stale)
    assert len(unsplash.searches()) == 8


def test_server_errors_are_retried(unsplash, tmp_path):
    unsplash.inject(UnsplashFault(status=500), UnsplashFault(status=503))
    images, _ = choose(tmp_path)
    assert {i.source for i in images} == {"unsplash"} and len(unsplash.searches()) == 6


def test_rate_limit_falls_back_to_the_catalogue(unsplash, tmp_path, caplog):
    unsplash.inject(UnsplashFault(status=403, remaining=0))
    images, client = choose(tmp_path)
    assert client.remaining == 0
    assert len(unsplash.searches()) <= 4 and any(i.source == "catalogue" for i in images)
    assert len({i.url for i in images}) == 4 and all(i.credit for i in images)
    assert "rate limit" in caplog.text


def test_a_dead_unsplash_never_fails_the_post(unsplash, tmp_path):
    unsplash.inject(*[UnsplashFault(status=500)] * 20)
    images, _ = choose(tmp_path)
    assert {i.source for i in images} == {"catalogue"} and len({i.url for i in images}) == 4


def test_empty_results_fall_back_per_slot(unsplash, tmp_path):
    unsplash.inject(UnsplashFault(empty=True))
    images, _ = choose(tmp_path)
    assert sorted(i.source for i in images) == ["catalogue", "unsplash", "unsplash", "unsplash"]


def test_a_wrong_key_falls_back(unsplash, tmp_path):
    images, _ = choose(tmp_path, key="wrong")
    assert {i.source for i in images} == {"catalogue"}


def test_no_key_means_the_catalogue_and_a_notice(llm, genpost, tmp_path):
    run = genpost("--instinct", "learning", "--keywords", "x", "--out", str(tmp_path))
    assert run.code == 0
    assert run.stderr.count("UNSPLASH_ACCESS_KEY") == 1 and len(run.stderr.splitlines()) == 1
    record = json.loads(Path(run.last_line).with_suffix(".json").read_text(encoding="utf-8"))
    assert {i["source"] for i in record["images"]} == {"catalogue"}


def test_a_timeout_is_retried(unsplash, tmp_path):
    settings = QUICK.model_copy(update={"timeout": 0.3})
    unsplash.inject(UnsplashFault(hang_s=1.0))
    images, _ = choose(tmp_path, settings=settings)
    assert {i.source for i in images} == {"unsplash"} and len(unsplash.searches()) == 5
