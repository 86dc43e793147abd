"""The Java lane: javac + JUnit 5 (+ Mockito, + JaCoCo when available), inside a :class:`~.sandbox.Sandbox`.

The paper builds each project with Maven (JUnit Jupiter 5.8, Mockito, JaCoCo 0.8.8). Maven Central is not reachable
here, so the lane uses the jars Debian packages: ``junit5`` (the console launcher), ``libmockito-java`` and
``libjacoco-java`` (its agent and core; the coverage summary is computed by a small Java program of ours against
``org.jacoco.core``). Classes are compiled with ``--release 11`` (the paper's Java 11, and what JaCoCo 0.8.6 reads).
Missing ``javac``/``java`` or JUnit make the lane unavailable with the install hint; missing JaCoCo only drops coverage.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

from tenfold.projecttest.project import Project
from tenfold.projecttest.prompt import TestFile
from tenfold.projecttest.records import ProjectRecord, classify
from tenfold.projecttest.runner_js import LaneUnavailable
from tenfold.projecttest.runner_python import _junit
from tenfold.projecttest.sandbox import Limits, Sandbox

JARS = Path("/usr/share/java")
HINT = "install a JDK and JUnit 5 (Debian: apt-get install default-jdk junit5 libmockito-java libjacoco-java)"
_MOCKITO = ("mockito-core.jar", "byte-buddy.jar", "byte-buddy-agent.jar", "objenesis.jar")
_NOT_INSTRUMENTED = (
    "org.jacoco",
    "org.objectweb",
    "org.junit",
    "org.mockito",
    "net.bytebuddy",
    "org.objenesis",
    "org.opentest4j",
    "org.apiguardian",
)
_JACOCO_CORE = ("org.jacoco.core.jar", "asm.jar", "asm-commons.jar", "asm-tree.jar")

SUMMARY_JAVA = """
import java.io.File;
import org.jacoco.core.analysis.*;
import org.jacoco.core.tools.ExecFileLoader;

public class CoverageSummary {
    public static void main(String[] args) throws Exception {
        ExecFileLoader loader = new ExecFileLoader();
        loader.load(new File(args[0]));
        CoverageBuilder builder = new CoverageBuilder();
        new Analyzer(loader.getExecutionDataStore(), builder).analyzeAll(new File(args[1]));
        int lc = 0, lt = 0, bc = 0, bt = 0;
        for (IClassCoverage c : builder.getClasses()) {
            lc += c.getLineCounter().getCoveredCount(); lt += c.getLineCounter().getTotalCount();
            bc += c.getBranchCounter().getCoveredCount(); bt += c.getBranchCounter().getTotalCount();
        }
        System.out.println("{\\"lines_covered\\": " + lc + ", \\"lines_total\\": " + lt
            + ", \\"branches_covered\\": " + bc + ", \\"branches_total\\": " + bt + "}");
    }
}
"""


def _agent_jar(rt: Path, core: list[Path]) -> Path | None:
    """Debian's ``org.jacoco.agent.rt.jar`` has no ``Premain-Class``; a manifest-only jar in the cache supplies it and
    puts the runtime, JaCoCo core and ASM on the agent's class path."""
    import zipfile

    from tenfold.common.cache import cached_dir

    manifest = (
        "Manifest-Version: 1.0\r\nPremain-Class: org.jacoco.agent.rt.internal.PreMain\r\n"
        f"Class-Path: {' '.join(p.as_uri() for p in [rt, *core])}\r\n\r\n"
    )

    def build(out: Path) -> None:
        with zipfile.ZipFile(out / "jacocoagent.jar", "w") as z:
            z.writestr("META-INF/MANIFEST.MF", manifest)

    return cached_dir("projecttest-java", {"manifest": manifest}, build, label="jacocoagent") / "jacocoagent.jar"


LIBRARIES = ("gson.jar", "okhttp.jar", "okio.jar")
"""Debian library jars put on every classpath when installed (``libgoogle-gson-java``, ``libokhttp-java``:
Actor_relationship_game's Gson and OkHttp);
frameworks the benchmark also uses (Spring, Undertow, Micrometer, MyBatis, Jakarta Servlet) have no offline Debian
package that matches, so those projects are reported as the environment's failures."""


@functools.cache
def toolchain() -> dict[str, object]:
    """What the Java lane can use here: javac/java, the JUnit console launcher, Mockito, JaCoCo."""
    javac, java = shutil.which("javac"), shutil.which("java")
    launcher = JARS / "junit-platform-console-standalone.jar"
    mockito = [JARS / j for j in _MOCKITO]
    agent = JARS / "org.jacoco.agent.rt.jar"
    core = [JARS / j for j in _JACOCO_CORE]
    return {
        "javac": javac,
        "java": java,
        "junit": launcher if launcher.exists() else None,
        "mockito": mockito if all(p.exists() for p in mockito) else [],
        "jacoco_agent": _agent_jar(agent, core) if agent.exists() and all(p.exists() for p in core) else None,
        "jacoco_core": core,
        "libraries": [JARS / j for j in LIBRARIES if (JARS / j).exists()],
    }


