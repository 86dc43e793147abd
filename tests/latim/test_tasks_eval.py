"""The synthetic suites' ground truth, the evaluation metrics on hand-made maps, mimetic initialisation, and the
task trainer's masked loss and exact resume."""

from __future__ import annotations

import random

import pytest
import torch

from tenfold.latim.evaluate import alignment_error_rate, faithfulness, row_auc, source_scores
from tenfold.latim.tasks import BOS, SEP, TaskSpec, collate, dataset, lexicon, sample, translate_words


@pytest.mark.parametrize("name", ["copy", "copy-nosep", "recall", "translate", "retrieve"])
def test_every_gold_source_holds_the_token_to_predict(name):
    spec = TaskSpec(name.split("-")[0], symbols=8, min_len=3, max_len=9, separator=name != "copy-nosep")
    name = spec.name
    for e in dataset(spec, 50, 1):
        assert e.ids[0] == BOS and len(e.rows) == len(e.sources) and len(e.ids) <= spec.max_seq
        assert max(e.ids) < spec.vocab_size
        for i, j in zip(e.rows, e.sources, strict=True):
            assert j <= i < len(e.ids) - 1
            if name == "translate":  # the source word translates to the next target word
                table, _ = lexicon(spec)
                assert table[e.ids[j]] == e.ids[i + 1]
            else:
                assert e.ids[j] == e.ids[i + 1]  # copied / recalled / retrieved token


def test_copy_layout_and_fixed_length_control():
    e = sample(TaskSpec("copy", symbols=5, min_len=3, max_len=3), random.Random(0))
    n = 3
    assert e.ids[n + 1] == SEP and e.ids[1 : n + 1] == e.ids[n + 2 :]
    assert e.rows == [4, 5, 6] and e.sources == [1, 2, 3]  # gold source of row i is i − n
    lengths = {len(x.ids) for x in dataset(TaskSpec("copy", min_len=10, max_len=10), 20, 0)}
    assert lengths == {22}


def test_copy_without_a_separator_has_no_sep_and_the_same_gold_sources():
    e = sample(TaskSpec("copy", symbols=5, min_len=3, max_len=3, separator=False), random.Random(0))
    assert SEP not in e.ids and e.ids[1:4] == e.ids[4:]
    assert e.rows == [3, 4, 5] and e.sources == [1, 2, 3]  # row 3 (x_3) predicts the copy's x_1


def test_translation_swaps_adjective_noun_pairs():
    spec = TaskSpec("translate", symbols=4)
    table, adjectives = lexicon(spec)
    noun, adj = min(set(table) - adjectives), min(adjectives)
    words = [adj, noun, noun, adj]
    target, order = translate_words(words, spec)
    assert order == [1, 0, 2, 3] and target == [table[w] for w in (noun, adj, noun, adj)]
    assert len(set(table.values())) == len(table)  # a bijection


def test_collate_masks_padding_and_labels_only_target_rows():
    spec = TaskSpec("copy", symbols=6, min_len=2, max_len=8)
    exs = dataset(spec, 5, 3)
    b = collate(exs)
    for n, e in enumerate(exs):
        assert b.mask[n].sum() == len(e.ids)
        labelled = (b.labels[n] != -100).nonzero().flatten().tolist()
        assert labelled == e.rows and all(b.labels[n, r] == e.ids[r + 1] for r in e.rows)


