"""PP-MARL (Yuan, Chung & Fu, arXiv 2204.12064): privacy-preserving multi-agent RL with split learning,
homomorphic encryption and differential privacy (reconstructed from the abstract: the paper body and code are not
public).

Modules: :mod:`.he` (CKKS aggregation with TenSEAL: key authority, agents, a server that cannot decrypt, context
tags), :mod:`.secagg` (pairwise-mask secure aggregation with dropout recovery; Paillier), :mod:`.dp` (clipping, the
Gaussian mechanism, Poisson sampling, ε from dp-accounting), :mod:`.ledger` (bytes per message), :mod:`.bandwidth`
(encrypted raw sharing vs PP-MARL per critic pass, from serialised ciphertexts), :mod:`.envs` (drone cell coverage,
edge offloading), :mod:`.nn` and :mod:`.maddpg` (numpy MADDPG with central, split or local critics), :mod:`.methods`
(the six methods, measured), :mod:`.attacks` (reconstruction attacks), :mod:`.cli`, :mod:`.claims`,
:mod:`.reproduce`.
"""

from tenfold.common.registry import Paper, SystemSpec

SYSTEM = SystemSpec(
    name="ppmarl",
    paper=Paper(
        "PP-MARL: Efficient Privacy-Preserving Multi-Agent Reinforcement Learning for Cooperative Intelligence in "
        "Communications",
        ("Tingting Yuan", "Hwei-Ming Chung", "Xiaoming Fu"),
        "2204.12064",
    ),
    summary="privacy-preserving multi-agent RL: split learning + CKKS + DP",
    status="built",
    module="tenfold.ppmarl",
)
