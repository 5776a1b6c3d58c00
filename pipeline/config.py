"""Settings from `genpost.yml` and the environment, validated.

Every setting is documented once, in its `Field(description=…)`; the README's
configuration table is generated from these models (`python -m pipeline.settings_doc`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from pipeline import provider_names
from pipeline.errors import UsageError
from pipeline.paths import resource
from pipeline.yamlfile import load_validated

STRUCTURES = ("howTo", "problemSolution", "caseStudy", "comparison")


def _known_structure(value: str) -> str:
    if value not in STRUCTURES:
        raise ValueError(f"must be one of {', '.join(STRUCTURES)}")
    return value


Structure = Annotated[str, AfterValidator(_known_structure)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteSettings(_Strict):
    """The site the posts are for."""

    name: str = Field("LeadFive", description="the publisher's name in JSON-LD")
    url: str = Field("https://leadfive.co.jp", description="the site's root address")
    baseurl: str = Field("", description="Jekyll's baseurl")
    author: str = Field("LeadFive AI", description="front-matter `author` and the JSON-LD author")
    logo: str = Field("https://leadfive.co.jp/assets/images/logo.png", description="the publisher logo in JSON-LD")
    language: str = Field("ja", description="JSON-LD `inLanguage`")
    timezone: str = Field("Asia/Tokyo", description="the zone of the post's day: file date, calendar weekday, years")
    layout: str = Field("blog-post", description="front-matter `layout`")
    featured: bool = Field(True, description="front-matter `featured`")
    categories: list[str] = Field(
        default_factory=lambda: ["AIマーケティング"],
        min_length=1,
        description="the planner's choices when `--theme` is left out",
    )
    default_structure: Structure = Field("howTo", description="used when `--structure` is left out")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class RelatedSettings(_Strict):
    """The related-posts block."""

    heading: str = Field("こちらの記事もおすすめです", description="the block's heading")
    count: int = Field(3, ge=0, le=10, description="posts linked")
    min_score: float = Field(0.08, ge=0, description="topic overlap below this is not related")


class LinkSettings(_Strict):
    """Links in the prose to the site's own posts (with --site)."""

    enabled: bool = Field(
        True, description="link each post, in its prose, to the site's posts a reader would want next"
    )
    min_score: float = Field(
        0.2, ge=0, le=1, description="a target's relevance to its section (0–1) must be at least this"
    )
    per_section: int = Field(1, ge=1, le=3, description="candidates a section is offered")
    max_links: int = Field(5, ge=0, le=10, description="internal links in a post, at most")


class CtaSettings(_Strict):
    """The call-to-action block."""

    heading: str = Field("無料相談受付中", description="the block's heading")
    text: str = Field("まずは無料相談で、具体的な活用方法をご提案します。", description="its text (may hold HTML)")
    button: str = Field("無料相談はこちら", description="the button's label")
    link: str = Field("/contact/", description="the button's link")


class SectionLengths(_Strict):
    """Target characters for each part of a post (one model call each, or split into pieces)."""

    lead: int = Field(200, description="the lead")
    background: int = Field(400, description="the instinct's psychology")
    trend_intro: int = Field(120, description="the trend section's opening")
    trend_part: int = Field(260, description="each of its five H3s")
    steps_intro: int = Field(80, description="実践ステップ's opening")
    step: int = Field(260, description="each step (summary and bullets)")
    cases: int = Field(400, description="成功事例と期待できる効果")
    summary: int = Field(260, description="まとめと次のアクション")


class LengthSettings(_Strict):
    """Lengths, counted in characters, never words."""

    title_max: int = Field(60, description="the title's limit")
    description_max: int = Field(120, description="the description's limit")
    reading_chars_per_minute: int = Field(500, gt=0, description="used for `reading_time`")
    body: tuple[int, int] = Field((2500, 3500), description="the body's target range (a warning outside it)")
    split_above: int = Field(300, ge=50, description="prose longer than this is drafted as concurrent pieces")
    sections: SectionLengths = Field(default_factory=SectionLengths, description="targets per part")


