"""`review --show`, `--html` (parsed, and screenshot in headless Chromium when installed) and `--interactive`."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner, Result
from conftest import cli_runner
from review_support import BERLIN, SCHEDULE, configure, memory, read, record, replace

from workflow.cli import cli

Run = Callable[..., Result]
OUT = f"output_en/{BERLIN}"
EDIT = "The schedule was <b>packed</b> & we learned a lot."


@pytest.fixture
def site(project: Path) -> Path:
    configure(project)
    run = cli_runner(project)
    assert run("translate").exit_code == 0
    replace(project, SCHEDULE, EDIT)
    assert run("review").exit_code == 0
    return project


def test_show_marks_the_diff_in_words_without_colour(site: Path) -> None:
    before = read(site)
    result = cli_runner(site)("review", "--show", OUT, env={"NO_COLOR": "1"})
    assert result.exit_code == 0
    assert "\x1b[" not in result.output
    assert f"    machine: [-{SCHEDULE}-]\n    final:   {{+{EDIT}+}}\n" in result.output
    assert f"{BERLIN}  (" in result.output and "to look at)" in result.output
    assert read(site) == before


def test_show_colours_the_diff(site: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(site), "review", "--show", OUT], color=True)
    assert result.exit_code == 0
    assert "\x1b[31m\x1b[9m" + SCHEDULE in result.output  # red, struck through
    assert "\x1b[32m\x1b[4m" + EDIT in result.output  # green, underlined


def test_show_json_and_the_glossary_hints(site: Path) -> None:
    result = cli_runner(site)("review", "--show", "--format", "json", OUT)
    data = json.loads(result.output)
    segments = {s["id"]: s for s in data[0]["segments"]}
    edited = segments[record(site, SCHEDULE).id]
    assert (edited["final"], edited["status"]) == (EDIT, "reviewed")
    assert ["议题", "session"] in [list(h) for s in segments.values() for h in s["hints"]]


def test_show_warns_about_unrecorded_edits(site: Path) -> None:
    replace(site, EDIT, "Unrecorded.")
    result = cli_runner(site)("review", "--show", OUT)
    assert result.exit_code == 0
    assert f"warning: {OUT} has edits that are not recorded yet; run `workflow review {OUT}`." in result.output


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.inside: list[str] = []
        self.inserted: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        self.inside.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.inside and self.inside[-1] == tag:
            self.inside.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "ins" in self.inside:
            self.inserted.append(data)


def test_html_report_is_self_contained_escaped_and_side_by_side(site: Path) -> None:
    report = site / "review.html"
    result = cli_runner(site)("review", "--html", "review.html")
    assert result.exit_code == 0 and result.output == "wrote review.html\n"
    html = report.read_text(encoding="utf-8")
    parser = Collector()
    parser.feed(html)
    assert parser.tags.count("table") == 5 and "script" not in parser.tags and "link" not in parser.tags
    assert "b" not in parser.tags  # the editor's <b> is text, not markup
    assert EDIT in "".join(parser.inserted)
    assert all("http" not in (value or "") for _, value in parser.attrs)
    assert {"Chinese", "Machine English", "Final English"} <= set(parser.text)
    assert SCHEDULE in "".join(parser.text)
    assert not list(site.glob(".review.html.*"))  # written atomically, no temporary left


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_html_report_renders_in_headless_chromium(site: Path, tmp_path: Path) -> None:
    assert cli_runner(site)("review", "--html", "review.html").exit_code == 0
    shot = tmp_path / "review.png"
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,2000", f"--screenshot={shot}",
         (site / "review.html").as_uri()],
        capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page with content, not a blank image


def test_interactive_accepts_edits_skips_and_quits_saving_after_each(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pending = [r for r in memory(site, "2015-10-27-openstack-tokyo-summit-day-1.md").segments if r.status != "reviewed"]
    first, second, third = pending[:3]
    seen: list[str] = []

    def edit(text: str, **kwargs: object) -> str:
        saved = {r.id: r for r in memory(site, "2015-10-27-openstack-tokyo-summit-day-1.md").segments}
        seen.append(saved[first.id].status)  # the first decision is on disk before the second is made
        return "An editor's English.\n"

    monkeypatch.setattr("click.edit", edit)
    result = cli_runner(site)("review", "--interactive", "output_en/2015-10-27-openstack-tokyo-summit-day-1.md",
                              input="a\ne\ns\nq\n")
    assert result.exit_code == 0, result.output
    assert seen == ["reviewed"]
    saved = {r.id: r for r in memory(site, "2015-10-27-openstack-tokyo-summit-day-1.md").segments}
    assert (saved[first.id].status, saved[first.id].final, saved[first.id].reviewer) == ("reviewed", first.final, "Ada")
    assert (saved[second.id].status, saved[second.id].final) == ("reviewed", "An editor's English.")
    assert saved[third.id].status == third.status
    assert "An editor's English." in read(site, "2015-10-27-openstack-tokyo-summit-day-1.md")
    assert f"2 segments reviewed, {len(pending) - 2} left." in result.output
    assert "  zh:      " + first.source in result.output


def test_interactive_cannot_be_combined_with_show(site: Path) -> None:
    result = cli_runner(site)("review", "--interactive", "--show")
    assert result.exit_code == 2
    assert "--interactive cannot be combined with --show, --html or --format json." in result.output


def test_interactive_is_one_key_with_the_chinese_as_comments_and_all_on_request(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "2015-10-27-openstack-tokyo-summit-day-1.md"
    pending = [r for r in memory(site, name).segments if r.status != "reviewed" and r.kind == "paragraph"]
    buffers: list[str] = []

    def edit(text: str, **kwargs: object) -> str:
        buffers.append(text)
        return text.replace(text.split("\n", 1)[0], "Edited in the editor.", 1)  # the comments come back too

    monkeypatch.setattr("click.edit", edit)
    keys = iter("xe")  # an unknown key is ignored; no Enter anywhere; then the input ends: quit
    monkeypatch.setattr("click.getchar", lambda echo=False: next(keys, ""))
    first = [r for r in memory(site, name).segments if r.status != "reviewed"][0]
    result = cli_runner(site)("review", "--interactive", f"output_en/{name}")
    assert result.exit_code == 0, result.output
    assert "#| Lines starting with #| are removed." in buffers[0] and f"#|   {first.source}" in buffers[0]
    saved = {r.id: r for r in memory(site, name).segments}
    assert saved[first.id].final == "Edited in the editor." and saved[first.id].status == "reviewed"
    assert "1 segments reviewed" in result.output and pending
    keys = iter("s")
    everything = cli_runner(site)("review", "--interactive", "--all", f"output_en/{name}")
    assert f"[1/{len(memory(site, name).segments)}]" in everything.output  # reviewed segments too


def test_interactive_offers_the_fuzzy_matches_of_the_translation_memory(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "2015-10-27-openstack-tokyo-summit-day-1.md"
    monkeypatch.setattr("workflow.review.views.fuzzy", lambda record: (
        {"score": 87, "source": "相似的中文", "target": "A match from memory.", "origin": "tm", "status": "reviewed"},))
    keys = iter("1")
    monkeypatch.setattr("click.getchar", lambda echo=False: next(keys, ""))
    first = [r for r in memory(site, name).segments if r.status != "reviewed"][0]
    result = cli_runner(site)("review", "--interactive", f"output_en/{name}")
    assert result.exit_code == 0, result.output
    assert "1: take the tm 87% match: A match from memory." in result.output and "[1-1] take a match" in result.output
    saved = {r.id: r for r in memory(site, name).segments}
    assert (saved[first.id].final, saved[first.id].status) == ("A match from memory.", "reviewed")


def test_interactive_refuses_an_edit_that_makes_a_heading_or_a_list_and_asks_again(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "2015-10-27-openstack-tokyo-summit-day-1.md"
    answers = iter(["An editor's English.\n\n## A heading of its own\n", "- now a list\n", "An editor's English.\n"])
    monkeypatch.setattr("click.edit", lambda text, **kwargs: next(answers))
    keys = iter("eee")
    monkeypatch.setattr("click.getchar", lambda echo=False: next(keys, ""))
    pending = [r for r in memory(site, name).segments if r.status != "reviewed"]
    assert pending[0].kind == "paragraph"  # the segment the walk starts with
    result = cli_runner(site)("review", "--interactive", f"output_en/{name}")
    assert result.exit_code == 0, result.output
    assert "this English makes a heading (its line 3), which would change the structure of the page; edit again" \
        in result.output
    assert "this English makes a list (its line 1)" in result.output
    saved = {r.id: r for r in memory(site, name).segments}
    assert (saved[pending[0].id].final, saved[pending[0].id].status) == ("An editor's English.", "reviewed")


def test_decide_refuses_a_final_that_changes_the_structure_and_writes_nothing(site: Path) -> None:
    from workflow.config import load_settings
    from workflow.review.finals import UnfitFinal
    from workflow.review.views import decide

    name = "2015-10-27-openstack-tokyo-summit-day-1.md"
    target = [r for r in memory(site, name).segments if r.kind == "paragraph"][0]
    before = (read(site, name), (site / "output_en" / ".workflow" / (name + ".json")).read_bytes())
    with pytest.raises(UnfitFinal, match=r"makes a numbered list .*escape a marker"):
        decide(load_settings(site), site / "source_zh" / name, target.id, final="1. A list now", reviewer="Ada",
               now="2026-01-01T00:00:00+00:00")
    assert (read(site, name), (site / "output_en" / ".workflow" / (name + ".json")).read_bytes()) == before
