"""PIP-KAG (Huang et al., arXiv 2502.15543): knowledge-conflict layer scoring, FFN pruning, adaptation, CoConflictQA.

Being built (issue 18); not yet in the catalogue (``tenfold.systems`` lists it as planned). Done so far:
:mod:`~tenfold.pipkag.metrics` (the CoConflictQA scorer, fixed and official), :mod:`~tenfold.pipkag.data` (the
benchmark read where it lies), :mod:`~tenfold.pipkag.layers` (ΔR layer scores by hooks, FFN pruning with the λ
dial, parameter accounting) and :mod:`~tenfold.pipkag.objectives` (the adaptation loss, both granularities).
"""
