"""What the per-match rule of the glossary (`terms.Glossary.accept`) asks of the text around a match.

Chinese words: a glossary term that is the start or end of a longer Chinese word does not
mean the term there (`安全组` is *security group*, but `安全组织` is 安全 + 组织, *security
organisation*). Chinese has no spaces, so the words come from a segmenter: jieba's dictionary
and algorithm, run by jieba-rs (`rjieba`, its maintained Rust port: the same segmentation as
the Python `jieba` 0.42, but it loads in a third of the time, cuts a sentence in microseconds
and writes no cache file). The glossary's own Chinese terms are its user dictionary, so a term
is one word wherever the text allows it. The segmenter is loaded only when a match has a
Chinese character on both sides of an edge; `--help`, `check` and `status` of a current
project never load it.

Commands and identifiers: `openstack trust list` (a command line in a table cell),
`openstack-ansible`, `openstack_dashboard`, `openstack.org`, `--os-cloud=openstack` are not
prose; the glossary's spelling (`OpenStack`) does not belong there.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
import sys
import threading
from typing import Callable, Iterable, Protocol, cast

from workflow.text.chars import HAN_RANGES

SEGMENTER = "rjieba"
RUNS_KEPT = 32768  # runs of Chinese whose words a `Words` remembers (bounded: a large corpus stays flat)

# Programs whose command lines appear in OpenStack articles and docs: the OpenStack clients,
# deployment tools, and the usual shell, package and container commands.
CLI_NAMES = (
    "openstack", "nova", "neutron", "cinder", "glance", "swift", "heat", "keystone", "ironic", "manila",
    "designate", "octavia", "magnum", "trove", "barbican", "aodh", "gnocchi", "senlin", "zun", "mistral",
    "watcher", "masakari", "cyborg", "placement", "kolla-ansible", "openstack-ansible", "kolla", "tempest",
    "rally", "tox", "pip", "pip3", "git", "git-review", "sudo", "apt", "apt-get", "yum", "dnf", "docker",
    "podman", "kubectl", "helm", "ansible", "ansible-playbook", "systemctl", "python", "python3", "curl",
    "wget", "ssh", "scp", "virsh", "ovs-vsctl", "ovs-ofctl", "ip", "export", "source", "cd", "ls", "cat",
)
# An argument: an option, or a word that starts lower-case (or with a digit, a path, a variable).
_ARGUMENT = r"(?:-{1,2}[A-Za-z0-9][A-Za-z0-9_.-]*(?:=[!-~]*)?|[a-z0-9_./:~$@{\[][!-~]*)"
_CODE_LIKE = r"(?:-|[!-~]*[-_./=:])"  # an argument that cannot be an English word: an option, a path, a-b
# A program and two arguments (`openstack trust list`, `pip install x`), or one that looks like code
# (`neutron net-list`, `kolla-ansible -i inventory`); `“neutron logging”` is a phrase.
COMMAND = re.compile(
    rf"(?<![A-Za-z0-9_./-])(?:\$[ \t]+)?(?:sudo[ \t]+)?(?:{'|'.join(map(re.escape, CLI_NAMES))})"
    rf"(?:(?:[ \t]+{_ARGUMENT}){{2,}}|[ \t]+(?={_CODE_LIKE}){_ARGUMENT}(?:[ \t]+{_ARGUMENT})*)")
# What COMMAND needs somewhere: a program's last character (every name ends in [a-z0-9]), white
# space, and the first character of an argument (`_ARGUMENT`: `-` or one of [a-z0-9_./:~$@{\[]).
_MAYBE_COMMAND = re.compile(r"[a-z0-9][ \t]+[-a-z0-9_./:~$@{\[]")
_TOKEN = "A-Za-z0-9_./:=@~-"
_TOKEN_EDGE = re.compile(f"[{_TOKEN}]")
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@~-")
_HAN_RUN = re.compile(f"[{HAN_RANGES}]+")
_NOT_HAN = re.compile(f"[^{HAN_RANGES}]")
_IDENTIFIER = re.compile(r"[_=@]|::|[A-Za-z]\.[A-Za-z]|^[-/~]|^\./")
_LOWER = re.compile(r"[a-z0-9_./:=@~-]+")


# -- commands and identifiers --------------------------------------------------------------------


def in_code(text: str, start: int, end: int) -> bool:
    """True when text[start:end] lies in a command line or is part of an identifier."""
    return in_command(text, start, end) or in_identifier(text, start, end)


def in_command(text: str, start: int, end: int) -> bool:
    """A command line: a known program (`openstack`, `nova`, `sudo pip` …) and at least one argument."""
    commands = _commands(text)
    return bool(commands) and any(first <= start and end <= last for first, last in commands)


@functools.lru_cache(maxsize=64)
def _commands(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of every command line in `text`, found once per text (a text's matches all ask).

    A match never crosses a line (no part of COMMAND matches a newline), so one scan of the whole
    text finds exactly what a scan of each line would. Every command holds a program's last
    character, white space and an argument's first (`_MAYBE_COMMAND`); a text without one is not
    scanned with COMMAND's alternation of every program.
    """
    if _MAYBE_COMMAND.search(text) is None:
        return ()
    return tuple(m.span() for m in COMMAND.finditer(text))


