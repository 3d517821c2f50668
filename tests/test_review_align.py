"""Alignment of an edited English body with the recorded segments, and structural edits in containers."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cli_runner
from review_support import configure

from workflow.review.edits import Unaligned, attribute, coverage, split_final
from workflow.store.memory import Record
from workflow.store.memory import load as load_memory

P = [
    "OpenStack Summit opened in Berlin with nearly 3000 attendees and over 200 sessions on containers.",
    "The schedule was packed and we learned a lot from the sessions we attended over the three days.",
    "The community is growing beyond a single cloud platform into the whole infrastructure layer.",
    "StarlingX was released at the end of October and drew wide attention from the telecom industry.",
    "Kata Containers runs containers in lightweight virtual machines for better isolation and security.",
]
NEW = "An entirely new paragraph written by the editor here."


def records(finals: list[str] | None = None) -> list[Record]:
    return [Record(id=f"s{i}", kind="paragraph", line=2 * i + 1, source_hash="", source=f"第{i}段", machine=m,
                   final=f) for i, (m, f) in enumerate(zip(P, finals or P))]


def owners(paragraphs: list[str], recs: list[Record] | None = None) -> tuple[tuple[int, ...], dict[int, str]]:
    found = attribute(recs or records(), "\n\n".join(paragraphs) + "\n")
    return found.owners, found.finals


def test_unchanged_and_in_place_edits_pair_one_to_one() -> None:
    assert owners(P) == ((0, 1, 2, 3, 4), {})
    edited = [P[0], P[1].replace("a lot", "plenty"), "Rewritten from scratch.", P[3], P[4]]
    assert owners(edited) == ((0, 1, 2, 3, 4), {1: edited[1], 2: "Rewritten from scratch."})


def test_a_split_keeps_both_halves_in_one_record_joined_as_written() -> None:
    assert owners([P[0], P[1][:40], P[1][41:], *P[2:]]) == ((0, 1, 1, 2, 3, 4), {1: P[1][:40] + "\n\n" + P[1][41:]})


def test_a_merge_goes_to_the_record_that_covers_more_and_empties_the_other() -> None:
    merged = P[1] + " " + P[2]
    found, finals = owners([P[0], merged, P[3], P[4]])
    assert found == (0, 1, 3, 4) and finals == {1: merged, 2: ""}


def test_deletions_and_additions() -> None:
    assert owners([P[0], *P[2:]]) == ((0, 2, 3, 4), {1: ""})
    assert owners([P[0], P[1], NEW, *P[2:]]) == ((0, 1, 1, 2, 3, 4), {1: P[1] + "\n\n" + NEW})
    edited = [P[0], P[2].replace("growing", "big"), NEW, P[3], P[4]]
    assert owners(edited) == ((0, 2, 2, 3, 4), {1: "", 2: edited[1] + "\n\n" + NEW})


def test_a_recorded_split_aligns_with_its_two_paragraphs() -> None:
    recs = records([P[0], "First half.\n\nSecond half.", *P[2:]])
    assert owners([P[0], "First half.", "Second half, edited.", *P[2:]], recs) == (
        (0, 1, 1, 2, 3, 4), {1: "First half.\n\nSecond half, edited."})


def test_text_written_where_a_deleted_record_was_is_not_taken_for_its_translation() -> None:
    """Issue 11: a note typed where a deleted paragraph had been became that paragraph's English, silently."""
    recs = records([P[0], "", *P[2:]])
    with pytest.raises(Unaligned) as caught:
        owners([P[0], NEW, *P[2:]], recs)
    assert "stands where the deleted segment of Chinese line 3 was" in caught.value.message
    assert "write it as a quote" in caught.value.message
    restored = P[1].replace("a lot", "plenty")  # its machine English pasted back, then edited: it is back
    assert owners([P[0], restored, *P[2:]], recs) == ((0, 1, 2, 3, 4), {1: restored})
    note = "> Translator's note: the schedule is not in the Chinese."  # a quote: an addition to its neighbour
    assert owners([P[0], note, *P[2:]], recs) == ((0, 0, 2, 3, 4), {0: P[0] + "\n\n" + note})


@pytest.mark.parametrize("paragraphs, message", [
    ([P[0], P[2], P[1], P[3], P[4]], "this paragraph looks moved"),
    ([P[0], "Different words entirely, one and two.", P[3], P[4]], "no longer resembles the recorded segments"),
])
def test_uncertain_edits_are_refused(paragraphs: list[str], message: str) -> None:
    with pytest.raises(Unaligned) as caught:
        owners(paragraphs)
    assert message in caught.value.message and caught.value.segment is not None


def test_coverage_counts_runs_of_words() -> None:
    assert coverage(P[1], P[1]) == 1.0
    assert coverage(P[1], "the and of") == 0.0  # scattered common words are no evidence
    assert coverage("", "") == 0.0


