"""Datasets fetch themselves (zoo/data/download.py, catalog.py, qm9_xyz.py, celeba_subset.py), tried against a
loopback HTTP server on 127.0.0.1 standing in for the network through ``$ZOO_DATA_MIRROR``: good, corrupt,
truncated, 404 and stalled sources. Every failure must say what happened in one line and leave nothing behind."""

from __future__ import annotations

import gzip
import hashlib
import io
import socket
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from zoo.cli import main
from zoo.data import catalog, celeba_subset, qm9_xyz
from zoo.data.download import DownloadError, Remote, digest, fetch, mirrored
from zoo.data.moleculenet import read_csv
from zoo.data.root import DataNotFoundError

BODY = b"smiles,measured log solubility in mols per litre\nCCO,-0.77\n"
GOOD = hashlib.sha256(BODY).hexdigest()


class Loopback:
    """``path -> (mode, bytes)``: ``good``; ``truncated`` (announces more bytes than it sends, then closes);
    ``missing`` (404). ``stalled_url`` is a socket that accepts connections and never answers."""

    def __init__(self):
        self.files: dict[str, tuple[str, bytes]] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                mode, body = files.get(self.path, ("missing", b""))
                if mode == "missing":
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + (1000 if mode == "truncated" else 0)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.stalled = socket.socket()
        self.stalled.bind(("127.0.0.1", 0))
        self.stalled.listen(8)  # the kernel completes the handshake; nobody ever reads or answers

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def stalled_base(self) -> str:
        return f"http://127.0.0.1:{self.stalled.getsockname()[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.stalled.close()


@pytest.fixture
def loopback(monkeypatch):
    with Loopback() as server:
        monkeypatch.setenv("ZOO_DATA_MIRROR", server.base)
        monkeypatch.setenv("ZOO_DATA_TIMEOUT", "1")
        monkeypatch.setenv("ZOO_DATA_DOWNLOAD", "1")
        yield server


def leftovers(root: Path) -> list[Path]:
    return sorted(root.rglob("*")) if root.exists() else []


def serve_catalog(loopback: Loopback, data_root: Path, *names: str) -> None:
    """Put the reference copies of these datasets on the loopback server at their canonical URLs' paths."""
    from urllib.parse import urlsplit

    for name in names:
        for remote in catalog.find(name).remotes:
            loopback.files[urlsplit(remote.url).path] = ("good", (data_root / remote.target).read_bytes())


def test_mirror_replaces_scheme_and_host(monkeypatch):
    monkeypatch.setenv("ZOO_DATA_MIRROR", "http://127.0.0.1:9/pre/")
    assert mirrored("https://example.org/a/b.csv?x=1") == "http://127.0.0.1:9/pre/a/b.csv?x=1"
    monkeypatch.setenv("ZOO_DATA_MIRROR", "127.0.0.1:9")
    with pytest.raises(DownloadError, match="not a base URL"):
        mirrored("https://example.org/a")


def test_good_download_is_verified_and_placed(loopback, tmp_path):
    loopback.files["/d/esol.csv"] = ("good", BODY)
    target = fetch(Remote("moleculenet/esol.csv", "https://example.org/d/esol.csv", GOOD), tmp_path)
    assert target.read_bytes() == BODY
    assert leftovers(tmp_path) == [tmp_path / "moleculenet", target]  # no temporary sibling left