def in_identifier(text: str, start: int, end: int) -> bool:
    """Part of a longer token that is an identifier: snake_case, lower-case kebab-case, dotted.names,
    absolute paths, `--options`, `key=value`. Not `gerrit/zuul/nodepool` (a list) nor `4.Hackathon`. A match that is the whole token (`Kolla-Ansible`) is prose."""
    if (start == 0 or text[start - 1] not in _TOKEN_CHARS) and (end >= len(text) or text[end] not in _TOKEN_CHARS):
        return False  # the match is the whole token (the common case: a term between Chinese or spaces)
    a, b = start, end
    while a > 0 and _TOKEN_EDGE.match(text[a - 1]):
        a -= 1
    while b < len(text) and _TOKEN_EDGE.match(text[b]):
        b += 1
    token = text[a:b].rstrip(".:-")
    if len(token) <= end - start:
        return False
    if _IDENTIFIER.search(token):
        return True
    return "-" in token and _LOWER.fullmatch(token) is not None


# -- Chinese words ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def segmenter_version() -> str:
    """The segmenter and its version: it decides which matches are kept, so fingerprints depend on it."""
    version = _dist_info_version(SEGMENTER)
    if version:
        return f"{SEGMENTER} {version}"
    from importlib import metadata  # 20 ms of imports (email, zipfile): only when the quick look fails

    try:
        return f"{SEGMENTER} {metadata.version(SEGMENTER)}"
    except metadata.PackageNotFoundError:
        return f"{SEGMENTER} (not installed)"


def _dist_info_version(name: str) -> str:
    """The `Version:` of the first `name-*.dist-info` on sys.path, as importlib.metadata finds it
    ("" when there is none, or more than one in a folder: then importlib.metadata decides)."""
    for folder in sys.path:
        try:
            found = [n for n in os.listdir(folder or ".") if n.startswith(name + "-") and n.endswith(".dist-info")]
        except OSError:
            continue
        if len(found) > 1:
            return ""
        if found:
            try:
                with open(os.path.join(folder or ".", found[0], "METADATA"), encoding="utf-8") as handle:
                    for line in handle:
                        if line.startswith("Version:"):
                            return line[8:].strip()
                        if not line.strip():
                            return ""  # the headers ended without one
            except OSError:
                return ""
            return ""
    return ""


