"""The two repair scenarios of the paper (Sec. 5): a mechanical stand-in for manual fixing, and self-fixing.

**Manual fixing** in the paper: people fix only executability and cascade errors, keeping logic, assertions and the
number of tests. :func:`manual_fix` does the mechanical part of that, deterministically, for Python suites:

* imports of a module that does not exist are pointed at the project module that defines the imported names
  (``from calculator.ops import add`` → ``from calc.ops import add``);
* a name that is used but never imported (``NameError``) gets its import: a project definition, or a common alias
  (``np`` → ``import numpy as np``, ``mock`` → ``from unittest import mock``, ...);
* tests that block on ``input()`` get a patched ``input`` that returns an empty line.

For JavaScript suites, a module specifier that Jest cannot find (``Cannot find module 't_test'``) is pointed at the
project file that exports every imported name, or else at the one file of that name
(``from './geometry.js'`` → ``from './area.js'``, ``require('t_test')`` → ``require('./src/t_test.js')``).

It never edits a line that holds an assertion; :class:`FixLog` keeps a unified diff and the reason of every edit.

**Self-fixing**: the model sees its reply and the runner's output with the paper's message (:data:`~.prompt.SELF_FIX`)
and answers with the whole suite again; see :func:`tenfold.projecttest.sweep.self_fix`.
"""

from __future__ import annotations

import ast
import difflib
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field

from tenfold.projecttest.project import Project
from tenfold.projecttest.prompt import TestFile
from tenfold.projecttest.records import ProjectRecord, root_cause

ALIASES = {
    "np": "import numpy as np",
    "pd": "import pandas as pd",
    "mock": "from unittest import mock",
    "patch": "from unittest.mock import patch",
    "MagicMock": "from unittest.mock import MagicMock",
    "Mock": "from unittest.mock import Mock",
    "call": "from unittest.mock import call",
    "pytest": "import pytest",
    "unittest": "import unittest",
    **{m: f"import {m}" for m in ("os", "sys", "re", "math", "random", "json", "io", "copy", "itertools", "string")},
    "StringIO": "from io import StringIO",
}


@dataclass
class FixLog:
    edits: list[str] = field(default_factory=list)
    """one line per edit: what and why."""
    diff: str = ""

    @property
    def changed_lines(self) -> int:
        return sum(1 for line in self.diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---")))


def definitions(project: Project) -> dict[str, str]:
    """Top-level names (functions, classes, assignments) → the dotted module that defines them (package form)."""
    out: dict[str, str] = {}
    for rel in project.files:
        if not rel.endswith(".py"):
            continue
        try:
            tree = ast.parse(project.read(rel))
        except SyntaxError:
            continue
        module = project.name + "." + rel[:-3].replace("/", ".")
        module = module.removesuffix(".__init__")
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            for n in names:
                out.setdefault(n, module)
    return out


def _has_assertion(line: str) -> bool:
    return bool(re.search(r"\bassert\w*\b|\.assert|pytest\.raises|assertRaises|\bexpect\(", line))


def manual_fix(project: Project, tests: list[TestFile], record: ProjectRecord) -> tuple[list[TestFile], FixLog]:
    """Mechanical fixes of executability and cascade errors of a Python suite (see the module docstring)."""
    log = FixLog()
    if project.language not in ("python", "javascript"):
        log.edits.append(f"no mechanical fixer for {project.language} yet; suite unchanged")
        return tests, log
    causes = [root_cause(t.message) for t in record.tests if t.outcome in ("failed", "error")]
    if record.reason.startswith(("collection failed: ", "suite failed to run: ")):
        causes += record.reason.split(": ", 1)[1].split("; ")
    if project.language == "javascript":
        missing = {m.group(1) for c in causes for m in re.finditer(r"Cannot find module '([^']+)'", c)}
        exports = js_exports(project)
    else:
        defs = definitions(project)
    fixed = []
    for tf in tests:
        if project.language == "javascript":
            text = _fix_js_imports(tf, missing, exports, log)
        else:
            text = _fix_imports(tf.text, defs, log)
            text = _fix_names(text, causes, defs, log)
            if any("reading from stdin" in c or c.startswith("EOFError") for c in causes):
                text = _patch_input(text, log)
        if Counter(filter(_has_assertion, tf.text.splitlines())) != Counter(filter(_has_assertion, text.splitlines())):
            raise RuntimeError(f"manual fix of {tf.path} would edit an assertion")  # a fixer bug: never ship its output
        log.diff += "".join(difflib.unified_diff(tf.text.splitlines(True), text.splitlines(True), tf.path, tf.path))
        fixed.append(TestFile(tf.path, text))
    return fixed, log


_FROM = re.compile(r"^(\s*)from\s+([\w.]+)\s+import\s+(.+)$", re.M)


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def _fix_imports(text: str, defs: dict[str, str], log: FixLog) -> str:
    project_modules = set(defs.values())
    roots = {v.split(".")[0] for v in project_modules}
    known = project_modules | {m.split(".", 1)[1] for m in project_modules if "." in m}  # flat imports work too

    def repl(m: re.Match) -> str:
        indent, module, names = m.group(1), m.group(2), m.group(3)
        if module in known or (module.split(".")[0] not in roots and _importable(module)):
            return m.group(0)
        wanted = [n.strip().split(" as ")[0] for n in names.strip("() ").split(",") if n.strip()]
        homes = {defs.get(n) for n in wanted}
        if len(homes) == 1 and None not in homes:
            (home,) = homes
            log.edits.append(f"import path: 'from {module} import ...' → 'from {home} import ...' (defines {wanted})")
            return f"{indent}from {home} import {names}"
        return m.group(0)

    return _FROM.sub(repl, text)


def _fix_names(text: str, causes: list[str], defs: dict[str, str], log: FixLog) -> str:
    missing = sorted({m.group(1) for c in causes if (m := re.match(r"NameError: name '(\w+)' is not defined", c))})
    lines = []
    for name in missing:
        if name in defs:
            lines.append(f"from {defs[name]} import {name}")
        elif name in ALIASES:
            lines.append(ALIASES[name])
        else:
            continue
        log.edits.append(f"missing import for '{name}': {lines[-1]}")
    return "\n".join(lines) + "\n" + text if lines else text


def _patch_input(text: str, log: FixLog) -> str:
    log.edits.append("input() patched to return an empty line (tests must not block on stdin)")
    patch = "import builtins\nbuiltins.input = lambda *args, **kwargs: ''  # tenfold manual fix: no blocking input\n"
    return patch + text


_JS_EXPORT = re.compile(r"^export\s+(?:default\s+)?(?:async\s+)?(?:function\*?|class|const|let|var)\s+(\w+)", re.M)
_JS_EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\}", re.M)
_JS_IMPORT = re.compile(
    r"""(\bimport\s+(?P<what>[^'";]*?)\s*from\s*|\brequire\(\s*)(?P<q>['"])(?P<spec>[^'"]+)(?P=q)"""
)


