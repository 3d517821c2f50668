"""`workflow review` of one appended word, against the size of the document (issue 16's 27k segments).

    python bench/bench_review.py [--small 1000] [--large 8000] [--runs 3]

Builds two documents of `--small` and `--large` numbered Chinese paragraphs, translates
them with the real copy engine (library call), appends one word to the last paragraph of
each English file and times `review` (library call, the work the command does: parse,
attribute, render, verify, write). Prints seconds per document and the scaling ratio
(time per segment, large over small): about 1 is linear, large / small is quadratic.
Goal (issue 11): under 2.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from workflow.config import load_settings  # noqa: E402
from workflow.review.run import review  # noqa: E402
from workflow.translate.run import translate  # noqa: E402


def build(root: Path, paragraphs: int) -> Path:
    (root / "source_zh").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "copy"\nreviewer = "Bench"\n', encoding="utf-8")
    body = "".join(f"第{i}段：峰会的议题全程听下来，收益颇丰，感慨良多。\n\n" for i in range(paragraphs))
    (root / "source_zh" / "big.md").write_text(f"---\ntitle: 大文档\n---\n\n# 标题\n\n{body}", encoding="utf-8")
    translate(load_settings(root))
    return root / "output_en" / "big.md"


def timed(root: Path, english: Path, runs: int) -> float:
    pristine = english.read_bytes()
    memory = root / "output_en" / ".workflow" / "big.md.json"
    saved = memory.read_bytes()
    times = []
    for _ in range(runs):
        english.write_bytes(pristine.rstrip(b"\n") + b" word\n")
        memory.write_bytes(saved)
        start = time.perf_counter()
        report = review(load_settings(root), [english])
        times.append(time.perf_counter() - start)
        assert report.documents[0].state == "recorded", report.documents[0]
    english.write_bytes(pristine)
    memory.write_bytes(saved)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=8000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-review-"))
    try:
        results = {}
        for n in (args.small, args.large):
            root = tmp / str(n)
            results[n] = timed(root, build(root, n), args.runs)
            print(f"{n:>7} segments: review of one appended word {results[n]:.3f} s "
                  f"({1e6 * results[n] / n:.0f} µs per segment)")
        ratio = (results[args.large] / args.large) / (results[args.small] / args.small)
        print(f"scaling ratio (time per segment, {args.large} over {args.small}): {ratio:.2f} "
              f"(1 = linear, {args.large / args.small:.0f} = quadratic; goal < 2)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
