"""Any sequence of authors' and editors' actions across documents: no English a person wrote is silently lost.

The invariant: every text an editor wrote is on an English page, or in a
retired record that `check` names as `lost-english` (awaiting restore or dismiss), or was
dismissed by a person. Never neither.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from review_support import configure

from workflow.report.check import check
from workflow.review.run import review
from workflow.store.memory import load as load_memory
from workflow.translate.lost import dismiss
from workflow.translate.run import translate

PARAGRAPHS = ["柏林峰会在十一月正式闭幕。", "社区的视野早已扩展到了云计算的各个领域。", "容器与虚拟机的融合受到了广泛关注。",
              "边缘计算成为热门议题。", "裸机部署越来越常见。", "开源社区持续壮大。"]


class AuthorsAndEditors(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="workflow-tm-never-lost-"))
        (self.root / "source_zh").mkdir()
        self.docs: dict[str, list[str]] = {"a": PARAGRAPHS[:3], "b": PARAGRAPHS[3:]}
        self.conf = configure(self.root, engine="pseudo")
        for name in self.docs:
            self._write(name)
        assert translate(self.conf).exit_code == 0
        self.markers: list[str] = []
        self.released: set[str] = set()  # markers in English a person dismissed
        self.counter = 0

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _write(self, name: str) -> None:
        text = "# 观感\n\n" + "".join(p + "\n\n" for p in self.docs[name])
        (self.root / "source_zh" / f"{name}.md").write_text(text, encoding="utf-8")

    def _fresh(self) -> int:
        self.counter += 1
        return self.counter

    def _doc(self, pick: int) -> str:
        names = sorted(self.docs)
        return names[pick % len(names)]

    # -- the author -----------------------------------------------------------------------

    @rule(pick=st.integers(0, 5), index=st.integers(0, 9), how=st.sampled_from(["append", "replace"]),
          then=st.booleans())
    def edit_source(self, pick: int, index: int, how: str, then: bool) -> None:
        name = self._doc(pick)
        if not self.docs[name]:
            return
        i = index % len(self.docs[name])
        old = self.docs[name][i]
        self.docs[name][i] = old + "大家都很满意。" if how == "append" else f"完全不同的第{self._fresh()}段内容。"
        self._write(name)
        if then:  # most sequences worth testing change the Chinese, then translate
            self.run_translate()

    @rule(pick=st.integers(0, 5), index=st.integers(0, 9), then=st.booleans())
    def insert_paragraph(self, pick: int, index: int, then: bool) -> None:
        name = self._doc(pick)
        self.docs[name].insert(index % (len(self.docs[name]) + 1), f"新插入的第{self._fresh()}段。")
        self._write(name)
        if then:  # most sequences worth testing change the Chinese, then translate
            self.run_translate()

    @rule(pick=st.integers(0, 5), index=st.integers(0, 9), then=st.booleans())
    def delete_paragraph(self, pick: int, index: int, then: bool) -> None:
        name = self._doc(pick)
        if self.docs[name]:
            del self.docs[name][index % len(self.docs[name])]
            self._write(name)
        if then:  # most sequences worth testing change the Chinese, then translate
            self.run_translate()

    @rule(pick=st.integers(0, 5), index=st.integers(0, 9), then=st.booleans())
    def swap_paragraphs(self, pick: int, index: int, then: bool) -> None:
        name = self._doc(pick)
        paragraphs = self.docs[name]
        if len(paragraphs) >= 2:
            i = index % (len(paragraphs) - 1)
            paragraphs[i], paragraphs[i + 1] = paragraphs[i + 1], paragraphs[i]
            self._write(name)
        if then:  # most sequences worth testing change the Chinese, then translate
            self.run_translate()

    @rule(pick=st.integers(0, 5), index=st.integers(0, 9), then=st.booleans())
    def move_to_another_file(self, pick: int, index: int, then: bool) -> None:
        name = self._doc(pick)
        others = [n for n in sorted(self.docs) if n != name]
        if self.docs[name] and others:
            paragraph = self.docs[name].pop(index % len(self.docs[name]))
            self.docs[others[0]].append(paragraph)
            self._write(name)
            self._write(others[0])
        if then:  # most sequences worth testing change the Chinese, then translate
            self.run_translate()

    @precondition(lambda self: len(self.docs) < 4)
    @rule(pick=st.integers(0, 5))
    def rename_file(self, pick: int) -> None:
        name = self._doc(pick)
        new = f"r{self._fresh()}"
        (self.root / "source_zh" / f"{name}.md").rename(self.root / "source_zh" / f"{new}.md")
        self.docs[new] = self.docs.pop(name)

    # -- the editors ----------------------------------------------------------------------

    def _text_lines(self, name: str) -> tuple[Path, list[str], list[int]]:
        path = self.conf.output / f"{name}.md"
        lines = path.read_text(encoding="utf-8").split("\n") if path.exists() else []
        start = lines.index("---", 1) + 1 if lines[:1] == ["---"] else 0
        texts = [i for i, line in enumerate(lines) if i > start and line.strip() and not line.startswith("#")]
        return path, lines, texts

    @rule(pick=st.integers(0, 5), index=st.integers(0, 9), record=st.booleans())
    def edit_english(self, pick: int, index: int, record: bool) -> None:
        path, lines, texts = self._text_lines(self._doc(pick))
        if texts:
            marker = f"[edit-{self._fresh()}]"
            line = texts[index % len(texts)]
            lines[line] += " " + marker
            path.write_text("\n".join(lines), encoding="utf-8")
            self.markers.append(marker)
        if record:
            self.run_review()

    @rule(pick=st.integers(0, 5), index=st.integers(0, 9), record=st.booleans())
    def add_translators_note(self, pick: int, index: int, record: bool) -> None:
        path, lines, texts = self._text_lines(self._doc(pick))
        if texts:
            marker = f"[note-{self._fresh()}]"
            line = texts[index % len(texts)]
            lines[line + 1:line + 1] = ["", f"Translator's note {marker}."]
            path.write_text("\n".join(lines), encoding="utf-8")
            self.markers.append(marker)
        if record:
            self.run_review()

    @rule()
    def run_translate(self) -> None:
        assert translate(self.conf).exit_code in (0, 1)

    @rule()
    def run_review(self) -> None:
        assert review(self.conf).exit_code in (0, 1)

    @rule()
    def dismiss_one(self) -> None:
        for name in sorted(self.docs):
            memory = load_memory(self.conf.memory_root / f"{name}.md.json", name)
            lost = memory.lost() if memory is not None else []
            if lost and self.conf.output.joinpath(f"{name}.md").exists():
                try:
                    dismiss(self.conf, self.conf.source / f"{name}.md", lost[0].key, reviewer="Ada")
                except Exception:  # the document changed since: a person would run translate first
                    return
                self.released |= {m for m in self.markers if m in lost[0].final}
                return

    # -- the invariant --------------------------------------------------------------------

    @invariant()
    def every_english_a_person_wrote_is_on_a_page_or_named_by_check(self) -> None:
        # every English page, an orphan's too (a renamed file's old page: check reports it as `orphan`)
        pages = "".join(p.read_text(encoding="utf-8") for p in self.conf.output.glob("*.md"))
        named = {f.detail for f in check(self.conf).findings if f.kind == "lost-english"}
        awaiting = ""
        for path in self.conf.memory_root.rglob("*.json"):
            memory = load_memory(path, path.name)
            for record in memory.lost() if memory is not None else []:
                if any(record.key in detail for detail in named):
                    awaiting += record.final
        missing = [m for m in self.markers if m not in self.released and m not in pages and m not in awaiting]
        assert not missing, missing


AuthorsAndEditors.TestCase.settings = settings(
    max_examples=40, stateful_step_count=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
test_no_english_is_silently_lost = AuthorsAndEditors.TestCase
