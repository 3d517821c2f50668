"""The pipeline's shortcuts give what the long way gives: each against a plain reference."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from workflow.text import typography
from workflow.text.code import CodeOptions
from workflow.text.segment import markdown
from workflow.text.skeleton import _shape, skeleton

REPO = Path(__file__).resolve().parent.parent


def _reference_convert(text: str) -> str:
    """`typography._convert` the long way: a character at a time, then every mark replaced in turn."""
    text = "".join(unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" and ch not in typography.SPACED
                   and ch not in typography.PAIRED and ch != "～" else ch for ch in text)
    for zh, en in typography.OTHER.items():
        text = text.replace(zh, en)
    for zh, en in typography.SPACED.items():
        text = text.replace(zh, en + " ")
    for zh, en in typography.PAIRED.items():
        text = text.replace(zh, en)
    text = re.sub(r"\.{3,}", "\u2026", text)
    text = re.sub(r"([.!?,;:])\1+", r"\1", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" ([,.;:!?)\]\u2026])", r"\1", text)
    text = re.sub(r"([(\[]) ", r"\1", text)
    return typography._inside_quotes(text).replace("\u2026", "...")


MARKS = "".join([*typography.SPACED, *typography.PAIRED, *"".join(typography.OTHER), *map(chr, range(0xFF01, 0xFF5F))])


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(MARKS + " \t.!?,;:()[]\"'…—ab中文"), max_size=40))
def test_typography_in_one_pass_is_the_mark_by_mark_conversion(text: str) -> None:
    assert typography._convert(text) == _reference_convert(text)


def _full_parse_skeleton(body: str, code: CodeOptions) -> tuple[object, ...]:
    return tuple(_shape(token, code) for token in markdown().parse(body, {}))


PIECES = ["[", "]", "(", ")", "<", ">", "`", "\n", "  \n", "\\\n", "*", "_", "![a](b)", "[^1]", "[^1]: note\n", "<b>",
          "http://x.y", "[x]: http://r\n", "[x]", "|", "---\n", "> ", "- ", "1. ", "```\n", "&amp;", "\\", "    ",
          "^[inline]", "# ", "<div>\n", "\n\n", "<!-- c -->", "<https://a.b>", "`` x ``"]


def test_skeleton_from_the_block_pass_is_the_full_parse_s() -> None:
    """Inline passes only where a trigger character is: the same tokens as a full parse, on the
    articles and on thousands of them with Markdown pieces dropped in at random."""
    rng = random.Random(7)
    bodies = [p.read_text(encoding="utf-8") for p in sorted((REPO / "source_zh").glob("*.md"))]
    bodies += [p.read_text(encoding="utf-8") for p in sorted((REPO / "output_en").glob("*.md"))]
    for body in bodies:
        for code in (CodeOptions(), CodeOptions(False, False), CodeOptions(True, True)):
            assert skeleton(body, code) == _full_parse_skeleton(body, code)
        for _ in range(150):
            chars = list(body)
            for _ in range(rng.randint(1, 8)):
                chars.insert(rng.randint(0, len(chars)), rng.choice(PIECES))
            mutated = "".join(chars)
            assert skeleton(mutated) == _full_parse_skeleton(mutated, CodeOptions()), mutated[:300]


# -- the translation memory's pre-filter: a batch of lookups at once, as one at a time -----------


def _reference_candidates(postings: object, query: list[int], length: int, threshold: int) -> set[int]:
    """`Postings.candidates` of one query, the long way: count each text's votes over the query's
    sketch bigrams (a bigram in more than COMMON texts skipped), drop texts whose length alone keeps
    them under the threshold, keep the CANDIDATES of most votes (ties: the earlier text)."""
    from collections import Counter

    from workflow.store import tm_sketch

    CANDIDATES, COMMON = tm_sketch.CANDIDATES, tm_sketch.COMMON
    grams, bounds, texts, lengths = postings.data()  # type: ignore[attr-defined]
    where = {int(g): i for i, g in enumerate(grams.tolist())}
    votes: Counter[int] = Counter()
    for gram in query:
        i = where.get(gram)
        if i is not None and bounds[i + 1] - bounds[i] <= COMMON:
            votes.update(texts[bounds[i]:bounds[i + 1]].tolist())
    possible = [t for t in votes if 200 * min(int(lengths[t]), length) >= threshold * (int(lengths[t]) + length)]
    return set(sorted(possible, key=lambda t: (-votes[t], t))[:CANDIDATES])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.sampled_from([0, 40, 75, 95]), st.sampled_from([1000, 30]))
def test_batched_candidates_are_each_query_s_own(seed: int, batch: int, threshold: int, common: int) -> None:
    from workflow.store import tm_sketch

    real = tm_sketch.COMMON
    tm_sketch.COMMON = common  # 30: many bigrams skipped as too common
    try:
        _compare_candidates(seed, batch, threshold)
    finally:
        tm_sketch.COMMON = real


def _compare_candidates(seed: int, batch: int, threshold: int) -> None:
    import numpy as np

    from workflow.store.tm_sketch import Postings, sketch, sketches

    rng = random.Random(seed)
    alphabet = "云计算网络存储服务社区峰会容器虚拟机"[:rng.randint(3, 18)]  # few letters: long postings, many ties

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))

    texts = [text() for _ in range(rng.randint(1, 1500))]
    matrix, counts = sketches(texts)
    postings = Postings(matrix, counts, np.fromiter(map(len, texts), np.int64, len(texts)))
    queries = [text() for _ in range(batch)]
    qm, qc = sketches(queries)
    found = postings.candidates(qm, qc, np.fromiter(map(len, queries), np.int64, len(queries)), threshold)
    assert len(found) == len(queries)
    for query, numbers in zip(queries, found):
        assert len(numbers) == len(set(numbers))
        assert set(numbers) == _reference_candidates(postings, sketch(query), len(query), threshold)


# -- front matter: the YAML written and the YAML read by the faster way, as PyYAML's own ---------

_YAML_TEXT = st.lists(st.sampled_from(list("aZ09 _-.:#,'\"?!&*|>%@`~=<()[]{}/\t\n\\") + [
    "云", "é", "\u00a0", "😀", "\ufeff", "\u2028", "\x85", "---", "...", "yes", "null", "1.5", "2016-10-26", "0x1F",
    " #", ": ", "- ", "? ", " '", "' ", "Day 2"]),
    max_size=8).map("".join)
_YAML_VALUE = st.recursive(st.one_of(_YAML_TEXT, st.integers(-10**12, 10**12), st.booleans(), st.none(),
                                     st.floats(allow_nan=False), st.lists(_YAML_TEXT, max_size=2)),
                           lambda inner: st.dictionaries(_YAML_TEXT, inner, max_size=3), max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_YAML_TEXT, _YAML_VALUE, min_size=1, max_size=4))
@example({"k": "a #b", "k2": "a#b", "k3": "x: y", "k4": "x:y", "k5": "a:", "k6": "- x", "k7": "-x", "k8": "? x"})
@example({"k": "yes", "k2": "1:30", "k3": "2016-10-26", "k4": "~", "k5": "", "k6": " lead", "k7": "trail ", "k8": "O'Reilly"})
@example({"k": "---x", "k2": "...", "k3": "@at", "k4": "%", "k5": "`", "k6": "a\u2028b", "k7": "\ufeff", "k8": "😀"})
@example({"k" * 122: "v", "中" * 122: {"a": 1}})  # PyYAML writes `? key` from 123 characters (128 with `!!str`)
@example({"k" * 123: "v"})
@example({"中" * 127: {"a": 1}})
@example({"k": "ab " * 340_000})  # past PyYAML's line width: folded
def test_the_simple_yaml_writer_writes_what_pyyaml_writes(mapping: dict[str, object]) -> None:
    import yaml

    from workflow.store.post import _simple_yaml, _yaml_dump

    fast = _simple_yaml(mapping, "")
    slow = yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10**6)
    assert fast is None or fast == slow
    assert _yaml_dump(mapping) == slow


def test_the_simple_yaml_writer_leaves_subclasses_to_pyyaml() -> None:
    """PyYAML's safe dumper refuses an OrderedDict or an IntEnum: so does the shortcut (it hands them on)."""
    import enum
    from collections import OrderedDict

    import pytest
    import yaml

    from workflow.store.post import _yaml_dump

    class Level(enum.IntEnum):
        ONE = 1

    class Text(str):
        pass

    for mapping in ({"k": OrderedDict(a="b")}, {"k": Level.ONE}, {"k": Text("v")}, {Text("k"): "v"}):
        with pytest.raises(yaml.representer.RepresenterError):
            _yaml_dump(mapping)


