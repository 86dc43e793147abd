"""The content-addressed cache: everything tenfold can rebuild (prepared corpora, tokenizers, trained models,
evaluations, generated replies, finished reproductions), each entry keyed by what made it.

An entry lives at ``$TENFOLD_CACHE/<kind>/<label>-<digest>/`` where ``digest`` is a SHA-256 over

* ``key``: the config and the hashes of the input data (any JSON-able value; dataclasses, paths and tuples too),
* ``code``: the source of the named packages (``code=("tenfold.latim",)``), when a change of the code that computes
  the entry must recompute it.

Writes are atomic: an entry is built in ``<entry>.partial/`` and renamed into place only when its builder returns,
so a killed run never leaves a half-written entry that a later run trusts. A builder that can resume (a trainer that
checkpoints) asks for ``resume=True`` and finds its partial directory as it left it; any other builder starts from
an empty one. A lock per entry makes two processes that want the same entry build it once.

::

    path = cached_dir("models", job, lambda out: train(job, out), resume=True)   # a directory
    table = cached("latim-evals", key, lambda: evaluate(...), code=("tenfold.latim",))   # a JSON value

``tenfold cache ls|du|clear [KIND]`` lists, sizes and clears entries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from tenfold.common.paths import cache_root

T = TypeVar("T")

META = "_entry.json"
"""Each entry's description: kind, label, key, code hashes, creation time and build seconds."""
PARTIAL = ".partial"
Codec = Literal["json", "pickle"]
_VALUE_FILE = {"json": "value.json", "pickle": "value.pkl"}


