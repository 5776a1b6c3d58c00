"""The dependency lock, `requirements/lock.txt`: every package genpost, its extras and its builds install, pinned.

`make lock` writes it with uv (`uv pip compile`) and then stamps it here with a digest of what
pyproject.toml and requirements/build.in ask for; `make install` and `make test` install through it
as a pip constraints file. `python tools/lockfile.py check` names what is out of date: a digest that
no longer matches, a requirement the lock does not pin or pins outside its range, or an open-ended
llama-cpp-python (a bump of the native build is a deliberate change).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
BUILD = ROOT / "requirements" / "build.in"
DIGEST_PREFIX = "# requirements-sha256: "
PINNED_EXACTLY = ("llama-cpp-python",)
#: The Python the lock is checked for (its markers are universal; this one is the floor).
PYTHON = {"python_version": "3.11", "python_full_version": "3.11.0"}


def requirements(root: Path = ROOT) -> list[Requirement]:
    """What pyproject.toml (dependencies and every extra) and build.in ask for, genpost's own extras left out."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    lines.extend(_lines((root / "requirements" / "build.in").read_text(encoding="utf-8")))
    found = [Requirement(line) for line in lines]
    return [req for req in found if canonicalize_name(req.name) != canonicalize_name(project["name"])]


def digest(root: Path = ROOT) -> str:
    """A digest of every requirement and the supported Pythons: it changes when the lock must."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    asked = {
        "requires-python": project.get("requires-python", ""),
        "requirements": sorted(str(req) for req in requirements(root)),
    }
    return hashlib.sha256(json.dumps(asked, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def pins(lock_text: str) -> dict[str, list[Requirement]]:
    """The lock's pins by package name (a package may have one pin per Python marker)."""
    found: dict[str, list[Requirement]] = {}
    for line in _lines(lock_text):
        req = Requirement(line)
        found.setdefault(canonicalize_name(req.name), []).append(req)
    return found


def problems(root: Path = ROOT) -> list[str]:
    """Why the lock is out of date with pyproject.toml, one line each; empty when it is not."""
    lock = root / "requirements" / "lock.txt"
    if not lock.is_file():
        return [f"{lock.relative_to(root)} is missing: run `make lock`"]
    text = lock.read_text(encoding="utf-8")
    found: list[str] = []
    stamped = next(
        (line[len(DIGEST_PREFIX) :].strip() for line in text.splitlines() if line.startswith(DIGEST_PREFIX)), ""
    )
    if stamped != digest(root):
        found.append("pyproject.toml or requirements/build.in changed since the lock was written: run `make lock`")
    locked = pins(text)
    environment = {**default_environment(), **PYTHON}
    for req in requirements(root):
        if req.marker is not None and not req.marker.evaluate({**environment, "extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in PINNED_EXACTLY and not _exact(req):
            found.append(f"{req.name} must be pinned with == in pyproject.toml (it is {req.specifier or 'open'})")
        versions = [
            next(iter(pin.specifier)).version
            for pin in locked.get(name, [])
            if pin.marker is None or pin.marker.evaluate(environment)
        ]
        if not versions:
            found.append(f"{req.name} is not in the lock: run `make lock`")
        elif not all(req.specifier.contains(version, prereleases=True) for version in versions):
            found.append(f"the lock pins {req.name} {', '.join(versions)}, outside {req.specifier}: run `make lock`")
    return found


def stamp(root: Path = ROOT) -> None:
    """Write the digest line into the lock, after uv's header."""
    lock = root / "requirements" / "lock.txt"
    lines = [line for line in lock.read_text(encoding="utf-8").splitlines() if not line.startswith(DIGEST_PREFIX)]
    lines.insert(0, f"{DIGEST_PREFIX}{digest(root)}")
    lock.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _exact(req: Requirement) -> bool:
    return len(req.specifier) == 1 and next(iter(req.specifier)).operator == "=="


def _lines(text: str) -> list[str]:
    """Requirement lines: comments, blanks and pip options dropped, uv's `\\` continuations joined."""
    joined = text.replace("\\\n", " ")
    kept = (line.split(" #", 1)[0].strip() for line in joined.splitlines())
    return [line for line in kept if line and not line.startswith(("#", "-"))]


def main(argv: list[str]) -> int:
    """`stamp` or `check` (the default)."""
    if argv[1:] == ["stamp"]:
        stamp()
        return 0
    found = problems()
    for line in found:
        print(f"lock: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
