"""Training throughput of every family through ``zoo train`` and through a plain PyTorch loop, on one device.

    python bench/throughput.py --device cpu --quick            # < 3 minutes on 2 CPU cores
    python bench/throughput.py --device cuda --precision bf16-mixed --device-resident --out throughput.jsonl
    python -m bench.throughput --device cuda --quick --steps 100     # GPU: data subsets, the recipes' batches

For each family the same recipe is built twice from its YAML: once run by :func:`zoo.training.fit` (the path
every shipped checkpoint comes from: LightningCLI, the zoo's callbacks, the W&B logger (``WANDB_MODE=disabled``
here unless set), Lightning's loop), and once as a plain loop over *separate copies* of the same model objects,
loss functions, optimiser settings, batches and precision, written with torch alone. The two are timed in one
process, in paired blocks: after ``--warmup`` steps of the zoo run, ``--steps`` zoo steps, then ``--steps`` plain
steps (run from a callback between two zoo steps), then zoo steps again, ``--blocks`` times each. The ratio is the
median plain block time over the median zoo block time: neighbouring blocks see the same machine (other jobs, CPU
clock, caches warmed by the other side), so a change in either does not land on one side only, and the median
ignores the odd disturbed block. Python's cyclic garbage collector is off inside the blocks, as in ``timeit``,
and a GAN's blocks are whole critic cycles. (An earlier version timed whole separate runs of each path, best of
each kept: single runs of it moved by up to +-0.07 in ratio on the 2-core build machine, about the size of what
it was meant to show.) On a CPU the blocks are timed in process CPU time with one thread (``--clock``), which other jobs
on a shared machine do not inflate; on a GPU by the wall clock, the device synchronised at each block's ends.
Inside the zoo blocks: no checkpoint, no validation and no progress bar (all outside a training step's cost); a
step is one optimiser step of the system (a system with ``steps_per_execution`` above 1 runs several per
Lightning step, as its recipe says).

One JSON line per family: ``family, device, precision, batch_size, samples_per_step, zoo_samples_per_s,
plain_samples_per_s, ratio`` (zoo / plain), and ``matmul_flops_per_step`` (forward + backward of one plain step,
counted by ``torch.utils.flop_counter``), ``achieved_tflops`` (of the zoo path), ``peak_tflops`` (a large
matrix multiply measured in the same run: bf16 on a GPU, fp32 on a CPU) and ``fraction_of_peak``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import torch
import torch.nn.functional as F
from lightning.pytorch import Callback

from zoo.data.step_bundles import StepBundle

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------- families

@dataclass
class Family:
    name: str
    recipe: str
    plain: Callable  # (model, datamodule, device, autocast) -> (step_fn, samples_per_step)
    overrides: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)  # --quick: data subsets (the model and batch stay the recipe's)
    cpu_quick: list[str] = field(default_factory=list)  # --quick on a CPU: also a smaller batch, for the 3-minute bound
    # --quick: steps per block and paired blocks (fewer, shorter blocks for the families whose CPU step takes
    # ~0.1 s or more; more blocks where a step is cheap, for a steadier median)
    quick_steps: int = 5
    quick_blocks: int = 12


def _gan_plain(system, batches, device, autocast):
    """GANSystem's algorithm: one discriminator step per batch (+ penalty, clipping), a generator step every
    ``discriminator_steps``."""
    from zoo.losses import get_loss, gradient_penalty

    hp = system.hparams
    G, D = system.net.to(device).train(), system.discriminator.to(device).train()
    losses = get_loss(hp.loss)
    opt_g, opt_d = system.configure_optimizers()
    state = {"critic_steps": 0}

    def step():
        real = next(batches)
        with autocast():
            with torch.no_grad():
                fake = G(torch.randn(real.shape[0], G.latent_dim, device=device))
            loss = losses.discriminator(D(real), D(fake))
            if hp.gp_weight:
                loss = loss + hp.gp_weight * gradient_penalty(D, real, fake)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        if hp.clip_value is not None:
            with torch.no_grad():
                for p in D.parameters():
                    p.clamp_(-hp.clip_value, hp.clip_value)
        state["critic_steps"] += 1
        if state["critic_steps"] % hp.discriminator_steps == 0:
            D.requires_grad_(False)
            with autocast():
                g_loss = losses.generator(D(G(torch.randn(real.shape[0], G.latent_dim, device=device))))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            D.requires_grad_(True)

    return step


def _gcn_plain(system, batches, device, autocast):
    net = system.net.to(device).train()
    optimizer = system.configure_optimizers()

    def step():
        data = next(batches)
        with autocast():
            logits = net(data.x, data.edge_index)
            loss = F.cross_entropy(logits[data.train_mask], data.y[data.train_mask])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def _regression_plain(system, batches, device, autocast):
    net = system.net.to(device).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=system.hparams.lr, weight_decay=system.hparams.weight_decay)
    loss_fn = F.mse_loss if system.hparams.loss == "mse" else F.l1_loss

    def step():
        batch = next(batches)
        with autocast():
            standardised = net.forward_standardised(batch)
            target = (batch.y.view_as(standardised) - net.target_mean) / net.target_std
            loss = loss_fn(standardised, target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def _aae_plain(system, batches, device, autocast):
    """AAESystem's joint (MOSES) schedule: one autoencoder step on reconstruction + regularisation, then D."""
    net, disc = system.net.to(device).train(), system.discriminator.to(device).train()
    hp = system.hparams
    opt_ae, opt_d = system.configure_optimizers()[:2] if not hp.lr_step_epochs else \
        system.configure_optimizers()[0][:2]
    if not hp.joint_regularization:
        raise SystemExit("the AAE plain loop implements the joint schedule of the SMILES recipe")

    def step():
        batch = next(batches)
        x = net.encode_strings(batch).to(device) if isinstance(batch[0], str) else batch
        with autocast():
            z = net.encode(x)
            loss = net.reconstruction_loss(x, z) + hp.regularization_weight * system.adversarial.generator(disc(z))
        opt_ae.zero_grad(set_to_none=True)
        loss.backward()
        opt_ae.step()
        for _ in range(hp.discriminator_steps):
            with autocast():
                d_loss = system.adversarial.discriminator(disc(net.prior.sample(z.shape[0], device=device)),
                                                          disc(z.detach()))
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

    return step