class Price(_Strict):
    """USD per million tokens."""

    input: float = Field(0.0, description="prompt tokens")
    cached_input: float | None = Field(None, description="cached prompt tokens (default: the input price)")
    output: float = Field(0.0, description="completion tokens")


class LocalSettings(_Strict):
    """The embedded model (llama.cpp in-process)."""

    model: Literal["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"] = Field(
        "qwen2.5-coder-0.5b", description="the packaged model to run (each verified by its sha256)"
    )
    model_path: str | None = Field(None, description="a GGUF of your own instead (GENPOST_LOCAL_MODEL overrides)")
    sha256: str | None = Field(None, description="its checksum, verified before loading")
    n_ctx: int = Field(4096, ge=512, description="context window in tokens")
    threads: int = Field(0, ge=0, description="CPU threads (0: every core)")
    temperature: float = Field(0.5, description="sampling temperature")
    repeat_penalty: float = Field(1.3, ge=1.0, description="penalty on repeated tokens (tuned for Japanese)")
    repeat_last_n: int = Field(256, ge=0, description="tokens the repeat penalty looks back over")
    frequency_penalty: float = Field(0.5, description="penalty by how often a token was used")
    top_p: float = Field(0.9, description="nucleus sampling")
    max_tokens: int = Field(1000, ge=16, description="cap per call, whatever a part asks for")
    japanese_only: bool = Field(True, description="mask every token holding an ideograph Japanese does not use")
    no_repeat: int = Field(
        12, ge=2, description="a continuation never repeats a run of this many tokens from the document above it"
    )
    continuation: bool = Field(
        False,
        description="write each section by continuing the post so far, as plain text, rather than from "
        "written instructions (which a small model copies); measured worse with the packaged 0.5B model",
    )
    seed: int = Field(7, description="sampling seed")


class RetrySettings(_Strict):
    """How long a failing provider is retried before the run gives up."""

    attempts: int = Field(4, ge=1, le=20, description="tries per call, the first included")
    budget_s: float = Field(180.0, gt=0, description="no retry starts once this much time has passed")
    backoff_initial_s: float = Field(1.0, ge=0, description="first backoff (exponential, with jitter)")
    backoff_max_s: float = Field(30.0, ge=0, description="longest backoff (a longer Retry-After wins)")
    cut_off: bool = Field(
        True,
        description="ask a cut-off text answer once more with 1.5 times the room (off for a small model behind a "
        "server that runs past any length: its second answer is cut off too)",
    )


class LLMSettings(_Strict):
    """The models."""

    provider: str = Field(
        "auto",
        description="openai, local or a provider plugin's name; auto: openai when OPENAI_API_KEY or "
        "OPENAI_BASE_URL is set, else local",
    )
    models: dict[str, str] = Field(
        default_factory=lambda: {"plan": "gpt-4o-mini", "draft": "gpt-4o-mini"},
        description="a model per stage (`--model` overrides all)",
    )
    temperature: float = Field(0.7, description="sampling temperature")
    stream: bool = Field(True, description="stream answers (also records time to first token)")
    concurrency: int = Field(20, ge=1, le=64, description="model calls in flight at once")
    timeout: float = Field(120.0, gt=0, description="seconds per call (GENPOST_LLM_TIMEOUT overrides)")
    prices: dict[str, Price] = Field(default_factory=dict, description="USD per million tokens, by model")
    batch_discount: float = Field(0.5, gt=0, le=1, description="the Batch API's price as a share of the normal one")
    local: LocalSettings = Field(default_factory=LocalSettings, description="the embedded model")
    retry: RetrySettings = Field(default_factory=RetrySettings, description="retries")

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        return known_provider(value)

    def model_for(self, stage: str) -> str:
        return self.models.get(stage) or self.models.get("draft") or "gpt-4o-mini"


def known_provider(name: str) -> str:
    """`auto` or a provider's name (a plugin's loads the plugins); else a ValueError listing them."""
    if name != provider_names.AUTO and not provider_names.is_known(name):
        raise ValueError(provider_names.unknown(name, auto=True))
    return name


