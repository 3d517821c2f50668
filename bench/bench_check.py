"""`workflow check` on 10,000 documents, against the floor: reading and hashing every source once.

    python bench/bench_check.py [--docs 10000] [--paragraphs 24] [--runs 5]

Builds (once; cached in bench/.cache/, which git ignores) a content repository of
generated Chinese articles: paragraphs of the five seed articles in `source_zh/`,
shuffled, each made unique by a numbered clause, with front matter, headings and list
items, in folders of 100. The English and the memory are written by the real
`workflow translate --engine copy` (two processes, one per half of the folders: about
ten minutes here), so every memory file is what the tool writes. Then, in one run:

- floor: read and SHA-256 every source file once (the list of paths given);
- `check` as a library call in this process (one process per CPU, the default for
  large runs, and one process), and as a `workflow check` subprocess (interpreter
  start and imports included);
- the same with one source in every 100 edited, which `check` re-parses and aligns.

Memory records the glossary's identity (`glossary_hash`) and a derived `summary`, so
`check` reads hashes and counts without walking the segments or recomputing glossary
fingerprints (a tree cached before those fields is re-saved through the current writer).
Timings are wall-clock seconds, median and best of `--runs` after one warm-up run;
the machine's load average is printed because other work on it skews them.
Goal (issue 6): check at most 2x the floor, and under 2 s. Prints the table and the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

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

    marker = root / "memory-v3"  # bump when the writer changes
    if marker.is_file():
        return
    identity = load(root / "glossary").identity
    for path in sorted((root / "output_en" / ".workflow").rglob("*.json")):
        data = path.read_bytes()
        new = dataclasses.replace(parse(data, str(path)), glossary_hash=identity).to_bytes()
        if new != data:
            path.write_bytes(new)
    marker.write_text("ok\n")


def floor(paths: list[str]) -> float:
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as handle:
            hashlib.sha256(handle.read()).hexdigest()
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


def cli(root: Path) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "workflow", "-C", str(root), "check"], stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 1):
            raise SystemExit(f"workflow check exited {done.returncode}")
        return elapsed

    return run


def measure(fn: Callable[[], float], runs: int) -> tuple[float, float]:
    """(median, best) of `runs` timings, after one run that warms the page cache and the imports."""
    fn()
    times = [fn() for _ in range(runs)]
    return statistics.median(times), min(times)


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
    args = parser.parse_args()

    root = CACHE / f"check-v{VERSION}-{args.docs}x{args.paragraphs}"
    build(root, args.docs, args.paragraphs)
    upgrade_memory(root)

    sources = sorted(str(p) for p in (root / "source_zh").rglob("*.md"))
    size = sum(os.path.getsize(p) for p in sources)
    memory = sum(p.stat().st_size for p in (root / "output_en" / ".workflow").rglob("*.json"))
    floor_s = measure(lambda: floor(sources), args.runs)
    library = in_process(root)
    rows = [("floor: read + sha256 every source", floor_s)]
    rows.append(("check, library call", measure(library, args.runs)))
    clean_findings = library.findings  # type: ignore[attr-defined]
    rows.append(("check, library call, one process", measure(in_process(root, jobs=1), args.runs)))
    rows.append(("check, `workflow check` subprocess", measure(cli(root), args.runs)))
    saved = edit_sources(root, 100)
    try:
        rows.append((f"check, {len(saved)} sources edited, library", measure(library, args.runs)))
        edited_findings = library.findings  # type: ignore[attr-defined]
    finally:
        for path, data in saved:
            path.write_bytes(data)

    print(f"{len(sources)} documents, {size / 1e6:.1f} MB of Chinese, {memory / 1e6:.1f} MB of memory; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; warm page cache; {args.runs} runs")
    print(f"findings: {clean_findings} clean, {edited_findings} with {len(saved)} sources edited")
    print()
    print(f"| {'measure':<58} | {'median s':>8} | {'best s':>8} | {'x floor':>7} |")
    print(f"| {'-' * 58} | {'-' * 7}: | {'-' * 7}: | {'-' * 6}: |")
    for name, (middle, best) in rows:
        print(f"| {name:<58} | {middle:8.3f} | {best:8.3f} | {middle / floor_s[0]:7.2f} |")
    library_s, cli_s = rows[1][1][0], rows[3][1][0]
    print()
    print(f"ratio check/floor (medians): library {library_s / floor_s[0]:.2f}x, CLI {cli_s / floor_s[0]:.2f}x "
          f"(goal <= 2x); CLI {cli_s:.2f} s (goal < 2 s)")

if __name__ == "__main__":
    main()