def test_split_final_reads_headings_as_one_line() -> None:
    assert split_final("heading-3", "1. OpenStack") == [("heading-3", "1. OpenStack")]
    assert split_final("list-item", "A\n\nB") == [("list-item", "A"), ("list-item", "B")]
    assert split_final("paragraph", "") == []


# -- structural edits inside containers, end to end --------------------------------------------

CONTAINERS = """\
# 标题

- 第一项内容
- 第二项内容

> 引用的第一段。

| 列一 | 列二 |
| --- | --- |
| 甲 | 乙 |

最后一段。
"""


@pytest.fixture
def doc(empty_project: Path) -> Path:
    configure(empty_project)
    (empty_project / "source_zh" / "c.md").write_text(CONTAINERS, encoding="utf-8")
    assert cli_runner(empty_project)("translate").exit_code == 0
    return empty_project / "output_en" / "c.md"


def review_body(doc: Path, old: str, new: str) -> tuple[int, str, dict[str, str]]:
    text = doc.read_text(encoding="utf-8")
    assert old in text
    doc.write_text(text.replace(old, new), encoding="utf-8")
    root = doc.parent.parent
    result = cli_runner(root)("review")
    mem = load_memory(root / "output_en" / ".workflow" / "c.md.json", "c")
    assert mem is not None
    return result.exit_code, result.output, {r.source: r.final for r in mem.segments}


def test_a_list_item_split_in_two_paragraphs(doc: Path) -> None:
    code, output, finals = review_body(doc, "- 第一项内容\n", "- The first item.\n\n  More on it.\n")
    assert code == 0, output
    assert finals["第一项内容"] == "The first item.\n\nMore on it."
    assert "- The first item.\n\n  More on it.\n- 第二项内容" in doc.read_text(encoding="utf-8")


def test_a_deleted_list_item_and_quote(doc: Path) -> None:
    code, output, finals = review_body(doc, "- 第二项内容\n", "")
    assert code == 0, output
    assert finals["第二项内容"] == ""
    code, output, finals = review_body(doc, "> 引用的第一段。\n\n", "")
    assert code == 0, output
    assert finals["引用的第一段。"] == "" and ">" not in doc.read_text(encoding="utf-8").split("---\n", 2)[2]


def test_an_emptied_table_cell(doc: Path) -> None:
    code, output, finals = review_body(doc, "| 甲 | 乙 |", "|  | 乙 |")
    assert code == 0, output
    assert (finals["甲"], finals["乙"]) == ("", "乙")


def test_a_new_list_item_is_recorded_after_its_neighbour(doc: Path) -> None:
    """Issue 11 changed this (it was refused): the item is the `after` of the item before it."""
    code, output, finals = review_body(doc, "- 第二项内容\n", "- 第二项内容\n- A third item.\n")
    assert code == 0, output
    assert "added (list-item" in output
    mem = load_memory(doc.parent / ".workflow" / "c.md.json", "c")
    assert mem is not None
    assert {r.source: r.after for r in mem.segments}["第二项内容"] == "- A third item."
    assert finals["第二项内容"] == "第二项内容"


def test_a_new_first_list_item_cannot_be_recorded(doc: Path) -> None:
    code, output, _ = review_body(doc, "- 第一项内容\n", "- A new first item.\n- 第一项内容\n")
    assert code == 1
    assert "refused: output_en/c.md:" in output and "Nothing was recorded for this file." in output
    assert "before the list's first item" in output


def test_a_rewrite_plus_deletions_is_refused_not_guessed() -> None:
    """Hand translation over a copy draft: the machine text is Chinese, so the English barely resembles it.

    Deleting a paragraph in the same step leaves no way to tell which English belongs where; a
    few shared Latin words must not be taken for evidence. In two steps it is certain.
    """
    chinese = ["OpenStack柏林峰会开幕，近3000人参加。", "加入收藏", "社区在发展，OpenStack不再只是云平台。",
               "StarlingX在10月底发布。", "Kata Containers runs containers in lightweight virtual machines。"]
    recs = [Record(id=f"s{i}", kind="paragraph", line=2 * i + 1, source_hash="", source=c, machine=c, final=c)
            for i, c in enumerate(chinese)]
    with pytest.raises(Unaligned) as caught:
        owners([P[0], P[2], P[3], P[4]], recs)  # the second paragraph deleted, every other one translated
    assert "cannot tell a rewrite from a deletion plus an addition" in caught.value.message
    deleted = [chinese[0], *chinese[2:]]
    assert owners(deleted, recs) == ((0, 2, 3, 4), {1: ""})  # step 1: delete, review
    recs[1] = Record(id="s1", kind="paragraph", line=3, source_hash="", source=chinese[1], machine=chinese[1], final="")
    assert owners([P[0], P[2], P[3], P[4]], recs)[0] == (0, 2, 3, 4)  # step 2: rewrite in place
