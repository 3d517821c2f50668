"""How `workflow` scales: time and peak memory per command on corpora of 10 to 10,000 documents.

    python bench/bench_scale.py [--sizes 10,100,1000] [--jobs 1] [--repeat 3] [--profile translate]

Each corpus (built once, cached in bench/.cache/, which git ignores) replicates the five
real articles of `source_zh/` with small variations: document n is article n % 5 with a
numbered clause in its title, its headings and every paragraph, so no two documents
are equal and every sentence reaches the engine. Per size, in one run, each command as
a fresh `workflow` process (interpreter start and imports included), wall time and the
process tree's peak resident memory (`wait4`'s ru_maxrss: the largest single process):

- `translate --engine copy`, first run (English and memory written for every document);
- `translate`, nothing changed (no engine called, nothing written);
- `translate`, one paragraph of one file changed;
- `review`, nothing edited;
- `check` and `status`;

and, measured in this process on the same files, the floors: reading + SHA-256 of every
source and English file, and markdown-it-py parsing every source alone (the parse the
pipeline needs anyway). Ratios printed: translate/review against `check` (goal <= 2x),
`check` against its floor (goal <= 2x), the first run against the markdown-it-py parse
(goal <= 3x), the first run's throughput in KB/s, and peak memory across sizes (goal:
flat, the largest size within 20% of 1,000 documents, under 300 MB).

The project's modules are compiled to bytecode first (`compileall`, as `pip install` does for
an installed package, and as the peers of bench/bench_peers.py have theirs): an editable
install under `PYTHONDONTWRITEBYTECODE=1` would otherwise compile every module in every
process, about 0.1 s a process.

The first run and the markdown-it-py parse are taken in turn `--repeat` times (default 3) and
their medians shown (the peak memory: the largest of the first runs): this machine's speed
drifts by up to 1.7x within an hour, and a ratio of two samples taken minutes apart moved with it.
Each first run writes into an output folder that does not exist yet: the one before is moved
aside, and deleted once the last command is measured (see `set_aside`).

`--profile translate` runs the first translate of the largest size under cProfile and
prints the top functions by cumulative and internal time (no timings table).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
VERSION = 1  # of the generated corpus; bump when the generator changes
PER_FOLDER = 100
HAN = re.compile("[\u4e00-\u9fff]")


def articles() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((REPO / "source_zh").glob("*.md"))]


def variant(text: str, number: int) -> str:
    """Article text with a numbered clause before the last full stop of each Chinese line."""
    mark = f"（第{number}版）"
    out = []
    lines = text.split("\n")
    front = lines.index("---", 1) + 1 if lines[0] == "---" and "---" in lines[1:] else 0
    for i, line in enumerate(lines):
        if i < front:
            if line.startswith("title: "):
                line += mark
        elif HAN.search(line) and not line.startswith(("|", "    ", "```")):
            stop = line.rfind("。")
            line = line[:stop] + mark + line[stop:] if stop >= 0 else line.rstrip() + mark
        out.append(line)
    return "\n".join(out)


def corpus(docs: int) -> Path:
    """The sources of `docs` documents, a copy of the glossary and a pyproject (engine copy); no English yet."""
    root = CACHE / f"scale-v{VERSION}-{docs}"
    if (root / "sources-done").is_file():
        return root
    if root.exists():
        shutil.rmtree(root)
    seeds = articles()
    for number in range(docs):
        path = root / "source_zh" / f"part-{number // PER_FOLDER:03d}" / f"doc-{number:06d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(variant(seeds[number % len(seeds)], number), encoding="utf-8")
    shutil.copytree(REPO / "glossary", root / "glossary")
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\nreviewer = "bench"\n', encoding="utf-8")
    (root / "sources-done").write_text("ok\n")
    return root


def fresh(root: Path) -> None:
    """The corpus before any translate: no English, no memory (the old ones set aside, see there)."""
    set_aside(root / "output_en")


DISCARDED = CACHE / "discarded"  # what `set_aside` moved, deleted by `discard` once the measuring is done
DISCARDED_AT = CACHE / "discarded-at"  # when `discard` last deleted it
RECENT = 360  # seconds after a deletion during which ext4 without a journal skips the freed inodes


def set_aside(path: Path) -> None:
    """`path` moved into bench/.cache/discarded/ (a rename: nothing is deleted before a measured run).

    Files deleted just before a run slow the run's creation of files. ext4 without a journal (this
    machine's root file system) never reuses an inode freed in the last 60 s (360 s while its
    inode table block is unwritten), and each new file's allocation scans past every such inode
    (`recently_deleted` in the kernel's fs/ext4/ialloc.c). After the `rm -rf` of a 1,000-document
    output, repeated, the kernel's inode allocation took 15 % of a first run's CPU (`perf record`):
    first runs into a folder moved aside took 1.1-1.5 s of system time, four in a row each after
    an `rm -rf` of the one before 2.35 s, 2.94 s, 3.09 s and 3.38 s. A user's first run writes
    into a new folder; so does the one measured here."""
    if path.exists():
        DISCARDED.mkdir(parents=True, exist_ok=True)
        path.rename(DISCARDED / f"{time.time_ns()}-{path.name}")


def discard() -> None:
    """What `set_aside` moved, deleted, after the last measured run."""
    if DISCARDED.exists():
        shutil.rmtree(DISCARDED)
        DISCARDED_AT.write_text(f"{time.time():.0f}\n")


def warn_if_deleted_recently() -> None:
    """A note when an earlier bench run deleted its set-aside files less than `RECENT` seconds ago."""
    try:
        ago = time.time() - float(DISCARDED_AT.read_text())
    except (OSError, ValueError):
        return
    if ago < RECENT:
        print(f"note: the last bench run deleted its old outputs {ago:.0f} s ago; on ext4 without a journal, "
              f"files are slower to create for up to {RECENT} s after a deletion (see set_aside in "
              "bench/bench_scale.py): wait, or read the first runs' figures as too high.", file=sys.stderr)


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_mb: float
    code: int


def workflow(root: Path, *args: str) -> Sample:
    """One `workflow` process: wall seconds and the peak RSS of the largest process of its tree."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "workflow", "-C", str(root), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"workflow {' '.join(args)} exited {proc.returncode}: {err.decode()[-2000:]}")
    return Sample(elapsed, usage.ru_maxrss / 1024, proc.returncode)


def files(root: Path) -> tuple[list[Path], list[Path]]:
    sources = sorted((root / "source_zh").rglob("*.md"))
    english = sorted((root / "output_en").rglob("*.md"))
    return sources, english


def floor(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as handle:
            hashlib.sha256(handle.read()).hexdigest()
    return time.perf_counter() - start


def parse_alone(paths: list[Path]) -> float:
    """markdown-it-py (the parser and plugins the pipeline uses) parsing every source, one parser reused."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    parser = MarkdownIt("commonmark").enable("table").use(footnote_plugin)
    start = time.perf_counter()
    for path in paths:
        parser.parse(path.read_text(encoding="utf-8"))
    return time.perf_counter() - start


def check_in_process(root: Path) -> float:
    """`check` as a library call, after one warm-up call (imports, page cache)."""
    from workflow.config import load_settings
    from workflow.report.check import check

    check(load_settings(root))
    start = time.perf_counter()
    check(load_settings(root))
    return time.perf_counter() - start


def change_one_paragraph(root: Path) -> None:
    path = sorted((root / "source_zh").rglob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("版）", "版，改）", 1), encoding="utf-8")


def measure(docs: int, jobs: list[str], repeat: int) -> dict[str, Sample | float]:
    root = corpus(docs)
    sources, _ = files(root)
    row: dict[str, Sample | float] = {}
    # The first run and the parse it is compared with, taken in turn `repeat` times: the machine's
    # speed drifts (by up to 1.7x within an hour here), and both see the same drift.
    firsts, parses = [], []
    for _ in range(repeat):
        fresh(root)
        firsts.append(workflow(root, "translate", "-q", "--engine", "copy", *jobs))
        parses.append(parse_alone(sources))
    row["translate, first run"] = Sample(statistics.median(s.seconds for s in firsts), max(s.peak_mb for s in firsts),
                                         max(s.code for s in firsts))
    row["translate, nothing changed"] = workflow(root, "translate", "-q", *jobs)
    row["review, nothing edited"] = workflow(root, "review", "-q") if _has_quiet("review") else workflow(root, "review")
    row["check"] = workflow(root, "check")
    row["status"] = workflow(root, "status")
    saved = sources[0].read_bytes()
    change_one_paragraph(root)
    try:
        row["translate, one paragraph changed"] = workflow(root, "translate", "-q", *jobs)
    finally:
        sources[0].write_bytes(saved)
    workflow(root, "translate", "-q", *jobs)  # back to the unchanged state
    _, english = files(root)
    row["floor: read + sha256 of sources and English"] = floor(sources + english)
    row["markdown-it-py parse of every source"] = statistics.median(parses)
    row["check, library call (no interpreter start)"] = check_in_process(root)
    row["MB"] = sum(p.stat().st_size for p in sources) / 1e6
    return row


def _has_quiet(command: str) -> bool:
    done = subprocess.run([sys.executable, "-m", "workflow", command, "--help"], capture_output=True, text=True)
    return "--quiet" in done.stdout


def profile(docs: int, jobs: list[str]) -> None:
    root = corpus(docs)
    fresh(root)
    out = CACHE / f"profile-{docs}.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "workflow", "-C", str(root),
                    "translate", "-q", "--engine", "copy", *jobs], check=True, stdout=subprocess.DEVNULL)
    import pstats

    stats = pstats.Stats(str(out))
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(30)


def compiled() -> None:
    """The project's bytecode in its `__pycache__` folders (read even under PYTHONDONTWRITEBYTECODE)."""
    import compileall

    if not compileall.compile_dir(str(REPO / "workflow"), quiet=1):
        raise SystemExit("compileall failed on workflow/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated corpus sizes (documents)")
    parser.add_argument("--jobs", type=int, default=None, help="translate --jobs N (default: the tool's default)")
    parser.add_argument("--profile", choices=["translate"], default=None)
    parser.add_argument("--repeat", type=int, default=3,
                        help="first runs and markdown-it-py parses per size, in turn; medians shown (default 3)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    compiled()
    warn_if_deleted_recently()
    try:
        if args.profile:
            profile(max(sizes), jobs)
            return
        rows = {docs: measure(docs, jobs, max(1, args.repeat)) for docs in sizes}
    finally:
        discard()
    report(rows)


def report(rows: dict[int, dict[str, Sample | float]]) -> None:
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; each command one fresh process; "
          "seconds (peak MB)")
    sizes = list(rows)
    names = [n for n in rows[sizes[0]] if n != "MB"]
    print("| command | " + " | ".join(f"{d:,} docs ({rows[d]['MB']:.1f} MB)" for d in sizes) + " |")
    print("| --- | " + " | ".join("---:" for _ in sizes) + " |")
    for name in names:
        cells = []
        for d in sizes:
            value = rows[d][name]
            cells.append(f"{value.seconds:.2f} s ({value.peak_mb:.0f} MB)" if isinstance(value, Sample) else f"{value:.2f} s")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    for d in sizes:
        row = rows[d]
        check = _s(row["check"])
        first = _s(row["translate, first run"])
        print(f"{d:,} docs: translate nothing changed / check {_s(row['translate, nothing changed']) / check:.2f}x, "
              f"review nothing edited / check {_s(row['review, nothing edited']) / check:.2f}x (goal <= 2x); "
              f"check / floor {check / _s(row['floor: read + sha256 of sources and English']):.2f}x "
              f"(library call {_s(row['check, library call (no interpreter start)']) / _s(row['floor: read + sha256 of sources and English']):.2f}x, goal <= 2x); "
              f"first run / markdown-it parse {first / _s(row['markdown-it-py parse of every source']):.2f}x "
              f"(goal <= 3x); first run {float(row['MB']) * 1000 / first:.0f} KB/s")
    peaks = {d: rows[d]["translate, first run"] for d in sizes}
    print("translate first run peak MB: " + ", ".join(f"{d:,}: {p.peak_mb:.0f}" for d, p in peaks.items()
                                                        if isinstance(p, Sample)))


def _s(value: Sample | float) -> float:
    return value.seconds if isinstance(value, Sample) else float(value)


if __name__ == "__main__":
    main()
