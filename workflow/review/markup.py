"""An editor's overrides of what the Chinese gives: markup, and glossary-mapped front matter.

*Markup*: a heading's level or a list item's marker changed in the English.

The English is the Chinese markup with each record's final in it, so a changed `## ` or `- `
cannot be written as a final. It is recorded as the record's `markup` (what stands before
the block's first line in the English), which `document.assemble.body` puts in place of the
Chinese's markers; it stays when the Chinese changes, since it belongs to the record. Only
marker changes count: the container structure (quote depth, a list or none, a heading or
none) must stay, or it is a structural change `review` refuses.

*Front-matter terms*: `tags` and `categories` are mapped through the glossary, not translated;
an editor's own English for one of their values is kept in memory's header
(`front_matter_terms`) and used in place of the glossary's, for that Chinese value.

*Front-matter lists*: a tag or category the editor added or removed is an override of the list
(`front_matter_lists`): the Chinese values removed, and each added English value with the
Chinese value it follows. It is applied to whatever the Chinese list is later, so a removed
value stays removed and an added one stays after its Chinese neighbour (at the end once that
neighbour is gone), while new Chinese values come in through the glossary.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Mapping, Sequence

from workflow.config import FrontMatterPolicy
from workflow.document.assemble import line_prefix, through_glossary
from workflow.glossary.terms import Glossary
from workflow.store.memory import Record
from workflow.text.code import CODE_KINDS
from workflow.text.segment import Segment

_MARKERS = re.compile(r"(?P<quote>[ \t>]*)(?P<list>(?:[-+*]|\d{1,9}[.)])[ \t]+)?(?P<heading>#{1,6}[ \t]+)?")


def _shape(prefix: str) -> tuple[int, bool, bool] | None:
    m = _MARKERS.fullmatch(prefix)
    if m is None:
        return None
    return m.group("quote").count(">"), m.group("list") is not None, m.group("heading") is not None


def overrides(records: Sequence[Record], chinese_body: str, chinese: Sequence[Segment], english_body: str,
              english: Sequence[Segment], owners: Sequence[int]) -> dict[int, str]:
    """Body record index -> its new `markup`, for records whose English markers differ from memory's."""
    first: dict[int, Segment] = {}
    for segment, owner in zip(english, owners):
        first.setdefault(owner, segment)
    changed: dict[int, str] = {}
    for index, segment in first.items():
        if index >= len(chinese) or not chinese[index].pieces or chinese[index].kind in CODE_KINDS:
            continue  # a code comment's marker is code: changing it is refused, not an override
        theirs = line_prefix(chinese_body, chinese[index].pieces[0].start)
        mine = line_prefix(english_body, segment.start)
        wanted = "" if mine == theirs else mine
        if wanted == records[index].markup:
            continue
        shape_mine, shape_theirs = _shape(mine), _shape(theirs)
        if shape_mine is not None and shape_mine == shape_theirs and (shape_mine[1] or shape_mine[2]):
            changed[index] = wanted
    return changed


def front_matter_terms(policy: FrontMatterPolicy, chinese: Mapping[str, Any], english: Mapping[str, Any],
                       glossary: Glossary, old: Mapping[str, Mapping[str, str]],
                       old_lists: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict[str, str]]:
    """The editors' English for the values of glossary-mapped keys (`tags`, `categories`): per key, the
    Chinese value -> the English the editor wrote where it differs from the glossary's. A list is
    diffed against the English the tool wrote (`list_edit`), so an override belongs to its Chinese
    term and survives other tags being added or removed."""
    terms = {key: dict(values) for key, values in old.items()}
    for key, zh_value in chinese.items():
        if policy.action(key) != "glossary" or key not in english:
            continue
        en_value = english[key]
        if isinstance(zh_value, list) and isinstance(en_value, list):
            pairs = list_edit(key, zh_value, en_value, glossary, old.get(key, {}), (old_lists or {}).get(key, {}))[0]
        elif isinstance(zh_value, str) and isinstance(en_value, str):
            pairs = [(zh_value, en_value)]
        else:
            continue  # another shape: the front-matter check refuses it with its line
        own = terms.setdefault(key, {})
        for zh, en in pairs:
            if isinstance(zh, str) and isinstance(en, str):
                if en == through_glossary(zh, glossary):
                    own.pop(zh, None)
                else:
                    own[zh] = en
        if not own:
            del terms[key]
    return terms


