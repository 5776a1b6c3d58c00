"""Search Console's Performance export, read as Search Console writes it: the ZIP that Export → Download CSV gives
(`Queries.csv`, `Pages.csv`, `Countries.csv`, `Devices.csv`, `Dates.csv`, `Filters.csv`), or its `Pages.csv` and
`Queries.csv` on their own.

Each table's first column is the page or the query (`Top pages` / `上位のページ`, `Top queries` / `上位のクエリ`);
the others are clicks, impressions, CTR (a percent string) and position, once for a single period or twice in
compare mode (`Last 3 months Clicks` / `Previous 3 months Clicks`; the Japanese interface's クリック数, 表示回数,
CTR, 掲載順位 likewise). The period a column is for is read from its header (the previous one says so), else from
its order (the current period first).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import UsageError

MAX_BYTES = 50_000_000  # a file (or a ZIP member) larger than this is refused
MAX_ROWS = 200_000
METRICS = {
    "clicks": ("clicks", "クリック数", "クリック"),
    "impressions": ("impressions", "表示回数", "インプレッション"),
    "ctr": ("ctr",),
    "position": ("position", "掲載順位", "平均掲載順位"),
}
PREVIOUS = ("previous", "前の", "前回", "以前", "比較")
KEYS = {
    "page": ("top pages", "page", "pages", "上位のページ", "ページ"),
    "query": ("top queries", "query", "queries", "上位のクエリ", "クエリ"),
}


@dataclass(frozen=True)
class Period:
    """One period's figures for a page or a query."""

    clicks: float = 0.0
    impressions: float = 0.0
    ctr: float = 0.0  # a share, 0–1
    position: float = 0.0  # 0: not known


@dataclass(frozen=True)
class Row:
    """A page (its URL) or a query, and its figures now and (in compare mode) before."""

    key: str
    now: Period
    before: Period | None = None


@dataclass
class Export:
    """What an export holds: its pages and its queries, and whether it compares two periods."""

    pages: list[Row] = field(default_factory=list)
    queries: list[Row] = field(default_factory=list)
    source: str = ""
    page_queries: list[tuple[str, str, Period]] = field(default_factory=list)  # (page, query, now): the API's

    @property
    def compares(self) -> bool:
        return any(r.before is not None for r in self.pages)


def read_export(path: Path) -> Export:
    """The export at `path`: a ZIP, a folder holding the CSVs, or one CSV (`Pages.csv` or `Queries.csv`, told
    apart by its first column). A file that is not one is a UsageError naming it (exit 2)."""
    if path.is_dir():
        tables = {p.name: _read_bytes(p) for p in path.glob("*.csv")}
    elif zipfile.is_zipfile(path):
        tables = _zip_tables(path)
    elif path.is_file():
        tables = {path.name: _read_bytes(path)}
    else:
        raise UsageError(f"{path}: no such file")
    export = Export(source=str(path))
    for name, data in tables.items():
        kind, rows = _table(name, data, path)
        if kind == "page":
            export.pages += rows
        elif kind == "query":
            export.queries += rows
    if not export.pages and not export.queries:
        raise UsageError(f"{path}: no Pages.csv or Queries.csv of a Search Console export")
    return export


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(f"{path}: larger than {MAX_BYTES:,} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _zip_tables(path: Path) -> dict[str, bytes]:
    tables = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = Path(info.filename).name
                if not name.lower().endswith(".csv") or info.is_dir():
                    continue
                if info.file_size > MAX_BYTES:
                    raise UsageError(f"{path}: {name} is larger than {MAX_BYTES:,} bytes")
                tables[name] = archive.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise UsageError(f"{path}: not a readable ZIP ({exc})") from None
    return tables


def _table(name: str, data: bytes, path: Path) -> tuple[str | None, list[Row]]:
    """A table's kind (page, query, or None for the others) and its rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: {name} is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise UsageError(f"{path}: {name}: {exc}") from None
    if not header:
        return None, []
    kind = _kind(header[0])
    if kind is None:
        return None, []  # Countries, Devices, Dates, Filters: not read
    columns = _columns(header[1:], path, name)
    rows = []
    try:
        for number, cells in enumerate(reader, 2):
            if not cells or not cells[0].strip():
                continue
            if number > MAX_ROWS:
                raise UsageError(f"{path}: {name} has more than {MAX_ROWS:,} rows")
            rows.append(_row(cells, columns, path, name, number))
    except csv.Error as exc:
        raise UsageError(f"{path}: {name}: {exc}") from None
    return kind, rows


def _kind(first: str) -> str | None:
    text = first.strip().lower()
    for kind, names in KEYS.items():
        if text in names:
            return kind
    return None


def _columns(headers: list[str], path: Path, name: str) -> dict[tuple[str, bool], int]:
    """Each (metric, previous?) → its column (1-based, after the key)."""
    found: dict[tuple[str, bool], int] = {}
    for number, header in enumerate(headers, 1):
        text = header.strip().lower()
        metric = next((m for m, words in METRICS.items() if any(w in text for w in words)), None)
        if metric is None:
            continue
        previous = any(w in text for w in PREVIOUS) or (metric, False) in found
        found.setdefault((metric, previous), number)
    missing = [m for m in ("clicks", "impressions") if (m, False) not in found]
    if missing:
        raise UsageError(f"{path}: {name} has no {' or '.join(missing)} column (is it a Search Console export?)")
    return found


def _row(cells: list[str], columns: dict[tuple[str, bool], int], path: Path, name: str, line: int) -> Row:
    def period(previous: bool) -> Period:
        values = {}
        for metric in METRICS:
            at = columns.get((metric, previous))
            raw = cells[at] if at is not None and at < len(cells) else ""
            values[metric] = _number(raw, path, name, line)
            if metric == "ctr" and ("%" in raw or values[metric] > 1):  # "4.5%": a percent
                values[metric] /= 100
        return Period(**values)

    before = period(True) if ("clicks", True) in columns else None
    return Row(cells[0].strip(), period(False), before)


def _number(text: str, path: Path, name: str, line: int) -> float:
    value = text.strip().replace(",", "").replace("%", "")
    if not value or value in ("-", "—"):
        return 0.0
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"{path}: {name}:{line}: {text!r} is not a number") from None
