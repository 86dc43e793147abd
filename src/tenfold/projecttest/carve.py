"""Projects carved at run time from pinned packages, the way the paper cut its projects out of larger repositories.

A :class:`CarveSpec` names a distribution (``rlcard==1.2.0`` on PyPI), the module to cut (``rlcard.games.blackjack``)
and the project name (``blackjack``). :func:`carve` downloads the distribution with ``pip download`` into the cache
(never into the repository), copies the module's files, follows its imports inside the distribution (for example
``rlcard.utils.utils`` and ``rlcard.games.base``) and copies those too, and rewrites every import to the project's own
package (``from rlcard.games.blackjack.dealer import ...`` → ``from blackjack.dealer import ...``;
``from rlcard.utils.utils import ...`` → ``from blackjack.rlcard_utils_utils import ...``). The result is a folder
whose name is its package, as in the official dataset. Third-party imports (numpy, rapidfuzz, ...) stay.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tenfold.common.cache import cached_dir
from tenfold.common.errors import UserError
from tenfold.projecttest.project import Project, load_project


@dataclass(frozen=True)
class CarveSpec:
    name: str
    """the project (and package) name."""
    requirement: str
    """a pinned distribution, ``name==version``."""
    module: str
    """the dotted module or package to cut out."""
    note: str = ""


CARVED = {
    s.name: s
    for s in (
        CarveSpec("blackjack", "rlcard==1.2.0", "rlcard.games.blackjack", "rlcard's Blackjack game (4 files + 2 deps)"),
        CarveSpec("leducholdem", "rlcard==1.2.0", "rlcard.games.leducholdem", "rlcard's Leduc Hold'em"),
        CarveSpec("limitholdem", "rlcard==1.2.0", "rlcard.games.limitholdem", "rlcard's Limit Texas Hold'em"),
        CarveSpec("thefuzz", "thefuzz==0.22.1", "thefuzz", "fuzzy string matching on rapidfuzz"),
        CarveSpec("slugify", "python-slugify==8.0.4", "slugify", "slugs from unicode text"),
    )
}
"""The Python projects we carve (the paper's dataset has 9 rlcard games, thefuzz and slugify among its 20)."""


CARVE_VERSION = 1
"""Part of a carved project's cache key: bump it when the carving rules change what a carve contains."""


def download(requirement: str) -> Path:
    """The distribution file of a pinned requirement, from the cache or ``pip download`` (PyPI only)."""

    def fetch(folder: Path) -> None:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder), requirement]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not _distributions(folder):
            raise UserError(f"could not download {requirement} from PyPI: {proc.stderr.strip().splitlines()[-1:]}")

    return _distributions(cached_dir("downloads", {"pip": requirement}, fetch, label=requirement))[0]


def _distributions(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix in (".whl", ".gz", ".zip", ".tgz"))


def _carved(kind: str, spec: Any, root: Path | None, fill: Callable[[Path], None]) -> Path:
    """The directory of a carved project: ``root/<name>`` (reused if carved before, else written through a
    temporary sibling and renamed), or an entry of the cache when ``root`` is None."""
    if root is None:
        entry = cached_dir(
            f"projecttest-{kind}",
            {"spec": spec, "version": CARVE_VERSION},
            lambda out: fill(out / spec.name),
            label=spec.name,
        )
        return entry / spec.name
    target = Path(root) / spec.name
    if not (target / ".carved").exists():
        tmp = Path(root) / f".{spec.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        fill(tmp)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return target


def _python_sources(dist: Path) -> dict[str, str]:
    """Dotted module name → source text for every .py file of a wheel or sdist."""
    files: dict[str, bytes] = {}
    if dist.suffix == ".whl" or dist.suffix == ".zip":
        with zipfile.ZipFile(dist) as z:
            files = {n: z.read(n) for n in z.namelist() if n.endswith(".py")}
    else:
        with tarfile.open(dist) as t:
            for m in t.getmembers():
                if m.isfile() and m.name.endswith(".py"):
                    files[m.name.split("/", 1)[1]] = t.extractfile(m).read()  # type: ignore[union-attr]
    out = {}
    for name, data in files.items():
        parts = list(PurePosixPath(name).with_suffix("").parts)
        if parts and parts[0] == "src":
            parts = parts[1:]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            out[".".join(parts)] = data.decode("utf-8", errors="replace")
    return out


def _is_package(module: str, sources: dict[str, str]) -> bool:
    return any(m.startswith(module + ".") for m in sources)


def _imports(module: str, text: str, sources: dict[str, str]) -> set[str]:
    """Modules of the same distribution that ``module`` imports (absolute and relative imports)."""
    found = set()
    tree = ast.parse(text)
    package = module if _is_package(module, sources) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        found |= {n for n in names if n in sources}
    return found


def _destination(module: str, spec: CarveSpec) -> str:
    """Where a module lands, as a dotted name under the project package."""
    if module == spec.module:
        return spec.name
    if module.startswith(spec.module + "."):
        return spec.name + module[len(spec.module) :]
    return f"{spec.name}.{module.replace('.', '_')}"


