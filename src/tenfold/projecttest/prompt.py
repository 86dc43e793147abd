"""Prompts and extraction as in the paper and its code (``generation/vanilla``, ``ProjectTest/*/original_prompt.json``).

The whole project goes into one user message: ``"# <project>.<flag>\\n" + files + "\\n" + instruction + "\\n\\t\\t"``
(``generate_tests_gpt.py``), each file behind a header (Python: a triple-quoted ``<project>/<path>``, the file cut at
the start of its first line containing ``if __name__ ==``, commented or not; Java and JavaScript: a
``// <project>/<path>`` line) and followed by a blank line. For the 59 official projects this is the authors'
``original_prompt.json`` text byte for byte (``tests/projecttest/test_official.py``). Replies are turned into test
files the way the paper places them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenfold.projecttest.project import Project

SYSTEM_PROMPT = "You are a coding assistant. You generate only source code."

_ENDING = (
    "Make sure the tests can successfully compile. Make sure the tests have correct results. "
    "Try to achieve the highest coverage rate."
)
INSTRUCTIONS = {
    "python": "Please generate enough unit test cases for each python file in the {p} project. Ensure that the import "
    "path is correct, depending on whether the project is structured as a package. " + _ENDING,
    "java": "Please generate enough unit test cases for each java file in the {p} project. Ensure to use mock properly "
    "for unit tests. " + _ENDING,
    "javascript": "Please generate enough unit test cases for every javascript file in {p} project. Do not miss any "
    "file. " + _ENDING,
}
FLAGS = {"python": "Py", "java": "java", "javascript": "js"}
SELF_FIX = (
    "Here are the error messages from the tests:\n{errors}\n\nErrors exist in the generated unit tests.\n\n"
    "Please fix the unit tests to address these errors and provide the entire unit tests."
)
"""The paper's self-fixing message (Sec. 5), sent after [system, prompt, first reply] with the runner's output."""


def _python_body(text: str) -> str:
    """The file up to the start of its first line containing ``if __name__ ==`` (the authors' cut)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "if __name__ ==" in line:
            return "".join(x + "\n" for x in lines[:i])
    return text


def project_code(project: Project) -> str:
    parts = []
    for rel in project.files:
        text = project.read(rel)
        if project.language == "python":
            parts.append(f"'''\n{project.name}/{rel}\n'''\n{_python_body(text)}\n\n")
        else:
            parts.append(f"// {project.name}/{rel}\n\n{text}\n\n")
    return "".join(parts)


def build_messages(project: Project) -> list[dict[str, str]]:
    """The chat messages of the paper's zero-shot prompt."""
    instruction = INSTRUCTIONS[project.language].format(p=project.name)
    user = f"# {project.name}.{FLAGS[project.language]}\n{project_code(project)}\n{instruction.strip()}\n\t\t"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def self_fix_messages(messages: list[dict[str, str]], reply: str, errors: str) -> list[dict[str, str]]:
    return [
        *messages,
        {"role": "assistant", "content": reply},
        {"role": "user", "content": SELF_FIX.format(errors=errors)},
    ]


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_TAGS = {"python": {"python", "py", "python3"}, "javascript": {"javascript", "js", "jsx"}, "java": {"java"}}


class NoCodeError(ValueError):
    """The reply has no code block to extract (recorded per project, never fatal)."""


def code_blocks(reply: str, language: str) -> list[str]:
    """Fenced blocks tagged with the language; if none, untagged fences (open models often omit the tag)."""
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(reply)]
    tagged = [b for t, b in blocks if t in _TAGS[language]]
    return tagged or [b for t, b in blocks if not t]


@dataclass(frozen=True)
class TestFile:
    path: str
    """where the file goes, relative to the project root."""
    text: str


_MAIN_GUARD = re.compile(r"^if __name__ == ['\"]__main__['\"]:\s*\n(?:[ \t]+.*\n?)*", re.M)


def extract_tests(reply: str, project: Project) -> list[TestFile]:
    """The test files a reply yields, placed and named as the paper does.

    Python: every block joined into ``<project>_test.py`` with a single ``unittest.main()`` guard at the end.
    JavaScript: block i → ``<project><i>.test.js``. Java: each block split at ``package`` declarations, each piece
    named after its public class under ``src/test/java/``.
    """
    blocks = code_blocks(reply, project.language)
    if not blocks:
        raise NoCodeError("the reply has no code block")
    if project.language == "python":
        body = "\n\n".join(_MAIN_GUARD.sub("", b).rstrip() for b in blocks)
        if "unittest" in body:
            body += "\n\n\nif __name__ == '__main__':\n    unittest.main()\n"
        return [TestFile(f"{project.name}_test.py", body + ("\n" if not body.endswith("\n") else ""))]
    if project.language == "javascript":
        return [TestFile(f"{project.name}{i}.test.js", b) for i, b in enumerate(blocks)]
    out = []
    for b in blocks:
        for piece in re.split(r"(?m)^(?=package\s)", b):
            if piece.strip():
                out.append(TestFile(java_test_path(piece, f"Generated{len(out)}Test"), piece))
    return out


def java_test_path(text: str, default: str) -> str:
    """Where a Java test class goes: ``src/test/java/<package path>/<public class>.java``."""
    m = re.search(r"public\s+(?:final\s+)?class\s+(\w+)", text) or re.search(r"class\s+(\w+)", text)
    pkg = re.search(r"^package\s+([\w.]+)\s*;", text, re.M)
    folder = "src/test/java/" + (pkg.group(1).replace(".", "/") + "/" if pkg else "")
    return f"{folder}{m.group(1) if m else default}.java"