def test_progress_bar_on_a_terminal_one_line_in_a_log(loopback, tmp_path, monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    loopback.files["/d/esol.csv"] = ("good", BODY)
    remote = Remote("moleculenet/esol.csv", "https://example.org/d/esol.csv", GOOD)
    fetch(remote, tmp_path / "log")  # stderr is captured: not a terminal
    assert capsys.readouterr().err.count("\n") == 1
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    fetch(remote, tmp_path / "terminal")
    assert "\r" in terminal.getvalue() and "B/s" in terminal.getvalue()  # tqdm redraws its bar in place


@pytest.mark.parametrize("mode, body, message", [
    ("good", BODY.replace(b"-0.77", b"-0.78"), "failed verification"),  # corrupt: wrong hash
    ("truncated", BODY, f"truncated: {len(BODY)} of the {len(BODY) + 1000} bytes"),
    ("missing", b"", "HTTP 404"),
])
def test_failed_download_leaves_nothing(loopback, tmp_path, mode, body, message):
    root = tmp_path / "root"
    loopback.files["/d/esol.csv"] = (mode, body)
    with pytest.raises(DownloadError, match=message) as err:
        fetch(Remote("moleculenet/esol.csv", "https://example.org/d/esol.csv", GOOD), root)
    assert "\n" not in str(err.value) and "nothing was written" in str(err.value)
    assert leftovers(tmp_path) == []  # neither the file, its temporary sibling, nor the folders it made


def test_stalled_server_times_out_quickly(loopback, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_MIRROR", loopback.stalled_base)
    start = time.monotonic()
    with pytest.raises(DownloadError, match="stalled: nothing arrived for 1 s"):
        fetch(Remote("moleculenet/esol.csv", "https://example.org/d/esol.csv", GOOD), tmp_path / "root")
    assert time.monotonic() - start < 5
    assert leftovers(tmp_path) == []


def test_interrupted_download_leaves_nothing(loopback, tmp_path, monkeypatch):
    def interrupted(url, out, label):
        out.write_bytes(BODY[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr("zoo.data.download.download", interrupted)
    (tmp_path / "root").mkdir()
    with pytest.raises(KeyboardInterrupt):
        fetch(Remote("moleculenet/esol.csv", "https://example.org/d/esol.csv", GOOD), tmp_path / "root")
    assert leftovers(tmp_path) == [tmp_path / "root"]  # the root existed before; nothing inside it


def test_gzip_and_csv_column_checks_ignore_packaging(tmp_path):
    """The same data compressed twice, or with another column order and line endings, verifies the same."""
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    a.write_bytes(gzip.compress(BODY, mtime=1))
    b.write_bytes(gzip.compress(BODY, compresslevel=1, mtime=2))
    assert a.read_bytes() != b.read_bytes() and digest(a, "gunzip") == digest(b, "gunzip")
    c, d = tmp_path / "c.csv", tmp_path / "d.csv"
    c.write_text("id,smiles,exp\n1,CCO,1.5\n")
    d.write_bytes(b"smiles,exp\r\nCCO,1.5 \r\n")
    assert digest(c, "columns:smiles|exp") == digest(d, "columns:smiles|exp")
    with pytest.raises(DownloadError, match="no column 'logS'"):
        digest(c, "columns:smiles|logS")
    with pytest.raises(DownloadError, match="a.gz is not the expected file"):
        digest(a, "columns:smiles|exp")


def test_gzip_bomb_is_not_decompressed_to_the_end(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip.compress(bytes(3 << 20)))  # 3 MB of zeros in 3 kB
    monkeypatch.setattr("zoo.data.download.MAX_GUNZIP_BYTES", 1 << 20)
    with pytest.raises(DownloadError, match="decompresses to more than 1,048,576 bytes"):
        digest(bomb, "gunzip")


def test_loader_downloads_on_first_use(loopback, tmp_path, data_root):
    """A loader missing its file fetches it (real catalog entry and pin), then reads it."""
    serve_catalog(loopback, data_root, "esol")
    smiles, y = read_csv("esol", root=str(tmp_path))
    assert len(smiles) == len(y) == 1128 and (tmp_path / "moleculenet" / "esol.csv").is_file()


def test_loader_without_download_or_with_a_failed_one(loopback, tmp_path, monkeypatch):
    with pytest.raises(DataNotFoundError, match="The download failed: could not fetch moleculenet/esol.csv: "
                                                ".*HTTP 404.*zoo data get"):
        read_csv("esol", root=str(tmp_path))
    monkeypatch.setenv("ZOO_DATA_DOWNLOAD", "0")
    with pytest.raises(DataNotFoundError) as err:
        read_csv("esol", root=str(tmp_path))
    assert "The download failed" not in str(err.value)  # no download was tried
    assert leftovers(tmp_path) == []


def test_cli_data_get_and_list(loopback, tmp_path, data_root, capsys):
    serve_catalog(loopback, data_root, "cora")
    assert main(["data", "get", "cora", "--data-root", str(tmp_path)]) == 0
    assert "cora: ready, 8 files" in capsys.readouterr().out
    assert main(["data", "list", "--data-root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "cora           yes" in out and "citeseer       no" in out
    assert main(["data", "get", "esol", "--data-root", str(tmp_path / "other")]) == 2
    assert "HTTP 404" in capsys.readouterr().err and not (tmp_path / "other").exists()


@pytest.mark.parametrize("model_id, fetched", [("gcn-cora", "Planetoid/Cora/raw/ind.cora.graph"),
                                               ("nfp-esol", "moleculenet/esol.csv")])
def test_first_eval_on_an_empty_root_fetches_verifies_and_uses(loopback, tmp_path, data_root, capsys, model_id,
                                                               fetched):
    serve_catalog(loopback, data_root, "cora", "esol")
    assert main(["eval", model_id, "--data-root", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert f"{fetched}: " in err and "sha256 verified" in err and "recomputed on" in out
    assert (tmp_path / fetched).read_bytes() == (data_root / fetched).read_bytes()


def test_every_pin_matches_the_reference_copies(data_root):
    """The pins are the reference copies' (the QM9 pin is checked in the slow test below)."""
    for dataset in catalog.DATASETS.values():
        for remote in dataset.remotes:
            if remote.convert is None:
                assert digest(data_root / remote.target, remote.check) == remote.sha256, remote.target


@pytest.mark.slow
def test_qm9_pin_matches_the_reference_copy(data_root, request):
    if "slow" not in request.config.getoption("markexpr"):
        pytest.skip("parses all 130,831 rows (about 20 s): opt in with -m slow")
    (remote,) = catalog.find("qm9").remotes
    assert digest(data_root / remote.target, remote.check) == remote.sha256


# ------------------------------------------------------------------------------------------------------ QM9

def _xyz_text(row: dict) -> str:
    """An .xyz file as QM9's release writes it, rebuilt from a CSV row (Mathematica exponents, tabs)."""
    import ast
    import re

    elements = ast.literal_eval(row["Elements"])
    coords = re.findall(r"[-+]?[0-9.]+(?:E[-+]?\d+)?", row["XYZ_Ang"])
    lines = [str(len(elements)), "gdb " + row["Index"] + "\t" + "\t".join(
        row[p].replace("e-0", "*^-") for p in qm9_xyz.PROPERTIES) + "\t"]
    for n, element in enumerate(elements):
        x, y, z = (c.replace("E", "*^") for c in coords[3 * n: 3 * n + 3])
        lines.append(f"{element}\t{x}\t{y}\t{z}\t-0.1")
    lines += ["100.0\t200.0", f"{row['SMILES']}\t{row['SMILES'].lower()}", "InChI=1S/x\tInChI=1S/x", ""]
    return "\n".join(lines)


def test_qm9_conversion_from_the_xyz_release(loopback, tmp_path, data_root):
    """The release's .xyz files (rebuilt from the reference rows, one of them uncharacterized) convert back to
    the same rows; fetched through the mirror, the converted file is verified and placed."""
    import csv

    with gzip.open(data_root / "qm9" / "qm9.csv.gz", "rt", newline="") as f:
        reader = csv.DictReader(f)
        rows = [next(reader) for _ in range(300)]
    rows = [r for r in rows if "E-" in r["XYZ_Ang"]][:1] + rows[:40]  # one with a Mathematica exponent
    skipped = rows.pop()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as tar:
        for row in [*rows, skipped]:
            data = _xyz_text(row).encode()
            info = tarfile.TarInfo(row["XYZ_file"])
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    listed = [int(skipped["Index"])] + [200_000 + i for i in range(qm9_xyz.NUM_UNCHARACTERIZED - 1)]
    uncharacterized = "\n".join(["header"] * 9 + [f"  {i}  x  y" for i in listed] + ["footer", ""])
    loopback.files["/files/3195389"] = ("good", buffer.getvalue())
    loopback.files["/files/3195404"] = ("good", uncharacterized.encode())

    expected = tmp_path / "expected.csv.gz"
    with gzip.open(expected, "wt", newline="") as f:
        writer = csv.DictWriter(f, qm9_xyz.COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: int(r["Index"])))
    (remote,) = catalog.find("qm9").remotes
    pinned = Remote(remote.target, sha256=digest(expected, "qm9-rows"), check=remote.check,
                    convert=remote.convert, inputs=remote.inputs)
    target = fetch(pinned, tmp_path / "root")
    assert digest(target, "qm9-rows") == pinned.sha256
    assert leftovers(tmp_path / "root") == [tmp_path / "root" / "qm9", target]


# --------------------------------------------------------------------------------------------------- CelebA

def test_celeba_prints_what_to_download(tmp_path, capsys):
    assert main(["data", "get", "celeba", "--data-root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "img_align_celeba.zip" in err and "celeba_subset.txt" in err and err.count("\n") == 1
    assert len(celeba_subset.subset_files()) == 6000 and not any(tmp_path.iterdir())


def test_celeba_subset_installs_from_a_zip_and_refuses_other_images(tmp_path, data_root, monkeypatch):
    """The install path on a 20-image list (the 6,000-image pin is checked in the next test)."""
    import zipfile

    names = celeba_subset.subset_files()[:20]
    listing = tmp_path / "subset.txt"
    listing.write_text("".join(f"{n} 1\n" for n in names))
    source = data_root / "celeba" / "img_align_celeba"
    archive = tmp_path / "img_align_celeba.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for n in names:
            z.write(source / n, f"img_align_celeba/{n}")
    monkeypatch.setattr(celeba_subset, "LIST_PATH", listing)
    root = tmp_path / "root"
    with pytest.raises(DownloadError, match="not the cards' CelebA subset"):
        celeba_subset.install(archive, root)
    assert leftovers(root) == []  # the staging folder and the folders it needed are gone
    monkeypatch.setattr(celeba_subset, "SUBSET_SHA256", celeba_subset.subset_sha256(
        {n: hashlib.sha256((source / n).read_bytes()).hexdigest() for n in names}))
    assert catalog.get("celeba", root, source=archive) == [root / "celeba" / "img_align_celeba" / n for n in names]
    assert (root / "celeba" / "identity_CelebA.txt").read_text() == listing.read_text()
    assert len(catalog.get("celeba", root)) == 20  # present: kept, no instructions


def test_celeba_pin_and_list_match_the_reference_subset(data_root):
    source = data_root / "celeba" / "img_align_celeba"
    assert sorted(p.name for p in source.iterdir()) == celeba_subset.subset_files()
    assert celeba_subset.LIST_PATH.read_bytes() == (data_root / "celeba" / "identity_CelebA.txt").read_bytes()
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in source.iterdir()}
    assert celeba_subset.subset_sha256(hashes) == celeba_subset.SUBSET_SHA256


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "cora", "citeseer", "esol", "freesolv", "lipophilicity",
                                  "moses", "20news"])
def test_every_downloadable_dataset_is_fetched_verified_and_placed(loopback, tmp_path, data_root, capsys, name):
    """Each dataset through `zoo data get` from the loopback mirror (QM9, built from another archive, and CelebA,
    fetched by hand, have their own tests above)."""
    serve_catalog(loopback, data_root, name)
    assert main(["data", "get", name, "--data-root", str(tmp_path)]) == 0
    assert f"{name}: ready" in capsys.readouterr().out
    for remote in catalog.find(name).remotes:
        assert (tmp_path / remote.target).is_file(), remote.target
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".") and "tmp" in p.name]  # no temporaries