def test_the_simple_yaml_writer_takes_the_front_matter_translate_writes() -> None:
    from workflow.store.post import _simple_yaml

    provenance = {"source": "source_zh/2016-10-26-openstack-barcelona-summit-day-2.md", "source_hash": "sha256:75c0",
                  "engine": "argos", "model": "translate-zh_en-1_9", "reviewed": "21/21"}
    for mapping in ({"title": "OpenStack Barcelona Summit: Day 2"}, {"description": "It's day 2, #2"},
                    {"lang": "en", "translation": provenance}):
        assert _simple_yaml(mapping, "") is not None  # else the shortcut is never taken


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_YAML_TEXT, _YAML_VALUE, min_size=1, max_size=4), st.sampled_from([False, True, None]),
       st.sampled_from(["", "  # 注释", "  # \ufeff😀"]), st.sampled_from(["", "\ufeff", "# 开头\n"]))
def test_libyaml_composes_front_matter_with_pyyaml_s_marks(mapping: dict[str, object], flow: bool | None,
                                                           comment: str, start: str) -> None:
    import yaml

    from workflow.store.post import _composer

    text = start + yaml.safe_dump(mapping, allow_unicode=True, default_flow_style=flow, width=40).replace("\n", comment + "\n", 1)

    def marks(loader: type) -> object:
        try:
            node = yaml.compose(text, Loader=loader)
        except yaml.YAMLError:
            return "error"
        return [(k.start_mark.index, k.end_mark.index, v.start_mark.index, v.end_mark.index, v.start_mark.line)
                for k, v in node.value] if isinstance(node, yaml.MappingNode) else repr(node)

    assert marks(_composer(text)) == marks(yaml.SafeLoader)


