"""Start-up of `workflow --help`: median wall time of fresh processes, against bare Python.

    python bench/bench_startup.py [--runs 15]

Prints both medians, the difference the tool adds, and the ratio. Goal (issue 2):
well under half a second, and no machine-translation library imported (a test holds that).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def median_seconds(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    bare = median_seconds([sys.executable, "-c", "pass"], args.runs)
    help_ = median_seconds([sys.executable, "-m", "workflow", "--help"], args.runs)
    translate_help = median_seconds([sys.executable, "-m", "workflow", "translate", "--help"], args.runs)
    print(f"{'command':<34} {'median s':>9}")
    print(f"{'python -c pass (floor)':<34} {bare:>9.3f}")
    print(f"{'workflow --help':<34} {help_:>9.3f}")
    print(f"{'workflow translate --help':<34} {translate_help:>9.3f}")
    print(f"workflow --help: {help_ - bare:.3f} s above bare Python ({help_ / bare:.1f}x the floor); goal < 0.5 s total")


if __name__ == "__main__":
    main()
