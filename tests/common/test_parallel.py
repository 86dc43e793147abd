"""The shared process pools: pmap keeps job order; run_dag runs the follow-ups of a result ahead of the queue, with
the same results inline and in workers."""

from __future__ import annotations

from tenfold.common.parallel import pmap, run_dag


def _square(x: int) -> int:
    return x * x


def _follow(i: int, result: int) -> list[int]:
    # the result 0 (of job 0) asks for jobs 2 and 1; the result 4 (of that job 2) for job 3
    return {0: [2, 1], 4: [3]}.get(result, [])


def test_pmap_keeps_order():
    assert list(pmap(_square, [3, 1, 2], workers=2, torch_threads=None)) == [9, 1, 4]


def test_run_dag_follow_ups_inline_and_in_workers_agree():
    inline = run_dag(_square, [0, 5, 6], _follow, workers=1)
    assert inline == [0, 25, 36, 4, 1, 9]
    assert run_dag(_square, [0, 5, 6], _follow, workers=2) == inline
    assert run_dag(_square, [0, 5, 6], None, workers=2) == [0, 25, 36]
