"""``zoo eval`` for the GAN generators: FID and KID recomputed with the protocol recorded on the card.

The card's ``extra["fid"]`` holds the protocol: the real set (``dataset`` "MNIST"/"FashionMNIST", or an image
``folder`` with ``image_size`` and ``crop_size``), its ``split``, ``n_real``, ``n_fake`` and the latent ``seed``.
Same seed and same weights give the same generated images, so the result differs from the card only by
floating-point noise of the CPU/GPU kernels (and by nothing when run on the same machine).
"""

from __future__ import annotations

from torch import nn

from zoo.evaluation import register_evaluator


def datamodule_for(fid_protocol: dict, root: str | None = None):
    """The datamodule whose ``real_images`` gives the card's real set."""
    from zoo.data.images import FashionMNISTDataModule, ImageFolderDataModule, MNISTDataModule

    dataset = fid_protocol.get("dataset")
    if dataset == "MNIST":
        return MNISTDataModule(root)
    if dataset == "FashionMNIST":
        return FashionMNISTDataModule(root)
    if "folder" in fid_protocol:
        return ImageFolderDataModule(root, folder=fid_protocol["folder"], image_size=fid_protocol["image_size"],
                                     crop_size=fid_protocol.get("crop_size"))
    raise ValueError(f"the card's extra['fid'] names neither a dataset (MNIST, FashionMNIST) nor a folder: "
                     f"{fid_protocol}")


# extra[key] -> the suffix of the metric names it measures: the paper's protocol (Lucic et al. 2018: 10,000
# samples against 10,000 real images) under ``fid``/``kid``, the quick check tests can afford under ``*_quick``
PROTOCOL_KEYS = {"fid": "", "fid_quick": "_quick"}


def protocols_on_card(cfg, only: set[str] | None = None) -> dict[str, dict]:
    """``{suffix: protocol}`` of every FID protocol in ``cfg.extra`` whose metrics the card lists (and ``only``
    names, when given)."""
    wanted = {m.name for m in cfg.metrics}
    if only is not None:
        wanted &= only
    found = {}
    for key, suffix in PROTOCOL_KEYS.items():
        if key in cfg.extra and {f"fid{suffix}", f"kid{suffix}"} & wanted:
            found[suffix] = cfg.extra[key]
    return found


@register_evaluator("gan-fid")
def evaluate_gan(model: nn.Module, cfg, root: str | None = None, only: set[str] | None = None) -> dict[str, float]:
    """FID and KID of ``model`` under each protocol the card lists (:data:`PROTOCOL_KEYS`), or only those of the
    metric names in ``only``."""
    from zoo.metrics.fid import evaluate_generator

    protocols = protocols_on_card(cfg, only)
    if not protocols:
        raise ValueError(f"{cfg.id}: the registry entry has no FID protocol (extra['fid'] or extra['fid_quick']) "
                         "for the metrics asked")
    wanted = {m.name for m in cfg.metrics}
    scores = {}
    for suffix, protocol in protocols.items():
        measured = evaluate_generator(model, datamodule_for(protocol, root), n_fake=protocol["n_fake"],
                                      n_real=protocol["n_real"], seed=protocol.get("seed", 0),
                                      split=protocol.get("split"), progress=True)
        scores.update({f"{name}{suffix}": value for name, value in measured.items()})
    return {name: value for name, value in scores.items() if name in wanted}
