"""The zoo's file I/O in one place: id checks, atomic writes, crash-safe publishing and cache folders.

Every file the zoo writes for others to read (checkpoint folders, registry entries, cards, caches, sample
files) goes through a temporary name in the target's own folder and one ``os.replace``, so a reader sees the
old file or the new one, never half of one (POSIX ``rename(2)`` is atomic within one file system).

Publishing a checkpoint changes two places, ``checkpoints/<id>/`` and ``zoo/pretrained/<id>.json``; two renames
cannot be one atomic step, so :func:`publish` writes a *journal* first (the write-ahead idea of database logs,
e.g. Gray & Reuter, "Transaction Processing", 1992, ch. 9). Before the journal exists nothing visible has
changed and a crash is rolled *back* (the staged folder is swept); once it exists the publish is decided and
a crash is rolled *forward* by :func:`recover` (the renames are idempotent: each step is done only if its
source is still there). Recovery trusts only what the zoo wrote: a journal names no path, only names inside
the folder it sits in (see "Trust" below), and only staged folders carrying the zoo's marker are ever swept.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")


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

def _temp_name(target: Path) -> str:
    """``.<name>.tmp-<pid>-`` : the prefix of a temporary sibling, naming the process that writes it."""
    return f".{target.name}.tmp-{os.getpid()}-"


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
        tmp.chmod(0o644)  # mkstemp makes an owner-only file; what the zoo writes is shared like any other file
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
    """A temporary folder beside ``target`` (``.<name>.tmp-<pid>-<token>``, holding the marker file
    :data:`STAGED_MARKER` with its token) that is removed if the block fails or :func:`publish` did not move it
    into place. The marker is what lets :func:`recover` sweep it after a crash and nothing else. Refused (before
    anything is written) when ``target`` is a symbolic link or a file: the zoo replaces only its own folders."""
    target = Path(target)
    check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    tmp = target.parent / (_temp_name(target) + token)
    tmp.mkdir()
    try:
        (tmp / STAGED_MARKER).write_text(token)
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def check_replaceable(folder: Path) -> None:
    """Raise ``ValueError`` unless ``folder`` is missing or a real folder (not a symbolic link, not a file)."""
    folder = Path(folder)
    if folder.is_symlink():
        raise ValueError(f"{folder} is a symbolic link; the zoo replaces only real folders, so nothing was written. "
                         "Remove the link (or point the command at the folder it names)")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a folder; move it away and run the command again")


# ------------------------------------------------------------------------------------ crash-safe publish
#
# Trust: a journal is input like any other file in a clone or an archive. It names no path: only the id-like
# name of the folder it replaces, the writer's pid and a random token; the staged and displaced folders and the
# temporary files are derived from those (``.<name>.tmp-<pid>-<token>``, ``.<name>.old-<pid>-<token>``), so
# every path lies in the journal's own folder, except registry files, whose folder must be one of the folders
# recovery was given (compared after resolving symbolic links). A journal that fails any check is left alone.

JOURNAL_PREFIX = ".publish-"
JOURNAL_FORMAT = "zoo-publish-2"
STAGED_MARKER = ".zoo-staged"  # inside a staged folder: its token, the proof that the zoo made it
_STAGED = re.compile(r"\.(?P<name>.+)\.tmp-(?P<pid>\d+)-(?P<token>[0-9a-f]{16})")


class UntrustedJournalError(ValueError):
    """A ``.publish-*.json`` the zoo cannot verify it wrote; recovery leaves it (and what it names) alone."""


@dataclass(frozen=True)
class PublishPlan:
    """What a journal commits to, as paths derived from its names (never read from it)."""

    journal: Path
    folder: Path
    staged: Path
    old: Path
    token: str
    pid: int
    files: tuple[tuple[Path, Path], ...]  # (temporary file, target)


def publish(folder: Path, staged: Path, files: dict[Path, str] | None = None) -> None:
    """Replace ``folder`` by ``staged`` (made by :func:`staged_folder`) and write each ``{path: text}`` of
    ``files``, as one step a crash cannot split: journal, then renames, then the journal is removed.

    Order: (1) every new file is written to ``.<name>.tmp-<pid>-<token>`` beside it; (2) the journal is written
    atomically into ``folder.parent`` (the commit point); (3) ``folder`` -> ``.<name>.old-<pid>-<token>``,
    ``staged`` -> ``folder``, each temporary file -> its path; (4) the marker, the old folder and the journal
    are removed. A crash before (2) leaves the staged folder, which :func:`recover` sweeps by its marker; after
    (2) :func:`recover` finishes (3) and (4).
    """
    folder, staged = Path(folder), Path(staged)
    match = _STAGED.fullmatch(staged.name)
    if (not match or match["name"] != folder.name or staged.parent != folder.parent
            or _marker_token(staged) != match["token"]):
        raise ValueError(f"{staged} is not a folder staged for {folder} (make it with zoo.io.staged_folder)")
    check_replaceable(folder)
    for path in files or {}:
        if not ID_PATTERN.fullmatch(Path(path).name):
            raise ValueError(f"{path}: the files of a publish have plain names (letters, digits, '.', '_', '-')")
    pid, token = int(match["pid"]), match["token"]
    journal = {"format": JOURNAL_FORMAT, "folder": folder.name, "pid": pid, "token": token,
               "files": [{"dir": str(Path(path).parent.resolve()), "name": Path(path).name} for path in files or {}]}
    plan = _plan(folder.parent, journal)
    try:
        for (tmp, _), text in zip(plan.files, (files or {}).values()):
            with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "w") as f:
                f.write(text)
        with atomic_open(plan.journal) as f:
            json.dump(journal, f)
    except BaseException:
        for tmp, _ in plan.files:
            tmp.unlink(missing_ok=True)
        raise
    _roll_forward(plan)


def _plan(base: Path, journal: dict) -> PublishPlan:
    folder = journal["folder"]
    pid, token = journal["pid"], journal["token"]
    files = tuple((Path(f["dir"]) / f".{f['name']}.tmp-{pid}-{token}", Path(f["dir"]) / f["name"])
                  for f in journal["files"])
    return PublishPlan(journal=base / f"{JOURNAL_PREFIX}{folder}.json", folder=base / folder,
                       staged=base / f".{folder}.tmp-{pid}-{token}", old=base / f".{folder}.old-{pid}-{token}",
                       token=token, pid=pid, files=files)


def read_journal(path: Path, trusted: list[Path]) -> PublishPlan:
    """The plan of the journal at ``path``, or :class:`UntrustedJournalError` saying why it is not one the zoo
    wrote: its names are the zoo's (an id, a pid, a 16-hex token), its folder and temporary names are no
    symbolic links, its staged folder (if still there) holds the matching marker, and each registry file lies in
    a folder of ``trusted`` (after resolving symbolic links). Reads only."""
    if path.is_symlink():
        raise UntrustedJournalError("it is a symbolic link")
    try:
        journal = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise UntrustedJournalError(f"it is not readable JSON ({first_line(err)})") from err
    if not isinstance(journal, dict) or journal.get("format") != JOURNAL_FORMAT:
        raise UntrustedJournalError(f"it lacks the format mark {JOURNAL_FORMAT!r} of the journals this zoo writes")
    folder, pid, token, files = (journal.get(k) for k in ("folder", "pid", "token", "files"))
    if (not isinstance(folder, str) or not ID_PATTERN.fullmatch(folder)
            or path.name != f"{JOURNAL_PREFIX}{folder}.json" or type(pid) is not int or pid < 0
            or not isinstance(token, str) or not re.fullmatch(r"[0-9a-f]{16}", token)
            or not isinstance(files, list)):
        raise UntrustedJournalError("its folder, pid or token is not one the zoo generates")
    roots = {Path(root).resolve() for root in trusted}
    for entry in files:
        if (not isinstance(entry, dict) or not isinstance(entry.get("name"), str)
                or not ID_PATTERN.fullmatch(entry["name"]) or not isinstance(entry.get("dir"), str)):
            raise UntrustedJournalError("a file entry is not a plain name in a folder")
        if Path(entry["dir"]).resolve() not in roots:
            raise UntrustedJournalError(f"it names {entry['dir']}, outside {', '.join(map(str, sorted(roots)))}")
    plan = _plan(path.parent, journal)
    linked = [p for p in (plan.folder, plan.staged, plan.old, *(tmp for tmp, _ in plan.files)) if p.is_symlink()]
    if linked:
        raise UntrustedJournalError(f"{linked[0]} is a symbolic link")
    if plan.staged.exists() and _marker_token(plan.staged) != token:
        raise UntrustedJournalError(f"{plan.staged} lacks the zoo's marker")
    return plan


def _marker_token(folder: Path) -> str | None:
    """The token in a staged folder's marker; None if the folder or its marker is missing or not a plain file."""
    marker = folder / STAGED_MARKER
    if folder.is_symlink() or not folder.is_dir() or marker.is_symlink() or not marker.is_file():
        return None
    try:
        return marker.read_text(errors="replace")[:64]
    except OSError:
        return None