class ImageSettings(_Strict):
    """Unsplash search, as its API guidelines ask."""

    app_name: str = Field("genpost", description="your Unsplash app's name: `utm_source` in photo credits")
    per_page: int = Field(30, ge=1, le=30, description="results a search asks for")
    min_likes: int = Field(10, ge=0, description="photos with fewer likes are used only when nothing else fits")
    avoid_days: int = Field(30, ge=0, description="skip photos used on the site or in out/ this recently")
    cache_hours: float = Field(24, ge=0, description="search results are cached on disk this long")
    timeout: float = Field(10, gt=0, description="seconds per request")
    attempts: int = Field(3, ge=1, description="tries per request, then the catalogue")
    budget_s: float = Field(20, gt=0, description="no retry starts once this much time has passed")
    backoff_initial_s: float = Field(1.0, ge=0, description="first backoff between tries")


class QualitySettings(_Strict):
    """The quality gate's thresholds (`genpost check`)."""

    keyword_uses: tuple[int, int] = Field((3, 5), description="times the primary keyword appears in the body")
    sentence_max: int = Field(100, ge=10, description="characters a sentence")
    max_ten: int = Field(3, ge=0, description="読点 a sentence")
    reading_tolerance: int = Field(1, ge=0, description="minutes `reading_time` may be off")
    description_min: int = Field(50, ge=0, description="a shorter description is a warning")
    duplicate_threshold: float = Field(
        0.5, gt=0, le=1, description="3-gram Jaccard similarity to a site post that counts as a duplicate"
    )
    max_rewrites: int = Field(2, ge=0, description="gate rounds that redraft failing parts")
    extra_characters: str = Field(
        "",
        description="ideographs outside JIS X 0208 that this site uses (names, places): allowed in drafts "
        "and by the embedded model's decoding mask",
    )


class MemorySettings(_Strict):
    """Topic memory: what genpost will not repeat."""

    keyword_gap_days: int = Field(30, ge=0, description="a primary keyword's topic is not reused within these days")
    title_similarity: float = Field(
        0.6, gt=0, le=1, description="re-plan a title this similar to another (Jaccard of character bigrams)"
    )


class BudgetSettings(_Strict):
    """Limits for one `genpost batch` run; a post that would pass them is not started."""

    max_tokens: int | None = Field(None, ge=1, description="tokens for the whole run")
    max_cost_usd: float | None = Field(None, gt=0, description="USD for the whole run")
    tokens_per_post_estimate: int = Field(30_000, ge=1, description="used until a post of the run has finished")


class SearchSettings(_Strict):
    """A search engine that finds sources for the keywords (with --search, and in --auto)."""

    provider: Literal["searxng"] = Field("searxng", description="searxng: a SearXNG instance's JSON API")
    url: str = Field(..., description="the engine's address, e.g. http://localhost:8888")
    results: int = Field(3, ge=1, le=10, description="search results fetched as sources")
    language: str = Field("ja", description="the results' language")


class SourceSettings(_Strict):
    """Sources a post is grounded in: --sources, a library folder, a search engine."""

    library: str | None = Field(None, description="a folder of the company's own material, used for every post")
    search: SearchSettings | None = Field(None, description="a search engine (none: --search is refused)")
    timeout: float = Field(10, gt=0, description="seconds per request")
    attempts: int = Field(2, ge=1, description="tries per URL, within the budget")
    budget_s: float = Field(20, gt=0, description="no retry starts once this much time has passed")
    max_bytes: int = Field(5_000_000, ge=10_000, description="a larger page or file is refused")
    cache_hours: float = Field(168, ge=0, description="a fetched URL is reused from the disk cache this long")
    passage_chars: int = Field(300, ge=80, description="a passage's target length (cut at sentence ends)")
    passages_per_piece: int = Field(3, ge=0, description="passages quoted in each drafting prompt, at most")
    piece_budget_chars: int = Field(900, ge=0, description="characters of passages a drafting prompt may carry")


