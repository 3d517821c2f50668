"""`workflow translate` on 1,000 new documents with a translation memory of 100,000 units, against none.

    python bench/bench_tm.py [--docs 1000] [--paragraphs 10] [--units 100000] [--runs 3]

Builds, in a temporary folder, a content repository of `--docs` new Chinese articles
(sentences of the five seed articles in `source_zh/`, recombined, each paragraph made
unique by a numbered clause, so some share sentences with the memory: realistic exact
and fuzzy candidates), and a memory of `--units` reviewed units spread over 1,000 older
articles' memory files (`output_en/.workflow/archive/*.md.json`, written by the real
`Memory.to_bytes`). Then, in one run and as a library call, alternately:

- `translate` with no memory (the archive folder absent);
- *cold*: `translate` with the memory as a fresh clone has it (no index cache): the index
  is built from the memory files (lazily, on the first segment that needs text) and the
  cache written;
- *steady*: `translate` with the memory as an earlier run of the tool left it: a priming
  run (`translate` of one new document against the memory, done once, really by the tool)
  wrote the index cache, so only that document's memory file is indexed anew.

Every new segment is looked up (exact: a dict; fuzzy: sketch-bigram candidates scored by
rapidfuzz) before the engine. The engine is `pseudo`: it costs almost nothing, so the ratio
is the worst case (with Argos, seconds of model time per article dwarf the lookups). Prints
wall-clock seconds (median of `--runs`), both ratios (goal, issue 10: at most 1.2x; judged
on the steady state, the one a user has day to day), the match counts, the index's build
time alone (cold and from the cache) and the memory's and the cache's size on disk.

The same runs are timed two ways, interleaved: as a library call in this one process
(imports already done, so the ratio is the lookups' share alone: the stricter figure),
and as the command a user runs (`workflow translate`, a fresh process: interpreter start
and imports included, as bench_scale times every command).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from workflow.config import load_settings  # noqa: E402
from workflow.store.memory import Memory, Record  # noqa: E402
from workflow.store.tm import LazyIndex  # noqa: E402
from workflow.translate.run import RunReport, translate  # noqa: E402


def sentences() -> list[str]:
    found = []
    for path in sorted((REPO / "source_zh").glob("*.md")):
        for part in re.split(r"(?<=[。！？])", path.read_text(encoding="utf-8")):
            part = part.strip()
            if 8 <= len(part) <= 120 and re.search("[\u4e00-\u9fff]", part) and not re.search(r"[#!\[\]|`<>*\n-]", part):
                found.append(part)
    return found


def paragraph(rng: random.Random, pool: list[str], n: int) -> str:
    return "".join(rng.sample(pool, 2)) + f"这是第{n}段。"


def build(root: Path, docs: int, paragraphs: int, units: int, rng: random.Random) -> None:
    pool = sentences()
    (root / "source_zh").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "pseudo"\nreviewer = "Bench"\n', encoding="utf-8")
    for d in range(docs):
        body = "".join(paragraph(rng, pool, d * 1000 + p) + "\n\n" for p in range(paragraphs))
        (root / "source_zh" / f"doc{d:04d}.md").write_text(f"# 文章{d}\n\n{body}", encoding="utf-8")
    archive = root / "archive"
    archive.mkdir()
    per_file = max(1, units // 1000)
    n = 0
    for f in range(-(-units // per_file)):
        records = []
        for _ in range(min(per_file, units - n)):
            zh = paragraph(rng, pool, 10_000_000 + n)
            en = f"Reviewed English number {n}."
            records.append(Record(id=f"s{n}", kind="paragraph", line=3, source_hash="h", source=zh, machine=en,
                                  final=en, status="reviewed", reviewer="Archivist", reviewed_at="2020-01-01"))
            n += 1
        memory = Memory(source=f"source_zh/old{f:04d}.md", output=f"output_en/old{f:04d}.md", source_hash="h",
                        output_hash="h", segments=tuple(records))
        (archive / f"old{f:04d}.md.json").write_bytes(memory.to_bytes())


def fresh(root: Path, work: Path, memory: str) -> Path:
    """A work folder: the new sources and `memory`: "none", "cold" (the archive) or "steady" (as primed)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copytree(root / "source_zh", work / "source_zh")
    shutil.copy(root / "pyproject.toml", work / "pyproject.toml")
    if memory == "cold":
        shutil.copytree(root / "archive", work / "output_en" / ".workflow" / "archive")
    elif memory == "steady":
        shutil.copytree(root / "primed" / "output_en", work / "output_en")
        shutil.copy(root / "primed" / "source_zh" / "primed.md", work / "source_zh" / "primed.md")
    # The copy's dirty pages written out now: otherwise the run's first fsyncs (ext4 commits them
    # together) would flush this setup's 120 MB of memory and cache too, and time the bench's copy.
    os.sync()
    return work


