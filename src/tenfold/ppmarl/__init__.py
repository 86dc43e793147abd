"""PP-MARL (Yuan, Chung & Fu, arXiv 2204.12064): privacy-preserving multi-agent RL with split learning, homomorphic
encryption and differential privacy — in progress (issue 22; not in the catalogue yet).

Modules so far: :mod:`.he` (CKKS aggregation with TenSEAL: key authority, agents, a server that cannot decrypt,
context tags), :mod:`.secagg` (pairwise-mask secure aggregation with dropout recovery; Paillier), :mod:`.dp`
(clipping, the Gaussian mechanism, Poisson sampling, ε from dp-accounting), :mod:`.ledger` (bytes per message),
:mod:`.bandwidth` (encrypted raw sharing vs PP-MARL per critic pass, measured from serialised ciphertexts),
:mod:`.envs` (drone cell coverage, edge offloading), :mod:`.nn` and :mod:`.maddpg` (numpy MADDPG with central, split
or local critics), :mod:`.methods` (the six methods, measured), :mod:`.attacks` (reconstruction attacks).
"""
