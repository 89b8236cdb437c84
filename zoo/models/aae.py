r"""Adversarial autoencoders for discrete data: binary vectors (images, bags of words, fingerprints) and SMILES.

Makhzani et al., "Adversarial Autoencoders", ICLR workshop 2016 (https://arxiv.org/abs/1511.05644). An
autoencoder with encoder :math:`q(z|x)` and decoder :math:`p(x|z)` whose *aggregated posterior*
:math:`q(z) = \int q(z|x) p_d(x) dx` is matched to a chosen prior :math:`p(z)` by a GAN played in the latent
space: a discriminator :math:`D(z)` tells prior samples from codes of real data, and the encoder is its
generator. Training alternates (paper, sec. 2)

.. math::
    \min_{E,G}\ \mathbb{E}_x\big[-\log p_G(x \mid E(x))\big]                                   \quad
    \text{(reconstruction)}\\
    \max_D\ \mathbb{E}_{z\sim p}\log D(z) + \mathbb{E}_x \log\big(1 - D(E(x))\big)             \quad
    \text{(discriminator)}\\
    \max_E\ \mathbb{E}_x \log D(E(x))                                                           \quad
    \text{(regularisation, non-saturating)}

Because the adversarial game lives in a continuous latent space, the decoder may emit discrete objects: no
gradient ever has to pass through a binary sample, which is what breaks a plain GAN on binary vectors.
Sampling is :math:`x \sim p_G(x \mid z),\ z \sim p(z)`.

Decoders, one per data type:

- :class:`BinaryAAE` -- a Bernoulli decoder, :math:`p(x|z) = \prod_i \mathrm{Bern}(x_i; \sigma(f(z))_i)`,
  for binarized MNIST, binary bags of words (20 Newsgroups) and MACCS fingerprints (Kadurin et al., "druGAN",
  Mol. Pharmaceutics 2017). Encoder, decoder and discriminator are MLPs (paper, appendix: two hidden layers of
  1000 ReLU units for MNIST).
- :class:`SmilesAAE` -- characters of a SMILES string: a bidirectional GRU encoder and an autoregressive GRU
  decoder :math:`p(x|z) = \prod_t p(x_t \mid x_{<t}, z)`, conditioned on :math:`z` through its initial state and
  an input concatenated at every step, as in the MOSES AAE (Polykovskiy et al., "Molecular Sets (MOSES)",
  Front. Pharmacol. 2020, which uses LSTMs).

Priors: :class:`GaussianPrior` :math:`\mathcal N(0, I)` and :class:`MixtureOfGaussiansPrior`, equal-weight
Gaussians whose means lie on a circle of radius ``radius`` in the first two latent dimensions (the paper's
figure 2 mixture of 10 2-D Gaussians), with standard deviation ``std`` in every dimension.

The shipped module holds encoder, decoder and prior; the latent discriminator (:class:`LatentDiscriminator`)
is used only in training and stays in the LightningModule (``zoo.systems.aae``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.progress import stage
from zoo.registry import register_model

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIAL_TOKENS = (PAD, BOS, EOS)


# ---------------------------------------------------------------------------------------------------- priors

class GaussianPrior(nn.Module):
    """:math:`p(z) = \\mathcal N(0, I_d)`."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        return torch.randn(n, self.latent_dim, generator=generator, device=device)

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}"


class MixtureOfGaussiansPrior(nn.Module):
    """Equal mixture of ``components`` Gaussians, means on a circle of ``radius`` in dims 0-1, std ``std``."""

    def __init__(self, latent_dim: int, components: int = 10, radius: float = 4.0, std: float = 0.5):
        super().__init__()
        if latent_dim < 2:
            raise ValueError("a mixture-of-Gaussians prior needs latent_dim >= 2 (means lie on a 2-D circle)")
        self.latent_dim, self.components, self.radius, self.std = latent_dim, components, radius, std
        angles = 2 * math.pi * torch.arange(components) / components
        means = torch.zeros(components, latent_dim)
        means[:, 0], means[:, 1] = radius * torch.cos(angles), radius * torch.sin(angles)
        self.register_buffer("means", means, persistent=False)

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        k = torch.randint(self.components, (n,), generator=generator, device=device)
        noise = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.means.to(noise.device)[k] + self.std * noise

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, components={self.components}, radius={self.radius}, std={self.std}"


