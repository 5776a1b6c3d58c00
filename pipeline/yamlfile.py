"""Reading YAML settings files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.errors import UsageError

M = TypeVar("M", bound=BaseModel)

# What a YAML document genpost reads may hold: a few aliases (a `<<: *defaults` merge), never a "billion laughs".
MAX_ALIASES = 100
MAX_NODES = 100_000  # nodes once every alias is expanded
REFUSED = "refused unread"  # in the problem of every document refused for its size


class Refused(yaml.MarkedYAMLError):
    """A YAML document refused before it is built: too many aliases, an expansion beyond `MAX_NODES`, an alias
    inside the node it names, or nesting too deep to read."""

    def __init__(self, why: str, mark: yaml.Mark | None = None) -> None:
        super().__init__(problem=f"{REFUSED}: {why}", problem_mark=mark)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting aliases as it composes and sizing the document before it is built."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise Refused(f"it uses more than {MAX_ALIASES} aliases", self.peek_event().start_mark)
        return super().compose_node(parent, index)

    def compose_document(self) -> yaml.Node:
        node = super().compose_document()
        _expanded_size(node)
        return node


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document holds with its aliases expanded; Refused beyond `MAX_NODES` or for a loop.
    Each node is sized once (an alias shares its node), so this costs the composed document's size."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise Refused("an alias stands inside the node it names", node.start_mark)
        open_nodes.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise Refused(f"its aliases expand it beyond {MAX_NODES:,} nodes", node.start_mark)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(root) if root is not None else 0


def safe_load(text: str) -> Any:
    """`yaml.safe_load` for YAML from outside genpost (a site's front matter and `_config.yml`): a document whose
    aliases would make it huge (a "billion laughs"), or that nests too deep, is a `Refused` (a YAMLError)."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise Refused("it nests too deeply") from None
    finally:
        loader.dispose()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes a UsageError naming file and line."""
    text = _read(path)
    try:
        return safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise UsageError(f"{where}: {problem}") from None


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line (1-based) of the deepest node on `loc` that exists in the YAML text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                break
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def load_validated(model: type[M], path: Path) -> M:
    """Parse and validate a YAML file; the first problem becomes one line naming file, line and key."""
    data = load_yaml(path)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        where = f"{path}:{_line_of(_read(path), loc) or 1}"
        raise UsageError(f"{where}: {'.'.join(str(p) for p in loc) or '(top)'}: {err['msg']}") from None
