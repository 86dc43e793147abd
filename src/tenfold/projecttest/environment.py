"""Whether each project can run here at all, before any model is asked: the environment's part of a failure.

Per lane, with the harness's own runners and sandbox:

* Python: every module of the project imports (a third-party module that is not installed is the environment's
  failure: :func:`~.runner_python.missing_dependencies`);
* JavaScript: a Jest test under the authors' set-up (jsdom) imports every file of the project;
* Java: the sources compile (frameworks that are not installed here fail this) and a JUnit test loads every class.

``tenfold projecttest env --dataset DIR`` prints it; the reproduction reports it for the official projects.
"""

from __future__ import annotations

import json
import re

from tenfold.projecttest.project import Project
from tenfold.projecttest.prompt import TestFile
from tenfold.projecttest.sandbox import Limits, Sandbox


def _javascript_probe(project: Project) -> TestFile:
    files = json.dumps([f"./{f}" for f in project.files])
    text = (
        f"const files = {files};\n"
        'describe("environment", () => {\n'
        '  test.each(files)("imports %s", async (file) => {\n'
        "    await import(file);\n"
        "  });\n"
        "});\n"
    )
    return TestFile("tenfold_environment.test.js", text)


_TOP_LEVEL = re.compile(r"^(?:(?:public|final|abstract|sealed)\s+)*(?:class|interface|enum|record)\s+(\w+)", re.M)


def _java_probe(project: Project) -> TestFile:
    classes = []
    for rel in project.files:
        text = project.read(rel)
        pkg = re.search(r"^package\s+([\w.]+)\s*;", text, re.M)
        # top-level types (unindented declarations; a file's class need not be named after it)
        for name in _TOP_LEVEL.findall(text):
            classes.append(f"{pkg.group(1)}.{name}" if pkg else name)
    names = ", ".join(json.dumps(c) for c in classes)
    text = (
        "import org.junit.jupiter.api.Test;\n\n"
        "public class TenfoldEnvironmentTest {\n"
        "    @Test\n"
        "    void everyClassLoads() throws Exception {\n"
        f"        for (String name : new String[] {{{names}}}) {{\n"
        "            Class.forName(name, false, getClass().getClassLoader());\n"
        "        }\n"
        "    }\n"
        "}\n"
    )
    return TestFile("src/test/java/TenfoldEnvironmentTest.java", text)


def environment_status(project: Project, limits: Limits | None = None) -> str:
    """Empty when ``project`` can run in its lane here, else why not (one line)."""
    if project.language == "python":
        from tenfold.projecttest.runner_python import missing_dependencies

        with Sandbox(project.root, project.name) as box:
            return missing_dependencies(box, project, limits or Limits())
    if project.language == "javascript":
        from tenfold.projecttest.runner_js import run_js_suite

        rec = run_js_suite(project, [_javascript_probe(project)], limits)
    else:
        from tenfold.projecttest.runner_java import run_java_suite

        rec = run_java_suite(project, [_java_probe(project)], limits)
    if rec.environment:
        return rec.environment
    failing = [t for t in rec.tests if t.outcome != "passed"]
    if not rec.executable or failing:
        return f"the project does not load: {(failing[0].message if failing else rec.reason)[:200]}"
    return ""
