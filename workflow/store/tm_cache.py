"""The translation memory's index cache: what indexing a memory file costs, done once per content.

Building the index reads every memory file, normalises every Chinese text and computes its
bigram sketch: seconds for 100,000 units. Each file's share of that work (a `Part`) is kept
in `<memory folder>/.cache/tm/<key>.bin`, where the key is the SHA-256 of the cache format,
the file's path in the memory folder and its bytes. A content key cannot be fooled (an edit
that keeps the size and the time stamp, a `git checkout`, a copy with `cp -p`) and costs one
read of the memory (about 0.1 s for 54 MB); a changed, added or removed file simply has a
new key or none, so a stale entry is never used: it is removed by the next build.

The cache is never needed: a missing, truncated, corrupt or foreign-format entry is ignored
and rebuilt from the memory file; deleting the folder costs only time. It is written
atomically (`files.atomic_write`), inside the memory folder only, never by a dry run, and
git-ignored by the `.gitignore` it holds. Two runs writing the same entry write the same
bytes (the name is the content's key), so no lock is needed.

The last index built is kept whole too (`SNAPSHOT`: every part's keys and fields and the
postings already sorted, with the list of files and content keys it was built from): a run
whose memory files are exactly those reads one file instead of one entry per file and sorts
nothing; any other run builds from the entries and replaces it.

An entry is binary, read without unpickling anything: a header (with the length and a CRC-32
of the rest), the units' sketches (numpy arrays), their normalised Chinese joined by newlines
(normalised text has none), and their other fields as one UTF-8 text with each field's
length, cut into fields only when a lookup returns a unit of that file. Entries are written
without fsync: a crash can leave one torn, and a torn one fails the checks and is rebuilt.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import struct
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from workflow.errors import WorkflowError
from workflow.store.files import atomic_write, confined
from workflow.store.tm_sketch import SKETCH, Matrix, PostingsData

FORMAT = b"workflow tm-cache 2\n"  # change it whenever normalise, sketch or the fields change
SNAPSHOT_FORMAT = b"workflow tm-index 1\n"  # and this one whenever the postings change too
SNAPSHOT = "tm.index"  # in CACHE_DIR: the last index built, whole
CACHE_DIR = ".cache"
SUFFIX = ".bin"
_HEADER = struct.Struct("<QQQI")  # units, bytes of the Chinese, bytes of the fields, CRC-32 of what follows
# manifest bytes, parts, units, postings' bigrams, postings' texts, sources, bytes of the Chinese, bytes of
# the fields, CRC-32 of what follows
_SNAPSHOT_HEADER = struct.Struct("<QQQQQQQQI")
Fields = tuple[Any, ...]  # a unit's fields, in `Unit`'s order


STRINGS = 7  # the string fields of a unit; then `retired`, a flag
RETIRED, SOURCE_IS_KEY = 1, 2  # flags: retired; its source is its normalised key (stored once)


class Rows(Sequence[Fields]):
    """The units' fields of an entry, cut from its text when first asked for."""

    def __init__(self, blob: bytes | memoryview, lengths: npt.NDArray[np.uint32], flags: npt.NDArray[np.uint8]) -> None:
        self._blob, self._lengths, self._flags = blob, lengths, flags
        self._text: str | None = None
        self._starts: list[int] = []

    def __len__(self) -> int:
        return len(self._flags)

    def __getitem__(self, i: int) -> Fields:  # type: ignore[override]
        if self._text is None:
            self._text = str(self._blob, "utf-8", "surrogatepass")
            self._starts = [0, *np.cumsum(self._lengths, dtype=np.int64).tolist()]
        text, at = self._text, self._starts[STRINGS * i:STRINGS * (i + 1) + 1]
        flags = int(self._flags[i])
        source, *rest = (text[start:end] for start, end in zip(at, at[1:]))
        return (None if flags & SOURCE_IS_KEY else source, *rest, bool(flags & RETIRED))


@dataclass(frozen=True)
class Part:
    """One memory file's units: normalised Chinese, fields, sketches (rows of `matrix`, `counts` long)."""

    keys: list[str]
    rows: Sequence[Fields]
    matrix: Matrix
    counts: npt.NDArray[np.uint8]


_NO_MATRIX: Matrix = np.zeros((0, SKETCH), np.uint32)  # a snapshot's parts: their postings are built already
_NO_COUNTS: npt.NDArray[np.uint8] = np.zeros(0, np.uint8)


def key_of(relative: str, data: bytes) -> str:
    digest = hashlib.sha256(FORMAT)
    # the keys are NFKC-normalised: another Unicode version may normalise them otherwise
    digest.update(unicodedata.unidata_version.encode() + b"\0")
    digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(data)
    return digest.hexdigest()


def _row_data(part: Part) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint32], bytes]:
    """A part's fields as stored: each unit's flags, each field's length (code points), their UTF-8 text."""
    if isinstance(part.rows, Rows):  # read from an entry: stored as they are
        return part.rows._flags, part.rows._lengths, bytes(part.rows._blob)
    strings = [field or "" for row in part.rows for field in row[:STRINGS]]
    flags = np.fromiter(((RETIRED if row[STRINGS] else 0) | (SOURCE_IS_KEY if row[0] is None else 0)
                         for row in part.rows), np.uint8, len(part.rows))
    lengths = np.fromiter(map(len, strings), np.uint32, len(strings))
    return flags, lengths, "".join(strings).encode("utf-8", "surrogatepass")


