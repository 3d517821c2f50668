"""Which documents a command is about: a document is a Chinese source, its English file and its memory.

All three share one path relative to their folder (`2018/x.md`: `source_zh/2018/x.md`,
`output_en/2018/x.md`, `output_en/.workflow/2018/x.md.json`), so a document is named by
that relative path, and any of its files, or a folder of any of them, names it. A
document may lack any of the three files; one whose Chinese is gone is an orphan.
Pages `workflow publish` writes into the output folder are not documents. A segment's
line in the English file follows from its line in the Chinese (`recorded_lines`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workflow.config import Settings, real, real_folder
from workflow.errors import ConfigError, InputError, WorkflowError
from workflow.store.files import MARKDOWN_SUFFIXES, markdown_files
from workflow.store.memory import Memory

# -- the Chinese sources paths name (translate, review, publish) -----------------------------


def sources(settings: Settings, paths: Iterable[Path] = ()) -> list[Path]:
    """The document selector of translate, review and publish: the Chinese sources `paths` name.

    A path is a Chinese file, an English file (its document's source) or a folder of either;
    no paths: every source. Relative paths are relative to the project root (`-C`). A path
    that names nothing is kept, so the command reports it per document and goes on.
    (`documents` below is check's: it also names documents whose Chinese is gone.)"""
    require_source(settings)
    given = [_existing(settings, p) for p in paths]
    if not given:
        return markdown_files(settings.source)
    found: list[Path] = []
    everything = markdown_files(settings.source)
    for path in given:
        if inside(path, settings.output):
            if path.is_dir():
                found += [s for s in everything if inside(settings.output / rel_to(s, settings.source), path)]
            else:
                source = settings.source / rel_to(path, settings.output)
                if source.is_dir():  # an English folder not written yet names its Chinese folder
                    found += markdown_files(source)
                else:  # neither file exists: keep the path given, so the error names what the user typed
                    found.append(source if source.exists() or path.exists() else path)
        elif path.is_dir():
            found += markdown_files(path)
        else:
            found.append(path)
    return sorted(dict.fromkeys(p.resolve() for p in found))


def require_source(settings: Settings) -> None:
    """A source folder that does not exist is a misnamed folder or the wrong project root, never "nothing to do"."""
    if not settings.source.is_dir():
        where = settings.config_file.name if settings.config_file else "[tool.workflow] of pyproject.toml"
        raise ConfigError(f"the source folder {settings.rel(settings.source)}/ does not exist in {settings.root}. "
                          f"Set `source` in {where}, or give the project root with -C.")


def _existing(settings: Settings, path: Path) -> Path:
    """Relative paths are relative to the project root (`-C` runs as if started there)."""
    return settings.resolve(path).resolve()


def inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def rel_to(path: Path, folder: Path) -> str:
    return path.resolve().relative_to(folder.resolve()).as_posix()


def fast_rel(path: Path, folder: Path) -> str | None:
    """`rel_to(path, folder)` through `real`; None when `path` is not inside `folder` (POSIX paths)."""
    base = real_folder(os.fspath(folder))
    full = real(path)
    prefix = base.rstrip("/") + "/"
    return full[len(prefix):] if full.startswith(prefix) and os.sep == "/" else None


def shown(settings: Settings, path: Path) -> str:
    """`settings.rel(path)` through `real`."""
    rel = fast_rel(path, settings.root)
    return rel if rel is not None else settings.rel(path)


def documents(settings: Settings, paths: list[Path]) -> list[str]:
    """Relative paths of the documents `paths` name (files or folders; every document when none).

    Relative `paths` are relative to the project root (`-C`). Raises InputError for a
    path outside the source and output folders, or a file that does not exist.
    """
    require_source(settings)
    roots = Roots(settings)
    if not paths:
        found_all = sorted(roots.all(""))
        unnamed = [rel for rel in found_all if "\\x" in rel and not os.path.exists(join(roots.source, rel))]
        if unnamed:
            raise InputError(f"file names that are not valid UTF-8: {', '.join(unnamed)}. Rename them "
                             "(translate refuses them too).", path=settings.rel(settings.source))
        if not found_all:
            raise InputError(f"no documents in {settings.rel(settings.source)}/ or {settings.rel(settings.output)}/: "
                             "nothing to check. Add Chinese Markdown files, or check the `source` setting.")
        return found_all
    found: set[str] = set()
    for path in paths:
        found |= roots.named(path)
    return sorted(found)


@dataclass
class Roots:
    """The three folders, resolved once, as strings (a path object per file costs more than hashing it)."""

    settings: Settings
    source: str = ""
    output: str = ""
    memory: str = ""

    def __post_init__(self) -> None:
        self.source = str(self.settings.source.resolve())
        self.output = str(self.settings.output.resolve())
        self.memory = str(self.settings.memory_root.resolve())

    def all(self, sub: str) -> set[str]:
        """Documents with any of their three files under folder `sub` (relative)."""
        published = self.settings.bilingual + "/"  # `workflow publish` pages, not translations
        english = {rel for rel in walk(self.output, sub, MARKDOWN_SUFFIXES) if not rel.startswith(published)}
        found = set(walk(self.source, sub, MARKDOWN_SUFFIXES)) | english
        found |= {rel[:-5] for rel in walk(self.memory, sub, (".json",)) if rel[:-5].endswith(MARKDOWN_SUFFIXES)}
        return found

    def named(self, path: Path) -> set[str]:
        full = str((self.settings.root / path).resolve())
        bilingual = join(self.output, self.settings.bilingual)
        for root, suffix in ((self.memory, ".json"), (bilingual, ""), (self.output, ""), (self.source, "")):
            if full == root or full.startswith(root + os.sep):
                rel = full[len(root) + 1:].replace(os.sep, "/")
                if os.path.isdir(full):
                    return self.all(rel)
                rel = rel[: -len(suffix)] if suffix and rel.endswith(suffix) else rel
                if not self.exists(rel):
                    raise InputError("no such file. Check the path.", path=self.settings.rel(path))
                return {rel}
        raise InputError(
            f"is not inside {self.settings.rel(self.settings.source)}/ or {self.settings.rel(self.settings.output)}/. "
            "Give paths under them.", path=self.settings.rel(path))

    def exists(self, rel: str) -> bool:
        return any(os.path.isfile(p) for p in (join(self.source, rel), join(self.output, rel),
                                                 join(self.memory, rel) + ".json"))


def join(root: str, rel: str) -> str:
    return root + os.sep + rel.replace("/", os.sep) if rel else root


def walk(root: str, sub: str, suffixes: tuple[str, ...]) -> list[str]:
    """Relative paths of the files under root/sub ending in `suffixes`, skipping dot-files and dot-folders
    (the rules of `files.markdown_files`)."""
    found: list[str] = []
    stack = [(join(root, sub), sub + "/" if sub else "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # gone, not a folder, unreadable
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, prefix + name + "/"))
            # the file type comes with the folder's entries: only a link is looked up (not a link to nowhere)
            elif name.endswith(suffixes) and (not entry.is_symlink() or os.path.exists(entry.path)):
                found.append(_printable(prefix + name))
    return found


def _printable(rel: str) -> str:
    """A name whose bytes are not UTF-8 is shown with them escaped (`\\xff`): it can be printed and
    reported (translate refuses it), never silently skipped."""
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def recorded_lines(memory: Memory, source: bytes, english: bytes, shown_source: str, shown_english: str) -> dict[str, int]:
    """Segment id -> line in the English file as memory recorded it (the English file's hash is the
    recorded one, or the lines are a best guess): the line in the Chinese, shifted by the front matter and by
    the extra or missing lines of the English of the paragraphs before it; front-matter values at their key."""
    from workflow.store.post import key_line, parse

    try:
        post = parse(english, shown_english)
        shift = post.body_line - parse(source, shown_source).body_line
        front = post.front.raw if post.front else ""
    except WorkflowError:
        shift, front = 0, ""
    lines: dict[str, int] = {}
    for record in sorted(memory.segments, key=lambda r: r.line):
        if record.kind.startswith("meta:"):
            lines[record.id] = key_line(front, record.kind[5:])
            continue
        lines[record.id] = record.line + shift
        shift += record.final.count("\n") - record.source.count("\n")
    return lines
