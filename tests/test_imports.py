"""The package's import graph (tools/imports.py): no cycles, every kind of import counted."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("imports_tool", ROOT / "tools" / "imports.py")
imports = importlib.util.module_from_spec(spec)
spec.loader.exec_module(imports)


def test_the_package_has_no_import_cycle():
    assert imports.cycles(imports.graph()) == []


def write(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")


def test_lazy_and_type_checking_imports_and_a_package_run_first_are_edges(tmp_path):
    write(
        tmp_path,
        {
            "pipeline/__init__.py": "",
            "pipeline/config.py": """
                def check():
                    from pipeline.llm.names import known
                """,
            "pipeline/llm/__init__.py": "from pipeline.llm.gateway import Gateway\n",
            "pipeline/llm/names.py": "",
            "pipeline/llm/gateway.py": """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from pipeline.config import Settings
                """,
        },
    )
    edges = imports.graph(tmp_path)
    assert edges["pipeline.config"] == {"pipeline.llm.names", "pipeline.llm"}, "the package's __init__ runs first"
    assert edges["pipeline.llm"] == {"pipeline.llm.gateway"}, "a package's own modules need not run it again"
    assert edges["pipeline.llm.gateway"] == {"pipeline.config"}
    assert imports.cycles(edges) == [["pipeline.config", "pipeline.llm", "pipeline.llm.gateway"]]
