"""`genpost doctor`: what the configured OpenAI-compatible server takes and what genpost will use with it, or
whether the embedded model loads and answers on this machine."""

from __future__ import annotations

import asyncio
import logging
import os

import click

from pipeline.cli.common import verbose_option
from pipeline.config import LocalSettings, Settings, load_settings
from pipeline.errors import UsageError
from pipeline.llm.choice import provider_name
from pipeline.llm.embedded import MODELS
from pipeline.llm.openai_provider import OpenAIProvider
from pipeline.llm.server_check import ServerReport, check_server
from pipeline.provider_names import AUTO

# Seconds each server check may take; seconds the embedded model's whole check may take (load and two answers).
SERVER_TIMEOUT, LOCAL_TIMEOUT = 30.0, 120.0


@click.command()
@click.option(
    "--provider",
    type=click.Choice([AUTO, "openai", "local"]),
    default=AUTO,
    show_default=True,
    help="openai: the server at OPENAI_BASE_URL; local: the embedded model, loaded in a child process; "
    "auto: the provider a run would use (openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else local).",
)
@click.option(
    "--model",
    metavar="NAME",
    help="The model to ask: a server's model name (default: genpost.yml's llm.models, the plan stage's); "
    f"with the embedded model, {' or '.join(MODELS)} or a GGUF file (default: llm.local).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help=f"Seconds each server check may take in all (default {SERVER_TIMEOUT:g}); with the embedded model, "
    f"seconds its whole check may take, loading included (default {LOCAL_TIMEOUT:g}).",
)
@verbose_option
def doctor(provider: str, model: str | None, timeout: float | None) -> int:
    """Check what the server at OPENAI_BASE_URL takes (streaming, json_schema, json_object, usage) with a few
    tiny requests, or whether the embedded model loads and answers (plain and JSON, with tokens per second);
    exit 1 if genpost cannot work with it, 2 if a server is asked for and none is configured."""
    settings = load_settings()
    if provider == AUTO:
        provider = provider_name(settings.llm)
        if provider not in ("openai", "local"):
            raise UsageError(f"genpost doctor checks the openai and local providers, not {provider!r}: pass --provider")
    if provider == "local":
        from pipeline.llm.probe import check_local

        verbose = logging.getLogger().isEnabledFor(logging.INFO)
        local = _local_settings(settings, model)
        return 0 if check_local(local, timeout or LOCAL_TIMEOUT, click.echo, verbose) else 1
    if not (os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY")):
        raise UsageError("no server is configured: set OPENAI_BASE_URL (and OPENAI_API_KEY if the server needs one)")
    timeout = timeout or SERVER_TIMEOUT
    report = asyncio.run(_check(model or settings.llm.model_for("plan"), timeout, settings.llm.stream))
    for line in report.lines():
        click.echo(line)
    return 0 if report.usable else 1


def _local_settings(settings: Settings, model: str | None) -> LocalSettings:
    """llm.local, with --model's packaged model or GGUF file instead of its own."""
    if not model:
        return settings.llm.local
    if model in MODELS:
        return settings.llm.local.model_copy(update={"model": model, "model_path": None, "sha256": None})
    return settings.llm.local.model_copy(update={"model_path": model, "sha256": None})


async def _check(model: str, timeout: float, stream_setting: bool) -> ServerReport:
    provider = OpenAIProvider(timeout)
    try:
        return await check_server(provider, model, timeout, stream_setting)
    finally:
        await provider.close()
