"""PP-MARL benchmark, printed as JSON, every figure a ratio against a baseline measured in the same run:

* cryptography per update per agent for one critic pass of PP-MARL (a batch of 1024 representations of size 4):
  CKKS (encrypt, the server's share of the sum, decrypt), pairwise-mask secure aggregation, and Paillier per value
  (measured on 32 values, 2048-bit keys, then scaled to the 4,096 values), each relative to CKKS;
* bytes per critic pass per agent for encrypted raw sharing vs PP-MARL (ring 4096), from serialised ciphertexts,
  and for the plaintext methods.

python benchmarks/bench_ppmarl.py   (about half a minute; most of it Paillier's key generation)
"""

from __future__ import annotations

import json
import time

import numpy as np

AGENTS, BATCH, REP, DIMS = 3, 1024, 4, 23


def _timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    from tenfold.ppmarl.bandwidth import reduction
    from tenfold.ppmarl.he import KeyAuthority
    from tenfold.ppmarl.secagg import PaillierAggregator, PairwiseMasking

    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(BATCH, REP)) for _ in range(AGENTS)]
    ka = KeyAuthority()
    agents, server = [ka.agent() for _ in range(AGENTS)], ka.server()

    def ckks():
        total = server.aggregate([a.encrypt(x) for a, x in zip(agents, xs, strict=True)])
        agents[0].decrypt(total, (BATCH, REP))

    sa = PairwiseMasking(AGENTS)

    def secagg():
        sa.aggregate({i: sa.mask(i, x) for i, x in enumerate(xs)})

    t0 = time.perf_counter()
    paillier = PaillierAggregator(2048)
    keygen = time.perf_counter() - t0
    small = [x.ravel()[:32] for x in xs]

    def paillier_32():
        paillier.decrypt(paillier.aggregate([paillier.encrypt(x) for x in small]))

    per_agent_ms = {
        "ckks": 1000 * _timed(ckks) / AGENTS,
        "secure_aggregation": 1000 * _timed(secagg) / AGENTS,
        "paillier_scaled_from_32_values": 1000 * _timed(paillier_32, 1) / AGENTS * (BATCH * REP / 32),
    }
    bw = reduction(AGENTS, DIMS, BATCH, REP)
    plain_raw = BATCH * DIMS * 4 * AGENTS  # float32: own rows up, the other agents' rows down
    split_plain = BATCH * REP * 4 * 2  # own representation up, the sum down
    print(
        json.dumps(
            {
                "crypto_ms_per_update_per_agent": {k: round(v, 2) for k, v in per_agent_ms.items()},
                "relative_to_ckks": {k: round(v / per_agent_ms["ckks"], 2) for k, v in per_agent_ms.items()},
                "paillier_keygen_s": round(keygen, 2),
                "bytes_per_pass_per_agent": {
                    "plain (float32)": plain_raw,
                    "he-raw (CKKS)": bw["raw_bytes"],
                    "split (float32)": split_plain,
                    "pp-marl (CKKS)": bw["pp_bytes"],
                    "pp-marl secure aggregation (uint64)": BATCH * REP * 8 * 2,
                },
                "pp_marl_reduction_vs_he_raw": round(bw["reduction"], 4),
                "public_context_bytes": bw["context_bytes"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