FAMILIES = [
    Family("dcgan28-gan", "recipes/gan/nsgan-mnist.yaml", _gan_plain, quick=["--data.init_args.limit=8192"],
           quick_steps=4, quick_blocks=12),
    Family("dcgan64-wgan-gp", "recipes/wgan-gp/celeba.yaml", _gan_plain,
           quick=["--data.init_args.limit=512"], cpu_quick=["--data.init_args.batch_size=16"], quick_steps=5,
           quick_blocks=8),  # blocks of whole critic cycles (5 critic steps, 1 generator step)
    Family("gcn", "recipes/gcn/cora.yaml", _gcn_plain, quick_steps=5, quick_blocks=16),
    # without validation in the window, a plateau schedule has nothing to read: the schedule is per epoch anyway
    Family("nfp", "recipes/nfp/esol.yaml", _regression_plain, overrides=["--model.init_args.scheduler=none"],
           quick_steps=12, quick_blocks=30),
    Family("mpnn", "recipes/mpnn/qm9-mu.yaml", _regression_plain,
           overrides=["--data.init_args.num_workers=0", "--model.init_args.scheduler=none"],
           quick=["--data.init_args.num_val=100", "--data.init_args.num_test=100"],  # the 1,500-molecule store
           cpu_quick=["--data.init_args.batch_size=32"], quick_steps=2, quick_blocks=8),
    Family("smiles-aae", "recipes/aae/moses.yaml", _aae_plain,
           quick=["--data.init_args.train_size=4096", "--data.init_args.val_size=128"], quick_steps=3,
           quick_blocks=8),
]