@functools.cache
def source_sha256(*packages: str) -> str:
    """SHA-256 over the ``.py`` files of the given packages (path and bytes, in sorted order).

    Computed once per process: the code of a running process does not change under it.
    """
    digest = hashlib.sha256()
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"'{name}' is not a package")
        root = Path(next(iter(spec.submodule_search_locations)))
        for file in sorted(root.rglob("*.py")):
            digest.update(file.relative_to(root).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def key_digest(key: Any, code: Sequence[str] = ()) -> str:
    """The SHA-256 (hex) of ``key``'s canonical JSON and of the source of the ``code`` packages."""
    from tenfold.common.config import to_jsonable

    blob = {"key": to_jsonable(key), "code": {pkg: source_sha256(pkg) for pkg in sorted(code)}}
    text = json.dumps(blob, sort_keys=True, separators=(",", ":"), default=str, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _safe_label(label: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in label)
    return keep.strip("-.")[:80]


def entry_path(kind: str, key: Any, code: Sequence[str] = (), label: str = "") -> Path:
    """Where the entry of ``(kind, key, code)`` lives (whether or not it exists yet)."""
    digest = key_digest(key, code)[:16]
    name = f"{_safe_label(label)}-{digest}" if label else digest
    return cache_root() / kind / name


def lookup(kind: str, key: Any, code: Sequence[str] = (), label: str = "") -> Path | None:
    """The finished entry's directory, or None."""
    path = entry_path(kind, key, code, label)
    return path if (path / META).exists() else None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path``'s entry across processes (released when the block ends or the process dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.parent / f".{path.name}.lock"
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _describe_key(key: Any) -> Any:
    from tenfold.common.config import to_jsonable

    value = to_jsonable(key)
    text = json.dumps(value, default=str)
    return value if len(text) <= 20_000 else {"sha256": hashlib.sha256(text.encode()).hexdigest()}


def cached_dir(
    kind: str,
    key: Any,
    build: Callable[[Path], Any],
    *,
    code: Sequence[str] = (),
    label: str = "",
    resume: bool = False,
) -> Path:
    """The entry's directory, built once by ``build(directory)``.

    Args:
        kind: the cache's sub-directory, e.g. ``"models"`` or ``"latim-evals"``.
        key: what identifies the entry (configs, data hashes); JSON-able.
        build: fills the directory it is given; its return value is ignored.
        code: packages whose source is part of the key.
        label: a readable prefix for the directory name.
        resume: keep a partial directory left by a killed build (the builder resumes from it).

    Returns:
        The finished entry's directory.
    """
    path = entry_path(kind, key, code, label)
    if (path / META).exists():
        return path
    with _locked(path):
        if (path / META).exists():  # built by another process while this one waited
            return path
        partial = path.with_name(path.name + PARTIAL)
        if partial.exists() and not resume:
            shutil.rmtree(partial)
        partial.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        build(partial)
        meta = {
            "kind": kind,
            "label": label,
            "key": _describe_key(key),
            "code": {pkg: source_sha256(pkg)[:16] for pkg in code},
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - t0, 3),
        }
        (partial / META).write_text(json.dumps(meta, indent=1) + "\n")
        if path.exists():  # an entry without its description is one a killed run left behind
            shutil.rmtree(path)
        os.replace(partial, path)
    return path


def cached(
    kind: str,
    key: Any,
    compute: Callable[[], T],
    *,
    code: Sequence[str] = (),
    label: str = "",
    codec: Codec = "json",
) -> T:
    """``compute()``'s value, computed once per ``(kind, key, code)`` and read back afterwards.

    ``codec="json"`` stores plain values (strict JSON: a NaN is written as ``NaN`` only inside, and read back);
    ``"pickle"`` any picklable object (a torch module, a dataclass).
    """
    holder: list[Any] = []

    def build(out: Path) -> None:
        value = compute()
        holder.append(value)
        _write_value(out / _VALUE_FILE[codec], value, codec)

    path = cached_dir(kind, key, build, code=code, label=label)
    if holder:
        return holder[0]
    return _read_value(path / _VALUE_FILE[codec], codec)


def _write_value(file: Path, value: Any, codec: Codec) -> None:
    if codec == "json":
        from tenfold.common.config import to_jsonable

        file.write_text(json.dumps(to_jsonable(value)))
    else:
        with open(file, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _read_value(file: Path, codec: Codec) -> Any:
    if codec == "json":
        return json.loads(file.read_text())
    with open(file, "rb") as fh:
        return pickle.load(fh)


# -- inspection (``tenfold cache``) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One finished cache entry."""

    kind: str
    name: str
    path: Path
    bytes: int
    created: str
    build_seconds: float | None


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def kinds() -> list[str]:
    """The kinds that have a directory in the cache."""
    root = cache_root()
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.exists() else []


def entries(kind: str | None = None) -> list[Entry]:
    """Finished entries (of ``kind``, or of every kind), oldest first within a kind.

    Directories that predate the content-addressed layout (no description file) are listed as entries too, so that
    ``du`` and ``clear`` see everything the cache holds.
    """
    out = []
    for k in [kind] if kind else kinds():
        folder = cache_root() / k
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.name.endswith(PARTIAL):
                continue
            meta: dict[str, Any] = {}
            with contextlib.suppress(OSError, ValueError):
                meta = json.loads((path / META).read_text())
            created = meta.get("created") or dt.datetime.fromtimestamp(path.stat().st_mtime).isoformat("T", "seconds")
            out.append(Entry(k, path.name, path, _size(path), created, meta.get("build_seconds")))
    return out


def partial_entries(kind: str | None = None) -> list[Path]:
    """Directories of builds that were interrupted (resumable ones are continued by the next build)."""
    roots = [cache_root() / kind] if kind else [cache_root() / k for k in kinds()]
    return [p for root in roots if root.is_dir() for p in sorted(root.glob(f"*{PARTIAL}"))]


def clear(kind: str | None = None) -> tuple[int, int]:
    """Remove the entries of ``kind`` (or the whole cache); returns (entries removed, bytes freed)."""
    removed = freed = 0
    for entry in entries(kind):
        freed += entry.bytes
        shutil.rmtree(entry.path) if entry.path.is_dir() else entry.path.unlink()
        removed += 1
    for partial in partial_entries(kind):
        freed += _size(partial)
        shutil.rmtree(partial)
    if kind is None:
        root = cache_root()
        for leftover in root.iterdir() if root.exists() else []:
            if leftover.is_dir() and not any(leftover.iterdir()):
                leftover.rmdir()
    return removed, freed


def human_bytes(n: float) -> str:
    """``1.5 MB`` style sizes (powers of 1,000)."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