class ListEditUnclear(ValueError):
    """Items of a glossary-mapped list were changed and added (or removed) in one place: which is which?"""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _written(zh: list[Any], mapped: list[Any], override: Mapping[str, Any]) -> list[tuple[Any, bool, Any]]:
    """The English the tool wrote for a list (`apply_list`), each item as (English, from a Chinese value?,
    that Chinese value, or the one an added item follows: "" at the start)."""
    removed = override.get("removed", []) if isinstance(override.get("removed"), list) else []
    added = [a for a in override.get("added", []) if isinstance(a, list) and len(a) == 2] \
        if isinstance(override.get("added"), list) else []
    out: list[tuple[Any, bool, Any]] = [(en, False, "") for after, en in added if after == ""]
    for value, en in zip(zh, mapped):
        if value not in removed:
            out.append((en, True, value))
        out += [(new, False, value) for after, new in added if after == value and after != ""]
    return out + [(new, False, after) for after, new in added if after != "" and after not in zh]


def list_edit(key: str, zh: list[Any], en: list[Any], glossary: Glossary, own: Mapping[str, str],
              override: Mapping[str, Any]) -> tuple[list[tuple[Any, Any]], dict[str, Any] | None]:
    """The editor's English of a glossary-mapped list diffed against what the tool wrote (the Chinese
    through the glossary and `own`, with the old `override`): the (Chinese, English) pairs of the items
    kept or edited in place, and the list's new override (None: no item added or removed). Positions
    are never paired blindly: any insert or delete is an addition or removal, whatever the lengths.
    Raises `ListEditUnclear` where items were edited and added or removed at one place."""
    written = _written(zh, [through_glossary(v, glossary, own) for v in zh], override)
    old_removed = override.get("removed", []) if isinstance(override.get("removed"), list) else []
    removed: list[Any] = [v for v in zh if v in old_removed]
    added: list[list[Any]] = []
    pairs: list[tuple[Any, Any]] = []
    matcher = difflib.SequenceMatcher(None, [repr(w[0]) for w in written], [repr(v) for v in en], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and i2 - i1 != j2 - j1:
            raise ListEditUnclear(key)
        if tag == "insert":
            anchor = written[i1 - 1][2] if i1 > 0 else ""
            added += [[anchor, value] for value in en[j1:j2]]
        for (_, chinese, value), new in zip(written[i1:i2], en[j1:j2] if tag != "delete" else [None] * (i2 - i1)):
            if tag == "delete":
                removed += [value] if chinese else []
            elif chinese:
                pairs.append((value, new))
            else:
                added.append([value, new])
    return pairs, ({"added": added, "removed": removed} if added or removed else None)


def front_matter_lists(policy: FrontMatterPolicy, chinese: Mapping[str, Any], english: Mapping[str, Any],
                       glossary: Glossary, terms: Mapping[str, Mapping[str, str]],
                       old_lists: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Per glossary-mapped list key whose English adds or removes items, against the Chinese list:
    {"removed": [Chinese values], "added": [[the Chinese value it follows, or "" at the start; its
    English]]}. `terms` and `old_lists` are memory's (what the tool wrote). Raises `ListEditUnclear`
    where items were edited and added or removed at one place (review that in two steps)."""
    lists: dict[str, dict[str, Any]] = {}
    for key, zh in chinese.items():
        en = english.get(key)
        if policy.action(key) != "glossary" or not isinstance(zh, list) or not isinstance(en, list):
            continue
        override = list_edit(key, zh, en, glossary, terms.get(key, {}), (old_lists or {}).get(key, {}))[1]
        if override is not None:
            lists[key] = override
    return lists
