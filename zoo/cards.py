"""Model cards and the MODEL_CARDS.md index, rendered from the registry alone.

A card is ``huggingface_hub.ModelCard`` with YAML front matter (library_name, tags, datasets, licence and a
``model-index`` holding our measured metrics) and a body generated from the :class:`~zoo.registry.PretrainedCfg`:
ours beside the paper's number, the protocol, the command that reproduces it, training hardware and time, and
the figures of :mod:`zoo.figures` (samples and interpolation for image generators, the logged training curves).
Cards never contain the Hub revision they are pushed to (that would change the revision itself).
``zoo cards`` redraws the stale figures and rewrites every stale card, every checkpoint's config.json whose copy
of the registry entry disagrees with it (:func:`zoo.hub.checkpoint_config_text`; the weights and their sha256 are
never touched) and MODEL_CARDS.md (one row per id, plus the family figures under ``docs/figures/``);
``zoo cards --check`` (and a test) fails when any of them is stale. A config.json whose architecture or model_args
differ from the entry's is not rewritten: they describe the weights, so the entry or the folder is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

from zoo import figures
from zoo.hub import (
    CARD_NAME,
    CONFIG_NAME,
    CheckpointError,
    checkpoint_config_text,
    checkpoints_dir,
    config_disagreement,
    read_config,
)
from zoo.io import write_text_atomic
from zoo.project import github_repo, repository_url
from zoo.registry import Metric, PaperResult, PretrainedCfg, load_pretrained_cfgs
from zoo.run_metrics import METRICS_NAME, read_metrics_csv

INDEX_NAME = "MODEL_CARDS.md"
FAMILY_FIGURES = "docs/figures"  # relative to the repository root, beside MODEL_CARDS.md
GAN_FAMILY_FIGURE = "gan-loss-family-mnist.png"
_CITATION = re.compile(r"\s*\([^()]*\b(?:19|20)\d\d\b[^()]*\)")  # "(Kipf & Welling 2017)"
_DETAIL = re.compile(r"\s*\([^()]*\)")


def without_citations(text: str) -> str:
    """``"GCN (Kipf & Welling 2017)"`` -> ``"GCN"``: for listings; the card and `zoo info` keep the citation."""
    return _CITATION.sub("", text)


def without_details(text: str) -> str:
    """``"MNIST (60,000 training digits)"`` -> ``"MNIST"``: for listings; the card keeps the details."""
    return _DETAIL.sub("", text)

CARD_TEMPLATE = """---
{{ card_data }}
---

# {{ id }}

{{ method }} trained on {{ dataset }}, shipped by {{ shipped_by }}.
{{ status }}
```python
import zoo
model = zoo.load("{{ id }}")
{{ hub_load }}
```
{{ samples }}
## Results

{{ results_table }}

{{ protocol }}

## Reproduce

{{ reproduce }}

## Training

{{ training }}

{{ curves }}

## Details

- Architecture: `{{ architecture }}` with `{{ model_args }}`
- Task: {{ task }}; data split: {{ split }}
- Paper: {{ paper }}
- Licence of the weights: {{ license }}; of the data: {{ dataset_license }}
{{ notes }}
"""


def _metric_name(m) -> str:
    """``"rmse (log mol/L)"``: the metric's name and its unit, if any."""
    return f"{m.name}{f' ({m.unit})' if m.unit else ''}"


def _fmt(value: float, std: float | None = None) -> str:
    text = f"{value:.4g}"
    return f"{text} ± {std:.2g}" if std is not None else text


def reproduce_section(cfg: PretrainedCfg) -> str:
    """The card's Reproduce section from the entry's typed ``reproduce`` field: the command, what it needs and,
    when the shipped weights came from something else, what that was."""
    run = cfg.reproduce
    took = f"; took {run.minutes:g} min" if run.minutes is not None else ""
    hardware = "a GPU" if run.hardware == "gpu" else "a CPU"
    summary = (f"Hardware: {hardware}; budget: {run.budget or 'the recipe'}{took}. `zoo reproduce {cfg.id}` runs "
               "this command and scores the result with the protocol above.")
    lines = ["```bash", run.command, "```", "", summary]
    if run.made_by:
        lines += ["", f"The shipped weights were not made by this command: they came from {run.made_by}."]
    return "\n".join(lines)


