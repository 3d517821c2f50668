"""Argos Translate packages: installed, in the index, downloaded, installed from a file, removed.

A thin layer over `argostranslate.package` (which honours ``ARGOS_PACKAGES_DIR``)
that returns plain data and raises domain errors whose message says what to do.
The index is fetched here with a timeout (argostranslate's own `update_package_index`
swallows errors and may hang), then written where argostranslate keeps it and read
back through `argostranslate.package.get_available_packages`. Downloads stream in
chunks so the CLI can draw a progress bar. Nothing here imports CTranslate2 or
`argostranslate.translate`, except `install_file`/`uninstall`, which clear its cache.

The model hash (provenance of every machine-translated segment) is a SHA-256 over
the package's ``model/`` files and its tokenizer model, cached by (path, size, times)
in ``$XDG_CACHE_HOME/workflow/model-hashes.json`` so a run with nothing to do stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.errors import EngineUnavailable, InputError, WorkflowError
from workflow.store.files import atomic_write

DEFAULT_PACKAGE = "translate-zh_en"
INDEX_TIMEOUT = 15.0  # seconds; `models` commands
QUICK_TIMEOUT = 5.0  # seconds; the hint in an EngineUnavailable message
CHUNK = 1 << 16
USER_AGENT = "workflow (Argos Translate package manager)"
TOKENIZER_FILES = ("sentencepiece.model", "bpe.model")
HASH_CACHE = "model-hashes.json"

DownloadProgress = Callable[[int, "int | None"], None]  # (bytes so far, total or None)


class IndexUnreachable(EngineUnavailable):
    """The package index cannot be read (offline, or the index URL is wrong)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot read the Argos package index {url} ({reason}). " + offline_hint())


@dataclass(frozen=True, kw_only=True)
class PackageInfo:
    """An installed package (`path` set) or one from the index (`links` set)."""

    name: str  # argospm name: translate-zh_en
    version: str
    from_code: str
    to_code: str
    from_name: str = ""
    to_name: str = ""
    path: Path | None = None
    size: int | None = None  # bytes on disk (installed) or to download (index), when known
    links: tuple[str, ...] = ()

    @property
    def pair(self) -> str:
        return f"{self.from_code}→{self.to_code}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "from": self.from_code, "to": self.to_code,
            "from_name": self.from_name, "to_name": self.to_name,
            "path": str(self.path) if self.path else None, "size": self.size, "links": list(self.links),
        }


def _argos_package() -> Any:
    from argostranslate import package

    return package


def _argos_settings() -> Any:
    from argostranslate import settings

    return settings


def packages_dir() -> Path:
    return Path(_argos_settings().package_data_dir)


def index_url() -> str:
    return str(_argos_settings().remote_package_index)


def human_size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


# -- installed packages --------------------------------------------------------------------


def _version_key(version: str) -> tuple[Any, ...]:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def installed_packages() -> list[Any]:
    """argostranslate `Package` objects of every installed package (all package dirs)."""
    package = _argos_package()
    found = []
    for directory in _argos_settings().package_dirs:
        if not Path(directory).is_dir():
            continue
        for path in sorted(Path(directory).iterdir()):
            if (path / "metadata.json").is_file():
                try:
                    pkg = package.Package(path)
                    package_name(pkg)  # a metadata.json with wrong value types fails here
                    found.append(pkg)
                except (OSError, ValueError, TypeError, KeyError, AttributeError):
                    continue  # a half-extracted or foreign folder: not a package
    return found


def package_name(pkg: Any) -> str:
    return str(_argos_package().argospm_package_name(pkg))


def find_installed(name: str) -> Any | None:
    """The installed package called `name` (highest version when several are), or None."""
    matches = [p for p in installed_packages() if package_name(p) == name]
    return max(matches, key=lambda p: _version_key(p.package_version), default=None)


def describe(pkg: Any) -> PackageInfo:
    path = Path(pkg.package_path)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return PackageInfo(name=package_name(pkg), version=pkg.package_version, from_code=pkg.from_code or "", to_code=pkg.to_code or "",
                       from_name=pkg.from_name or "", to_name=pkg.to_name or "", path=path, size=size)


def list_installed() -> list[PackageInfo]:
    return sorted((describe(p) for p in installed_packages()), key=lambda p: (p.name, _version_key(p.version)))


