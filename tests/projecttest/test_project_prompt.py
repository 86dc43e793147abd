"""Project loading (including the official dataset's layout), the paper's prompt and extraction rules."""

from __future__ import annotations

import pytest

from tenfold.common.errors import UserError
from tenfold.projecttest.project import load_official, load_project
from tenfold.projecttest.prompt import INSTRUCTIONS, NoCodeError, build_messages, extract_tests


def test_official_layout_and_prompt(tmp_path):
    uno = tmp_path / "dataset" / "python" / "uno"
    uno.mkdir(parents=True)
    (uno / "round.py").write_text("def play():\n    return 1\n\nif __name__ == '__main__':\n    play()\n")
    (uno / "card.py").write_text("class Card:\n    pass\n")
    (uno / "uno_test.py").write_text("# a test file is not a source\n")
    (tmp_path / "dataset" / "python" / "empty").mkdir()
    (project,) = load_official(tmp_path, "python")
    assert project.name == "uno" and project.files == ("card.py", "round.py")
    system, user = build_messages(project)
    assert system["content"] == "You are a coding assistant. You generate only source code."
    assert user["content"].startswith("# uno.Py\n'''\nuno/card.py\n'''\nclass Card:")
    assert "if __name__" not in user["content"]  # each file is cut before its main guard
    assert user["content"].endswith(INSTRUCTIONS["python"].format(p="uno") + "\n\t\t")
    with pytest.raises(UserError, match="not a ProjectTest clone"):
        load_official(tmp_path, "java")


def test_extraction_rules(tmp_path):
    (tmp_path / "a.js").write_text("export const a = 1;\n")
    js = load_project(tmp_path, "javascript", name="p")
    reply = "```javascript\ntest('a', () => {});\n```\ntext\n```js\ntest('b', () => {});\n```"
    assert [t.path for t in extract_tests(reply, js)] == ["p0.test.js", "p1.test.js"]
    with pytest.raises(NoCodeError):
        extract_tests("no code here", js)
    untagged = extract_tests("```\ntest('c', () => {});\n```", js)  # open models often omit the tag
    assert untagged[0].text.startswith("test('c'")


def test_test_file_names_map_to_projects_as_the_authors_name_them():
    from tenfold.projecttest.generators import _names_test_of, project_of

    cases = {"uno_test.py": "uno", "test_uno.py": "uno", "ckmeans0.test.js": "ckmeans", "ckmeans.txt": "ckmeans"}
    assert {name: project_of(name) for name in cases} == cases
    assert _names_test_of("stock2_test.py", "stock2") and not _names_test_of("stock2_test.py", "stock")
    assert _names_test_of("t_test3.test.js", "t_test") and _names_test_of("HeapFooTest.java", "Heap")


def test_pytest_node_ids_become_junit_names():
    from tenfold.projecttest.runner_python import junit_name

    assert junit_name("calc_test.py::T::test_x") == "calc_test.T::test_x"
    assert junit_name("sub/calc_test.py::test_y") == "sub.calc_test::test_y"


def test_module_names_follow_the_layout(tmp_path):
    from tenfold.projecttest.project import load_project, module_names

    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    for rel in ("__init__.py", "a.py", "sub/__init__.py", "sub/b.py"):
        (pkg / rel).write_text("x = 1\n")
    assert module_names(load_project(pkg, "python")) == ["pkg", "pkg.a", "pkg.sub", "pkg.sub.b"]
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "a.py").write_text("x = 1\n")
    assert module_names(load_project(flat, "python")) == ["a"]
