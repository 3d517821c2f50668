"""`workflow translate --engine copy` against the peers' extraction of the same Markdown files.

    python bench/bench_peers.py [--docs 1000]

The peers run in their own environment, bench/.cache/peers-venv (created on first use:
`pip install mdpo "translate-toolkit[markdown]"`), never in the project's. On the corpus of
bench/bench_scale.py, in one run, each a fresh process (wall time, peak memory):

- mdpo: `markdown_to_pofile` of each file, written as a PO file (one process for all files);
- Translate Toolkit: `python -m translate.convert.md2po -i source_zh -o <folder>`;
- workflow: `translate --engine copy` from an empty output folder, with `--jobs 1` and
  with the default (one process per CPU).

Printed per run: wall seconds, CPU seconds (user + system of the process and the workers
it waited for: on a shared machine a steadier comparison than wall time) and peak memory.

The project's modules are compiled to bytecode first, as pip compiled the peers' (see
bench/bench_scale.py). Both peers only extract (no memory, no English file, no checks); they show what a
Markdown walk costs. Goal (issue 14): workflow faster than both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import CACHE, compiled, corpus, discard, fresh, set_aside, warn_if_deleted_recently  # noqa: E402

VENV = CACHE / "peers-venv"
MDPO = """
import sys
from pathlib import Path
from mdpo.md2po import markdown_to_pofile
src, out = Path(sys.argv[1]), Path(sys.argv[2])
for path in sorted(src.rglob("*.md")):
    target = out / path.relative_to(src).with_suffix(".po")
    target.parent.mkdir(parents=True, exist_ok=True)
    markdown_to_pofile(str(path)).save(str(target))
"""


def peers_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "mdpo", "translate-toolkit[markdown]"], check=True)
    return python


def timed(argv: list[str]) -> tuple[float, float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:4])} failed: {err.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    args = parser.parse_args()
    python = peers_python()
    compiled()  # the project's bytecode, as pip compiled the peers' at their install
    warn_if_deleted_recently()
    root = corpus(args.docs)
    out = CACHE / "peers-out"
    rows = []
    try:
        for name, argv in (
            ("mdpo (markdown_to_pofile per file)", [str(python), "-c", MDPO, str(root / "source_zh"), str(out / "mdpo")]),
            ("Translate Toolkit md2po", [str(python), "-m", "translate.convert.md2po", "-i", str(root / "source_zh"),
                                         "-o", str(out / "ttk")]),
            ("workflow translate --engine copy --jobs 1", [sys.executable, "-m", "workflow", "-C", str(root), "translate",
                                                           "-q", "--engine", "copy", "--jobs", "1"]),
            ("workflow translate --engine copy (default jobs)", [sys.executable, "-m", "workflow", "-C", str(root),
                                                                 "translate", "-q", "--engine", "copy"]),
        ):
            set_aside(out)  # (moved, not deleted: a deletion slows the next run's file creation, see set_aside)
            out.mkdir(parents=True)
            fresh(root)
            rows.append((name, *timed(argv)))
            made = len(list(out.rglob("*.po"))) if name.startswith(("mdpo", "Translate")) else args.docs
            if made != args.docs:
                raise SystemExit(f"{name} wrote {made} PO files for {args.docs} documents")
    finally:
        discard()
    print(f"{args.docs:,} documents; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print("| run | wall s | CPU s | peak MB |")
    print("| --- | ---: | ---: | ---: |")
    for name, seconds, peak, cpu in rows:
        print(f"| {name} | {seconds:.2f} | {cpu:.2f} | {peak:.0f} |")
    ours = min(rows[2][1], rows[3][1])
    print(f"workflow (best of the two) / mdpo {ours / rows[0][1]:.2f}x, / Translate Toolkit {ours / rows[1][1]:.2f}x "
          "(wall; goal < 1)")
    cpu = rows[2][3]  # --jobs 1: one process doing all the work, like the peers
    print(f"CPU time, workflow --jobs 1 / mdpo {cpu / rows[0][3]:.2f}x, / Translate Toolkit {cpu / rows[1][3]:.2f}x "
          "(less sensitive to the machine's other load than wall time)")


if __name__ == "__main__":
    main()
