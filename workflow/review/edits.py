"""An edited English body against the recorded segments: which record owns each paragraph now.

Pure functions over strings and records; `review` drives them. The algorithm:

1. *Expected parts.* Each body record's `final` is split into the segments it renders
   as (`segment_body(final)`): one part for an ordinary segment, several for a record
   that already holds an editor's split or addition, none for a deleted one.
2. *Anchors.* The expected parts and the English segments are matched as sequences of
   (kind, exact text) with difflib. Equal runs are unchanged paragraphs; they anchor
   everything else.
3. *Regions* between anchors are decided on their own, and only when the decision is
   certain:
   - no English left: the parts were deleted;
   - one record in the region: everything the editor wrote there belongs to it
     (text between two unchanged neighbours translates the Chinese between them);
   - as many English segments as parts, kinds equal pair by pair: position decides
     (in-place edits, however heavy), unless a segment clearly belongs to another
     record of the region (a shift), which sends the region to the next rule;
   - when only one way keeps the kinds in order (a deleted paragraph next to an edited
     heading), that way;
   - otherwise each English segment goes to the record whose final or machine text
     covers most of its words (runs of two words or more). A segment covered by two
     neighbours together is a merge (the record covering more keeps it, the other is emptied);
     a segment covered by none is an editor's addition, attached to its neighbour in
     the region. Owners must keep their order.
   Anything else (a tie, reordered paragraphs, too large a region) is an unaligned
   edit: `Unaligned` names the English line and nothing is attached anywhere.
4. *Finals.* A record whose English segments changed gets as final their text, joined
   by the separators the editor wrote (container prefixes removed), so rendering the
   record in the Chinese markup gives back the editor's text: a split stays a split, an
   addition stays after its paragraph, a deletion is an empty final.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from workflow.review.additions import Unaligned, added_flags, new_afters, split_after
from workflow.review.evidence import CoverIndex, coverage, english_scale, expected_length, length_reading, names
from workflow.store.memory import Record
from workflow.text.segment import Segment, segment_body

__all__ = ["Attribution", "Part", "Unaligned", "attribute", "coverage", "split_final"]

OWNED = 0.35  # below this share of its words found in a record, an English segment is an addition
MARGIN = 0.15  # the best record must beat the second by this much
SHIFT = 0.3  # positional pairing yields when another record covers a segment this much better
MERGE_EACH, MERGE_BOTH = 0.25, 0.7  # a merge: two neighbours cover this much each, this much together
MAX_PAIRS = 2500  # records x segments compared in one region at most
WINDOW = 3  # positional pairing looks this many records away for a shift



_LIST_MARKER = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")


@dataclass(frozen=True)
class Part:
    """A segment the English should hold for a record, as its final text renders."""

    owner: int  # index into the body records
    kind: str
    text: str
    extra: bool = False  # from the record's `after` (an editor's new list item or table row)


@dataclass(frozen=True)
class Attribution:
    finals: dict[int, str]  # body record index -> new final (only records whose English changed)
    owners: tuple[int, ...]  # for each English segment, the record that owns it
    afters: dict[int, str] = field(default_factory=dict)  # body record index -> new `after` (where it changed)
    extras: tuple[bool, ...] = ()  # for each English segment: part of its owner's `after`


def split_final(kind: str, final: str) -> list[tuple[str, str]]:
    """(kind, text) of the segments a record's final renders as; none for an empty final."""
    if not final.strip():
        return []
    if "\n" not in final:
        return [(kind, final)]  # one line is one segment ("1. x" in a heading is no list)
    found = segment_body(final)
    if not found:
        return [(kind, final)]
    return [(kind if s.kind == "paragraph" else s.kind, s.source) for s in found]


def expected_parts(records: Sequence[Record]) -> list[Part]:
    parts = []
    for i, r in enumerate(records):
        parts += [Part(i, kind, text) for kind, text in split_final(r.kind, r.final)]
        parts += [Part(i, kind, text, True) for kind, text in split_after(r.kind, r.after)]
    return parts


