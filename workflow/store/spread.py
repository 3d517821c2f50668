"""One function over many documents, spread over forked processes: `check`, and the hash passes of
`translate` (nothing changed) and `review` (nothing edited).

This process takes the first slice; `count - 1` forked ones take the others. They inherit the
caller's state (settings, glossary, job: read and imported once, nothing pickled but the items
and the answers), and the answers come back in the items' order, so the result is the same with
any number of processes. A process that dies (killed, out of memory) costs only time: its slice
is done here.

Before a fork, everything alive is frozen out of the garbage collector (`frozen`, CPython's
`gc.freeze`): a forked process's collections then never walk the state it inherited (the
imported modules, the glossary, a loaded translation memory). Walking it costs time in every
process (about a tenth of a first run's, measured by bench/bench_tm.py) and touches, so copies,
memory pages the processes could share.

Inside the block the youngest generation is also collected less often (`YOUNG_THRESHOLD`
allocations instead of CPython's 700): a run allocates millions of short-lived containers
(tokens, records) that reference counting frees, and few cycles; collecting every 700
allocations cost about 4 % of a first run (gc callbacks on the 1,000-document corpus of
bench/bench_scale.py: 0.7 s in 1,200 collections, 0.3 s in 65-136 at 10,000).
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 2000  # below this a second process costs more than it saves (measured on check's pass)
_CALL: Callable[[Any], Any] | None = None  # the function, inherited by the forked processes
_FROZEN = 0  # how many `frozen` blocks are open
_OURS = False  # whether the outermost block froze (not when the caller had frozen already)
_THRESHOLDS: tuple[int, int, int] | None = None  # the collector's thresholds before the outermost block
YOUNG_THRESHOLD = 10_000  # allocations between collections of the youngest generation, inside `frozen`


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Inside the block, the objects alive when it began are left out of garbage collection
    (they stay subject to reference counting) and the youngest generation is collected every
    `YOUNG_THRESHOLD` allocations; nested blocks share the outermost's freeze and thresholds, and
    a freeze of the caller's own is left as it was (its thresholds are restored)."""
    global _FROZEN, _OURS, _THRESHOLDS
    if _FROZEN == 0:
        _OURS = gc.get_freeze_count() == 0
        if _OURS:
            gc.freeze()
        _THRESHOLDS = gc.get_threshold()
        young, *older = _THRESHOLDS
        gc.set_threshold(max(young, YOUNG_THRESHOLD), *older)
    _FROZEN += 1
    try:
        yield
    finally:
        _FROZEN -= 1
        if _FROZEN == 0:
            if _OURS:
                gc.unfreeze()
            if _THRESHOLDS is not None:
                gc.set_threshold(*_THRESHOLDS)


def processes(jobs: int | None, items: int, *, least: int = MIN_ITEMS, per_process: int = 2) -> int:
    """How many: `jobs` when given, else one per CPU from `least` items on; never more than one per
    `per_process` items; 1 where fork is missing."""
    if jobs is None:
        if items < least:
            return 1
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = max(1, min(jobs, items // per_process))
    if jobs > 1:
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            return 1
    return jobs


def spread(call: Callable[[T], R], items: Sequence[T], count: int) -> list[R]:
    """`[call(item) for item in items]`, over `count` processes."""
    if count <= 1 or len(items) < 2:
        return [call(item) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _CALL
    size = -(-len(items) // count)
    slices = [items[i:i + size] for i in range(0, len(items), size)]
    _CALL = call
    try:
        with frozen(), ProcessPoolExecutor(len(slices) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_forked, part) for part in slices[1:]]
            answers = [call(item) for item in slices[0]]
            for future, part in zip(futures, slices[1:]):
                try:
                    answers += future.result()
                except BrokenProcessPool:
                    answers += [call(item) for item in part]
    finally:
        _CALL = None
    return answers


def _forked(items: Sequence[Any]) -> list[Any]:
    assert _CALL is not None, "runs only in a process forked by spread()"
    return [_CALL(item) for item in items]
