"""What the commands share: options, argument checks, and one async context for setup and teardown."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

from pipeline import inputs, provider_names
from pipeline.config import Settings, load_settings
from pipeline.errors import UsageError
from pipeline.instincts import Instinct, load_instincts
from pipeline.llm import Gateway
from pipeline.llm.choice import fit_to_model, make_provider
from pipeline.memory import TopicMemory
from pipeline.prompts import PromptBook
from pipeline.store import ensure_writable
from pipeline.types import CallRecord
from pipeline.voice.follow import fit_lengths
from pipeline.voice.profile import VoiceProfile, load_voice
from pipeline.writing.job import Desk

PATH = click.Path(path_type=Path)


class VariadicCommand(click.Command):
    """A command whose variadic options take every value up to the next option (`--keywords a b c`).

    click's options take one value each; the values are spread over repeated options
    (`--keywords a --keywords b --keywords c`) before click parses them, as argparse's
    nargs="+" reads them.
    """

    def __init__(self, *args: Any, variadic: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variadic = tuple(variadic)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread(args, self.variadic))


def spread(args: list[str], names: Sequence[str]) -> list[str]:
    """`--keywords a b --out x` → `--keywords a --keywords b --out x`."""
    out: list[str] = []
    current, fresh = None, False
    for arg in args:
        if arg in names:
            current, fresh = arg, True
        elif arg.startswith("-") and arg != "-":
            current = None
        elif current is not None:
            if not fresh:
                out.append(current)
            fresh = False
        out.append(arg)
    return out


def _verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        logging.getLogger().setLevel(logging.INFO)


def verbose_option(command: Callable) -> Callable:
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_verbose,
        help="Log each stage and model call to stderr (and a traceback on an unexpected error).",
    )(command)


def out_option(command: Callable) -> Callable:
    return click.option(
        "--out", type=PATH, metavar="DIR", default=Path("out"), show_default=True, help="The drafts folder."
    )(command)


def site_option(command: Callable) -> Callable:
    return click.option(
        "--site",
        type=PATH,
        metavar="DIR",
        help="A Jekyll site root (with _posts/), whose posts give the related posts, topic memory and links.",
    )(command)


# Set in a context's meta to list the built-in providers only (the README's options table, whatever is installed).
BUILTIN_PROVIDERS_ONLY = "genpost.builtin_providers_only"


class ProviderName(click.ParamType):
    """A registered provider's name. The names are asked for when a name is checked or the help is shown,
    never when the command line is built; listing the names imports no provider or plugin."""

    name = "provider"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        plugins = not (ctx and ctx.meta.get(BUILTIN_PROVIDERS_ONLY))
        return "[" + "|".join(provider_names.names(plugins=plugins)) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not provider_names.is_known(value):
            self.fail(provider_names.unknown(value), param, ctx)
        return value

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        return [CompletionItem(name) for name in provider_names.names() if name.startswith(incomplete)]


def model_options(command: Callable) -> Callable:
    command = click.option(
        "--provider",
        type=ProviderName(),
        help="openai: any OpenAI-compatible Chat Completions API; local: the embedded model; or the name of an "
        "installed provider plugin (default: openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else local).",
    )(command)
    return click.option(
        "--model", metavar="NAME", help="One model for every stage (default: per stage from genpost.yml)."
    )(command)


def judged_by() -> tuple[Settings, dict[str, Instinct], VoiceProfile | None]:
    """The settings, instincts and site voice (voice.yml) that `check`, the editor's save and publish judge a
    post by, the body's range fitted to the voice as the drafting run fits it."""
    settings, voice = load_settings(), load_voice()
    fit_lengths(settings, voice)
    return settings, load_instincts(), voice


def check_site(site: Path | None) -> None:
    """A --site must be a Jekyll site: it has a _posts/ directory."""
    if site is not None and not (site / "_posts").is_dir():
        raise UsageError(f"--site {site} has no _posts/ directory")


def check_out(out: Path) -> None:
    """An --out to read drafts from must exist."""
    if not out.is_dir():
        raise UsageError(f"--out {out} is not a directory")


def parse_date(text: str | None, settings: Settings) -> datetime:
    """An aware datetime; a naive --date is read in the site's timezone."""
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r} is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.site.zone)
    return inputs.in_range(moment, settings.site.zone)


def progress_printer() -> Callable[[CallRecord], None]:
    """One line per finished model call, for a person watching a terminal."""

    def show(call: CallRecord) -> None:
        line = f"genpost: {call.stage} {call.part} ({call.completion_tokens} tokens, {call.duration_s:.1f}s)"
        print(line, file=sys.stderr, flush=True)

    return show


@asynccontextmanager
async def open_desk(
    settings: Settings,
    instincts: dict[str, Instinct],
    out: Path,
    site: Path | None,
    provider: str | None = None,
    model: str | None = None,
    per_call_lines: bool = True,
) -> AsyncIterator[Desk]:
    """The desk a command writes posts at: topic memory and the model gateway, closed again on the way out."""
    ensure_writable(out)
    voice = load_voice()  # voice.yml: a broken one is one line before any model is loaded
    fit_to_model(settings, provider)
    async with AsyncExitStack() as stack:
        memory = TopicMemory(out / ".genpost" / "memory.sqlite", site)
        stack.callback(memory.close)
        quiet = not per_call_lines or not sys.stderr.isatty() or logging.getLogger().isEnabledFor(logging.INFO)
        gateway = Gateway(
            make_provider(settings.llm, provider),
            settings.llm,
            PromptBook(),
            model_override=model,
            progress=None if quiet else progress_printer(),
        )
        stack.push_async_callback(gateway.close)
        yield Desk(settings, instincts, gateway, out, memory, voice)
