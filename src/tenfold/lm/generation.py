"""Batched decoding for any ``transformers`` causal LM: greedy, beam search, sampling (temperature, top-k, nucleus),
with a KV cache, left padding with correct positions, and a seed per prompt.

Glossary (shapes: B prompts in a batch, L tokens so far, V vocabulary):

* *state*          a :class:`DecodeState`: the left-padded tokens ``[B, L]``, their attention mask ``[B, L]``, the
  model's cache (keys/values, or SSM states) and the logits of the next token ``[B, V]``;
* *positions*      ``position_ids[b, t] = (number of real tokens of row b before t)``: a left-padded row sees the
  same positions as the prompt alone. Without them GPT-2's learned positions shift by the padding (a measured
  |Δlogit| of 0.94 on gpt2-tiny), so every batched forward here passes them (models that take none, Mamba, get none);
* *support*        the tokens a sampler may draw: top-k keeps the k most likely, nucleus (top-p) the smallest set
  whose probability is ≥ p (Holtzman et al., 2020), both after dividing the logits by the temperature (the order
  ``transformers`` applies them in);
* *per-prompt seed* each prompt draws its uniforms from its own generator, seeded by (``seed``, the prompt's tokens,
  its occurrence among equal prompts): a sampled continuation is the same alone, in any batch and in any order.
  A draw is one uniform per step, inverted through the CDF of the support (so a row's stream never depends on
  other rows).

The step-level API (:func:`start`, :func:`advance`, :func:`select`) is what :func:`generate` is built on; methods that
combine two next-token distributions per step (context-aware decoding, a detector that scores while generating)
drive two states with the same tokens. Reference: ``transformers.GenerationMixin`` (``_sample``, ``_beam_search``);
we re-implement rather than call it for the per-prompt seeds, the step API and a beam search whose semantics are
stated here (finished hypotheses rank by ``Σ log p / n^length_penalty``, n = generated tokens including EOS; a
prompt stops once ``num_beams`` hypotheses have finished, like ``early_stopping=True``).
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from tenfold.common.config import check_fields
from tenfold.common.errors import UserError
from tenfold.common.progress import progress
from tenfold.common.seeding import derive_seed


@dataclass(frozen=True)
class DecodingConfig:
    """How to continue prompts (the fields and defaults of ``transformers.GenerationConfig`` where they overlap)."""

    max_new_tokens: int = 32
    """at most this many new tokens per prompt (EOS included)."""
    min_new_tokens: int = 0
    """EOS is forbidden before this many new tokens."""
    do_sample: bool = False
    """sample (True) or take the most likely token / beams (False)."""
    temperature: float = 1.0
    """logits are divided by it before sampling; 0 means greedy."""
    top_k: int = 0
    """sample among the k most likely tokens only (0: all)."""
    top_p: float = 1.0
    """sample from the smallest set of tokens with probability ≥ top_p (1: all)."""
    num_beams: int = 1
    """beam width (1: no beam search); not combined with sampling."""
    length_penalty: float = 1.0
    """a finished beam's score is Σ log p / n^length_penalty (n: its new tokens, EOS included)."""
    eos_token_id: int | None = None
    """the token that ends a continuation (None: the model config's, if any)."""
    pad_token_id: int | None = None
    """the token that fills left padding (None: EOS, else 0); masked out, so any id gives the same result."""
    use_cache: bool = True
    """reuse the model's key/value (or state) cache; False recomputes every step over the whole sequence."""
    batch_size: int = 64
    """prompts per forward pass (prompts are grouped by length to keep padding small)."""
    seed: int = 0
    """seed of the per-prompt sampling streams."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("max_new_tokens", "num_beams", "batch_size"),
            non_negative=("min_new_tokens", "temperature", "top_k", "length_penalty", "seed"),
        )
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if self.min_new_tokens > self.max_new_tokens:
            raise ValueError(f"min_new_tokens ({self.min_new_tokens}) exceeds max_new_tokens ({self.max_new_tokens})")
        if self.num_beams > 1 and self.sampling:
            raise ValueError("beam search is deterministic here: num_beams > 1 needs do_sample=False")

    @property
    def sampling(self) -> bool:
        """True when tokens are drawn (sampling at a temperature > 0); temperature 0 is greedy."""
        return self.do_sample and self.temperature > 0


@dataclass(frozen=True)
class Continuation:
    """One prompt's continuation."""

    ids: list[int]
    """the new tokens, without the EOS that ended them."""
    stopped_at_eos: bool
    """True if EOS ended it (False: it reached max_new_tokens)."""
    logprob: float
    """Σ log p(token | prefix) of the new tokens (EOS included) under the model's own distribution (temperature 1,
    no top-k/top-p): what a detector or a likelihood reward reads."""
    score: float
    """the rank of a beam (logprob / n^length_penalty); equal to ``logprob`` without beam search."""


