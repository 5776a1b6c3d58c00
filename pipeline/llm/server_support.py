"""What an OpenAI-compatible server takes, learnt from what it refuses; kept in memory per base URL.

Servers differ: some take `response_format` `json_schema`, some only `json_object` (with or
without a schema), some neither; some refuse `stream_options`, some cannot stream. Each
request is sent in a `Form`: how its answer is asked for and how it is streamed. A request
that comes back 400, 422 or 500 while carrying a feature not yet seen working is tried once
more right away in the next-simpler form; only when that form succeeds is the feature
recorded as refused. When it took several steps down, only the last feature dropped is
blamed; the ones before it stay unknown and the next call tries them again. A 500 for a
form whose features have all worked before is just a failure, retried by the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit, urlunsplit

# How a JSON answer is asked for, richest first: a strict schema; JSON mode given the schema;
# the schema in the prompt (always validated and re-asked by answers.py).
JSON_SCHEMA, JSON_OBJECT, PROMPT, TEXT = "json_schema", "json_object", "prompt", "text"
ANSWER_LADDER = (JSON_SCHEMA, JSON_OBJECT, PROMPT)
# How an answer comes back, richest first: streamed with a usage chunk; streamed; whole.
STREAM_USAGE, STREAM, WHOLE = "stream_usage", "stream", "whole"
STREAM_LADDER = (STREAM_USAGE, STREAM, WHOLE)

# The features a form can carry, in the order they are suspected when a request is refused.
FEATURES = ("json_schema", "stream_options", "json_object", "streaming")
# Statuses a server answers a feature it does not take with (a 500 is also a real failure).
REFUSALS = frozenset({400, 422, 500})


@dataclass(frozen=True)
class Form:
    """How one request goes on the wire."""

    answer: str  # json_schema, json_object, prompt, or text (no schema)
    stream: str  # stream_usage, stream or whole

    def __str__(self) -> str:
        return f"{self.answer} answers, {self.stream.replace('_', ' with ')}"

    @property
    def features(self) -> tuple[str, ...]:
        """The features this form asks the server for, in suspicion order."""
        has = {
            "json_schema": self.answer == JSON_SCHEMA,
            "stream_options": self.stream == STREAM_USAGE,
            "json_object": self.answer == JSON_OBJECT,
            "streaming": self.stream in (STREAM_USAGE, STREAM),
        }
        return tuple(name for name in FEATURES if has[name])


@dataclass
class ServerSupport:
    """What one server was seen to take (True), to refuse (False), or not yet known (absent)."""

    works: dict[str, bool] = field(default_factory=dict)
    refused_with: dict[str, int] = field(default_factory=dict)  # feature → the HTTP status it was refused with
    usage_in_stream: bool | None = None  # a stream with stream_options brought a usage chunk

    def first_form(self, has_schema: bool, streamed: bool) -> Form:
        """The richest form not known to be refused."""
        answer = self._usable(ANSWER_LADDER, _ANSWER_FEATURE) if has_schema else TEXT
        stream = self._usable(STREAM_LADDER, _STREAM_FEATURE) if streamed else WHOLE
        return Form(answer, stream)

    def suspect(self, form: Form) -> str | None:
        """The feature to blame when `form` is refused: the first it carries that has not worked before."""
        return next((name for name in form.features if self.works.get(name) is not True), None)

    def without(self, form: Form, feature: str) -> Form:
        """The next-simpler form: `feature` dropped, skipping levels already known to be refused."""
        if feature in ("json_schema", "json_object"):
            rest = ANSWER_LADDER[ANSWER_LADDER.index(form.answer) + 1 :]
            return replace(form, answer=self._usable(rest, _ANSWER_FEATURE))
        rest = STREAM_LADDER[STREAM_LADDER.index(form.stream) + 1 :]
        return replace(form, stream=self._usable(rest, _STREAM_FEATURE))

    def worked(self, form: Form) -> None:
        for name in form.features:
            self.works[name] = True

    def refused(self, feature: str, status: int) -> None:
        self.works[feature] = False
        self.refused_with[feature] = status

    def _usable(self, ladder: tuple[str, ...], needs: dict[str, tuple[str, ...]]) -> str:
        """The first level of `ladder` none of whose features is known to be refused."""
        for level in ladder:
            if all(self.works.get(feature) is not False for feature in needs[level]):
                return level
        return ladder[-1]


_ANSWER_FEATURE = {JSON_SCHEMA: ("json_schema",), JSON_OBJECT: ("json_object",), PROMPT: ()}
_STREAM_FEATURE = {STREAM_USAGE: ("stream_options", "streaming"), STREAM: ("streaming",), WHOLE: ()}

_KNOWN: dict[str, ServerSupport] = {}


def public_url(url: str) -> str:
    """The base URL as it may be shown: no user or password, query or fragment, no trailing slash."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def support_for(base_url: str) -> ServerSupport:
    """What this process has learnt about the server at `base_url`."""
    return _KNOWN.setdefault(public_url(base_url), ServerSupport())


def forget(base_url: str | None = None) -> None:
    """Forget one server (or every server): the next request finds out again."""
    if base_url is None:
        _KNOWN.clear()
    else:
        _KNOWN.pop(public_url(base_url), None)


def assume_everything(base_url: str) -> None:
    """Take it as known that the server takes every feature (a server whose support is not in question)."""
    support = ServerSupport(works=dict.fromkeys(FEATURES, True), usage_in_stream=True)
    _KNOWN[public_url(base_url)] = support


def describe_refusals(base_url: str, refusals: list[tuple[str, int]]) -> str:
    """One line: what the server refused, e.g. "the server at … refused json_schema (HTTP 500) and plain requests
    (HTTP 500)"."""
    items = [f"{_LABELS.get(name, name)} (HTTP {status})" for name, status in refusals]
    said = items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
    return f"the server at {public_url(base_url)} refused {said}"


_LABELS = {"plain": "plain requests"}
