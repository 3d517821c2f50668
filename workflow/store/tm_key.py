"""The key the translation memory finds a text by: its Chinese NFKC-normalised, spaces collapsed.

A module of its own, without the index's numpy and rapidfuzz, so that what only compares keys
(a document's own records in `document.reuse`) does not import them: `review` with nothing
edited starts faster.
"""

from __future__ import annotations

import functools
import unicodedata


def _normalise(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


# A segment's source is normalised 3 times in a run (own index, exact, fuzzy); building the
# index normalises each memory text once, through `_normalise` (a cache over them would only churn).
normalise = functools.lru_cache(maxsize=4096)(_normalise)
normalise.__doc__ = """The Chinese as the memory compares it: NFKC (full-width forms folded), spaces collapsed."""
