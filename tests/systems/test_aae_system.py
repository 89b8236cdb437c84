import lightning.pytorch as pl
import pytest
import torch
from torch.utils.data import DataLoader

from zoo.data.smiles import MOSES_CHARACTERS
from zoo.systems.aae import AAESystem


def fit(system, data, tmp_path, batch_size, max_epochs=1):
    trainer = pl.Trainer(max_epochs=max_epochs, logger=False, enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False, default_root_dir=tmp_path, accelerator="cpu")
    trainer.fit(system, DataLoader(data, batch_size=batch_size, collate_fn=None if torch.is_tensor(data) else list))
    return trainer


def test_each_batch_runs_reconstruction_discriminator_and_regularisation(tmp_path):
    torch.manual_seed(0)
    system = AAESystem("aae_binary", {"in_features": 10, "latent_dim": 2, "hidden": [6]}, discriminator_hidden=[6])
    encoder = [p.detach().clone() for p in system.net.encoder.parameters()]
    decoder = [p.detach().clone() for p in system.net.decoder.parameters()]
    disc = [p.detach().clone() for p in system.discriminator.parameters()]
    trainer = fit(system, (torch.rand(8, 10) > 0.5).float(), tmp_path, 4)
    assert trainer.global_step == 6  # 2 batches x 3 optimiser steps
    for before, module in ((encoder, system.net.encoder), (decoder, system.net.decoder),
                           (disc, system.discriminator)):
        assert all(not torch.equal(a, b) for a, b in zip(before, module.parameters()))
    assert not any(k.startswith("discriminator") for k in system.net.state_dict())  # export drops it


def test_the_regularisation_phase_updates_only_the_encoder():
    system = AAESystem("aae_smiles", {"characters": MOSES_CHARACTERS, "embedding_dim": 4, "encoder_hidden": 4,
                                      "decoder_hidden": 4, "latent_dim": 2})
    encoder_ids = {id(p) for p in system._encoder_parameters()}
    assert encoder_ids == {id(p) for m in (system.net.encoder_rnn, system.net.to_latent) for p in m.parameters()}
    assert not encoder_ids & {id(p) for p in system.net.decoder_rnn.parameters()}


def test_smiles_batches_are_lists_of_strings(tmp_path):
    system = AAESystem("aae_smiles", {"characters": MOSES_CHARACTERS, "embedding_dim": 4, "encoder_hidden": 4,
                                      "decoder_hidden": 4, "latent_dim": 2, "prior": "mixture",
                                      "prior_args": {"components": 3}}, discriminator_hidden=[4], lr_step_epochs=1)
    trainer = fit(system, ["CCO", "c1ccccc1", "CC(=O)O", "CN"], tmp_path, 2)
    assert trainer.global_step == 6
    assert system.lr_schedulers()[0].get_last_lr()[0] == 0.5e-3  # StepLR stepped once at the epoch's end


def test_joint_schedule_steps_autoencoder_once_and_discriminator_k_times(tmp_path):
    torch.manual_seed(0)
    system = AAESystem("aae_binary", {"in_features": 10, "latent_dim": 2, "hidden": [6]}, discriminator_hidden=[6],
                       joint_regularization=True, discriminator_steps=2, regularization_warmup_steps=4)
    encoder = [p.detach().clone() for p in system.net.encoder.parameters()]
    trainer = fit(system, (torch.rand(8, 10) > 0.5).float(), tmp_path, 4)
    assert trainer.global_step == 6  # 2 batches x (1 autoencoder + 2 discriminator steps)
    assert all(not torch.equal(a, b) for a, b in zip(encoder, system.net.encoder.parameters()))
    _, _, opt_g = system.optimizers()
    assert all(opt_g.optimizer.state.get(p) is None for p in system._encoder_parameters())  # no separate G step
    assert system.regularization_weight() == 0.5  # 2 of 4 warm-up batches done


def test_joint_schedule_leaves_the_unused_encoder_optimiser_schedule_alone(tmp_path):
    """In the joint schedule the encoder's own optimiser never steps; stepping its learning-rate schedule made
    torch warn, once per run, that a schedule stepped before its optimiser."""
    import warnings

    system = AAESystem("aae_binary", {"in_features": 10, "latent_dim": 2, "hidden": [6]}, discriminator_hidden=[6],
                       joint_regularization=True, lr_step_epochs=1, lr_gamma=0.5)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Detected call of `lr_scheduler.step")
        fit(system, (torch.rand(8, 10) > 0.5).float(), tmp_path, 4, max_epochs=2)
    ae, d, g = system.lr_schedulers()
    assert ae.last_epoch == d.last_epoch == 2 and g.last_epoch == 0


def test_bad_schedule_options_are_refused():
    for bad in ({"discriminator_steps": 0}, {"regularization_warmup_steps": -1}):
        with pytest.raises(ValueError, match="discriminator_steps must be"):
            AAESystem("aae_binary", {"in_features": 4, "latent_dim": 2, "hidden": [3]}, **bad)
