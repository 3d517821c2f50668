"""The one table of Chinese characters: which code points are Han, which are CJK punctuation.

Every rule that asks "is this Chinese?" reads it: sentences that need the engine, the
"Chinese left in the English" findings, glossary matching and lint, edit attribution,
URL ends, the pseudo engine, the plausibility of a decoded file. Before this table the
rules disagreed: only sentences counted the ideographs above U+20000 (CJK Extensions
B to F), so the English check missed a Chinese character that translate had seen.
"""

from __future__ import annotations

import re

# Han ideographs: CJK Extension A, the Unified Ideographs, the Compatibility Ideographs,
# and the Supplementary Ideographic Plane (Extensions B-F and its compatibility supplement).
HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
HAN = re.compile(f"[{HAN_RANGES}]")

# Full-width punctuation and forms around Chinese text.
CJK_PUNCTUATION = "\u3000-\u303f"  # ideographic space, 、。〈〉《》「」 ...
FULLWIDTH = "\uff00-\uffef"  # ，！？（）： and full-width Latin
# Everything written in a CJK script (radicals, punctuation, kana, Han, full-width forms):
# where a line break inside a paragraph joins without a space.
CJK_RANGES = f"\u2e80-\u2fff{CJK_PUNCTUATION}\u3040-\u30ff{HAN_RANGES}{FULLWIDTH}"


def is_han(char: str) -> bool:
    """One character is a Han ideograph."""
    return HAN.fullmatch(char) is not None


def has_han(text: str) -> bool:
    return HAN.search(text) is not None
