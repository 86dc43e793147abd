"""The lists shared by the CLI, the configs and the claims (import-light)."""

METHODS = ("plain", "he-raw", "federated", "dp-only", "split", "pp-marl")
"""plain MADDPG sharing; raw sharing under CKKS; independent critics averaged under CKKS (FedAvg); DP-noised raw
sharing; the split critic alone; PP-MARL (split + DP + CKKS)."""
ENVS = ("drone", "edge", "spread")
"""drone cell coverage, edge offloading (ours, reconstructed), MPE2's simple_spread (a standard check)."""
AGGREGATORS = ("ckks", "secagg", "paillier")
"""how PP-MARL's sums are protected: CKKS (default), pairwise masks, Paillier (slow reference)."""