# -- the step-level API --------------------------------------------------------------------------------------------
@dataclass
class DecodeState:
    """A batch of sequences being decoded (see the module glossary)."""

    tokens: torch.Tensor
    """[B, L] int64: left padding, prompt, generated tokens."""
    attention_mask: torch.Tensor
    """[B, L] int64: 1 on real tokens."""
    cache: Any
    """the model's cache after ``tokens`` (None when the model returns none or ``use_cache`` is off)."""
    logits: torch.Tensor
    """[B, V] float32: logits of the next token of every row."""


def takes_positions(model: Any) -> bool:
    """True if the model's forward takes ``position_ids`` (attention models; not state-space ones like Mamba).

    A PEFT wrapper forwards ``**kwargs``, so the question goes to the model it wraps.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        return "position_ids" in inspect.signature(base.forward).parameters
    except (TypeError, ValueError):
        return False


def _forward(
    model: Any, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, cache: Any, use_cache: bool
) -> tuple[torch.Tensor, Any]:
    """One forward over ``ids`` [B, n] given the full ``mask`` [B, L] and the positions [B, n] of ``ids``."""
    kwargs: dict[str, Any] = {"input_ids": ids}
    if takes_positions(model):
        kwargs["attention_mask"], kwargs["position_ids"] = mask, positions
    elif cache is None:
        # a state-space model masks padded inputs to zero, so its state ignores the padding; once the prompt is in
        # its state, a one-token step needs no mask (transformers drops it there too)
        kwargs["attention_mask"] = mask
    if use_cache:
        kwargs["use_cache"] = True
        if cache is not None:
            kwargs["cache"] = cache
    out = model(**kwargs)
    new_cache = (getattr(out, "past_key_values", None) or getattr(out, "cache", None)) if use_cache else None
    return out.logits[:, -1].float(), new_cache


def positions_of(mask: torch.Tensor) -> torch.Tensor:
    """Position ids [B, L] of a left-padded mask [B, L]: the count of real tokens before each (0 on padding)."""
    return (mask.cumsum(-1) - 1).clamp(min=0)


def left_pad(prompts: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(tokens, mask)`` [B, L] of prompts padded on the left to the longest."""
    if not prompts or any(len(p) == 0 for p in prompts):
        raise UserError("every prompt needs at least one token")
    width = max(len(p) for p in prompts)
    tokens = torch.tensor([[pad_id] * (width - len(p)) + list(p) for p in prompts], dtype=torch.long)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], dtype=torch.long)
    return tokens, mask


@torch.no_grad()
def start(model: Any, prompts: Sequence[Sequence[int]], pad_id: int = 0, use_cache: bool = True) -> DecodeState:
    """Run the prompts (left-padded) once: the state whose ``logits`` predict each prompt's first new token.

    Args:
        model: a causal LM (``model(input_ids=…, attention_mask=…[, position_ids=…]).logits``).
        prompts: B token-id lists of any lengths ≥ 1.
        pad_id: the id placed in the padding (masked out).
        use_cache: keep the model's cache for :func:`advance`.

    Returns:
        the state, with ``logits`` [B, V].
    """
    tokens, mask = left_pad(prompts, pad_id)
    logits, cache = _forward(model, tokens, mask, positions_of(mask), None, use_cache)
    return DecodeState(tokens, mask, cache, logits)


