"""Acceptance tests of PP-MARL's effects at CPU scale (``make test-slow``), on the quick reproduction (seeds 0 and 1;
its judged claims are asserted by ``tests/test_conformance.py``). Here: the numbers behind them, checked
independently of the claims' judges.

* privacy: on every seed the attack error orders plain ≈ HE-raw < DP-only, split < PP-MARL, PP-MARL ≥ 0.95;
* utility: PP-MARL within 15 % of plain MADDPG's gain over random, DP-only (the same σ on raw inputs) far below it;
* encryption changes nothing: HE-raw's returns equal plain's on every seed (the sampled ciphertexts decrypt to the
  plaintext sums, and learning runs on the latter);
* bandwidth: every reduction of the sweep, from serialised sizes, equals the one the ciphertext counts give.
"""

from __future__ import annotations

import json

import pytest

from tenfold.ppmarl.names import METHODS

pytestmark = pytest.mark.slow


def _runs(rep) -> dict:
    return json.loads((rep.run_dirs[0] / "runs.json").read_text())


def test_attack_error_orders_the_methods_on_every_seed(quick_reproduction):
    runs = _runs(quick_reproduction("ppmarl"))
    for seed in (0, 1):
        err = {m: runs[f"drone/{m}/{seed}"]["attack"]["best"] for m in METHODS if m != "federated"}
        assert max(err["plain"], err["he-raw"]) < 0.05, err
        assert max(err["split"], err["dp-only"]) < err["pp-marl"] and err["pp-marl"] >= 0.95, err


def test_pp_marl_keeps_the_utility_dp_only_loses(quick_reproduction):
    runs = _runs(quick_reproduction("ppmarl"))
    gain = {
        m: sum(runs[f"drone/{m}/{s}"]["eval_return"] - runs[f"drone/{m}/{s}"]["random_return"] for s in (0, 1))
        for m in ("plain", "dp-only", "pp-marl")
    }
    assert gain["pp-marl"] >= 0.85 * gain["plain"], gain
    assert gain["dp-only"] <= 0.5 * gain["plain"], gain


def test_sampled_encryption_leaves_learning_unchanged(quick_reproduction):
    runs = _runs(quick_reproduction("ppmarl"))
    for seed in (0, 1):
        plain, he = runs[f"drone/plain/{seed}"], runs[f"drone/he-raw/{seed}"]
        assert plain["eval_return"] == he["eval_return"] and plain["train_returns"] == he["train_returns"]
        assert he["he_max_error"] < 1e-6


def test_bandwidth_sweep_matches_the_ciphertext_counts(quick_reproduction):
    values = quick_reproduction("ppmarl").result("bandwidth").values
    for row in values["sweep"]:
        assert abs(row["reduction"] - row["planned_reduction"]) <= 0.002, row
    by = {(r["rep"], r["batch"]): r["reduction"] for r in values["sweep"]}
    assert abs(by[(2, 1024)] - (1 - 2 / 36)) <= 0.002 and abs(by[(5, 1024)] - (1 - 6 / 36)) <= 0.002
