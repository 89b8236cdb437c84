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


@register_evaluator("gan-fid")
def evaluate_gan(model: nn.Module, cfg, root: str | None = None) -> dict[str, float]:
    from zoo.metrics.fid import evaluate_generator

    fid_protocol = cfg.extra.get("fid")
    if not fid_protocol:
        raise ValueError(f"{cfg.id}: the registry entry has no extra['fid'] protocol to recompute")
    scores = evaluate_generator(model, datamodule_for(fid_protocol, root), n_fake=fid_protocol["n_fake"],
                                n_real=fid_protocol["n_real"], seed=fid_protocol.get("seed", 0),
                                split=fid_protocol.get("split"))
    wanted = {m.name for m in cfg.metrics}
    return {name: value for name, value in scores.items() if name in wanted}
