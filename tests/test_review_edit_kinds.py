"""Every edit kind of tests/review_edit_kinds.py: recorded as expected, or refused with the line and
the way out, never recorded against the wrong segment; recorded edits survive `translate`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from review_edit_kinds import CHINESE, KINDS, LABELS, Kind

from workflow.config import load_settings
from workflow.review.run import review
from workflow.store.memory import Memory, Record
from workflow.store.memory import load as load_memory
from workflow.translate.run import translate

NAME = "berlin.md"


def setup(root: Path) -> tuple[Path, dict[str, Record]]:
    (root / "source_zh").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.workflow]\nengine = "pseudo"\nreviewer = "Ada"\n', encoding="utf-8")
    (root / "source_zh" / NAME).write_text(CHINESE, encoding="utf-8")
    report = translate(load_settings(root))
    assert report.documents[0].state == "translated", report.documents[0]
    return root / "output_en" / NAME, labelled(memory(root))


def memory(root: Path) -> Memory:
    found = load_memory(root / "output_en" / ".workflow" / (NAME + ".json"), NAME)
    assert found is not None
    return found


def labelled(mem: Memory) -> dict[str, Record]:
    out = {}
    for label, chinese in LABELS.items():
        matching = [r for r in mem.segments if chinese in r.source]
        assert len(matching) == 1, (label, matching)
        out[label] = matching[0]
    return out


def fill(template: str, machine: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: machine[m.group(1)], template)


def run_kind(kind: Kind, root: Path) -> tuple[str, str]:
    """('recorded' | 'unchanged' | 'refused' | 'WRONG', detail) for one kind."""
    english, records = setup(root)
    machine = {label: r.machine for label, r in records.items()}
    for number, (old, new) in enumerate(kind.steps, start=1):
        text = english.read_text(encoding="utf-8")
        old, new = fill(old, machine), fill(new, machine)
        assert old in text, (kind.name, old)
        edited = text.replace(old, new, 1)
        english.write_text(edited, encoding="utf-8")
        before = (english.read_bytes(), (root / "output_en" / ".workflow" / (NAME + ".json")).read_bytes())
        doc = review(load_settings(root), [english]).documents[0]
        if doc.state in ("refused", "error"):
            after = (english.read_bytes(), (root / "output_en" / ".workflow" / (NAME + ".json")).read_bytes())
            assert after == before, "a refusal wrote"
            if number < len(kind.steps) or not kind.refused:
                return "WRONG", f"step {number} refused: {doc.message}"
            if kind.refused not in doc.message:
                return "WRONG", f"refused for another reason: {doc.message}"
            if not re.match(rf"output_en/{NAME}:\d+: ", doc.message) or "set-aside" not in doc.message:
                return "WRONG", f"refusal without its line or the way out: {doc.message}"
            return "refused", doc.message
    if kind.refused:
        return "WRONG", "recorded, should have been refused"
    finals = labelled(memory(root))
    for label, record in finals.items():
        want = fill(kind.finals[label], machine) if label in kind.finals else records[label].final
        if record.final != want:
            return "WRONG", f"{label}: recorded {record.final!r}, expected {want!r}"
        if label in kind.finals and record.status != "reviewed":
            return "WRONG", f"{label} is {record.status}"
        if record.markup != kind.markups.get(label, records[label].markup):
            return "WRONG", f"{label}: markup {record.markup!r}, expected {kind.markups.get(label)!r}"
        if record.after != kind.afters.get(label, records[label].after):
            return "WRONG", f"{label}: after {record.after!r}, expected {kind.afters.get(label)!r}"
        if label in kind.afters and label not in kind.finals and record.status != records[label].status:
            return "WRONG", f"{label} is {record.status}: adding an item after it approved its own English"
    if front_wrong := front_differs(english, kind):
        return "WRONG", front_wrong
    return survives(root, english, kind)


def front_differs(english: Path, kind: Kind) -> str:
    found = yaml.safe_load(english.read_text(encoding="utf-8").split("---\n", 2)[1])
    wrong = {key: found.get(key) for key, value in kind.front.items() if found.get(key) != value}
    return f"front matter {wrong}, expected {kind.front}" if wrong else ""


def survives(root: Path, english: Path, kind: Kind) -> tuple[str, str]:
    """translate writes the recorded edit back byte for byte, and keeps it when other Chinese changes."""
    written = english.read_bytes()
    again = translate(load_settings(root)).documents[0]
    if again.state != "unchanged" or english.read_bytes() != written:
        return "WRONG", f"translate after review: {again.state}"
    edited = {label: r.final for label, r in labelled(memory(root)).items() if label in kind.finals}
    overridden = {label: r.markup for label, r in labelled(memory(root)).items() if label in kind.markups}
    added = {label: r.after for label, r in labelled(memory(root)).items() if label in kind.afters}
    source = root / "source_zh" / NAME
    source.write_text(source.read_text(encoding="utf-8").replace("最后一段总结了", "最后一段回顾了"), encoding="utf-8")
    changed = translate(load_settings(root)).documents[0]
    if changed.state != "translated":
        return "WRONG", f"translate after a source change: {changed.state} {changed.message}"
    kept = labelled_after_change(memory(root))
    if front_wrong := front_differs(english, kind):
        return "WRONG", f"after a source change: {front_wrong}"
    marks = {label: r.markup for label, chinese in LABELS.items() for r in memory(root).segments if chinese in r.source}
    if any(marks.get(label) != markup for label, markup in overridden.items()):
        return "WRONG", f"a markup override was lost after a source change: {marks}"
    afters = {label: r.after for label, chinese in LABELS.items() for r in memory(root).segments if chinese in r.source}
    if any(afters.get(label) != after for label, after in added.items()):
        return "WRONG", f"an added item or row was lost after a source change: {afters}"
    for label, final in edited.items():
        if label == "Z":
            continue  # its own Chinese changed: carried over, checked by test_review_carry
        if kept.get(label) != final:
            return "WRONG", f"{label} lost its edit after a source change: {kept.get(label)!r}"
    return ("recorded" if kind.recorded else "unchanged"), ""


def labelled_after_change(mem: Memory) -> dict[str, str]:
    return {label: r.final for label, chinese in LABELS.items() for r in mem.segments if chinese in r.source}


def test_the_table_has_forty_kinds_or_more() -> None:
    assert len(KINDS) >= 40
    assert len({k.name for k in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_edit_kind(kind: Kind, tmp_path: Path) -> None:
    outcome, detail = run_kind(kind, tmp_path / "site")
    assert outcome != "WRONG", detail
    assert outcome == ("refused" if kind.refused else "recorded" if kind.recorded else "unchanged"), detail


def test_a_markup_override_survives_a_change_of_its_own_chinese(tmp_path: Path) -> None:
    root = tmp_path / "site"
    english, records = setup(root)
    heading = records["H2"].machine
    english.write_text(english.read_text(encoding="utf-8").replace(f"## {heading}", f"### {heading}"), encoding="utf-8")
    assert review(load_settings(root), [english]).documents[0].state == "recorded"
    source = root / "source_zh" / NAME
    source.write_text(source.read_text(encoding="utf-8").replace("## 社区的变化", "## 社区的新变化"), encoding="utf-8")
    assert translate(load_settings(root)).documents[0].state == "translated"
    changed = [r for r in memory(root).segments if r.source == "社区的新变化"][0]
    assert changed.markup == "### " and changed.status == "needs-review"
    assert f"\n### {changed.final}\n" in english.read_text(encoding="utf-8")


def test_the_readme_gives_the_tally_of_the_table() -> None:
    """Each kind's outcome is its expectation (test_edit_kind), so the table itself gives the tally."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    refused = sum(1 for k in KINDS if k.refused)
    recorded = sum(1 for k in KINDS if k.recorded and not k.refused)
    unchanged = len(KINDS) - refused - recorded
    wanted = (f"{len(KINDS)} kinds an editor makes, pass rate 100%: {recorded} recorded as expected",
              f"{unchanged} with nothing to record, {refused} refused with")
    text = " ".join(readme.split())
    assert all(phrase in text for phrase in wanted), wanted


if __name__ == "__main__":  # the README's pass rate: python tests/test_review_edit_kinds.py
    import collections
    import tempfile

    tally: collections.Counter[str] = collections.Counter()
    for each in KINDS:
        with tempfile.TemporaryDirectory() as folder:
            outcome, detail = run_kind(each, Path(folder) / "site")
        tally[outcome] += 1
        if outcome == "WRONG":
            print(f"WRONG  {each.name}: {detail}")
    passed = len(KINDS) - tally["WRONG"]
    print(f"{len(KINDS)} edit kinds: {tally['recorded']} recorded, {tally['unchanged']} nothing to record, "
          f"{tally['refused']} refused with the line and the way out, {tally['WRONG']} wrong; "
          f"pass rate {100 * passed / len(KINDS):.0f}%")