def quick_data_root(real_root: Path, folder: Path) -> Path:
    """A data root for ``--quick``, made once per run: the small datasets linked from the real root, and QM9 and
    MOSES cut to the subsets the quick families read (a packed store of the first 1,500 QM9 molecules, 5,000
    MOSES train and 500 test SMILES), so that four fits per family do not each parse 130k molecules or read
    1.6 M SMILES. The subsets are what the quick overrides would have selected from the full files."""
    import csv
    import gzip

    from zoo.data.qm9 import PACKED_NAME, process
    from zoo.data.smiles import moses_subset

    for name in ("MNIST", "celeba", "Planetoid", "moleculenet"):
        if (real_root / name).exists():
            (folder / name).symlink_to((real_root / name).resolve())
    (folder / "qm9").mkdir()
    process(str(real_root), limit=1500).save(folder / "qm9" / PACKED_NAME)
    (folder / "moses").mkdir()
    for split, n in (("train", 5000), ("test", 500)):
        with gzip.open(folder / "moses" / f"{split}.csv.gz", "wt", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["SMILES"])
            writer.writerows([s] for s in moses_subset(str(real_root), split, n, seed=0))
    return folder


# What the timed window leaves out on both paths: checkpoints, validation, the progress bar.
BENCH_OVERRIDES = ["--trainer.enable_checkpointing=false", "--trainer.limit_val_batches=0",
                   "--trainer.num_sanity_val_steps=0", "--trainer.enable_progress_bar=false",
                   "--trainer.enable_model_summary=false", "--trainer.callbacks=[]", "--trainer.max_time=null",
                   "--trainer.max_epochs=100000", "--trainer.limit_train_batches=null"]


# ---------------------------------------------------------------------------------------------- timing

# The clock of the timed windows. On a GPU: wall time (the host waits for the device). On a CPU with one
# thread: the process's CPU time, which other jobs on a shared machine do not inflate, so the zoo/plain ratio
# measures work done rather than who else was running (the same reasoning as zoo.callbacks.CPUTimeLimit).
CLOCK = time.perf_counter


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class WindowTimer(Callback):
    """A Lightning callback timing batches ``warmup .. warmup + steps`` and then stopping the run."""

    def __init__(self, warmup: int, steps: int, clock: Callable[[], float] | None = None):
        self.warmup, self.steps, self.seen = warmup, steps, 0
        self.clock = clock  # None: this module's CLOCK (set by main: process CPU time or the wall clock)
        self.t0 = self.t1 = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.seen == self.warmup:
            _sync(pl_module.device)
            self.t0 = (self.clock or CLOCK)()
        elif self.seen == self.warmup + self.steps:
            _sync(pl_module.device)
            self.t1 = (self.clock or CLOCK)()
            trainer.should_stop = True  # this batch still runs, outside the window
        self.seen += 1


def _looping(iterable_factory: Callable):
    while True:
        yield from iterable_factory()


def _samples(batch: Any) -> int:
    if torch.is_tensor(batch):
        return batch.shape[0]
    if isinstance(batch, (list, tuple)):
        return len(batch)
    if hasattr(batch, "num_graphs") and getattr(batch, "train_mask", None) is None:
        return int(batch.num_graphs)
    return int(batch.num_nodes)  # full-graph node classification: every node is a sample


class PairedBlocks(Callback):
    """Inside a zoo run: after ``warmup`` steps, blocks of ``steps`` zoo steps, each followed by as many steps of
    ``plain_step`` (the plain loop, on its own copies), ``blocks`` times; then the run is stopped. A step is one
    optimiser step of the system: a Lightning batch that is a bundle (``steps_per_execution``) counts its batches.

    Each block's time per step is kept: ``zoo`` and ``plain``, in the order they ran."""

    def __init__(self, plain_step: Callable[[], None], warmup: int, steps: int, blocks: int,
                 clock: Callable[[], float] | None = None):
        self.plain_step, self.warmup, self.steps, self.blocks = plain_step, warmup, steps, blocks
        self.clock = clock  # None: this module's CLOCK (set by main: process CPU time or the wall clock)
        self.zoo: list[float] = []
        self.plain: list[float] = []
        self.seen = self.in_block = 0
        self.mark: float | None = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        clock = self.clock or CLOCK
        if self.mark is None and self.seen >= self.warmup and not self.zoo:
            # as timeit does: no cyclic garbage collection inside the timed blocks, where a full collection of
            # this process's ~0.5 M objects would land on whichever side happened to trigger it
            gc.collect()
            gc.disable()
            _sync(pl_module.device)
            self.mark = clock()
        elif self.mark is not None and self.in_block >= self.steps:
            _sync(pl_module.device)
            started = clock()
            self.zoo.append((started - self.mark) / self.in_block)
            for _ in range(self.in_block):
                self.plain_step()
            _sync(pl_module.device)
            self.mark = clock()
            self.plain.append((self.mark - started) / self.in_block)
            self.in_block = 0
            if len(self.zoo) == self.blocks:
                trainer.should_stop = True  # this batch still runs, outside the blocks
                self.mark = None
                gc.enable()
                return
        steps = len(batch) if isinstance(batch, StepBundle) else 1
        self.seen += steps
        if self.mark is not None:
            self.in_block += steps


