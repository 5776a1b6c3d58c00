"""Errors that end a run, each with the exit code the command line maps it to."""


class GenpostError(Exception):
    """A failure that ends the run with a one-line message (exit 1)."""

    exit_code = 1


class UsageError(GenpostError):
    """Bad usage or bad input: a flag, a value, a config file (exit 2)."""

    exit_code = 2


class ProviderError(GenpostError):
    """The model provider failed after its retries (exit 1)."""