@torch.no_grad()
def advance(model: Any, state: DecodeState, next_tokens: torch.Tensor) -> DecodeState:
    """Append one token per row and compute the logits after it.

    Args:
        state: a state from :func:`start`, :func:`advance` or :func:`select` (its cache is consumed: do not reuse
            the old state).
        next_tokens: [B] int64.

    Returns:
        the new state: tokens [B, L+1], logits [B, V].
    """
    next_tokens = next_tokens.reshape(-1, 1).long()
    tokens = torch.cat([state.tokens, next_tokens], 1)
    mask = torch.cat([state.attention_mask, torch.ones_like(next_tokens)], 1)
    if state.cache is None:  # no cache: the whole sequence again (the reference the cached path must equal)
        logits, _ = _forward(model, tokens, mask, positions_of(mask), None, use_cache=False)
        return DecodeState(tokens, mask, None, logits)
    positions = mask.sum(-1, keepdim=True) - 1
    logits, cache = _forward(model, next_tokens, mask, positions, state.cache, use_cache=True)
    return DecodeState(tokens, mask, cache, logits)


def select(state: DecodeState, rows: torch.Tensor) -> DecodeState:
    """Keep, reorder or repeat rows (beam search's reordering; dropping finished rows). ``rows``: [B'] int64."""
    rows = rows.long()
    if state.cache is not None:
        state.cache.reorder_cache(rows)  # an index_select on every layer's keys/values or states
    return DecodeState(state.tokens[rows], state.attention_mask[rows], state.cache, state.logits[rows])


# -- the next-token distribution -----------------------------------------------------------------------------------
def top_k_mask(logits: torch.Tensor, k: int) -> torch.Tensor:
    """[..., V] bool: the k largest logits of each row (all when k is 0 or ≥ V; ties broken by index)."""
    if k <= 0 or k >= logits.shape[-1]:
        return torch.ones_like(logits, dtype=torch.bool)
    keep = torch.zeros_like(logits, dtype=torch.bool)
    return keep.scatter(-1, logits.topk(k, dim=-1).indices, True)


def nucleus_mask(logits: torch.Tensor, p: float) -> torch.Tensor:
    """[..., V] bool: the smallest set of most likely tokens whose probability sums to ≥ p (all when p = 1).

    A token is kept when the mass of the tokens ranked above it is still < p, so the set stops at the first token
    that brings the mass to p.
    """
    if p >= 1:
        return torch.ones_like(logits, dtype=torch.bool)
    probs, order = torch.softmax(logits.float(), -1).sort(-1, descending=True)
    mass_before = probs.cumsum(-1) - probs
    keep_sorted = mass_before < p
    return torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)


def sampling_log_probs(logits: torch.Tensor, cfg: DecodingConfig) -> torch.Tensor:
    """[B, V] log-probabilities a sampler draws from: logits / temperature, then top-k, then top-p (-inf outside)."""
    scaled = logits.float() / cfg.temperature
    support = top_k_mask(scaled, cfg.top_k)
    scaled = scaled.masked_fill(~support, float("-inf"))
    support = nucleus_mask(scaled, cfg.top_p)
    return torch.log_softmax(scaled.masked_fill(~support, float("-inf")), -1)


def draw(log_probs: torch.Tensor, generators: Sequence[torch.Generator]) -> torch.Tensor:
    """One token per row: a uniform from the row's own generator inverted through the row's CDF. [B, V] → [B]."""
    probs = log_probs.exp()
    cdf = probs.cumsum(-1)
    u = torch.stack([torch.rand((), generator=g, dtype=torch.float64) for g in generators]).float()
    u = u * cdf[:, -1]  # the CDF ends at 1 up to rounding
    idx = torch.searchsorted(cdf, u[:, None]).squeeze(1).clamp(max=log_probs.shape[-1] - 1)
    # rounding could land on a zero-probability token at a plateau of the CDF: step back to the last real one
    bad = probs.gather(1, idx[:, None]).squeeze(1) <= 0
    if bad.any():
        idx[bad] = (probs[bad] > 0).long().cumsum(-1).argmax(-1)
    return idx


# -- generate ------------------------------------------------------------------------------------------------------
def _ids_of(cfg: DecodingConfig, model: Any) -> tuple[int | None, int]:
    eos = cfg.eos_token_id
    if eos is None:
        eos = getattr(getattr(model, "config", None), "eos_token_id", None)
        if isinstance(eos, list):
            eos = eos[0] if eos else None
    pad = cfg.pad_token_id if cfg.pad_token_id is not None else (eos if eos is not None else 0)
    return eos, pad


