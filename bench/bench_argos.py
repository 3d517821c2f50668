"""The argos engine on a transformer-base-sized model: batching, pipeline overhead, memory.

    python bench/bench_argos.py [--copies 12] [--max-decoding-length 16] [--beam-size 2] [--subset 480] [--sample 96]

Builds (once; cached in bench/.cache/, which git ignores) the synthetic Argos package
of tests/argos_package.py at transformer-base size (6+6 layers, d_model 512, 8 heads,
FFN 2048, 32k vocabulary, int8) and installs it into bench/.cache/argos/. The content
is the five articles of source_zh/ repeated `--copies` times; copy k > 0 has every
Chinese character outside glossary terms shifted by k code points in the CJK block,
so each copy's sentences are new to the engine (the pipeline sends each distinct
sentence once) while the Markdown, the placeholders and the glossary terms stay those
of the real articles. The engine inputs are the real ones: the pipeline's own
segmentation, masking, sentence splitting and glossary placeholders, captured by a
recording engine. Then, in one run, with the same beam and maximum decoding length:

(a) the engine's `translate` (one length-sorted, token-batched pass) against one
    `translate_batch` call per sentence, per sentence. To stay within ~10 minutes on
    2 cores, (a) runs on a seeded random subset of `--subset` sentences, and the
    one-call-per-sentence loop on `--sample` of those; goal: batching at least 3x faster;
(b) `workflow translate` over all of them, as a subprocess (interpreter start,
    imports, model load, planning, writing included), against one raw `translate_batch`
    call over the same pre-tokenized sentences (model already loaded); goal: at most
    10 % overhead;
(c) peak memory: the `workflow translate` process (ru_maxrss of the child) and this
    process after the raw call.

The random model never emits </s>, so every sentence decodes exactly
--max-decoding-length tokens (a real model stops at the end of its sentence). The
package's SentencePiece model is trained on the bench's own text, so inputs have about
the token counts a real zh→en model gives them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
ARGOS = CACHE / "argos"
# argostranslate reads these when first imported: set them before anything imports it.
os.environ["ARGOS_PACKAGES_DIR"] = str(ARGOS / "packages")  # set per content by project()
os.environ["ARGOS_PACKAGE_INDEX"] = "http://127.0.0.1:9/"  # never needed: the package is installed from a file
for _var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = str(ARGOS / _var.lower())
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

HAN_FIRST, HAN_COUNT = 0x4E00, 0x9FA5 - 0x4E00 + 1


def package(root: Path) -> Path:
    """The bench package for this content, built once and installed into bench/.cache/argos/.

    Its SentencePiece model is trained on the test corpus plus the bench's own source
    lines (by extending `argos_package.TRAINING_LINES` and its soft vocabulary target), so Chinese text becomes about
    one token per character, as with a real model, instead of three byte-fallback tokens.
    """
    import argos_package

    from workflow.engines import argos_packages

    built = CACHE / f"package-{root.name}"
    zips = sorted(built.glob("translate-zh_en-*.argosmodel"))
    if not zips:
        lines = [line.strip() for f in sorted((root / "source_zh").glob("*.md"))
                 for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        start = time.perf_counter()
        original = argos_package.TRAINING_LINES, argos_package._SP_TARGET_VOCAB
        # Every character of the shifted copies needs a piece: a soft target of 20k pieces.
        argos_package.TRAINING_LINES, argos_package._SP_TARGET_VOCAB = original[0] + tuple(lines), 20000
        try:
            zips = [argos_package.build_bench_package(built)]
        finally:
            argos_package.TRAINING_LINES, argos_package._SP_TARGET_VOCAB = original
        print(f"built {zips[0].name} ({zips[0].stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.0f} s")
    installed = argos_packages.find_installed("translate-zh_en")
    if installed is None:
        argos_packages.install_file(zips[0])
        installed = argos_packages.find_installed("translate-zh_en")
    return Path(installed.package_path)


def shift(text: str, k: int, glossary: Any) -> str:
    """Every Han character outside glossary terms moved k code points along the CJK block."""
    if k == 0:
        return text
    keep = [False] * len(text)
    for line_start, line in _lines(text):
        for m in glossary.match(line):
            for i in range(line_start + m.start, line_start + m.end):
                keep[i] = True
    return "".join(
        chr(HAN_FIRST + (ord(ch) - HAN_FIRST + 7 * k) % HAN_COUNT) if HAN_FIRST <= ord(ch) <= 0x9FA5 and not keep[i]
        else ch
        for i, ch in enumerate(text)
    )


def _lines(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for line in text.splitlines(keepends=True):
        out.append((start, line))
        start += len(line)
    return out


def project(copies: int, max_len: int, beam: int) -> Path:
    from workflow.glossary.terms import load as load_glossary

    root = CACHE / f"project-{copies}"
    # One installed package per content (its tokenizer is trained on it).
    os.environ["ARGOS_PACKAGES_DIR"] = str(ARGOS / f"packages-{copies}")
    if not (root / "source_zh").is_dir():
        glossary = load_glossary(REPO / "glossary", REPO)
        (root / "source_zh").mkdir(parents=True)
        for source in sorted((REPO / "source_zh").glob("*.md")):
            text = source.read_text(encoding="utf-8")
            for k in range(copies):
                name = source.name if k == 0 else f"{source.stem}-copy{k:02d}.md"
                (root / "source_zh" / name).write_text(shift(text, k, glossary), encoding="utf-8")
        shutil.copytree(REPO / "glossary", root / "glossary")
    (root / "pyproject.toml").write_text(
        f'[tool.workflow]\nengine = "argos"\n\n[tool.workflow.argos]\nmax-decoding-length = {max_len}\n'
        f"beam-size = {beam}\n", encoding="utf-8")
    shutil.rmtree(root / "output_en", ignore_errors=True)
    return root


def engine_inputs(root: Path) -> tuple[list[str], int]:
    """The sentences `workflow translate` sends to the engine, and the number of segments."""
    from workflow.config import load_settings
    from workflow.store.memory import EngineInfo
    from workflow.translate import run as pipeline

    class Recorder:
        identity = False
        info = EngineInfo("recorder")
        texts: list[str] = []

        def translate(self, texts: list[str], progress: Any = None) -> list[str]:
            Recorder.texts = list(texts)
            return list(texts)

    scratch = CACHE / "scratch-output"
    shutil.rmtree(scratch, ignore_errors=True)
    settings = load_settings(root, overrides={"output": str(scratch)})
    report = pipeline.translate(settings, engine=Recorder())
    shutil.rmtree(scratch, ignore_errors=True)
    return Recorder.texts, sum(d.segments for d in report.documents)


class Timed:
    """Wall time and CPU time (all threads; with `children`, of finished child processes)."""

    def __init__(self, fn: Any, children: bool = False) -> None:
        who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
        before, start = resource.getrusage(who), time.perf_counter()
        self.value = fn()
        self.wall = time.perf_counter() - start
        after = resource.getrusage(who)
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--copies", type=int, default=12, help="copies of the five articles (12: 2,172 segments)")
    parser.add_argument("--max-decoding-length", type=int, default=16)
    parser.add_argument("--beam-size", type=int, default=2)
    parser.add_argument("--subset", type=int, default=480, help="sentences of the batching comparison (a)")
    parser.add_argument("--sample", type=int, default=96, help="of those, timed one translate_batch call each")
    args = parser.parse_args()
    total_start = time.perf_counter()
    load_before = os.getloadavg()[0]

    root = project(args.copies, args.max_decoding_length, args.beam_size)
    pkg_path = package(root)
    texts, segments = engine_inputs(root)
    print(f"content: {args.copies} copies of the five articles: {segments} segments, {len(texts)} distinct sentences "
          f"to translate; max-decoding-length {args.max_decoding_length}, beam {args.beam_size}, "
          f"{os.cpu_count()} CPUs")

    # (b) first, in a fresh process, before this one loads a model.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "workflow", "-C", str(root), "translate", "--quiet", "--format", "json"]
    pipeline = Timed(lambda: subprocess.run(cmd, env=env, capture_output=True, text=True), children=True)
    proc = pipeline.value
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
        raise SystemExit(f"workflow translate failed with exit code {proc.returncode}")
    report = json.loads(proc.stdout)
    assert report["engine_texts"] == len(texts), (report["engine_texts"], len(texts))
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    from workflow.config import load_settings
    from workflow.engines.argos import ArgosEngine

    engine = ArgosEngine(load_settings(root))
    load = Timed(engine.translator)
    translator = load.value
    kwargs = engine.options.kwargs()
    tokens = [engine.tokenize(t) for t in texts]
    raw = Timed(lambda: translator.translate_batch(tokens, **kwargs))
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # (a) the engine on a random subset, then one call per sentence on part of it.
    rng = random.Random(0)
    subset = rng.sample(range(len(texts)), min(args.subset, len(texts)))
    sample = subset[:args.sample]
    batched = Timed(lambda: engine.translate([texts[i] for i in subset]))
    single_kwargs = {k: v for k, v in kwargs.items() if k not in ("max_batch_size", "batch_type")}
    single = Timed(lambda: [translator.translate_batch([tokens[i]], **single_kwargs) for i in sample])
    sample_batched = Timed(lambda: engine.translate([texts[i] for i in sample]))

    n, m, k = len(texts), len(sample), len(subset)
    rows = [
        (f"(a) engine.translate, {k} sentences, one batched pass", batched, k),
        (f"(a) one translate_batch call per sentence, {m} of them", single, m),
        (f"(a) engine.translate on the same {m} sentences", sample_batched, m),
        (f"(b) workflow translate, {n} sentences (subprocess)", pipeline, n),
        ("(b) raw translate_batch, pre-tokenized, model loaded", raw, n),
        ("    model load (CTranslate2 Translator)", load, 0),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print(f"| {'measurement':<{width}} | {'wall':>8} | {'CPU':>8} | {'wall/sentence':>13} | {'CPU/sentence':>12} |")
    print(f"| {'-' * width} | {'-' * 7}: | {'-' * 7}: | {'-' * 12}: | {'-' * 11}: |")
    for name, t, count in rows:
        per = (f"{t.wall / count * 1000:.1f} ms", f"{t.cpu / count * 1000:.1f} ms") if count else ("", "")
        print(f"| {name:<{width}} | {t.wall:>6.1f} s | {t.cpu:>6.1f} s | {per[0]:>13} | {per[1]:>12} |")
    print(f"| {'(c) peak RSS, workflow translate process':<{width}} | {child_rss:>5.0f} MB | {'':>8} | {'':>13} | {'':>12} |")
    print(f"| {'(c) peak RSS, this process (model + raw run)':<{width}} | {self_rss:>5.0f} MB | {'':>8} | {'':>13} | {'':>12} |")
    print()
    for label, attr in (("wall", "wall"), ("CPU", "cpu")):
        per_batched = getattr(batched, attr) / k
        per_single = getattr(single, attr) / m
        per_sample = getattr(sample_batched, attr) / m
        speedup = per_single / per_batched
        overhead = getattr(pipeline, attr) / getattr(raw, attr) - 1
        print(f"{label:>4}: (a) batching {speedup:.1f}x faster per sentence than one call each (goal >= 3x: "
              f"{'met' if speedup >= 3 else 'NOT met'}; {per_single / per_sample:.1f}x on the same {m} sentences); "
              f"(b) workflow translate {overhead * 100:+.1f} % over raw translate_batch (goal <= 10 %: "
              f"{'met' if overhead <= 0.10 else 'NOT met'})")
    print(f"(c) peak memory: workflow translate {child_rss:.0f} MB; model package on disk "
          f"{sum(f.stat().st_size for f in (pkg_path / 'model').iterdir()) / 1e6:.0f} MB")
    print(f"total bench time {time.perf_counter() - total_start:.0f} s; load average before/after: "
          f"{load_before:.1f}/{os.getloadavg()[0]:.1f}. Other processes on the machine stretch wall times "
          "(CPU times much less): compare the CPU column when the load average is above the CPU count.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
