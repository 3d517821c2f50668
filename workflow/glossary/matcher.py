"""Longest-leftmost matching of many rules at once: an Aho-Corasick prefilter, then each rule.

Each rule is a compiled regular expression and its *anchor*: the literal text every
match of the rule starts with (case-folded). One pass of an Aho-Corasick automaton over
the case-folded text finds every position where some anchor occurs; only there are the
rules whose anchor it is tried, in the order given (the first rule that matches at a
position wins, as in one regular-expression alternation of all the rules, which this
replaces). The cost grows with the text and the number of candidate positions, not with
the number of rules: 657 glossary entries as one alternation made the regex engine try
every branch at every character. The automaton is ahocorasick_rs (the Rust `aho-corasick`
crate): one call returns every occurrence in a text, in 0.4x the time pyahocorasick's
iterator took (bench/bench_automaton.py).

Results are those of `re.compile("|".join(rules)).finditer(text, start, end)`: scanning
left to right, a match consumes its text and the scan continues after it.
"""

from __future__ import annotations

import bisect
import re
from typing import Sequence

import ahocorasick_rs

from workflow.text.chars import is_han

try:  # the extra case equivalences of `re` (ı ~ i, ſ ~ s, µ ~ μ, ...): private, hence optional
    from re._casefix import _EXTRA_CASES as EXTRA_CASES  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - another Python
    EXTRA_CASES = {}


class _CaseFold(dict[int, str]):
    """A `str.translate` table: each character to one representative of its case class, one for one
    (so offsets stay valid), filled as characters are met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        lower = char.lower() if len(char.lower()) == 1 else char
        if code == 0x130:  # İ: `re` lowercases it to i
            lower = "i"
        kin = [chr(c) for c in EXTRA_CASES.get(ord(lower), ())]
        folded = min([lower, *kin])
        self[code] = folded
        return folded


CASE_FOLD = _CaseFold()
# The lower-case characters a kin of smaller code point represents (ſ -> s, ı -> i, σ -> ς, ...): the
# only ones where CASE_FOLD differs from `str.lower` of a string whose length lowering keeps.
_SPECIAL = re.compile("[" + "".join(re.escape(chr(code)) for code, kin in sorted(EXTRA_CASES.items())
                                    if min(kin) < code) + "]" if any(min(k) < c for c, k in EXTRA_CASES.items())
                      else "(?!)")


def case_fold(text: str) -> str:
    """`text` with each character replaced by the representative of its case class (same length)."""
    # str.lower runs in C; `translate` with a dict looks each character up in Python's table. They
    # agree unless a character lowers to two (İ: the length tells) or to one that has a smaller kin.
    lowered = text.lower()
    if len(lowered) == len(text) and _SPECIAL.search(lowered) is None:
        return lowered
    return text.translate(CASE_FOLD)


class Matcher:
    """Rules tried only where their anchor occurs; `spans` gives (start, end, rule index)."""

    def __init__(self, rules: Sequence[tuple[str, str]]) -> None:
        """`rules`: (anchor, regular expression), compiled the first time they are tried."""
        self._sources = [pattern for _, pattern in rules]
        self._rules: list[re.Pattern[str] | None] = [None] * len(rules)
        self._either: dict[tuple[int, ...], re.Pattern[str] | None] = {}  # rules sharing a start, as one
        # A rule that is its anchor, all Chinese (no case, no spacing, no look-around): where the
        # automaton finds the anchor, the rule matches; its regular expression is never run.
        self._literal = [len(anchor) if pattern == re.escape(anchor) and all(map(is_han, anchor)) else 0
                         for anchor, pattern in rules]
        by_anchor: dict[str, list[int]] = {}
        for index, (anchor, _) in enumerate(rules):
            if not anchor:
                raise ValueError(f"rule {index} has an empty anchor")
            by_anchor.setdefault(case_fold(anchor), []).append(index)
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        self._anchor_rules = [tuple(indices) for indices in by_anchor.values()]  # by the anchor's number
        if by_anchor:
            # overlapping: every occurrence of every anchor (two anchors may start at one position)
            self._automaton = ahocorasick_rs.AhoCorasick(list(by_anchor), matchkind=ahocorasick_rs.MatchKind.Standard)

    @property
    def literals(self) -> tuple[int, ...]:
        """Per rule: the length of its anchor when the rule is that literal Chinese text (no regular
        expression is run for it), else 0."""
        return tuple(self._literal)

    def candidates(self, text: str) -> dict[int, tuple[int, ...]]:
        """Start position -> indices of the rules whose anchor occurs there, in rule order."""
        if self._automaton is None:
            return {}
        rules = self._anchor_rules
        found = self._automaton.find_matches_as_indexes(case_fold(text), overlapping=True)  # (anchor, start, end)
        starts = {start: rules[anchor] for anchor, start, _ in found}
        if len(starts) < len(found):  # two anchors starting at one position (安全, 安全组): their rules merged
            starts = {}
            for anchor, start, _ in found:
                known = starts.get(start)
                starts[start] = rules[anchor] if known is None else tuple(sorted(known + rules[anchor]))
        return starts

    def spans(self, text: str, stretches: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
        """Non-overlapping leftmost matches inside each [start, end) stretch (in order, not overlapping)."""
        starts = self.candidates(text)
        if not starts:
            return []
        positions = sorted(starts)
        found: list[tuple[int, int, int]] = []
        literals = self._literal
        whole = len(stretches) == 1 and stretches[0] == (0, len(text))
        for start, end in stretches:
            cursor = start
            inside = positions if whole else positions[bisect.bisect_left(positions, start) if start else 0:
                                                        bisect.bisect_left(positions, end)]
            for position in inside:
                if position < cursor:
                    continue
                indices = starts[position]
                if len(indices) > 1:  # several rules: the first that matches, in one call of their alternation
                    if indices not in self._either:
                        self._either[indices] = self._alternation(indices)
                    either = self._either[indices]
                    if either is not None:
                        match = either.match(text, position, end)
                        if match is not None and match.lastindex is not None:
                            stop = match.end()
                            found.append((position, stop, indices[match.lastindex - 1]))
                            cursor = stop
                        continue
                for index in indices:
                    literal = literals[index]
                    if literal:
                        stop = position + literal
                        if stop > end:
                            continue
                    else:
                        match = self.accept(text, index, position, end)
                        if match is None:
                            continue
                        stop = match.end()
                    found.append((position, stop, index))
                    cursor = stop
                    break
        return found

    def _alternation(self, indices: tuple[int, ...]) -> re.Pattern[str] | None:
        """Rules `indices` as one regular expression whose group k is rule k's whole match: tried in
        order, the first that matches wins, as in a loop over them. None when a rule has groups of
        its own (they would shift the numbering, or clash) or cannot stand inside an alternation
        (a global flag such as `(?i)`): then the rules are tried one by one, each compiled alone."""
        for index in indices:  # alone first: a rule that is no regular expression fails as it would alone
            rule = self._rules[index]
            if rule is None:
                rule = self._rules[index] = re.compile(self._sources[index])
            if rule.groups:
                return None
        try:
            return re.compile("|".join(f"((?:{self._sources[index]}))" for index in indices))
        except re.error:
            return None

    def accept(self, text: str, index: int, position: int, end: int) -> re.Match[str] | None:
        """The one per-match rule: does rule `index` match `text` at `position` (not beyond `end`)?"""
        rule = self._rules[index]
        if rule is None:
            rule = self._rules[index] = re.compile(self._sources[index])
        return rule.match(text, position, end)