def _roll_forward(plan: PublishPlan) -> None:
    """Steps (3) and (4) of :func:`publish`; each is done only if still to do, so a rerun finishes a crashed one."""
    if plan.staged.is_dir():  # the new folder is not in place yet
        if plan.folder.exists() and not plan.old.exists():
            plan.folder.rename(plan.old)
        plan.staged.rename(plan.folder)
    for tmp, target in plan.files:
        if tmp.is_file():
            os.replace(tmp, target)
    if _marker_token(plan.folder) == plan.token:
        (plan.folder / STAGED_MARKER).unlink()
    if plan.old.is_dir():
        shutil.rmtree(plan.old)
    plan.journal.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):  # not a pid this system can have
        return False
    return True


def pending_publish(folder: Path, trusted: list[Path]) -> PublishPlan | None:
    """The plan of a journal the zoo wrote for ``folder`` that is not finished yet (a publish in progress or
    interrupted), or None. A journal the zoo cannot verify does not count: it is never acted upon."""
    path = Path(folder).parent / f"{JOURNAL_PREFIX}{Path(folder).name}.json"
    if not path.is_file():
        return None
    try:
        return read_journal(path, trusted)
    except UntrustedJournalError:
        return None


def recover(*folders: str | os.PathLike) -> list[str]:
    """Finish what a crashed :func:`publish` or :func:`staged_folder` left in ``folders``; return what was done,
    one line each (a refusal starts with ``warning:``).

    Journals the zoo wrote (:func:`read_journal`) whose writer is gone are rolled forward; any other
    ``.publish-*.json`` is left alone with a warning. Staged folders whose writer is gone are removed only if they
    hold the zoo's marker with the token of their name. Nothing else is touched, however it is named: a user's
    ``.notes.old-v1`` stays, and so does a temporary file of a killed atomic write (a dot-file the zoo never
    reads), since nothing in it proves that the zoo made it.
    """
    done = []
    bases = [Path(f) for f in folders if Path(f).is_dir()]
    for base in bases:  # journals first: their staged folders must not be swept
        for journal_path in sorted(base.glob(f"{JOURNAL_PREFIX}*.json")):
            try:
                plan = read_journal(journal_path, bases)
            except UntrustedJournalError as err:
                done.append(f"warning: left {journal_path} alone: {err}, so nothing shows that this zoo wrote "
                            "it. Delete it if no export of yours was interrupted")
                continue
            if _alive(plan.pid):
                continue
            try:
                _roll_forward(plan)
            except OSError as err:
                done.append(f"warning: could not finish the interrupted publish of {plan.folder} ({first_line(err)})")
                continue
            done.append(f"finished the interrupted publish of {plan.folder}")
    for base in bases:
        for entry in sorted(base.glob(".*.tmp-*")):
            match = _STAGED.fullmatch(entry.name)
            if (match and not _alive(int(match["pid"])) and _marker_token(entry) == match["token"]
                    and not (base / f"{JOURNAL_PREFIX}{match['name']}.json").exists()):
                shutil.rmtree(entry, ignore_errors=True)
                done.append(f"removed {entry}, the staged folder of an export that did not finish")
    return done
