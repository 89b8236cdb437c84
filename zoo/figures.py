"""The figures on the cards and in MODEL_CARDS.md, drawn from the weights and the logged metrics alone.

In each checkpoint folder (exact names: ``zoo push`` uploads them with the card, which shows them):

- ``samples.png`` (image generators): ``zoo.load(id).sample(n, seed=0)`` as a grid, the very pixels of
  ``zoo sample ID --n n --seed 0`` (64 images up to 32x32, 16 above, so the PNG stays under 200 KB);
- ``interpolation.png`` (models with ``interpolate``, the GANs): 10 frames of the spherical interpolation from
  the latent of seed 0 to that of seed 1, ``zoo sample ID --seed 0 --interpolate-to 1 --n 10 --nrow 10``;
- ``curves.png``: the run's logged metrics from ``metrics.csv`` (:mod:`zoo.run_metrics`), one panel a metric.

Every PNG records what it was drawn from in a PNG text chunk (``zoo-source``: the weights' sha256 and the
``zoo sample`` command for the samples; the sha256 of ``metrics.csv`` and :data:`FIGURE_STYLE` for the curves),
so ``zoo cards`` redraws exactly the figures whose source changed (a retrained checkpoint, a new metrics.csv)
and ``zoo cards --check`` reports stale ones.
Sampling is seeded and runs on the CPU, so the same weights give the same samples.png.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

from zoo.registry import PretrainedCfg, get_architecture
from zoo.run_metrics import METRICS_NAME, Point, read_metrics_csv

SAMPLES_NAME = "samples.png"
INTERPOLATION_NAME = "interpolation.png"
CURVES_NAME = "curves.png"
FIGURE_NAMES = (SAMPLES_NAME, INTERPOLATION_NAME, CURVES_NAME, METRICS_NAME)  # what a card folder may show
SOURCE_KEY = "zoo-source"
SAMPLE_SEED, INTERPOLATE_TO, FRAMES = 0, 1, 10
MAX_PANELS = 6
FIGURE_STYLE = 5  # part of the drawn figures' source tags: bump it when the drawing code changes, to redraw them


# ------------------------------------------------------------------------------------------ what is drawn

def is_image_generator(cfg: PretrainedCfg) -> bool:
    return cfg.task == "image-generation" and hasattr(get_architecture(cfg.architecture), "sample")


def has_interpolation(cfg: PretrainedCfg) -> bool:
    return is_image_generator(cfg) and hasattr(get_architecture(cfg.architecture), "interpolate")


def sample_count(cfg: PretrainedCfg) -> int:
    """64 samples for images up to 32 pixels a side, 16 above (a 64x64 RGB grid of 64 is ~500 KB)."""
    shape = cfg.model_args.get("image_shape") or cfg.extra.get("image_shape") or [cfg.model_args.get("image_size")]
    return 64 if shape[-1] and shape[-1] <= 32 else 16


def samples_command(cfg: PretrainedCfg) -> str:
    return f"zoo sample {cfg.id} --n {sample_count(cfg)} --seed {SAMPLE_SEED} --out {SAMPLES_NAME}"


def interpolation_command(cfg: PretrainedCfg) -> str:
    return (f"zoo sample {cfg.id} --seed {SAMPLE_SEED} --interpolate-to {INTERPOLATE_TO} --n {FRAMES} "
            f"--nrow {FRAMES} --out {INTERPOLATION_NAME}")


def expected_sources(cfg: PretrainedCfg, folder: Path) -> dict[str, str]:
    """Figure file name -> the source tag it must carry (only the figures this checkpoint should have)."""
    expected = {}
    if is_image_generator(cfg):  # the weights and the command that draws the same pixels
        expected[SAMPLES_NAME] = f"{cfg.sha256} {samples_command(cfg)}"
        if has_interpolation(cfg):
            expected[INTERPOLATION_NAME] = f"{cfg.sha256} {interpolation_command(cfg)}"
    if (folder / METRICS_NAME).is_file():
        expected[CURVES_NAME] = _curves_source(folder / METRICS_NAME)
    return expected


def png_source(path: Path) -> str | None:
    """The ``zoo-source`` tag of a PNG written here, or None (missing file, or drawn by something else)."""
    from PIL import Image

    if not path.is_file():
        return None
    with Image.open(path) as image:
        return image.text.get(SOURCE_KEY) if hasattr(image, "text") else None


def stale_figures(cfg: PretrainedCfg, folder: Path) -> list[Path]:
    return [folder / name for name, source in expected_sources(cfg, folder).items()
            if png_source(folder / name) != source]


def write_figures(cfg: PretrainedCfg, folder: Path) -> list[Path]:
    """Draw every stale or missing figure of one checkpoint folder; return the paths written."""
    drawers: dict[str, Callable[[PretrainedCfg, Path], bytes]] = {
        SAMPLES_NAME: _samples_png, INTERPOLATION_NAME: _interpolation_png, CURVES_NAME: _curves_png}
    written = []
    for path in stale_figures(cfg, folder):
        write_bytes_atomic(path, drawers[path.name](cfg, folder))
        written.append(path)
    return written


# ------------------------------------------------------------------------------------------ image grids

def _grid_png(images, nrow: int, source: str) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from zoo.image_grid import make_grid

    info = PngInfo()
    info.add_text(SOURCE_KEY, source)
    out = io.BytesIO()
    Image.fromarray(make_grid(images, nrow)).save(out, format="PNG", pnginfo=info, optimize=True)
    return out.getvalue()


def _load_on_cpu(cfg: PretrainedCfg):
    from zoo.hub import load

    return load(cfg.id).cpu()


def _samples_png(cfg: PretrainedCfg, folder: Path) -> bytes:
    import torch

    with torch.no_grad():
        images = _load_on_cpu(cfg).sample(sample_count(cfg), seed=SAMPLE_SEED)
    return _grid_png(images, 8, f"{cfg.sha256} {samples_command(cfg)}")


def _interpolation_png(cfg: PretrainedCfg, folder: Path) -> bytes:
    import torch

    with torch.no_grad():
        frames = _load_on_cpu(cfg).interpolate(SAMPLE_SEED, INTERPOLATE_TO, steps=FRAMES)
    return _grid_png(frames, FRAMES, f"{cfg.sha256} {interpolation_command(cfg)}")


# ------------------------------------------------------------------------------------------ curves

def _curves_png(cfg: PretrainedCfg, folder: Path) -> bytes:
    csv_path = folder / METRICS_NAME
    return draw_curves(read_metrics_csv(csv_path), cfg.id, _curves_source(csv_path))


def _curves_source(csv_path: Path) -> str:
    return f"{hashlib.sha256(csv_path.read_bytes()).hexdigest()} style {FIGURE_STYLE}"


def curve_metrics(points: list[Point]) -> list[str]:
    """The metrics drawn: validation/test ones first, then training losses, at most :data:`MAX_PANELS`."""
    names = sorted({p.metric for p in points}, key=lambda m: (not m.startswith(("val", "test")), m))
    return names[:MAX_PANELS]


def draw_curves(points: list[Point], title: str, source: str) -> bytes:
    """One small panel per metric (value against the logged training batch), as PNG bytes tagged with ``source``."""
    names = curve_metrics(points)
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    fig = _figure(max(5.0, 3.2 * cols), 2.6 * rows)
    steps = [p.step for p in points if p.metric in names]
    span = (max(steps) - min(steps)) * 0.03 or 1  # one step axis for all panels, so points sit in context
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, k + 1)
        series = [p for p in points if p.metric == name]
        ax.plot([p.step for p in series], [p.value for p in series], lw=1.2, color="#1f77b4",
                marker="o" if len(series) <= 20 else None, ms=3)
        ax.set_xlim(min(steps) - span, max(steps) + span)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{title}: logged during training", fontsize=10)
    return _png_bytes(fig, source)


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=90, layout="constrained")


def _png_bytes(fig, source: str) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None, SOURCE_KEY: source})
    return out.getvalue()


# ------------------------------------------------------------------------------------------ families

PAPER_N_FAKE = 10_000  # Lucic et al. 2018's FID: 10,000 samples against 10,000 real images


def fid_protocols(cfg: PretrainedCfg) -> dict[str, tuple[float, float | None]]:
    """``{"paper" | "quick": (FID, real-data floor)}`` of a GAN card: the FID under the paper's protocol (10,000
    samples) and the small-N quick check, whichever the card lists; the floor is the ``ours, real data`` baseline
    of the same protocol (None if not measured)."""
    from zoo.evaluation.gan import protocols_on_card

    found = {}
    for suffix, protocol in protocols_on_card(cfg).items():
        name = f"fid{suffix}"
        value = next((m.value for m in cfg.metrics if m.name == name), None)
        floor = next((b.value for b in cfg.baselines if b.name == name and "real data" in b.citation), None)
        if value is not None:
            found["paper" if protocol.get("n_fake") == PAPER_N_FAKE else "quick"] = (value, floor)
    return found


def loss_family_png(cfgs: list[PretrainedCfg], title: str) -> bytes:
    """FID per loss for one dataset's GANs, one panel per protocol so that only like is set beside like.

    Left, where any card has it: the paper's protocol (10,000 samples against the 10,000 test images), ours beside
    Lucic et al. 2018's best of a hyper-parameter search (the same protocol); right: the small-N quick check
    (ours only). The dashed line of each panel is its floor, real images scored like a generator at the same
    sample counts: no generator can be expected below it.
    """
    import numpy as np
    from matplotlib.ticker import LogFormatter

    protocols = {c.id: fid_protocols(c) for c in cfgs}
    panels = [kind for kind in ("paper", "quick") if any(kind in found for found in protocols.values())]
    fig = _figure(4.2 * len(panels) + 0.6, 3.4)
    for i, kind in enumerate(panels):
        shown = sorted((c for c in cfgs if kind in protocols[c.id]), key=lambda c: protocols[c.id][kind][0])
        ours = [protocols[c.id][kind][0] for c in shown]
        floors = [f for c in shown if (f := protocols[c.id][kind][1]) is not None]
        x = np.arange(len(shown))
        ax = fig.add_subplot(1, len(panels), i + 1)
        width = 0.4 if kind == "paper" else 0.6
        ax.bar(x - (0.2 if kind == "paper" else 0), ours, width, label="ours", color="#1f77b4")
        for xi, value in zip(x, ours):
            ax.annotate(f"{value:.1f}", (xi - (0.2 if kind == "paper" else 0), value), ha="center", va="bottom",
                        fontsize=7)
        if kind == "paper":
            paper = [next((p.value for p in c.paper_results if p.name == "fid"), np.nan) for c in shown]
            ax.bar(x + 0.2, paper, 0.4, label="Lucic et al. 2018 (best of a search)", color="#bbbbbb", hatch="//",
                   edgecolor="#777777")
            for xi, value, our in zip(x, paper, ours):
                if np.isnan(value):  # halfway (on the log axis) between the floor and our bar, clear of both
                    ax.annotate("no paper number", (xi + 0.2, np.sqrt(our * (floors[0] if floors else 1))),
                                ha="center", va="center", rotation=90, fontsize=6, color="#777777")
                else:
                    ax.annotate(f"{value:g}", (xi + 0.2, value), ha="center", va="bottom", fontsize=7,
                                color="#555555")
        if floors:
            ax.axhline(floors[0], color="#d62728", ls="--", lw=1, label=f"real vs real ({floors[0]:.1f})")
        ax.set_yscale("log")
        # plain numbers on the log axis, where matplotlib's default writes 6x10^1 (its minor labels thinned alike)
        ax.yaxis.set_major_formatter(LogFormatter())
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
        ax.set_xticks(x, [c.id for c in shown], fontsize=7, rotation=20)
        ax.set_ylabel("FID (log scale, lower is better)", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=6, loc="upper left")
        ax.set_title("10,000 samples vs 10,000 test digits (the paper's protocol)" if kind == "paper"
                     else "quick check: 500 samples vs 1,000 test digits", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return _png_bytes(fig, loss_family_source(cfgs))


def loss_family_source(cfgs: list[PretrainedCfg]) -> str:
    """The source tag of the loss-family figure: which weights, numbers and floors it shows."""
    shown = sorted((c.id, c.sha256, sorted(fid_protocols(c).items()),
                    [p.value for p in c.paper_results if p.name == "fid"]) for c in cfgs)
    return hashlib.sha256(repr([shown, FIGURE_STYLE]).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ files

def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file beside ``path`` and a rename: never a half-written figure."""
    from zoo.io import atomic_open

    with atomic_open(path, "wb") as f:
        f.write(data)
