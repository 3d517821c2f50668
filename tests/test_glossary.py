"""The glossary as a library: matching the Chinese, verifying the English, loading, fingerprints."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.errors import GlossaryConflict
from workflow.glossary.terms import Entry, Glossary, load, read_file, renders, stale
from workflow.store.memory import Record

REAL = load(REPO / "glossary", REPO)

SMALL = Glossary([
    Entry("OpenStack", "OpenStack", "keep"),
    Entry("Nova", "Nova", "keep", "sensitive"),
    Entry("OpenStack基金会", "OpenStack Foundation", "name"),
    Entry("基金会", "Foundation", "term"),
    Entry("启动实例", "launch instance"),
    Entry("从卷启动", "boot from volume"),
    Entry("实例", "instance"),
    Entry("云主机", "instance"),
    Entry("启动云主机", "launch instance"),
    Entry("私有云", "private cloud"),
    Entry("云计算", "cloud computing"),
    Entry("Kata Containers", "Kata Containers", "keep"),
    Entry("Yahoo！Japan", "Yahoo! JAPAN", "name"),
    Entry("容器", "container"),
])


def found(text: str, glossary: Glossary = SMALL) -> list[tuple[str, str]]:
    return [(text[m.start:m.end], m.entry.zh) for m in glossary.match(text)]


# -- matching the Chinese ------------------------------------------------------------------


def test_nested_terms_longest_wins() -> None:
    assert found("启动云主机") == [("启动云主机", "启动云主机")]
    assert found("启动实例") == [("启动实例", "启动实例")]
    assert found("从卷启动的实例") == [("从卷启动", "从卷启动"), ("实例", "实例")]
    assert found("云主机") == [("云主机", "云主机")]


def test_overlapping_terms_leftmost_wins() -> None:
    # 私有云 and 云计算 share 云: the leftmost match takes it, 计算 is left to the engine.
    assert found("私有云计算") == [("私有云", "私有云")]
    assert found("云计算和私有云") == [("云计算", "云计算"), ("私有云", "私有云")]


def test_bare_ambiguous_term_is_not_matched() -> None:
    assert found("启动服务") == []  # 启动 alone is deliberately absent (boot / launch / start)
    assert REAL.lookup("启动") is None
    assert [m.entry.en for m in REAL.match("从卷启动的实例")] == ["boot from volume", "instance"]
    assert [m.entry.en for m in REAL.match("在Horizon中启动实例")] == ["Horizon", "launch instance"]


def test_mixed_chinese_and_english() -> None:
    assert found("OpenStack基金会成立") == [("OpenStack基金会", "OpenStack基金会")]
    assert found("OpenStack 基金会") == [("OpenStack 基金会", "OpenStack基金会")]  # one space at the junction
    assert found("在OpenStack上") == [("OpenStack", "OpenStack")]
    assert found("MyOpenStack基金会") == [("基金会", "基金会")]  # Latin word boundary


def test_full_width_latin_letters() -> None:
    assert found("ＯｐｅｎＳｔａｃｋ基金会") == [("ＯｐｅｎＳｔａｃｋ基金会", "OpenStack基金会")]
    assert found("使用Ｎｏｖａ") == [("Ｎｏｖａ", "Nova")]
    assert found("来自Yahoo！Japan的分享") == [("Yahoo！Japan", "Yahoo！Japan")]
    assert found("来自Yahoo!Japan的分享") == [("Yahoo!Japan", "Yahoo！Japan")]


def test_latin_case_and_word_boundaries() -> None:
    assert found("openstack和OPENSTACK") == [("openstack", "OpenStack"), ("OPENSTACK", "OpenStack")]
    assert found("nova innovation Nova") == [("Nova", "Nova")]  # sensitive
    assert found("OpenStackers") == []
    assert found("Kata  Containers和Kata\nContainers") == [("Kata  Containers", "Kata Containers"),
                                                          ("Kata\nContainers", "Kata Containers")]


def test_terms_next_to_placeholders() -> None:
    text = "<x1/>OpenStack<x2/>和<g3>容器</g3>，容<x4/>器"
    protected = [(0, 5), (14, 19), (20, 24), (26, 31), (33, 38)]
    assert [text[a:b] for a, b in protected] == ["<x1/>", "<x2/>", "<g3>", "</g3>", "<x4/>"]
    assert [text[m.start:m.end] for m in SMALL.match(text, protected)] == ["OpenStack", "容器"]


def test_match_skips_protected_spans() -> None:
    glossary = Glossary([Entry("x1", "X one", "name")])
    assert SMALL.match("<x1/>") == [] and glossary.match("x1 <x1/>", [(3, 8)])[0].start == 0
    assert len(glossary.match("x1 <x1/>", [(3, 8)])) == 1


def test_lookup_follows_case_rules() -> None:
    assert SMALL.lookup("openstack") is not None and SMALL.lookup("nova") is None
    assert SMALL.lookup("Nova") is not None and SMALL.lookup("Ｎｏｖａ") is not None


@given(st.lists(st.sampled_from([e.zh for e in SMALL.entries] + ["的", "和", " ", "a", "。"]), max_size=12))
def test_matches_are_ordered_and_disjoint(parts: list[str]) -> None:
    text = "".join(parts)
    matches = SMALL.match(text)
    for a, b in zip(matches, matches[1:]):
        assert a.end <= b.start
    for m in matches:
        assert SMALL.lookup(text[m.start:m.end]) == m.entry


@functools.cache
def _alternation(glossary: Glossary) -> re.Pattern[str]:
    from workflow.glossary.terms import _pattern

    first: dict[str, Entry] = {}
    for entry in glossary.entries:
        first.setdefault(entry.key, entry)
    ordered = sorted(first.values(), key=lambda e: (-len(e.zh), e.zh))
    return re.compile("|".join(_pattern(e) for e in ordered))


def alternation(glossary: Glossary, text: str) -> list[tuple[int, int, str]]:
    """The reference the automaton replaced: one regular-expression alternation of every entry, longest first."""
    from workflow.glossary.terms import fold

    regex = _alternation(glossary)
    folded = fold(text)
    out = []
    for m in regex.finditer(folded):
        entry = glossary.lookup(m.group(0))
        match = glossary.accept(folded, m.start(), m.end(), entry) if entry is not None else None
        if match is not None:
            out.append((match.start, match.end, match.entry.zh))
    return out


REAL_PIECES = [e.zh for e in REAL.entries] + [e.zh.upper() for e in REAL.entries if e.zh.isascii()]


@settings(deadline=None)  # the first example compiles the reference alternation
@given(st.lists(st.sampled_from(REAL_PIECES + ["的", " ", "  ", "a", "1", "-", "。", "ı", "ſ", "\u3000", "Ｏ"]),
                max_size=16))
def test_automaton_matches_as_the_alternation_did(parts: list[str]) -> None:
    text = "".join(parts)
    assert [(m.start, m.end, m.entry.zh) for m in REAL.match(text)] == alternation(REAL, text)


def test_automaton_matches_the_real_articles_as_the_alternation_did() -> None:
    for path in sorted((REPO / "source_zh").glob("*.md")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            assert [(m.start, m.end, m.entry.zh) for m in REAL.match(line)] == alternation(REAL, line)


def test_every_real_entry_matches_its_own_chinese_whole() -> None:
    for entry in REAL.entries:
        matches = REAL.match(entry.zh)
        assert [(m.start, m.end, m.entry) for m in matches][:1] == [(0, len(entry.zh), entry)], entry


# -- verifying the English -----------------------------------------------------------------


@pytest.mark.parametrize("entry, english, ok", [
    (Entry("容器", "container"), "Containers run here", True),
    (Entry("容器", "container"), "the container's image", True),
    (Entry("容器", "container"), "containerization", True),  # the last word is a stem
    (Entry("容器", "container"), "contain", False),
    (Entry("API", "API", "keep", "sensitive"), "standardized APIs", True),
    (Entry("OpenStack", "OpenStack", "keep"), "OpenStacks", False),
    (Entry("部署", "deploy"), "the deployment", True),
    (Entry("管理", "manage"), "managing", True),
    (Entry("裸机", "bare metal"), "bare-metal servers", True),
    (Entry("裸机", "bare metal"), "Bare\nMetal", True),
    (Entry("裸机", "bare metal"), "baremetal", False),
    (Entry("策略", "policy"), "two policies", True),
    (Entry("从卷启动", "boot from volume"), "Boot-from-volume works", True),
    (Entry("启动实例", "launch instance"), "launch instances", True),
    (Entry("Cell", "cells", "term", "sensitive"), "Cells v2", False),
    (Entry("Cell", "cells", "term", "sensitive"), "Nova cells", True),
    (Entry("OpenStack", "OpenStack", "keep"), "Openstack", False),
    (Entry("OpenStack", "OpenStack", "keep"), "OpenStack's community", True),
    (Entry("OpenStack", "OpenStack", "keep"), "OpenStacks", False),
    (Entry("中国移动", "China Mobile", "name"), "China  Mobile", True),
    (Entry("中国移动", "China Mobile", "name"), "china mobile", False),
    (Entry("Yahoo！Japan", "Yahoo! JAPAN", "name"), "at Yahoo! JAPAN,", True),
])
def test_renders(entry: Entry, english: str, ok: bool) -> None:
    assert renders(entry, english) is ok


def test_every_real_entry_accepts_its_own_english() -> None:
    assert [e for e in REAL.entries if not renders(e, f"({e.en})")] == []


# -- fingerprints and staleness ------------------------------------------------------------


def test_fingerprint_covers_exactly_the_matched_entries() -> None:
    text = "在OpenStack上从卷启动实例"
    base = SMALL.fingerprint(text)
    assert base and SMALL.fingerprint("没有术语") == ""
    changed = Glossary([e if e.zh != "从卷启动" else Entry("从卷启动", "boot from a volume") for e in SMALL.entries])
    assert changed.fingerprint(text) != base
    assert changed.fingerprint("私有云") == SMALL.fingerprint("私有云")
    noted = Glossary([e if e.zh != "从卷启动" else Entry("从卷启动", "boot from volume", note="new note")
                      for e in SMALL.entries])
    assert noted.fingerprint(text) == base  # notes are not renderings
    shadowing = Glossary(list(SMALL.entries) + [Entry("卷", "volume")])
    assert shadowing.fingerprint(text) == base  # 卷 is inside 从卷启动: it does not apply here
    assert shadowing.fingerprint("卷快照") != SMALL.fingerprint("卷快照")


def test_stale() -> None:
    record = Record(id="s1", kind="paragraph", line=1, source_hash="", source="从卷启动", machine="", final="",
                    glossary=SMALL.fingerprint("从卷启动"))
    assert not stale(record, SMALL)
    assert stale(record, Glossary([Entry("从卷启动", "boot from a volume")]))
    assert stale(record, Glossary([]))


# -- loading -------------------------------------------------------------------------------


def write(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("zh\ten\tkind\tcase\tnote\tsource\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_real_glossary() -> None:
    assert len(REAL) >= 250  # the issue asks for at least 250 curated entries
    kinds = {e.kind for e in REAL.entries}
    assert kinds == {"term", "keep", "name"}


def test_conflict_between_files_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "g" / "a.tsv", ["容器\tcontainer\tterm\t\t\t"])
    write(tmp_path / "g" / "b.tsv", ["容器\tbox\tterm\t\t\t"])
    with pytest.raises(GlossaryConflict) as info:
        load(tmp_path / "g", tmp_path)
    assert str(info.value) == ("g/b.tsv:2: 容器 has two English renderings: 'container' (g/a.tsv:2) and 'box'. "
                               "Keep one (`workflow glossary remove`, or edit the file); "
                               "`workflow glossary lint` lists all.")
    assert load(tmp_path / "g", tmp_path, strict=False).lookup("容器").en == "container"  # type: ignore[union-attr]


def test_bad_rows_name_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "g.tsv", ["容器\tcontainer\tterm\t\t\t", "节点\tnode\tterm\tyes\t\t"])
    with pytest.raises(GlossaryConflict, match=r"^g.tsv:3: case 'yes' must be 'sensitive' or empty"):
        read_file(path, "g.tsv")
    path = write(tmp_path / "g.tsv", ["容器\tcontainer\tverb\t\t\t"])
    with pytest.raises(GlossaryConflict, match=r"^g.tsv:2: kind 'verb' is not one of term, keep, name"):
        read_file(path, "g.tsv")