# -- identity without argostranslate (for `check`) -----------------------------------------


def light_package_dirs() -> list[Path]:
    """Where argostranslate looks for packages, found as `argostranslate.settings` finds it
    (ARGOS_PACKAGES_DIR, then its settings.json, then the XDG data folder) without importing
    it: importing it creates folders and `check` must stay free of it."""
    home = Path.home()
    configured = os.environ.get("ARGOS_PACKAGES_DIR")
    if configured is None:
        config = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config")) / "argos-translate" / "settings.json"
        try:
            value = json.loads(config.read_text(encoding="utf-8")).get("ARGOS_PACKAGES_DIR")
            configured = value if isinstance(value, str) else None
        except (OSError, ValueError, AttributeError):
            configured = None
    data = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share")) / "argos-translate" / "packages"
    return [Path(configured) if configured else data]


def light_identity(name: str) -> tuple[str, str] | None:
    """(version, model hash) of the installed package called `name`, from its metadata.json and
    the model-hash cache; None when it is not installed here."""
    found: list[tuple[tuple[Any, ...], str, Path]] = []
    for directory in light_package_dirs():
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            try:
                meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(meta, dict) or not meta.get("from_code") or not meta.get("to_code"):
                continue
            if f"{meta.get('type', 'translate')}-{meta['from_code']}_{meta['to_code']}" == name:
                version = str(meta.get("package_version", ""))
                found.append((_version_key(version), version, path))
    if not found:
        return None
    _, version, path = max(found, key=lambda f: f[0])
    return version, model_hash(path, store=False)


# -- the index -----------------------------------------------------------------------------


def offline_hint(name: str = DEFAULT_PACKAGE) -> str:
    return (f"Install from a file instead: download the {name} .argosmodel file on a machine with internet "
            f"(its link is in {index_url()}), then run `workflow models install --file PATH.argosmodel`.")


def fetch_index(timeout: float = INDEX_TIMEOUT) -> list[PackageInfo]:
    """Download the package index, store it where argostranslate reads it, return its packages."""
    url = index_url()
    try:
        data = _get(url, timeout)
        entries = json.loads(data)
        if not isinstance(entries, list):
            raise ValueError("the index is not a JSON list")
    except (OSError, ValueError) as exc:
        raise IndexUnreachable(url, _reason(exc)) from None
    local = Path(_argos_settings().local_package_index)
    local.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(local, data)
    package = _argos_package()
    out = []
    for metadata in entries:
        if isinstance(metadata, dict):
            pkg = package.AvailablePackage(metadata)
            out.append(PackageInfo(name=package_name(pkg), version=pkg.package_version, from_code=pkg.from_code or "", to_code=pkg.to_code or "",
                                   from_name=pkg.from_name or "", to_name=pkg.to_name or "", path=None, size=_index_size(metadata),
                                   links=tuple(pkg.links)))
    return sorted(out, key=lambda p: (p.name, _version_key(p.version)))


def _index_size(metadata: dict[str, Any]) -> int | None:
    for key in ("size", "size_bytes", "filesize", "file_size"):
        value = metadata.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def find_available(name: str, timeout: float = INDEX_TIMEOUT) -> PackageInfo:
    """The newest `name` in the index, with its download size when the server tells it."""
    matches = [p for p in fetch_index(timeout) if p.name == name]
    if not matches:
        raise WorkflowError(f"the Argos package index {index_url()} has no package `{name}`. "
                            "See `workflow models list --available` for the names it has.")
    best = matches[-1]
    if best.size is None:
        best = PackageInfo(**{**best.__dict__, "size": _remote_size(best.links, timeout)})
    return best


