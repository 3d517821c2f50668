"""`store.spread`: one function over many items in forked processes, answers in the items' order."""

from __future__ import annotations

import os
from pathlib import Path

from workflow.store import spread as spread_mod
from workflow.store.spread import processes, spread


def test_answers_come_back_in_order_and_from_other_processes() -> None:
    items = list(range(101))
    answers = spread(lambda n: (n * n, os.getpid()), items, 3)
    assert [a for a, _ in answers] == [n * n for n in items]
    assert len({pid for _, pid in answers}) >= 2 and answers[0][1] == os.getpid()  # the pool may reuse one


def test_a_process_that_dies_costs_only_time(tmp_path: Path) -> None:
    parent = os.getpid()

    def call(n: int) -> int:
        if os.getpid() != parent and n == 60:
            os._exit(9)  # killed mid-slice
        return n + 1

    assert spread(call, list(range(100)), 2) == list(range(1, 101))
    assert spread_mod._CALL is None


def test_small_runs_stay_in_this_process() -> None:
    assert processes(None, spread_mod.MIN_ITEMS - 1) == 1
    assert processes(4, 3) == 1 and processes(2, 10) == 2


def collected(thing: object) -> bool:
    """Whether gc's generations hold `thing` (a frozen object is left out of them). A sentinel, not
    gc.get_freeze_count(): a frozen object that dies by reference counting lowers the count."""
    import gc

    return any(each is thing for each in gc.get_objects())


def test_what_a_fork_inherits_is_frozen_out_of_collection_only_for_the_block() -> None:
    import gc

    from workflow.store.spread import frozen

    kept = [object()]
    with frozen():
        assert not collected(kept)  # this process's objects, left out of collections while forked processes run
        with frozen():  # a nested block (translate's pool, a hash pass inside it) keeps the outer freeze
            pass
        assert not collected(kept)
    assert collected(kept)
    assert gc.get_freeze_count() == 0  # and afterwards collected again: a library caller leaks nothing


def test_spread_inside_a_frozen_block_leaves_it_frozen() -> None:
    import gc

    from workflow.store.spread import frozen

    kept = [object()]
    with frozen():
        assert not collected(kept)
        assert spread(_square, list(range(10)), 2) == [n * n for n in range(10)]
        assert not collected(kept)  # spread left the block's freeze in place
    assert collected(kept)
    assert gc.get_freeze_count() == 0


def _square(n: int) -> int:
    return n * n


def test_a_freeze_of_the_caller_s_own_is_left_as_it_was() -> None:
    import gc

    from workflow.store.spread import frozen

    kept = [object()]
    gc.freeze()
    try:
        with frozen():
            pass
        assert not collected(kept)  # the caller's freeze is still in place
    finally:
        gc.unfreeze()


def test_the_young_generation_is_collected_less_often_only_inside_the_block() -> None:
    import gc

    from workflow.store.spread import YOUNG_THRESHOLD, frozen

    before = gc.get_threshold()
    gc.set_threshold(500, before[1], before[2])
    try:
        with frozen():
            assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
            with frozen():
                assert gc.get_threshold()[0] == YOUNG_THRESHOLD
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # the nested block left the outer's in place
        assert gc.get_threshold() == (500, before[1], before[2])  # the caller's own thresholds, back
        gc.set_threshold(50_000, before[1], before[2])
        with frozen():
            assert gc.get_threshold()[0] == 50_000  # a caller's rarer collections are never made more frequent
    finally:
        gc.set_threshold(*before)
