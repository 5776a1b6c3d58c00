"""The command line itself: every option explains itself, usage errors are one line and exit 2."""

from __future__ import annotations

import click
import pytest

from pipeline.cli import cli
from pipeline.cli.common import spread
from pipeline.cli.options_doc import rows, with_options_table
from pipeline.instincts import load_instincts
from pipeline.settings_doc import README


def every_command() -> list[tuple[str, click.Command]]:
    return [("genpost", cli), *((f"genpost {name}", command) for name, command in cli.commands.items())]


@pytest.mark.parametrize(("name", "command"), every_command(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_option_explains_itself(name, command):
    assert command.help, f"{name} has no description"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help and len(param.help) > 10, f"{name} {param.opts} has no help"


def test_root_help_lists_the_commands_and_the_default_options(genpost):
    run = genpost("--help")
    assert run.code == 0
    for name in ("batch", "check", "drafts", "publish", "reject", "review", "write*"):
        assert name in run.stdout
    for option in ("--instinct KEY", "--keywords KW [KW ...]", "--auto", "--fresh"):
        assert option in run.stdout


@pytest.mark.parametrize("command", ["write", "batch", "check", "drafts", "publish", "reject", "review"])
def test_each_command_has_help(genpost, command):
    run = genpost(command, "--help")
    assert run.code == 0 and "--help" in run.stdout and "Usage: genpost " in run.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--instinct", "learning", "--keywords", "x", "--bogus"),
        ("--instinct", "learning", "--keywords", "x", "--structure", "essay"),
        ("--instinct", "learning", "--keywords", "x", "--provider", "cloud"),
        ("batch", "--count", "zero"),
        ("batch", "--count", "0"),
        ("publish", "draft.md"),
        ("reject", "draft.md"),
        ("check",),
        ("nonsense-command",),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(genpost, args):
    run = genpost(*args)
    assert run.code == 2, run.stderr
    assert run.stderr.startswith("genpost: error: ") and run.stderr.count("\n") == 1, run.stderr


def test_variadic_options_take_values_up_to_the_next_option():
    args = ["--keywords", "a b", "c", "--out", "x", "--keywords", "d"]
    assert spread(args, ["--keywords"]) == ["--keywords", "a b", "--keywords", "c", "--out", "x", "--keywords", "d"]
    assert spread(["check", "f.md", "--json"], ["--keywords"]) == ["check", "f.md", "--json"]


def test_version(genpost):
    run = genpost("--version")
    assert run.code == 0 and "genpost" in run.stdout


def test_the_readme_options_table_is_current():
    readme = README.read_text(encoding="utf-8")
    assert with_options_table(readme) == readme, (
        "the README's options table is stale: run `python -m pipeline.settings_doc --write`"
    )


def test_the_options_table_is_the_help_of_every_option_but_help():
    documented = dict(rows())
    assert "--provider [openai|local]" in documented and "--polish / --no-polish" in documented
    assert not any("--help" in option for option in documented)
    write = cli.commands["write"]
    assert len(documented) == sum(isinstance(p, click.Option) for p in write.params)


def test_the_instinct_help_names_the_shipped_instincts():
    help_text = dict(rows())["--instinct KEY"]
    named = help_text.split("(the shipped file's: ", 1)[1].split(")", 1)[0].split(", ")
    assert named == list(load_instincts()), "the --instinct help lists another set of instincts than instincts.yml"
