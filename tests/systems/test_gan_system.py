import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader

from zoo.callbacks import NonFiniteLossError, NonFiniteLossGuard
from zoo.systems.gan import LSGAN, NSGAN, WGAN, WGANGP, GANSystem, HingeGAN, MinimaxGAN

TINY = {"model_args": {"image_size": 28, "channels": 1, "latent_dim": 8, "base_width": 4},
        "discriminator_args": {"base_width": 4}}


def loader(batches: int, batch_size: int = 4) -> DataLoader:
    images = torch.rand(batches * batch_size, 1, 28, 28) * 2 - 1
    return DataLoader(images, batch_size=batch_size)


def fit(system, batches, tmp_path, ckpt_path=None, **trainer_args):
    args = {"max_epochs": 1, "logger": False, "enable_progress_bar": False, "enable_model_summary": False,
            "default_root_dir": tmp_path, "accelerator": "cpu", "enable_checkpointing": False}
    trainer = pl.Trainer(**{**args, **trainer_args})
    data = loader(batches) if isinstance(batches, int) else batches  # a batch count, or a loader
    trainer.fit(system, data, ckpt_path=ckpt_path, weights_only=True)
    return trainer


@pytest.mark.parametrize("cls", [MinimaxGAN, NSGAN, LSGAN, HingeGAN, WGAN, WGANGP])
def test_two_step_smoke_run_counts_every_optimizer_step(cls, tmp_path):
    system = cls(**{**TINY, "discriminator_steps": 1})
    before = [p.detach().clone() for p in system.net.parameters()]
    trainer = fit(system, 2, tmp_path)
    assert (system.discriminator_updates, system.generator_updates) == (2, 2)
    assert trainer.global_step == 4  # Lightning counts discriminator and generator optimizer steps
    assert any(not torch.equal(a, b) for a, b in zip(before, system.net.parameters()))


def test_paper_defaults_of_the_named_systems():
    wgan, gp = WGAN(**TINY), WGANGP(**TINY)
    assert (wgan.hparams.discriminator_steps, wgan.hparams.clip_value, wgan.hparams.optimizer,
            wgan.hparams.discriminator_lr) == (5, 0.01, "rmsprop", 5e-5)
    assert (gp.hparams.discriminator_steps, gp.hparams.gp_weight, tuple(gp.hparams.betas),
            gp.hparams.generator_lr) == (5, 10.0, (0.0, 0.9), 1e-4)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in gp.discriminator.modules())
    assert MinimaxGAN(**TINY).hparams.loss == "minimax" and NSGAN(**TINY).hparams.loss == "non_saturating"


def test_the_named_systems_are_siblings_that_differ_only_in_loss_and_defaults():
    for cls in (MinimaxGAN, NSGAN, LSGAN, HingeGAN, WGAN, WGANGP):
        assert cls.__bases__ == (GANSystem,)
    assert {cls(**TINY).hparams.loss for cls in (MinimaxGAN, NSGAN, LSGAN, HingeGAN)} == \
        {"minimax", "non_saturating", "least_squares", "hinge"}
    with pytest.raises(TypeError, match="loss"):
        GANSystem(**TINY)  # the base has no loss of its own


def test_discriminator_steps_per_generator_step_and_clipping(tmp_path):
    system = WGAN(**TINY)  # 5 discriminator steps per generator step, clip 0.01
    trainer = fit(system, 10, tmp_path)
    assert (system.discriminator_updates, system.generator_updates, trainer.global_step) == (10, 2, 12)
    assert all(p.abs().max() <= 0.01 + 1e-7 for p in system.discriminator.parameters())


@pytest.mark.parametrize("k", [3, 4])  # 4: bundles that hold a generator step at different places
def test_bundled_batches_train_the_same_generator_and_discriminator(k, tmp_path):
    """steps_per_execution: k batches per Lightning step, each with its discriminator step and, every 5th, the
    generator step; the weights and counters of one batch per step, bit for bit."""
    from zoo.data.step_bundles import StepBundles

    runs = []
    for per_execution in (1, k):
        pl.seed_everything(0)
        system = WGANGP(**TINY, steps_per_execution=per_execution)
        trainer = fit(system, StepBundles(loader(11), per_execution) if per_execution > 1 else 11, tmp_path)
        runs.append((system, trainer))
    (one, one_trainer), (many, many_trainer) = runs
    counts = [(run.discriminator_updates, run.generator_updates) for run in (one, many)]
    assert counts[0] == counts[1] == (11, 2)
    assert many_trainer.global_step == one_trainer.global_step == 13
    for a, b in ((one.net, many.net), (one.discriminator, many.discriminator)):
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_gradient_penalty_refuses_a_batchnorm_discriminator():
    with pytest.raises(ValueError, match="BatchNorm"):
        WGANGP(**{**TINY, "discriminator_args": {"base_width": 4, "norm": "batch"}})


def test_data_of_the_wrong_shape_is_refused(tmp_path):
    system = NSGAN(**{**TINY, "model_args": {"image_size": 64, "channels": 3, "latent_dim": 8, "base_width": 2}})
    with pytest.raises(ValueError, match="image_size/channels"):
        fit(system, 1, tmp_path)