class Words:
    """Chinese word boundaries by the segmenter, with `terms` (the glossary's Chinese) as its user dictionary."""

    def __init__(self, terms: Iterable[str]) -> None:
        runs = {run for term in terms for run in re.findall(f"[{HAN_RANGES}]{{2,}}", term)}
        self.terms = tuple(sorted(runs))
        self._cuts: dict[str, tuple[tuple[int, int], ...]] = {}
        self._inside: dict[str, dict[int, tuple[int, int]]] = {}

    def at_edges(self, text: str, start: int, end: int, is_term: Callable[[str], bool]) -> bool:
        """True unless an edge of text[start:end] falls inside a word of the text that is not the term's.

        Only edges with Chinese on both sides are asked. The word across an edge does not count
        when what it has outside the match is a word of two or more characters (a glossary term
        or a dictionary word): the text then reads as the term and that word, the segmenter only
        preferred a compound (测试环境 is 测试 + 环境, 云存储系统 is 云存储 + 系统, 私有云计算 is
        私有云 + 计算). What is left is a term that begins or ends inside a word: 安全组 in
        安全/组织, 镜像服务 in 镜像/服务器, 标准 in 标准化.
        """
        # The run of Chinese from `start` on (a search in C: listing a text's runs cost more than its matches)
        stop = _NOT_HAN.search(text, start)
        b = stop.start() if stop is not None else len(text)
        if start < b and end <= b:  # the match lies in one run of Chinese (a Chinese term: the common case)
            a = _run_start(text, start)
            if not (a < start or end < b):
                return True  # the whole run: no word across either edge
            inside = self._interior(text[a:b])
            if (a == start or start - a not in inside) and (end == b or end - a not in inside):
                return True  # both edges between words
        for edge in (start, end):
            word = self._word_around(text, edge)
            if word is not None:
                first, last = word
                outside = [p for p in (text[first:start], text[end:last]) if p]
                if not all(len(p) >= 2 and (is_term(p) or self.is_word(p)) for p in outside):
                    return False
        return True

    def word_across(self, text: str, edge: int) -> tuple[int, int]:
        """(start, end) in `text` of the word that `edge` falls inside; (edge, edge) when it is between words."""
        word = self._word_around(text, edge)
        return (edge, edge) if word is None else word

    def _word_around(self, text: str, edge: int) -> tuple[int, int] | None:
        """The word of the text that `edge` falls strictly inside (Chinese on both sides), if any."""
        starts, ends = _han_runs(text)
        i = bisect.bisect_right(starts, edge) - 1  # the last run starting at or before edge
        if i < 0 or not starts[i] < edge < ends[i]:
            return None  # not a Chinese character on both sides of the edge
        a = starts[i]
        word = self._interior(text[a:ends[i]]).get(edge - a)
        return None if word is None else (a + word[0], a + word[1])

    def _interior(self, run: str) -> dict[int, tuple[int, int]]:
        """Each offset of `run` that falls strictly inside one of its words -> that word's (start, end)."""
        known = self._inside.get(run)
        if known is None:
            if len(self._inside) >= RUNS_KEPT:  # bounded, as the glossary's other caches
                self._inside.clear()
            known = self._inside[run] = {offset: (first, last) for first, last in self.cuts(run)
                                         for offset in range(first + 1, last)}
        return known

    def is_word(self, chinese: str) -> bool:
        """In the segmenter's dictionary (its own words and the glossary's)."""
        return _segmenter(self.terms).has_word(chinese)

    def cuts(self, run: str) -> tuple[tuple[int, int], ...]:
        """(start, end) of each word of a run of Chinese characters (dictionary only, no HMM guessing)."""
        known = self._cuts.get(run)
        if known is None:
            if len(self._cuts) >= RUNS_KEPT:
                self._cuts.clear()
            tokens = _segmenter(self.terms).tokenize(run, "default", False)
            known = self._cuts[run] = tuple((first, last) for _, first, last in tokens)
        return known


def _run_start(text: str, end: int) -> int:
    """Where the run of Chinese that ends at `end` begins: after the last non-Chinese character before
    `end`. Searched backwards in windows that double (a copy of the whole text reversed for each
    match made a long text's matching quadratic)."""
    size = 32
    while True:
        lo = max(0, end - size)
        before = _NOT_HAN.search(text[lo:end][::-1])
        if before is not None:
            return end - before.start()
        if lo == 0:
            return 0
        size *= 2


@functools.lru_cache(maxsize=64)
def _han_runs(text: str) -> tuple[list[int], list[int]]:
    """Starts and ends of the runs of Chinese characters of `text`, computed once per text."""
    spans = [m.span() for m in _HAN_RUN.finditer(text)]
    return [a for a, _ in spans], [b for _, b in spans]


class Segmenter(Protocol):
    def tokenize(self, sentence: str, mode: str = ..., hmm: bool = ...) -> list[tuple[str, int, int]]: ...

    def has_word(self, word: str) -> bool: ...


_CLAIMED: list[tuple[str, ...]] = []  # the user dictionary `import rjieba`'s own segmenter was given (one at most)
_CLAIM = threading.Lock()


@functools.lru_cache(maxsize=8)
def _segmenter(terms: tuple[str, ...]) -> Segmenter:
    """One segmenter per user dictionary (an equal glossary shares it; different glossaries never mix).

    `import rjieba` loads a segmenter of its own (its module functions: `rjieba.tokenize`, ...): the
    first user dictionary of a process is added to that one, and only another glossary's loads the
    dictionary again (`rjieba.Jieba()`, 0.13 s: a second load in every process that matched)."""
    import rjieba

    with _CLAIM:
        if not _CLAIMED:
            for term in terms:
                rjieba.add_word(term, None, None)
            _CLAIMED.append(terms)
        if _CLAIMED[0] == terms:
            return cast(Segmenter, rjieba)  # (its stub lists only some of its functions as the module's)
    segmenter = rjieba.Jieba()
    for term in terms:
        segmenter.add_word(term, None, None)
    return segmenter
