"""engines.pool: batches spread over servers, a failed server's batches finished on the others."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest

from workflow.engines.hints import Hints, Nearest, RecentReviewed
from workflow.engines.pool import Pool, ServerDown
from workflow.errors import EngineFailed, EngineUnavailable
from workflow.store.memory import Memory, Record
from workflow.store.tm import LazyIndex


def test_results_in_order_spread_and_in_flight() -> None:
    pool: Pool[int, str] = Pool(["a", "b"], in_flight=4)
    running = 0
    most = 0
    lock = threading.Lock()

    def call(url: str, batch: int) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return f"{url}{batch}"

    seen: list[int] = []
    out = pool.map(list(range(12)), call, lambda batch, result: seen.append(batch))
    assert [r[1:] for r in out] == [str(i) for i in range(12)]
    assert sorted(seen) == list(range(12))
    assert pool.served == {"a": 6, "b": 6} and most > 1


def test_a_server_down_is_left_and_its_batch_done_elsewhere() -> None:
    pool: Pool[int, str] = Pool(["a", "b"], in_flight=1)
    calls: list[tuple[str, int]] = []

    def call(url: str, batch: int) -> str:
        calls.append((url, batch))
        if url == "b":
            raise ServerDown(EngineUnavailable("b is gone"))
        return f"{url}{batch}"

    assert pool.map([1, 2, 3], call) == ["a1", "a2", "a3"]
    assert list(pool.down) == ["b"] and [c for c in calls if c[0] == "b"] == [("b", 2)]


def test_no_server_left_raises_the_last_error_and_other_errors_end_the_run() -> None:
    def down(url: str, batch: int) -> str:
        raise ServerDown(EngineUnavailable(f"{url} is gone"))

    with pytest.raises(EngineUnavailable, match="is gone"):
        Pool(["a", "b"]).map([1, 2], down)

    def refused(url: str, batch: int) -> str:
        raise EngineFailed("refused")

    pool: Pool[int, str] = Pool(["a", "b"])
    with pytest.raises(EngineFailed):
        pool.map([1, 2, 3], refused)
    assert pool.down == {}


def record(n: int, status: str, reviewer: str, at: str) -> Record:
    return Record(id=f"p{n}", kind="paragraph", line=n, source_hash="", source=f"中文{n}", machine=f"m{n}",
                  final=f"English {n}", status=status, reviewer=reviewer, reviewed_at=at)


def test_examples_are_the_most_recent_reviewed_segments_of_the_same_document() -> None:
    memory = Memory(source="a.md", output="a.md", source_hash="", output_hash="", engine="", translated_at="",
                    segments=(record(1, "reviewed", "ann", "2024-01-01"), record(2, "reviewed", "ann", "2024-03-01"),
                              record(3, "machine", "", ""), record(4, "reviewed", "workflow", "2024-04-01"),
                              record(5, "reviewed", "bob", "2024-02-01")))
    examples = RecentReviewed({"text": [memory], "other": [None]}, limit=2)
    assert examples(["text"]) == [("中文2", "English 2"), ("中文5", "English 5")]
    assert examples(["other"]) == []
    hints = Hints(terms={"t1": (("<x1001/>", "新星", "Nova"),), "t2": (("<x1001/>", "新星", "Nova"),)})
    assert hints.terms_of(["t1", "t2", "t3"]) == [("<x1001/>", "新星", "Nova")]


def test_examples_are_the_translation_memorys_nearest_reviewed_matches_first(tmp_path: Path) -> None:
    near = record(1, "reviewed", "ann", "2024-01-01")
    near = dataclasses.replace(near, source="在东京部署容器服务。", final="Container services deployed in Tokyo.")
    far = dataclasses.replace(record(2, "reviewed", "ann", "2024-05-01"), source="完全不同的句子。", final="Other.")
    memory = Memory(source="a.md", output="a.md", source_hash="", output_hash="", segments=(near, far))
    (tmp_path / "a.md.json").write_bytes(memory.to_bytes())
    examples = Nearest(LazyIndex(tmp_path, "mem"), 60, lambda texts: [("中文", "From the document.")], limit=2)
    expected = [("在东京部署容器服务。", "Container services deployed in Tokyo."), ("中文", "From the document.")]
    assert examples(["在东京<x1/>部署了容器服务。"]) == expected  # a fuzzy match, placeholders aside
    assert examples(["在东京<x1/>部署容器服务。"]) == expected  # an exact one
    assert examples(["毫无关系"]) == [("中文", "From the document.")]
