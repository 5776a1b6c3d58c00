"""Where genpost finds its files: the project root holds the shipped defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def resource(name: str) -> Path:
    """Find a settings file or folder: $GENPOST_HOME, then the working directory, then the project."""
    home = os.environ.get("GENPOST_HOME")
    candidates = [Path(home)] if home else []
    candidates += [Path.cwd(), PROJECT_ROOT]
    for base in candidates:
        path = base / name
        if path.exists():
            return path
    return PROJECT_ROOT / name
