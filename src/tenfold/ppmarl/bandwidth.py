"""Bytes per critic pass: encrypted raw sharing against PP-MARL's encrypted representation sums, measured by
encrypting, routing and logging real ciphertexts.

One pass (a forward of the centralised critic on a batch of B samples), per agent, with N agents, d shared input
dimensions per agent, representation size h and S = ring/2 slots per ciphertext:

* ``he-raw`` (HE in transit, MADDPG's sharing): up ⌈B·d/S⌉ ciphertexts of the agent's own inputs; down the other
  N − 1 agents' ciphertexts, (N − 1)·⌈B·d/S⌉;
* ``pp-marl``: up ⌈B·h/S⌉ ciphertexts of its noised representation; down the same number, the server's sum.

At N = 3, d = 23, B = 1024, h = 4, ring 4096: 12 + 24 against 2 + 2 ciphertexts, a reduction of 1 − 4/36 = 88.9 %
(every CKKS ciphertext of a profile has about the same serialised size, however many slots it fills).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tenfold.ppmarl.he import FAST, CkksProfile, KeyAuthority
from tenfold.ppmarl.ledger import Ledger


def planned(method: str, agents: int, dims: int, batch: int, rep: int, profile: CkksProfile) -> dict[str, int]:
    """Ciphertexts per agent per pass by the formulas above."""
    slots = profile.slots
    if method == "he-raw":
        up = math.ceil(batch * dims / slots)
        return {"up": up, "down": (agents - 1) * up}
    if method == "pp-marl":
        up = math.ceil(batch * rep / slots)
        return {"up": up, "down": up}
    raise ValueError(f"unknown method {method!r}: he-raw or pp-marl")


@dataclass
class PassBytes:
    method: str
    up: int
    """ciphertexts agent 0 sent."""
    down: int
    """ciphertexts agent 0 received."""
    bytes_up: int
    bytes_down: int
    ledger: Ledger
    serialised: int
    """every byte string the pass put on a link, summed outside the ledger: each upload once, plus each forwarded
    (HE-raw: to N − 1 peers) or summed (PP-MARL: to N parties) download."""

    @property
    def bytes(self) -> int:
        return self.bytes_up + self.bytes_down


def one_pass(
    method: str, agents: int, dims: int, batch: int, rep: int, authority: KeyAuthority, seed: int = 0
) -> PassBytes:
    """Encrypt, route and log one critic pass of ``method``; the figures are agent 0's."""
    rng = np.random.default_rng(seed)
    server = authority.server()
    crypto = [authority.agent() for _ in range(agents)]
    ledger = Ledger()
    names = [f"agent{i}" for i in range(agents)]
    if method == "he-raw":
        sent = [crypto[i].encrypt(rng.normal(size=(batch, dims))) for i in range(agents)]
        ledger.forwarded(names, [[m.payload for m in msgs] for msgs in sent], "raw")
        kinds = ("raw",)
        serialised = sum(len(m.payload) for msgs in sent for m in msgs) * agents  # up once, down to N − 1 peers
    elif method == "pp-marl":
        sent = [crypto[i].encrypt(rng.normal(size=(batch, rep))) for i in range(agents)]
        total = server.aggregate(sent)
        kinds = ("representation", "aggregate")
        ledger.summed(names, [[m.payload for m in msgs] for msgs in sent], [m.payload for m in total], kinds)
        serialised = sum(len(m.payload) for msgs in sent for m in msgs) + agents * sum(len(m.payload) for m in total)
    else:
        raise ValueError(f"unknown method {method!r}: he-raw or pp-marl")
    b = ledger.involving(names[0], kinds)
    return PassBytes(
        method,
        ledger.count(names[0], "up", kinds),
        ledger.count(names[0], "down", kinds),
        b["up"],
        b["down"],
        ledger,
        serialised,
    )


def reduction(
    agents: int = 3,
    dims: int = 23,
    batch: int = 1024,
    rep: int = 4,
    profile: CkksProfile = FAST,
    seed: int = 0,
) -> dict[str, float]:
    """PP-MARL's bandwidth reduction against encrypted raw sharing, measured from serialised ciphertexts."""
    authority = KeyAuthority(profile)
    raw = one_pass("he-raw", agents, dims, batch, rep, authority, seed)
    pp = one_pass("pp-marl", agents, dims, batch, rep, authority, seed)
    return {
        "agents": agents,
        "dims": dims,
        "batch": batch,
        "rep": rep,
        "ring": profile.ring,
        "raw_up": raw.up,
        "raw_down": raw.down,
        "pp_up": pp.up,
        "pp_down": pp.down,
        "raw_bytes": raw.bytes,
        "pp_bytes": pp.bytes,
        "reduction": 1 - pp.bytes / raw.bytes,
        "planned_reduction": 1 - (pp.up + pp.down) / (raw.up + raw.down),
        "context_bytes": len(authority.public_context()),
        "ledger_total": raw.ledger.total + pp.ledger.total,
        "serialised_total": raw.serialised + pp.serialised,
        "ledger_entries": [len(raw.ledger.entries), len(pp.ledger.entries)],
    }
