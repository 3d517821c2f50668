"""Batches spread over several servers, several requests in flight, a failed server's work finished on the others.

`Pool(urls, in_flight).map(batches, call)` returns one result per batch, in order.
The calling thread schedules: it keeps up to `in_flight` calls running in worker
threads, each on the server that has the fewest requests in flight (ties go round
the list, so batches spread); it alone collects results and reports progress.

A call that raises `ServerDown` (the engine gave up on that server after its own
retries: refused connections, timeouts, 5xx, 429 without end) takes the server out
of the run and puts its batch back at the head of the queue for the servers left;
when none is left, the last server's error is raised. Any other exception ends the
run at once (a refused API key is refused by every server). A batch is collected
once, from the one call that returned it, so nothing is lost or translated twice.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Callable, Generic, Sequence, TypeVar

from workflow.errors import WorkflowError

B = TypeVar("B")
R = TypeVar("R")


class ServerDown(Exception):
    """The engine gave up on one server; `error` says why (shown when no server is left)."""

    def __init__(self, error: WorkflowError) -> None:
        super().__init__(error.message)
        self.error = error


class Pool(Generic[B, R]):
    def __init__(self, urls: Sequence[str], in_flight: int = 0) -> None:
        self.urls = list(dict.fromkeys(urls))
        self.in_flight = in_flight if in_flight > 0 else len(self.urls)
        self.down: dict[str, WorkflowError] = {}  # servers taken out of the run, and why
        self.served: dict[str, int] = {url: 0 for url in self.urls}  # batches each server returned
        self._turn = 0

    @property
    def alive(self) -> list[str]:
        return [url for url in self.urls if url not in self.down]

    def map(self, batches: Sequence[B], call: Callable[[str, B], R],
            done: Callable[[B, R], None] | None = None) -> list[R]:
        """`call(url, batch)` for every batch; `done(batch, result)` in this thread as each returns."""
        results: dict[int, R] = {}
        queue = deque(range(len(batches)))
        running: dict[Future[R], tuple[int, str]] = {}
        executor = ThreadPoolExecutor(max_workers=max(1, self.in_flight), thread_name_prefix="workflow-pool")
        try:
            while queue or running:
                while queue and self.alive and len(running) < self.in_flight:
                    index = queue.popleft()
                    url = self._pick(running)
                    running[executor.submit(call, url, batches[index])] = (index, url)
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    index, url = running.pop(future)
                    try:
                        result = future.result()
                    except ServerDown as down:
                        self.down.setdefault(url, down.error)
                        queue.appendleft(index)
                        if not self.alive:
                            raise down.error from None
                        continue
                    results[index] = result
                    self.served[url] += 1
                    if done is not None:
                        done(batches[index], result)
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
        return [results[i] for i in range(len(batches))]

    def map_texts(self: Pool[list[str], R], texts: list[str], size: int, call: Callable[[str, list[str]], R],
                  progress: Callable[[int], None] | None = None) -> list[tuple[list[str], R]]:
        """`texts` cut into batches of `size`, mapped over the servers; each batch with its result,
        in order. `progress(n)` is told how many texts each returned batch held."""
        batches = [texts[start:start + size] for start in range(0, len(texts), size)]
        done = (lambda batch, _: progress(len(batch))) if progress else None
        return list(zip(batches, self.map(batches, call, done)))

    def _pick(self, running: dict[Future[R], tuple[int, str]]) -> str:
        """The live server with the fewest calls in flight; ties in turn."""
        alive = self.alive
        load = {url: 0 for url in alive}
        for _, url in running.values():
            if url in load:
                load[url] += 1
        start = self._turn % len(alive)
        order = alive[start:] + alive[:start]
        self._turn += 1
        return min(order, key=lambda url: load[url])