def results_table(cfg: PretrainedCfg) -> str:
    rows = ["| metric | split | ours | paper | baseline |", "|---|---|---|---|---|"]
    for m in cfg.metrics:
        paper = _matching(cfg.paper_results, m)
        base = _matching(cfg.baselines, m)
        rows.append(
            f"| {_metric_name(m)} | {m.split} | {_fmt(m.value, m.std)} | "
            f"{_cite(paper)} | {_cite(base)} |")
    return "\n".join(rows)


def _matching(results: tuple[PaperResult, ...], metric: Metric) -> list[PaperResult]:
    return [r for r in results if r.name == metric.name]


def _cite(results: list[PaperResult]) -> str:
    return "; ".join(f"{_fmt(r.value, r.std)} ({r.citation}{', ' + r.note if r.note else ''})"
                     + _not_comparable(r) for r in results) or "–"


def _not_comparable(result: PaperResult) -> str:
    """What a cell says after a paper's figure measured under another protocol than ours."""
    return f", **other protocol**: {result.other_protocol}" if result.other_protocol else ""


def _protocol(cfg: PretrainedCfg) -> str:
    """One line per protocol: metrics measured the same way (same text, same command) share it, so a card with
    fifteen MOSES metrics states the MOSES protocol once, not fifteen times."""
    groups: dict[tuple[str, str], list[str]] = {}
    for m in cfg.metrics:
        groups.setdefault((m.protocol or "see recipe", m.command or ""), []).append(m.name)
    return "\n".join(f"- **{', '.join(names)}**: {protocol}" + (f" Measured with `{command}`." if command else "")
                     for (protocol, command), names in groups.items())


def _shipped_by() -> str:
    """The zoo, linked when ``pyproject.toml``'s ``[project.urls]`` gives its repository (:mod:`zoo.project`)."""
    url = repository_url()
    return f"[zoo]({url})" if url else "zoo (not published yet: load it from a clone of its repository, as below)"


def _hub_load(cfg: PretrainedCfg) -> str:
    """The ``torch.hub`` line: from the published GitHub repository, else from a clone."""
    entry = cfg.id.replace("-", "_")
    repo = github_repo(repository_url())
    if repo:
        return (f"# or, without installing the zoo:\nimport torch\n"
                f"model = torch.hub.load(\"{repo}\", \"{entry}\")")
    return (f"# or, without installing the zoo, from a clone of its repository:\nimport torch\n"
            f"model = torch.hub.load(\"path/to/clone\", \"{entry}\", source=\"local\")")


WANDB_KEYS = ("wandb_run_id", "wandb_project", "wandb_synced")


def _wandb_line(training: dict) -> str:
    """Where the run's W&B logs are: its run id in the W&B project (``zoo``, the one ``zoo train`` logs to) and
    whether they were synced to a server (not unless the record says so: runs here log offline)."""
    run_id = training.get("wandb_run_id")
    if not run_id:
        return "- wandb run id: not recorded"
    project = training.get("wandb_project") or "zoo"
    synced = "synced to W&B" if training.get("wandb_synced") else "logged offline; not synced to a W&B server"
    return f"- W&B run: `{run_id}` in project `{project}` ({synced})"


def _training(cfg: PretrainedCfg) -> str:
    if not cfg.training:
        return "Not recorded."
    lines = [f"- {key.replace('_', ' ')}: {'not recorded' if value is None else value}"
             for key, value in sorted(cfg.training.items()) if key not in WANDB_KEYS]
    return "\n".join([*lines, _wandb_line(cfg.training)])


def _samples(cfg: PretrainedCfg) -> str:
    if not figures.is_image_generator(cfg):
        return ""
    n = figures.sample_count(cfg)
    text = (f"\n## Samples\n\n![{n} samples of {cfg.id}, seed {figures.SAMPLE_SEED}]({figures.SAMPLES_NAME})\n\n"
            f"{n} samples, seed {figures.SAMPLE_SEED}, not picked: `{figures.samples_command(cfg)}` draws the same "
            "pixels.\n")
    if figures.has_interpolation(cfg):
        text += (f"\n![Latent interpolation of {cfg.id}]({figures.INTERPOLATION_NAME})\n\n"
                 f"A walk through the latent space: {figures.FRAMES} frames on the spherical path from the latent of "
                 f"seed {figures.SAMPLE_SEED} to that of seed {figures.INTERPOLATE_TO}, "
                 f"`{figures.interpolation_command(cfg)}`.\n")
    return text


