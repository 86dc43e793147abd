"""CAD: α = 0 is greedy decoding with the context; on an exact toy whose context-free model prefers the memorised
token, CAD with α = 1 picks the context's token where greedy does not."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import torch

from tenfold.lm.generation import DecodingConfig, generate
from tenfold.lm.zoo import ZOO, build_model
from tenfold.pipkag.decoding import cad_generate

CTX, Q, MEM, NEW, EOS = 1, 2, 3, 4, 5


class Toy(torch.nn.Module):
    """Next token after Q: with CTX earlier in the sequence, P(MEM) = 0.5, P(NEW) = 0.4; without, P(MEM) = 0.9,
    P(NEW) = 0.05. After an answer: EOS."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(eos_token_id=EOS)

    def forward(self, input_ids, attention_mask=None, position_ids=None, **_):
        b, t = input_ids.shape
        logits = torch.full((b, t, 6), -9.0)
        seen_ctx = (input_ids == CTX).cumsum(1) > 0
        for i in range(b):
            for j in range(t):
                if input_ids[i, j] == Q:
                    p = [0.5, 0.4] if seen_ctx[i, j] else [0.9, 0.05]
                    logits[i, j, MEM], logits[i, j, NEW] = torch.tensor(p).log()
                else:
                    logits[i, j, EOS] = 0.0
        return SimpleNamespace(logits=logits)


def test_cad_prefers_the_context_where_greedy_follows_memory():
    toy = Toy()
    assert cad_generate(toy, [[CTX, Q]], [[Q]], alpha=0.0, eos_token_id=EOS) == [[MEM]]
    # (1 + 1)·log 0.4 − log 0.05 = 1.17 > 2·log 0.5 − log 0.9 = −1.28
    assert cad_generate(toy, [[CTX, Q]], [[Q]], alpha=1.0, eos_token_id=EOS) == [[NEW]]


def test_alpha_zero_is_greedy_decoding_with_the_context():
    model = build_model(replace(ZOO.get("llama-tiny"), n_layer=2, dropout=0.0), 97, 96, seed=1).eval()
    with_ctx = [[5, 6, 7, 8, 9], [11, 12, 13]]
    greedy = generate(model, with_ctx, DecodingConfig(max_new_tokens=6, eos_token_id=96))
    assert cad_generate(model, with_ctx, [[8, 9], [13]], alpha=0.0, max_new_tokens=6, eos_token_id=96) == [
        g.ids for g in greedy
    ]