def encode(part: Part, rows: tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint32], bytes] | None = None) -> bytes:
    keys = "\n".join(part.keys).encode("utf-8", "surrogatepass")
    flags, lengths, text = _row_data(part) if rows is None else rows
    body = b"".join((part.matrix.astype("<u4").tobytes(), part.counts.astype(np.uint8).tobytes(), flags.tobytes(),
                     lengths.astype("<u4").tobytes(), keys, text))
    return FORMAT + _HEADER.pack(len(part.keys), len(keys), len(text), zlib.crc32(body)) + body


def decode(data: bytes) -> Part | None:
    """The entry's part, or None when it is not a whole entry of this format."""
    if not data.startswith(FORMAT) or len(data) < len(FORMAT) + _HEADER.size:
        return None
    at = len(FORMAT)
    n, key_bytes, text_bytes, crc = _HEADER.unpack_from(data, at)
    at += _HEADER.size
    sizes = (n * SKETCH * 4, n, n, n * STRINGS * 4, key_bytes, text_bytes)
    if len(data) != at + sum(sizes) or zlib.crc32(memoryview(data)[at:]) != crc:
        return None
    arrays = []
    for dtype, count, size in zip(("<u4", "u1", "u1", "<u4"), (n * SKETCH, n, n, n * STRINGS), sizes):
        arrays.append(np.frombuffer(data, dtype, count, at))
        at += size
    matrix, counts, flags, lengths = arrays
    keys = data[at:at + key_bytes].decode("utf-8", "surrogatepass").split("\n") if n else []
    if len(keys) != n or (counts > SKETCH).any():
        return None
    return Part(keys, Rows(data[at + key_bytes:], lengths.astype(np.uint32), flags), matrix.reshape(n, SKETCH).astype(np.uint32),
                counts)


Manifest = list[tuple[str, str]]  # (path in the memory folder, key of its bytes) of the files an index holds


def snapshot_encode(manifest: Manifest, parts: Sequence[Part], postings: PostingsData) -> bytes:
    """The whole index of the files `manifest` names: each part's keys and fields, and the postings
    built over them (`tm_sketch.Postings.data`), so that a run whose memory is unchanged reads one
    file instead of an entry per memory file, and sorts nothing."""
    names = json.dumps(manifest, ensure_ascii=False).encode("utf-8", "surrogatepass")
    rows = [_row_data(part) for part in parts]
    keys = "\n".join(itertools.chain.from_iterable(part.keys for part in parts)).encode("utf-8", "surrogatepass")
    sizes = np.fromiter((len(part.keys) for part in parts), np.uint64, len(parts))
    text_sizes = np.fromiter((len(text) for _, _, text in rows), np.uint64, len(rows))
    grams, bounds, texts, lengths = postings
    body = b"".join((names, sizes.astype("<u8").tobytes(), text_sizes.astype("<u8").tobytes(),
                     *(flags.tobytes() for flags, _, _ in rows), *(lengths_.astype("<u4").tobytes() for _, lengths_, _ in rows),
                     grams.astype("<u4").tobytes(), bounds.astype("<i8").tobytes(), texts.astype("<i4").tobytes(),
                     lengths.astype("<i8").tobytes(), keys, *(text for _, _, text in rows)))
    header = _SNAPSHOT_HEADER.pack(len(names), len(parts), int(sizes.sum()), len(grams), len(texts), len(lengths),
                                   len(keys), int(text_sizes.sum()), zlib.crc32(body))
    return SNAPSHOT_FORMAT + header + body


