"""`workflow check` on 10,000 (or 100,000) documents, against its floor: reading what check must read.

    python bench/bench_check.py [--docs 10000] [--paragraphs 24] [--runs 5] [--reruns]

Builds (once; cached in bench/.cache/, which git ignores) a content repository of
generated Chinese articles: paragraphs of the five seed articles in `source_zh/`,
shuffled, each made unique by a numbered clause, with front matter, headings and list
items, in folders of 100. The English and the memory are written by the real
`workflow translate --engine copy` (two processes, one per half of the folders), so
every memory file is what the tool writes. A tree of more than 10,000 documents (a
multiple of it) is the 10,000-document tree copied into `rep-N/` folders, each memory's
`source` and `output` paths rewritten to its copy's (the hashes stay true: the copies
hold the same bytes); translating 100,000 documents anew would take hours here.

Then, in one run, timings of:

- the floor: what `check` must read of a current tree, read with the same os-level calls
  check uses and no Python logic: every source and English file read and SHA-256'd, and
  the head (2 KB) of every memory file, which records the hashes to compare. Two smaller
  floors are printed too, for comparison with earlier figures: sources only (this
  bench's floor before issue 14, which check cannot approach: it must open three files
  per document, not one), and sources + English;
- `check` as a library call in this process (one process per CPU, the default for
  large runs, and one process), and as a `workflow check` subprocess (interpreter
  start and imports included: what CI runs), by default and with `--jobs 1`;
- `check` with one source in every 100 edited, which it re-parses and aligns;
- with `--reruns`: `workflow translate` with nothing changed and `workflow review` with
  nothing edited, as subprocesses, against the `workflow check` subprocess (issue 14
  item 1: at most 2x check).

Memory records the glossary's identity (`glossary_hash`) and a derived `summary`, so
`check` reads hashes and counts without walking the segments or recomputing glossary
fingerprints (a tree cached before those fields is re-saved through the current writer).
Timings are wall-clock seconds, median and best of `--runs` after one warm-up run of each,
interleaved (round after round of every measure, so a change of load on a shared machine
falls on all alike); the load average is printed because other work on the machine skews them.
Goal (issues 6 and 14): check at most 2x the floor, as a library call and as a command,
on 10,000 and on 100,000 documents. Prints the table and the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
VERSION = 1  # of the generated tree; bump when the generator changes
PER_FOLDER = 100


def seed_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted((REPO / "source_zh").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n"):
            text = text.split("---\n", 2)[2]
        for block in re.split(r"\n\s*\n", text):
            block = block.strip("\n")
            # Plain Chinese prose only: markup, images and tables would make the mix unrealistic.
            if block.strip() and not block.lstrip().startswith(("#", "!", "|", "-", "*", ">", "<", "`", "[")) \
                    and re.search("[\u4e00-\u9fff]", block):
                paragraphs.append(" ".join(block.split("\n")))
    return paragraphs


def article(number: int, paragraphs: list[str], count: int, rng: random.Random) -> str:
    chosen = rng.sample(paragraphs, min(count, len(paragraphs)))
    lines = ["---", "layout: post", f"title: OpenStack 峰会观察（第{number}篇）", "tags: [OpenStack]", "---", ""]
    for j, text in enumerate(chosen):
        unique = f"（第{number}篇第{j}段）"
        if j % 8 == 0:
            lines += [f"## 第{j // 8 + 1}部分：社区与技术{unique}", ""]
        if j % 5 == 4:
            lines += [f"- {text[:60]}{unique}", f"- 要点{j}：{text[-40:]}", ""]
        else:
            lines += [text + unique, ""]
    return "\n".join(lines)


BASE = 10_000  # documents translated for real; larger trees are copies of this one


def tree(docs: int, paragraphs: int) -> Path:
    """The cached tree of `docs` documents, built when missing."""
    root = CACHE / f"check-v{VERSION}-{docs}x{paragraphs}"
    if docs > BASE and docs % BASE == 0:
        base = tree(BASE, paragraphs)
        replicate(base, root, docs // BASE)
    else:
        build(root, docs, paragraphs)
        upgrade_memory(root)
    return root


def replicate(base: Path, root: Path, copies: int) -> None:
    """`copies` copies of the base tree's documents under rep-N/ folders (real files, not links:
    each is read from its own pages), each memory naming its copy's paths."""
    if (root / "done").is_file():
        return
    if root.exists():
        shutil.rmtree(root)
    start = time.perf_counter()
    root.mkdir(parents=True)
    shutil.copytree(base / "glossary", root / "glossary")
    shutil.copy(base / "pyproject.toml", root / "pyproject.toml")
    for n in range(copies):
        rep = f"rep-{n}"
        shutil.copytree(base / "source_zh", root / "source_zh" / rep)
        shutil.copytree(base / "output_en", root / "output_en" / rep, ignore=shutil.ignore_patterns(".workflow"))
        for path in sorted((base / "output_en" / ".workflow").rglob("*.json")):
            rel = path.relative_to(base / "output_en" / ".workflow")
            data = path.read_bytes()
            for key, folder in ((b"source", b"source_zh/"), (b"output", b"output_en/")):
                line = b'\n "' + key + b'": "' + folder
                data = data.replace(line, line + rep.encode() + b"/", 1)
            target = root / "output_en" / ".workflow" / rep / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    print(f"replicated {copies} x the {BASE}-document tree in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    (root / "done").write_text("ok\n")


def build(root: Path, docs: int, paragraphs: int) -> None:
    """Sources, glossary, pyproject; then English + memory through `workflow translate`."""
    if (root / "done").is_file():
        return
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(20181115)
    seeds = seed_paragraphs()
    for number in range(docs):
        path = root / "source_zh" / f"part-{number // PER_FOLDER:03d}" / f"article-{number:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(number, seeds, paragraphs, rng), encoding="utf-8")
    shutil.copytree(REPO / "glossary", root / "glossary")
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\n', encoding="utf-8")
    folders = sorted(p.name for p in (root / "source_zh").iterdir())
    halves = [folders[: len(folders) // 2], folders[len(folders) // 2:]]
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "workflow", "-C", str(root), "translate", "-q",
                               *[f"source_zh/{f}" for f in half]], cwd=root, stdout=subprocess.DEVNULL)
             for half in halves if half]
    if any(p.wait() for p in procs):
        raise SystemExit("workflow translate failed while building the bench tree")
    print(f"built {docs} documents with `workflow translate --engine copy` in {time.perf_counter() - start:.0f} s",
          file=sys.stderr)
    (root / "done").write_text("ok\n")