def test_non_finite_loss_stops_with_a_clear_message_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    system = NSGAN(**TINY)
    ckpt = ModelCheckpoint(dirpath=tmp_path / "checkpoints", save_last=True, save_top_k=0)
    fit(system, 2, tmp_path, enable_checkpointing=True, callbacks=[ckpt])
    last = tmp_path / "checkpoints" / "last.ckpt"
    good = last.read_bytes()

    real_forward = system.discriminator.forward
    monkeypatch.setattr(system.discriminator, "forward", lambda x: real_forward(x) * float("nan"))
    ckpt2 = ModelCheckpoint(dirpath=tmp_path / "checkpoints", save_last=True, save_top_k=0)
    with pytest.raises(NonFiniteLossError, match="last good checkpoint"):  # the guard every zoo train run has
        fit(system, 2, tmp_path, max_epochs=2, enable_checkpointing=True, callbacks=[ckpt2, NonFiniteLossGuard()])
    assert last.read_bytes() == good
    state = torch.load(last, weights_only=True)["state_dict"]
    assert all(torch.isfinite(v).all() for k, v in state.items() if k.startswith("net."))


def test_unknown_loss_and_bad_settings():
    with pytest.raises(ValueError, match="unknown adversarial loss"):
        GANSystem(loss="wassersteen", **TINY)
    with pytest.raises(ValueError, match="discriminator_steps"):
        GANSystem(loss="hinge", discriminator_steps=0, **TINY)


def test_instance_noise_is_off_by_default_and_anneals_linearly():
    images = torch.zeros(256, 1, 28, 28)
    assert MinimaxGAN(**TINY).perturb(images) is images
    system = MinimaxGAN(**TINY, instance_noise=0.5, instance_noise_anneal_steps=100)
    assert system.perturb(images).std().item() == pytest.approx(0.5, rel=0.05)
    system.generator_updates = 50
    assert system.instance_noise_std() == pytest.approx(0.25)
    system.generator_updates = 150
    assert system.instance_noise_std() == 0.0 and system.perturb(images) is images
    assert MinimaxGAN(**TINY, instance_noise=0.5).instance_noise_std() == 0.5  # no annealing: constant
    with pytest.raises(ValueError, match="instance_noise"):
        MinimaxGAN(**TINY, instance_noise=-0.1)


def test_the_discriminator_sees_noisy_real_and_fake_images(tmp_path):
    system = MinimaxGAN(**TINY, instance_noise=0.5)
    seen = []
    system.discriminator.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    zeros = DataLoader(torch.zeros(4, 1, 28, 28), batch_size=4)
    pl.Trainer(max_epochs=1, logger=False, enable_progress_bar=False, enable_model_summary=False,
               default_root_dir=tmp_path, accelerator="cpu", enable_checkpointing=False).fit(system, zeros)
    assert len(seen) == 3  # real and fake in the discriminator step, fake in the generator step
    assert seen[0].std().item() == pytest.approx(0.5, rel=0.1)  # the all-zero real batch, plus noise
    assert all(x.abs().max() > 1 for x in seen[1:])  # fakes lie in [-1, 1]; only the noise leaves that range


def test_wgan_gp_defaults_the_discriminator_to_layer_norm():
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in WGANGP(**TINY).discriminator.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in WGAN(**TINY).discriminator.modules())
    with pytest.raises(ValueError, match="BatchNorm"):  # the base has no such default
        GANSystem(loss="wasserstein", gp_weight=10.0, **TINY)


def test_the_constructor_shows_its_options_and_refuses_unknown_ones():
    """GANSystem's signature is its options: a misspelt one is a TypeError naming it."""
    import inspect

    assert "discriminator_args" in inspect.signature(GANSystem.__init__).parameters
    with pytest.raises(TypeError, match="critic_args"):
        NSGAN(**TINY, critic_args={"base_width": 4})


def test_a_checkpoint_resumes_with_its_step_counters(tmp_path):
    system = WGAN(**TINY)
    ckpt = ModelCheckpoint(dirpath=tmp_path / "checkpoints", save_last=True, save_top_k=0)
    fit(system, 5, tmp_path, enable_checkpointing=True, callbacks=[ckpt])
    resumed = WGAN(**TINY)
    trainer = fit(resumed, 5, tmp_path, max_epochs=2, ckpt_path=str(tmp_path / "checkpoints" / "last.ckpt"))
    assert (resumed.discriminator_updates, resumed.generator_updates, trainer.global_step) == (10, 2, 12)


def test_a_vector_discriminator_gets_no_image_shape():
    """image_size/channels go only to a discriminator whose builder takes them (the DCGAN one, not the MLP)."""
    vectors = GANSystem(loss="non_saturating", architecture="binary_gan_generator",
                        model_args={"out_features": 7, "latent_dim": 2, "hidden": [4]},
                        discriminator_architecture="binary_gan_discriminator",
                        discriminator_args={"in_features": 7, "hidden": [4]})
    assert vectors.discriminator(vectors.net(torch.randn(2, 2))).shape == (2,)
    images = GANSystem(loss="non_saturating", model_args={"image_size": 28, "channels": 1, "latent_dim": 8,
                                                          "base_width": 8}, discriminator_args={"base_width": 8})
    assert (images.discriminator.image_size, images.discriminator.channels) == (28, 1)