def attribute(records: Sequence[Record], body: str, english: Sequence[Segment] | None = None, *,
              trust_position: bool = False) -> Attribution:
    """Attribute every English segment of `body` to a body record; raise `Unaligned` when unsure.

    `trust_position`: a hand translation adopted by `translate --force` pairs by position in the
    Chinese structure (there is no earlier English to compare with)."""
    segments = list(english if english is not None else segment_body(body))
    parts = expected_parts(records)
    owners: list[int | None] = [None] * len(segments)
    extras: list[bool | None] = [None] * len(segments)  # known for anchored segments: their part's
    anchored: set[int] = set()
    matcher = difflib.SequenceMatcher(None, [(family(p.kind), p.text) for p in parts],
                                      [(family(s.kind), s.source) for s in segments], autojunk=False)
    written = [(r.source, r.final) for r in records if r.human and r.final.strip() and r.final != r.source]
    scale = english_scale(written) if len(written) >= 3 else -1.0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                owners[j1 + k] = parts[i1 + k].owner
                extras[j1 + k] = parts[i1 + k].extra
            anchored.update(range(j1, j2))
            continue
        before = parts[i1 - 1].owner if i1 > 0 else -1
        after = parts[i2].owner if i2 < len(parts) else len(records)
        region = _Region(records, parts[i1:i2], segments[j1:j2], before, after, scale, trust_position)
        for k, owner in enumerate(region.decide()):
            owners[j1 + k] = owner
    final_owners = tuple(o for o in owners if o is not None)
    assert len(final_owners) == len(segments)
    _check_order(final_owners, segments)
    _check_moved(records, segments, final_owners, anchored)
    flags = added_flags(records, segments, final_owners, extras, body)
    finals, afters = _finals(records, parts, segments, final_owners, flags, body)
    return Attribution(finals, final_owners, afters, tuple(flags))


def _check_order(owners: Sequence[int], segments: Sequence[Segment]) -> None:
    for k in range(1, len(owners)):
        if owners[k] < owners[k - 1]:
            raise Unaligned("this paragraph was moved before an earlier one; the English must keep the order "
                            "of the Chinese. Move it back, or move it in the Chinese source", segments[k])


def _check_moved(records: Sequence[Record], segments: Sequence[Segment], owners: Sequence[int],
                 anchored: set[int]) -> None:
    """A changed paragraph must not resemble another record much more than its own (a moved paragraph).

    Only the records that share enough word pairs with it are compared (`CoverIndex`): the
    cost grows with the changed paragraphs, not with changed paragraphs x records."""
    changed = [j for j in range(len(segments)) if j not in anchored]
    if not changed:
        return
    index = CoverIndex([(r.final, r.machine) for r in records])
    for j in changed:
        segment = segments[j]
        own = record_cover(records[owners[j]], segment.source)
        for other in sorted(index.candidates(segment.source, OWNED + MARGIN) - {owners[j]}):
            record = records[other]
            if (c := record_cover(record, segment.source)) >= OWNED + MARGIN and c >= own + SHIFT:
                raise Unaligned(f"this paragraph looks moved: it matches the segment of Chinese line {record.line} "
                                "better than the one at its place. The English must keep the order of the Chinese; "
                                "move it back, or move it in the Chinese source", segment)


def record_cover(record: Record, text: str) -> float:
    return max(coverage(record.final, text), coverage(record.machine, text))