# -- this stop's shortcuts: glossary matching, needs_engine, the memory's JSON, Record.of -------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    | st.dictionaries(st.integers(), inner, max_size=2),
    max_leaves=20)


@given(JSON)
@example({"segments": [{"id": "p1", "line": 3, "reasons": [], "matches": [{"score": 90}]}], "summary": {}})
@example([float("nan"), float("inf"), -float("inf"), -0.0, 2 ** 70, True, None, (1, "x"), "\u2028\x00é\"\\"])
def test_the_memory_json_writer_writes_what_json_dumps_writes(value: object) -> None:
    import json

    from workflow.store import json_text

    assert json_text.dumps(value) == json.dumps(value, ensure_ascii=False, indent=1)


def test_record_of_is_the_dataclass_s_init() -> None:
    import dataclasses

    import pytest

    from workflow.store.memory import DEFAULTS, FIELDS, REQUIRED, Record

    assert len(DEFAULTS) + len(REQUIRED) == len(FIELDS)  # no field with a default factory
    fields = dict(id="p1", kind="paragraph", line=2, source_hash="h", source="云", machine="cloud", final="Cloud",
                  status="reviewed", reasons=("x",))
    made = Record.of(dict(fields))
    assert made == Record(**fields) and hash(made) == hash(Record(**fields)) and repr(made) == repr(Record(**fields))
    assert dataclasses.replace(made, id="p2").id == "p2" and made.to_json() == Record(**fields).to_json()
    with pytest.raises(TypeError):
        Record.of({"id": "p1"})
    with pytest.raises(TypeError):
        Record.of({**fields, "colour": "red"})


def test_case_fold_is_the_translate_table_for_every_character() -> None:
    from workflow.glossary.matcher import CASE_FOLD, case_fold

    for code in range(0x110000):
        char = chr(code)
        assert case_fold(char) == char.translate(CASE_FOLD), hex(code)