def snapshot_decode(data: bytes, manifest: Manifest) -> tuple[list[Part], PostingsData] | None:
    """The parts and postings of a snapshot of exactly the files (and bytes) `manifest` names, else None."""
    if not data.startswith(SNAPSHOT_FORMAT) or len(data) < len(SNAPSHOT_FORMAT) + _SNAPSHOT_HEADER.size:
        return None
    at = len(SNAPSHOT_FORMAT)
    names, n_parts, units, n_grams, n_texts, sources, key_bytes, text_bytes, crc = _SNAPSHOT_HEADER.unpack_from(data, at)
    at += _SNAPSHOT_HEADER.size
    layout = ((None, names), ("<u8", n_parts), ("<u8", n_parts), ("u1", units), ("<u4", units * STRINGS),
              ("<u4", n_grams), ("<i8", n_grams + 1), ("<i4", n_texts), ("<i8", sources), (None, key_bytes),
              (None, text_bytes))
    sizes = [count * (np.dtype(dtype).itemsize if dtype else 1) for dtype, count in layout]
    if len(data) != at + sum(sizes):
        return None
    try:  # the files first (a stale snapshot is the common miss), then the checksum of the whole
        if [tuple(entry) for entry in json.loads(data[at:at + names])] != manifest:
            return None
    except (ValueError, TypeError):
        return None
    if zlib.crc32(memoryview(data)[at:]) != crc:
        return None
    at += names
    arrays = []
    for (dtype, count), size in zip(layout[1:9], sizes[1:9]):
        arrays.append(np.frombuffer(data, dtype, count, at))
        at += size
    part_sizes, part_text, flags, lengths, grams, bounds, texts, source_lengths = arrays
    keys = data[at:at + key_bytes].decode("utf-8", "surrogatepass").split("\n") if units else []
    at += key_bytes
    if len(keys) != units or int(part_sizes.sum()) != units or int(part_text.sum()) != text_bytes:
        return None
    parts = []
    unit, view = 0, memoryview(data)  # each part's fields a view of the one read, not a copy
    for size, text_size in zip(part_sizes.tolist(), part_text.tolist()):
        rows = Rows(view[at:at + text_size], lengths[unit * STRINGS:(unit + size) * STRINGS].astype(np.uint32),
                    flags[unit:unit + size])
        parts.append(Part(keys[unit:unit + size], rows, _NO_MATRIX, _NO_COUNTS))
        unit, at = unit + size, at + text_size
    return parts, (grams.astype(np.uint32, copy=False), bounds.astype(np.int64, copy=False),
                   texts.astype(np.int32, copy=False), source_lengths.astype(np.int64, copy=False))


class Cache:
    """The entries of one memory folder; `write`: False on a dry run (nothing is written then)."""

    def __init__(self, memory_root: Path, write: bool) -> None:
        self.root = memory_root
        self.folder = memory_root / CACHE_DIR / "tm"
        self.write = write
        self.used: set[str] = set()
        self.manifest: Manifest = []  # the files `part` gave a part of, and their keys: what a snapshot holds

    def _read(self, path: Path) -> tuple[bytes, str, str] | None:
        """A file's bytes, its path in the memory folder and the key of its bytes (None: it cannot be read)."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        relative = path.relative_to(self.root).as_posix()
        return data, relative, key_of(relative, data)

    def key(self, path: Path) -> tuple[str, str] | None:
        """A file's path in the memory folder and the key of its bytes (None: it cannot be read)."""
        read = self._read(path)
        return None if read is None else (read[1], read[2])

    def snapshot(self, files: Sequence[Path]) -> tuple[list[Part], PostingsData] | None:
        """The last index built, when it was built from exactly these files' bytes (read and hashed
        only when there is a snapshot to compare them with)."""
        try:
            data = (self.root / CACHE_DIR / SNAPSHOT).read_bytes()
        except OSError:
            return None
        manifest = [key for key in map(self.key, files) if key is not None]
        try:
            return snapshot_decode(data, manifest) if manifest else None
        except ValueError:
            return None

    def keep_snapshot(self, parts: Sequence[Part], postings: PostingsData) -> None:
        """The index just built from `part`'s files, whole (not when no file was read: nothing to save)."""
        if self.write and self.manifest:
            self._keep(self.root / CACHE_DIR / SNAPSHOT, snapshot_encode(self.manifest, parts, postings))

    def part(self, path: Path, build: Callable[[bytes], Part]) -> Part | None:
        """The part of one file: from its entry when there is a whole one, else built (and kept)."""
        read = self._read(path)
        if read is None:
            return None
        data, relative, key = read
        self.used.add(key)
        self.manifest.append((relative, key))
        entry = self.folder / (key + SUFFIX)
        try:
            found = decode(entry.read_bytes())
        except (OSError, ValueError):
            found = None
        if found is not None:
            return found
        built = build(data)
        rows = _row_data(built)
        self._keep(entry, encode(built, rows))
        # its fields as an entry holds them: what a snapshot of this build stores, without cutting them again
        return Part(built.keys, Rows(rows[2], rows[1], rows[0]), built.matrix, built.counts)

    def _keep(self, entry: Path, data: bytes) -> None:
        if not self.write:
            return
        try:
            self._prepare()
            atomic_write(entry, data, durable=False)
        except (OSError, WorkflowError):  # a read-only or full disk, a link out of the tree: only time is lost
            self.write = False

    def _prepare(self) -> None:
        cache = self.folder.parent
        confined(self.folder if self.folder.exists() else cache if cache.exists() else self.root, self.root, CACHE_DIR)
        self.folder.mkdir(parents=True, exist_ok=True)
        confined(self.folder, self.root, CACHE_DIR)
        ignore = cache / ".gitignore"
        if not ignore.exists():
            atomic_write(ignore, b"# workflow's index cache: rebuilt from the memory when missing; never commit it\n*\n")

    def prune(self) -> None:
        """Entries no memory file has any more (it changed, or went away): removed."""
        if not self.write or not self.folder.is_dir():
            return
        try:
            confined(self.folder, self.root, CACHE_DIR)
            names = os.listdir(self.folder)
        except (OSError, WorkflowError):
            return
        for name in names:
            if name.endswith(SUFFIX) and name[:-len(SUFFIX)] not in self.used:
                try:
                    (self.folder / name).unlink()
                except OSError:
                    continue