class _Region:
    """Parts and English segments between two anchors, with the records that may own them."""

    def __init__(self, records: Sequence[Record], parts: Sequence[Part], segments: Sequence[Segment],
                 before: int, after: int, scale: float = -1.0, trust_position: bool = False) -> None:
        self.records = records
        self.parts = parts
        self.segments = segments
        self.before, self.after = before, after
        self.scale = scale  # the document's English length per expected length; -1 when unknown
        self.trust_position = trust_position
        inside = {p.owner for p in parts} | set(range(before + 1, after))
        self.candidates = sorted(o for o in inside if 0 <= o < len(records))

    def decide(self) -> list[int]:
        if not self.segments:
            return []
        if len(self.candidates) == 1:
            return self._one_candidate(self.candidates[0])
        if not self.candidates:
            return self._attach_outside()
        if self._pairs_by_position():
            return [p.owner for p in self.parts]
        by_kind = self._by_kinds()
        return by_kind if by_kind is not None else self._by_similarity()

    def _one_candidate(self, owner: int) -> list[int]:
        """All the English between two anchors translates the one record there, unless that record
        was deleted: then English that does not resemble it may as well be an editor's addition."""
        if any(p.owner == owner for p in self.parts):
            return [owner] * len(self.segments)
        record = self.records[owner]
        if all(self._cover(owner, s) >= OWNED for s in self.segments):
            return [owner] * len(self.segments)  # its English is back
        if all(family(s.kind) != family(record.kind) for s in self.segments):
            return self._attach_outside()  # a quote or note where a paragraph was deleted
        raise Unaligned(f"this paragraph stands where the deleted segment of Chinese line {record.line} was, and "
                        "does not resemble its machine English: cannot tell its translation from an added "
                        "paragraph. To restore that segment, paste its machine English back (`workflow review "
                        "--show` lists it), review, then edit; to add a note, write it as a quote (`> Note: …`)",
                        self.segments[0])

    def _attach_outside(self) -> list[int]:
        """Editor's additions between two records: after the preceding one, else before the following one.

        Additions of the record's own kind, or quotes after an ordinary paragraph (a translator's
        note): `review` then checks that the records render as the editor's file, byte for byte."""
        kinds = {s.kind for s in self.segments}
        for owner in (self.before, self.after):
            if 0 <= owner < len(self.records):
                record = self.records[owner]
                if owner == self.before and record.kind == "table-cell" and kinds == {"table-cell"}:
                    return [owner] * len(self.segments)  # a new row: its `after`, if it starts a row (_added)
                if _single_line(record.kind):
                    continue
                if {record.kind} == kinds or (record.kind == "paragraph" and kinds <= {"paragraph", "blockquote"}):
                    return [owner] * len(self.segments)
        if kinds == {"table-cell"}:
            raise Unaligned("a new table row (or cell) cannot be recorded: every cell translates a cell of the "
                            "Chinese. Add the row to the Chinese source", self.segments[0])
        raise Unaligned("this added text has no neighbouring paragraph of the same kind to attach to; "
                        "add it to the Chinese source instead", self.segments[0])

    def _pairs_by_position(self) -> bool:
        if len(self.parts) != len(self.segments):
            return False
        if any(family(p.kind) != family(s.kind) for p, s in zip(self.parts, self.segments)):
            return False
        for k, (part, segment) in enumerate(zip(self.parts, self.segments)):
            near = [p.owner for p in self.parts[max(0, k - WINDOW):k + WINDOW + 1] if p.owner != part.owner]
            own = self._cover(part.owner, segment)
            if any((c := self._cover(o, segment)) >= OWNED + MARGIN and c >= own + SHIFT for o in set(near)):
                return False
        self._refuse_unsupported_positions()
        return True

    def _refuse_unsupported_positions(self) -> None:
        """Position is evidence where paragraphs resemble their records' English or keep a name or
        number of their own Chinese, and for one paragraph between two such (as between two
        anchors). A longer run of paragraphs with no evidence (a translation typed over a copy
        draft) pairs by position only when lengths clearly agree: a deleted paragraph next to
        one split in two gives as many paragraphs as before."""
        owners = {p.owner for p in self.parts}
        if len(owners) < 2:
            return
        own_names = {o: names(self.records[o].source) for o in owners}
        every = set().union(*own_names.values())
        blind = []
        for part, segment in zip(self.parts, self.segments):
            if self._cover(part.owner, segment) >= OWNED:
                blind.append(False)
                continue
            found = names(segment.source)
            mine, foreign = found & own_names[part.owner], found & (every - own_names[part.owner])
            if foreign and not mine and not self.trust_position:
                raise Unaligned("this paragraph resembles none of the recorded segments and holds a name or number "
                                "of a neighbouring segment's Chinese, not of its own: cannot tell which paragraph it "
                                "translates. Review in smaller steps: record a deletion or split first, then rewrite",
                                segment)
            blind.append(not mine)
        k = 0
        while k < len(blind):
            end = k
            while end < len(blind) and blind[end]:
                end += 1
            if end > k:
                self._check_lengths(k, end)
            k = end + 1

    def _check_lengths(self, start: int, end: int) -> None:
        """A run of paragraphs with no evidence but their place: lengths must clearly agree."""
        parts, segments = self.parts[start:end], self.segments[start:end]
        owners = sorted({p.owner for p in parts})
        if len(owners) < 2 or self.trust_position:
            return
        share = {o: sum(1 for p in self.parts if p.owner == o) for o in owners}
        expected = [expected_length(self.records[p.owner].source) / share[p.owner] for p in parts]
        english = [s.source for s in segments]
        scale = self.scale
        if scale <= 0 and len(parts) >= 4:  # no English of this document's editors to learn from
            ratios = sorted(len(e) / w for e, w in zip(english, expected))
            scale = ratios[len(ratios) // 2]
        if length_reading(expected, english, scale, ([family(p.kind) for p in parts], [family(s.kind) for s in segments])):
            return
        raise Unaligned(f"{len(segments)} paragraphs here resemble none of their recorded segments, and neither "
                        "names nor lengths show which Chinese paragraph each one translates (a paragraph deleted "
                        "next to one split in two reads the same). Review in smaller steps: rewrite fewer paragraphs "
                        "between reviews, or record a deletion or split first", segments[0])

    def _by_kinds(self) -> list[int] | None:
        """The one way to keep the kinds in order (a paragraph deleted next to an edited heading), if unique."""
        short, long = ([family(p.kind) for p in self.parts], [family(s.kind) for s in self.segments])
        flipped = len(short) > len(long)
        if flipped:
            short, long = long, short
        embedding = _unique_embedding(short, long)
        if embedding is None:
            return None
        if flipped:  # parts were deleted: segment k is part embedding[k]
            return [self.parts[i].owner for i in embedding]
        chosen: list[int | None] = [None] * len(self.segments)  # segments were added
        for part, j in zip(self.parts, embedding):
            chosen[j] = part.owner
        return self._attach(chosen)

    def _by_similarity(self) -> list[int]:
        if len(self.candidates) * len(self.segments) > MAX_PAIRS:
            raise Unaligned("too many paragraphs changed at once to tell them apart; review in smaller steps",
                            self.segments[0])
        chosen: list[int | None] = []
        merged: set[int] = set()
        for segment in self.segments:
            cover = {o: self._cover(o, segment) for o in self.candidates}
            ranked = sorted(cover.items(), key=lambda kv: -kv[1])
            (best, top), second = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0.0)
            pair = self._merge(cover)
            if pair is not None:
                chosen.append(pair[0])
                merged.add(pair[1])
            elif top < OWNED:
                chosen.append(None)  # an addition
            elif top - second < MARGIN:
                raise Unaligned("this paragraph resembles two recorded segments equally; cannot tell which one "
                                "the editor changed. Review in smaller steps", segment)
            else:
                chosen.append(best)
        if any(o in merged for o in chosen):
            raise Unaligned("a paragraph was merged into its neighbour and also edited on its own; "
                            "review in smaller steps", self.segments[0])
        if any(o is not None for o in chosen):  # (with none known, _attach refuses in its own words)
            self._refuse_rewrite_or_replace(chosen, merged)
        return self._attach(chosen)

    def _refuse_rewrite_or_replace(self, chosen: list[int | None], merged: set[int]) -> None:
        """An unrecognised paragraph where a recorded one lost its text: a rewrite, or a deletion plus an addition?"""
        kept = {o for o in chosen if o is not None} | merged
        lost = [c for c in self.candidates if c not in kept]
        for k, owner in enumerate(chosen):
            if owner is not None:
                continue
            before = max((o for o in chosen[:k] if o is not None), default=self.before)
            after = min((o for o in chosen[k + 1:] if o is not None), default=self.after)
            if any(before < c < after for c in lost):
                raise Unaligned("this paragraph resembles no recorded segment and stands where one lost its text: "
                                "cannot tell a rewrite from a deletion plus an addition. Review in smaller steps "
                                "(delete or add paragraphs, review, then rewrite)", self.segments[k])

    def _merge(self, cover: dict[int, float]) -> tuple[int, int] | None:
        for first, second in zip(self.candidates, self.candidates[1:]):
            a, b = cover[first], cover[second]
            if a >= MERGE_EACH and b >= MERGE_EACH and a + b >= MERGE_BOTH and max(a, b) < 1 - MERGE_EACH:
                return (first, second) if a >= b else (second, first)
        return None

    def _attach(self, chosen: list[int | None]) -> list[int]:
        known = [o for o in chosen if o is not None]
        if not known:
            raise Unaligned("the English here no longer resembles the recorded segments; cannot tell which "
                            "paragraph is which. Review in smaller steps", self.segments[0])
        out: list[int] = []
        for k, owner in enumerate(chosen):
            if owner is None:
                later = [o for o in chosen[k:] if o is not None]
                owner = out[-1] if out else later[0]
            out.append(owner)
        return out

    def _cover(self, owner: int, segment: Segment) -> float:
        record = self.records[owner]
        own = "\n\n".join(p.text for p in self.parts if p.owner == owner) or record.final
        return max(coverage(own, segment.source), coverage(record.machine, segment.source))


