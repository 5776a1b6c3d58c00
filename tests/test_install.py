"""The install: every dependency locked, llama-cpp-python pinned, and llama.cpp built for any x86-64 with AVX2."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("lockfile", ROOT / "tools" / "lockfile.py")
lockfile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lockfile)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the files the lock is checked against."""
    (tmp_path / "requirements").mkdir()
    for name in ("pyproject.toml", "requirements/lock.txt", "requirements/build.in"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_lock_is_up_to_date_with_pyproject():
    assert lockfile.problems() == []


def test_a_missing_lock_is_named(project: Path):
    (project / "requirements" / "lock.txt").unlink()
    assert lockfile.problems(project) == ["requirements/lock.txt is missing: run `make lock`"]


def test_an_open_ended_llama_cpp_python_fails(project: Path):
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert '"llama-cpp-python==' in text
    pyproject.write_text(text.replace('"llama-cpp-python==0.3.36"', '"llama-cpp-python>=0.3.8"'), encoding="utf-8")
    found = lockfile.problems(project)
    assert "llama-cpp-python must be pinned with == in pyproject.toml (it is >=0.3.8)" in found
    assert any("changed since the lock was written" in line for line in found)


def test_a_requirement_the_lock_does_not_hold_fails(project: Path):
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace('"click>=8.1",', '"click>=8.1",\n    "no-such-package-xyz>=1",'), encoding="utf-8"
    )
    found = lockfile.problems(project)
    assert "no-such-package-xyz is not in the lock: run `make lock`" in found


def test_a_pin_outside_the_range_fails(project: Path):
    lock = project / "requirements" / "lock.txt"
    text = lock.read_text(encoding="utf-8")
    version = metadata.version("click")
    assert f"\nclick=={version}" in text
    lock.write_text(text.replace(f"\nclick=={version}", "\nclick==7.0"), encoding="utf-8")
    assert "the lock pins click 7.0, outside >=8.1: run `make lock`" in lockfile.problems(project)


SEEDED = {"pip", "setuptools"}  # what `python -m venv` puts in every venv; the lock pins setuptools for builds


def test_every_installed_package_has_the_locked_version():
    """make install and make test install through the lock: what is installed is what it pins."""
    pins = lockfile.pins((ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8"))
    environment = {"python_version": f"{sys.version_info[0]}.{sys.version_info[1]}"}
    checked, wrong = 0, []
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name in SEEDED:
            continue
        for pin in pins.get(name, []):
            if pin.marker is not None and not pin.marker.evaluate(environment):
                continue
            checked += 1
            wanted = next(iter(pin.specifier)).version
            if dist.version != wanted:
                wrong.append(f"{name} {dist.version} (lock: {wanted})")
    assert checked > 40, "the test environment holds the locked packages"
    assert wrong == []


def test_llama_cpp_is_the_portable_build():
    """The build does not depend on the machine it was made on: AVX2 on, AVX-512 off, whatever this CPU has."""
    stamps = list(Path(sys.prefix).glob(".llama-*-portable"))
    if not stamps:
        pytest.skip("llama-cpp-python was not installed by `make install` (LLAMA_CPU=portable)")
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    assert stamps[0].name == f".llama-{metadata.version('llama-cpp-python')}-portable"
    assert "AVX2 = 1" in info and "FMA = 1" in info and "F16C = 1" in info, info
    assert "AVX512 = 1" not in info, info
