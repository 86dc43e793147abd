"""Acceptance tests of LaTIM's effects at CPU scale (``make test-slow``), on the quick reproduction (2 seeds per
suite and architecture; its judged claims are asserted by ``tests/test_conformance.py``). Here: the numbers behind
them, checked independently of the claims' judges.

* copying: LaTIM-ALTI's last-layer AUC ≥ 97 and top-1 above hidden attention's, both architectures;
* the fixed-length control: where a model's own causal AUC says its last layer does not read the source, every
  single-layer method stays below 70; ALTI's verdict is the causal one on every model;
* faithfulness: LaTIM's Spearman correlation with value-path ablation effects exceeds hidden attention's.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_copy_maps_find_the_copied_token(quick_reproduction):
    copy = quick_reproduction("latim").result("copy").values["table"]
    for arch, row in copy.items():
        m = row["methods"]
        assert m["latim-alti"]["auc"] >= 97, (arch, m["latim-alti"])
        assert m["latim-alti"]["top1"] > m["hidden-attention"]["top1"], (arch, m)
        assert row["seeds"] == 2


def test_fixed_length_control_follows_each_models_causal_auc(quick_reproduction):
    control = quick_reproduction("latim").result("copy_control")
    models = control.values["models"]
    assert len(models) == 4, control.ours  # 2 architectures × 2 seeds, each judged on its own
    for m in models:
        reads = m["causal_auc"]["last"] >= 70
        assert (m["aucs"]["latim-alti"] >= 70) == reads, m
        if not reads:
            assert max(m["aucs"].values()) < 70, m
    assert control.holds, control.ours


def test_faithfulness_beats_hidden_attention(quick_reproduction):
    rho = quick_reproduction("latim").result("faithfulness").values["spearman"]["value-layer"]
    assert max(v for k, v in rho.items() if k.startswith("latim-")) > rho["hidden-attention"], rho
