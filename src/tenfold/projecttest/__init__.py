"""ProjectTest (Wang et al., arXiv 2502.06556): a project-level unit-test generation benchmark harness.

Projects (:mod:`.project`, :mod:`.carve`, :mod:`.toy`), the paper's prompts and extraction (:mod:`.prompt`), generators
(:mod:`.generators`), sandboxed runners per language (:mod:`.sandbox`, :mod:`.runner_python`, :mod:`.runner_js`,
:mod:`.runner_java`), records, error taxonomy and metrics (:mod:`.records`, :mod:`.metrics`, :mod:`.mutation`), the
repair scenarios (:mod:`.fixing`, :mod:`.sweep`), tables and charts (:mod:`.report`),
:mod:`.cli`, :mod:`.claims`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="projecttest",
    paper=Paper(
        "ProjectTest: A Project-level LLM Unit Test Generation Benchmark and Impact of Error Fixing Mechanisms",
        (
            "Yibo Wang",
            "Congying Xia",
            "Wenting Zhao",
            "Jiangshu Du",
            "Chunyu Miao",
            "Zhongfen Deng",
            "Philip S. Yu",
            "Chen Xing",
        ),
        "2502.06556",
    ),
    summary="project-level unit-test-generation benchmark harness, Python/JS/Java",
    module="tenfold.projecttest",
)
