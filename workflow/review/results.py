"""What `review` reports (documents, changes, the reviewer), and the documents nothing edited:
known from memory's header and two hashes, without the review proper (`review.record`).
"""

from __future__ import annotations

import datetime
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from workflow.config import Settings
from workflow.errors import ConfigError, WorkflowError
from workflow.glossary.terms import Glossary
from workflow.store import memory_scan
from workflow.store.documents import fast_rel, shown
from workflow.store.files import read_bytes, sha256
from workflow.store.memory import memory_path


@dataclass(frozen=True)
class Change:
    id: str
    line: int  # in the English file
    kind: str
    action: str  # edited | deleted | approved | markup | added (list items, table rows: `after`)


@dataclass(frozen=True, kw_only=True)
class DocumentReview:
    source: str
    output: str
    state: str  # recorded | approved | unchanged | refused | error
    reviewed: int = 0
    total: int = 0
    changes: tuple[Change, ...] = ()
    message: str = ""
    exit_code: int = 0

    @property
    def edited(self) -> int:
        return sum(1 for c in self.changes if c.action in ("edited", "deleted", "markup", "added"))

    @property
    def approved(self) -> int:
        return sum(1 for c in self.changes if c.action == "approved")


@dataclass
class Report:
    documents: list[DocumentReview] = field(default_factory=list)
    reviewer: str = ""

    @property
    def exit_code(self) -> int:
        return max((d.exit_code for d in self.documents), default=0)


class Reviewer:
    """The reviewer's name, looked up only when something is recorded: flag, config, git."""

    def __init__(self, settings: Settings, given: str | None = None) -> None:
        self.settings = settings
        self.given = given
        self.name = ""

    def __call__(self) -> str:
        if not self.name:
            for name in (self.given, self.settings.reviewer, git_user(self.settings.root)):
                if name and name.strip():
                    self.name = name.strip()
                    break
            else:
                raise ConfigError("no reviewer name. Pass --reviewer NAME, set `reviewer` in [tool.workflow], "
                                  "or run `git config user.name NAME`.")
        return self.name


def git_user(root: Path) -> str:
    try:
        done = subprocess.run(["git", "config", "user.name"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def untouched_or_none(settings: Settings, source: Path, *, glossary: Glossary) -> DocumentReview | None:
    try:
        return untouched(settings, source, glossary=glossary)
    except WorkflowError:  # said when the document is reviewed in full
        return None


def untouched(settings: Settings, source: Path, *, glossary: Glossary) -> DocumentReview | None:
    """Nothing edited: the Chinese and the English are as memory's header records them (same glossary),
    known from hashes before anything is parsed. None: review the document."""
    rel = fast_rel(source, settings.source)
    if rel is None:
        return None
    head = memory_scan.read_head(str(memory_path(settings.memory_root, rel)))
    header = memory_scan.scan_head(head[0], head[2], None) if head is not None else None
    if header is None or header.output_hash_previous or header.glossary_hash != glossary.identity:
        return None
    data, english = read_bytes(source), read_bytes(settings.output / rel)
    if data is None or english is None or sha256(data) != header.source_hash or sha256(english) != header.output_hash:
        return None
    return DocumentReview(source=shown(settings, source), output=shown(settings, settings.output / rel), state="unchanged",
                          reviewed=header.counts["reviewed"], total=header.counts["total"])
