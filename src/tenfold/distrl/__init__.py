"""DistRL (Wang et al., arXiv 2410.14803): asynchronous distributed RL for device-control agents — in progress
(issue 21; not in the catalogue yet).

Modules so far: :mod:`.replay` (sum tree and prioritised replay as DPER needs it), :mod:`.targets` (Retrace(λ) and
the official V-trace form of A-RIDE's off-policy targets).
"""
