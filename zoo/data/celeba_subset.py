"""The cards' CelebA subset: which 6,000 aligned faces, and how to install them from a user's own download.

CelebA's only source is a Google Drive folder behind a confirmation page, so the zoo cannot fetch it. The
cards were trained and scored on 6,000 images of the Align&Cropped set (``img_align_celeba.zip``: 202,599
JPEGs, 178x218): 30 images each of 200 identities, listed with their identity in ``celeba_subset.txt``
(``<file> <identity>`` lines, CelebA's ``identity_CelebA.txt`` restricted to them). The loader
(:class:`zoo.data.images.ImageFolderDataModule`) reads every image under ``<root>/celeba/img_align_celeba``
sorted by name, so that folder must hold exactly these files for a card's numbers to be comparable.
:func:`install` copies them out of the zip or folder and checks them against one pinned sha256
(:data:`SUBSET_SHA256`, over the ``<file> <sha256>`` lines of the 6,000 reference images, sorted by file).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path

from zoo.data.download import DownloadError, first_missing_folder, log, remove_empty_folders
from zoo.io import write_text_atomic

LIST_PATH = Path(__file__).with_name("celeba_subset.txt")
TARGET = "celeba/img_align_celeba"
IDENTITY_FILE = "celeba/identity_CelebA.txt"
# sha256 of "<file> <sha256 of the file>\n" for the 6,000 reference images, sorted by file name.
SUBSET_SHA256 = "f631671cbd49d9ef07462c637a62a4aa606c987d00fdf84816694a6e7324310b"
PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"


def subset_files() -> list[str]:
    """The 6,000 file names of the subset, sorted."""
    return sorted(line.split()[0] for line in LIST_PATH.read_text().splitlines() if line.strip())


def subset_sha256(hashes: dict[str, str]) -> str:
    """The digest :data:`SUBSET_SHA256` pins: sha256 of ``"<file> <sha256>\\n"`` lines sorted by file."""
    return hashlib.sha256("".join(f"{name} {hashes[name]}\n" for name in sorted(hashes)).encode()).hexdigest()


def instructions(root: Path) -> str:
    return (f"CelebA cannot be downloaded automatically (its only source is Google Drive). From {PAGE}, "
            "'Align&Cropped Images', download img_align_celeba.zip (1.4 GB, 202,599 images). The cards use "
            f"{len(subset_files()):,} of them (30 images each of 200 identities), listed in {LIST_PATH}; then run "
            f"`zoo data get celeba --from PATH/img_align_celeba.zip` (or the unzipped folder), which copies and "
            f"verifies exactly these into {root / TARGET}.")


def install(source: Path, root: Path) -> Path:
    """Copy the subset from ``source`` (``img_align_celeba.zip`` or a folder of its images) to
    ``<root>/celeba/img_align_celeba`` and verify it; nothing is written unless all 6,000 verify."""
    target = root / TARGET
    if target.is_dir() and any(target.iterdir()):
        raise ValueError(f"{target} already holds images; move it aside to install the subset again")
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist; give img_align_celeba.zip or its unzipped folder")
    names = subset_files()
    created = first_missing_folder(target.parent)
    try:
        _copy_verified(source, names, target)
    except BaseException:
        remove_empty_folders(created)
        raise
    write_text_atomic(root / IDENTITY_FILE, LIST_PATH.read_text())
    log(f"{TARGET}: {len(names):,} images from {source}, sha256 verified")
    return target


def _copy_verified(source: Path, names: list[str], target: Path) -> None:
    """Copy ``names`` from ``source`` into a folder beside ``target``; rename it there if they verify."""
    hashes = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        with _SubsetReader(source, names) as read:
            for name in names:
                data = read(name)
                (staged / name).write_bytes(data)
                hashes[name] = hashlib.sha256(data).hexdigest()
        found = subset_sha256(hashes)
        if found != SUBSET_SHA256:
            raise DownloadError(f"the {len(names):,} images from {source} are not the cards' CelebA subset "
                                f"(sha256 {found[:16]}…, pinned {SUBSET_SHA256[:16]}…); use the Align&Cropped "
                                "JPEGs of img_align_celeba.zip, unmodified")
        staged.chmod(0o755)
        staged.rename(target)
    finally:
        shutil.rmtree(staged, ignore_errors=True)  # gone already after the rename


class _SubsetReader:
    """``with _SubsetReader(source, names) as read: read(name) -> bytes``, from a zip or a folder."""

    def __init__(self, source: Path, names: list[str]):
        self.source, self.names, self.zip = source, names, None

    def __enter__(self):
        if self.source.is_dir():
            missing = [n for n in self.names if not (self.source / n).is_file()]
            self._check(missing)
            return lambda name: (self.source / name).read_bytes()
        try:
            self.zip = zipfile.ZipFile(self.source)
        except zipfile.BadZipFile as err:
            raise DownloadError(f"{self.source} is not a zip file ({err}); give img_align_celeba.zip") from None
        members = {Path(m).name: m for m in self.zip.namelist() if not m.endswith("/")}
        self._check([n for n in self.names if n not in members])
        return lambda name: self.zip.read(members[name])

    def _check(self, missing: list[str]) -> None:
        if missing:
            raise DownloadError(f"{self.source} lacks {len(missing):,} of the {len(self.names):,} subset images "
                                f"(first: {missing[0]}); it must be CelebA's img_align_celeba")

    def __exit__(self, *exc) -> None:
        if self.zip is not None:
            self.zip.close()


__all__ = ["install", "instructions", "subset_files"]
