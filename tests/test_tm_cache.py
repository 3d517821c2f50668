"""The translation memory's index cache (`store/tm_cache.py`): only ever a saving of time.

A build from the cache answers exactly what a build from the memory files answers; a memory
file changed (even keeping its size and time stamp), removed or added is seen by the next
build; a broken entry is rebuilt; nothing is written by a dry run or outside the memory folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.store import tm, tm_cache
from workflow.store.memory import Memory, Record
from workflow.store.tm_cache import CACHE_DIR, SNAPSHOT, decode
from workflow.store.tm_sketch import sketch, sketches
from workflow.translate.run import translate

TEXTS = ["柏林峰会在十一月正式闭幕。", "社区的视野早已扩展到了云计算的各个领域，", "容器与虚拟机的融合受到了广泛关注。",
         "边缘计算成为热门议题。", "裸机部署越来越常见。", "Ｋｕｂｅｒｎｅｔｅｓ 与 OpenStack 的集成", "云"]
QUERIES = ["社区的视野早已扩展到了云计算的很多领域,", "容器与虚拟机的融合受到了关注。", "边缘计算成为热门议题。",
           "Kubernetes 与 OpenStack 的集成", "云", "毫不相干的一句话。"]


def write_memory(root: Path, name: str, pairs: list[tuple[str, str]], retired: tuple[Record, ...] = ()) -> Path:
    records = tuple(Record(id=f"s{n}", kind="paragraph", line=n + 1, source_hash="h", source=zh, machine="m " + en,
                           final=en, status="reviewed", reviewer="Editor", reviewed_at=f"2024-01-0{n % 9 + 1}")
                    for n, (zh, en) in enumerate(pairs))
    memory = Memory(source=f"source_zh/{name}.md", output=f"output_en/{name}.md", source_hash="h", output_hash="h",
                    segments=records, retired=retired)
    path = root / f"{name}.md.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(memory.to_bytes())
    return path


@pytest.fixture
def memory_root(tmp_path: Path) -> Path:
    root = tmp_path / "output_en" / ".workflow"
    write_memory(root, "a", [(zh, f"A {n}") for n, zh in enumerate(TEXTS)])
    write_memory(root, "b", [(TEXTS[1], "B one"), (TEXTS[3], "B three")])
    return root


def answers(root: Path) -> list[object]:
    index = tm.LazyIndex(root, ".workflow").get()
    return [len(index), *[(index.exact(q), index.exact(q, live_only=True), index.fuzzy(q, 60)) for q in QUERIES]]


def entries(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR / "tm").glob("*.bin"))


def refuse_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> object:
        raise AssertionError("a memory file was indexed anew")
    monkeypatch.setattr(tm, "part_of", refuse)


def test_a_build_from_the_cache_answers_what_a_build_from_the_memory_answers(memory_root: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cold = answers(memory_root)
    assert len(entries(memory_root)) == 2
    assert (memory_root / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"
    assert any(found[2] for found in cold[1:]) and any(found[0] for found in cold[1:])  # fuzzy and exact matches
    assert cold[0] == len(tm.Index(list(tm.memory_units(memory_root, ".workflow")))) == len(TEXTS) + 2
    refuse_building(monkeypatch)
    assert answers(memory_root) == cold


def test_an_edit_that_keeps_size_and_time_stamp_is_seen(memory_root: Path) -> None:
    only_b = "只在乙的记忆中出现的一句话。"
    path = write_memory(memory_root, "b", [(TEXTS[1], "B one"), (TEXTS[3], "B three"), (only_b, "Only in b")])
    found = tm.LazyIndex(memory_root, ".workflow").get().exact(only_b)
    assert found is not None and found.target == "Only in b"  # and now in the cache
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"B three", b"B THREE").replace(b"Only in b", b"ONLY IN B"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    index = tm.LazyIndex(memory_root, ".workflow").get()
    found = index.exact(only_b)
    assert found is not None and found.target == "ONLY IN B"  # a stale cache entry would answer "Only in b"
    assert [u.target for u in tm.memory_units(memory_root, ".workflow") if u.source == TEXTS[3]] == ["A 3", "B THREE"]
    assert "B three" not in repr(answers(memory_root))
    assert len(entries(memory_root)) == 2  # the old entry of b is gone


def test_removed_and_added_memory_files_are_seen(memory_root: Path) -> None:
    answers(memory_root)
    (memory_root / "a.md.json").unlink()
    index = tm.LazyIndex(memory_root, ".workflow").get()
    assert len(index) == 2 and index.exact(TEXTS[0]) is None
    assert len(entries(memory_root)) == 1
    write_memory(memory_root / "sub", "c", [("全新的句子出现在这里。", "Brand new")])
    index = tm.LazyIndex(memory_root, ".workflow").get()
    found = index.exact("全新的句子出现在这里。")
    assert found is not None and found.target == "Brand new" and found.origin == "source_zh/c.md"
    assert len(entries(memory_root)) == 2


def broken(data: bytes, damage: str) -> bytes:
    return {"truncated": data[:len(data) // 2], "flipped": data[:-5] + bytes([data[-5] ^ 0x20]) + data[-4:],
            "foreign": b"workflow tm-cache 1\n" + data[20:], "empty": b"", "garbage": os.urandom(300)}[damage]


DAMAGES = ["truncated", "flipped", "foreign", "empty", "garbage"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_broken_entry_is_ignored_and_rebuilt(memory_root: Path, damage: str) -> None:
    cold = answers(memory_root)
    (memory_root / CACHE_DIR / SNAPSHOT).unlink()  # else the snapshot answers and no entry is read
    for entry in entries(memory_root):
        entry.write_bytes(broken(entry.read_bytes(), damage))
        assert decode(entry.read_bytes()) is None
    assert answers(memory_root) == cold
    assert all(decode(entry.read_bytes()) is not None for entry in entries(memory_root))


# -- the snapshot: the whole index of an unchanged memory, in one read -------------------------------


def snapshot_of(root: Path) -> Path:
    return root / CACHE_DIR / SNAPSHOT


def test_an_unchanged_memory_is_answered_from_the_snapshot_alone(memory_root: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cold = answers(memory_root)
    assert snapshot_of(memory_root).is_file()
    refuse_building(monkeypatch)
    monkeypatch.setattr(tm_cache, "decode", lambda data: pytest.fail("an entry was read"))
    monkeypatch.setattr(tm, "Postings", type("NoBuild", (tm.Postings,), {
        "__init__": lambda self, *args: pytest.fail("the postings were built anew")}))
    assert answers(memory_root) == cold


@pytest.mark.parametrize("change", ["edited", "added", "removed", "imported"])
def test_a_changed_memory_is_not_answered_from_the_snapshot(memory_root: Path, change: str) -> None:
    only_b = "只在乙的记忆中出现的一句话。"
    write_memory(memory_root, "b", [(TEXTS[1], "B one"), (TEXTS[3], "B three"), (only_b, "Only in b")])
    answers(memory_root)
    query, target = {"edited": (only_b, "ONLY IN B"), "added": ("全新的句子出现在这里。", "Brand new"),
                     "removed": (TEXTS[0], None), "imported": ("导入的句子。", "Imported")}[change]
    if change == "edited":  # the same size and time stamp: only the bytes tell
        path = memory_root / "b.md.json"
        before = path.stat()
        path.write_bytes(path.read_bytes().replace(b"Only in b", b"ONLY IN B"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif change == "added":
        write_memory(memory_root / "sub", "c", [(query, "Brand new")])
    elif change == "removed":
        (memory_root / "a.md.json").unlink()
    else:
        (memory_root / tm.TM_DIR).mkdir()
        (memory_root / tm.TM_DIR / f"x{tm.TM_SUFFIX}").write_text(
            '{"origin": "x.tmx", "units": [{"source": "导入的句子。", "target": "Imported"}]}', encoding="utf-8")
    old = snapshot_of(memory_root).read_bytes()
    found = tm.LazyIndex(memory_root, ".workflow").get().exact(query)
    assert (found.target if found else None) == target
    rebuilt = snapshot_of(memory_root).read_bytes()
    assert rebuilt != old  # kept anew: the next run reads the new one
    shown = answers(memory_root)
    snapshot_of(memory_root).unlink()
    for entry in entries(memory_root):
        entry.unlink()
    assert answers(memory_root) == shown  # what a build from the memory files alone answers
    assert snapshot_of(memory_root).read_bytes() == rebuilt  # the same index, the same bytes


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_broken_snapshot_is_ignored_and_rebuilt(memory_root: Path, damage: str) -> None:
    cold = answers(memory_root)
    good = snapshot_of(memory_root).read_bytes()
    snapshot_of(memory_root).write_bytes(broken(good, damage))
    assert answers(memory_root) == cold
    assert snapshot_of(memory_root).read_bytes() == good


def test_a_snapshot_of_no_unit_is_not_written(tmp_path: Path) -> None:
    root = tmp_path / "output_en" / ".workflow"
    write_memory(root, "a", [])
    assert len(tm.LazyIndex(root, ".workflow").get()) == 0
    assert not snapshot_of(root).exists()


def test_retired_records_and_ranking_survive_the_cache(memory_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = Record(id="r1", kind="paragraph", line=9, source_hash="h", source="被删除的一段话。", machine="m",
                  final="Deleted paragraph", status="reviewed", reviewer="Editor", reviewed_at="2024-02-01")
    write_memory(memory_root, "c", [("被删除的一段话。", "Live copy")], retired=(gone,))
    cold = answers(memory_root)
    refuse_building(monkeypatch)
    index = tm.LazyIndex(memory_root, ".workflow").get()
    best = index.exact("被删除的一段话。")
    assert best is not None and best.target == "Live copy" and not best.retired
    assert answers(memory_root) == cold


def test_the_cache_is_not_written_through_a_link_out_of_the_memory_folder(memory_root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (memory_root / CACHE_DIR).symlink_to(outside)
    expected = [len(tm.Index(list(tm.memory_units(memory_root, ".workflow"))))]
    assert answers(memory_root)[:1] == expected
    assert list(outside.iterdir()) == []


def test_translate_writes_the_cache_and_a_dry_run_does_not(tmp_path: Path) -> None:
    from review_support import configure

    root = tmp_path / "site"
    (root / "source_zh").mkdir(parents=True)
    (root / "source_zh" / "new.md").write_text("# 标题\n\n社区的视野早已扩展到了云计算的很多领域。\n", encoding="utf-8")
    conf = configure(root, engine="pseudo")
    write_memory(conf.memory_root / "old", "old", [(TEXTS[1], "The community looks far beyond.")])
    assert translate(conf, dry_run=True).exit_code == 0
    assert not (conf.memory_root / CACHE_DIR).exists()
    report = translate(conf)
    assert report.exit_code == 0 and report.matches()["fuzzy"] == 1
    assert len(entries(conf.memory_root)) == 1
    for path in (conf.memory_root / CACHE_DIR).rglob("*"):
        assert path.resolve().is_relative_to(conf.output.resolve())


@given(st.lists(st.text(max_size=30), max_size=12))
def test_the_vectorised_sketches_are_the_one_text_sketches(texts: list[str]) -> None:
    matrix, counts = sketches(texts)
    assert [matrix[i, :counts[i]].tolist() for i in range(len(texts))] == [sketch(t) for t in texts]


def test_a_sketch_is_a_fixed_function_of_the_text() -> None:
    """Pinned: a change of the hash changes every suggestion and must change the cache's FORMAT too."""
    assert sketch("云计算") == [531547214, 2243324423] and sketch("云") == [2643844346] and sketch("") == []
    assert len(sketch("".join(chr(0x4E00 + i) for i in range(40)))) == 16