def _unique_embedding(short: Sequence[str], long: Sequence[str]) -> list[int] | None:
    """Positions of `short` as a subsequence of `long`, when there is exactly one way."""
    if not short or len(short) == len(long):
        return None
    # ways[i][j]: embeddings of short[i:] into long[j:]
    ways = [[0] * (len(long) + 1) for _ in range(len(short) + 1)]
    for j in range(len(long) + 1):
        ways[len(short)][j] = 1
    for i in range(len(short) - 1, -1, -1):
        for j in range(len(long) - 1, -1, -1):
            ways[i][j] = min(2, ways[i][j + 1] + (ways[i + 1][j + 1] if short[i] == long[j] else 0))
    if ways[0][0] != 1:
        return None
    found, j = [], 0
    for i in range(len(short)):
        while not (short[i] == long[j] and ways[i + 1][j + 1] == 1):
            j += 1
        found.append(j)
        j += 1
    return found


def family(kind: str) -> str:
    """Kinds that one segment may change between by an editor's markup override (a heading's level)."""
    return "heading" if kind.startswith("heading") else kind


def _single_line(kind: str) -> bool:
    return kind == "table-cell" or kind.startswith(("heading", "code-"))  # a code comment's text is one line


def _finals(records: Sequence[Record], parts: Sequence[Part], segments: Sequence[Segment], owners: Sequence[int],
            flags: Sequence[bool], body: str) -> tuple[dict[int, str], dict[int, str]]:
    mine: dict[int, list[Segment]] = defaultdict(list)
    added: dict[int, list[Segment]] = defaultdict(list)
    for segment, owner, flag in zip(segments, owners, flags):
        (added if flag else mine)[owner].append(segment)
    expected: dict[int, list[str]] = defaultdict(list)
    for part in parts:
        if not part.extra:
            expected[part.owner].append(part.text)
    finals: dict[int, str] = {}
    for index in sorted(set(mine) | set(expected) | {i for i, r in enumerate(records) if r.final.strip()}):
        found = mine.get(index, [])
        if [s.source for s in found] == expected.get(index, []):
            continue
        if len(found) > 1 and _single_line(records[index].kind):
            raise Unaligned("a heading or table cell cannot hold a second paragraph: this one was added next "
                            "to an edited heading. Review in smaller steps (the addition, then the edit)", found[1])
        finals[index] = group_text(body, found) if found else ""
    return finals, new_afters(records, mine, added, body)