def _curves(cfg: PretrainedCfg) -> str:
    csv_path = checkpoints_dir() / cfg.id / METRICS_NAME
    if not csv_path.is_file():
        return ("No training curves are shipped with this checkpoint: the metrics of the run that made it were not "
                "logged or not kept, only its final numbers above. `zoo cards --curves "
                f"{cfg.id} RUN_DIR` copies the metrics a `zoo train` run logged (its CSV logs, or its W&B offline "
                f"run) into `{METRICS_NAME}` here and draws them.")
    points = read_metrics_csv(csv_path)
    names = figures.curve_metrics(points)
    shown = ", ".join(f"`{n}`" for n in names)
    return (f"![Training curves of {cfg.id}]({figures.CURVES_NAME})\n\n"
            f"Drawn from [`{METRICS_NAME}`]({METRICS_NAME}) in this folder ({len(points)} logged values): {shown}, "
            "against the training batch (Lightning's logging step: the optimiser step for one-optimiser systems, "
            "the batch for the adversarial ones, which take several optimiser steps per batch).")


def render_card(cfg: PretrainedCfg) -> str:
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    eval_results = [
        EvalResult(task_type=cfg.task, dataset_type=cfg.dataset.lower(), dataset_name=cfg.dataset,
                   dataset_split=m.split, metric_type=m.name, metric_value=round(m.value, 6),
                   metric_name=_metric_name(m))
        for m in cfg.metrics
    ]
    data = ModelCardData(
        library_name="zoo", license=cfg.license, tags=sorted({"zoo", "pytorch", cfg.task, *cfg.tags}),
        datasets=[cfg.dataset], model_name=cfg.id, eval_results=eval_results or None,
    )
    card = ModelCard.from_template(
        data, template_str=CARD_TEMPLATE, id=cfg.id, method=cfg.method, dataset=cfg.dataset,
        shipped_by=_shipped_by(), hub_load=_hub_load(cfg), results_table=results_table(cfg), protocol=_protocol(cfg), reproduce=reproduce_section(cfg),
        training=_training(cfg), curves=_curves(cfg), samples=_samples(cfg), architecture=cfg.architecture,
        model_args=cfg.model_args, task=cfg.task,
        split=cfg.split, paper=cfg.paper, license=cfg.license, dataset_license=cfg.dataset_license or "see dataset",
        notes=f"\n## Notes\n\n{cfg.notes}\n" if cfg.notes else "",
        status=f"\n> **Warning: {cfg.status}**\n" if cfg.status else "",
    )
    return str(card).rstrip() + "\n"


def render_index(cfgs: dict[str, PretrainedCfg]) -> str:
    lines = [
        "# Model cards",
        "",
        "Generated by `zoo cards` from the registry (`zoo/pretrained/*.json`); do not edit by hand.",
        "One row per checkpoint: its headline metric, ours beside the paper's. Every number comes from a run made",
        "for this repository; the card (linked) has every metric with its baselines, the protocol, the command",
        "that reproduces it, the samples of the generators and the training curves.",
        "",
        "| id | method | dataset | headline metric | ours | paper |",
        "|---|---|---|---|---|---|",
    ]
    for cfg in cfgs.values():
        m = cfg.metrics[0] if cfg.metrics else None
        status = cfg.status  # e.g. "failed: ...": a checkpoint kept as a record of a failed run
        ours = (_fmt(m.value, m.std) if m else "–") + (f" (**{status.split(':')[0]}**)" if status else "")
        paper = "; ".join(f"{_fmt(p.value, p.std)} ({_short_citation(p.citation)}{_not_comparable(p)})"
                          for p in _matching(cfg.paper_results, m)) if m else ""
        row = (f"| [{cfg.id}](checkpoints/{cfg.id}/README.md) | {without_citations(cfg.method)} | "
               f"{without_details(cfg.dataset)} |")
        lines.append(f"{row} {f'{_metric_name(m)}, {m.split}' if m else '–'} | {ours} | {paper or '–'} |")
        for variant in [v for v in cfg.metrics if m and v.name.startswith(m.name + "@")]:
            # the headline under another protocol (aae-moses sampled at its own temperature): a row of its own,
            # never beside the paper's figure
            lines.append(f"{row} {_metric_name(variant)}, {variant.split} | {_fmt(variant.value, variant.std)} | "
                         "– (another protocol than the paper's; see the card) |")
    lines += _gan_family_section(cfgs)
    lines += _reproduction_section(cfgs)
    return "\n".join(lines) + "\n"


