"""Which glossary matches the per-match rule changes: Chinese word boundaries, commands, identifiers.

    python bench/glossary_boundaries.py [--quiet]

Matches the current glossary (`glossary/`) twice, in one run: as before the rule (every
longest-leftmost candidate kept) and with `Glossary.accept` (a term whose edge falls
inside a Chinese word is dropped or gives way to a shorter entry at the same start;
nothing is matched in a command line or an identifier). Over two corpora:

- the five articles: every segment of `source_zh/*.md` (body and the translated front
  matter), as `workflow glossary check` reads it (code, URLs and markup left out);
- the tests' corpora: every string with Chinese in `tests/**/*.py` (but the rule's own
  cases, `tests/test_glossary_words.py`) and every line with Chinese in `tests/fixtures/`.

Prints each changed match (`-` dropped, `+` new) with its text around it, then the counts.
Re-run it after the glossary grows: the numbers are those of the glossary on disk.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

from workflow.glossary import qa
from workflow.glossary.terms import Glossary, Match, load
from workflow.store.post import parse
from workflow.text.chars import HAN
from workflow.text.segment import segment_body

ROOT = Path(__file__).resolve().parent.parent


def articles() -> Iterator[tuple[str, str]]:
    for path in sorted((ROOT / "source_zh").glob("*.md")):
        post = parse(path.read_bytes(), path.name)
        values = post.front.metadata.values() if post.front else []
        for value in values:
            if isinstance(value, str) and HAN.search(value):
                yield f"{path.name}:front", qa.visible(value, markdown=False)
        for segment in segment_body(post.body, {}):
            yield f"{path.name}:{segment.line + post.body_line - 1}", qa.visible(segment.source)


def test_corpora() -> Iterator[tuple[str, str]]:
    tests = ROOT / "tests"
    for path in sorted(p for p in tests.rglob("*.py") if p.name != "test_glossary_words.py"):  # not the rule's own cases
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and HAN.search(node.value):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.value
    for path in sorted(p for p in (tests / "fixtures").rglob("*") if p.is_file()):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if HAN.search(line):
                yield f"{path.relative_to(ROOT)}:{number}", line


def shown(text: str, m: Match) -> str:
    before = text[max(0, m.start - 6):m.start].replace("\n", " ")
    after = text[m.end:m.end + 6].replace("\n", " ")
    return f"{before}[{text[m.start:m.end]}]{after} ({m.entry.zh} → {m.entry.en})"


def compare(name: str, corpus: Iterator[tuple[str, str]], old: Glossary, new: Glossary, quiet: bool) -> tuple[int, ...]:
    texts = before = after = dropped = added = 0
    for where, text in corpus:
        texts += 1
        a = {(m.start, m.end, m.entry.zh): m for m in old.match(text)}
        b = {(m.start, m.end, m.entry.zh): m for m in new.match(text)}
        before, after = before + len(a), after + len(b)
        gone, new_ = [a[k] for k in a if k not in b], [b[k] for k in b if k not in a]
        dropped, added = dropped + len(gone), added + len(new_)
        for sign, changed in (("-", gone), ("+", new_)):
            for m in changed:
                if not quiet:
                    print(f"{name}  {where}  {sign} {shown(text, m)}")
    return texts, before, after, dropped, added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet", action="store_true", help="only the counts")
    args = parser.parse_args()
    glossary = load(ROOT / "glossary", ROOT)
    old = Glossary(glossary.entries, guarded=False)  # as before the rule: every candidate is a match
    rows = [("five articles", compare("articles", articles(), old, glossary, args.quiet)),
            ("tests' corpora", compare("tests", test_corpora(), old, glossary, args.quiet))]
    print(f"\nglossary: {len(glossary)} entries")
    print(f"{'corpus':<16} {'texts':>6} {'before':>7} {'after':>7} {'dropped':>8} {'new':>5}")
    for label, (texts, before, after, dropped, added) in rows:
        print(f"{label:<16} {texts:>6} {before:>7} {after:>7} {dropped:>8} {added:>5}")


if __name__ == "__main__":
    main()
