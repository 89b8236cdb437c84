import pytest

from zoo.data.images import FashionMNISTDataModule, ImageFolderDataModule, MNISTDataModule
from zoo.evaluation import get_evaluator
from zoo.evaluation.gan import datamodule_for


def test_the_card_protocol_names_the_real_set():
    assert type(datamodule_for({"dataset": "MNIST"})) is MNISTDataModule
    assert type(datamodule_for({"dataset": "FashionMNIST"})) is FashionMNISTDataModule
    dm = datamodule_for({"folder": "celeba/img_align_celeba", "image_size": 64, "crop_size": 108})
    assert isinstance(dm, ImageFolderDataModule) and dm.crop_size == 108
    with pytest.raises(ValueError, match="neither"):
        datamodule_for({"split": "test"})


def test_evaluator_is_registered():
    assert get_evaluator("gan-fid").__name__ == "evaluate_gan"


def test_zoo_eval_only_names_metrics_of_the_card(capsys):
    from zoo.cli import main

    assert main(["eval", "gan-mnist", "--only", "fid_quick,parzen"]) == 2
    err = capsys.readouterr().err
    # the quick check is a metric of the card (the 10,000-sample FID the headline); parzen is not
    assert "no metric parzen;" in err and "it has fid, kid, fid_quick, kid_quick" in err


def test_zoo_eval_only_on_an_evaluator_that_measures_everything_at_once_is_one_line(capsys):
    from zoo.cli import main

    assert main(["eval", "gcn-cora", "--only", "test_accuracy"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "recomputes all its metrics together" in err
    assert "TypeError" not in err
