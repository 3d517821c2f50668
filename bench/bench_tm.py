"""`workflow translate` on 1,000 new documents with a translation memory of 100,000 units, against none.

    python bench/bench_tm.py [--docs 1000] [--paragraphs 10] [--units 100000] [--runs 3]

Builds, in a temporary folder, a content repository of `--docs` new Chinese articles
(sentences of the five seed articles in `source_zh/`, recombined, each paragraph made
unique by a numbered clause, so some share sentences with the memory: realistic exact
and fuzzy candidates), and a memory of `--units` reviewed units spread over 1,000 older
articles' memory files (`output_en/.workflow/archive/*.md.json`, written by the real
`Memory.to_bytes`). Then, in one run and as a library call, alternately:

- `translate` with no memory (the archive folder absent);
- `translate` with the memory: the project's index is built once (lazily, on the first
  segment that needs text), every new segment is looked up (exact: a dict; fuzzy: the
  rarest bigrams' candidates scored by rapidfuzz) before the engine.

The engine is `pseudo`: it costs almost nothing, so the ratio is the worst case (with
Argos, seconds of model time per article dwarf the lookups). Prints wall-clock seconds
(median of `--runs`), the ratio (goal, issue 10: at most 1.2x), the match counts, the
index's build time alone and the memory's size on disk.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from workflow.config import load_settings  # noqa: E402
from workflow.store.memory import Memory, Record  # noqa: E402
from workflow.store.tm import LazyIndex  # noqa: E402
from workflow.translate.run import translate  # noqa: E402


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


def fresh(root: Path, work: Path, with_memory: bool) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copytree(root / "source_zh", work / "source_zh")
    shutil.copy(root / "pyproject.toml", work / "pyproject.toml")
    if with_memory:
        shutil.copytree(root / "archive", work / "output_en" / ".workflow" / "archive")
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--paragraphs", type=int, default=10)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="workflow-bench-tm-") as tmp:
        root = Path(tmp) / "seed"
        print(f"building {args.docs} documents x {args.paragraphs} paragraphs, a memory of {args.units} units ...")
        build(root, args.docs, args.paragraphs, args.units, random.Random(10))
        size = sum(p.stat().st_size for p in (root / "archive").iterdir())
        times: dict[bool, list[float]] = {False: [], True: []}
        report = None
        for _ in range(args.runs):
            for with_memory in (False, True):
                work = fresh(root, Path(tmp) / "work", with_memory)
                settings = load_settings(work)
                start = time.perf_counter()
                result = translate(settings)
                times[with_memory].append(time.perf_counter() - start)
                assert result.exit_code == 0
                if with_memory:
                    report = result
        work = fresh(root, Path(tmp) / "work", True)
        settings = load_settings(work)
        start = time.perf_counter()
        index = LazyIndex(settings.memory_root, ".workflow").get()
        build_s = time.perf_counter() - start
    without, with_tm = statistics.median(times[False]), statistics.median(times[True])
    assert report is not None
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"translate, no memory:          {without:7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times[False])})")
    print(f"translate, {len(index):,} units:   {with_tm:7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times[True])})")
    print(f"ratio:                         {with_tm / without:7.2f}x  (goal: at most 1.2x)")
    print(f"index build alone:             {build_s:7.2f} s")
    print(f"match levels: {report.matches()}")
    print(f"memory on disk: {size / 1e6:.1f} MB ({size / max(1, len(index)):.0f} bytes per unit, "
          "one file per document)")


if __name__ == "__main__":
    main()
