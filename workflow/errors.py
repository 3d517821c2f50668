"""Domain errors. The library raises these; only the CLI turns them into exit codes.

Every message says what went wrong *and what to do*. Exit code 2 is for usage,
configuration and input errors; findings (exit 1) are data, not exceptions.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base class of every error the tool reports to a user (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.location() + message)

    def location(self) -> str:
        if self.path is None:
            return ""
        if self.line is None:
            return f"{self.path}: "
        return f"{self.path}:{self.line}: "


class ConfigError(WorkflowError):
    """`[tool.workflow]` or a command-line option is invalid."""


class InputError(WorkflowError):
    """A source file cannot be read: undecodable bytes, invalid front matter."""


class EngineUnavailable(WorkflowError):
    """The translation engine cannot run: model missing, server unreachable."""


class ModelNotInstalled(EngineUnavailable):
    """The engine's model package is not installed: it can be downloaded, or installed from a file."""

    def __init__(self, message: str, *, package: str) -> None:
        super().__init__(message)
        self.package = package


class EngineFailed(WorkflowError):
    """The engine ran but failed (a server error, a model crash)."""


class UnrecordedEdits(WorkflowError):
    """An output file holds edits that memory does not know; refusing to overwrite."""

    exit_code = 1


class GlossaryConflict(WorkflowError):
    """The glossary is inconsistent (one Chinese term, several English renderings)."""


class MemoryCorrupt(WorkflowError):
    """A memory file does not parse or has an unknown schema version."""


class SkeletonMismatch(WorkflowError):
    """The English document's structure differs from the Chinese one: a bug, never an output."""