def prime(root: Path) -> None:
    """The memory as an earlier run left it: the tool translates one new document against the archive."""
    primed = root / "primed"
    (primed / "source_zh").mkdir(parents=True)
    shutil.copy(root / "pyproject.toml", primed / "pyproject.toml")
    (primed / "source_zh" / "primed.md").write_text("# 准备\n\n社区的视野早已扩展到了云计算的很多领域。\n", encoding="utf-8")
    shutil.copytree(root / "archive", primed / "output_en" / ".workflow" / "archive")
    assert translate(load_settings(primed)).exit_code == 0


def timed(work: Path) -> tuple[float, RunReport]:
    settings = load_settings(work)
    start = time.perf_counter()
    result = translate(settings)
    took = time.perf_counter() - start
    assert result.exit_code == 0
    return took, result


def timed_command(work: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "workflow", "-C", str(work), "translate", "-q"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def build_time(root: Path, work: Path, memory: str) -> float:
    settings = load_settings(fresh(root, work, memory))
    start = time.perf_counter()
    LazyIndex(settings.memory_root, ".workflow").get()
    return time.perf_counter() - start


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--paragraphs", type=int, default=10)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="workflow-bench-tm-") as tmp:
        root, work = Path(tmp) / "seed", Path(tmp) / "work"
        print(f"building {args.docs} documents x {args.paragraphs} paragraphs, a memory of {args.units} units ...")
        build(root, args.docs, args.paragraphs, args.units, random.Random(10))
        prime(root)
        times: dict[str, list[float]] = {"none": [], "cold": [], "steady": []}
        commands: dict[str, list[float]] = {"none": [], "cold": [], "steady": []}
        reports: dict[str, RunReport] = {}
        for _ in range(args.runs):
            for memory in times:
                took, reports[memory] = timed(fresh(root, work, memory))
                times[memory].append(took)
                commands[memory].append(timed_command(fresh(root, work, memory)))
        cold_build, warm_build = build_time(root, work, "cold"), build_time(root, work, "steady")
        on_disk = size(root / "archive")
        cache = size(root / "primed" / "output_en" / ".workflow" / ".cache")
    units = reports["steady"].memory_units
    print(f"load average: {os.getloadavg()[0]:.2f}")
    for how, measured in (("library call", times), ("command", commands)):
        median = {memory: statistics.median(t) for memory, t in measured.items()}
        print(f"-- translate as a {how}:")
        for memory, label in (("none", "no memory"), ("steady", f"{units:,} units, steady"), ("cold", f"{units:,} units, cold")):
            print(f"translate, {label + ':':26} {median[memory]:7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in measured[memory])})")
        print(f"ratio, steady state (cache):   {median['steady'] / median['none']:7.2f}x  (goal: at most 1.2x)")
        print(f"ratio, cold (fresh clone):     {median['cold'] / median['none']:7.2f}x")
    print(f"index build alone:             {cold_build:7.2f} s cold, {warm_build:.2f} s from the cache")
    print(f"match levels: {reports['steady'].matches()} (cold: {reports['cold'].matches()})")
    print(f"memory on disk: {on_disk / 1e6:.1f} MB ({on_disk / max(1, units):.0f} bytes per unit, one file per document); "
          f"index cache: {cache / 1e6:.1f} MB (git-ignored)")
    assert reports["steady"].matches() == reports["cold"].matches(), "the cache changed the matches"


if __name__ == "__main__":
    main()
