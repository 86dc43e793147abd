"""The AST mutator and the mutation score on the toy project."""

from __future__ import annotations

from tenfold.projecttest.mutation import mutants_of, mutation_score
from tenfold.projecttest.prompt import extract_tests
from tenfold.projecttest.toy import REPLIES, write_toy_project


def test_mutants_of_a_small_function():
    got = {m.description: m.text for m in mutants_of("f.py", "def f(a, b):\n    return a + b if a < b else True\n")}
    assert got["Add → Sub"] == "def f(a, b):\n    return a - b if a < b else True\n"
    assert got["Lt → LtE"] == "def f(a, b):\n    return a + b if a <= b else True\n"
    assert got["True → False"].endswith("else False\n") and "return None" in got
    assert mutants_of("bad.py", "def (:") == []


def test_a_stronger_suite_kills_more(tmp_path):
    toy = write_toy_project(tmp_path)
    full = mutation_score(toy, extract_tests(REPLIES["A"], toy), max_mutants=12)
    weak_reply = REPLIES["A"].split("    def test_sub")[0] + "```\n"
    weak = mutation_score(toy, extract_tests(weak_reply, toy), max_mutants=12)
    assert full["mutants"] == weak["mutants"] == 10  # every mutant of the toy package (fewer than the cap)
    assert full["killed"] > weak["killed"] and 0 < full["score"] <= 1
    assert len(full["survivors"]) == full["mutants"] - full["killed"]
