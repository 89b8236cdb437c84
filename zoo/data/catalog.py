"""Every dataset the zoo's loaders read: its canonical source, its pinned sha256, and ``get``/``status``.

Where a pin comes from is said beside it. The reference loaders publish md5s for some files (torchvision for
MNIST and Fashion-MNIST, TorchDrug for the MoleculeNet CSVs; PyG's Planetoid and QM9 publish none); the pins
here are sha256s of the zoo's reference copies (the unmodified copies in the project's shared data folder, see
its SHA256SUMS), computed over what the loader reads (see :class:`zoo.data.download.Remote`'s ``check``):

- MNIST / Fashion-MNIST: the reference ``.gz`` files are re-compressed copies (their gzip md5s differ from
  torchvision's, their decompressed md5s match the official files), so the pin is the sha256 of the
  decompressed IDX bytes, which an official download has too;
- MoleculeNet: the sha256 of the SMILES and target columns (DeepChem's Lipophilicity.csv has a third column
  and another column order than the reference copy; the values are the same molecules and targets);
- QM9: the sha256 of the converted rows (:mod:`zoo.data.qm9_xyz`); the figshare archive itself has no
  published hash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zoo.data import qm9_xyz
from zoo.data.download import DownloadError, Remote, auto_download_enabled, fetch
from zoo.data.root import data_root

TORCHVISION_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # torchvision's first MNIST mirror
ZALANDO = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"  # Zalando's README and torchvision
PLANETOID = "https://github.com/kimiyoung/planetoid/raw/master/data/"  # PyG's Planetoid.url
DEEPCHEM = "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/"  # DeepChem's and PyG's MoleculeNet
MOSES = "https://github.com/molecularsets/moses/raw/master/moses/dataset/data/"  # molsets' packaged splits
NVDM = "https://raw.githubusercontent.com/ysmiao/nvdm/master/data/20news/"  # Miao et al.'s NVDM release


class ManualDownloadError(DownloadError):
    """A dataset whose only source cannot be fetched by a program; the message says what to do by hand."""


@dataclass(frozen=True)
class Dataset:
    """A name for ``zoo data get``, what it is, and its files (or, without a source, how to get it by hand)."""

    name: str
    title: str
    remotes: tuple[Remote, ...] = ()
    manual_target: str = ""  # the folder a manual dataset fills (CelebA)

    @property
    def targets(self) -> list[str]:
        return [r.target for r in self.remotes] or [self.manual_target]

    @property
    def folder(self) -> str:
        """The folder under the data root that holds the dataset's files."""
        return os.path.commonpath(self.targets) if len(self.targets) > 1 else str(PurePosixPath(self.targets[0]).parent)


def _idx(folder: str, base: str, pins: dict[str, str]) -> tuple[Remote, ...]:
    return tuple(Remote(f"{folder}/{name}", base + name, sha, "gunzip") for name, sha in pins.items())


def _planetoid(name: str, pins: dict[str, str]) -> tuple[Remote, ...]:
    title = {"cora": "Cora", "citeseer": "CiteSeer"}[name]
    return tuple(Remote(f"Planetoid/{title}/raw/ind.{name}.{part}", f"{PLANETOID}ind.{name}.{part}", sha)
                 for part, sha in pins.items())


