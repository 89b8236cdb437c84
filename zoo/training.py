"""The zoo's one training path: ``zoo train RECIPE`` and its Python twin :func:`fit`.

This module is the only code in the project that builds a Lightning ``Trainer`` (through ``LightningCLI``):
recipes, fine-tuning, reproduction (``zoo reproduce``), the benchmarks in ``bench/`` and the GPU script all call
:func:`fit`, so a user who runs a card's command runs what made the weights.

Every recipe is a LightningCLI YAML (``recipes/<method>/<dataset>.yaml``) naming a system from ``zoo.systems``
and a datamodule from ``zoo.data``; any option can be overridden (``--trainer.max_epochs=3``). On top of plain
LightningCLI, :func:`fit` adds, as options of the one path:

- **a run folder per configuration**: ``runs/<method>/<recipe>/<config-hash>`` where the hash covers the recipe
  file and every override but the budget (:data:`BUDGET_OPTIONS`, ``max_minutes``, ``cpu_minutes``), so rerunning
  the same command resumes, rerunning it with a larger budget continues, and changing an option starts a new run;
  ``run_name`` names the folder instead (and resumes it even if options changed); ``--trainer.default_root_dir``
  still picks any folder. ``fresh=True`` locks an existing folder, moves it aside (``<folder>.old-<time>``,
  never deleted) and starts again;
- **resume** from ``<run>/checkpoints/last.ckpt`` (written every epoch, through a temporary file) under the same
  W&B run id, or from the ``last-v<N>.ckpt`` Lightning wrote after it; a damaged one is a one-line error naming
  the intact checkpoints beside it (:mod:`zoo.run_checkpoints`);
- **a lock** per run folder, so two processes never write one run's checkpoints and W&B files;
- **W&B** through Lightning's ``WandbLogger``: offline files unless credentials exist (:func:`wandb_mode`); beside
  it Lightning's ``CSVLogger`` keeps every logged value in ``<run>/csv/`` (the card's curves, :mod:`zoo.run_metrics`);
- **time limits**: ``max_minutes`` of wall clock (Lightning's ``max_time``, :func:`wall_clock_limit`) and
  ``cpu_minutes`` of process CPU time (:class:`zoo.callbacks.CPUTimeLimit`), both carried across resumes by the
  checkpoint (``zoo train --max-minutes`` / ``--cpu-minutes``). Words: a *limit* stops a run; a card's *budget* is
  the compute its run got (on the card, for a reproduction to match), enforced by one of these limits;
- **recipe callbacks**: a recipe's ``trainer.callbacks`` (``zoo.callbacks.SampleGrid``, ``PeriodicFID``, a
  ``ModelCheckpoint``) run beside the ones added here;
- **device and precision**: ``device`` (``auto``, ``cpu``, ``gpu``/``cuda``) and ``precision`` (``bf16-mixed``,
  ``32-true`` ...), i.e. ``trainer.accelerator`` and ``trainer.precision``; ``compile`` runs the networks
  through ``torch.compile`` (:class:`zoo.callbacks.CompileModules`);
- **a non-finite-loss guard** on every system (:class:`zoo.callbacks.NonFiniteLossGuard`);
- **export** of the final weights to ``checkpoints/<id>/`` with a card, when ``export_meta`` is given;
- **the end of a run** (:mod:`zoo.run_end`): the recipe's test metrics of the weights the run keeps, when its
  datamodule has a test split, and why the run stopped (complete, already complete, a limit) and how to go on;
- **a record** of the recipe and options in ``<run>/zoo_run.json``, from which ``zoo eval RUN`` and
  ``zoo export RUN`` find the run's recipe (:mod:`zoo.run_folder`).

The first lines of a run say what it is: new or resuming (from which epoch), the folder, the weights a
fine-tuning run starts from, the device and the W&B mode. A run that fails before its first step (a refused
option, weights that do not fit, missing data) leaves no folder behind if it made one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import yaml
from lightning.pytorch import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.plugins.io import CheckpointIO

from zoo.ranks import is_rank_zero
from zoo.run_checkpoints import AtomicCheckpointIO, check_resumable
from zoo.run_end import measure_test_metrics, stop_lines

RUN_ID_FILE = "wandb_run_id"
WANDB_PROJECT = "zoo"  # every run logs to this W&B project; the cards name it beside the run id
RUN_RECORD = "zoo_run.json"  # <run>/zoo_run.json: the recipe and options of the run (zoo eval/export read it)
# A run's length and its limits are not part of its identity: the same command with more of them continues the run
BUDGET_OPTIONS = ("trainer.max_time", "trainer.max_epochs", "trainer.max_steps")
LOCK_FILE = ".lock"
RUNS_DIR = "runs"
CHECKPOINTS = "checkpoints"  # <run>/checkpoints: every ModelCheckpoint of a run writes here
CSV_DIR = "csv"  # <run>/csv/version_<n>/metrics.csv: every logged value (Lightning's CSVLogger)
RUN_ID_PATTERN = re.compile(r"^[a-z0-9]{1,64}$")  # a W&B run id as run_id_of keeps it
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DEVICES = {"auto": "auto", "cpu": "cpu", "gpu": "gpu", "cuda": "gpu", "mps": "mps"}


class TrainingError(ValueError):
    """A training request that cannot run as asked; the message says what to do instead."""


# ---------------------------------------------------------------------------------------------- W&B

def wandb_mode() -> str:
    """``$WANDB_MODE`` if set; else "online" when credentials exist, "offline" otherwise (never a login prompt)."""
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    netrc = Path.home() / ".netrc"
    if netrc.is_file() and "api.wandb.ai" in netrc.read_text(errors="ignore"):
        return "online"
    return "offline"


def run_id_of(run_dir: Path) -> str:
    """The W&B run id kept in ``run_dir`` (created on first use). A missing, empty or malformed file gets a new
    id, so a damaged file never blocks a rerun."""
    from zoo.io import write_text_atomic

    id_file = run_dir / RUN_ID_FILE
    if id_file.is_file():
        run_id = id_file.read_text(errors="replace").strip()
        if RUN_ID_PATTERN.match(run_id):
            return run_id
        warnings.warn(f"{id_file} held {run_id[:40]!r}, not a W&B run id; this run logs under a new id")
    run_id = secrets.token_hex(4)  # W&B run ids are short lowercase alphanumerics
    if is_rank_zero():
        run_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(id_file, run_id + "\n")
    return run_id


def make_wandb_logger(run_dir: Path, name: str, project: str = WANDB_PROJECT):
    """A ``WandbLogger`` that keeps its run id in ``run_dir`` so a resumed run logs into the same W&B run."""
    import wandb
    from lightning.pytorch.loggers import WandbLogger

    run_id = run_id_of(run_dir)
    os.environ.setdefault("WANDB_SILENT", "true")
    os.environ.setdefault("WANDB_DISABLE_GIT", "true")
    # silent as W&B's process-wide setting, which also keeps W&B's warning about the `anonymous` argument
    # WandbLogger always passes (it has no effect) off the terminal
    wandb.setup(settings=wandb.Settings(silent=os.environ["WANDB_SILENT"].lower() in ("true", "1")))
    return WandbLogger(project=project, name=name, id=run_id, resume="allow", save_dir=str(run_dir),
                       mode=wandb_mode(), log_model=False)


def make_csv_logger(run_dir: Path):
    """A ``CSVLogger`` writing every logged value to ``<run>/csv/version_<n>/metrics.csv``, one version per session
    of the run (a resumed run starts the next): the curves of a run, whatever W&B's mode (:mod:`zoo.run_metrics`
    reads them)."""
    from lightning.pytorch.loggers import CSVLogger

    return CSVLogger(save_dir=str(run_dir), name=CSV_DIR)


# ---------------------------------------------------------------------------------------------- run folders

def run_name_of(recipe: Path) -> str:
    """``recipes/gcn/cora.yaml`` -> ``gcn/cora``."""
    parts = recipe.with_suffix("").parts
    return "/".join(parts[parts.index("recipes") + 1:]) if "recipes" in parts else recipe.stem


def config_hash(content: dict, overrides: Sequence[str], settings: dict[str, Any] | None = None) -> str:
    """12 hex digits identifying a configuration: the recipe's parsed ``content`` (:func:`check_recipe`), the
    overrides in order, and the path's own settings (device, precision, compile). Comments and formatting of the
    recipe do not count, nor does the budget: :data:`BUDGET_OPTIONS` and the ``max_minutes``/``cpu_minutes`` limits
    (so more budget continues the same run)."""
    for key in BUDGET_OPTIONS:
        overrides = _without(overrides, key)
    settings = {k: v for k, v in (settings or {}).items() if k not in ("max_minutes", "cpu_minutes")}
    return _hash(content, overrides, settings)


def _hash(content: dict, overrides: Sequence[str], settings: dict[str, Any] | None) -> str:
    payload = json.dumps({"recipe": content, "overrides": list(overrides), "settings": settings or {}},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def check_recipe(recipe: Path) -> dict:
    """Parse a recipe file and check its top-level shape; raise ``ValueError`` that says what is wrong."""
    if not recipe.is_file():
        raise TrainingError(f"recipe {recipe} does not exist; `ls recipes/*/` lists the recipes")
    try:
        config = yaml.safe_load(recipe.read_text())
    except yaml.YAMLError as err:
        raise TrainingError(f"recipe {recipe} is not valid YAML: {err}") from err
    if not isinstance(config, dict) or "model" not in config:
        raise TrainingError(f"recipe {recipe} must be a LightningCLI config mapping with at least a 'model' "
                            "section (class_path + init_args) and usually 'data' and 'trainer'")
    return config


def _override(overrides: Sequence[str], key: str) -> str | None:
    """The value of ``--key=value`` or ``--key value`` in ``overrides`` (the last one wins), else None."""
    value = None
    for i, arg in enumerate(overrides):
        if arg.startswith(f"--{key}="):
            value = arg.split("=", 1)[1]
        elif arg == f"--{key}" and i + 1 < len(overrides):
            value = overrides[i + 1]
    return value


def resolve_run_dir(recipe: Path, overrides: Sequence[str], run_name: str | None,
                    settings: dict[str, Any], runs_dir: str | Path = RUNS_DIR, content: dict | None = None) -> Path:
    """The run folder: ``--trainer.default_root_dir`` if given, else ``runs/<recipe>/<run_name or hash>``."""
    explicit = _override(overrides, "trainer.default_root_dir")
    if explicit:
        return Path(explicit)
    if run_name is not None and not _RUN_NAME.match(run_name):
        raise TrainingError(f"run name {run_name!r} must be letters, digits, '.', '_' or '-' (at most 100, "
                            "not starting with a dot); it names a folder under runs/<recipe>/")
    if run_name:
        return Path(runs_dir) / run_name_of(recipe) / run_name
    content = check_recipe(recipe) if content is None else content
    folder = Path(runs_dir) / run_name_of(recipe) / config_hash(content, overrides, settings)
    # a run started before the budget left the hash (issue 20) is resumed by the same command where it is
    earlier = folder.with_name(_hash(content, overrides, settings))
    return earlier if not folder.exists() and earlier.is_dir() else folder


def last_checkpoint(run_dir: Path) -> Path:
    """The checkpoint a run resumes from: the last one Lightning wrote (:func:`zoo.run_checkpoints.last_checkpoint`)."""
    from zoo.run_checkpoints import last_checkpoint as written_last

    return written_last(run_dir / CHECKPOINTS)


def move_aside(run_dir: Path) -> Path | None:
    """``--fresh``: rename an existing run folder to ``<name>.old-<UTC time>`` (never delete a user's run)."""
    if not run_dir.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = run_dir.with_name(f"{run_dir.name}.old-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = run_dir.with_name(f"{run_dir.name}.old-{stamp}-{n}")
    run_dir.rename(target)
    return target


@contextlib.contextmanager
def locked_run_dir(run_dir: Path, fresh: bool = False) -> Iterator[Path | None]:
    """:func:`run_lock` on ``run_dir``; with ``fresh``, an existing folder is locked *before* it is moved aside
    (:func:`move_aside`), so the folder of a run still training is refused, never moved, and the new folder is
    locked in turn. Yields where the earlier run went (None if nothing moved)."""
    moved = None
    if fresh and is_rank_zero() and run_dir.exists():
        with run_lock(run_dir):
            moved = move_aside(run_dir)
    with run_lock(run_dir):
        yield moved


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``<run>/.lock`` for the duration of a run: a second process on the same folder fails at once with
    the first one's pid. The OS drops the lock when a process dies, so a killed run never blocks its resume.
    Only rank 0 locks: DDP's worker processes run inside the same run on purpose."""
    if not is_rank_zero():
        yield
        return
    import fcntl

    run_dir.mkdir(parents=True, exist_ok=True)
    handle = open(run_dir / LOCK_FILE, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise TrainingError(f"run folder {run_dir} is in use by {holder}; wait for it to finish, or start a "
                                "separate run with --run-name NAME (or change an option)") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


# ---------------------------------------------------------------------------------------------- the CLI

class ZooCLI(LightningCLI):
    """LightningCLI with the run folder, W&B logger, guard and last-checkpoint defaults described above."""

    def __init__(self, *args: Any, run_name: str = "run", extra_callbacks: Sequence[Callback] = (),
                 **kwargs: Any):
        self.run_name = run_name
        self.extra_callbacks = list(extra_callbacks)
        super().__init__(*args, **kwargs)

    def parse_arguments(self, parser: Any, args: Any) -> None:
        """Parse ``args`` only. LightningCLI's own version warns when ``sys.argv`` holds arguments too, which is
        always so under ``zoo train``: they are the ``zoo`` command's, already turned into ``args`` by :func:`fit`."""
        self.config = parser.parse_args(args)

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        from zoo.callbacks import EpochLines, NonFiniteLossGuard

        trainer_cfg = self.config_init.get("trainer", {})  # run=False: no subcommand level in the config
        run_dir = Path(trainer_cfg.get("default_root_dir") or RUNS_DIR)
        if trainer_cfg.get("logger") in (None, True):  # W&B first: it is trainer.logger, and config.yaml goes in its folder
            kwargs["logger"] = [make_wandb_logger(run_dir, self.run_name), make_csv_logger(run_dir)]
        # a callback from fit's own options (--cpu-minutes: CPUTimeLimit) replaces the recipe's of the same class:
        # the command line wins, and Lightning refuses two stateful callbacks with one state key
        given = {type(c) for c in self.extra_callbacks}
        callbacks = [c for c in trainer_cfg.get("callbacks") or [] if type(c) not in given] + self.extra_callbacks
        for c in callbacks:  # a recipe's own checkpoints go in the run folder too, where resuming looks
            if isinstance(c, ModelCheckpoint) and c.dirpath is None:
                c.dirpath = str(run_dir / CHECKPOINTS)
        checkpointing = trainer_cfg.get("enable_checkpointing") is not False
        if checkpointing and not any(isinstance(c, ModelCheckpoint) for c in callbacks):
            # save_top_k=1 without a monitor keeps the latest epoch; Lightning 2.6 writes last.ckpt only
            # alongside a top-k save, so save_top_k=0 would leave nothing to resume from mid-run. No version
            # counter: in a moved or copied run folder it would write last-v1.ckpt beside the stale last.ckpt.
            callbacks.append(ModelCheckpoint(dirpath=run_dir / CHECKPOINTS, save_last=True, save_top_k=1,
                                             enable_version_counter=False))
        if not any(isinstance(c, NonFiniteLossGuard) for c in callbacks):
            callbacks.append(NonFiniteLossGuard())
        if not sys.stderr.isatty():  # a log file or CI: the bar writes a line per refresh; one per epoch instead
            kwargs["enable_progress_bar"] = False
            callbacks.append(EpochLines())
        kwargs["callbacks"] = callbacks
        plugins = trainer_cfg.get("plugins") or []
        plugins = list(plugins) if isinstance(plugins, (list, tuple)) else [plugins]
        if not any(isinstance(p, CheckpointIO) for p in plugins):  # a failed save leaves no partial file
            kwargs["plugins"] = [*plugins, AtomicCheckpointIO()]
        return super().instantiate_trainer(**kwargs)

    def after_fit(self) -> None:
        """Close the W&B run so a second run in the same process starts its own."""
        from lightning.pytorch.loggers import WandbLogger

        if isinstance(self.trainer.logger, WandbLogger) and self.trainer.is_global_zero:
            import wandb

            wandb.finish()


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence what is noise for a zoo user: Lightning's TPU/HPU availability lines and product tip, W&B's
    warning about an argument Lightning passes, and a torch pytree deprecation raised inside Lightning. Real
    warnings still show. (LightningCLI's args-vs-argv warning is avoided at its cause in :meth:`ZooCLI.parse_arguments`.)"""
    quiet = [logging.getLogger(n) for n in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")]
    filters = []

    class _DropNoise(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            text = record.getMessage()
            return not (text.startswith(("TPU available", "HPU available", "💡 Tip")) or "litlogger" in text)

    for logger in quiet:
        f = _DropNoise()
        logger.addFilter(f)
        filters.append((logger, f))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
            # expected when a run resumes into its own folder
            warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
            yield
    finally:
        for logger, f in filters:
            logger.removeFilter(f)


# ---------------------------------------------------------------------------------------------- fit

@dataclass
class Run:
    """What :func:`fit` did: the folder, whether it resumed, the W&B id, and the Lightning objects."""

    dir: Path
    resumed_from: Path | None
    wandb_run_id: str | None
    cli: ZooCLI | None = None
    exported: Any = None
    header: list[str] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)  # why it stopped and how to go on (zoo.run_end.stop_lines)
    test_metrics: dict[str, float] | None = None  # the recipe's test metrics of weights_checkpoint, if it has a test split

    @property
    def last_checkpoint(self) -> Path:
        return last_checkpoint(self.dir)

    @property
    def weights_checkpoint(self) -> Path:
        """The checkpoint the run's result is: the best one of the recipe's monitored ``ModelCheckpoint`` when it
        has one (NFP keeps and tests its lowest-validation-loss epoch), else ``last.ckpt``. Export and
        ``zoo reproduce`` take their weights from here, so they score what the card's protocol scores."""
        for callback in self.trainer.checkpoint_callbacks if self.cli else ():
            if callback.monitor and callback.best_model_path and callback.dirpath:
                # Lightning restores best_model_path even from a run folder that was moved or copied since:
                # the file of that name in this run's folder is the one meant
                best = Path(callback.dirpath) / Path(callback.best_model_path).name
                if best.is_file():
                    return best
        return self.last_checkpoint

    @property
    def trainer(self) -> Trainer:
        return self.cli.trainer

    @property
    def model(self) -> LightningModule:
        return self.cli.model


def wall_clock_limit(max_minutes: float) -> str:
    """``--max-minutes M`` as the Trainer option that enforces it: ``--trainer.max_time=DD:HH:MM:SS``."""
    if max_minutes <= 0:
        raise TrainingError(f"--max-minutes must be positive, got {max_minutes}")
    seconds = round(max_minutes * 60)
    return f"--trainer.max_time=00:{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _settings_overrides(device: str | None, precision: str | None, max_minutes: float | None) -> list[str]:
    args = []
    if device is not None:
        if device not in DEVICES:
            raise TrainingError(f"device {device!r} is not one of {', '.join(DEVICES)}")
        args.append(f"--trainer.accelerator={DEVICES[device]}")
    if precision is not None:
        args.append(f"--trainer.precision={precision}")
    if max_minutes is not None:
        args.append(wall_clock_limit(max_minutes))
    return args


def _describe(run: Run, cli_config: Any, device: str, precision: str, counters: dict[str, Any]) -> list[str]:
    model_args = (cli_config.get("model") or {}).get("init_args") or {}
    init_from = model_args.get("init_from")
    if run.resumed_from is not None:
        status = f"resuming from {run.resumed_from} (epoch {counters['epoch']}, step {counters['global_step']})"
    else:
        status = "new run"
    lines = [f"zoo train: {status}", f"  run folder: {run.dir}  (rerun the same command to resume; --fresh restarts)"]
    start = 'zoo id ' + init_from if init_from else 'random (from scratch)'
    lines.append(f"  init weights: {start}" if run.resumed_from is None
                 else f"  init weights: the checkpoint it resumes (the run started from {start})")
    lines.append(f"  device: {device}, precision: {precision}")
    mode = wandb_mode()
    lines.append(f"  W&B: {mode}" + (f", run id {run.wandb_run_id}" if run.wandb_run_id else "")
                 + (f" (files under {run.dir}/wandb; `wandb sync` uploads them)" if mode == "offline" else ""))
    return lines


def fit(recipe: str | Path, overrides: Sequence[str] = (), *, run_name: str | None = None, fresh: bool = False,
        device: str | None = None, precision: str | None = None, max_minutes: float | None = None,
        cpu_minutes: float | None = None, compile: bool | str = False, export_meta: dict[str, Any] | str | Path | None = None,
        callbacks: Sequence[Callback] = (), runs_dir: str | Path = RUNS_DIR, verbose: bool = True,
        test: bool = True, trusted_packages: Sequence[str] = ()) -> Run:
    """Train a recipe through the one path, resuming its run folder when it exists; see the module docstring.

    ``overrides`` are LightningCLI arguments (``["--trainer.max_epochs=3"]``). ``callbacks`` are extra Lightning
    callbacks (for benchmarks). ``export_meta`` (a dict or a JSON file of card fields, see
    :class:`zoo.registry.PretrainedCfg`) exports ``last.ckpt`` when the run ends; the card then records the W&B
    run id and the reproducing command. ``test``: end with the recipe's test metrics (:attr:`Run.test_metrics`)
    when its datamodule has a test split. ``trusted_packages``: top-level packages besides the zoo's own that the
    recipe may name classes of; for Python callers vouching for their own code (a benchmark's tiny system), never
    filled from a recipe or the command line.
    """
    recipe = Path(recipe)
    content = check_recipe(recipe)
    overrides = list(overrides)
    settings = {"device": device, "precision": precision, "max_minutes": max_minutes, "cpu_minutes": cpu_minutes,
                "compile": compile or None}
    args_from_settings = _settings_overrides(device, precision, max_minutes)
    run_dir = resolve_run_dir(recipe, overrides, run_name, {k: v for k, v in settings.items() if v is not None},
                              runs_dir, content)
    ckpt_override = _override(overrides, "ckpt_path")  # the run folder's hash above saw it; nothing else does
    overrides = _without(overrides, "ckpt_path")
    meta = _read_meta(export_meta)
    config_args, cli_overrides = _config_args(recipe, content, overrides, trusted_packages)
    extra = list(callbacks)
    if cpu_minutes is not None:
        from zoo.callbacks import CPUTimeLimit

        extra.append(CPUTimeLimit(cpu_minutes))
    if compile:
        from zoo.callbacks import CompileModules

        extra.append(CompileModules(mode=None if compile in (True, "default") else compile))

    created, owned = _first_new_folder(run_dir), None
    run = Run(dir=run_dir, resumed_from=None, wandb_run_id=None)
    try:
        with locked_run_dir(run_dir, fresh) as moved:
            owned = run_dir if moved is not None else created  # made by this run, which holds the lock
            _fit_locked(run, recipe, overrides, moved, ckpt_override, config_args, cli_overrides,
                        args_from_settings, extra, settings, verbose, test)
    except BaseException:
        if owned is not None and is_rank_zero() and (run.cli is None or run.trainer.global_step == 0):
            _remove_unstarted(owned)  # a refused option, weights that do not fit, missing data: no folder left
        raise
    if meta is not None and run.trainer.is_global_zero:
        run.exported = export_run(run, meta, recipe, overrides)
    return run


def _fit_locked(run: Run, recipe: Path, overrides: list[str], moved: Path | None, ckpt_override: str | None,
                config_args: list[str], cli_overrides: list[str], args_from_settings: list[str],
                extra: list[Callback], settings: dict[str, Any], verbose: bool, test: bool) -> None:
    """The body of :func:`fit` inside the run folder's lock; fills in ``run`` as it goes (``run.cli`` as soon as
    Lightning is built, so a failure can tell whether a step was taken)."""
    run_dir = run.dir
    last = last_checkpoint(run_dir)
    resumed_from = Path(ckpt_override) if ckpt_override else (last if last.is_file() else None)
    # a damaged checkpoint is one line naming the intact ones, before Lightning is built
    resume_command = _resume_command(recipe, [*overrides, *args_from_settings], run_dir)
    counters = check_resumable(resumed_from, resume_command) if resumed_from else {}
    args = list(config_args)
    if not _override(overrides, "trainer.default_root_dir"):
        args.append(f"--trainer.default_root_dir={run_dir}")
    args += args_from_settings + cli_overrides
    with _quiet_lightning():
        run.cli = cli = _build_cli(recipe, args, extra)
        run.resumed_from, run.wandb_run_id = resumed_from, _wandb_id(cli)
        trainer = cli.trainer
        if cli.datamodule is not None and trainer.is_global_zero:
            # data first (a download that fails says so before any "new run" line; Lightning's own call in
            # fit then finds the files in place)
            cli.datamodule.prepare_data()
        run.header = _describe(run, cli.config, str(trainer.strategy.root_device), str(trainer.precision),
                               counters)
        if moved is not None:
            run.header.insert(1, f"  earlier run moved to {moved}")
        if verbose and trainer.is_global_zero:
            print("\n".join(run.header), flush=True)
        if trainer.is_global_zero:
            write_run_record(run_dir, recipe, overrides, settings)
        # weights_only: a resumed checkpoint is read without unpickling code (zoo checkpoints hold plain types)
        trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=str(resumed_from) if resumed_from else None,
                    weights_only=True)
        run.stop = stop_lines(trainer, run.weights_checkpoint, counters.get("global_step"))
        if test and not trainer.interrupted:  # before after_fit: the test metrics go to the same W&B run
            run.test_metrics = measure_test_metrics(trainer, cli.model, cli.datamodule, run.weights_checkpoint)
        cli.after_fit()


def _first_new_folder(run_dir: Path) -> Path | None:
    """The outermost folder of ``run_dir``'s path that a run will create, or None when the run folder exists:
    what a run that fails before its first step removes again."""
    if run_dir.exists():
        return None
    first = run_dir
    while not first.parent.exists():
        first = first.parent
    return first


def _remove_unstarted(folder: Path) -> None:
    """Remove a folder this run created, when it failed before its first step: no checkpoint can be in it."""
    import shutil

    if folder.is_dir() and not any(folder.rglob("*.ckpt")):
        shutil.rmtree(folder, ignore_errors=True)


def shown_recipe(recipe: Path) -> str:
    """The recipe as the user would type it from the repository root: relative to the working folder if inside
    it, else to the zoo's repository if one of its recipes, else as given."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        try:
            return recipe.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return recipe.as_posix()


def write_run_record(run_dir: Path, recipe: Path, overrides: Sequence[str], settings: dict[str, Any]) -> None:
    """``<run>/zoo_run.json``: the recipe, the LightningCLI options and ``zoo train``'s own ones (the latest
    command's: a rerun with a larger limit records that limit)."""
    from zoo.io import write_text_atomic

    record = {"recipe": shown_recipe(recipe), "overrides": _without(list(overrides), "trainer.default_root_dir"),
              **{k: v for k, v in settings.items() if v is not None}}
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(run_dir / RUN_RECORD, json.dumps(record, indent=2) + "\n")


def _resume_command(recipe: Path, overrides: Sequence[str], run_dir: Path) -> Callable[[Path], str]:
    """The ``zoo train`` command that resumes ``run_dir`` from a given checkpoint: the folder is named (a
    ``--ckpt_path`` alone would give the run another configuration hash, hence another folder)."""
    keep = _without(overrides, "trainer.default_root_dir")
    return lambda ckpt: " ".join(["zoo train", str(recipe), *keep, f"--trainer.default_root_dir={run_dir}",
                                  f"--ckpt_path={ckpt}"])


def _config_args(recipe: Path, content: dict, overrides: Sequence[str],
                 trusted_packages: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """``--config`` for LightningCLI and the overrides. A class outside the zoo and the libraries it documents
    (:mod:`zoo.recipe_names`) fails here with a one-line error, before anything a recipe names is imported."""
    from zoo.recipe_names import check_names

    check_names(recipe, content, overrides, trusted_packages)
    return ["--config", str(recipe)], list(overrides)


def _without(overrides: Sequence[str], key: str) -> list[str]:
    """``overrides`` less every ``--key=value`` / ``--key value``."""
    out, skip = [], False
    for i, arg in enumerate(overrides):
        if skip:
            skip = False
        elif arg.startswith(f"--{key}="):
            continue
        elif arg == f"--{key}":
            skip = True
        else:
            out.append(arg)
    return out


def _build_cli(recipe: Path, args: Sequence[str], extra_callbacks: Sequence[Callback] = ()) -> ZooCLI:
    """Parse and instantiate (not run) a recipe, from ``args`` (never ``sys.argv``: :meth:`ZooCLI.parse_arguments`)."""
    from zoo.config_errors import config_error_line, is_config_error, zoo_cause

    try:
        # exit_on_error=False: a refused option raises (one line below) instead of printing every Trainer option
        return ZooCLI(LightningModule, LightningDataModule, subclass_mode_model=True, subclass_mode_data=True,
                      save_config_kwargs={"overwrite": True}, args=list(args), run=False,
                      parser_kwargs={"exit_on_error": False}, run_name=run_name_of(recipe),
                      extra_callbacks=extra_callbacks)
    except Exception as err:
        cause = zoo_cause(err)
        if cause is not None and cause is not err:  # the zoo's own error (unknown init_from id ...) says it all
            raise cause from None
        if cause is None and is_config_error(err):
            raise TrainingError(f"recipe {recipe}: {config_error_line(err)}") from None
        raise


def _wandb_id(cli: ZooCLI) -> str | None:
    from lightning.pytorch.loggers import WandbLogger

    logger = cli.trainer.logger
    return logger.version if isinstance(logger, WandbLogger) else None


def _read_meta(export_meta: dict[str, Any] | str | Path | None) -> dict[str, Any] | None:
    if export_meta is None or isinstance(export_meta, dict):
        return export_meta
    path = Path(export_meta)
    if not path.is_file():
        raise TrainingError(f"export metadata {path} not found; it is a JSON file of card fields (zoo/registry.py)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise TrainingError(f"export metadata {path} is not valid JSON: {err}") from err


def export_run(run: Run, meta: dict[str, Any], recipe: Path, overrides: Sequence[str]):
    """Export a finished run's weights (:attr:`Run.weights_checkpoint`); the card gets the W&B run id and the
    ``zoo train`` run (recipe and options) as its ``reproduce`` field, unless ``meta`` gives one."""
    from zoo.export import export_checkpoint

    meta = dict(meta)
    training = dict(meta.get("training") or {})
    training.setdefault("wandb_run_id", run.wandb_run_id)
    training.setdefault("wandb_project", WANDB_PROJECT)
    training.setdefault("wandb_synced", wandb_mode() == "online")  # an online run logs to the server as it goes
    training.setdefault("run_folder", str(run.dir))
    meta["training"] = training
    meta.setdefault("reproduce", {"recipe": shown_recipe(recipe), "overrides": list(overrides)})
    return export_checkpoint(run.weights_checkpoint, meta)


def instantiate(recipe: str | Path, extra_args: Sequence[str] = ()) -> ZooCLI:
    """Parse and instantiate ``recipe`` with ``extra_args`` (its model, datamodule and trainer) without training:
    the recipe tests and the benchmarks' plain loops. Training is :func:`fit`."""
    recipe = Path(recipe)
    config_args, extra_args = _config_args(recipe, check_recipe(recipe), extra_args)
    with _quiet_lightning():
        return _build_cli(recipe, [*config_args, *extra_args])


if __name__ == "__main__":  # ``python -m zoo.training RECIPE ...`` is ``zoo train``: a program above every layer
    from zoo.cli import main

    sys.exit(main(["train", *sys.argv[1:]]))