def prompt_seeds(prompts: Sequence[Sequence[int]], seed: int) -> list[int]:
    """The sampling seed of each prompt: a function of (seed, its tokens, how many equal prompts precede it)."""
    seen: Counter[tuple[int, ...]] = Counter()
    seeds = []
    for p in prompts:
        key = tuple(int(t) for t in p)
        seeds.append(derive_seed(seed, "prompt", *key, "copy", seen[key]))
        seen[key] += 1
    return seeds


def generate(
    model: Any,
    prompts: Sequence[Sequence[int]],
    cfg: DecodingConfig = DecodingConfig(),
    seeds: Sequence[int] | None = None,
    desc: str = "generate",
) -> list[Continuation]:
    """Continue every prompt (token ids); results in the order of ``prompts``.

    Args:
        model: a ``transformers`` causal LM (zoo, SmolLM2, or loaded from a directory), in eval mode.
        prompts: token-id lists (any lengths ≥ 1).
        cfg: the decoding settings.
        seeds: one sampling seed per prompt (default :func:`prompt_seeds`); only sampling reads them.
        desc: the progress bar's label.

    Returns:
        one :class:`Continuation` per prompt.
    """
    if seeds is not None and len(seeds) != len(prompts):
        raise UserError(f"{len(seeds)} seeds for {len(prompts)} prompts")
    seeds = list(seeds) if seeds is not None else prompt_seeds(prompts, cfg.seed)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # similar lengths share a batch
    results: list[Continuation | None] = [None] * len(prompts)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with progress(total=len(prompts), desc=desc) as bar:
            for lo in range(0, len(order), cfg.batch_size):
                chunk = order[lo : lo + cfg.batch_size]
                batch = [prompts[i] for i in chunk]
                if cfg.num_beams > 1:
                    outs = _beam_search(model, batch, cfg)
                else:
                    outs = _decode(model, batch, [seeds[i] for i in chunk], cfg)
                for i, out in zip(chunk, outs, strict=True):
                    results[i] = out
                bar.update(len(chunk))
    finally:
        model.train(was_training)
    return results  # type: ignore[return-value]


