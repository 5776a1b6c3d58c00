"""`genpost doctor`: what the configured OpenAI-compatible server takes, and what genpost will use with it."""

from __future__ import annotations

import asyncio
import os

import click

from pipeline.cli.common import verbose_option
from pipeline.config import load_settings
from pipeline.errors import UsageError
from pipeline.llm.openai_provider import OpenAIProvider
from pipeline.llm.server_check import ServerReport, check_server


@click.command()
@click.option("--model", help="The model to ask (default: genpost.yml's llm.models, the plan stage's).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds each check request may take.",
)
@verbose_option
def doctor(model: str | None, timeout: float) -> int:
    """Check what the server at OPENAI_BASE_URL takes (streaming, json_schema, json_object, usage) with a few
    tiny requests; exit 1 if genpost cannot work with it, 2 if no server is configured."""
    if not (os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY")):
        raise UsageError("no server is configured: set OPENAI_BASE_URL (and OPENAI_API_KEY if the server needs one)")
    settings = load_settings()
    report = asyncio.run(_check(model or settings.llm.model_for("plan"), timeout, settings.llm.stream))
    for line in report.lines():
        click.echo(line)
    return 0 if report.usable else 1


async def _check(model: str, timeout: float, stream_setting: bool) -> ServerReport:
    provider = OpenAIProvider(timeout)
    try:
        return await check_server(provider, model, timeout, stream_setting)
    finally:
        await provider.close()