FULL_WIDTH = st.sampled_from([chr(c) for c in (0x3000, *range(0xFF01, 0xFF5F))] + ["云", "a", "\u0301", "\u00e9", "ｶ", "ﾞ"])


@given(st.lists(st.one_of(FULL_WIDTH, st.characters()), max_size=40).map("".join))
def test_normalise_is_nfkc_with_spaces_collapsed(text: str) -> None:
    import unicodedata

    assert tm.normalise(text) == " ".join(unicodedata.normalize("NFKC", text).split())


def test_texts_too_long_to_reach_the_threshold_do_not_crowd_out_a_match() -> None:
    """Texts that hold the query's bigrams three times over share its whole sketch, but their length
    alone keeps them under 75%: they are left out before the 40 candidates are chosen."""
    query = "".join(chr(0x4E00 + 7 * i) for i in range(30))
    decoys = [tm.Unit(source=query * 3 + chr(0x9000 + i), target=f"decoy {i}", origin="a.md", status="reviewed")
              for i in range(60)]
    near = query[:5] + "云" + query[6:15] + "云" + query[16:25] + "云" + query[26:]  # 3 characters changed
    index = tm.Index([*decoys, tm.Unit(source=near, target="the match", origin="b.md", status="reviewed")])
    assert [(score, unit.target) for score, unit in index.fuzzy(query, 75)] == [(90, "the match")]