def make_prior(name: str, latent_dim: int, **kwargs) -> nn.Module:
    if name == "gaussian":
        return GaussianPrior(latent_dim)
    if name in ("mixture", "mixture_of_gaussians"):
        return MixtureOfGaussiansPrior(latent_dim, **kwargs)
    raise ValueError(f"unknown prior {name!r}; choose 'gaussian' or 'mixture'")


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU, dropout: float = 0.0) -> nn.Sequential:
    """Linear layers of ``sizes`` with ``activation`` (and dropout) between them, none after the last."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def seeded_generator(seed: int | None) -> torch.Generator | None:
    """A CPU random generator seeded with ``seed``; None (torch's global one) without a seed."""
    return None if seed is None else torch.Generator().manual_seed(seed)


SAMPLE_BATCH = 1000  # vectors decoded at once by sample(): memory stays flat whatever n is


def check_sample_count(n: object) -> int:
    """``n`` if it is a positive whole number of samples, else a ValueError that says so."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of samples must be a positive integer, got {n!r}")
    return n


# ------------------------------------------------------------------------------------------ discriminator

@register_model("aae_latent_discriminator")
class LatentDiscriminator(nn.Module):
    """:math:`D(z)`: an MLP returning one logit per code (prior sample -> 1, encoded data -> 0)."""

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (1000, 1000)):
        super().__init__()
        self.net = mlp([latent_dim, *hidden, 1], activation=lambda: nn.LeakyReLU(0.2))

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).squeeze(-1)


# ------------------------------------------------------------------------------------------ binary vectors

@register_model("aae_binary")
class BinaryAAE(nn.Module):
    """Adversarial autoencoder with a Bernoulli decoder for binary vectors.

    Args:
        in_features: length of the binary vector (MNIST 784, 20 Newsgroups 1995, MACCS 167).
        latent_dim: size of the code z.
        hidden: widths of the encoder's hidden layers (the decoder mirrors them).
        prior: "gaussian" or "mixture"; ``prior_args`` go to :class:`MixtureOfGaussiansPrior`.
        kind: what a vector is, for :meth:`sample` / :meth:`format_samples`: "image" (``image_shape``),
            "document" (``vocab``: the word of each position; training may leave it None and export adds it) or "fingerprint" (``bit_names``, optional).
        top_words: how many words :meth:`format_samples` prints per document.
    """

    def __init__(self, in_features: int, latent_dim: int = 8, hidden: Sequence[int] = (1000, 1000),
                 prior: str = "gaussian", prior_args: dict | None = None, kind: str = "fingerprint",
                 image_shape: Sequence[int] | None = None, vocab: Sequence[str] | None = None,
                 top_words: int = 10, dropout: float = 0.0):
        super().__init__()
        if kind not in ("image", "document", "fingerprint"):
            raise ValueError(f"kind must be 'image', 'document' or 'fingerprint', got {kind!r}")
        if kind == "image" and (image_shape is None or math.prod(image_shape) != in_features):
            raise ValueError(f"kind='image' needs image_shape with prod == in_features={in_features}")
        if vocab is not None and len(vocab) != in_features:
            raise ValueError(f"vocab has {len(vocab)} words but in_features is {in_features}")
        self.in_features, self.latent_dim, self.kind = in_features, latent_dim, kind
        self.image_shape = tuple(image_shape) if image_shape else None
        self.vocab = list(vocab) if vocab else None
        self.top_words = top_words
        self.encoder = mlp([in_features, *hidden, latent_dim], dropout=dropout)
        self.decoder = mlp([latent_dim, *reversed(hidden), in_features], dropout=dropout)
        self.prior = make_prior(prior, latent_dim, **(prior_args or {}))

    def encoder_parameters(self):
        """What the regularisation phase updates: the encoder."""
        return self.encoder.parameters()

    def encode(self, x: Tensor) -> Tensor:
        """Deterministic code :math:`z = E(x)` of a batch ``(B, in_features)`` (or images ``(B, C, H, W)``)."""
        return self.encoder(x.flatten(1).float())

    def decode_logits(self, z: Tensor) -> Tensor:
        """Bernoulli logits ``(B, in_features)``."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction probabilities :math:`\\sigma(G(E(x)))`."""
        return torch.sigmoid(self.decode_logits(self.encode(x)))

    def reconstruction_loss(self, x: Tensor, z: Tensor | None = None) -> Tensor:
        """Bernoulli negative log-likelihood, summed over positions and averaged over the batch (nats)."""
        x = x.flatten(1).float()
        z = self.encode(x) if z is None else z
        return F.binary_cross_entropy_with_logits(self.decode_logits(z), x, reduction="sum") / x.shape[0]

    @torch.no_grad()
    def sample_probabilities(self, n: int, seed: int | None = None) -> Tensor:
        """Decoder means :math:`\\sigma(G(z))` for ``n`` prior samples ``z`` (used by the Parzen estimate)."""
        device = next(self.parameters()).device
        z = self.prior.sample(n, generator=seeded_generator(seed)).to(device)
        return torch.sigmoid(self.decode_logits(z))

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, batch_size: int = SAMPLE_BATCH) -> Tensor:
        """Decode ``n`` prior samples.

        images: the Bernoulli means as ``(n, C, H, W)`` in ``[-1, 1]`` (what ``zoo sample --out`` draws);
        documents: word probabilities ``(n, V)`` (:meth:`format_samples` lists the top words);
        fingerprints: the most likely bit vector ``(n, in_features)`` of 0/1 (bits whose probability > 0.5).
        """
        return torch.cat(list(self.sample_batches(n, seed, batch_size)))

    @torch.no_grad()
    def sample_batches(self, n: int, seed: int | None = None, batch_size: int = SAMPLE_BATCH) -> Iterator[Tensor]:
        """:meth:`sample` ``batch_size`` at a time (the same samples for the same seed), so ``zoo sample`` can
        stream a large ``n`` without holding every decoded vector: all ``n`` codes are drawn first (a few
        numbers each), then decoded in batches."""
        check_sample_count(n)
        z = self.prior.sample(n, generator=seeded_generator(seed)).to(next(self.parameters()).device)
        for chunk in z.split(batch_size):
            probs = torch.sigmoid(self.decode_logits(chunk))
            if self.kind == "image":
                yield probs.view(chunk.shape[0], *self.image_shape) * 2 - 1
            elif self.kind == "document":
                yield probs
            else:
                yield (probs > 0.5).float()

    def format_samples(self, samples: Tensor) -> list[str]:
        """One line per sample: a document's ``top_words`` most likely words, or a fingerprint's on-bits."""
        if self.kind == "document":
            top = samples.topk(min(self.top_words, samples.shape[1]), dim=1).indices
            words = self.vocab or [f"word{i}" for i in range(self.in_features)]
            return [" ".join(words[i] for i in row.tolist()) for row in top]
        if self.kind == "image":
            return [f"image {i}: mean intensity {float(s.mean()):.3f}" for i, s in enumerate(samples)]
        return [f"{int(s.sum())} bits on: " + " ".join(str(i) for i in s.nonzero().flatten().tolist())
                for s in samples]