def plain_loop(family: Family, args, overrides: list[str]) -> tuple[Callable[[], None], int, float, int]:
    """The plain loop's step function (on its own copies of the recipe's objects), samples per step, matmul
    FLOPs per step (counted on its first step), and the steps after which the work repeats: a GAN takes a
    generator step every ``discriminator_steps`` batches, so a block of another length would hold one more or one
    fewer generator step on one side than on the other."""
    from zoo.training import instantiate

    cli = instantiate(REPO / family.recipe, [*overrides, "--trainer.logger=false"])
    system, dm = cli.model, cli.datamodule
    device = torch.device(args.torch_device)
    # The datamodule builds device-resident loaders on its trainer's device; the plain loop has no trainer,
    # so it is given the one fact it reads.
    dm.trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=device))
    dm.setup("fit")
    if hasattr(system.net, "target_mean") and hasattr(dm, "train_targets"):
        y = dm.train_targets().float()
        system.net.target_mean.copy_(y.mean(0))
        system.net.target_std.copy_(y.std(0).clamp_min(1e-8))
    loader = dm.train_dataloader()
    moved = (lambda b: b.to(device) if hasattr(b, "to") else b)
    batches = (moved(b) for b in _looping(lambda: iter(loader)))
    bf16 = args.precision == "bf16-mixed"
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16))
    if args.compile:  # the same in-place compilation as zoo.callbacks.CompileModules
        for module in system.children():
            if any(True for _ in module.parameters()):
                module.compile(mode=None if args.compile == "default" else args.compile)
    step = family.plain(system, batches, device, autocast)
    samples = _samples(next(iter(loader)))
    with MatmulFlops() as counter:
        step()
    for _ in range(args.warmup):
        step()
    _sync(device)
    cycle = int(system.hparams.get("discriminator_steps", 1)) if family.plain is _gan_plain else 1
    return step, samples, counter.total, cycle


