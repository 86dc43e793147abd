"""Acceptance tests of LaTIM's effects at CPU scale (``make test-slow``): the quick reproduction (copy models of both
architectures, 2 seeds, ≥ 97 % copy accuracy; about 5 minutes with an empty cache).

* copying: LaTIM-ALTI's last-layer AUC ≥ 97 and top-1 ≥ hidden attention's + 3 for Mamba-1 and Mamba-2;
* the fixed-length negative control: every last-layer method's AUC < 70 (an expected failure: see its test), and,
  judged against each model's causal AUC, methods sit near chance exactly where the model's last layer does not read
  its source and ALTI's verdict is the causal one on every model;
* faithfulness: LaTIM's Spearman correlation with value-path ablation effects exceeds hidden attention's;
* translation: LaTIM-ALTI's AER below hidden attention's on both architectures.
"""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_quick_reproduction_headline(tmp_path):
    from tenfold.latim.reproduce import reproduce

    rep = reproduce("quick", tmp_path)
    by_id = {r.claim.id: r for r in rep.results}
    assert by_id["exact"].holds, by_id["exact"].ours
    copy = by_id["copy"].values
    for arch, row in copy.items():
        m = row["methods"]
        assert row["accuracy"] >= 0.97, arch
        assert m["latim-alti"]["auc"] >= 97, (arch, m["latim-alti"])
        assert m["latim-alti"]["top1"] >= m["hidden-attention"]["top1"] + 3, (arch, by_id["copy"].ours)
        assert row["seeds"] == 2
    rho = by_id["faithfulness"].values["spearman"]["value-layer"]
    assert max(v for k, v in rho.items() if k.startswith("latim-")) > rho["hidden-attention"], rho
    assert by_id["translate"].holds, by_id["translate"].ours


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="the seed-1 Mamba-2 fixed-length model's last layer reads its sources (causal AUC 98; 99 % accurate at "
    "other lengths too), so every method finds them (AUC 86-100); see the README",
)
def test_fixed_length_control_stays_near_chance(tmp_path):
    from tenfold.latim.reproduce import reproduce

    rep = reproduce("quick", tmp_path)  # the evaluations are cached by the test above: seconds
    control = next(r for r in rep.results if r.claim.id == "copy_control")
    assert control.holds, control.ours


@pytest.mark.slow
def test_fixed_length_control_follows_each_models_causal_auc(tmp_path):
    from tenfold.latim.reproduce import reproduce

    rep = reproduce("quick", tmp_path)
    control = next(r for r in rep.results if r.claim.id == "copy_control_causal")
    assert control.values["models"] == 4, control.ours
    assert control.holds, control.ours
