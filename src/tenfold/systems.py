"""The ten systems of tenfold, in order, and the papers of those not built yet.

A built system registers its own :class:`~tenfold.common.registry.SystemSpec` (``SYSTEM`` in its package); the
entries of ``ROADMAP`` stand in for the others so that ``tenfold systems`` and the report list them as planned, never
as done. When a system is built, its package's ``SYSTEM`` takes over and its roadmap entry is no longer read.
"""

from __future__ import annotations

from tenfold.common.registry import Paper, SystemSpec

CORE = ("lm",)
"""Shared infrastructure with its own checks in the report (not a paper)."""

ORDER = (
    "latim",
    "projecttest",
    "collapse",
    "aac",
    "pii",
    "pipkag",
    "zweistein",
    "flowreason",
    "ppmarl",
    "distrl",
)


def _planned(name: str, summary: str, title: str, authors: tuple[str, ...], arxiv: str) -> SystemSpec:
    return SystemSpec(name=name, paper=Paper(title, authors, arxiv), summary=summary, status="planned")


ROADMAP: dict[str, SystemSpec] = {
    spec.name: spec
    for spec in (
        _planned(
            "latim",
            "token-to-token interaction maps for any Mamba-1/Mamba-2 model",
            "LaTIM: Measuring Latent Token-to-Token Interactions in Mamba Models",
            ("Hugo Pitorro", "Marcos Treviso"),
            "2502.15612",
        ),
        _planned(
            "collapse",
            "recursive-training simulator + detector-weighted resampling",
            "Machine-generated text detection prevents language model collapse",
            ("George Drayson", "Vasileios Lampos"),
            "2502.15654",
        ),
        _planned(
            "pii",
            "PII planting, training pipelines, memorisation/extraction audits",
            "Privacy Ripple Effects from Adding or Removing Personal Information in Language Model Training",
            (
                "Jaydeep Borkar",
                "Matthew Jagielski",
                "Katherine Lee",
                "Niloofar Mireshghallah",
                "David A. Smith",
                "Christopher A. Choquette-Choo",
            ),
            "2502.15680",
        ),
        _planned(
            "pipkag",
            "knowledge-conflict layer scoring, FFN pruning, adaptation, CoConflictQA scoring",
            "PIP-KAG: Mitigating Knowledge Conflicts in Knowledge-Augmented Generation via Parametric Pruning",
            (
                "Pengcheng Huang",
                "Zhenghao Liu",
                "Yukun Yan",
                "Xiaoyuan Yi",
                "Hao Chen",
                "Zhiyuan Liu",
                "Maosong Sun",
                "Tong Xiao",
                "Ge Yu",
                "Chenyan Xiong",
            ),
            "2502.15543",
        ),
        _planned(
            "ppmarl",
            "privacy-preserving multi-agent RL: split learning + CKKS + DP",
            "PP-MARL: Efficient Privacy-Preserving Multi-Agent Reinforcement Learning for Cooperative Intelligence "
            "in Communications",
            ("Tingting Yuan", "Hwei-Ming Chung", "Xiaoming Fu"),
            "2204.12064",
        ),
        _planned(
            "distrl",
            "asynchronous distributed RL for device-control agents, on Ray",
            "DistRL: An Asynchronous Distributed Reinforcement Learning Framework for On-Device Control Agents",
            ("Taiyi Wang", "Zhihao Wu", "Jianheng Liu", "Jianye Hao", "Jun Wang", "Kun Shao"),
            "2410.14803",
        ),
    )
}