@given(st.text(alphabet=st.sampled_from("aAsSſıiİkKΣσςµμΜ ΣΑ云ＡＯ-")) | st.text())
@example("ΑΣ ΑΣΑ Σ")  # final sigma: str.lower's context rule
def test_case_fold_of_a_text_is_the_translate_table(text: str) -> None:
    from workflow.glossary.matcher import CASE_FOLD, case_fold

    assert case_fold(text) == text.translate(CASE_FOLD)


@given(st.text(alphabet=st.sampled_from("，：（）ＡＺａｚ０９！～\uff5f\uff00云a ")) | st.text())
def test_fold_is_the_full_width_table(text: str) -> None:
    from workflow.glossary.terms import FULLWIDTH, fold

    assert fold(text) == text.translate(FULLWIDTH)


COMMANDS = st.lists(st.sampled_from(["openstack", "nova", "pip", " ", "\t", "-", "--os-cloud=x", "list", "server",
                                     "Install", "$", "sudo", "云", "a", "1", "/", "{", "\n", "OpenStack"]), max_size=12)


@given(COMMANDS)
def test_the_command_prefilter_drops_only_texts_without_commands(parts: list[str]) -> None:
    from workflow.glossary import words

    text = "".join(parts)
    assert words._commands.__wrapped__(text) == tuple(m.span() for m in words.COMMAND.finditer(text))


@given(COMMANDS, st.integers(0, 40), st.integers(1, 12))
def test_in_identifier_s_shortcut_is_the_token_scan(parts: list[str], start: int, length: int) -> None:
    from workflow.glossary import words

    text = "".join(parts)
    start, end = min(start, len(text)), min(start + length, len(text))
    a, b = start, end
    while a > 0 and words._TOKEN_EDGE.match(text[a - 1]):
        a -= 1
    while b < len(text) and words._TOKEN_EDGE.match(text[b]):
        b += 1
    token = text[a:b].rstrip(".:-")
    expected = len(token) > end - start and (words._IDENTIFIER.search(token) is not None or (
        "-" in token and words._LOWER.fullmatch(token) is not None))
    assert words.in_identifier(text, start, end) == expected


def test_needs_engine_s_alphanumeric_test_is_str_isalnum() -> None:
    from workflow.text.sentences import _ALNUM

    assert all((_ALNUM.match(chr(code)) is not None) == chr(code).isalnum() for code in range(0x110000))


@given(st.text(alphabet=st.sampled_from("<>/gx12＜＞ 云a")))
def test_repair_of_an_unchanged_text_is_the_long_way(text: str) -> None:
    from workflow.text import protect

    fast = protect.repair(text, text)
    if "<" not in text and "＜" not in text:
        # the long way, which the shortcut skips: canonical spellings, placeholders checked
        assert fast == (text, []) and protect.canonical(text) == text
        assert protect.PLACEHOLDER.search(text) is None


@settings(deadline=None)  # the first example loads the segmenter
@given(st.lists(st.sampled_from(["安全组", "织", "镜像服务器", "云", "计算", "a", " ", "，", "OpenStack", "标准化", "私有云"]),
                max_size=10))
def test_word_across_from_the_offset_table_is_the_scan_of_the_cuts(parts: list[str]) -> None:
    from workflow.glossary.terms import load
    from workflow.text.chars import is_han

    words = load(REPO / "glossary").boundaries()
    text = "".join(parts)
    for edge in range(len(text) + 1):
        expected = (edge, edge)
        if 0 < edge < len(text) and is_han(text[edge - 1]) and is_han(text[edge]):
            a = edge
            while a > 0 and is_han(text[a - 1]):
                a -= 1
            b = edge
            while b < len(text) and is_han(text[b]):
                b += 1
            expected = next(((a + first, a + last) for first, last in words.cuts(text[a:b]) if first < edge - a < last),
                            (edge, edge))
        assert words.word_across(text, edge) == expected