def _remote_size(links: tuple[str, ...], timeout: float) -> int | None:
    import urllib.request  # network and archive modules: loaded only by the command that needs them

    for link in links:
        try:
            request = urllib.request.Request(link, method="HEAD", headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                if length and length.isdigit():
                    return int(length)
        except (OSError, ValueError):
            continue
    return None


_HINTS: dict[tuple[str, str], str] = {}


def download_hint(name: str) -> str:
    """What `workflow models install NAME` would fetch, or why it cannot (for error messages).

    Asked once per process and index URL: the engine may be constructed twice in a run.
    """
    key = (name, index_url())
    if key not in _HINTS:
        _HINTS[key] = _download_hint(name)
    return _HINTS[key]


def _download_hint(name: str) -> str:
    try:
        pkg = find_available(name, QUICK_TIMEOUT)
    except IndexUnreachable as exc:
        return (f"The package index {exc.url} cannot be reached ({exc.reason}), so it cannot be downloaded now. "
                + offline_hint(name))
    except WorkflowError as exc:
        return exc.message + " " + offline_hint(name)
    source = pkg.links[0] if pkg.links else index_url()
    return (f"Run `workflow models install {name}`: it downloads {name} {pkg.version} ({pkg.pair}, "
            f"{human_size(pkg.size)}) from {source}. Offline, run `workflow models install --file PATH.argosmodel`.")


# -- download and install ------------------------------------------------------------------


def download(pkg: PackageInfo, progress: DownloadProgress | None = None, timeout: float = INDEX_TIMEOUT) -> Path:
    """Fetch the package file (trying each link) into argostranslate's downloads folder."""
    downloads = Path(_argos_settings().downloads_dir)
    downloads.mkdir(parents=True, exist_ok=True)
    errors = []
    for link in pkg.links:
        target = downloads / f"{pkg.name}-{pkg.version.replace('.', '_')}.argosmodel"
        try:
            _stream(link, target, progress, timeout)
            return target
        except OSError as exc:
            errors.append(f"{link}: {_reason(exc)}")
    detail = "; ".join(errors) or "the index lists no download link"
    raise EngineUnavailable(f"cannot download {pkg.name} {pkg.version} ({detail}). " + offline_hint(pkg.name))


def _stream(url: str, target: Path, progress: DownloadProgress | None, timeout: float) -> None:
    import urllib.request  # network and archive modules: loaded only by the command that needs them

    partial = target.with_name(target.name + ".partial")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(partial, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        while chunk := response.read(CHUNK):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    if total is not None and done != total:
        partial.unlink(missing_ok=True)
        raise OSError(f"download ended after {done} of {total} bytes")
    partial.replace(target)


def read_package(path: Path) -> tuple[str, dict[str, Any]]:
    """Validate an .argosmodel file (a zip, one top folder, metadata.json, model/): (folder, metadata)."""
    import zipfile  # network and archive modules: loaded only by the command that needs them

    shown = str(path)
    if not path.is_file():
        raise InputError("no such file. Give the path of a downloaded .argosmodel file.", path=shown)
    if not zipfile.is_zipfile(path):
        raise InputError("is not an Argos package (.argosmodel files are zip archives). Download it again.", path=shown)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            top = _top_folder(names, shown)
            if f"{top}/metadata.json" not in names:
                raise InputError(f"is not an Argos package: {top}/metadata.json is missing.", path=shown)
            if not any(n.startswith(f"{top}/model/") for n in names):
                raise InputError(f"is not an Argos translation package: {top}/model/ is missing.", path=shown)
            metadata = json.loads(zf.read(f"{top}/metadata.json"))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(f"cannot read the package ({_reason(exc)}). Download it again.", path=shown) from None
    _check_metadata(metadata, shown)
    return top, metadata


def _top_folder(names: list[str], shown: str) -> str:
    """The package's one top folder; refuses absolute, `.`/`..` and traversing member names."""
    for name in names:
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (parts and parts[0] in ("", ".")) or ":" in parts[0]:
            raise InputError(f"is not an Argos package: member `{name}` would be written outside its folder. "
                             "Download it again from a source you trust.", path=shown)
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) != 1:
        raise InputError(f"is not an Argos package: it must hold one folder, not {len(tops)} entries.", path=shown)
    return tops.pop()


def _check_metadata(metadata: Any, shown: str) -> None:
    if not isinstance(metadata, dict) or not metadata.get("from_code") or not metadata.get("to_code"):
        raise InputError("has a metadata.json without from_code/to_code. Is it an Argos package?", path=shown)
    for key in ("from_code", "to_code", "package_version", "from_name", "to_name", "type", "argos_version"):
        if key in metadata and not isinstance(metadata[key], str):
            raise InputError(f"has a metadata.json whose `{key}` is not a string. Download it again.", path=shown)


def install_file(path: Path) -> tuple[PackageInfo, list[PackageInfo]]:
    """Install an .argosmodel file; other installed versions of the same package are removed.

    The archive is extracted into a staging folder beside the packages and verified there,
    then swapped in with renames: a corrupt archive leaves an installed package as it was.
    Returns the installed package and the ones it replaced.
    """
    import shutil
    import tempfile
    import zipfile  # network and archive modules: loaded only by the command that needs them

    top, metadata = read_package(path)
    package = _argos_package()
    name = package_name(package.AvailablePackage(metadata))
    root = packages_dir()
    target = (root / top).resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
        try:
            with zipfile.ZipFile(path) as zf:
                zf.extractall(staging)
            _verify_extracted(staging / top, str(path))
            _swap(staging / top, target, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise WorkflowError(f"cannot install {path} into {root} ({_reason(exc)}); nothing installed. "
                            "Download it again.") from None
    _clear_argos_cache()
    installed = package.Package(target)
    replaced = []
    for old in installed_packages():
        if package_name(old) == name and Path(old.package_path).resolve() != target:
            replaced.append(describe(old))
            package.uninstall(old)
    return describe(installed), replaced


def _verify_extracted(folder: Path, shown: str) -> None:
    try:
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the package's metadata.json ({_reason(exc)}). Download it again.", path=shown) from None
    _check_metadata(metadata, shown)
    if not model_files(folder) or not (folder / "model").is_dir():
        raise InputError("is not an Argos translation package: its model/ folder holds no files.", path=shown)


def _swap(new: Path, target: Path, staging: Path) -> None:
    """Move `new` to `target`; an existing `target` is renamed into `staging` first (removed with it)."""
    if target.exists():
        target.rename(staging / ".previous")
        try:
            new.rename(target)
        except OSError:
            (staging / ".previous").rename(target)
            raise
    else:
        new.rename(target)


def _clear_argos_cache() -> None:
    from argostranslate.translate import get_installed_languages

    get_installed_languages.cache_clear()


def remove(name: str) -> list[PackageInfo]:
    """Uninstall every installed version of `name` (a package name or a folder name)."""
    package = _argos_package()
    matches = [p for p in installed_packages() if name in (package_name(p), Path(p.package_path).name)]
    if not matches:
        names = ", ".join(sorted({package_name(p) for p in installed_packages()})) or "none"
        raise WorkflowError(f"no installed package `{name}` (installed: {names}). See `workflow models list`.")
    removed = [describe(p) for p in matches]
    for pkg in matches:
        package.uninstall(pkg)
    return removed


# -- model hash, cached --------------------------------------------------------------------


def model_files(package_path: Path) -> list[Path]:
    model = package_path / "model"
    files = sorted(f for f in model.rglob("*") if f.is_file()) if model.is_dir() else []
    return files + [package_path / n for n in TOKENIZER_FILES if (package_path / n).is_file()]


def model_hash(package_path: Path, store: bool = True) -> str:
    """SHA-256 (first 16 hex digits) of model/ and the tokenizer model; cached by stat
    (`store=False`: use the cache but never write it, for `check`, which writes nothing)."""
    files = model_files(package_path)
    key = hashlib.sha256(repr([(str(f), *_stat(f)) for f in files]).encode()).hexdigest()
    cache_path = _cache_dir() / HASH_CACHE
    cache = _read_cache(cache_path)
    entry = cache.get(str(package_path.resolve()))
    if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("hash"), str):
        return str(entry["hash"])
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(package_path).as_posix().encode() + b"\0")
        with open(f, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    value = digest.hexdigest()[:16]
    if not store:
        return value
    cache[str(package_path.resolve())] = {"key": key, "hash": value}
    try:
        atomic_write(cache_path, json.dumps(cache, indent=1, sort_keys=True).encode())
    except OSError:
        pass  # a read-only cache only costs speed
    return value


def _stat(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workflow"


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# -- helpers ---------------------------------------------------------------------------------


def _get(url: str, timeout: float) -> bytes:
    import urllib.request  # network and archive modules: loaded only by the command that needs them

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data: bytes = response.read()
        return data


def _reason(exc: BaseException) -> str:
    import urllib.error  # network and archive modules: loaded only by the command that needs them

    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__

