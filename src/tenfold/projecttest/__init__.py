"""ProjectTest (Wang et al., arXiv 2502.06556): a project-level unit-test generation benchmark harness.

Projects (:mod:`.project`, :mod:`.carve`, :mod:`.toy`), the paper's prompts and extraction (:mod:`.prompt`), generators
(:mod:`.generators`), sandboxed runners per language (:mod:`.sandbox`, :mod:`.runner_python`, :mod:`.runner_js`,
:mod:`.runner_java`), records, error taxonomy and metrics (:mod:`.records`, :mod:`.metrics`, :mod:`.mutation`), the
repair scenarios (:mod:`.fixing`, :mod:`.sweep`), tables and charts (:mod:`.report`), :mod:`.cli`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Claim, Paper, SystemSpec

_RUN = "tenfold reproduce projecttest --preset quick"
_AUTHORS = (
    "Yibo Wang",
    "Congying Xia",
    "Wenting Zhao",
    "Jiangshu Du",
    "Chunyu Miao",
    "Zhongfen Deng",
    "Philip S. Yu",
    "Chen Xing",
)

SYSTEM = SystemSpec(
    name="projecttest",
    paper=Paper(
        "ProjectTest: A Project-level LLM Unit Test Generation Benchmark and Impact of Error Fixing Mechanisms",
        _AUTHORS,
        "2502.06556",
    ),
    summary="project-level unit-test-generation benchmark harness, Python/JS/Java",
    status="built",
    cli="tenfold.projecttest.cli:register",
    reproduce="tenfold.projecttest.reproduce:reproduce",
    claims=(
        Claim(
            "metrics",
            "the paper's averaging: toy projects A (4/4), B (no collection), C (2/4) give ER 2/3 and CR 0.5 per lane",
            "CR = mean of per-project pass rates; non-executable projects count 0 (Sec. 3.2)",
            _RUN,
        ),
        Claim(
            "cascade",
            "a missing `import numpy as np` used in 3 tests is one cascade root cause",
            "cascade errors: one root cause fails many tests (Sec. 4)",
            _RUN,
        ),
        Claim(
            "manual_fix",
            "the mechanical manual fix repairs executability and cascade errors without touching assertions",
            "manual fixing: Claude 3.5 Python CR 64 → 92, ER 70 → 100",
            _RUN,
        ),
        Claim(
            "isolation",
            "tests that read stdin, loop forever, write outside, allocate 10 GB or open a socket are stopped",
            "— (the official runners have no limits)",
            _RUN,
        ),
        Claim("mutation", "mutation score (extra column)", "— (not in the paper)", _RUN),
        Claim(
            "pynguin",
            "Pynguin (search-based, non-LLM) on the same carved projects",
            "Pynguin is the paper's Python non-LLM peer; EvoSuite Java LC/BC 55/57 (v5 Table 11)",
            _RUN,
        ),
        Claim(
            "llm_sweep",
            "SmolLM2-135M on carved Python and JavaScript projects: vanilla, manual fix, self-fix",
            "20 projects per language, CR/ER/LC/BC: Python Claude 3.5 64/70/51/47, CodeLlama-7B 16/60/41/37; "
            "JavaScript Claude 3.5 65/80/59/53, CodeLlama-7B 26/85/20/14",
            _RUN,
        ),
    ),
)
