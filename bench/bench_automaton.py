"""The glossary's Aho-Corasick pass: ahocorasick_rs (what `glossary/matcher.py` uses) against pyahocorasick.

    python bench/bench_automaton.py [--docs 1000]

On the segment texts of the corpus of bench/bench_scale.py (the Chinese of every
paragraph, heading, item and cell, full-width folded and case-folded as the matcher
folds them), in one run: every occurrence of every anchor of the project's glossary,
found by each library, as the matcher asks for them (ahocorasick_rs: one call per text,
overlapping; pyahocorasick: its iterator per text, listed). pyahocorasick runs in the
peers' environment of bench/bench_peers.py (installed there on first use), never in
the project's. Both must find the same occurrences; printed: seconds per library, best
of 3, and their ratio. Then, in this process, the glossary fingerprint of every text
(`Glossary.fingerprint` without its cache: the per-record cost of a first run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_peers import peers_python  # noqa: E402
from bench_scale import CACHE, REPO, corpus  # noqa: E402

PEER = """
import json, sys, time
import ahocorasick
anchors, texts = json.load(open(sys.argv[1], encoding="utf-8"))
automaton = ahocorasick.Automaton()
for number, anchor in enumerate(anchors):
    automaton.add_word(anchor, (len(anchor) - 1, number))
automaton.make_automaton()
best, found = None, None
for _ in range(3):
    start = time.perf_counter()
    found = [[(number, end - back) for end, (back, number) in automaton.iter(text)] for text in texts]
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(json.dumps([best, [sorted(hits) for hits in found]]))
"""


def texts_of(root: Path) -> list[str]:
    from workflow.store.post import parse
    from workflow.text.segment import segment_body

    found = []
    for path in sorted((root / "source_zh").rglob("*.md")):
        post = parse(path.read_bytes(), str(path))
        found += [segment.source for segment in segment_body(post.body, {})]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    args = parser.parse_args()
    import ahocorasick_rs

    from workflow.glossary.matcher import case_fold
    from workflow.glossary.terms import _anchor, fold, load

    glossary = load(REPO / "glossary")
    anchors = list(dict.fromkeys(case_fold(_anchor(e)) for e in glossary.entries))
    sources = texts_of(corpus(args.docs))
    folded = [case_fold(fold(text)) for text in sources]

    python = peers_python()
    if subprocess.run([str(python), "-c", "import ahocorasick"], capture_output=True).returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pyahocorasick"], check=True)
    data = CACHE / "automaton-texts.json"
    data.write_text(json.dumps([anchors, folded], ensure_ascii=False), encoding="utf-8")
    peer = subprocess.run([str(python), "-c", PEER, str(data)], capture_output=True, text=True, check=True)
    peer_seconds, peer_found = json.loads(peer.stdout)

    automaton = ahocorasick_rs.AhoCorasick(anchors, matchkind=ahocorasick_rs.MatchKind.Standard)
    ours = None
    for _ in range(3):
        start = time.perf_counter()
        found = [automaton.find_matches_as_indexes(text, overlapping=True) for text in folded]
        took = time.perf_counter() - start
        ours = took if ours is None else min(ours, took)
    assert ours is not None
    same = [sorted((number, first) for number, first, _ in hits) for hits in found] == [
        [tuple(hit) for hit in hits] for hits in peer_found]
    if not same:
        raise SystemExit("the two libraries found different occurrences")

    glossary.fingerprint("安全组")  # the segmenter loaded first, as in a run
    start = time.perf_counter()
    for text in sources:
        glossary._fingerprint(text)
    fingerprints = time.perf_counter() - start

    hits = sum(map(len, found))
    chars = sum(map(len, folded))
    print(f"{len(sources):,} segment texts of {args.docs:,} documents ({chars:,} characters), {len(anchors):,} anchors, "
          f"{hits:,} occurrences (the same from both)")
    print("| automaton | seconds (best of 3) |")
    print("| --- | ---: |")
    print(f"| pyahocorasick 2 (iterator, listed) | {peer_seconds:.3f} |")
    print(f"| ahocorasick_rs (one call per text) | {ours:.3f} |")
    print(f"ahocorasick_rs / pyahocorasick {ours / peer_seconds:.2f}x")
    print(f"glossary fingerprints of every text: {fingerprints:.2f} s ({fingerprints / len(sources) * 1e6:.0f} µs a text)")


if __name__ == "__main__":
    main()
