"""Settings from `genpost.yml` and the environment, validated."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

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
    name: str = "LeadFive"
    url: str = "https://leadfive.co.jp"
    baseurl: str = ""
    author: str = "LeadFive AI"
    logo: str = "https://leadfive.co.jp/assets/images/logo.png"
    language: str = "ja"
    timezone: str = "Asia/Tokyo"
    layout: str = "blog-post"
    featured: bool = True
    categories: list[str] = Field(default_factory=lambda: ["AIマーケティング"], min_length=1)
    default_structure: Structure = "howTo"

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
    heading: str = "こちらの記事もおすすめです"
    count: int = Field(3, ge=0, le=10)
    min_score: float = Field(0.08, ge=0)


class CtaSettings(_Strict):
    heading: str = "無料相談受付中"
    text: str = "まずは無料相談で、具体的な活用方法をご提案します。"
    button: str = "無料相談はこちら"
    link: str = "/contact/"


class SectionLengths(_Strict):
    lead: int = 200
    background: int = 400
    trend_intro: int = 120
    trend_part: int = 260
    steps_intro: int = 80
    step: int = 260
    cases: int = 400
    summary: int = 260


class LengthSettings(_Strict):
    title_max: int = 60
    description_max: int = 120
    reading_chars_per_minute: int = Field(500, gt=0)
    body: tuple[int, int] = (2500, 3500)
    split_above: int = Field(300, ge=50)
    sections: SectionLengths = Field(default_factory=SectionLengths)


class Price(_Strict):
    """USD per million tokens."""

    input: float = 0.0
    cached_input: float | None = None
    output: float = 0.0


class LocalSettings(_Strict):
    """The embedded model (llama.cpp in-process)."""

    model_path: str | None = None  # GENPOST_LOCAL_MODEL overrides; None: the packaged default
    sha256: str | None = None  # checked before loading a model of your own, if given
    n_ctx: int = Field(4096, ge=512)
    threads: int = Field(0, ge=0)  # 0: every core
    temperature: float = 0.5
    repeat_penalty: float = Field(1.3, ge=1.0)  # tuned for Japanese on a 0.5B model
    repeat_last_n: int = Field(256, ge=0)  # tokens the repeat penalty looks back over
    frequency_penalty: float = 0.5
    top_p: float = 0.9
    max_tokens: int = Field(1000, ge=16)  # cap per call, whatever the section asks
    seed: int = 7


class RetrySettings(_Strict):
    """How long a failing provider is retried before the run gives up."""

    attempts: int = Field(4, ge=1, le=20)  # tries per call, the first included
    budget_s: float = Field(180.0, gt=0)  # no retry starts once this much time has passed
    backoff_initial_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)


class LLMSettings(_Strict):
    provider: Literal["auto", "openai", "local"] = "auto"
    models: dict[str, str] = Field(default_factory=lambda: {"plan": "gpt-4o-mini", "draft": "gpt-4o-mini"})
    temperature: float = 0.7
    stream: bool = True
    concurrency: int = Field(20, ge=1, le=64)
    timeout: float = Field(120.0, gt=0)
    prices: dict[str, Price] = Field(default_factory=dict)
    batch_discount: float = Field(0.5, gt=0, le=1)  # the Batch API's price, as a share of the normal one
    local: LocalSettings = Field(default_factory=LocalSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)

    def model_for(self, stage: str) -> str:
        return self.models.get(stage) or self.models.get("draft") or "gpt-4o-mini"


class ImageSettings(_Strict):
    """Unsplash search, as its API guidelines ask."""

    app_name: str = "genpost"  # utm_source in photo credits
    per_page: int = Field(30, ge=1, le=30)
    min_likes: int = Field(10, ge=0)  # photos with fewer likes are used only when nothing else fits
    avoid_days: int = Field(30, ge=0)  # skip photos used on the site (or in out/) this recently
    cache_hours: float = Field(24, ge=0)  # search results are cached on disk this long
    timeout: float = Field(10, gt=0)
    attempts: int = Field(3, ge=1)
    budget_s: float = Field(20, gt=0)
    backoff_initial_s: float = Field(1.0, ge=0)


class QualitySettings(_Strict):
    """The quality gate's thresholds (`genpost check`)."""

    keyword_uses: tuple[int, int] = (3, 5)  # times the primary keyword appears in the body
    sentence_max: int = Field(100, ge=10)  # characters
    max_ten: int = Field(3, ge=0)  # 読点 a sentence
    reading_tolerance: int = Field(1, ge=0)  # minutes reading_time may be off
    description_min: int = Field(50, ge=0)
    duplicate_threshold: float = Field(0.5, gt=0, le=1)  # 3-gram Jaccard similarity to a site post
    max_rewrites: int = Field(2, ge=0)  # gate rounds that redraft failing sections


class MemorySettings(_Strict):
    """Topic memory: what genpost will not repeat."""

    keyword_gap_days: int = Field(30, ge=0)  # a primary keyword is not reused within this many days
    title_similarity: float = Field(0.6, gt=0, le=1)  # re-plan a title this similar (bigram Dice) to another


class BudgetSettings(_Strict):
    """Limits for one `genpost batch` run; a post that would pass them is not started."""

    max_tokens: int | None = Field(None, ge=1)
    max_cost_usd: float | None = Field(None, gt=0)
    tokens_per_post_estimate: int = Field(30_000, ge=1)  # until a post of this run has finished


class AutoSettings(_Strict):
    """`genpost --auto`."""

    lock_timeout_s: float = Field(3600, ge=0)  # how long an overlapping run waits for the one before it


class Settings(_Strict):
    site: SiteSettings = Field(default_factory=SiteSettings)
    related: RelatedSettings = Field(default_factory=RelatedSettings)
    cta: CtaSettings = Field(default_factory=CtaSettings)
    lengths: LengthSettings = Field(default_factory=LengthSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    images: ImageSettings = Field(default_factory=ImageSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    auto: AutoSettings = Field(default_factory=AutoSettings)


def load_settings(path: Path | None = None) -> Settings:
    """Load `genpost.yml` (or `path`) and apply environment overrides."""
    path = path or Path(os.environ.get("GENPOST_CONFIG") or resource("genpost.yml"))
    settings = load_validated(Settings, path) if path.exists() else Settings()
    provider = os.environ.get("GENPOST_PROVIDER")
    if provider:
        if provider not in ("auto", "openai", "local"):
            raise UsageError(f"GENPOST_PROVIDER must be auto, openai or local, not {provider!r}")
        settings.llm.provider = provider  # type: ignore[assignment]
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
