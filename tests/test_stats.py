"""`workflow stats`: progress, edit rates per document and engine, and the editors' replacements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli_runner
from review_support import BERLIN, configure, read, write

from workflow.report.stats import Replacement, Tally, replacements
from workflow.report.stats import stats as compute
from workflow.store.memory import Record


@pytest.fixture
def site(project: Path) -> Path:
    configure(project, engine="pseudo")
    run = cli_runner(project)
    assert run("translate").exit_code == 0
    lines = read(project).split("\n")
    edited = 0
    for k, line in enumerate(lines):
        if " session " in line and edited < 3 and not line.startswith(("#", "title")):
            lines[k] = line.replace(" session ", " talk ", 1)
            edited += 1
    assert edited == 3
    write(project, "\n".join(lines))
    assert run("review").exit_code == 0
    return project


def test_stats_counts_progress_edits_and_replacements(site: Path) -> None:
    result = compute(configure(site, engine="pseudo"))
    berlin = result.documents[f"source_zh/{BERLIN}"]
    assert berlin.edited == 3 and berlin.reviewed == 3
    assert 0 < berlin.edit_rate < 0.05
    assert result.overall.edited == 3 and result.overall.segments == sum(t.segments for t in result.documents.values())
    assert set(result.engines) == {"pseudo"}
    assert result.replacements == [Replacement("session", "talk", 3, "议题")]
    assert result.replacements[0].hint == "workflow glossary add 议题 talk"


def test_stats_text(site: Path) -> None:
    result = cli_runner(site)("stats")
    assert result.exit_code == 0
    lines = result.output.split("\n")
    assert lines[0] == "documents"
    row = next(line for line in lines if line.startswith(f"source_zh/{BERLIN}"))
    b = compute(configure(site, engine="pseudo")).documents[f"source_zh/{BERLIN}"]
    assert row.split() == [f"source_zh/{BERLIN}", str(b.segments), f"{b.reviewed_pct:.1f}%", f"{b.edited_pct:.1f}%",
                           f"{b.edit_rate:.3f}"]
    assert any(line.startswith("overall ") for line in lines)
    assert "  'session' → 'talk', seen 3 times:  workflow glossary add 议题 talk" in lines


def test_stats_json_and_minimum(site: Path) -> None:
    data = json.loads(cli_runner(site)("stats", "--format", "json", "--min", "4").output)
    assert data["replacements"] == []
    assert data["overall"]["edited"] == 3 and set(data["engines"]) == {"pseudo"}
    assert set(data["overall"]) == {"segments", "reviewed", "edited", "reviewed_pct", "edited_pct", "edit_rate"}


def test_stats_before_any_translation(empty_project: Path) -> None:
    result = cli_runner(empty_project)("stats")
    assert result.exit_code == 0 and result.output == "no translations yet: run `workflow translate`.\n"


def test_replacements_are_widened_to_whole_words() -> None:
    ops = [(0, "We deploy on bare"), (-1, "-"), (1, " "), (0, "metal servers.")]
    assert list(replacements(ops)) == [("bare-metal", "bare metal")]
    assert list(replacements([(0, "a "), (-1, "launch"), (1, "boot"), (0, " an instance")])) == [("launch", "boot")]
    long = [(-1, "one two three four five six"), (1, "six five four three two one")]
    assert list(replacements(long)) == []


def test_edit_rate_is_distance_over_the_longer_text() -> None:
    tally = Tally()
    assert tally.edit_rate == 0.0 and tally.reviewed_pct == 0.0
    record = Record(id="s", kind="paragraph", line=1, source_hash="", source="中", machine="abcd", final="abxde",
                    status="reviewed", engine="pseudo")
    tally.add(record, 2)
    assert (tally.edit_rate, tally.reviewed_pct, tally.edited_pct) == (0.4, 100.0, 100.0)
