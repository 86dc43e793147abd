"""``tenfold aac ...``: predict, type, eval, adapt."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tenfold.common.cli import (
    add_command,
    add_group,
    existing_file,
    fraction,
    non_negative_int,
    output_dir,
    positive_int,
)
from tenfold.common.errors import UserError


def register(sub) -> None:
    inner = add_group(
        sub,
        "aac",
        help="next-character prediction for AAC from subword LMs",
        description="Character prediction from subword LMs (Gaines & Vertanen, arXiv 2501.10582)",
    )

    p = add_command(
        inner,
        "predict",
        _predict,
        "next-character distribution after a typed text",
        example='tenfold aac predict --model gpt2-tiny "i would like a cup of t"',
    )
    _model_args(p)
    p.add_argument("text", help="the typed text (letters, apostrophe, space)")
    p.add_argument("--top", type=positive_int, default=10, help="symbols to show (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(
        inner,
        "type",
        _type,
        "interactive typing with predictions (Backspace works; Enter ends)",
        example="tenfold aac type --model gpt2-tiny",
    )
    _model_args(p)

    p = add_command(
        inner,
        "eval",
        _eval,
        "character perplexity, accuracy and latency on a text file",
        example="tenfold aac eval --model gpt2-tiny --data sentences.txt --max-chars 500",
    )
    _model_args(p)
    p.add_argument(
        "--data", type=existing_file, required=True, help="one sentence per line (normalised to the symbols)"
    )
    p.add_argument(
        "--max-chars", type=positive_int, default=None, help="score at most this many characters (default: all)"
    )
    p.add_argument("--keystroke-savings", action="store_true", help="also measure keystroke savings (slow)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(
        inner,
        "adapt",
        _adapt,
        "rate a pool of sentences, keep the best, fine-tune the model on them",
        example="tenfold aac adapt --model gpt2-tiny --seed-file aac_examples.txt --pool pool.txt "
        "--negative general.txt --top 200 --out-dir runs/aac-adapted",
    )
    _model_args(p)
    p.add_argument("--seed-file", type=existing_file, required=True, help="AAC-like example sentences (one per line)")
    p.add_argument("--pool", type=existing_file, required=True, help="candidate sentences to rate (one per line)")
    p.add_argument("--negative", type=existing_file, default=None, help="general-text examples (default: the pool)")
    p.add_argument("--top", type=positive_int, default=1000, help="sentences to keep (default 1000)")
    p.add_argument("--steps", type=positive_int, default=150, help="fine-tuning steps (default 150)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the training batches (default 0)")
    p.add_argument("--out-dir", type=output_dir, required=True, help="where the selection and the adapted model go")


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="smollm2, a trained zoo name, or a Hugging Face model directory")
    p.add_argument("--beam", type=positive_int, default=8, help="hypotheses per step (default 8)")
    p.add_argument("--max-completed", type=positive_int, default=32000, help="votes per keystroke (default 32000)")
    p.add_argument("--unpruned", action="store_true", help="exact search: no beam, no cap")
    p.add_argument(
        "--min-ratio",
        type=fraction,
        default=None,
        help="also drop hypotheses below this ratio to the step's best (with --unpruned: a near-exact search whose "
        "dropped mass bounds the error)",
    )
    p.add_argument(
        "--lowercase-context",
        action="store_true",
        help="feed the context lower-cased (models trained on normalised text) instead of capitalised",
    )
    p.add_argument(
        "--left-context",
        default=None,
        help="text that precedes every message (default: a chat model's user-turn prefix, else the sentence-start "
        "token; the paper's GPT-2 setting is '<|endoftext|>')",
    )
    p.add_argument("--corpus", default="dialogues", help="for zoo names: the corpus it was trained on")


def _predictor(args: argparse.Namespace):
    from tenfold.aac.predictor import CharPredictor
    from tenfold.lm.loading import load_model

    model, tokenizer = load_model(args.model, corpus=args.corpus)
    if tokenizer is None:
        raise UserError(f"'{args.model}' has no tokenizer files next to its weights")
    beam, cap = (None, None) if args.unpruned else (args.beam, args.max_completed)
    if args.min_ratio is not None and not 0 < args.min_ratio < 1:
        raise UserError(f"--min-ratio must be in (0, 1), got {args.min_ratio}")
    return CharPredictor(
        model,
        tokenizer,
        beam_width=beam,
        max_completed=cap,
        min_ratio=args.min_ratio,
        left_context=args.left_context,
        case_context=not args.lowercase_context,
    )


def _predict(args: argparse.Namespace) -> int:
    from tenfold.aac.symbols import check_typed
    from tenfold.common.tables import print_table

    check_typed(args.text)  # a bad character fails before the model loads
    pred = _predictor(args)
    probs = sorted(pred.predict(args.text).items(), key=lambda kv: -kv[1])
    if args.json:
        stats = pred.stats
        print(
            json.dumps(
                {"text": args.text, "probs": dict(probs), "ms": 1000 * stats.seconds, "dropped_mass": stats.dropped}
            )
        )
        return 0
    rows = [[repr(c), f"{p:.4f}"] for c, p in probs[: args.top]]
    print_table(["next", "P"], rows, title=f"after {args.text!r} ({1000 * pred.stats.seconds:.0f} ms)")
    return 0


def _type(args: argparse.Namespace) -> int:
    """One line per keystroke; with a terminal, keys are read raw (Backspace deletes, Enter ends, Esc quits)."""
    from tenfold.aac.symbols import DEFAULT_SYMBOLS

    pred = _predictor(args)
    typed = ""
    keys = _keys()
    print("type a message (Backspace deletes, Enter ends, Esc quits)", file=sys.stderr)
    _show(pred, typed)
    for key in keys:
        if key in ("\r", "\n", "\x1b", "\x04"):
            break
        if key in ("\x7f", "\x08"):
            typed = typed[:-1]
        elif key.lower() in DEFAULT_SYMBOLS:
            typed += key.lower()
        else:
            print(f"  ({key!r} is not one of the symbols a-z ' space)", file=sys.stderr)
            continue
        _show(pred, typed)
    print(f"message: {typed!r}")
    return 0


def _show(pred, typed: str) -> None:
    probs = sorted(pred.predict(typed).items(), key=lambda kv: -kv[1])[:5]
    words = pred.complete_words(typed, n=3)
    chars = "  ".join(f"{'␣' if c == ' ' else c}:{p:.2f}" for c, p in probs)
    print(f"{typed + '▏':<40} next {chars}   words: {', '.join(words)}", flush=True)


def _keys():
    """Keystrokes from a terminal in raw mode, or characters from piped input."""
    if not sys.stdin.isatty():
        yield from iter(lambda: sys.stdin.read(1), "")
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        while True:
            yield sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def _read_lines(path: Path) -> list[str]:
    from tenfold.aac.symbols import normalize
    from tenfold.common.readers import read_text_lines

    lines = [normalize(line) for line in read_text_lines(path, "sentence file")]
    lines = [line for line in lines if line]
    if not lines:
        raise UserError(f"'{path}' has no text made of the symbols a-z, apostrophe and space")
    return lines


def _eval(args: argparse.Namespace) -> int:
    from tenfold.aac.metrics import evaluate, keystroke_savings
    from tenfold.common.tables import print_table

    sentences = _read_lines(args.data)
    pred = _predictor(args)
    summary = evaluate(pred, sentences, args.max_chars).summary()
    if args.keystroke_savings:
        summary |= keystroke_savings(pred, sentences)
    if args.json:
        print(json.dumps(summary))
    else:
        print_table(["metric", "value"], [[k, v] for k, v in summary.items()], title=f"{args.model} on {args.data}")
    return 0


def _adapt(args: argparse.Namespace) -> int:
    from tenfold.aac.adaptation import UsefulnessScorer, select_top
    from tenfold.lm.jobs import texts_hash, train_on_texts
    from tenfold.lm.loading import load_model
    from tenfold.lm.trainer import OptimConfig

    examples, pool = _read_lines(args.seed_file), _read_lines(args.pool)
    negative = _read_lines(args.negative) if args.negative else pool
    scorer = UsefulnessScorer().fit(examples, negative)
    scores = [scorer.score(s) for s in pool]
    chosen = [pool[i] for i in select_top(pool, scores, args.top)]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "selected.txt").write_text("\n".join(chosen) + "\n")
    model, tokenizer = load_model(args.model, corpus=args.corpus)
    model.train()
    # a small selection still trains: blocks of up to 64 tokens, at most half of the selected text
    n_tokens = sum(len(tokenizer(s + "\n")["input_ids"]) for s in chosen)
    cfg = OptimConfig(
        steps=args.steps,
        batch_size=32,
        block_size=max(2, min(64, n_tokens // 2)),
        lr=1e-3,
        warmup_steps=10,
        eval_every=max(1, args.steps // 3),
        ckpt_every=max(1, args.steps // 3),
        seed=args.seed,
    )
    val = chosen[::20] or chosen[:1]
    record = {
        "model": args.model,
        "seed_file": texts_hash(examples),
        "pool": texts_hash(pool),
        "top": args.top,
        "train": cfg,
    }
    train_on_texts(args.out_dir, record, model, tokenizer, chosen, val, cfg, system="aac", preset="adapt")
    print(
        f"selected {len(chosen)} of {len(pool)} sentences -> {args.out_dir / 'selected.txt'}; "
        f"adapted model -> {args.out_dir / 'final'}"
    )
    return 0