class PushSettings(_Strict):
    """Where `publish --push` sends the commit."""

    enabled: bool = Field(False, description="push after every publish commit (`--push`/`--no-push` override)")
    remote: str = Field("origin", description="the remote to push to")
    branch: str = Field("", description="the remote branch (empty: the site's current branch)")


class PublishSettings(_Strict):
    """Publishing into a site that is a git repository."""

    commit: bool = Field(True, description="commit the post (and the files genpost changed) in a git site")
    push: PushSettings = Field(default_factory=PushSettings, description="pushing the commit")


class AutoSettings(_Strict):
    """`genpost --auto`."""

    lock_timeout_s: float = Field(3600, ge=0, description="how long an overlapping run waits for the one before it")
    briefs: bool = Field(
        False, description="write the day's brief for an editor to approve instead of a post; draft approved briefs"
    )


class RefreshSettings(_Strict):
    """`genpost refresh`: posts that aged, and how many `--auto` refreshes a day."""

    per_day: int = Field(
        0,
        ge=0,
        le=20,
        description="posts `--auto` refreshes after the day's new post, from the top of the list (0: off)",
    )
    max_age_months: int = Field(
        12, ge=1, description="a post older than this, on a keyword the calendar still uses, is listed for a refresh"
    )


class PerformanceApi(_Strict):
    """Search Console's Search Analytics API (the `gsc` extra): a service account that can read the property."""

    site_url: str = Field(..., description="the property as Search Console names it (https://example.jp/, sc-domain:…)")
    key_file: str = Field(..., description="the service account's JSON key file (never copied anywhere)")
    days: int = Field(28, ge=1, le=240, description="each period's days: the last ones, and as many before")
    endpoint: str | None = Field(None, description="another API address (a proxy; the tests' stand-in)")


class PerformanceSettings(_Strict):
    """Search Console data: what the site's search performance says (refresh --list, report, --auto)."""

    file: str | None = Field(None, description="a Performance export (its ZIP, a folder of its CSVs, or Pages.csv)")
    api: PerformanceApi | None = Field(None, description="read the Search Analytics API instead of a file")
    topics: bool = Field(
        False, description="--auto writes on the search with most impressions that no post answers (with --site)"
    )


class Settings(_Strict):
    site: SiteSettings = Field(default_factory=SiteSettings)
    related: RelatedSettings = Field(default_factory=RelatedSettings)
    links: LinkSettings = Field(default_factory=LinkSettings)
    cta: CtaSettings = Field(default_factory=CtaSettings)
    lengths: LengthSettings = Field(default_factory=LengthSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    images: ImageSettings = Field(default_factory=ImageSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    auto: AutoSettings = Field(default_factory=AutoSettings)
    sources: SourceSettings = Field(default_factory=SourceSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    refresh: RefreshSettings = Field(default_factory=RefreshSettings)
    performance: PerformanceSettings = Field(default_factory=PerformanceSettings)
    polish: Literal["auto", "on", "off"] = Field(
        "auto", description="a last pass over the whole draft (auto: on for API providers, off for the embedded model)"
    )


def load_settings(path: Path | None = None) -> Settings:
    """Load `genpost.yml` (or `path`) and apply environment overrides."""
    path = path or Path(os.environ.get("GENPOST_CONFIG") or resource("genpost.yml"))
    settings = load_validated(Settings, path) if path.exists() else Settings()
    provider = os.environ.get("GENPOST_PROVIDER")
    if provider:
        try:
            settings.llm.provider = known_provider(provider)
        except ValueError as exc:
            raise UsageError(f"GENPOST_PROVIDER: {exc}") from None
    if os.environ.get("GENPOST_LOCAL_MODEL"):
        settings.llm.local.model_path = os.environ["GENPOST_LOCAL_MODEL"]
    timeout = os.environ.get("GENPOST_LLM_TIMEOUT")
    if timeout:
        try:
            settings.llm.timeout = float(timeout)
        except ValueError:
            raise UsageError(f"GENPOST_LLM_TIMEOUT must be a number of seconds, not {timeout!r}") from None
        if settings.llm.timeout <= 0:
            raise UsageError("GENPOST_LLM_TIMEOUT must be positive")
    return settings