DATASETS = {d.name: d for d in (
    # torchvision's md5s of the official .gz files: train-images f68b3c2dcbeaaa9fbdd348bbdeb94873, train-labels
    # d53e105ee54ea40749a09fcbcd1e9432, t10k-images 9fb629c4189551a2d022fa330f9573f3, t10k-labels
    # ec29112dd5afa0611ce80d1b7f02629c. Pins: sha256 of the decompressed reference copies.
    Dataset("mnist", "MNIST digits, 60k train + 10k test (LeCun et al.)", _idx("MNIST/raw", TORCHVISION_MNIST, {
        "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"})),
    # torchvision's (and Zalando's) md5s of the .gz files: train-images 8d4fb7e6c68d591d4c3dfef9ec88bf0d,
    # train-labels 25c81989df183df01b3e8a0aad5dffbe, t10k-images bef4ecab320f06d8554ea6380940ec79, t10k-labels
    # bb300cfdad3c16e7a12a480ee83cd310. Pins: sha256 of the decompressed reference copies.
    Dataset("fashion-mnist", "Fashion-MNIST, 60k train + 10k test (Xiao et al., Zalando, MIT)",
            _idx("FashionMNIST/raw", ZALANDO, {
                "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"})),
    Dataset("celeba", "CelebA aligned faces, the cards' 6,000-image subset (Liu et al., non-commercial research)",
            manual_target="celeba/img_align_celeba"),
    # PyG's Planetoid publishes no hashes. Pins: sha256 of the reference copies (bytes).
    Dataset("cora", "Cora citation graph, Planetoid public split (Yang et al.)", _planetoid("cora", {
        "x": "23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab",
        "tx": "b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a",
        "allx": "9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543",
        "y": "94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1",
        "ty": "41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad",
        "ally": "2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71",
        "graph": "58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d",
        "test.index": "297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875"})),
    Dataset("citeseer", "CiteSeer citation graph, Planetoid public split (Yang et al.)", _planetoid("citeseer", {
        "x": "d20de19150741e555de0ed037195630fc194114ebc7fd72ced62810148aa22f6",
        "tx": "539a8906a2da97628d212f2fdd668c109a8b3f0d36574b59e5d3fd5b5303da21",
        "allx": "2ac30345d95c9ec933a817ee0bdd6a5f077f8c184a20e696910192d534414668",
        "y": "8ba87e515d8e3ee3cf52f6d2c5b86aa73f11ecad825a808455209ec26cd54924",
        "ty": "55e5bd1ba1e733a04598753ad1a8d57957f4b8f89e74519f41f4f4938767e4ce",
        "ally": "f704b2d986dde6c2669934de1f3ae5696a6cf9455c0f6b2646a2d135ea0a1c95",
        "graph": "d79a4ef9d3e7169aee8946145f6b7306e35bc79bffad26346cfb94e10e9912a7",
        "test.index": "2af990671580b6b2df5d158d1038f8292e30c9cd821b5453f399659b25b723d4"})),
    # TorchDrug's md5 of delaney-processed.csv (0c90a51668d446b9e3ab77e67662bd1c) is not the reference copy's
    # (64142f616f1ac70e7d1e9f1bc6a20c02): the pin covers the two columns the loader reads.
    Dataset("esol", "ESOL (Delaney) aqueous solubility, 1,128 molecules (MoleculeNet)", (Remote(
        "moleculenet/esol.csv", DEEPCHEM + "delaney-processed.csv",
        "87ae5609992cd5d4bc0d96db52cad1c71ed7809bbe05c9576472dc2070cb24d1",
        "columns:smiles|measured log solubility in mols per litre"),)),
    # TorchDrug's md5 is of MoleculeNet's FreeSolv.zip (8d681babd239b15e2f8b2d29f025577a), not of SAMPL.csv.
    Dataset("freesolv", "FreeSolv hydration free energy, 642 molecules (MoleculeNet)", (Remote(
        "moleculenet/freesolv.csv", DEEPCHEM + "SAMPL.csv",
        "b9222df2b6464f84fc82759adf641251c9ad41cc9935f30f36fb2a2a3b91d2f6", "columns:smiles|expt"),)),
    # TorchDrug's md5 of Lipophilicity.csv (85a0e1cb8b38b0dfc3f96ff47a57f0ab) is of DeepChem's three-column file;
    # the reference copy keeps smiles,exp only. The pin covers those two columns.
    Dataset("lipophilicity", "Lipophilicity (logD), 4,200 molecules (ChEMBL via MoleculeNet)", (Remote(
        "moleculenet/lipophilicity.csv", DEEPCHEM + "Lipophilicity.csv",
        "6c1097c5e4912f4856fb421f61dfd5ab9e64776888b2931dda3f373aa718d6ac", "columns:smiles|exp"),)),
    # No published hash for the figshare files; the pin is over the converted rows (zoo.data.qm9_xyz).
    Dataset("qm9", "QM9, 130,831 molecules with DFT geometry (Ramakrishnan et al., CC BY 4.0)", (Remote(
        "qm9/qm9.csv.gz", sha256="ce2438022131ca23697240d96e059b2e7157c6a2e3080ea641d4c4137177dcec",
        check="qm9-rows", convert=qm9_xyz.convert,
        inputs=(qm9_xyz.XYZ_ARCHIVE_URL, qm9_xyz.UNCHARACTERIZED_URL)),)),
    # molsets publishes no hashes (TorchDrug's md5 6bdb0d9526ddf5fdeb87d6aa541df213 is of dataset_v1.csv, one
    # file with a SPLIT column). Pins: sha256 of the decompressed reference copies (molsets 0.3.1).
    Dataset("moses", "MOSES benchmark splits, 1.58M / 176k / 176k SMILES (Polykovskiy et al., MIT)", tuple(
        Remote(f"moses/{name}", MOSES + name, sha, "gunzip") for name, sha in {
            "train.csv.gz": "cc9d6e8e9534e25a7a36361529ae739ddda8036e9072b2fc5cea6930a0592144",
            "test.csv.gz": "0248e682a9c29ca7649184dd88a4edc83f48f0e84af6b923990069c3da4501b6",
            "test_scaffolds.csv.gz": "86c298db856515f4b31a90805de16a580c60a6adcc0ad700ae180d88ba0b9bce"}.items())),
    # NVDM publishes no hashes. Pins: sha256 of the reference copies (bytes).
    Dataset("20news", "20 Newsgroups bag of words, NVDM preprocessing (Lang; Miao et al.)", tuple(
        Remote(f"20news/{name}", NVDM + name, sha) for name, sha in {
            "train.feat": "6c4b612d03bb54c68c923ae7b689398c4a7bd1046b0874332dfe0a0c42830143",
            "test.feat": "5e5beaff3c66affeb08aeefb69e40e3e1c52360cdad2df03e7df2ecb6b79fad0",
            "vocab.new": "75594f361e317a8c8fafca9846e903143ff25bb57ac4207ff850ef4245eb94bb"}.items())),
)}