@pytest.mark.parametrize(("rules", "text"), [
    ([("ab", "(?i)ab"), ("ab", "abc")], "ABc"),  # a global flag cannot stand inside the alternation
    ([("ab", r"(a)\1?b"), ("ab", "ab")], "ab"),  # a rule with a backreference to its own group
    ([("ab", "(?P<x>a)b"), ("ab", "(?P<x>a)bc")], "abc"),  # two rules naming one group
    ([("ab", "ab"), ("ab", "a"), ("ab", "abc")], "abc"),  # plain rules: first in rule order wins
])
def test_rules_sharing_a_start_match_as_the_loop_over_them(rules: list[tuple[str, str]], text: str) -> None:
    from workflow.glossary.matcher import Matcher

    def loop() -> list[tuple[int, int, int]]:
        found = []
        for start in range(len(text)):
            if found and start < found[-1][1]:
                continue
            for index, (_, pattern) in enumerate(rules):
                if text.lower().startswith(rules[index][0].lower(), start):
                    match = re.compile(pattern).match(text, start)
                    if match is not None:
                        found.append((start, match.end(), index))
                        break
        return found

    assert Matcher(rules).spans(text, [(0, len(text))]) == loop()


def test_a_rule_that_is_no_regular_expression_fails_as_it_would_alone() -> None:
    from workflow.glossary.matcher import Matcher

    with pytest.raises(re.error):  # group 1 is no group of the rule, whatever the alternation around it has
        Matcher([("ab", "(?(1)a|b)b"), ("ab", "ab")]).spans("ab", [(0, 2)])


def test_accept_takes_an_entry_of_another_glossary() -> None:
    from workflow.glossary.terms import Entry, Glossary, load

    ours = load(REPO / "glossary")
    [entry] = [e for e in ours.entries if e.zh == "OpenStack"] or [Entry(zh="OpenStack", en="OpenStack", kind="name")]
    other = Glossary([e for e in ours.entries if e.zh != entry.zh][:5])
    assert other.accept("OpenStack", 0, 9, entry) == ours.accept("OpenStack", 0, 9, entry)


@settings(deadline=None)  # the first example loads the segmenter
@given(st.lists(st.sampled_from(["安全组", "织", "镜像服务器", "云", "计算", "a", " ", "，", "OpenStack", "标准化", "私有云",
                                 "测试环境", "云存储系统", "的"]), max_size=10))
def test_at_edges_shortcut_for_a_match_inside_one_run_is_the_edge_by_edge_rule(parts: list[str]) -> None:
    from workflow.glossary.terms import load

    glossary = load(REPO / "glossary")
    words = glossary.boundaries()
    text = "".join(parts)

    def edge_by_edge(start: int, end: int) -> bool:  # the rule as `at_edges` documents it, one edge at a time
        for edge in (start, end):
            first, last = words.word_across(text, edge)
            if (first, last) == (edge, edge):
                continue
            outside = [p for p in (text[first:start], text[end:last]) if p]
            if not all(len(p) >= 2 and (glossary.lookup(p) is not None or words.is_word(p)) for p in outside):
                return False
        return True

    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            assert words.at_edges(text, start, end, lambda zh: glossary.lookup(zh) is not None) == edge_by_edge(start, end)


def test_a_glossary_s_literal_chinese_rules_stand_for_their_own_entry() -> None:
    from workflow.glossary.terms import _anchor, load

    glossary = load(REPO / "glossary")
    shortcuts = [e for e in glossary._rule_entries if e is not None]
    assert len(shortcuts) > 100  # most of the real glossary: its Chinese terms
    assert all(glossary.lookup(_anchor(e)) is e and glossary.match(e.zh)[0].entry is e for e in shortcuts)


@given(st.lists(st.sampled_from(["云", "计算", "安全组", "a", " ", "。", "𠀀", "OpenStack"]), max_size=300),
       st.integers(min_value=0))
def test_a_run_s_start_searched_back_in_windows_is_the_last_non_chinese_before_it(parts: list[str], cut: int) -> None:
    from workflow.glossary.words import _NOT_HAN, _run_start

    text = "".join(parts)
    end = cut % (len(text) + 1)
    before = _NOT_HAN.search(text[::-1], len(text) - end)  # the whole text reversed, as before the windows
    assert _run_start(text, end) == (len(text) - before.start() if before is not None else 0)
