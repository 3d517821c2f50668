"""The only module that writes: atomic replacement of files, and source discovery.

`atomic_write` writes a temporary file in the target's directory, fsyncs it and
renames it over the target, so a crash at any point leaves either the old or the
new file, never a torn one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")

# Tests replace this to simulate a crash between two writes.
before_write: Callable[[Path], None] = lambda path: None  # noqa: E731


def sha256(data: bytes | str) -> str:
    """The content hash memory records (`sha256:<hex>`)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "sha256:" + hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    before_write(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _mode(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _mode(path: Path) -> int:
    """Keep an existing file's permissions; new files get 0666 minus the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def markdown_files(root: Path) -> list[Path]:
    """Markdown files under `root`, sorted, skipping dot-folders (memory lives in one)."""
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.endswith(MARKDOWN_SUFFIXES) and not name.startswith("."):
                found.append(Path(dirpath) / name)
    return sorted(found)
