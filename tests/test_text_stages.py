"""Table-driven tests of the text stages, in markdown-it's fixture format (tests/fixtures/stages/).

Each file is a list of cases: a title line, `.`, the input, `.`, the expected output, `.`.
A maintainer who changes typography, segmentation, assembly, a glossary format, glossary
editing or edit attribution sees exactly which cases move. To update the expected output
after a deliberate change: `python tests/test_text_stages.py --update` (then review the diff).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it.utils import read_fixture_file

from workflow.document import assemble
from workflow.errors import WorkflowError
from workflow.glossary import edit, exchange
from workflow.glossary.terms import Entry, read_file
from workflow.review.edits import Unaligned, attribute
from workflow.store.memory import Record
from workflow.text import skeleton, typography
from workflow.text.code import CodeOptions
from workflow.text.diff import DELETE, INSERT, diff
from workflow.text.segment import code_keys, segment_body

STAGES = Path(__file__).resolve().parent / "fixtures" / "stages"
SPLIT = "\n====\n"  # separates the two inputs of a two-input case


def typography_case(text: str, tmp: Path) -> str:
    """Machine English in, English typography out (one case per line)."""
    return "".join(typography.english(line) + "\n" for line in text.splitlines())


def segmentation_case(text: str, tmp: Path) -> str:
    """A Markdown body in, its segments out: `line kind: source` (line breaks shown as ⏎)."""
    return "".join(f"{s.line} {s.kind}{' (one line)' if s.single_line else ''}: {s.source.replace(chr(10), '⏎')}\n"
                   for s in segment_body(text))


def assembly_case(text: str, tmp: Path) -> str:
    """A Chinese body in; each segment replaced by `T<n>` (one per line of it), segments starting 删 deleted."""
    segments = segment_body(text)
    texts = ["" if s.source.startswith("删") else
             "\n".join(f"T{i}" + (f".{k}" if k else "") for k in range(s.source.count("\n") + 1))
             for i, s in enumerate(segments)]
    return assemble.body(text, segments, texts)


def glossary_import_case(text: str, tmp: Path) -> str:
    """First line: the format; the rest: the file. Out: the entries as TSV, or the error."""
    fmt, _, content = text.partition("\n")
    path = tmp / f"import.{fmt}"
    path.write_bytes(content.encode("utf-8"))
    try:
        entries, untranslated = exchange.read_entries(path, path.name)
    except WorkflowError as exc:
        return f"error: {exc}\n"
    rows = "".join(f"{e.line}: " + "\t".join((e.zh, e.en, e.kind, e.case, e.note, e.source)) + "\n" for e in entries)
    return rows + f"untranslated: {untranslated}\n"


def glossary_export_case(text: str, tmp: Path) -> str:
    """First line: the format; the rest: entries as `zh<TAB>en<TAB>kind<TAB>case<TAB>note`. Out: the file."""
    fmt, _, rows = text.partition("\n")
    entries = [Entry(*(row.split("\t") + ["", "", ""])[:5]) for row in rows.splitlines() if row]
    return exchange.export(entries, fmt).decode("utf-8")


def glossary_edit_case(text: str, tmp: Path) -> str:
    """A glossary file, `====`, then `+ zh<TAB>en<TAB>kind` (add) or `- zh` (remove) per line. Out: the file."""
    table, _, commands = text.partition(SPLIT)
    folder = tmp / "glossary"
    folder.mkdir()
    path = folder / "openstack.tsv"
    path.write_bytes((table + "\n").encode("utf-8"))
    log = []
    for command in commands.splitlines():
        try:
            if command.startswith("+ "):
                edit.add(folder, path, Entry(*command[2:].split("\t")), tmp)
            elif command.startswith("- "):
                edit.remove(folder, command[2:], root=tmp)
        except WorkflowError as exc:
            log.append(f"error: {exc}\n")
    entries = len(read_file(path, path.name))
    return path.read_bytes().decode("utf-8") + "".join(log) + f"({entries} entries)\n"


def attribution_case(text: str, tmp: Path) -> str:
    """Recorded English paragraphs, `====`, the English body an editor left. Out: each record's new final."""
    recorded, _, edited = text.partition(SPLIT)  # paragraphs: separated by blank lines
    records = [Record(id=f"s{i}", kind="paragraph", line=1, source_hash="", source=f"中{i}", machine=p, final=p)
               for i, p in enumerate(recorded.split("\n\n"))]
    try:
        found = attribute(records, edited)
    except Unaligned as exc:
        return f"unaligned: {exc.message}\n"
    changed = "".join(f"s{i}: {final.replace(chr(10), '⏎') or '(deleted)'}\n" for i, final in sorted(found.finals.items()))
    return changed or "(no edits)\n"


def review_diff_case(text: str, tmp: Path) -> str:
    """Machine English, `====`, final English. Out: the diff review shows, [-deleted-]{+inserted+}."""
    machine, _, final = text.partition(SPLIT)
    marks = {DELETE: "[-{}-]", INSERT: "{{+{}+}}"}
    return "".join(marks.get(op, "{}").format(t) for op, t in diff(machine, final.removesuffix("\n"))) + "\n"


def code_case(text: str, tmp: Path) -> str:
    """A Chinese body (first line `code-strings`: strings too), optionally `====` and an English body.

    Out: the Chinese's segments; the body with each replaced by `T<n>` (the code around byte for
    byte); for an English body, its segments at the Chinese's keys and the skeleton check's verdict."""
    options = CodeOptions(strings=text.startswith("code-strings\n"))
    chinese, _, english = text.removeprefix("code-strings\n").partition(SPLIT)
    segments = segment_body(chinese, code=options)
    out = [f"{s.line} {s.kind}: {s.source}\n" for s in segments]
    assembled = assemble.body(chinese, segments, [f"T{i}" for i in range(len(segments))])
    out.append("----\n" + assembled + ("" if assembled.endswith("\n") else "\n"))
    if english:
        found = segment_body(english, code=options, keys=code_keys(chinese, options))
        out += ["----\n"] + [f"{s.line} {s.kind}: {s.source}\n" for s in found]
        out.append(f"skeleton: {skeleton.difference(chinese, english, options) or 'same'}\n")
    return "".join(out)


CASES: dict[str, Callable[[str, Path], str]] = {
    "typography.md": typography_case,
    "segmentation.md": segmentation_case,
    "assembly.md": assembly_case,
    "glossary_import.md": glossary_import_case,
    "glossary_export.md": glossary_export_case,
    "glossary_edit.md": glossary_edit_case,
    "review_attribution.md": attribution_case,
    "review_diff.md": review_diff_case,
    "code.md": code_case,
}
FIXTURES = [(name, *case) for name in CASES for case in read_fixture_file(STAGES / name)]


@pytest.mark.parametrize(("name", "line", "title", "text", "expected"), FIXTURES,
                         ids=[f"{name}:{line}:{title}" for name, line, title, _, _ in FIXTURES])
def test_stage(name: str, line: int, title: str, text: str, expected: str, tmp_path: Path) -> None:
    assert CASES[name](text, tmp_path) == expected


def _update() -> None:
    """Rewrite every expected output from the current code (review the diff before committing)."""
    import tempfile

    for name, run in CASES.items():
        out = []
        for _, title, text, _ in read_fixture_file(STAGES / name):
            with tempfile.TemporaryDirectory() as tmp:
                out.append(f"{title}\n.\n{text}.\n{run(text, Path(tmp))}.\n")
        (STAGES / name).write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__" and "--update" in sys.argv:
    _update()
