"""`workflow review` as an editor runs it: recording edits, structural edits, refusals, approval, json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from click.testing import Result
from conftest import cli_runner
from review_support import (
    BERLIN,
    BOSTON,
    NOW,
    SCHEDULE,
    body,
    configure,
    english_path,
    front,
    memory,
    paragraph,
    read,
    record,
    replace,
    write,
)

from workflow.review.run import review
from workflow.text.diff import apply_patch

Run = Callable[..., Result]
OUT = f"output_en/{BERLIN}"


@pytest.fixture
def site(project: Path) -> Path:
    """The five articles translated with the copy engine; the reviewer is Ada."""
    configure(project)
    assert cli_runner(project)("translate").exit_code == 0
    return project


@pytest.fixture
def run(site: Path) -> Run:
    return cli_runner(site)


def test_nothing_edited_records_nothing_and_writes_nothing(site: Path, run: Run) -> None:
    before = {p: p.stat().st_mtime_ns for p in (site / "output_en").rglob("*") if p.is_file()}
    result = run("review")
    assert result.exit_code == 0
    assert result.output.endswith("5 documents: 5 unchanged.\n")
    assert {p: p.stat().st_mtime_ns for p in (site / "output_en").rglob("*") if p.is_file()} == before


def test_an_edit_is_recorded_as_a_patch_with_reviewer_and_time(site: Path, run: Run) -> None:
    reviewed_before = memory(site).counts()["reviewed"]
    replace(site, SCHEDULE, "The schedule was packed; we learned a lot.")
    result = run("review", OUT)
    assert result.exit_code == 0, result.output
    total = memory(site).counts()["total"]
    assert result.output.splitlines()[0] == (
        f"  recorded  {OUT}  (1 edited, 0 approved; {reviewed_before + 1}/{total} reviewed)")
    line = read(site).split("\n").index("The schedule was packed; we learned a lot.") + 1
    assert result.output.splitlines()[1] == f"            line {line}: edited (paragraph, {rec_id(site)})"
    assert result.output.endswith("1 documents: 1 recorded. Reviewer: Ada.\n")
    rec = record(site, SCHEDULE)
    assert (rec.final, rec.status, rec.reviewer) == ("The schedule was packed; we learned a lot.", "reviewed", "Ada")
    assert rec.machine == SCHEDULE and apply_patch(rec.patch, rec.machine) == rec.final
    assert rec.reviewed_at.endswith("+00:00")
    provenance = front(site)["translation"]
    assert isinstance(provenance, dict) and provenance["reviewed"] == f"{reviewed_before + 1}/{total}"
    assert "The schedule was packed; we learned a lot." in read(site)
    second = cli_runner(site)("translate")
    assert second.exit_code == 0 and "5 documents: 5 unchanged." in second.output


def rec_id(site: Path) -> str:
    return record(site, SCHEDULE).id


def test_review_takes_chinese_paths_folders_and_records_each_file_once(site: Path, run: Run) -> None:
    replace(site, SCHEDULE, "The schedule was packed.")
    result = run("review", f"source_zh/{BERLIN}", "output_en", "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["exit_code"] == 0 and data["reviewer"] == "Ada"
    states = {d["source"]: (d["state"], d["edited"]) for d in data["documents"]}
    assert len(states) == 5 and states[f"source_zh/{BERLIN}"] == ("recorded", 1)
    assert [c["action"] for d in data["documents"] for c in d["changes"]] == ["edited"]


def test_front_matter_values_are_recorded(site: Path, run: Run) -> None:
    replace(site, "title: OpenStack Boston Summit直击", "title: 'OpenStack Boston Summit: live report'", BOSTON)
    result = run("review", f"output_en/{BOSTON}")
    assert result.exit_code == 0, result.output
    assert record(site, "OpenStack Boston Summit直击", BOSTON).final == "OpenStack Boston Summit: live report"
    assert front(site, BOSTON)["title"] == "OpenStack Boston Summit: live report"


def test_reviewer_flag_beats_config_beats_git(site: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    replace(site, SCHEDULE, "One.")
    assert run("review", "--reviewer", "Grace").exit_code == 0
    assert record(site, SCHEDULE).reviewer == "Grace"
    configure(site, reviewer="")
    monkeypatch.setattr("workflow.review.results.git_user", lambda root: "Linus")
    replace(site, "One.", "Two.")
    assert run("review").exit_code == 0
    assert record(site, SCHEDULE).reviewer == "Linus"
    monkeypatch.setattr("workflow.review.results.git_user", lambda root: "")
    edited = replace(site, "Two.", "Three.")
    result = run("review")
    assert result.exit_code == 2
    assert ("\nerror: no reviewer name. Pass --reviewer NAME, set `reviewer` in [tool.workflow], "
            "or run `git config user.name NAME`.\n5 documents: 1 error, 4 unchanged.\n") in result.output
    assert read(site) == edited and record(site, SCHEDULE).final == "Two."


def test_approve_accepts_machine_segments_of_the_given_files_only(site: Path, run: Run) -> None:
    result = run("review", "--approve", OUT)
    assert result.exit_code == 0
    counts = memory(site).counts()
    assert counts["reviewed"] == counts["total"] and counts["machine"] == 0
    assert f"  approved  {OUT}  (0 edited, " in result.output
    assert memory(site, BOSTON).counts()["machine"] > 0
    assert front(site)["translation"]["reviewed"] == f"{counts['total']}/{counts['total']}"  # type: ignore[index]


def test_approve_leaves_needs_review_segments_for_a_person(site: Path, run: Run) -> None:
    replace(site, SCHEDULE, "The schedule was packed.")
    run("review")
    source = site / "source_zh" / BERLIN
    source.write_text(source.read_text(encoding="utf-8").replace(SCHEDULE, SCHEDULE + "我们很开心。"), encoding="utf-8")
    assert cli_runner(site)("translate").exit_code == 0
    assert record(site, "我们很开心").status == "needs-review"
    run("review", "--approve")
    assert record(site, "我们很开心").status == "needs-review"


# -- structural edits: recorded, and kept by later translate runs --------------------------------


NOTE = "An editor's note on the community."
AMBITION = "参与完整届峰会后"


def structural_edits(site: Path) -> str:
    text = read(site)
    first = paragraph(text, "柏林时间2018年")
    ambition = paragraph(text, AMBITION)
    text = text.replace(SCHEDULE + "\n\n", "")  # deleted
    text = text.replace(first, "Berlin, 15 November 2018: the summit closed.\n\nNearly 3000 people came.")  # split
    text = text.replace("## 一、社区在发展\n", "## The community grows\n")  # edited
    text = text.replace(ambition, ambition + "\n\n" + NOTE)  # added
    write(site, text)
    return text


def test_split_added_and_deleted_paragraphs_are_recorded_and_survive_translate(site: Path, run: Run) -> None:
    edited = structural_edits(site)
    result = run("review")
    assert result.exit_code == 0, result.output
    assert "(4 edited, 0 approved;" in result.output
    assert body(site) == edited.split("---\n", 2)[2]
    assert record(site, SCHEDULE).final == ""
    assert record(site, "柏林时间2018年").final == "Berlin, 15 November 2018: the summit closed.\n\nNearly 3000 people came."
    assert record(site, "一、社区在发展").final == "The community grows"
    assert record(site, AMBITION).final.endswith("\n\n" + NOTE)
    text = read(site)
    source = site / "source_zh" / BERLIN
    changed = source.read_text(encoding="utf-8").replace("### 2. NFV & 5G & 边缘计算", "### 2. NFV、5G与边缘计算")
    source.write_text(changed, encoding="utf-8")
    again = cli_runner(site)("translate")
    assert again.exit_code == 0, again.output
    after = read(site)
    assert after.replace("NFV、5G与边缘计算", "NFV & 5G & 边缘计算").split("---\n", 2)[2] == text.split("---\n", 2)[2]
    assert SCHEDULE not in after


def test_an_addition_between_two_headings_has_nothing_to_attach_to(site: Path, run: Run) -> None:
    replace(site, "## 一、社区在发展\n", "## 一、社区在发展\n\n" + NOTE + "\n")
    refused(site, run, f"refused: {OUT}:20: this added text has no neighbouring paragraph of the same kind to attach "
                       "to; add it to the Chinese source instead. Nothing was recorded for this file.")


def test_edits_too_close_to_tell_apart_are_refused(site: Path, run: Run) -> None:
    replace(site, SCHEDULE + "\n\n## 一、社区在发展\n", "## The community grows\n\n" + NOTE + "\n")
    refused(site, run, f"refused: {OUT}:16: the English here no longer resembles the recorded segments; cannot tell "
                       "which paragraph is which. Review in smaller steps. Nothing was recorded for this file.")


def test_a_merge_of_two_paragraphs_is_recorded(site: Path, run: Run) -> None:
    configure(site, engine="pseudo")
    assert cli_runner(site)("translate").exit_code == 0
    lines = read(site).split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("## ") and i > 60)
    first, second = heading + 2, heading + 4
    merged = lines[first] + " " + lines[second]
    write(site, "\n".join([*lines[:first], merged, *lines[second + 1:]]))
    result = run("review")
    assert result.exit_code == 0, result.output
    mem = memory(site)
    assert merged in [r.final for r in mem.segments]
    assert sum(1 for r in mem.segments if r.final == "" and r.status == "reviewed") == 1
    assert cli_runner(site)("translate").exit_code == 0 and merged in read(site)


# -- refusals: nothing recorded, nothing written --------------------------------------------------


def refused(site: Path, run: Run, expected: str) -> None:
    edited = read(site)
    before = (site / "output_en" / ".workflow" / (BERLIN + ".json")).read_bytes()
    result = run("review")
    assert result.exit_code == 1, result.output
    assert expected in result.output, result.output
    assert "Nothing was recorded for this file." in result.output
    assert read(site) == edited
    assert (site / "output_en" / ".workflow" / (BERLIN + ".json")).read_bytes() == before
    blocked = cli_runner(site)("translate")
    assert blocked.exit_code == 1 and read(site) == edited


def test_moved_paragraphs_are_refused(site: Path, run: Run) -> None:
    configure(site, engine="pseudo")
    cli_runner(site)("translate")
    text = read(site)
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("## ") and i > 60)
    a, b = start + 2, start + 4
    lines[a], lines[b] = lines[b], lines[a]
    write(site, "\n".join(lines))
    refused(site, run, f"refused: {OUT}:{a + 1}: this paragraph looks moved")


def test_an_edit_outside_the_translatable_text_is_refused(site: Path, run: Run) -> None:
    replace(site, "![](images/berlin_01.jpg)\n", "![](images/berlin_01.jpg)\n\n```\ncode the editor added\n```\n")
    refused(site, run, f"refused: {OUT}:")


def test_a_changed_image_target_is_an_edit_of_its_segment(site: Path, run: Run) -> None:
    replace(site, "![](images/berlin_01.jpg)", "![Berlin](images/berlin_01.jpg)")
    assert run("review").exit_code == 0
    assert record(site, "berlin_01").final == "![Berlin](images/berlin_01.jpg)"


def test_a_changed_front_matter_key_that_is_not_translated_is_refused(site: Path) -> None:
    replace(site, "layout: post", "layout: page", BOSTON)
    result = cli_runner(site)("review", f"output_en/{BOSTON}")
    assert result.exit_code == 1
    assert result.output == (
        f"refused: output_en/{BOSTON}:1: front matter: `layout` differ from what the Chinese front matter gives. "
        "The English front matter follows the Chinese except for translated values; make this change in the "
        "Chinese source, or undo it. Nothing was recorded for this file. To start again from memory (your file "
        f"is kept next to the memory): `workflow review --set-aside output_en/{BOSTON}`, then redo the edit in "
        "smaller steps.\n1 documents: 1 refused.\n")


def test_a_removed_translated_key_is_refused(site: Path) -> None:
    replace(site, "title: OpenStack Boston Summit直击\n", "", BOSTON)
    result = cli_runner(site)("review", f"output_en/{BOSTON}")
    assert result.exit_code == 1
    assert "front-matter key `title` was removed; it holds the English of the Chinese `title`." in result.output


def test_files_without_memory_or_english(site: Path, run: Run) -> None:
    english_path(site).unlink()
    result = run("review", OUT)
    assert result.exit_code == 1
    assert f"refused: {OUT}: is missing: `workflow translate` writes it again from memory." in result.output
    (site / "source_zh" / "new.md").write_text("# 新文章\n", encoding="utf-8")
    assert "new.md" not in run("review").output  # not translated yet: nothing to review
    named = run("review", "source_zh/new.md")
    assert named.exit_code == 1 and "refused: output_en/new.md: has no memory yet: run `workflow translate` first." in named.output
    (site / "output_en" / "new.md").write_text("# A new article\n", encoding="utf-8")  # translated by hand
    result = run("review")
    assert result.exit_code == 1
    assert ("refused: output_en/new.md: has no memory yet: run `workflow translate --force` to keep its text as the "
            "editor's version.") in result.output


def test_library_takes_a_fixed_time(site: Path) -> None:
    replace(site, SCHEDULE, "Packed.")
    report = review(configure(site), [english_path(site)], reviewer="Ada", now=NOW)
    assert report.exit_code == 0 and record(site, SCHEDULE).reviewed_at == NOW
