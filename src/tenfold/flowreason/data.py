"""Problems: FoR's ~15 training problems and held-out problems per task (generated here; nothing is downloaded).

Game24: the 1,362 solvable multisets of four numbers from 1..13 (ToT's 24.csv has the same 1,362; its order by human
solve time is not available offline, so splits are drawn at random with a seed). BlocksWorld: generated instances with
an exact optimal plan length (the paper's step-2/4/6 splits) of 3–5 blocks. ProntoQA: generated fictional ontologies
with a gold proof of 3, 4 or 5 hops, distractor branches and bypass routes (ProntoQA's data files are not shipped
offline).
"""

from __future__ import annotations

import random
from typing import Any

from tenfold.common.errors import UserError
from tenfold.flowreason.config import DataConfig


def game24_split(n_train: int, n_test: int, seed: int = 0) -> tuple[list[Any], list[Any]]:
    from tenfold.flowreason.game24 import solvable_puzzles

    puzzles = solvable_puzzles()
    if n_train + n_test > len(puzzles):
        raise UserError(f"only {len(puzzles)} solvable Game24 puzzles; asked for {n_train} + {n_test}")
    order = random.Random(seed).sample(puzzles, n_train + n_test)
    return order[:n_train], order[n_train:]


def blocks_split(n_train: int, n_test: int, optimal: int, slack: int, seed: int = 0) -> tuple[list[Any], list[Any]]:
    from tenfold.flowreason.blocksworld import generate_instances

    instances = generate_instances(optimal, n_train + n_test, seed=seed, slack=slack)
    return instances[:n_train], instances[n_train:]


def pronto_split(n_train: int, n_test: int, cfg: DataConfig) -> tuple[list[Any], list[Any]]:
    from tenfold.flowreason.prontoqa import generate

    problems = generate(
        cfg.pronto_hops,
        n_train + n_test,
        seed=cfg.data_seed,
        distractors=cfg.pronto_distractors,
        bypasses=cfg.pronto_bypasses,
    )
    if len(problems) < n_train + n_test:
        raise UserError(f"could only generate {len(problems)} ProntoQA problems; asked for {n_train} + {n_test}")
    return problems[:n_train], problems[n_train:]


def split(task: str, cfg: DataConfig) -> tuple[list[Any], list[Any]]:
    """(training problems, held-out problems) of a task."""
    if task == "game24":
        return game24_split(cfg.n_train, cfg.n_test, cfg.data_seed)
    if task == "blocksworld":
        return blocks_split(cfg.n_train, cfg.n_test, cfg.blocks_optimal, cfg.blocks_slack, cfg.data_seed)
    if task == "prontoqa":
        return pronto_split(cfg.n_train, cfg.n_test, cfg)
    raise UserError(f"unknown task '{task}' (choose from game24, blocksworld, prontoqa)")
