"""Never lose an edit: crashes between any two writes, and any sequence of editors' and authors' actions."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from review_support import BERLIN, SCHEDULE, configure, memory, read, record, replace

import workflow.store.files
from workflow.config import Settings, load_settings
from workflow.review.run import review
from workflow.store.files import sha256
from workflow.translate.run import translate

AMBITION = "参与完整届峰会后，我们的最大感受是"


class Crash(Exception):
    """A simulated power cut just before a write."""


def crash_at(monkeypatch: pytest.MonkeyPatch, n: int) -> list[Path]:
    """Raise before the n-th write (0: never); returns the list of written paths."""
    written: list[Path] = []

    def hook(path: Path) -> None:
        if len(written) + 1 == n:
            raise Crash(str(path))
        written.append(path)

    monkeypatch.setattr(workflow.store.files, "before_write", hook)
    return written


def consistent(conf: Settings) -> None:
    """The next runs accept English and memory; afterwards they agree and nothing is left to do."""
    assert translate(conf).exit_code == 0
    assert {d.state for d in review(conf).documents} == {"unchanged"}
    assert sha256((conf.output / BERLIN).read_bytes()) == memory(conf.root).output_hash
    again = translate(conf)
    assert again.exit_code == 0 and {d.state for d in again.documents} == {"unchanged"}


def prepared(project: Path) -> tuple[Settings, str]:
    """A translated project with one recorded edit and one unrecorded edit, and a changed Chinese paragraph."""
    conf = configure(project, engine="pseudo")
    assert translate(conf).exit_code == 0
    first = record(project, SCHEDULE).final
    replace(project, first, first + " [recorded edit]")
    assert review(conf).exit_code == 0
    second = record(project, AMBITION).final
    replace(project, second, second + " [unrecorded edit]")
    source = project / "source_zh" / BERLIN
    source.write_text(source.read_text(encoding="utf-8").replace("朋友吐槽说", "朋友们吐槽说"), encoding="utf-8")
    return conf, first + " [recorded edit]"


@pytest.mark.parametrize("command", ["review", "translate --force"])
def test_a_crash_before_any_write_loses_nothing(project: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    snapshot = project.parent / "snapshot"
    prepared(project)
    shutil.copytree(project, snapshot)
    total = _count_writes(project, snapshot, monkeypatch, command)
    assert total >= 3  # memory in flight, English, memory
    for n in range(1, total + 1):
        shutil.rmtree(project)
        shutil.copytree(snapshot, project)
        conf = load_settings(project)
        crash_at(monkeypatch, n)
        with pytest.raises(Crash):
            _run(conf, command)
        monkeypatch.setattr(workflow.store.files, "before_write", lambda path: None)
        assert "[unrecorded edit]" in read(project) or "[unrecorded edit]" in record(project, AMBITION).final
        assert record(project, SCHEDULE).final.endswith(" [recorded edit]")
        assert _run(conf, command) == 0, f"the run after a crash at write {n} failed"
        consistent(conf)
        assert record(project, SCHEDULE).final.endswith(" [recorded edit]")
        assert record(project, AMBITION).final.endswith(" [unrecorded edit]")
        assert "[recorded edit]" in read(project) and "[unrecorded edit]" in read(project)


def _run(conf: Settings, command: str) -> int:
    if command == "review":
        return review(conf).exit_code
    return translate(conf, force=True).exit_code


def _count_writes(project: Path, snapshot: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> int:
    written = crash_at(monkeypatch, 0)
    assert _run(load_settings(project), command) == 0
    monkeypatch.setattr(workflow.store.files, "before_write", lambda path: None)
    return len(written)


def test_a_crash_during_translate_after_review_loses_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf, recorded = prepared(project)
    assert review(conf).exit_code == 0
    snapshot = project.parent / "snapshot"
    shutil.copytree(project, snapshot)
    written = crash_at(monkeypatch, 0)
    translate(conf)
    total = len(written)
    for n in range(1, total + 1):
        shutil.rmtree(project)
        shutil.copytree(snapshot, project)
        crash_at(monkeypatch, n)
        with pytest.raises(Crash):
            translate(conf)
        monkeypatch.setattr(workflow.store.files, "before_write", lambda path: None)
        assert translate(conf).exit_code == 0
        consistent(conf)
        assert recorded in read(project) and "[unrecorded edit]" in read(project)


# -- any sequence of actions ------------------------------------------------------------------

DOCUMENT = "# 峰会观感\n\n{0}\n\n## 社区\n\n{1}\n\n{2}\n\n- {3}\n- {4}\n"
PARAGRAPHS = ["柏林峰会在十一月正式闭幕。", "社区的视野早已扩展到了云计算的各个领域。", "容器与虚拟机的融合受到了广泛关注。",
              "边缘计算成为热门议题。", "裸机部署越来越常见。"]
TERMS = [("峰会", "Summit"), ("社区", "community"), ("容器", "container"), ("边缘计算", "edge computing"),
         ("裸机", "bare metal")]


class EditorsAndAuthors(RuleBasedStateMachine):
    """Invariant: every edit an editor made is in output_en/ or in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="workflow-never-lost-"))
        (self.root / "source_zh").mkdir()
        (self.root / "glossary").mkdir()
        self.paragraphs = list(PARAGRAPHS)
        self.terms: dict[str, str] = {}
        self.conf = configure(self.root, engine="pseudo")
        self._write_source()
        assert translate(self.conf).exit_code == 0
        self.markers: list[str] = []

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _write_source(self) -> None:
        (self.root / "source_zh" / "a.md").write_text(DOCUMENT.format(*self.paragraphs), encoding="utf-8")

    @rule(index=st.integers(0, 4), how=st.sampled_from(["append", "replace"]))
    def edit_source(self, index: int, how: str) -> None:
        old = self.paragraphs[index]
        self.paragraphs[index] = old + "大家都很满意。" if how == "append" else f"完全不同的第{len(self.markers)}段内容。"
        self._write_source()

    @rule(index=st.integers(0, 6))
    def edit_english(self, index: int) -> None:
        path = self.conf.output / "a.md"
        lines = path.read_text(encoding="utf-8").split("\n")
        body_start = lines.index("---", 1) + 1
        texts = [i for i, line in enumerate(lines) if i > body_start and line.strip()]
        line = texts[index % len(texts)]
        marker = f"[edit-{len(self.markers)}]"
        lines[line] = lines[line] + " " + marker
        path.write_text("\n".join(lines), encoding="utf-8")
        self.markers.append(marker)

    @rule()
    def run_translate(self) -> None:
        assert translate(self.conf).exit_code in (0, 1)

    @rule()
    def run_review(self) -> None:
        assert review(self.conf).exit_code in (0, 1)

    @rule(term=st.sampled_from(TERMS), add=st.booleans())
    def change_glossary(self, term: tuple[str, str], add: bool) -> None:
        if add:
            self.terms[term[0]] = term[1]
        else:
            self.terms.pop(term[0], None)
        rows = "".join(f"{zh}\t{en}\tterm\n" for zh, en in sorted(self.terms.items()))
        (self.root / "glossary" / "terms.tsv").write_text("zh\ten\tkind\n" + rows, encoding="utf-8")

    @invariant()
    def every_edit_is_kept(self) -> None:
        english = (self.conf.output / "a.md").read_text(encoding="utf-8")
        recorded = (self.conf.memory_root / "a.md.json").read_text(encoding="utf-8")
        lost = [m for m in self.markers if m not in english and m not in recorded]
        assert not lost, lost


EditorsAndAuthors.TestCase.settings = settings(
    max_examples=30, stateful_step_count=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
test_every_edit_survives_any_sequence = EditorsAndAuthors.TestCase