# --------------------------------------------------------------------------------------------------- SMILES

@register_model("aae_smiles")
class SmilesAAE(nn.Module):
    """Adversarial autoencoder over SMILES characters: bi-GRU encoder, autoregressive GRU decoder.

    Args:
        characters: the SMILES characters, one string (MOSES: ``"#()-123456=BCFHNOS[]clnors"``, see
            :data:`zoo.data.smiles.MOSES_CHARACTERS`); the tokens are ``<pad> <bos> <eos>`` then these characters
            in order. One string, so the vocabulary survives YAML and JSON configs unchanged (a YAML list would
            turn ``#`` into a comment and ``1`` into an int). Stored in the config so sampling needs no data.
        embedding_dim, encoder_hidden, decoder_hidden, decoder_layers, latent_dim: sizes (MOSES AAE: 32, 512,
            512, 2, 128, with LSTMs).
        max_length: longest string :meth:`sample` decodes (MOSES SMILES have <= 57 characters in train).
        prior, prior_args: see :class:`BinaryAAE`.
        temperature: the softmax temperature :meth:`sample` uses when none is given (1: the decoder's own
            distribution; below 1 sharpens it towards the most likely next character, trading diversity for
            validity). A sampling setting stored with the weights, so ``zoo sample``/``zoo eval`` use it.
    """

    def __init__(self, characters: str, embedding_dim: int = 32, encoder_hidden: int = 256,
                 decoder_hidden: int = 256, decoder_layers: int = 2, latent_dim: int = 64,
                 max_length: int = 100, prior: str = "gaussian", prior_args: dict | None = None,
                 temperature: float = 1.0):
        super().__init__()
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)
        if not isinstance(characters, str) or len(set(characters)) != len(characters) or not characters:
            raise ValueError(f"characters must be one string of distinct SMILES characters, got {characters!r}")
        self.vocab = [*SPECIAL_TOKENS, *characters]
        vocab = self.vocab
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2
        self.latent_dim, self.max_length, self.decoder_layers = latent_dim, max_length, decoder_layers
        self.embedding = nn.Embedding(len(vocab), embedding_dim, padding_idx=self.pad_id)
        self.encoder_rnn = nn.GRU(embedding_dim, encoder_hidden, batch_first=True, bidirectional=True)
        self.to_latent = nn.Linear(2 * encoder_hidden, latent_dim)
        self.latent_to_hidden = nn.Linear(latent_dim, decoder_layers * decoder_hidden)
        self.decoder_rnn = nn.GRU(embedding_dim + latent_dim, decoder_hidden, num_layers=decoder_layers,
                                  batch_first=True)
        self.to_logits = nn.Linear(decoder_hidden, len(vocab))
        self.prior = make_prior(prior, latent_dim, **(prior_args or {}))

    # ---- text <-> tokens
    def encode_strings(self, strings: Sequence[str]) -> Tensor:
        """``<bos> chars <eos>`` padded token ids ``(B, L)``; a character outside the vocab raises."""
        index = {t: i for i, t in enumerate(self.vocab)}
        rows = []
        for s in strings:
            unknown = sorted({c for c in s if c not in index})
            if unknown:
                raise ValueError(f"SMILES {s!r} has characters {unknown} outside this model's vocabulary")
            rows.append([self.bos_id, *(index[c] for c in s), self.eos_id])
        length = max(len(r) for r in rows)
        return torch.tensor([r + [self.pad_id] * (length - len(r)) for r in rows])

    def decode_tokens(self, tokens: Tensor) -> list[str]:
        """Token ids -> strings, stopping at ``<eos>`` (or ``max_length``) and skipping ``<bos>``/``<pad>``."""
        out = []
        for row in tokens.tolist():
            chars = []
            for t in row:
                if t == self.eos_id:
                    break
                if t > self.eos_id:
                    chars.append(self.vocab[t])
            out.append("".join(chars))
        return out

    # ---- networks
    def encoder_parameters(self):
        """What the regularisation phase updates: the encoder GRU and its projection (the embedding is shared
        with the decoder and is trained by the reconstruction phase only)."""
        return [*self.encoder_rnn.parameters(), *self.to_latent.parameters()]

    def encode(self, tokens: Tensor) -> Tensor:
        """Code ``(B, latent_dim)`` of padded token ids ``(B, L)`` (``<bos> ... <eos> <pad>*``)."""
        lengths = (tokens != self.pad_id).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(tokens), lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, h = self.encoder_rnn(packed)  # (2, B, H): last forward and first backward states
        return self.to_latent(torch.cat([h[0], h[1]], dim=-1))

    def _initial_state(self, z: Tensor) -> Tensor:
        h = torch.tanh(self.latent_to_hidden(z))
        return h.view(z.shape[0], self.decoder_layers, -1).transpose(0, 1).contiguous()

    def decode_logits(self, z: Tensor, inputs: Tensor) -> Tensor:
        """Teacher-forced next-token logits ``(B, L, V)`` for input tokens ``(B, L)``.

        The GRU runs over the padded batch: on CPU its backward pass is about twice as fast as on a packed
        sequence, and the loss ignores the padded positions."""
        emb = self.embedding(inputs)
        emb = torch.cat([emb, z.unsqueeze(1).expand(-1, emb.shape[1], -1)], dim=-1)
        out, _ = self.decoder_rnn(emb, self._initial_state(z))
        return self.to_logits(out)

    def forward(self, tokens: Tensor) -> Tensor:
        """Teacher-forced reconstruction logits of ``tokens[:, 1:]`` given ``tokens[:, :-1]``."""
        return self.decode_logits(self.encode(tokens), tokens[:, :-1])

    def reconstruction_loss(self, tokens: Tensor, z: Tensor | None = None) -> Tensor:
        """Cross-entropy of the next character, averaged over the non-padding positions (nats/char)."""
        z = self.encode(tokens) if z is None else z
        logits = self.decode_logits(z, tokens[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1),
                               ignore_index=self.pad_id)

    @torch.no_grad()
    def generate(self, z: Tensor, temperature: float | None = None,
                 generator: torch.Generator | None = None) -> Tensor:
        """Sample token ids ``(B, <= max_length)`` from :math:`p(x|z)` one character at a time."""
        n, device = z.shape[0], z.device
        temperature = self.temperature if temperature is None else temperature
        h = self._initial_state(z)
        token = torch.full((n, 1), self.bos_id, dtype=torch.long, device=device)
        done = torch.zeros(n, dtype=torch.bool, device=device)
        out = []
        for _ in range(self.max_length):
            emb = torch.cat([self.embedding(token), z.unsqueeze(1)], dim=-1)
            o, h = self.decoder_rnn(emb, h)
            logits = self.to_logits(o[:, -1]) / max(temperature, 1e-6)
            logits[:, self.pad_id] = -float("inf")
            logits[:, self.bos_id] = -float("inf")
            probs = torch.softmax(logits.float(), -1).cpu()
            nxt = torch.multinomial(probs, 1, generator=generator).to(device).squeeze(1)
            nxt = torch.where(done, torch.full_like(nxt, self.pad_id), nxt)
            out.append(nxt)
            done |= nxt == self.eos_id
            if bool(done.all()):
                break
            token = nxt.unsqueeze(1)
        return torch.stack(out, 1)

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, temperature: float | None = None,
               batch_size: int = 1000, progress: str | None = None) -> list[str]:
        """``n`` SMILES strings decoded from prior samples (invalid molecules are kept; see format_samples);
        ``temperature`` defaults to the model's own (:attr:`temperature`). ``progress`` names the stage shown
        while decoding (:func:`zoo.progress.stage`: 10,000 take minutes on a CPU; None: silent)."""
        check_sample_count(n)
        gen = seeded_generator(seed)
        device = next(self.parameters()).device
        out: list[str] = []
        with stage(progress, n, "SMILES") as bar:
            for start in range(0, n, batch_size):
                z = self.prior.sample(min(batch_size, n - start), generator=gen).to(device)
                out += self.decode_tokens(self.generate(z, temperature, gen))
                bar.update(z.shape[0])
        return out

    def format_samples(self, samples: Sequence[str]) -> list[str]:
        """``SMILES<TAB>valid|invalid`` per sample (RDKit parse), then a summary line with the valid count."""
        from zoo.chem import is_valid

        flags = [is_valid(s) for s in samples]
        lines = [f"{s or '(empty)'}\t{'valid' if ok else 'invalid'}" for s, ok in zip(samples, flags)]
        lines.append(f"# {sum(flags)}/{len(flags)} valid")
        return lines
