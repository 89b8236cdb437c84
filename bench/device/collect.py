"""The end of ``run.sh``, on the GPU machine: each run's results into at most 8 files of at most 16 MiB in $OUT.

Per run folder ``WORK/runs/<id>``: ``weights.ckpt`` (``last.ckpt`` less the optimiser states, the loops and every
weight outside ``net``: a GAN keeps its generator, not its critic; ``zoo export`` reads it as it reads any
recipe checkpoint), ``config.yaml``, ``command.txt`` (the ``zoo train`` command, for the card), ``exit.json``,
the end of ``train.log``, ``wandb_run_id`` and the W&B offline folder or the CSV log. The MNIST GANs share one
archive; each other id gets its own; loose logs go to ``logs.tar.gz``.

    python3 -m bench.device.collect WORK OUT
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

MAX_FILES, MAX_BYTES = 8, 16 * 2**20
LOG_TAIL = 200_000  # bytes kept from the end of each train.log
KEEP = ("epoch", "global_step", "hyper_parameters", "datamodule_hyper_parameters", "pytorch-lightning_version",
        "gan_steps")
SMALL_FILES = ("config.yaml", "command.txt", "exit.json", "wandb_run_id")


def slim_checkpoint(source: Path, target: Path) -> None:
    """``last.ckpt`` with only what export and the card need: the ``net.*`` weights, hyper-parameters, counters."""
    import torch

    ckpt = torch.load(source, map_location="cpu", weights_only=True)
    slim = {k: ckpt[k] for k in KEEP if k in ckpt}
    slim["state_dict"] = {k: v for k, v in ckpt["state_dict"].items() if k.startswith("net.")}
    torch.save(slim, target)


def archive_name(run_id: str) -> str:
    return "gans-mnist.tar.gz" if run_id.endswith("-mnist") and "gan" in run_id else f"{run_id}.tar.gz"


def add_run(tar: tarfile.TarFile, run: Path) -> None:
    last = run / "checkpoints" / "last.ckpt"
    if last.is_file():
        slim = run / "weights.ckpt"
        slim_checkpoint(last, slim)
        tar.add(slim, arcname=f"{run.name}/weights.ckpt")
    for name in SMALL_FILES:
        if (run / name).is_file():
            tar.add(run / name, arcname=f"{run.name}/{name}")
    log = run / "train.log"
    if log.is_file():
        data = log.read_bytes()[-LOG_TAIL:]
        info = tarfile.TarInfo(f"{run.name}/train.log")
        info.size = len(data)

        tar.addfile(info, io.BytesIO(data))
    for folder in ("wandb", "csv", "lightning_logs"):  # csv/: zoo train's CSVLogger, the curves of every run
        if (run / folder).is_dir():
            tar.add(run / folder, arcname=f"{run.name}/{folder}",
                    filter=_compact)


def _compact(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Leave out links (W&B's debug.log links point outside the run) and logged images (W&B media)."""
    if member.issym() or member.islnk() or ("media" in member.name and member.name.endswith((".png", ".jpg"))):
        return None
    return member


def collect(work: Path, out: Path) -> list[Path]:
    runs = sorted(p for p in (work / "runs").iterdir() if p.is_dir()) if (work / "runs").is_dir() else []
    groups: dict[str, list[Path]] = {}
    for run in runs:
        groups.setdefault(archive_name(run.name), []).append(run)
    written = []
    for name, members in groups.items():
        with tarfile.open(out / name, "w:gz") as tar:
            for run in members:
                add_run(tar, run)
        written.append(out / name)
    logs = sorted(work.glob("*.log"))
    if logs:
        with tarfile.open(out / "logs.tar.gz", "w:gz") as tar:
            for log in logs:
                tar.add(log, arcname=log.name)
        written.append(out / "logs.tar.gz")
    return written


def main(argv: list[str] | None = None) -> int:
    work, out = map(Path, (argv or sys.argv[1:])[:2])
    out.mkdir(parents=True, exist_ok=True)
    collect(work, out)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    table = {str(p.relative_to(out)): round(p.stat().st_size / 2**20, 2) for p in files}
    problems = [f"{len(files)} files (at most {MAX_FILES} come back)"] if len(files) + 1 > MAX_FILES else []
    problems += [f"{p.name} is {p.stat().st_size / 2**20:.1f} MiB (at most 16)" for p in files
                 if p.stat().st_size > MAX_BYTES]
    print(json.dumps({"out_mib": table, "total_mib": round(sum(table.values()), 2)}))
    for problem in problems:  # run.log is added after this, hence the + 1 above
        print(f"collect: WARNING {problem}", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
