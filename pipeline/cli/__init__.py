"""The command line: parses, calls the stages, maps errors to exit codes.

`genpost --instinct … --keywords …` runs the default command, `write`; the others are
named (`genpost check …`). Every error is one line on stderr: 2 for bad usage or input,
1 for a failed run, never a traceback (unless -v, for a bug).
"""

from __future__ import annotations

import logging
import sys
import traceback

import click
from click_default_group import DefaultGroup

from pipeline import __version__
from pipeline.cli.batch import batch
from pipeline.cli.briefs import approve_command, brief_command
from pipeline.cli.doctor import doctor
from pipeline.cli.editing import check, drafts, publish_command, reject_command, review
from pipeline.cli.refresh import refresh
from pipeline.cli.report import report
from pipeline.cli.voice import voice
from pipeline.cli.write import write
from pipeline.errors import GenpostError


class Genpost(DefaultGroup):
    """`genpost [OPTIONS]` writes a post; `genpost COMMAND` runs another command.

    The help lists the default command's options, since `genpost --instinct …` is how it is used.
    """

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        default = self.commands[self.default_cmd_name]
        rows = [row for param in default.get_params(ctx) if (row := param.get_help_record(ctx))]
        with formatter.section("Options (writing a post, the default command)"):
            formatter.write_dl(rows)
        self.format_commands(ctx, formatter)


@click.group(
    cls=Genpost, default="write", default_if_no_args=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, "--version", help="Show genpost's version and exit.")
def cli() -> None:
    """Write Japanese psychology-marketing blog posts as Jekyll drafts, check them and publish them."""


for command in (write, check, batch, drafts, publish_command, reject_command, review, doctor, refresh):
    cli.add_command(command)
cli.add_command(voice)
cli.add_command(brief_command)
cli.add_command(approve_command)
cli.add_command(report)


def main(argv: list[str] | None = None) -> int:
    """Run genpost; returns the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    logging.basicConfig(level=logging.WARNING, format="genpost: %(message)s", stream=sys.stderr, force=True)
    for noisy in ("httpx", "openai", "bm25s", "trafilatura", "htmldate", "courlan", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        code = cli.main(args=args, prog_name="genpost", standalone_mode=False)
    except click.ClickException as exc:
        print(f"genpost: error: {one_line(exc.format_message())}", file=sys.stderr)
        return exc.exit_code
    except GenpostError as exc:
        print(f"genpost: error: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        print("genpost: interrupted; finished stages are checkpointed, run the same command to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line; the traceback only with -v
        if logging.getLogger().isEnabledFor(logging.INFO):
            traceback.print_exc()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"genpost: error: unexpected {type(exc).__name__}: {one_line(first)}", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0


def one_line(text: str, limit: int = 400) -> str:
    """An error as one line on stderr: line breaks and control characters shown as spaces, long text cut."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