# -- the header's unit count: a memory of machine English only is never read past its header -------


def test_the_header_counts_the_units_the_index_takes_from_the_file(tmp_path: Path) -> None:
    """`summary["units"]` (Record.holds_unit) and the index's reading of the JSON (tm.unit_fields)
    agree on every kind of record: live and retired, every status, reviewer, patch, empty texts."""
    import itertools
    import json

    from workflow.store import memory_scan
    from workflow.store.memory import TOOL_REVIEWER

    records = []
    for n, (status, reviewer, patch, final, source) in enumerate(itertools.product(
            ("machine", "needs-review", "reviewed"), ("Editor", TOOL_REVIEWER, ""), ("", "@@ -1 +1 @@"),
            ("English", " ", ""), ("中文", " "))):
        records.append(Record(id=f"s{n}", kind="paragraph", line=n + 1, source_hash="h", source=source, machine="m",
                              final=final, status=status, reviewer=reviewer, patch=patch))
    half = len(records) // 2
    memory = Memory(source="source_zh/x.md", output="output_en/x.md", source_hash="h", output_hash="h",
                    segments=tuple(records[:half]), retired=tuple(records[half:]))
    data = memory.to_bytes()
    raw = json.loads(data)
    taken = tm._memory_fields(tmp_path / "x.md.json", raw, ".workflow")
    assert raw["summary"]["units"] == len(taken) > 0
    path = tmp_path / "x.md.json"
    path.write_bytes(data)
    head = memory_scan.read_head(str(path))
    assert head is not None and memory_scan.scan_head(head[0], head[2], None).units == len(taken)  # type: ignore[union-attr]