def time_paired(family: Family, args, overrides: list[str]) -> tuple[list[float], list[float], int, float]:
    """Seconds per step of each zoo block and each plain block (see the module docstring); samples per step;
    matmul FLOPs per step."""
    from zoo.training import fit

    step, samples, flops, cycle = plain_loop(family, args, overrides)
    args.steps = -(-args.steps // cycle) * cycle  # whole cycles: the same work in every block of either side
    paired = PairedBlocks(step, args.warmup, args.steps, args.blocks)
    try:
        with tempfile.TemporaryDirectory() as runs:
            fit(REPO / family.recipe, overrides, device=args.lightning_device, precision=args.precision,
                compile=args.compile or False, callbacks=[paired], runs_dir=runs, verbose=False)
    finally:
        gc.enable()
    if len(paired.zoo) < args.blocks:
        raise RuntimeError(f"{family.name}: the zoo run ended after {len(paired.zoo)} of {args.blocks} blocks")
    return paired.zoo, paired.plain, samples, flops


class MatmulFlops:
    """Counts the FLOPs of matrix products and convolutions (torch's own formulas, ``flop_registry``) of what
    runs inside it, at the dispatcher, so double backward (the gradient penalty) is counted too; torch's
    ``FlopCounterMode`` tracks modules with hooks that ``autograd.grad(create_graph=True)`` does not support."""

    def __enter__(self):
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils.flop_counter import flop_registry

        counter = self

        class _Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                out = func(*args, **kwargs)
                formula = flop_registry.get(func._overloadpacket)
                if formula is not None:
                    counter.total += formula(*args, **kwargs, out_val=out)
                return out

        self.total = 0
        self._mode = _Mode()
        self._mode.__enter__()
        return self

    def __exit__(self, *exc):
        self._mode.__exit__(*exc)


def peak_tflops(device: torch.device) -> float:
    """A large matrix multiply's rate on this device: bf16 on a GPU, fp32 on a CPU (the dtype it runs fastest)."""
    n, dtype, reps = (8192, torch.bfloat16, 20) if device.type == "cuda" else (1024, torch.float32, 5)
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    _sync(device)
    t0 = CLOCK()  # the windows' clock, so the fraction of peak compares like with like
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * n ** 3 * reps / (CLOCK() - t0) / 1e12


def measure(family: Family, args) -> dict[str, Any]:
    args = argparse.Namespace(**vars(args))
    if args.steps is None:
        args.steps = family.quick_steps if args.quick else 20
    if args.blocks is None:
        args.blocks = family.quick_blocks if args.quick else 10
    quick = [*family.quick, *(family.cpu_quick if args.device == "cpu" else [])] if args.quick else []
    overrides = [*family.overrides, *quick, *BENCH_OVERRIDES, *args.override]
    if args.device_resident and family.name not in ("gcn", "smiles-aae"):
        overrides.append("--data.init_args.device_resident=true")
    zoo_times, plain_times, samples, flops = time_paired(family, args, overrides)
    device = torch.device(args.torch_device)
    zoo_step, plain_step = statistics.median(zoo_times), statistics.median(plain_times)
    zoo_rate, plain_rate = samples / zoo_step, samples / plain_step
    peak = args.peak
    achieved = flops / zoo_step / 1e12
    return {"family": family.name, "recipe": family.recipe, "device": _device_name(device),
            "precision": args.precision, "compile": args.compile, "device_resident": bool(args.device_resident
                                                                 and family.name not in ("gcn", "smiles-aae")),
            "samples_per_step": samples, "zoo_samples_per_s": round(zoo_rate, 2),
            "plain_samples_per_s": round(plain_rate, 2), "ratio": round(zoo_rate / plain_rate, 3),
            "zoo_steps_per_s": round(1 / zoo_step, 2), "matmul_flops_per_step": flops,
            "achieved_tflops": round(achieved, 4), "peak_tflops": round(peak, 3),
            "fraction_of_peak": round(achieved / peak, 4), "steps_per_block": args.steps, "blocks": args.blocks,
            "block_ratios": [round(p / z, 3) for z, p in zip(zoo_times, plain_times)],
            "threads": torch.get_num_threads(), "clock": args.clock}


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--precision", default="32-true", choices=["32-true", "bf16-mixed"])
    parser.add_argument("--device-resident", action="store_true", help="datasets held and batched on the device")
    parser.add_argument("--compile", nargs="?", const="default", default=None,
                        choices=["default", "reduce-overhead", "max-autotune"], help="torch.compile both sides")
    parser.add_argument("--quick", action="store_true", help="small data subsets and few steps (< 3 min on 2 cores)")
    parser.add_argument("--families", default=",".join(f.name for f in FAMILIES))
    parser.add_argument("--warmup", type=int, default=None, help="zoo and plain steps before the first block")
    parser.add_argument("--steps", type=int, default=None, help="steps per block (default 20; --quick: per family)")
    parser.add_argument("--blocks", "--repeats", type=int, default=None,
                        help="paired blocks of each path (default 10; --quick: per family)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default on a CPU: 1, so the CPU-time clock applies; on a GPU: torch's)")
    parser.add_argument("--clock", default="auto", choices=["auto", "wall", "cpu"],
                        help="time the windows by wall clock or process CPU time (auto: CPU time on a CPU with one "
                             "thread, wall clock otherwise)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="families measured in this many processes at once (default on a CPU: the number of "
                             "cores, each process on one thread; 1 on a GPU)")
    parser.add_argument("--override", action="append", default=[], metavar="--KEY=VALUE",
                        help="a LightningCLI override for both paths of every family, written with '=' "
                             "(--override=--model.init_args.steps_per_execution=1); repeatable")
    parser.add_argument("--quick-root", default=None, help=argparse.SUPPRESS)  # a worker's prepared data root
    parser.add_argument("--out", default=None, help="also append the JSON lines to this file")
    args = parser.parse_args(argv)
    args.warmup = args.warmup if args.warmup is not None else (3 if args.quick else 20)
    # args.steps and args.blocks stay None unless given: measure() takes each family's own --quick default
    args.torch_device = args.device
    args.lightning_device = "gpu" if args.device == "cuda" else "cpu"
    if args.threads or args.device == "cpu":
        torch.set_num_threads(args.threads or 1)
    global CLOCK
    use_cpu_clock = args.clock == "cpu" or (args.clock == "auto" and args.device == "cpu"
                                             and torch.get_num_threads() == 1)
    CLOCK = time.process_time if use_cpu_clock else time.perf_counter
    args.clock = "cpu" if use_cpu_clock else "wall"
    os.environ.setdefault("WANDB_MODE", "disabled")
    args.peak = peak_tflops(torch.device(args.device))
    chosen = set(args.families.split(","))
    unknown = chosen - {f.name for f in FAMILIES}
    if unknown:
        parser.error(f"unknown families {sorted(unknown)}; choose from {[f.name for f in FAMILIES]}")
    scratch = None
    if args.quick_root:
        os.environ["ZOO_DATA_ROOT"] = args.quick_root
    elif args.quick and args.device == "cpu":
        from zoo.data.root import data_root

        scratch = tempfile.TemporaryDirectory(prefix="zoo-throughput-")
        os.environ["ZOO_DATA_ROOT"] = str(quick_data_root(data_root(), Path(scratch.name)))
    jobs = args.jobs or (os.cpu_count() or 1 if args.device == "cpu" else 1)
    if jobs > 1 and len(chosen) > 1:
        return run_in_workers([f for f in FAMILIES if f.name in chosen], jobs, argv, args)
    for family in FAMILIES:
        if family.name not in chosen:
            continue
        started = time.perf_counter()
        row = measure(family, args)
        row["seconds"] = round(time.perf_counter() - started, 1)
        line = json.dumps(row)
        print(line, flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(line + "\n")


def run_in_workers(families: list[Family], jobs: int, argv: list[str] | None, args) -> None:
    """Measure the families in ``jobs`` worker processes of this script (one thread each), balanced by their
    usual cost, then print the rows in the usual order. One process per core keeps each measurement on its own
    core, and the CPU-time clock keeps the ratios fair while the workers share the machine."""
    import subprocess

    order = sorted(families, key=lambda f: -COST.get(f.name, 1))
    groups: list[list[str]] = [[] for _ in range(jobs)]
    loads = [0.0] * jobs
    for family in order:
        k = loads.index(min(loads))
        groups[k].append(family.name)
        loads[k] += COST.get(family.name, 1)
    base, skip = [], False
    for a in (argv if argv is not None else sys.argv[1:]):  # drop the options each worker gets its own of
        if skip:
            skip = False
        elif a in ("--families", "--jobs", "--out"):
            skip = True  # "--families nfp,gcn": its value goes too
        elif not a.startswith(("--families=", "--jobs=", "--out=")):
            base.append(a)
    command = [sys.executable, "-m", "bench.throughput", *base, "--jobs", "1"]
    if os.environ.get("ZOO_DATA_ROOT") and args.quick:
        command += ["--quick-root", os.environ["ZOO_DATA_ROOT"]]
    workers = [subprocess.Popen([*command, "--families", ",".join(g)], stdout=subprocess.PIPE, text=True,
                                cwd=REPO) for g in groups if g]
    rows = {}
    for worker in workers:
        out, _ = worker.communicate()
        if worker.returncode:
            raise SystemExit(f"a benchmark worker failed (exit {worker.returncode}); rerun with --jobs 1 to see why")
        for line in out.splitlines():
            if line.startswith("{"):
                rows[json.loads(line)["family"]] = line
    for family in families:
        if family.name in rows:
            print(rows[family.name], flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(rows[family.name] + "\n")


COST = {"dcgan64-wgan-gp": 52, "mpnn": 22, "smiles-aae": 16, "nfp": 16, "dcgan28-gan": 13, "gcn": 11}  # quick, s


if __name__ == "__main__":
    sys.exit(main())