def _rewrite(text: str, module: str, spec: CarveSpec, mapping: dict[str, str], sources: dict[str, str]) -> str:
    """Point imports of carved modules at their new names (absolute, and relative ones made absolute)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    package = module if _is_package(module, sources) else module.rpartition(".")[0]
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            if base in mapping:
                # names that are carved submodules moved to their own new names; the rest stay attributes of base
                statements, attrs = [], []
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    if sub in mapping:
                        parent, _, leaf = mapping[sub].rpartition(".")
                        statements.append(f"from {parent} import {leaf} as {a.asname or a.name}")
                    else:
                        attrs.append(a.name + (f" as {a.asname}" if a.asname else ""))
                if attrs:
                    statements.insert(0, f"from {mapping[base]} import {', '.join(attrs)}")
                edits.append((node.lineno, node.end_lineno or node.lineno, "; ".join(statements)))
        elif isinstance(node, ast.Import) and any(a.name in mapping for a in node.names):
            parts = [f"import {mapping.get(a.name, a.name)} as {a.asname or a.name.split('.')[-1]}" for a in node.names]
            edits.append((node.lineno, node.end_lineno or node.lineno, "; ".join(parts)))
    for start, end, new in sorted(edits, reverse=True):
        indent = lines[start - 1][: len(lines[start - 1]) - len(lines[start - 1].lstrip())]
        lines[start - 1 : end] = [indent + new + "\n"]
    return "".join(lines)


def carve(spec: CarveSpec, root: Path | None = None) -> Project:
    """Cut ``spec`` into ``root/<name>/`` (default: the cache) and load it; reuses an existing carve."""
    target = _carved("python", spec, root, lambda out: _carve_python(spec, out))
    return load_project(target, "python", name=spec.name, source=spec.requirement)


def _carve_python(spec: CarveSpec, out: Path) -> None:
    sources = _python_sources(download(spec.requirement))
    if spec.module not in sources:
        raise UserError(f"{spec.requirement} has no module {spec.module}")
    keep = {m for m in sources if m == spec.module or m.startswith(spec.module + ".")}
    frontier = list(keep)
    while frontier:
        mod = frontier.pop()
        for dep in _imports(mod, sources[mod], sources):
            if dep not in keep:
                keep.add(dep)
                frontier.append(dep)
    mapping = {m: _destination(m, spec) for m in keep}
    for mod in sorted(keep):
        dest = mapping[mod].split(".")[1:]
        is_pkg = _is_package(mod, sources) or mod == spec.module
        rel = Path(*dest, "__init__.py") if is_pkg else Path(*dest[:-1], dest[-1] + ".py")
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_rewrite(sources[mod], mod, spec, mapping, sources))
    out.mkdir(parents=True, exist_ok=True)
    for pkg_dir in [p for p in out.rglob("*") if p.is_dir()] + [out]:
        (pkg_dir / "__init__.py").touch(exist_ok=True)
    (out / ".carved").write_text(f"{spec.requirement} {spec.module}\n")


# -- JavaScript: closures of ES modules from pinned npm packages ----------------------------------------------------


@dataclass(frozen=True)
class NpmCarveSpec:
    name: str
    package: str
    """a pinned npm package, ``name@version``."""
    entries: tuple[str, ...]
    """files inside the package whose relative-import closure is the project (``src/ckmeans.js``)."""
    note: str = ""


CARVED_JS = {
    s.name: s
    for s in (
        NpmCarveSpec("ckmeans", "simple-statistics@7.8.3", ("src/ckmeans.js",), "Ckmeans.1d.dp clustering (closure)"),
        NpmCarveSpec("t_test", "simple-statistics@7.8.3", ("src/t_test.js", "src/t_test_two_sample.js"), "t tests"),
    )
}
"""JavaScript projects: the official dataset's simple-statistics projects are closures of these files."""

_JS_IMPORT = re.compile(r"""(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|require\(\s*['"](\.[^'"]+)['"]\s*\)""")


def npm_download(package: str) -> Path:
    """The tarball of a pinned npm package, from the cache or ``npm pack``."""

    def fetch(folder: Path) -> None:
        if not shutil.which("npm"):
            raise UserError(f"carving {package} needs npm (Debian: apt-get install npm)")
        cmd = ["npm", "pack", package, "--silent", "--pack-destination", str(folder)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not list(folder.glob("*.tgz")):
            raise UserError(f"could not download {package} from npm: {proc.stderr.strip()[-200:]}")

    return sorted(cached_dir("downloads", {"npm": package}, fetch, label=package).glob("*.tgz"))[0]


def carve_js(spec: NpmCarveSpec, root: Path | None = None) -> Project:
    """The relative-import closure of ``spec.entries``, copied with its folder layout into ``root/<name>/`` (default:
    the cache)."""
    target = _carved("javascript", spec, root, lambda out: _carve_js(spec, out))
    return load_project(target, "javascript", name=spec.name, source=spec.package)


def _carve_js(spec: NpmCarveSpec, out: Path) -> None:
    with tarfile.open(npm_download(spec.package)) as t:
        files = {
            m.name.split("/", 1)[1]: t.extractfile(m).read().decode()  # type: ignore[union-attr]
            for m in t.getmembers()
            if m.isfile() and m.name.endswith((".js", ".mjs"))
        }
    keep, frontier = set(), list(spec.entries)
    while frontier:
        rel = frontier.pop()
        if rel in keep or rel not in files:
            continue
        keep.add(rel)
        for m in _JS_IMPORT.finditer(files[rel]):
            dep = posixpath.normpath(posixpath.join(posixpath.dirname(rel), m.group(1) or m.group(2)))
            frontier.append(dep if dep.endswith((".js", ".mjs")) else dep + ".js")
    for rel in sorted(keep):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel])
    (out / ".carved").write_text(f"{spec.package} {' '.join(spec.entries)}\n")
