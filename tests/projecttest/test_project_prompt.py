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