def js_exports(project: Project) -> dict[str, set[str]]:
    """Project file → the names it exports (``export function f``, ``export { a as b }``; ``default`` for a default)."""
    out: dict[str, set[str]] = {}
    for rel in project.files:
        if not rel.endswith((".js", ".mjs", ".cjs")):
            continue
        text = project.read(rel)
        names = set(_JS_EXPORT.findall(text))
        for group in _JS_EXPORT_LIST.findall(text):
            names |= {part.split(" as ")[-1].strip() for part in group.split(",") if part.strip()}
        if re.search(r"^export\s+default\b", text, re.M):
            names.add("default")
        names |= set(re.findall(r"\bexports\.(\w+)\s*=", text))
        out[rel] = names
    return out


def _imported_names(what: str) -> set[str]:
    """``{ a, b as c }`` → {a, b}; ``x`` → {default}; ``* as ns`` → {} (any module fits)."""
    names: set[str] = set()
    braces = re.search(r"\{([^}]*)\}", what)
    if braces:
        names |= {p.split(" as ")[0].strip() for p in braces.group(1).split(",") if p.strip()}
    head = what.split("{")[0].strip().rstrip(",").strip()
    if head and not head.startswith("*"):
        names.add("default")
    return names


def _fix_js_imports(tf: TestFile, missing: set[str], exports: dict[str, set[str]], log: FixLog) -> str:
    here = posixpath.dirname(tf.path)

    def repl(m: re.Match) -> str:
        spec = m.group("spec")
        if spec not in missing:
            return m.group(0)
        wanted = _imported_names(m.group("what") or "")
        by_names = [f for f, names in exports.items() if wanted and wanted <= names]
        stem = posixpath.basename(spec).removesuffix(".js")
        by_stem = [f for f in exports if posixpath.basename(f).rsplit(".", 1)[0] == stem]
        homes = by_names if len(by_names) == 1 else by_stem
        if len(homes) != 1:
            return m.group(0)
        target = posixpath.relpath(homes[0], here or ".")
        target = target if target.startswith(".") else "./" + target
        why = f"exports {sorted(wanted)}" if homes is by_names else "same file name"
        log.edits.append(f"module path: '{spec}' → '{target}' ({why})")
        return m.group(0).replace(m.group("q") + spec + m.group("q"), m.group("q") + target + m.group("q"))

    return _JS_IMPORT.sub(repl, tf.text)
