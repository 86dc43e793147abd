"""Shared fixtures: an isolated cache, quiet progress bars, and a runner for CLI smoke tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # One cache for the whole session (corpora, tokenizers, trained tiny models, the SmolLM2 conversion), isolated
    # from the user's unless TENFOLD_CACHE is set on purpose (reusing it makes repeated runs faster).
    if "TENFOLD_CACHE" not in os.environ:
        import tempfile

        os.environ["TENFOLD_CACHE"] = tempfile.mkdtemp(prefix="tenfold-test-cache-")
    os.environ["TENFOLD_PROGRESS"] = "0"


@pytest.fixture
def cli(tmp_path: Path):
    """Run ``tenfold ARGS...`` in a subprocess (cwd = a temporary directory); returns the CompletedProcess."""

    def run(*args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "tenfold", *map(str, args)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "TENFOLD_PROGRESS": "0"},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"tenfold {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    return run


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """A user error: exit code 2, one line on stderr naming the problem, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("tenfold: error:"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