def test_a_memory_whose_header_says_no_units_is_not_read(memory_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    machine_only = Memory(source="source_zh/c.md", output="output_en/c.md", source_hash="h", output_hash="h", segments=(
        Record(id="s1", kind="paragraph", line=1, source_hash="h", source=TEXTS[0], machine="m", final="m"),))
    (memory_root / "c.md.json").write_bytes(machine_only.to_bytes())
    before = answers(memory_root)
    parsed: list[str] = []
    real = tm._parsed
    monkeypatch.setattr(tm, "_parsed", lambda data: parsed.append("x") or real(data))
    shutil_rmtree(memory_root / CACHE_DIR)
    assert answers(memory_root) == before
    assert len(parsed) == 2  # a and b; c is known from its header to hold nothing
    # an older file without the count is read, as before
    old = (memory_root / "c.md.json").read_text(encoding="utf-8").replace(',\n  "units": 0', "")
    (memory_root / "c.md.json").write_text(old, encoding="utf-8")
    parsed.clear()
    shutil_rmtree(memory_root / CACHE_DIR)
    assert answers(memory_root) == before and len(parsed) == 3


def shutil_rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def test_an_unreadable_memory_file_is_skipped_not_fatal(memory_root: Path) -> None:
    before = answers(memory_root)
    (memory_root / "loop.md.json").symlink_to("loop.md.json")  # reading it: too many levels of links
    shutil_rmtree(memory_root / CACHE_DIR)
    assert answers(memory_root) == before


def test_the_snapshot_answers_a_large_memory_as_its_files_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More units share each query's bigrams than a lookup scores (CANDIDATES): the snapshot's postings
    must pick the same ones."""
    from workflow.store.tm_sketch import CANDIDATES

    root = tmp_path / "output_en" / ".workflow"
    topics = ["计算服务", "网络服务", "块存储", "对象存储", "身份认证", "镜像服务", "编排服务", "裸机服务"]
    for doc in range(6):
        write_memory(root, f"d{doc}", [(f"OpenStack峰会第{n}天的主题演讲介绍了{topics[n % 8]}和{topics[(n * 3 + doc) % 8]}的新功能{n % 7}",
                                        f"day {n} of {doc}") for n in range(doc * 60, doc * 60 + 60)])
    queries = [f"OpenStack峰会第{n}天的主题演讲介绍了{topics[n % 8]}和{topics[(n + 1) % 8]}的新功能" for n in range(0, 400, 7)]

    def ask() -> list[object]:
        index = tm.LazyIndex(root, ".workflow").get()
        return [[(score, unit.target) for score, unit in found] for found in index.fuzzy_many(queries, 60)]

    cold = ask()
    assert sum(map(len, cold)) > len(queries) and 6 * 60 > CANDIDATES
    in_memory = tm.Index(list(tm.memory_units(root, ".workflow")))
    assert [[(s, u.target) for s, u in in_memory.fuzzy(q, 60)] for q in queries] == cold  # one query at a time
    refuse_building(monkeypatch)
    assert ask() == cold  # from the snapshot