def _reproduction_section(cfgs: dict[str, PretrainedCfg]) -> list[str]:
    """Every id's headline beside its paper's figure under the paper's protocol, and the command that made it.

    "Ours" stands beside the paper's figure only when the paper's ``other_protocol`` is empty (measured the same
    way); otherwise the cell says that our weights were not measured that way (not yet, or not here: wgan-gp-celeba's
    paper scored the full CelebA, not the subset shipped), with our figure under our own protocol."""
    lines = ["", "## Reproduction", "",
             "Each id's headline metric under its paper's protocol, and the `zoo train` run behind the weights "
             "(`zoo reproduce ID` runs it and scores the result). A dash: the paper reports no such figure.", "",
             "| id | paper's figure | paper's protocol | ours, same protocol | command |", "|---|---|---|---|---|"]
    for cfg in cfgs.values():
        m = cfg.metrics[0] if cfg.metrics else None
        papers = _matching(cfg.paper_results, m) if m else []
        run = cfg.reproduce
        command = f"`{run.command}`" + (" (shipped weights: an earlier script, see the card)" if run.made_by else "")
        if not papers:
            lines.append(f"| {cfg.id} | – | – | {_fmt(m.value, m.std) if m else '–'} | {command} |")
            continue
        for p in papers:
            figure = f"{m.name} {_fmt(p.value, p.std)} ({_short_citation(p.citation)})"
            if p.other_protocol:
                ours = f"not measured this way (ours {_fmt(m.value, m.std)} under our own protocol)"
                protocol = p.other_protocol
            else:
                ours, protocol = _fmt(m.value, m.std), "the same as ours (see the card)"
            lines.append(f"| {cfg.id} | {figure} | {protocol} | {ours} | {command} |")
    return lines


def _short_citation(citation: str) -> str:
    """``"Lucic et al. 2018, 'Are GANs Created Equal?', fig. 5"`` -> ``"Lucic et al. 2018"``."""
    return citation.split(",")[0].strip()


def gan_family(cfgs: dict[str, PretrainedCfg]) -> list[PretrainedCfg]:
    """The MNIST GANs that differ only in their loss."""
    return [c for c in cfgs.values() if c.architecture == "dcgan_generator" and c.dataset.startswith("MNIST")
            and figures.fid_protocols(c)]


def _gan_family_section(cfgs: dict[str, PretrainedCfg]) -> list[str]:
    family = gan_family(cfgs)
    if len(family) < 2:
        return []
    at_paper = [c.id for c in family if "paper" in figures.fid_protocols(c)]
    pending = [c.id for c in family if c.id not in at_paper]
    left = ("Left: FID under Lucic et al. 2018's protocol (10,000 samples against the 10,000 MNIST test digits, "
            "TF-Inception), ours beside their best FID of a large hyper-parameter search per loss, and the "
            "protocol's floor (the first 10,000 training digits scored like a generator). " if at_paper else "")
    not_yet = (f"Not yet measured at 10,000 samples: {', '.join(pending)} (quick check only). " if pending else "")
    quick_floors = [f for c in family if (f := figures.fid_protocols(c).get("quick", (0, None))[1]) is not None]
    quick_floor = f"; its floor, 500 real training digits, scores {quick_floors[0]:.1f}" if quick_floors else ""
    return ["", "## GANs on MNIST: the loss family", "",
            f"![FID per loss on MNIST]({FAMILY_FIGURES}/{GAN_FAMILY_FIGURE})", "",
            "The same DCGAN generator, the same data and training budget; only the loss changes (lower is better; "
            "each card states its protocols). " + left + not_yet + "Right: the quick check that tests can afford "
            f"(500 samples against 1,000 test digits{quick_floor}): FID at this N is biased upward, so compare it "
            "only within the panel."]


def family_figure_path() -> Path:
    return index_path().parent / FAMILY_FIGURES / GAN_FAMILY_FIGURE


