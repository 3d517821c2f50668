"""What `check` reads of one document, and no more: the Chinese, the English, and the memory's
header (its first kilobytes) unless a finding needs the memory's segments.

Reads use os-level calls: for thousands of documents a file object per read costs more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from workflow.report.context import Context
from workflow.store import memory_scan
from workflow.store.documents import join
from workflow.store.memory import Memory
from workflow.store.memory import parse as parse_memory


def read(path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) <= size:  # the whole file in one read (the usual case)
            return data
        chunks = [data]
        while chunks[-1]:  # it grew since fstat
            chunks.append(os.read(fd, 1 << 20))
    except IsADirectoryError:
        return None
    finally:
        os.close(fd)
    return b"".join(chunks)


@dataclass(kw_only=True, slots=True)
class Doc:
    """One document as read: shown paths, the Chinese (None: deleted) and the English (None: missing)."""

    rel: str
    source: str
    output: str
    memory: str
    data: bytes | None
    out_data: bytes | None
    memory_path: str


def read_document(ctx: Context, rel: str) -> Doc:
    return Doc(rel=rel, source=f"{ctx.shown['source']}/{rel}", output=f"{ctx.shown['output']}/{rel}",
               memory=f"{ctx.shown['memory']}/{rel}.json", data=read(join(ctx.roots.source, rel)),
               out_data=read(join(ctx.roots.output, rel)), memory_path=join(ctx.roots.memory, rel) + ".json")


class MemoryFile:
    """A document's memory: its header from the head of the file; the whole file parsed only on demand.

    Raises MemoryCorrupt (from `header` or `memory`) when the file is not a memory workflow wrote.
    """

    def __init__(self, ctx: Context, doc: Doc, head: tuple[bytes, int, bool]) -> None:
        self.ctx, self.doc = ctx, doc
        self._data = head[0] if head[1] <= len(head[0]) else None  # the head is the whole file
        self._head = head
        self._memory: Memory | None = None

    @classmethod
    def open(cls, ctx: Context, doc: Doc) -> MemoryFile | None:
        head = memory_scan.read_head(doc.memory_path)
        return cls(ctx, doc, head) if head is not None else None

    def data(self) -> bytes:
        if self._data is None:
            self._data = read(self.doc.memory_path) or b""
        return self._data

    def header(self) -> memory_scan.Header:
        header = memory_scan.scan_head(self._head[0], self._head[2], self.ctx.info)
        if header is None:
            header = memory_scan.scan(self.data(), self.ctx.info)
        if header is None:
            header = memory_scan.Header.of(self.memory(), self.ctx.info)
        return header

    def memory(self) -> Memory:
        if self._memory is None:
            self._memory = parse_memory(self.data(), self.doc.memory)
        return self._memory
