"""Mutation score for the Python lane (an extra column; the paper reports none): an AST mutator of our own.

Operators (one change per mutant, the classic set of mutmut / cosmic-ray): arithmetic (``+``↔``-``, ``*``↔``/``,
``//``↔``%``), comparison (``<``↔``<=``, ``>``↔``>=``, ``==``↔``!=``, ``is``↔``is not``, ``in``↔``not in``), boolean
(``and``↔``or``, drop ``not``), constants (``True``↔``False``, integer n → n + 1), and ``return x`` → ``return None``.
Mutants are enumerated in source order and, when there are more than ``max_mutants``, sampled with a fixed seed.
A mutant is killed when a test that passed on the original fails or errors on it, or the suite no longer runs.
"""

from __future__ import annotations

import ast
import copy
import random
import sys
from dataclasses import dataclass

from tenfold.projecttest.project import Project
from tenfold.projecttest.prompt import TestFile
from tenfold.projecttest.runner_python import _junit
from tenfold.projecttest.sandbox import Limits, Sandbox

_BINOP = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mod,
    ast.Mod: ast.FloorDiv,
}
_CMP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}


@dataclass(frozen=True)
class Mutant:
    file: str
    line: int
    description: str
    text: str


def _sites(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOP:
            sites.append((node, "binop"))
        elif isinstance(node, ast.Compare) and type(node.ops[0]) in _CMP:
            sites.append((node, "compare"))
        elif isinstance(node, ast.BoolOp):
            sites.append((node, "boolop"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            sites.append((node, "not"))
        elif isinstance(node, ast.Constant) and type(node.value) in (bool, int):
            sites.append((node, "constant"))
        elif isinstance(node, ast.Return) and node.value is not None:
            sites.append((node, "return"))
    return sites


def _apply(node: ast.AST, kind: str) -> str:
    if kind == "binop":
        old = type(node.op)
        node.op = _BINOP[old]()
        return f"{old.__name__} → {type(node.op).__name__}"
    if kind == "compare":
        old = type(node.ops[0])
        node.ops[0] = _CMP[old]()
        return f"{old.__name__} → {type(node.ops[0]).__name__}"
    if kind == "boolop":
        old = type(node.op)
        node.op = ast.Or() if old is ast.And else ast.And()
        return f"{old.__name__} → {type(node.op).__name__}"
    if kind == "not":
        node.op = ast.UAdd()  # +bool(x) keeps the truth value: the ``not`` is gone
        return "drop not"
    if kind == "constant":
        old = node.value
        node.value = (not old) if isinstance(old, bool) else old + 1
        return f"{old!r} → {node.value!r}"
    node.value = ast.Constant(None)
    return "return None"


def mutants_of(rel: str, text: str) -> list[Mutant]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    out = []
    for i, (node, kind) in enumerate(_sites(tree)):
        mutated = copy.deepcopy(tree)
        target = _sites(mutated)[i][0]
        description = _apply(target, kind)
        try:
            out.append(Mutant(rel, getattr(node, "lineno", 0), description, ast.unparse(mutated) + "\n"))
        except (ValueError, TypeError):
            continue
    return out


def project_mutants(project: Project, max_mutants: int = 40, seed: int = 0) -> list[Mutant]:
    all_mutants = [m for rel in project.files if rel.endswith(".py") for m in mutants_of(rel, project.read(rel))]
    if len(all_mutants) > max_mutants:
        all_mutants = random.Random(seed).sample(all_mutants, max_mutants)
    return sorted(all_mutants, key=lambda m: (m.file, m.line, m.description))


def _run(project: Project, tests: list[TestFile], limits: Limits, test_timeout_s: float, mutant: Mutant | None):
    with Sandbox(project.root, project.name) as box:
        for t in tests:
            box.write(t.path, t.text)
        if mutant is not None:
            box.write(mutant.file, mutant.text)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            f"--timeout={test_timeout_s}",
            "--timeout-method=signal",
            "--junitxml=../junit.xml",
            *[t.path for t in tests],
        ]
        res = box.run(cmd, limits)
        outcomes = {t.name: t.outcome for t in _junit(box.work.parent / "junit.xml")}
        return res, outcomes


def mutation_score(
    project: Project, tests: list[TestFile], max_mutants: int = 40, test_timeout_s: float = 5.0, seed: int = 0
) -> dict:
    """Killed / total mutants for a suite (only meaningful if some tests pass on the original)."""
    limits = Limits(wall_s=60)
    _, base = _run(project, tests, limits, test_timeout_s, None)
    passing = {name for name, outcome in base.items() if outcome == "passed"}
    mutants = project_mutants(project, max_mutants, seed)
    if not passing or not mutants:
        return {"mutants": len(mutants), "killed": 0, "score": 0.0, "survivors": []}
    killed, survivors = 0, []
    for m in mutants:
        res, outcomes = _run(project, tests, limits, test_timeout_s, m)
        dead = res.timed_out or res.returncode not in (0, 1) or any(outcomes.get(n) != "passed" for n in passing)
        killed += dead
        if not dead:
            survivors.append(f"{m.file}:{m.line} {m.description}")
    return {"mutants": len(mutants), "killed": killed, "score": killed / len(mutants), "survivors": survivors}