def _family_figure(cfgs: dict[str, PretrainedCfg]) -> bytes:
    return figures.loss_family_png(gan_family(cfgs), "GANs on MNIST: FID per loss")


def _family_figure_source(cfgs: dict[str, PretrainedCfg]) -> str | None:
    family = gan_family(cfgs)
    return figures.loss_family_source(family) if len(family) >= 2 else None


def index_path() -> Path:
    return checkpoints_dir().parent / INDEX_NAME


def stale_cards() -> list[Path]:
    """Paths whose content differs from what the registry (and each folder's figures' sources) renders."""
    cfgs = load_pretrained_cfgs()
    stale = []
    for model_id, cfg in cfgs.items():
        folder = checkpoints_dir() / model_id
        if folder.is_dir():
            stale += figures.stale_figures(cfg, folder)
    expected = {checkpoints_dir() / i / CARD_NAME: render_card(c) for i, c in cfgs.items()}
    expected[index_path()] = render_index(cfgs)
    stale += [p for p, text in expected.items() if not p.is_file() or p.read_text() != text]
    stale += [checkpoints_dir() / i / CONFIG_NAME for i, c in cfgs.items() if _config_disagrees(c)]
    family = _family_figure_source(cfgs)
    if family is not None and figures.png_source(family_figure_path()) != family:
        stale.append(family_figure_path())
    return stale


def _config_disagrees(cfg: PretrainedCfg) -> bool:
    """True when ``checkpoints/<id>/config.json`` exists and disagrees with the registry entry (a folder that is
    not here, a Hub-only entry, has nothing to disagree)."""
    folder = checkpoints_dir() / cfg.id
    if not (folder / CONFIG_NAME).is_file():
        return False
    try:
        return bool(config_disagreement(read_config(folder), cfg))
    except CheckpointError:  # not JSON, or without architecture and model_args
        return True


def _derived_config(cfg: PretrainedCfg) -> str:
    """The config.json text to write for ``cfg``; refused when the folder's weights are described otherwise."""
    folder = checkpoints_dir() / cfg.id
    weights = [f for f in config_disagreement(read_config(folder), cfg) if not f.startswith("pretrained_cfg")]
    if weights:
        raise ValueError(f"{folder / CONFIG_NAME} and zoo/pretrained/{cfg.id}.json name different {' and '.join(weights)}"
                         f"; those describe the weights, so `zoo cards` does not overwrite them. Fix the registry "
                         "entry, or re-export the checkpoint with `zoo export`")
    return checkpoint_config_text(cfg)


def refuse_config_conflicts(cfgs: dict[str, PretrainedCfg] | None = None) -> None:
    """Raise ``ValueError`` (or ``CheckpointError`` for an unreadable config.json) for the first checkpoint whose
    config.json cannot be rewritten from its entry (:func:`_derived_config`). `zoo cards` calls this before its
    first write, so a refused registry edit leaves every card, figure and config.json as it was."""
    for cfg in (cfgs if cfgs is not None else load_pretrained_cfgs()).values():
        if _config_disagrees(cfg):
            _derived_config(cfg)


def write_cards() -> list[Path]:
    """Redraw every stale figure, then rewrite every stale card, config.json and MODEL_CARDS.md; return the paths
    written. Every text is rendered (and every config.json checked) before the first write."""
    cfgs = load_pretrained_cfgs()
    refuse_config_conflicts(cfgs)
    stale = stale_cards()
    texts = {}
    for path in stale:
        if path == index_path():
            texts[path] = render_index(cfgs)
        elif path.name == CARD_NAME and path.parent.is_dir():
            texts[path] = render_card(cfgs[path.parent.name])
        elif path.name == CONFIG_NAME:
            texts[path] = _derived_config(cfgs[path.parent.name])
    written = []
    for model_id, cfg in cfgs.items():
        folder = checkpoints_dir() / model_id
        if folder.is_dir():  # an entry without a local folder (Hub-only) has its card and figures on the Hub
            written += figures.write_figures(cfg, folder)
    for path, text in texts.items():
        write_text_atomic(path, text)
        written.append(path)
    if family_figure_path() in stale:
        family_figure_path().parent.mkdir(parents=True, exist_ok=True)
        figures.write_bytes_atomic(family_figure_path(), _family_figure(cfgs))
        written.append(family_figure_path())
    return written