def test_metrics_on_hand_made_maps():
    assert row_auc(torch.tensor([0.1, 0.9, 0.2]), 1) == 1.0
    assert row_auc(torch.tensor([0.5, 0.5]), 0) == 0.5
    spec = TaskSpec("copy", symbols=6, min_len=4, max_len=4)
    exs = dataset(spec, 4, 0)
    perfect = []
    for e in exs:
        m = torch.zeros(len(e.ids), len(e.ids))
        for i, j in zip(e.rows, e.sources, strict=True):
            m[i, j] = 1.0
        perfect.append(m)
    s = source_scores(perfect, exs)
    assert s.auc == 100.0 and s.top1 == 100.0 and s.rows == 16
    worst = [torch.tril(torch.ones_like(m)) - m for m in perfect]  # every other candidate beats the gold one
    assert source_scores(worst, exs).auc == 0.0
    tr = dataset(TaskSpec("translate", symbols=4, min_len=3, max_len=5), 3, 0)
    gold = []
    for e in tr:
        m = torch.zeros(len(e.ids), len(e.ids))
        for i, j in zip(e.rows, e.sources, strict=True):
            m[i, j] = 1.0
        gold.append(m)
    assert alignment_error_rate(gold, tr) == 0.0
    wrong = []
    for e in tr:  # each target word links to the next source word over (cyclically): never the gold one
        m = torch.zeros(len(e.ids), len(e.ids))
        n_src = e.ids.index(SEP) - 1
        for i, j in zip(e.rows, e.sources, strict=True):
            m[i, 1 + (j % n_src)] = 1.0
        wrong.append(m)
    assert alignment_error_rate(wrong, tr) == 100.0
    # faithfulness: scores equal to the effects correlate perfectly; AOPC is the cumulative top-k effect
    effects = [
        torch.rand(len(e.rows), len(e.ids))
        * torch.tril(torch.ones(len(e.rows), len(e.ids)), diagonal=len(e.ids) - len(e.rows))
        for e in exs
    ]
    maps = []
    for e, eff in zip(exs, effects, strict=True):
        m = torch.zeros(len(e.ids), len(e.ids))
        m[torch.tensor(e.rows)] = eff
        maps.append(m)
    f = faithfulness(maps, effects, exs, k=3)
    assert f.spearman == pytest.approx(1.0) and f.aopc[0] <= f.aopc[1] <= f.aopc[2]


def test_mimetic_initialisation():
    from tenfold.latim.train import ModelConfig, TaskTrainConfig, build

    for family in ("mamba", "mamba2"):
        model_cfg = ModelConfig(family=family, d_model=16, head_dim=8, mimetic=True)
        cfg = TaskTrainConfig(task=TaskSpec("copy", symbols=4), model=model_cfg)
        model = build(cfg)
        for block in model.backbone.layers:
            mix = block.mixer
            assert (mix.conv1d.weight[..., -1] == 1).all() and (mix.conv1d.weight[..., :-1] == 0).all()
            assert torch.exp(mix.A_log).max() <= 1.0  # A = −exp(A_log) close to 0 for every state but the first
            if family == "mamba":
                r, n = mix.time_step_rank, mix.ssm_state_size
                assert torch.equal(mix.x_proj.weight[r : r + n], mix.x_proj.weight[r + n :])
            else:
                d, gn = mix.intermediate_size, mix.n_groups * mix.ssm_state_size
                w = mix.in_proj.weight
                assert torch.equal(w[2 * d : 2 * d + gn], w[2 * d + gn : 2 * d + 2 * gn])


def test_task_training_learns_and_resumes_exactly(tmp_path):
    from dataclasses import replace

    from tenfold.latim.train import ModelConfig, TaskTrainConfig, TaskTrainer, accuracy, build
    from tenfold.lm.trainer import OptimConfig

    cfg = TaskTrainConfig(
        task=TaskSpec("copy", symbols=4, min_len=2, max_len=4),
        model=ModelConfig(family="mamba", d_model=16, d_state=4),
        optim=OptimConfig(
            steps=40, batch_size=16, lr=1e-2, warmup_steps=5, eval_every=20, ckpt_every=20, weight_decay=0.0
        ),
        val_examples=64,
    )
    straight = build(cfg)
    before = accuracy(straight, collate(dataset(cfg.task, 64, 9)))
    TaskTrainer(straight, cfg, tmp_path / "a").train()
    after = accuracy(straight, collate(dataset(cfg.task, 64, 9)))
    assert after > before + 0.1, (before, after)
    split = build(cfg)
    TaskTrainer(split, cfg, tmp_path / "b").train(stop_at=20)
    resumed = build(replace(cfg))
    TaskTrainer(resumed, cfg, tmp_path / "b").train()
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
