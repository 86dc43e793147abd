"""Pynguin, the non-LLM baseline for Python: search-based test generation per module, as a generator.

Pynguin (``pynguin`` on PyPI) pins its own dependencies (``pytest<9`` among them), so it lives in its own virtual
environment in the cache, made on first use by :func:`ensure_pynguin` (PyPI only) or found on ``PATH``. It executes
the code under test while it searches, so it runs inside the same :class:`~.sandbox.Sandbox` as generated tests, with
``PYNGUIN_DANGER_AWARE`` set as Pynguin requires. Its tests for every module are returned as one reply in the
paper's format, so the sweep scores them exactly like a model's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from tenfold.common.paths import cache_dir
from tenfold.projecttest.generators import Reply
from tenfold.projecttest.project import Project, is_package, module_names
from tenfold.projecttest.runner_js import LaneUnavailable
from tenfold.projecttest.sandbox import Limits, Sandbox

VERSION = "0.48.0"
PROJECT_DEPS = ("numpy", "scipy", "rapidfuzz", "text-unidecode", "rlcard", "termcolor", "Levenshtein")
"""What the benchmark's projects import: Pynguin imports the module under test in its own venv, so they go there too
(``make setup`` installs the same list)."""
HINT = f"run `tenfold projecttest setup-pynguin` (pip installs pynguin=={VERSION} into the cache)"


def pynguin_executable() -> Path | None:
    """Where ``make setup`` puts Pynguin (``<venv>/pynguin``), else the cache venv, else ``PATH``."""
    for venv in (Path(sys.prefix) / "pynguin", cache_dir("projecttest", "pynguin-venv")):
        if (venv / "bin" / "pynguin").exists():
            return venv / "bin" / "pynguin"
    found = shutil.which("pynguin")
    return Path(found) if found else None


def ensure_pynguin() -> Path:
    """Pynguin's executable, installing it into a cache venv if needed."""
    found = pynguin_executable()
    if found is not None:
        return found
    venv = cache_dir("projecttest", "pynguin-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", f"pynguin=={VERSION}", *PROJECT_DEPS],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0 or not (venv / "bin" / "pynguin").exists():
        raise LaneUnavailable(f"could not install pynguin ({proc.stderr.strip()[-200:]}); {HINT}")
    return venv / "bin" / "pynguin"


class PynguinGenerator:
    """Search-based tests for each module of a Python project (``search_time_s`` per module)."""

    def __init__(self, search_time_s: int = 10, seed: int = 0):
        self.name = f"pynguin:{search_time_s}s"
        self.search_time_s, self.seed = search_time_s, seed

    def generate(self, messages, project: str = "") -> Reply:
        return Reply(error="pynguin generates from the project itself, not from a prompt")

    def generate_for_project(self, project: Project) -> Reply:
        if project.language != "python":
            return Reply(error="pynguin only generates Python tests")
        exe = pynguin_executable()
        if exe is None:
            return Reply(error=f"pynguin is not installed: {HINT}")
        t0, errors = time.perf_counter(), []
        with Sandbox(project.root, project.name) as box:
            out = box.tmp / "pynguin-out"
            # flat projects import their modules top-level (`from structure import ...`): search from inside
            root = box.tmp if is_package(project) else box.work
            for module in module_names(project):
                if module.rsplit(".", 1)[-1] == "__main__" or module == project.name:
                    continue
                cmd = [
                    str(exe),
                    "--project-path",
                    str(root),
                    "--module-name",
                    module,
                    "--output-path",
                    str(out),
                    "--maximum-search-time",
                    str(self.search_time_s),
                    "--seed",
                    str(self.seed),
                ]
                limits = Limits(wall_s=self.search_time_s * 4 + 60, cpu_s=self.search_time_s * 4 + 60)
                res = box.run(cmd, limits, extra_env={"PYNGUIN_DANGER_AWARE": "1"})
                if res.returncode != 0:
                    errors.append(f"{module}: exit {res.returncode}")
            files = [(t.name, t.read_text()) for t in sorted(out.glob("test_*.py"))] if out.exists() else []
        if not files:
            return Reply(latency_s=time.perf_counter() - t0, error="pynguin produced no tests: " + "; ".join(errors))
        # one test file per module, as Pynguin writes them (their test names repeat across modules)
        text = "\n\n".join(f"```python\n# {name}\n{body}\n```" for name, body in files)
        return Reply(text, latency_s=time.perf_counter() - t0, files=files)