def generate_text(
    model: Any, tokenizer: Any, texts: Sequence[str], cfg: DecodingConfig = DecodingConfig(), **kwargs: Any
) -> list[str]:
    """:func:`generate` on texts: encode (no special tokens), continue, decode the new tokens."""
    prompts = [list(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    if cfg.pad_token_id is None and tokenizer.pad_token_id is not None:
        cfg = replace(cfg, pad_token_id=tokenizer.pad_token_id)
    if cfg.eos_token_id is None and tokenizer.eos_token_id is not None:
        cfg = replace(cfg, eos_token_id=tokenizer.eos_token_id)
    return [tokenizer.decode(c.ids, skip_special_tokens=True) for c in generate(model, prompts, cfg, **kwargs)]


def _forbid_eos(log_probs: torch.Tensor, eos: int | None, n_new: int, cfg: DecodingConfig) -> torch.Tensor:
    if eos is not None and n_new < cfg.min_new_tokens:
        log_probs = log_probs.clone()
        log_probs[:, eos] = float("-inf")
    return log_probs


def _decode(model: Any, prompts: list[Sequence[int]], seeds: list[int], cfg: DecodingConfig) -> list[Continuation]:
    """Greedy or sampling for one batch; finished rows leave the batch (their cache rows are dropped)."""
    eos, pad = _ids_of(cfg, model)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    new: list[list[int]] = [[] for _ in prompts]
    logprob = [0.0] * len(prompts)
    stopped = [False] * len(prompts)
    alive = list(range(len(prompts)))  # original row of every row of the state
    state = start(model, prompts, pad, cfg.use_cache)
    for step in range(cfg.max_new_tokens):
        model_lp = _forbid_eos(torch.log_softmax(state.logits, -1), eos, step, cfg)
        if cfg.sampling:
            tokens = draw(sampling_log_probs(model_lp, cfg), [gens[r] for r in alive])
        else:
            tokens = model_lp.argmax(-1)
        chosen_lp = model_lp.gather(1, tokens[:, None]).squeeze(1).tolist()
        keep = []
        for j, (r, tok) in enumerate(zip(alive, tokens.tolist(), strict=True)):
            logprob[r] += chosen_lp[j]
            if tok == eos:
                stopped[r] = True
            else:
                new[r].append(tok)
                keep.append(j)
        if not keep or step == cfg.max_new_tokens - 1:
            break
        if len(keep) < len(alive):
            idx = torch.tensor(keep)
            state, tokens = select(state, idx), tokens[idx]
            alive = [alive[j] for j in keep]
        state = advance(model, state, tokens)
    return [Continuation(new[r], stopped[r], logprob[r], logprob[r]) for r in range(len(prompts))]


def _beam_search(model: Any, prompts: list[Sequence[int]], cfg: DecodingConfig) -> list[Continuation]:
    """Beam search for one batch of B prompts, K = ``num_beams`` beams each (rows b·K … b·K+K-1)."""
    eos, pad = _ids_of(cfg, model)
    n_prompts, k = len(prompts), cfg.num_beams
    state = select(start(model, prompts, pad, cfg.use_cache), torch.arange(n_prompts).repeat_interleave(k))
    # only beam 0 is live at first, so that the K copies of the prompt do not propose the same tokens
    scores = torch.full((n_prompts, k), float("-inf"))
    scores[:, 0] = 0.0
    beams: list[list[list[int]]] = [[[] for _ in range(k)] for _ in range(n_prompts)]
    # hypotheses: (rank, ids, logprob, ended by EOS)
    finished: list[list[tuple[float, list[int], float, bool]]] = [[] for _ in range(n_prompts)]
    done = [False] * n_prompts

    def rank(logprob: float, n: int) -> float:
        return logprob / max(n, 1) ** cfg.length_penalty

    for step in range(cfg.max_new_tokens):
        lp = _forbid_eos(torch.log_softmax(state.logits, -1), eos, step, cfg)  # [B·K, V]
        vocab = lp.shape[-1]
        total = (scores.reshape(-1, 1) + lp).reshape(n_prompts, k * vocab)
        top_scores, top_idx = total.topk(min(2 * k, k * vocab), dim=-1)  # enough to fill K beams after EOS ones
        rows, tokens = [], []
        new_scores = torch.full((n_prompts, k), float("-inf"))
        new_beams: list[list[list[int]]] = []
        for b in range(n_prompts):
            chosen: list[list[int]] = []
            if done[b]:  # a finished prompt idles: its rows are kept but not extended
                rows += [b * k + j for j in range(k)]
                tokens += [pad] * k
                new_beams.append(beams[b])
                continue
            for s, flat in zip(top_scores[b].tolist(), top_idx[b].tolist(), strict=True):
                if s == float("-inf") or len(chosen) == k:
                    break
                beam, tok = divmod(flat, vocab)
                ids = beams[b][beam]
                if tok == eos:
                    finished[b].append((rank(s, len(ids) + 1), ids, s, True))
                    continue
                new_scores[b, len(chosen)] = s
                rows.append(b * k + beam)
                tokens.append(tok)
                chosen.append([*ids, tok])
            # fewer than K live candidates (tiny vocabularies): the rest stay dead copies of row b·K
            while len(chosen) < k:
                rows.append(b * k)
                tokens.append(pad)
                chosen.append([])
            new_beams.append(chosen)
            if len(finished[b]) >= k:
                done[b] = True
        beams, scores = new_beams, new_scores
        if all(done) or step == cfg.max_new_tokens - 1:
            break
        state = advance(model, select(state, torch.tensor(rows)), torch.tensor(tokens))
    results = []
    for b in range(n_prompts):
        hyps = list(finished[b])
        if not done[b]:  # beams cut by max_new_tokens compete with the finished ones
            for j in range(k):
                s = float(scores[b, j])
                if s > float("-inf"):
                    hyps.append((rank(s, len(beams[b][j])), beams[b][j], s, False))
        best_rank, ids, lp_sum, stopped = max(hyps, key=lambda h: h[0])
        results.append(Continuation(list(ids), stopped, lp_sum, best_rank))
    return results
