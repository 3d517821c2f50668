"""The only module that writes: atomic replacement of files, and source discovery.

`atomic_write` writes a temporary file in the target's directory, fsyncs it and
renames it over the target, so a crash at any point leaves either the old or the
new file, never a torn one.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import os
import re
import struct
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from workflow.errors import WorkflowError

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")

# Tests replace this to simulate a crash between two writes, or an editor's save during a run.
before_write: Callable[[Path], None] = lambda path: None  # noqa: E731
LOCK_WAIT = 10.0  # seconds a run waits for another run writing the same document
# The tool's own temporary names: `.wf.<8 random>.tmp` (short, so any file name fits NAME_MAX),
# and the older `.<name>.<8 random>.tmp`.
TEMP_NAME = re.compile(r"^\..*\.[a-z0-9_]{8}\.tmp$")
ANY = object()  # `expect` of atomic_write: replace whatever is there


class ChangedOnDisk(Exception):
    """The target no longer holds what the caller read (an editor saved it meanwhile)."""


class Busy(Exception):
    """Another process holds the lock."""


def sha256(data: bytes | str) -> str:
    """The content hash memory records (`sha256:<hex>`)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "sha256:" + hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes, *, expect: str | None | object = ANY, durable: bool = True) -> None:
    """`expect`: the sha256 the target must still have right before the rename (None: it must
    not exist), else ChangedOnDisk and nothing is replaced (compare-and-swap). `durable=False`:
    no fsync, for a cache whose reader checks each file whole (a crash may leave it torn, never half-renamed)."""
    before_write(path)
    import tempfile  # here: commands that only read (check, status) never load it

    try:
        fd, tmp = tempfile.mkstemp(prefix=".wf.", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:  # the folder is new (asked only then: a run writes most files into folders that exist)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".wf.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _mode(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if expect is not ANY:
            now = read_bytes(path)
            if (sha256(now) if now is not None else None) != expect:
                raise ChangedOnDisk(str(path))
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
        return 0o666 & ~process_umask()


def process_umask() -> int:
    """The process's umask, as it was when this module was imported (the tool never changes it).

    On Linux it is read from `/proc/self/status` (its `Umask:` line), which changes nothing.
    Elsewhere the only way to read it is to set it (`os.umask`) and set it back: two writer
    threads doing that at once could leave the process at the other's value (0: every later
    file world-writable), and a folder made in between would get the temporary value; so it is
    read at import, before any thread of the tool writes. A program that embeds the tool and
    changes its umask later keeps the first one for the tool's files."""
    return _UMASK


def _read_umask() -> int:
    umask = _proc_umask()
    if umask is None:
        umask = os.umask(0o077)
        os.umask(umask)
    return umask


def _proc_umask() -> int | None:
    """The `Umask:` of /proc/self/status (Linux 4.7 and later), else None."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"Umask:"):
                    return int(line[6:].strip(), 8)
    except (OSError, ValueError):
        pass
    return None


_UMASK = _read_umask()


# Open file description locks (Linux): a lock on one byte of a file, held by the open file
# (not the process), so threads and processes exclude each other as with `flock`. Their
# `struct flock` as the kernel reads it on 64-bit Linux: type, whence, start, length, pid (0).
RANGE_LOCKS = sys.platform == "linux" and hasattr(fcntl, "F_OFD_SETLK") and struct.calcsize("l") == 8
_FLOCK = "hhqqi4x"
_NO_RANGE_LOCKS = (errno.EINVAL, errno.ENOLCK, errno.EOPNOTSUPP)  # a file system that has no such locks


@dataclass(frozen=True)
class Lock:
    """What `locked` holds: byte `offset` of `file` (an open file description lock, where the
    platform has them), else the whole of `file` (`flock`)."""

    file: Path
    offset: int | None = None


@contextmanager
def locked(lock: Path | Lock, wait: float | None = None) -> Iterator[None]:
    """An exclusive lock on `lock` (its file created), waiting up to `wait` seconds, else Busy."""
    lock = lock if isinstance(lock, Lock) else Lock(lock)
    try:
        fd = os.open(lock.file, os.O_RDWR | os.O_CREAT, 0o666)
    except FileNotFoundError:
        lock.file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock.file, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + (LOCK_WAIT if wait is None else wait)
        pause = 0.002  # growing to 0.05 s: another thread of this run is usually done within milliseconds
        while True:
            try:
                if lock.offset is None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                else:
                    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, lock.offset, 1, 0))
                break
            except OSError as exc:
                if lock.offset is not None and exc.errno in _NO_RANGE_LOCKS:
                    lock = Lock(lock.file)  # a file system without them: the whole file, `flock`ed
                    continue
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() >= deadline:
                    raise Busy(str(lock.file)) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        yield
    finally:
        os.close(fd)  # releases the lock (an open file description lock lives as long as its open file)


def confined(path: Path, folder: Path, shown: str) -> None:
    """Refuse a path that resolves (through symbolic links) outside `folder`."""
    real, root = os.path.realpath(path), _real(os.fspath(folder))
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        raise WorkflowError(f"resolves to {real}, outside {folder.name}/ (a symbolic link?); nothing written. "
                            "Replace the link with a real folder.", path=shown)


@functools.lru_cache(maxsize=16)
def _real_folder(folder: str) -> str:
    """Where `folder` really is, resolved once per process (a run checks every write against its
    output folder). Safe to keep: every write lands inside the folder as it was when the run began.
    If the folder is swapped for a link meanwhile (or a link that is the folder is pointed
    elsewhere), paths inside it resolve away from this and their writes are refused, where a
    fresh resolution would have followed the link; a path that leads back into this folder
    through the new target is accepted."""
    return os.path.realpath(folder)


def _real(folder: str) -> str:
    return _real_folder(folder) if os.path.isabs(folder) else os.path.realpath(folder)  # relative: the cwd may change


def write_error(exc: OSError, shown: str) -> WorkflowError:
    """A failed write (disk full, read-only folder, name too long) as a message naming the file."""
    hints = {errno.ENOSPC: "the disk is full; free space and run again",
             errno.EROFS: "the folder is read-only; make it writable and run again",
             errno.EACCES: "permission denied; make the folder writable and run again",
             errno.ENAMETOOLONG: "the file name is too long for the file system; shorten it"}
    hint = hints.get(exc.errno or 0, "check the folder and run again")
    return WorkflowError(f"cannot write ({exc.strerror or exc}): {hint}.", path=shown)


def stale_temp_files(root: Path, age: float = 600.0) -> list[Path]:
    """The tool's temporary files under `root` older than `age` seconds: left by a crashed run."""
    found = []
    cutoff = time.time() - age
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            if TEMP_NAME.match(name):
                path = Path(dirpath) / name
                try:
                    if path.lstat().st_mtime < cutoff:
                        found.append(path)
                except OSError:
                    continue
    return sorted(found)


def read_bytes(path: Path | str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:  # a folder, a link loop, no permission: a message naming the file, not a traceback
        raise WorkflowError(f"cannot be read ({exc.strerror or exc}).", path=str(path)) from None


def markdown_files(root: Path) -> list[Path]:
    """Markdown files under `root`, sorted, skipping dot-folders (memory lives in one).

    The rules of `os.walk` (links to folders are not followed, a link to nowhere is not a file),
    through the folder listings' file types: a stat only for a symbolic link, a path object only
    for a file found (translate and review of 10,000 unchanged documents spent most of their
    discovery on per-file stats and path objects)."""
    if not root.is_dir():
        return []
    found = [entry.path for entry, is_dir in _entries(os.fspath(root)) if not is_dir
             and entry.name.endswith(MARKDOWN_SUFFIXES) and (not entry.is_symlink() or os.path.exists(entry.path))]
    found.sort(key=lambda path: path.split(os.sep))  # the order of sorted(Path, ...): part by part
    return [Path(path) for path in found]


def links_not_followed(root: Path) -> list[Path]:
    """Symbolic links under `root` that discovery does not follow: to folders (os.walk's rule, which
    `check` shares), and links that lead nowhere (broken, or a loop)."""
    found = [entry.path for entry, is_dir in _entries(os.fspath(root))
             if entry.is_symlink() and (is_dir or not os.path.exists(entry.path))]
    found.sort(key=lambda path: path.split(os.sep))
    return [Path(path) for path in found]


def _entries(root: str) -> Iterator[tuple[os.DirEntry[str], bool]]:
    """(entry, is a folder) for every entry under `root` whose name does not start with a dot,
    descending into folders that are not links, as os.walk does (its is_dir follows links)."""
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:  # gone, not a folder, unreadable: os.walk skips it too
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir and not entry.is_symlink():
                stack.append(entry.path)
            yield entry, is_dir
