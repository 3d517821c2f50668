"""One table of Chinese characters, read by every rule that asks "is this Chinese?"."""

from __future__ import annotations

import pytest

from workflow.engines.pseudo import pseudo
from workflow.glossary.terms import normalize
from workflow.review.evidence import _TOKEN
from workflow.text.chars import HAN, has_han, is_han
from workflow.text.protect import REGEX_PROTECTED
from workflow.text.sentences import needs_engine
from workflow.text.typography import han_left

# One character from each range of the table: Extension A, the Unified block, a
# compatibility ideograph, Extension B (above U+20000, where the rules used to disagree).
HAN_SAMPLES = ["\u3400", "中", "\uf900", "\U00020000", "\U0002a6d6"]
NOT_HAN = ["a", "1", "，", "。", "\u3000", "ア", "Ａ", " "]


@pytest.mark.parametrize("char", HAN_SAMPLES)
def test_every_range_is_han_for_every_rule(char: str) -> None:
    assert is_han(char) and has_han(f"x{char}y")
    assert needs_engine(f"see {char}", copy_untranslatable=True)  # translate sends it to the engine
    assert han_left(f"The {char} is left") == [char]  # the English check sees it
    assert normalize(f"A {char}") == f"A{char}"  # glossary matching joins Latin and Han
    assert _TOKEN.findall(f"{char}{char}") == [char, char]  # edit attribution: one token per character
    url = REGEX_PROTECTED.search(f"见https://example.org/a{char}")
    assert url is not None and url.group(0) == "https://example.org/a"  # a bare URL ends at Chinese
    assert not has_han(pseudo(f"安装{char}"))  # the pseudo engine leaves no Chinese


@pytest.mark.parametrize("char", NOT_HAN)
def test_punctuation_kana_and_latin_are_not_han(char: str) -> None:
    assert not is_han(char) and HAN.search(char) is None
