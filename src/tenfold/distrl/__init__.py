"""DistRL (Wang et al., arXiv 2410.14803): asynchronous distributed RL for device-control agents.

Modules: :mod:`.device` (the simulated phone, its tasks and latency), :mod:`.env` (the Gymnasium environment),
:mod:`.policy` (the agent), :mod:`.replay` (sum tree, prioritised replay), :mod:`.targets` (Retrace / V-trace),
:mod:`.learner` (A-RIDE and the baselines), :mod:`.workers` (workers; thread, process and Ray backends),
:mod:`.runtime` (asynchronous and synchronous training on a simulated or real clock), :mod:`.clock` (collection
throughput in closed form), :mod:`.cli`, :mod:`.claims`, :mod:`.reproduce`.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="distrl",
    paper=Paper(
        "DistRL: An Asynchronous Distributed Reinforcement Learning Framework for On-Device Control Agents",
        ("Taiyi Wang", "Zhihao Wu", "Jianheng Liu", "Jianye Hao", "Jun Wang", "Kun Shao"),
        "2410.14803",
    ),
    summary="asynchronous distributed RL for device-control agents, on Ray",
    status="built",
    module="tenfold.distrl",
)
