"""Homomorphic aggregation with CKKS (TenSEAL): agents encrypt, the server adds without being able to decrypt.

PP-MARL aggregates the agents' DP-noised critic representations under homomorphic encryption so that the server
learns only their sum (paper §III; design reconstructed from the abstract, see the README). Only ciphertext +
ciphertext additions are used, so multiplicative depth is 0 and the smallest parameters suffice.

Roles:

* :class:`KeyAuthority` (setup only) makes the CKKS context with its secret key; agents get the secret context, the
  server a public copy without the secret key (:meth:`KeyAuthority.public_context`: its serialised bytes are what
  the server is sent, and are counted by the bandwidth ledger);
* :class:`AgentCrypto` packs a vector into ⌈n / slots⌉ ciphertexts (slots = ring degree / 2), each a
  :class:`Message` tagged with the context's hash;
* :class:`Server` adds the agents' messages slot by slot. It refuses a message whose tag is not its context's —
  TenSEAL itself decrypts a foreign ciphertext to garbage without an error — and it cannot decrypt: its context has
  no secret key (:class:`PrivacyError`).

Glossary: N ring degree (``poly_modulus_degree``), slots N/2, Δ = scale (2^40: ~12 decimal digits of the fraction
survive additions), q the coefficient moduli (bits).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from tenfold.common.errors import UserError


class PrivacyError(RuntimeError):
    """An operation the privacy design forbids (decrypting on the server, mixing contexts)."""


@dataclass(frozen=True)
class CkksProfile:
    """CKKS parameters (additions only)."""

    ring: int = 4096
    """N, the polynomial modulus degree (slots = N / 2)."""
    coeff_bits: tuple[int, ...] = (60, 49)
    """bit sizes of the coefficient moduli (total ≤ 109 bits at N = 4096 for 128-bit security)."""
    scale_bits: int = 40
    """log2 of the scale Δ."""

    def __post_init__(self) -> None:
        if self.ring not in (2048, 4096, 8192, 16384, 32768):
            raise UserError(f"CKKS ring degree must be a power of two in 2048 … 32768, got {self.ring}")
        if not self.coeff_bits or min(self.coeff_bits) <= self.scale_bits - 20 or self.scale_bits < 20:
            raise UserError(f"CKKS moduli {self.coeff_bits} cannot hold a scale of 2^{self.scale_bits}")

    @property
    def slots(self) -> int:
        return self.ring // 2

    def ciphertexts(self, values: int) -> int:
        """Ciphertexts needed for ``values`` numbers: ⌈values / slots⌉."""
        return math.ceil(values / self.slots)


FAST = CkksProfile()
"""Ring 4096, moduli [60, 49], scale 2^40: 2,048 slots per ciphertext."""

PRECISE = CkksProfile(8192, (60, 40, 40, 60), 40)
"""A larger ring (more slots per ciphertext, 4× the bytes)."""


@dataclass(frozen=True)
class Message:
    """One serialised ciphertext on the wire."""

    tag: str
    """hash of the public context it was made under."""
    payload: bytes
    length: int
    """how many of its slots carry values."""

    @property
    def nbytes(self) -> int:
        return len(self.payload)


def context_tag(public_bytes: bytes) -> str:
    return hashlib.sha256(public_bytes).hexdigest()[:16]


class KeyAuthority:
    """Creates the context once (setup) and hands out the secret and the public copies."""

    def __init__(self, profile: CkksProfile = FAST):
        import tenseal as ts

        self.profile = profile
        ctx = ts.context(
            ts.SCHEME_TYPE.CKKS, poly_modulus_degree=profile.ring, coeff_mod_bit_sizes=list(profile.coeff_bits)
        )
        ctx.global_scale = 2.0**profile.scale_bits
        self._secret = ctx
        public = ctx.copy()
        public.make_context_public()  # drops the secret key: whoever holds this can add, not decrypt
        self._public_bytes = public.serialize()
        self.tag = context_tag(self._public_bytes)

    def public_context(self) -> bytes:
        """What the server receives (serialised; counted in the ledger)."""
        return self._public_bytes

    def agent(self) -> AgentCrypto:
        return AgentCrypto(self._secret, self.tag, self.profile)

    def server(self) -> Server:
        return Server(self._public_bytes)


class AgentCrypto:
    """An agent's side: encrypt a vector into tagged messages, decrypt an aggregate."""

    def __init__(self, context, tag: str, profile: CkksProfile):
        self.context, self.tag, self.profile = context, tag, profile

    def encrypt(self, values: np.ndarray) -> list[Message]:
        """Flatten ``values`` and pack it into ⌈n / slots⌉ ciphertexts."""
        import tenseal as ts

        flat = np.asarray(values, dtype=np.float64).ravel()
        s = self.profile.slots
        out = []
        for k in range(self.profile.ciphertexts(flat.size)):
            chunk = flat[k * s : (k + 1) * s]
            out.append(Message(self.tag, ts.ckks_vector(self.context, chunk.tolist()).serialize(), len(chunk)))
        return out

    def decrypt(self, messages: list[Message], shape: tuple[int, ...]) -> np.ndarray:
        """The plaintext of ``messages`` (the server's aggregate), reshaped."""
        import tenseal as ts

        _check_tags(messages, self.tag, "this agent's")
        parts = [np.asarray(ts.ckks_vector_from(self.context, m.payload).decrypt()[: m.length]) for m in messages]
        return np.concatenate(parts).reshape(shape)


class Server:
    """The aggregator: holds the public context only."""

    def __init__(self, public_bytes: bytes):
        import tenseal as ts

        self.context = ts.context_from(public_bytes)
        if self.context.has_secret_key():
            raise PrivacyError("the server was given a context with a secret key")
        self.tag = context_tag(public_bytes)

    def aggregate(self, per_agent: list[list[Message]]) -> list[Message]:
        """Σ over agents, ciphertext by ciphertext (every agent must send the same number of ciphertexts)."""
        import tenseal as ts

        if not per_agent:
            raise UserError("nothing to aggregate: no agent sent a message")
        counts = {len(m) for m in per_agent}
        if len(counts) != 1:
            raise UserError(f"agents sent different numbers of ciphertexts: {sorted(counts)}")
        for msgs in per_agent:
            _check_tags(msgs, self.tag, "the server's")
        out = []
        for k in range(len(per_agent[0])):
            total = ts.ckks_vector_from(self.context, per_agent[0][k].payload)
            for msgs in per_agent[1:]:
                total += ts.ckks_vector_from(self.context, msgs[k].payload)
            out.append(Message(self.tag, total.serialize(), per_agent[0][k].length))
        return out

    def decrypt(self, messages: list[Message]) -> np.ndarray:
        """Refused: the server's context has no secret key (and must never be given one)."""
        raise PrivacyError("the server holds only the public context: it cannot decrypt")


def _check_tags(messages: list[Message], tag: str, whose: str) -> None:
    for m in messages:
        if m.tag != tag:
            raise PrivacyError(
                f"a ciphertext made under another CKKS context (tag {m.tag}) reached {whose} context (tag {tag}); "
                "decrypting it would give garbage"
            )
