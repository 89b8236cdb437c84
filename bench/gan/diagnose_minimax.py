"""Why the minimax GAN does not train: D(x), D(G(z)), the generator's loss and the gradient reaching it, per step.

    OMP_NUM_THREADS=1 python -m bench.gan.diagnose_minimax --steps 300

Trains the DCGAN-28 pair of the first gan-mnist and its siblings (generator base 32, BatchNorm discriminator base
64, Adam 2e-4 (0.5, 0.999), batch 64, k = 1) for a few hundred steps from one seed, once per variant:

- ``non_saturating``: Goodfellow et al. 2014 sec. 3, -log D(G(z)) (the sibling that trains);
- ``minimax``: log(1 - D(G(z))), the shipped gan-mnist;
- ``minimax+<fix>``: the same minimax generator loss with one discriminator-side fix: instance noise
  (:class:`zoo.systems.gan.GANSystem` ``instance_noise``), a lower ``discriminator_lr``, or spectral normalisation
  (:class:`zoo.models.dcgan.DCGANDiscriminator` ``spectral_norm``, with or without BatchNorm).

Each step logs the mean probabilities sigma(D(x)) and sigma(D(G(z))) of the discriminator step, the generator loss and
the L2 norm of the gradient of that loss over all generator parameters (before Adam rescales it), and the L2
norm of dL_G/dD(G(z)) per sample (how much signal the loss passes back at all). Writes
``bench/gan/results/minimax-diagnosis.csv`` and ``.png`` (the curves) and ``minimax-diagnosis-grid.png``: one
row per variant, in the order above, of the 16 samples of seed 0 after the last step.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import torch

from zoo.data.images import load_mnist_images, to_unit_range
from zoo.image_grid import save_grid
from zoo.systems.gan import MinimaxGAN

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLES = 16  # images per variant in the samples figure
FIELDS = ("variant", "step", "d_real", "d_fake", "g_loss", "g_grad_norm", "score_grad_norm")

VARIANTS: dict[str, dict] = {
    "non_saturating": {"loss": "non_saturating"},
    "minimax": {},
    "minimax+noise0.1": {"instance_noise": 0.1},
    "minimax+noise0.5": {"instance_noise": 0.5},
    "minimax+noise1.0": {"instance_noise": 1.0},
    "minimax+lr_d/4": {"discriminator_lr": 5e-5},  # the variant names label the stored results
    "minimax+sn+bn": {"discriminator_args": {"base_width": 64, "norm": "batch", "spectral_norm": True}},
    "minimax+sn": {"discriminator_args": {"base_width": 64, "norm": "none", "spectral_norm": True}},
}


def build(options: dict) -> MinimaxGAN:
    args = {"model_args": {"image_size": 28, "channels": 1, "latent_dim": 100, "base_width": 32},
            "discriminator_args": {"base_width": 64, "norm": "batch"}}
    return MinimaxGAN(**{**args, **options})


def grad_norm(params) -> float:
    return torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in params if p.grad is not None)).item()


def run(name: str, options: dict, images: torch.Tensor, steps: int, seed: int) -> tuple[list[dict], torch.Tensor]:
    torch.manual_seed(seed)
    system = build(options)
    opt_g, opt_d = system.configure_optimizers()
    batches = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    rows = []
    for step in range(steps):
        real = to_unit_range(images[batches[step * 64:(step + 1) * 64]])
        # discriminator step (GANSystem.discriminator_step, without Lightning)
        with torch.no_grad():
            fake = system.net(system._noise(64))
        real_in, fake_in = system.perturb(real), system.perturb(fake)
        real_scores, fake_scores = system.discriminator(real_in), system.discriminator(fake_in)
        loss_d = system.loss_fns.discriminator(real_scores, fake_scores)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        system.discriminator_updates += 1
        # generator step, with the gradient that reaches it
        scores = system.discriminator(system.perturb(system.net(system._noise(64))))
        scores.retain_grad()
        loss_g = system.loss_fns.generator(scores)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        rows.append({"variant": name, "step": step,
                     "d_real": torch.sigmoid(real_scores).mean().item(),
                     "d_fake": torch.sigmoid(fake_scores).mean().item(),
                     "g_loss": loss_g.item(), "g_grad_norm": grad_norm(system.net.parameters()),
                     "score_grad_norm": scores.grad.norm().item() * len(scores)})
        opt_g.step()
        opt_d.zero_grad(set_to_none=True)  # the generator step left gradients in D; D's next step clears them
        system.generator_updates += 1
    return rows, system.net.eval().sample(SAMPLES, seed=0)


def plot(rows: list[dict], path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        print(f"matplotlib is not installed (`pip install matplotlib`); {path} not drawn")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["variant"] for r in rows))
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    panels = (("d_real", "sigma(D(x))", False), ("d_fake", "sigma(D(G(z)))", True),
              ("g_loss", "generator loss", False), ("g_grad_norm", "||grad_G L_G||", True))
    for ax, (key, title, log) in zip(axes, panels):
        for name in names:
            xs = [r["step"] for r in rows if r["variant"] == name]
            ys = [r[key] for r in rows if r["variant"] == name]
            ax.plot(xs, ys, label=name, lw=1)
        ax.set_title(title)
        ax.set_xlabel("step (one D and one G update)")
        if log:
            ax.set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", default=str(RESULTS / "minimax-diagnosis"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    images = load_mnist_images(None, "train")
    if args.steps * 64 > len(images):
        sys.exit(f"--steps {args.steps} needs more than one epoch of MNIST; use at most {len(images) // 64}")
    rows, samples = [], []
    for name in args.variants:
        start = time.time()
        variant_rows, variant_samples = run(name, VARIANTS[name], images, args.steps, args.seed)
        rows += variant_rows
        samples.append(variant_samples)
        last = [r for r in rows if r["variant"] == name][-20:]
        print(f"{name}: {args.steps / (time.time() - start):.1f} steps/s; last 20 steps mean "
              + ", ".join(f"{k} {sum(r[k] for r in last) / len(last):.4g}" for k in FIELDS[2:]), flush=True)
    out = Path(args.out)
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, out.with_suffix(".png"))
    save_grid(torch.cat(samples), f"{out}-grid.png", SAMPLES)
    print(f"wrote {out.with_suffix('.csv')}, {out.with_suffix('.png')} and {out}-grid.png")


if __name__ == "__main__":
    main()
