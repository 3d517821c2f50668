"""`workflow glossary import` of 10,000 entries, and matching against a glossary of that size.

    python bench/bench_glossary.py [--entries 10000]

Builds a project (in bench/.cache/) holding the project's glossary, and a TSV of
`--entries` new entries: made-up Chinese terms of two to six Han characters, a tenth of
them Latin names, a few duplicates and conflicts of real entries. Then, in one run:

- `workflow glossary import` of the file (a fresh process: imports included), median of 3;
- matching the five articles against the project's glossary (657 entries) and against
  it plus the imported entries: the automaton's cost should not grow with the glossary.

Goal (issue 14): the import under 2 s; matching time about flat in the glossary's size.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
HAN = [chr(c) for c in range(0x4E00, 0x9FA5)]


def incoming(count: int, rng: random.Random) -> str:
    rows = ["zh\ten\tkind\tcase\tnote\tsource"]
    seen: set[str] = set()
    while len(rows) <= count:
        if len(rows) % 10 == 0:
            zh = "Proj" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
            en, kind = zh, "keep"
        else:
            zh = "".join(rng.choice(HAN) for _ in range(rng.randint(2, 6)))
            en, kind = f"term {len(rows)}", "term"
        if zh not in seen:
            seen.add(zh)
            rows.append(f"{zh}\t{en}\t{kind}\t\t\tbench")
    rows += ["OpenStack\tOpenStack\tkeep\t\t\tbench", "云主机\tcloud host\tterm\t\t\tbench"]  # duplicate, conflict
    return "\n".join(rows) + "\n"


def project(count: int) -> tuple[Path, Path]:
    root = CACHE / f"glossary-{count}"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(REPO / "glossary", root / "glossary")
    (root / "pyproject.toml").write_text("[tool.workflow]\n", encoding="utf-8")
    source = root / "incoming.tsv"
    source.write_text(incoming(count, random.Random(14)), encoding="utf-8")
    return root, source


def import_once(root: Path, source: Path) -> float:
    shutil.copy(REPO / "glossary" / "openstack.tsv", root / "glossary" / "openstack.tsv")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "workflow", "-C", str(root), "glossary", "import", str(source)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"glossary import exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def matching(root: Path) -> tuple[float, float, int, int]:
    from workflow.glossary.terms import load

    lines = [line for p in sorted((REPO / "source_zh").glob("*.md")) for line in p.read_text().split("\n")]
    small = load(REPO / "glossary")
    large = load(root / "glossary", strict=False)

    def run(glossary: object) -> float:
        start = time.perf_counter()
        for _ in range(20):
            for line in lines:
                glossary.match(line)  # type: ignore[attr-defined]
        return time.perf_counter() - start

    return run(small), run(large), len(small), len(large)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    root, source = project(args.entries)
    times = [import_once(root, source) for _ in range(3)]
    seconds = statistics.median(times)
    small_s, large_s, small_n, large_n = matching(root)
    print(f"glossary import of {args.entries:,} entries: median {seconds:.2f} s of 3 (goal < 2 s)")
    print(f"matching the five articles x20: {small_n} entries {small_s:.3f} s, {large_n:,} entries {large_s:.3f} s "
          f"({large_s / small_s:.2f}x for {large_n / small_n:.0f}x the entries)")


if __name__ == "__main__":
    main()