def upgrade_memory(root: Path) -> None:
    """A tree cached before memory recorded `glossary_hash` and `summary`: re-save each memory
    through the current writer, with the glossary identity translate records (the same bytes
    `workflow translate` writes today)."""
    import dataclasses

    from workflow.glossary.terms import load
    from workflow.store.memory import parse

    marker = root / "memory-v4"  # bump when the writer changes (v4: schema 3, summary.units)
    if marker.is_file():
        return
    identity = load(root / "glossary").identity
    for path in sorted((root / "output_en" / ".workflow").rglob("*.json")):
        data = path.read_bytes()
        new = dataclasses.replace(parse(data, str(path)), glossary_hash=identity).to_bytes()
        if new != data:
            path.write_bytes(new)
    marker.write_text("ok\n")


def read(path: str, limit: int | None = None) -> bytes:
    """A whole file (or its first `limit` bytes) with the os-level calls `check` uses."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, limit if limit is not None else os.fstat(fd).st_size + 1)
    finally:
        os.close(fd)


def floor(hashed: list[str], heads: Sequence[str] = ()) -> float:
    """Read + SHA-256 every file of `hashed`, read the first 2 KB of every file of `heads`."""
    start = time.perf_counter()
    for path in hashed:
        hashlib.sha256(read(path)).hexdigest()
    for path in heads:
        read(path, 2048)
    return time.perf_counter() - start


def in_process(root: Path, jobs: int | None = None) -> Callable[[], float]:
    from workflow.config import load_settings
    from workflow.report.check import check

    def run() -> float:
        start = time.perf_counter()
        report = check(load_settings(root), jobs=jobs)
        elapsed = time.perf_counter() - start
        run.findings = len(report.findings)  # type: ignore[attr-defined]
        return elapsed

    return run


def cli(root: Path, *args: str, ok: tuple[int, ...] = (0, 1)) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "workflow", "-C", str(root), *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if done.returncode not in ok:
            raise SystemExit(f"workflow {' '.join(args)} exited {done.returncode}")
        return elapsed

    return run


def measure(fns: list[tuple[str, Callable[[], float]]], runs: int) -> list[tuple[str, tuple[float, float]]]:
    """(name, (median, best)) of `runs` timings each, after one run of each that warms the page cache
    and the imports. The runs are interleaved (round after round of every measure), so a change
    of load on a shared machine falls on all of them alike and the ratios stay honest."""
    for _, fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for (_, fn), timed in zip(fns, times):
            timed.append(fn())
    return [(name, (statistics.median(timed), min(timed))) for (name, _), timed in zip(fns, times)]


def edit_sources(root: Path, every: int) -> list[tuple[Path, bytes]]:
    """Change one paragraph in one source of every `every`; returns what to restore."""
    saved = []
    for i, path in enumerate(sorted((root / "source_zh").rglob("*.md"))):
        if i % every == 0:
            data = path.read_bytes()
            saved.append((path, data))
            path.write_bytes(data.replace("段）".encode(), "段，已修改）".encode(), 1))
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--paragraphs", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reruns", action="store_true",
                        help="also time `translate` (nothing changed) and `review` (nothing edited) against check")
    args = parser.parse_args()

    root = tree(args.docs, args.paragraphs)
    sources = sorted(str(p) for p in (root / "source_zh").rglob("*.md"))
    english = [str(root / "output_en" / Path(p).relative_to(root / "source_zh")) for p in sources]
    memories = [str(root / "output_en" / ".workflow" / Path(p).relative_to(root / "source_zh")) + ".json"
                for p in sources]
    size = sum(os.path.getsize(p) for p in sources)
    memory = sum(os.path.getsize(p) for p in memories)
    library = in_process(root)
    fns: list[tuple[str, Callable[[], float]]] = [
        ("floor: read + sha256 sources and English, read memory heads", lambda: floor(sources + english, memories)),
        ("(floor, sources only: the floor before issue 14)", lambda: floor(sources)),
        ("(floor, sources and English, no memory)", lambda: floor(sources + english)),
        ("check, library call", library),
        ("check, library call, one process", in_process(root, jobs=1)),
        ("check, `workflow check` subprocess", cli(root, "check")),
        ("check, `workflow check --jobs 1` subprocess", cli(root, "check", "--jobs", "1"))]
    if args.reruns:
        fns.append(("`workflow translate`, nothing changed", cli(root, "translate", "-q", ok=(0,))))
        fns.append(("`workflow review`, nothing edited", cli(root, "review", ok=(0,))))
    rows = measure(fns, args.runs)
    clean_findings = library.findings  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a killed run still restores the sources
    saved = edit_sources(root, 100)
    try:
        rows += measure([(f"check, {len(saved)} sources edited, library", library)], args.runs)
        edited_findings = library.findings  # type: ignore[attr-defined]
    finally:
        for path, data in saved:
            path.write_bytes(data)
    report(rows, args, len(sources), size, memory, clean_findings, edited_findings, len(saved))


def report(rows: list[tuple[str, tuple[float, float]]], args: argparse.Namespace, docs: int, size: int, memory: int,
           clean: int, edited: int, saved: int) -> None:
    print(f"{docs} documents, {size / 1e6:.1f} MB of Chinese, {memory / 1e6:.1f} MB of memory; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; warm page cache; {args.runs} runs")
    print(f"findings: {clean} clean, {edited} with {saved} sources edited")
    print()
    floor_s = rows[0][1][0]
    print(f"| {'measure':<62} | {'median s':>8} | {'best s':>8} | {'x floor':>7} |")
    print(f"| {'-' * 62} | {'-' * 7}: | {'-' * 7}: | {'-' * 6}: |")
    for name, (middle, best) in rows:
        print(f"| {name:<62} | {middle:8.3f} | {best:8.3f} | {middle / floor_s:7.2f} |")
    by = {name: middle for name, (middle, _) in rows}
    library_s, one_s = by["check, library call"], by["check, library call, one process"]
    cli_s, cli1_s = by["check, `workflow check` subprocess"], by["check, `workflow check --jobs 1` subprocess"]
    print()
    print(f"ratio check/floor (medians, goal <= 2x): library {library_s / floor_s:.2f}x (one process "
          f"{one_s / floor_s:.2f}x), command {cli_s / floor_s:.2f}x (--jobs 1: {cli1_s / floor_s:.2f}x)")
    if args.reruns:
        print(f"ratio to the `workflow check` command (medians, goal <= 2x): translate, nothing changed "
              f"{by['`workflow translate`, nothing changed'] / cli_s:.2f}x; review, nothing edited "
              f"{by['`workflow review`, nothing edited'] / cli_s:.2f}x")


if __name__ == "__main__":
    main()