def _require() -> dict[str, object]:
    tc = toolchain()
    if not tc["javac"] or not tc["java"] or not tc["junit"]:
        raise LaneUnavailable(f"the Java lane needs javac, java and JUnit 5: {HINT}")
    return tc


def _first_compile_error(text: str) -> str:
    for line in text.splitlines():
        if ": error:" in line:
            return line.split(": error:", 1)[1].strip()
    return text.strip().splitlines()[0] if text.strip() else "compilation failed"


def run_java_suite(
    project: Project,
    tests: list[TestFile],
    limits: Limits | None = None,
    test_timeout_s: float = 10.0,
    record: ProjectRecord | None = None,
) -> ProjectRecord:
    """Compile the project and ``tests``, run them with the JUnit console launcher; fill a :class:`ProjectRecord`."""
    limits = limits or Limits(memory_mb=8192)  # the JVM reserves address space well beyond its heap
    rec = record or ProjectRecord(project.name, project.language)
    try:
        tc = _require()
    except LaneUnavailable as e:
        rec.reason = rec.environment = str(e)
        return rec
    libraries = [*map(str, tc["mockito"]), *map(str, tc["libraries"])]  # type: ignore[call-overload]
    # JUnit on the sources' classpath too: two official projects list a *Test.java among their sources
    cp_libs = [str(tc["junit"]), *libraries]
    with Sandbox(project.root, project.name) as box:
        for t in tests:
            box.write(t.path, t.text)
        out = box.work.parent
        sources = [f for f in project.files]
        javac = [str(tc["javac"]), "--release", "11", "-nowarn", "-encoding", "UTF-8"]
        res = box.run([*javac, "-cp", ":".join(cp_libs), "-d", "../classes", *sources], limits)
        if res.returncode != 0:  # before any test: the sources need what this machine lacks (a framework)
            rec.reason = rec.environment = "the project itself does not compile here: " + _first_compile_error(
                res.stderr
            )
            return rec
        res = box.run(
            [*javac, "-cp", ":".join(["../classes", *cp_libs]), "-d", "../test-classes", *[t.path for t in tests]],
            limits,
        )
        rec.run_s = res.wall_s
        if res.returncode != 0:
            error = _first_compile_error(res.stderr)
            rec.reason = "compilation failed: " + error
            from tenfold.projecttest.records import TestOutcome

            rec.tests = [TestOutcome("compile", "error", error)]
            rec.cascades = classify(rec.tests, collected=False)
            rec.output = res.stderr[-6000:].replace(str(box.tmp), "<sandbox>")
            return rec
        agent = []
        if tc["jacoco_agent"]:
            # the unshaded Debian runtime must not instrument itself (nor the test tooling)
            excludes = ":".join(f"{p}.*" for p in _NOT_INSTRUMENTED)
            agent = [f"-javaagent:{tc['jacoco_agent']}=destfile=../jacoco.exec,excludes={excludes}"]
        run = [
            str(tc["java"]),
            *agent,
            f"-Djunit.jupiter.execution.timeout.default={test_timeout_s}s",
            "-jar",
            str(tc["junit"]),
            "-cp",
            ":".join(["../classes", "../test-classes", *libraries]),
            "--scan-classpath",
            "../test-classes",
            "--reports-dir",
            "../reports",
            "--disable-banner",
            "--details",
            "none",
        ]
        res = box.run(run, limits)
        rec.run_s += res.wall_s
        rec.tests = [t for xml in sorted((out / "reports").glob("*.xml")) for t in _junit(xml)]
        collected = not res.timed_out and res.returncode in (0, 1) and bool(rec.tests)
        if res.timed_out:
            rec.reason = f"the suite ran past {limits.wall_s:.0f} s and was stopped"
        elif not rec.tests:
            rec.reason = "no tests found"
        rec.executable = collected
        rec.cascades = classify(rec.tests, collected)
        if collected and agent and (out / "jacoco.exec").exists():
            rec.line_coverage, rec.branch_coverage = _coverage(box, tc, limits)
        rec.output = (res.stdout + res.stderr)[-6000:].replace(str(box.tmp), "<sandbox>")
    return rec


def _coverage(box: Sandbox, tc: dict, limits: Limits) -> tuple[float, float]:
    tool = box.tmp / "covtool"
    tool.mkdir()
    (tool / "CoverageSummary.java").write_text(SUMMARY_JAVA)
    cp = ":".join(map(str, tc["jacoco_core"]))
    res = box.run([str(tc["javac"]), "-nowarn", "-cp", cp, "-d", str(tool), str(tool / "CoverageSummary.java")], limits)
    if res.returncode != 0:
        return 0.0, 0.0
    res = box.run([str(tc["java"]), "-cp", f"{tool}:{cp}", "CoverageSummary", "../jacoco.exec", "../classes"], limits)
    try:
        c = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return 0.0, 0.0
    line = c["lines_covered"] / c["lines_total"] if c["lines_total"] else 0.0
    branch = c["branches_covered"] / c["branches_total"] if c["branches_total"] else 0.0
    return line, branch
