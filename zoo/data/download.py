"""Datasets that fetch themselves: ``zoo data get NAME``, and on first use when a loader misses a file.

Each dataset's files come from its canonical public source (the table in :mod:`zoo.data.catalog`), are checked
against a pinned sha256 and land in the layout the loaders read, under the data root. A file is written to a
temporary sibling (``.<name>.tmp-<pid>-...``), verified, then renamed into place, so an interrupted, truncated,
corrupt or refused download leaves nothing behind (folders it created are removed again) and raises a
:class:`DownloadError` whose one line says what happened. Files already present are never touched.

Network: ``$ZOO_DATA_MIRROR`` (e.g. ``http://127.0.0.1:8000``) replaces the scheme and host of every source, for
a local mirror (and the tests' loopback server); ``$ZOO_DATA_TIMEOUT`` (seconds, default 30) bounds the connect
and every read, so a stalled server cannot make the zoo wait forever; ``ZOO_DATA_DOWNLOAD=0`` stops loaders from
downloading on first use (``zoo data get`` still does). A terminal shows a progress bar (tqdm); a log gets one
line per file.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import http.client
import io
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from zoo.io import atomic_path, first_line, sha256_file

MIRROR_ENV = "ZOO_DATA_MIRROR"
TIMEOUT_ENV = "ZOO_DATA_TIMEOUT"
AUTO_ENV = "ZOO_DATA_DOWNLOAD"
DEFAULT_TIMEOUT_S = 30.0
CHUNK = 1 << 16
MAX_GUNZIP_BYTES = 1 << 30  # the largest .gz the zoo reads decompresses to 58 MB (MOSES train)


class DownloadError(OSError):
    """A source could not be fetched or did not verify; nothing was written. The message is one line."""


@dataclass(frozen=True)
class Remote:
    """One file the loaders read, and where it comes from.

    Args:
        target: its path under the data root, as the loader reads it (e.g. ``MNIST/raw/t10k-images-idx3-ubyte.gz``).
        url: the canonical source, downloaded straight to ``target`` (unused with ``convert``).
        sha256: the pinned digest of ``target`` as the ``check`` computes it.
        check: ``"bytes"`` (sha256 of the file), ``"gunzip"`` (of its decompressed bytes: gzip headers differ
            between compressors, the data does not), ``"columns:A|B"`` (of these CSV columns, row by row,
            whitespace stripped: the values the loader reads, whatever the column order or line endings), or
            ``"qm9-rows"`` (:func:`zoo.data.qm9_xyz.content_digest`).
        convert: ``convert(inputs, out)`` builds ``target`` at ``out`` from the downloaded ``inputs`` (QM9).
        inputs: the URLs ``convert`` reads, in order (their bytes are verified through the converted file).
    """

    target: str
    url: str = ""
    sha256: str = ""
    check: str = "bytes"
    convert: Callable[[list[Path], Path], None] | None = None
    inputs: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- settings

def mirrored(url: str) -> str:
    """``url`` with its scheme and host replaced by ``$ZOO_DATA_MIRROR`` (whose path, if any, is prefixed)."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if not mirror:
        return url
    base, parts = urlsplit(mirror), urlsplit(url)
    if not base.scheme or not base.netloc:
        raise DownloadError(f"${MIRROR_ENV}={mirror!r} is not a base URL; give scheme and host, e.g. "
                            "http://127.0.0.1:8000")
    path = base.path.rstrip("/") + parts.path
    return f"{base.scheme}://{base.netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def timeout_s() -> float:
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        raise DownloadError(f"${TIMEOUT_ENV}={text!r} is not a number of seconds") from None
    if value <= 0:
        raise DownloadError(f"${TIMEOUT_ENV} must be positive, got {value:g}")
    return value


def auto_download_enabled() -> bool:
    """Whether loaders may download a missing dataset on first use (``ZOO_DATA_DOWNLOAD=0`` says no)."""
    return os.environ.get(AUTO_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def log(line: str) -> None:
    """One line on stderr: what a download did (stdout stays for command output)."""
    print(f"zoo data: {line}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ HTTP

def download(url: str, out: Path, label: str) -> int:
    """Stream ``url`` into the file ``out`` (a progress bar on a terminal); return the number of bytes.

    Raises :class:`DownloadError` on an HTTP error, a refused or unreachable host, no answer within
    :func:`timeout_s` (connect or any read), or fewer bytes than the server's Content-Length announced."""
    limit = timeout_s()
    request = urllib.request.Request(url, headers={"User-Agent": "lightning-zoo data downloader"})
    got, total, bar = 0, None, _NoBar()
    try:
        with urllib.request.urlopen(request, timeout=limit) as response, open(out, "wb") as sink:
            total = _content_length(response.headers.get("Content-Length"))
            bar = progress_bar(label, total)
            while chunk := response.read(CHUNK):
                sink.write(chunk)
                got += len(chunk)
                bar.update(len(chunk))
    except urllib.error.HTTPError as err:
        raise DownloadError(f"{url} answered HTTP {err.code} ({err.reason})") from None
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError):
            raise DownloadError(f"{url} did not accept a connection within {limit:g} s "
                                f"(${TIMEOUT_ENV} sets the limit)") from None
        raise DownloadError(f"{url} could not be reached ({err.reason})") from None
    except TimeoutError:
        after = f" after {got:,} bytes" if got else ""
        raise DownloadError(f"{url} stalled: nothing arrived for {limit:g} s{after} "
                            f"(${TIMEOUT_ENV} sets the limit)") from None
    except (http.client.HTTPException, ConnectionError) as err:
        raise DownloadError(f"{url}: the connection broke after {got} bytes ({first_line(err)})") from None
    finally:
        bar.close()  # before any message, so it does not land on the bar's line
    if total is not None and got != total:
        raise DownloadError(f"{url} was truncated: {got} of the {total} bytes announced arrived")
    return got


def _content_length(header: str | None) -> int | None:
    """The announced size in bytes, or None when the server sent none (or nonsense)."""
    try:
        return int(header) if header is not None and int(header) >= 0 else None
    except ValueError:
        return None


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(label: str, total: int | None):
    """A tqdm bar of bytes on an interactive stderr (``.update(n)``, ``.close()``); nothing in a log, where
    :func:`fetch` writes one line per file (:func:`zoo.progress.stage` would add a start and an end line)."""
    if not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label, leave=False, file=sys.stderr)


