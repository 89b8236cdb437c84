"""The zoo's file I/O in one place: id checks, atomic writes, crash-safe publishing and cache folders.

Every file the zoo writes for others to read (checkpoint folders, registry entries, cards, caches, sample
files) goes through a temporary name in the target's own folder and one ``os.replace``, so a reader sees the
old file or the new one, never half of one (POSIX ``rename(2)`` is atomic within one file system).

Publishing a checkpoint changes two places, ``checkpoints/<id>/`` and ``zoo/pretrained/<id>.json``; two renames
cannot be one atomic step, so :func:`publish` writes a *journal* first (the write-ahead idea of database logs,
e.g. Gray & Reuter, "Transaction Processing", 1992, ch. 9). Before the journal exists nothing visible has
changed and a crash is rolled *back* (the temporary files are deleted); once it exists the publish is
decided and a crash is rolled *forward* by :func:`recover` (the renames are idempotent: each step is done
only if its source is still there).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
JOURNAL_PREFIX = ".publish-"
# ".<name>.tmp-<pid>-<random>"; names without a pid were left by versions before this module (always stale)
_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?:(?P<pid>\d+)-)?\w+")


class InvalidIdError(ValueError):
    """An id that cannot name a checkpoint folder (empty, ``.``, a path, odd characters)."""


def validate_id(model_id: object) -> str:
    """Return ``model_id`` if it is a safe single folder name: letters, digits, ``.``, ``_`` and ``-``, starting
    with a letter or digit, at most 96 characters. Everything that touches ``checkpoints/<id>`` checks this
    first, so an id can never be ``""``, ``.``, ``..``, an absolute path or contain a ``/``."""
    if not isinstance(model_id, str) or not ID_PATTERN.fullmatch(model_id):
        raise InvalidIdError(
            f"invalid model id {model_id!r}: an id is one folder name of letters, digits, '.', '_' and '-' that "
            "starts with a letter or digit (e.g. 'gcn-cora'), not a path")
    return model_id


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (library errors often append URLs or help), or its type."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


# ----------------------------------------------------------------------------------------- hashing and keys

def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_key(*paths: str | os.PathLike, length: int = 16) -> str:
    """A short key naming *which data* a cache was computed from: each path resolved (symlinks followed)
    and the sha256 of every file in it (folders are walked in sorted order). Other data, the same data under
    another path, or an edited file all give another key, so a cache can never answer for other data."""
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path).expanduser().resolve()
        digest.update(f"{path}\0".encode())
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(f"{file.relative_to(path) if file != path else ''}\0{sha256_file(file)}\0".encode())
            else:
                digest.update(b"missing\0")
    return digest.hexdigest()[:length]


# ------------------------------------------------------------------------------------- untrusted pickles

class UnsafeFileError(ValueError):
    """A data file that would run code, or build objects its format never holds, if it were loaded."""


def restricted_load(path: str | os.PathLike, constructors: dict[tuple[str, str], Any], what: str) -> Any:
    """Read the pickle at ``path``, a format the zoo did not write, building nothing but ``constructors``.

    A pickle names each class or function it calls as ``(module, name)``; here every such name is looked up in
    ``constructors`` (exact pairs, mapped to the objects that stand for them) and nothing is ever imported, so a
    file naming ``posix.system`` (however its opcodes hide the name) raises :class:`UnsafeFileError` before any
    of it runs. A damaged file is an :class:`UnsafeFileError` too; both messages are one line naming ``path``.
    """
    import pickle

    class ForeignName(UnsafeFileError):
        """A (module, name) outside ``constructors``."""

    class Restricted(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            try:
                return constructors[(module, name)]
            except KeyError:
                raise ForeignName(
                    f"{path} is not a plain {what}: it names {module}.{name}, which that format never holds, so it "
                    "was not loaded. Replace it with the original file.") from None

    with open(path, "rb") as f:
        try:
            return Restricted(f, encoding="latin1").load()  # latin1: Python 2 pickles of numpy arrays
        except ForeignName:
            raise
        except Exception as err:  # truncated or malformed: pickle raises many types, all meaning "unreadable"
            raise UnsafeFileError(f"{path} is not a readable {what} ({first_line(err)}); replace it with the "
                                  "original file") from err


# ----------------------------------------------------------------------------------------------- caches

def cache_dir(*parts: str) -> Path:
    """A writable folder for processed data and caches (the data root may be read-only, as in CI):
    ``$ZOO_CACHE_DIR`` or ``$XDG_CACHE_HOME/zoo/processed`` (default ``~/.cache/zoo/processed``), then
    ``parts``. Created if missing."""
    base = os.environ.get("ZOO_CACHE_DIR")
    if not base:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zoo" / "processed"
    path = Path(base).expanduser().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


# ------------------------------------------------------------------------------------------ atomic files

def _temp_name(target: Path, kind: str = "tmp") -> str:
    """``.<name>.<kind>-<pid>-`` : the prefix of a temporary sibling; the pid tells :func:`recover` whether
    the writer is still alive."""
    return f".{target.name}.{kind}-{os.getpid()}-"


def _make_readable(path: Path) -> None:
    """mkdtemp/mkstemp create owner-only entries; what the zoo writes is shared like any other file."""
    if path.is_dir():
        path.chmod(0o755)
        for child in path.rglob("*"):
            child.chmod(0o755 if child.is_dir() else 0o644)
    else:
        path.chmod(0o644)


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write with any library (``np.save``, PIL, safetensors); on
    success it replaces ``path`` in one rename, on any error it is removed. ``suffix`` keeps an extension
    that a writer insists on (``.npz``, ``.png``)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_temp_name(path), suffix=suffix, dir=path.parent)
    except OSError as err:  # name the file the user asked for, not the temporary sibling
        raise type(err)(err.errno, err.strerror, str(path)) from err
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        _make_readable(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """``open`` whose result appears at ``path`` only when the block finishes without error."""
    with atomic_path(path) as tmp, open(tmp, mode) as f:
        yield f


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    with atomic_open(path, "w") as f:
        f.write(text)


@contextmanager
def atomic_folder(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it replaces ``target`` (old folder aside, new
    one in, old one removed). On any error the temporary folder is removed."""
    target = Path(target)
    with staged_folder(target) as tmp:
        yield tmp
        publish(target, tmp)


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` that is removed if the block fails (or :func:`publish` did not
    move it into place)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_name(target), dir=target.parent))
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------ crash-safe publish

def publish(folder: Path, staged: Path, files: dict[Path, str] | None = None) -> None:
    """Replace ``folder`` by the ready folder ``staged`` and write each ``{path: text}`` of ``files``, as one
    step a crash cannot split: journal, then renames, then the journal is removed.

    Order: (1) every new file is written to a temporary sibling; (2) the journal naming every rename is
    written atomically into ``folder.parent`` (the commit point); (3) ``folder`` -> ``.<name>.old-*``,
    ``staged`` -> ``folder``, each temporary file -> its path; (4) the old folder and the journal are removed.
    A crash before (2) leaves only temporary names, which :func:`recover` deletes; after (2) :func:`recover`
    finishes (3) and (4).
    """
    folder, staged = Path(folder), Path(staged)
    _make_readable(staged)
    renames: list[tuple[str, str]] = []
    try:
        for path, text in (files or {}).items():
            fd, tmp = tempfile.mkstemp(prefix=_temp_name(Path(path)), dir=Path(path).parent)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            renames.append((tmp, str(path)))
        old = Path(tempfile.mkdtemp(prefix=_temp_name(folder, "old"), dir=folder.parent))
        old.rmdir()  # only the unique name is wanted; the folder moves there
        journal = {"folder": str(folder), "staged": str(staged), "old": str(old), "files": renames}
        with atomic_open(_journal_path(folder)) as f:
            json.dump(journal, f)
    except BaseException:
        for tmp, _ in renames:
            Path(tmp).unlink(missing_ok=True)
        raise
    _roll_forward(_journal_path(folder), journal)


def _journal_path(folder: Path) -> Path:
    return folder.parent / f"{JOURNAL_PREFIX}{folder.name}.json"


def _roll_forward(path: Path, journal: dict) -> None:
    folder, staged, old = Path(journal["folder"]), Path(journal["staged"]), Path(journal["old"])
    if staged.exists():  # the new folder is not in place yet
        if folder.exists() and not old.exists():
            folder.rename(old)
        staged.rename(folder)
    for tmp, target in journal["files"]:
        if Path(tmp).exists():
            os.replace(tmp, target)
    if old.exists():
        shutil.rmtree(old)
    path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid < 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(*folders: str | os.PathLike) -> list[str]:
    """Finish or undo what a crashed :func:`publish` or atomic write left in ``folders``; return what was done.

    Journals are rolled forward; temporary (``.<name>.tmp-<pid>-*``) and displaced (``.<name>.old-<pid>-*``)
    entries of writers that are no longer running are removed, except a displaced folder whose original is
    missing, which is put back. Entries of running writers are left alone.
    """
    done = []
    bases = [Path(f) for f in folders if Path(f).is_dir()]
    for base in bases:  # journals first: their temporary files must not be swept as leftovers
        for journal_path in sorted(base.glob(f"{JOURNAL_PREFIX}*.json")):
            try:
                journal = json.loads(journal_path.read_text())
            except (OSError, ValueError):
                journal_path.unlink(missing_ok=True)  # written atomically: a broken one was never committed
                continue
            if _alive(_pid_of(Path(journal["staged"]))):
                continue
            _roll_forward(journal_path, journal)
            done.append(f"finished the interrupted publish of {journal['folder']}")
    for base in bases:
        for entry in sorted(base.glob(".*")):
            match = _LEFTOVER.fullmatch(entry.name)
            if not match or _alive(_pid_of(entry)):
                continue
            original = entry.with_name(match["name"])
            if match["kind"] == "old" and entry.is_dir() and not original.exists():
                entry.rename(original)
                done.append(f"restored {original} from {entry.name}")
            elif entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                done.append(f"removed {entry}")
            else:
                entry.unlink(missing_ok=True)
                done.append(f"removed {entry}")
    return done


def _pid_of(path: Path) -> int:
    """The writer's pid in a temporary name; -1 (never alive) when the name carries none."""
    match = _LEFTOVER.fullmatch(path.name)
    return int(match["pid"]) if match and match["pid"] else -1