def find(name: str) -> Dataset:
    try:
        return DATASETS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; `zoo data list` shows them: {', '.join(DATASETS)}") from None


def get(name: str, root: str | os.PathLike | None = None, source: str | os.PathLike | None = None) -> list[Path]:
    """Fetch, verify and place every missing file of dataset ``name`` under the data root; return its files
    (CelebA: the images in its folder).

    CelebA has no source a program can fetch: without ``source`` (the user's ``img_align_celeba.zip`` or
    folder) it raises :class:`ManualDownloadError` with the instructions."""
    dataset, base = find(name), data_root(root)
    if not dataset.remotes:
        from zoo.data import celeba_subset

        folder = base / dataset.manual_target
        if source is None and not (folder.is_dir() and any(folder.iterdir())):
            raise ManualDownloadError(celeba_subset.instructions(base))
        if source is not None:
            celeba_subset.install(Path(source), base)
        return sorted(p for p in folder.iterdir() if p.is_file())  # present ones are kept, as for every dataset
    if source is not None:
        raise ValueError(f"--from is for datasets without a download source (celeba); {name} downloads itself")
    for remote in dataset.remotes:
        if not (base / remote.target).is_file():
            fetch(remote, base)
    return [base / t for t in dataset.targets]


@dataclass(frozen=True)
class Status:
    """What ``zoo data list`` shows of one dataset."""

    name: str
    title: str
    present: int
    total: int
    folder: Path
    size_bytes: int


def status(root: str | os.PathLike | None = None) -> list[Status]:
    base = data_root(root)
    rows = []
    for dataset in DATASETS.values():
        paths = [base / t for t in dataset.targets]
        present = [p for p in paths if p.is_file() or (p.is_dir() and any(p.iterdir()))]
        rows.append(Status(dataset.name, dataset.title, len(present), len(paths), base / dataset.folder,
                           sum(disk_size(p) for p in present)))
    return rows


def disk_size(path: Path) -> int:
    """The size of a file, or of every file under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def dataset_of(path: Path) -> tuple[Dataset, Path] | None:
    """The dataset one of whose files is ``path``, and the data root ``path`` sits under; None if none."""
    for dataset in DATASETS.values():
        for remote in dataset.remotes:
            parts = PurePosixPath(remote.target).parts
            if Path(path).parts[-len(parts):] == parts:
                return dataset, Path(*Path(path).parts[:-len(parts)])
    return None


def fetch_missing(path: Path) -> bool:
    """On a loader's first use: fetch the dataset ``path`` belongs to, unless ``ZOO_DATA_DOWNLOAD=0`` or no
    dataset has that file. True when it was fetched; a failure raises :class:`DownloadError`."""
    found = dataset_of(path)
    if found is None or not auto_download_enabled():
        return False
    dataset, base = found
    get(dataset.name, base)
    return Path(path).exists()