def group_text(body: str, segments: Sequence[Segment]) -> str:
    """The final that renders as `segments` of `body`: their texts, the editor's separators between them."""
    first = segments[0]
    line_start = body.rfind("\n", 0, first.start) + 1
    container = "".join(ch if ch in "> \t" else " " for ch in body[line_start:first.start])
    out = [first.source]
    for a, b in zip(segments, segments[1:]):
        lines = body[a.pieces[-1].end:b.start].split("\n")
        rest, middle, prefix = lines[0], lines[1:-1], lines[-1]
        if rest.strip(" \t#"):
            raise Unaligned("cannot record this edit: text after the end of the previous paragraph", b)
        kept = [_strip(line, container, b) for line in middle]
        out.append("\n" + "".join(line + "\n" for line in kept) + _strip(prefix, container, b) + b.source)
    return "".join(out)


def _strip(line: str, container: str, segment: Segment) -> str:
    if line.startswith(container):
        return line[len(container):]
    if not line.strip(" \t>") and line.rstrip() == container.rstrip():
        return ""
    if _LIST_MARKER.match(line.lstrip(" >")):
        raise Unaligned("a new list item is recorded only after an item of the same list (as that item's "
                        "addition); this one comes before the list's first item, or at another depth than the item "
                        "before it (after a nested list, say). Move it after an item of its own depth, or add it to "
                        "the Chinese source", segment)
    raise Unaligned("cannot record this edit: it leaves the list item or quote of the paragraph it belongs "
                    "to. Keep the indentation, or make the structural change in the Chinese source", segment)
