"""Projects: a directory of source files, a language and metadata (ProjectTest, Sec. 2).

A project is read-only input: runners copy it before they add tests, and :func:`fingerprint` lets a sweep check that
the source is byte-identical afterwards. Loaders: any directory (:func:`load_project`), a clone of the official
dataset (:func:`load_official`), and our own toy projects with known behaviour (:mod:`.toy`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from tenfold.common.errors import UserError

LANGUAGES = {"python": (".py",), "javascript": (".js", ".mjs"), "java": (".java",)}
"""Source file suffixes per language."""

_SKIP_DIRS = {"__pycache__", "node_modules", ".git", "target", "build", "dist", ".venv", "coverage"}


def is_test_file(rel: str, language: str) -> bool:
    """Generated and hand-written test files are not sources (their names as the paper writes them)."""
    name = Path(rel).name
    if language == "python":
        return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    if language == "javascript":
        return ".test." in name or ".spec." in name
    return name.endswith("Test.java") or "/src/test/" in f"/{rel}"


@dataclass(frozen=True)
class Project:
    """A project to write tests for."""

    name: str
    """the folder name; for Python it is also the package name (``from uno.round import ...``)."""
    language: str
    root: Path
    files: tuple[str, ...]
    """source files relative to ``root``, sorted (the official code uses ``os.listdir`` order; we fix it)."""
    meta: dict = field(default_factory=dict, hash=False, compare=False)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8", errors="replace")

    @property
    def lines(self) -> int:
        return sum(self.read(f).count("\n") + 1 for f in self.files)


def is_package(project: Project) -> bool:
    """A Python project laid out as a package (``__init__.py`` at its root: ``from uno.round import ...``); else flat
    (its modules import each other as top-level modules: ``from structure import Structure``)."""
    return (project.root / "__init__.py").is_file()


def module_names(project: Project) -> list[str]:
    """The import names of a Python project's modules, as the project itself imports them (package or flat)."""
    names = []
    for rel in project.files:
        if not rel.endswith(".py"):
            continue
        dotted = rel[:-3].replace("/", ".").removesuffix(".__init__").removesuffix("__init__")
        if is_package(project):
            names.append(f"{project.name}.{dotted}" if dotted else project.name)
        elif dotted:
            names.append(dotted)
    return names


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UserError(f"unknown language '{language}' (choose from {', '.join(LANGUAGES)})")
    return language


def source_files(root: Path, language: str) -> tuple[str, ...]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or _SKIP_DIRS & set(Path(rel).parts[:-1]):
            continue
        if path.suffix in LANGUAGES[language] and not is_test_file(rel, language):
            out.append(rel)
    return tuple(out)


def detect_language(root: Path) -> str:
    counts = {lang: len(source_files(root, lang)) for lang in LANGUAGES}
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    if n == 0:
        raise UserError(f"project '{root}' has no Python, JavaScript or Java source files")
    return lang


def load_project(
    root: str | Path, language: str | None = None, name: str | None = None, allow_empty: bool = False, **meta
) -> Project:
    """A project from a directory. An empty project (no source files of its language) is an error, unless
    ``allow_empty`` (a sweep records it with its reason instead)."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"project directory '{root}' does not exist")
    language = check_language(language) if language else detect_language(root)
    files = source_files(root, language)
    if not files and not allow_empty:
        raise UserError(f"project '{root}' has no {language} source files")
    return Project(name or root.name, language, root, files, dict(meta))


OFFICIAL_FOLDERS = {"python": ("python", "py"), "javascript": ("js", "javascript"), "java": ("java",)}
"""Folder names of a language in the official repository (``dataset/Python``, ``dataset/JS``, ``dataset/JAVA``;
matched in any case)."""


def _folder(base: Path, language: str) -> Path | None:
    if not base.is_dir():
        return None
    names = OFFICIAL_FOLDERS[language]
    return next((d for d in sorted(base.iterdir()) if d.is_dir() and d.name.lower() in names), None)


def authors_prompts(dataset_root: str | Path, language: str) -> dict[str, dict]:
    """The authors' prompt entries (``ProjectTest/<Lang>/original_prompt.json``) by project name ({} if absent)."""
    folder = _folder(Path(dataset_root) / "ProjectTest", language)
    path = folder / "original_prompt.json" if folder else None
    if path is None or not path.is_file():
        return {}
    from tenfold.common.readers import read_json

    return {entry["classname"]: entry for entry in read_json(path, what="the authors' prompt file")}


def authors_files(entry: dict, language: str) -> tuple[str, ...]:
    """The files of a project in the order the authors' prompt lists them (from its file headers)."""
    name, code = re.escape(entry["classname"]), entry["original_code"]
    header = rf"(?m)^'''\n{name}/(.+)\n'''\n" if language == "python" else rf"(?m)^// {name}/(\S+)\n\n"
    return tuple(re.findall(header, code))


def load_official(dataset_root: str | Path, language: str) -> list[Project]:
    """The projects of the official benchmark (github.com/YiboWANG214/ProjectTest) as shipped.

    ``dataset/<Lang>/<project>/`` (``Python``/``JS``/``JAVA``, any case). Where the authors' prompt file is present,
    each project's files are those its prompt shows, in its order (two Java projects include a ``*Test.java``
    source, e.g. ``heap/HeapPerformanceTest.java``); otherwise the project's source files, sorted.
    """
    check_language(language)
    base = _folder(Path(dataset_root) / "dataset", language)
    if base is None:
        wanted = " or ".join(f"dataset/{n}/" for n in OFFICIAL_FOLDERS[language])
        raise UserError(f"'{dataset_root}' is not a ProjectTest clone (no {wanted}, in any case)")
    prompts = authors_prompts(dataset_root, language)
    projects = []
    for d in sorted(p for p in base.iterdir() if p.is_dir()):
        entry = prompts.get(d.name)
        files = authors_files(entry, language) if entry else source_files(d, language)
        if files:
            meta = {"source": "official", "authors_prompt": entry is not None}
            projects.append(Project(d.name, language, d, tuple(files), meta))
    return projects


def fingerprint(root: Path) -> str:
    """SHA-256 over every file's path and bytes under ``root`` (to prove a run left the source untouched)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