# ---------------------------------------------------------------------------------------------- digests

def digest(path: Path, check: str) -> str:
    """The sha256 of ``path`` as ``check`` defines it (see :class:`Remote`)."""
    try:
        if check == "bytes":
            return sha256_file(path)
        if check == "gunzip":
            return _sha256_stream(gzip.open(path, "rb"), MAX_GUNZIP_BYTES)
        if check.startswith("columns:"):
            return csv_columns_sha256(path, check.split(":", 1)[1].split("|"))
        if check == "qm9-rows":
            from zoo.data.qm9_xyz import content_digest

            return content_digest(path)
    except (OSError, EOFError, ValueError, KeyError, csv.Error) as err:
        raise DownloadError(f"{path.name} is not the expected file: {first_line(err)}") from None
    raise ValueError(f"unknown check {check!r}")


def _sha256_stream(stream: io.BufferedIOBase, limit: int) -> str:
    """sha256 of a stream, refused past ``limit`` bytes (a gzip bomb is not decompressed to the end)."""
    sha, size = hashlib.sha256(), 0
    with stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            size += len(block)
            if size > limit:
                raise ValueError(f"it decompresses to more than {limit:,} bytes")
            sha.update(block)
    return sha.hexdigest()


def csv_columns_sha256(path: Path, columns: list[str]) -> str:
    """sha256 of ``columns`` of a CSV, one ``\\t``-joined, stripped line per row, in file order."""
    sha = hashlib.sha256()
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        absent = [c for c in columns if c not in (reader.fieldnames or [])]
        if absent:
            raise ValueError(f"no column {absent[0]!r} (columns: {reader.fieldnames})")
        for row in reader:
            sha.update(("\t".join(row[c].strip() for c in columns) + "\n").encode())
    return sha.hexdigest()


# --------------------------------------------------------------------------------------------- fetching

def fetch(remote: Remote, root: Path) -> Path:
    """Put ``remote.target`` under ``root``: download (or download and convert), verify, rename into place.

    On any failure (including Ctrl-C) the temporary files and the folders this call created are removed."""
    target = root / remote.target
    created = first_missing_folder(target.parent)
    try:
        with atomic_path(target) as tmp:
            if remote.convert is None:
                source = mirrored(remote.url)
                size = download(source, tmp, target.name)
            else:
                source = ", ".join(mirrored(url) for url in remote.inputs)
                size = _download_and_convert(remote, tmp)
            found = digest(tmp, remote.check)
            if found != remote.sha256:
                raise DownloadError(f"what {source} sent failed verification: sha256 ({remote.check}) is "
                                    f"{found[:16]}…, pinned {remote.sha256[:16]}…")
    except DownloadError as err:
        remove_empty_folders(created)
        raise DownloadError(f"could not fetch {remote.target}: {err}; nothing was written") from None
    except BaseException:
        remove_empty_folders(created)
        raise
    log(f"{remote.target}: {size / 1e6:.3g} MB from {source}, sha256 verified")
    return target


def _download_and_convert(remote: Remote, out: Path) -> int:
    """Download ``remote.inputs`` into a temporary folder beside ``out``, convert them into ``out``."""
    with tempfile.TemporaryDirectory(prefix=f".{Path(remote.target).name}.inputs-", dir=out.parent) as work:
        paths, size = [], 0
        for n, url in enumerate(remote.inputs):
            path = Path(work) / f"{n}-{PurePosixPath(urlsplit(url).path).name or 'input'}"
            size += download(mirrored(url), path, path.name)
            paths.append(path)
        log(f"{remote.target}: converting {', '.join(p.name for p in paths)}")
        try:
            remote.convert(paths, out)
        except (OSError, EOFError, ValueError, KeyError) as err:
            raise DownloadError(f"{remote.target}: converting {', '.join(remote.inputs)} failed: "
                                f"{first_line(err)}") from None
    return size


def first_missing_folder(folder: Path) -> Path | None:
    """The outermost folder of ``folder``'s path that does not exist yet (what a write there would create)."""
    missing = None
    while not folder.exists():
        missing, folder = folder, folder.parent
    return missing


def remove_empty_folders(created: Path | None) -> None:
    """Remove the folders a failed fetch created (deepest first), each only if it is empty."""
    if created is None:
        return
    for folder in sorted((p for p in created.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        _rmdir_if_empty(folder)
    _rmdir_if_empty(created)


def _rmdir_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty (someone else wrote there) or already gone: leave it
