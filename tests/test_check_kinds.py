"""Each finding function of `workflow check`, on values built here: no files, no engine.

`report.kinds` returns findings; these tests hold each kind's path, line, severity and
wording, so a change to one kind shows here, case by case.
"""

from __future__ import annotations

import pytest

from workflow.report import kinds
from workflow.report.reader import Doc
from workflow.store.memory import EngineInfo, Memory, Record
from workflow.text.segment import Segment


def doc(*, data: bytes | None = b"x", out: bytes | None = b"y") -> Doc:
    return Doc(rel="a.md", source="source_zh/a.md", output="output_en/a.md", memory="output_en/.workflow/a.md.json",
               data=data, out_data=out, memory_path="/m/a.md.json")


def record(i: int, *, status: str = "machine", source: str = "中文", line: int = 1, **kw: object) -> Record:
    return Record(id=f"s{i}", kind="paragraph", line=line, source_hash="h", source=source, machine="m", final="m",
                  status=status, **kw)  # type: ignore[arg-type]


def memory(*records: Record) -> Memory:
    return Memory(source="source_zh/a.md", output="output_en/a.md", source_hash="h", output_hash="o",
                  segments=tuple(records))


@pytest.mark.parametrize(("english", "has_memory", "paths"), [
    (b"y", True, ["output_en/a.md", "output_en/.workflow/a.md.json"]),
    (b"y", False, ["output_en/a.md"]),
    (None, True, ["output_en/.workflow/a.md.json"]),
    (None, False, []),
])
def test_orphan_names_each_file_left_behind(english: bytes | None, has_memory: bool, paths: list[str]) -> None:
    found = kinds.orphan(doc(data=None, out=english), has_memory)
    assert [f.path for f in found] == paths and {f.kind for f in found} <= {"orphan"}
    assert all("source_zh/a.md" in f.detail and f.line == 1 for f in found)


@pytest.mark.parametrize(("english", "words"), [
    (None, "no English translation. Run `workflow translate source_zh/a.md`."),
    (b"y", "`workflow translate --force` to adopt the English"),
])
def test_missing_says_what_to_run(english: bytes | None, words: str) -> None:
    found = kinds.missing(doc(out=english))
    assert (found.path, found.line, found.kind, found.severity) == ("source_zh/a.md", 1, "missing", "error")
    assert words in found.detail


def test_english_deleted_unrecorded_edits_and_corrupt_memory() -> None:
    assert str(kinds.english_deleted(doc(out=None))) == (
        "source_zh/a.md:1: missing: the English file output_en/a.md was deleted. "
        "Run `workflow translate source_zh/a.md` to write it again.")
    assert str(kinds.unrecorded_edits(doc())) == (
        "output_en/a.md:1: unrecorded-edits: the English has edits that memory does not know. "
        "Run `workflow review output_en/a.md` to record them.")
    assert str(kinds.corrupt_memory(doc(), 0, "not JSON")) == "output_en/.workflow/a.md.json:1: corrupt-memory: not JSON"


@pytest.mark.parametrize(("rec", "words"), [
    (record(1, status="reviewed", reviewer="Ada"), "changed since it was reviewed: «中文». `workflow translate` flags it for review."),
    (record(1), "changed: «中文». Run `workflow translate` to re-translate it."),
])
def test_glossary_stale_words_an_editors_segment_differently(rec: Record, words: str) -> None:
    found = kinds.glossary_stale(doc(), rec, 7)
    assert (found.path, found.line, found.kind) == ("source_zh/a.md", 7, "glossary-stale")
    assert found.detail == "glossary entries for this paragraph " + words


def test_model_stale_is_one_finding_per_document_at_the_first_segment() -> None:
    info = EngineInfo("argos", model="zh_en", model_hash="new")
    old = [(record(1, engine="argos", model="zh_en", model_hash="old"), 4), (record(2, engine="copy"), 9)]
    found = kinds.model_stale(doc(), old, info)
    assert [(f.line, f.kind) for f in found] == [(4, "model-stale")]
    assert found[0].detail.startswith("2 machine-translated segment(s) come from argos zh_en (old), copy, "
                                      "not the configured argos zh_en (new).")
    assert kinds.model_stale(doc(), [], info) == []


@pytest.mark.parametrize(("statuses", "require", "expected"), [
    (["reviewed", "machine"], False, []),
    (["needs-review", "machine"], False, [("needs-review", 3, "warning")]),
    (["needs-review", "machine"], True, [("needs-review", 3, "error"), ("unreviewed", 5, "error")]),
    (["machine", "machine"], True, [("unreviewed", 3, "error")]),  # at the first machine segment
])
def test_review_findings(statuses: list[str], require: bool, expected: list[tuple[str, int, str]]) -> None:
    mem = memory(*(record(i, status=s, line=i * 10, reasons=("a reason",) if s == "needs-review" else ())
                   for i, s in enumerate(statuses)))
    lines = {"s0": 3, "s1": 5}  # the English lines, not the Chinese ones
    found = kinds.review(doc(), mem, lines, require)
    assert [(f.kind, f.line, f.severity) for f in found] == expected
    assert kinds.needs_review_lines(mem, require) == bool(expected)
    assert all(f.path == "output_en/a.md" for f in found)


@pytest.mark.parametrize(("relation", "start"), [("changed", "paragraph changed since it was translated: "),
                                                 ("new", "new paragraph: ")])
def test_changed_and_new_segments(relation: str, start: str) -> None:
    segment = Segment(kind="paragraph", source="一" * 40, pieces=(), line=2, single_line=True)
    found = kinds.changed_segment(doc(), segment, 12, relation)
    assert (found.line, found.kind) == (12, "stale")
    assert found.detail == start + "«" + "一" * 30 + "…». Run `workflow translate`."


def test_removed_segment_names_its_old_line() -> None:
    found = kinds.removed_segment(doc(), record(1, line=8, source="旧段落"), 3)
    assert found.line == 3 and "(was line 8): «旧段落»" in found.detail


def test_unreadable_source_and_changes_outside_the_text() -> None:
    assert kinds.unreadable_source(doc(), 4, "bad YAML").detail.endswith("cannot be read: bad YAML")
    assert kinds.changed_outside_text(doc()).line == 1


@pytest.mark.parametrize(("kind", "shown"), [("meta:title", "front-matter title"), ("heading-2", "heading"),
                                             ("list-item", "list item"), ("paragraph", "paragraph")])
def test_what_a_segment_is_called(kind: str, shown: str) -> None:
    assert kinds.what(kind) == shown


def test_every_kind_has_a_place_in_the_summary_order() -> None:
    produced = {"missing", "stale", "glossary-stale", "model-stale", "unrecorded-edits", "unreviewed", "needs-review",
                "lost-english", "orphan", "corrupt-memory"}
    assert set(kinds.FINDING_KINDS) == produced


def test_lost_english_names_the_line_the_text_and_the_decision_commands() -> None:
    lost = record(1, status="reviewed", source="被删除的段落", line=9, reviewer="Ada")
    lost = Record(**{**lost.__dict__, "final": "A paragraph an editor wrote with care."})
    found = kinds.lost_english(doc(), lost)
    assert (found.path, found.line, found.kind, found.severity) == ("source_zh/a.md", 9, "lost-english", "error")
    assert "«A paragraph an editor wrote wi…»" in found.detail and "«被删除的段落»" in found.detail
    assert f"workflow memory restore source_zh/a.md {lost.key}" in found.detail
    assert f"workflow memory dismiss source_zh/a.md {lost.key}" in found.detail
