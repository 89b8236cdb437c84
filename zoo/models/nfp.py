"""Neural graph fingerprints (NFP), and the ECFP + MLP baseline they are compared with.

Duvenaud, Maclaurin, Aguilera-Iparraguirre, Gomez-Bombarelli, Hirzel, Aspuru-Guzik & Adams, "Convolutional
Networks on Graphs for Learning Molecular Fingerprints", NeurIPS 2015 (https://arxiv.org/abs/1509.09292).
Algorithm 2: with atom states :math:`r_a^0` = atom features and L layers,

    r_a^{l+1} = ReLU(BN(W_self^l r_a^l + H^{l, deg(a)} sum_{i in N(a)} [r_i^l || e_ai]))  (zoo.nn.NFPConv)
    f         = sum_{l=0..L} sum_a softmax(W_out^l r_a^l + b^l)        (smooth "write to fingerprint")
    y_hat     = MLP(f)

The softmax turns each atom's state into a soft one-hot "bit" of the fingerprint, and every layer, the input
one included, writes into it: the differentiable analogue of ECFP's hashing into a bit vector. The batch
normalisation follows the authors' code (HIPS/neural-fingerprint, ``normalize=True``). Their solubility setup:
4 layers of width 20, fingerprint length 50, one hidden layer of 100 units in the prediction network.

The ECFP baseline (``ecfp_mlp``) feeds RDKit's Morgan fingerprint (radius 2 = ECFP4, 2048 bits) to an MLP.

Both modules output physical units: ``target_mean`` / ``target_std`` buffers hold the training set's target
statistics, as in ``zoo.models.mpnn``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch_geometric.utils import scatter

from zoo.chem import NFP_ATOM_DIM, NFP_BOND_DIM, NFP_MAX_DEGREE
from zoo.nn.nfp_conv import NFPConv
from zoo.registry import register_model


class _StandardisedOutput(nn.Module):
    """Shared by the molecule regressors: target statistics as buffers and the un-standardised forward."""

    def _init_targets(self, out_channels: int, target_names, units) -> None:
        self.target_names = list(target_names or [f"target_{i}" for i in range(out_channels)])
        self.units = list(units or [""] * out_channels)
        self.register_buffer("target_mean", torch.zeros(out_channels))
        self.register_buffer("target_std", torch.ones(out_channels))

    def forward(self, data) -> Tensor:
        """Predictions in physical units for a PyG ``Batch``: ``(num_molecules, out_channels)``."""
        return self.forward_standardised(data) * self.target_std + self.target_mean

    @torch.no_grad()
    def predict_smiles(self, smiles: list[str]) -> Tensor:
        """Featurize the SMILES with RDKit and predict, in the units of ``self.units``."""
        from torch_geometric.data import Batch, Data

        from zoo.chem import MoleculeError

        items = []
        for i, s in enumerate(smiles):
            try:
                items.append(Data(**self.featurize(s)))
            except MoleculeError as err:
                raise MoleculeError(f"SMILES #{i} ({s!r}): {err}") from err
        return self.eval()(Batch.from_data_list(items).to(self.target_mean.device)).cpu()


@register_model("nfp")
class NeuralFingerprint(_StandardisedOutput):
    """Args:
    in_channels / edge_channels: atom (62) and bond (6) feature sizes of ``zoo.chem.nfp_graph``.
    out_channels: number of targets.
    hidden_channels: width of the convolution layers (paper's solubility setup: 20).
    num_layers: number of convolution layers L (fingerprint radius; paper: 4).
    fingerprint_dim: fingerprint length (paper: 50).
    mlp_hidden: hidden units of the prediction network (paper: 100).
    max_degree: largest atom degree with its own weight matrix (5).
    batch_norm: batch-normalise the conv outputs as the authors' code does.
    dropout: dropout before the prediction network's hidden layer.
    """

    def __init__(self, in_channels: int = NFP_ATOM_DIM, edge_channels: int = NFP_BOND_DIM, out_channels: int = 1,
                 hidden_channels: int = 20, num_layers: int = 4, fingerprint_dim: int = 50, mlp_hidden: int = 100,
                 max_degree: int = NFP_MAX_DEGREE, batch_norm: bool = True, dropout: float = 0.0,
                 target_names: Sequence[str] | None = None, units: Sequence[str] | None = None):
        super().__init__()
        sizes = [in_channels] + [hidden_channels] * num_layers
        self.convs = nn.ModuleList(NFPConv(a, b, edge_channels, max_degree) for a, b in itertools.pairwise(sizes))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden_channels) if batch_norm else nn.Identity()
                                   for _ in range(num_layers))
        self.fingerprint_layers = nn.ModuleList(nn.Linear(size, fingerprint_dim) for size in sizes)
        self.mlp = nn.Sequential(nn.Dropout(dropout), nn.Linear(fingerprint_dim, mlp_hidden), nn.ReLU(),
                                 nn.Linear(mlp_hidden, out_channels))
        self._init_targets(out_channels, target_names, units)

    def fingerprint(self, data) -> Tensor:
        """The neural fingerprint ``f``: ``(num_molecules, fingerprint_dim)``, each row sums to L + 1 per atom."""
        batch = data.batch if getattr(data, "batch", None) is not None else \
            torch.zeros(data.x.size(0), dtype=torch.long, device=data.x.device)
        num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        r = data.x
        f = 0
        for layer in range(len(self.convs) + 1):
            bits = torch.softmax(self.fingerprint_layers[layer](r), dim=-1)
            f = f + scatter(bits, batch, dim=0, dim_size=num_graphs, reduce="sum")
            if layer < len(self.convs):
                r = torch.relu(self.norms[layer](self.convs[layer](r, data.edge_index, data.edge_attr)))
        return f

    def forward_standardised(self, data) -> Tensor:
        expected = self.fingerprint_layers[0].in_features
        if getattr(data, "x", None) is None or data.x.size(-1) != expected:
            raise ValueError(f"nfp expects {expected} Duvenaud atom features in data.x (got "
                             f"{None if getattr(data, 'x', None) is None else data.x.size(-1)}); use featurizer "
                             "'nfp' (zoo.chem.nfp_graph)")
        return self.mlp(self.fingerprint(data))

    @staticmethod
    def featurize(smiles: str) -> dict:
        from zoo.chem import nfp_graph

        return nfp_graph(smiles)

    @staticmethod
    def featurize_batch(molecules) -> tuple[dict, list[str]]:
        """:meth:`featurize` of many SMILES or RDKit molecules as one batched graph, and per molecule ``""`` or
        why it could not be featurized (``zoo.chem.nfp_graphs``; used by ``zoo.predict``)."""
        from zoo.chem import nfp_graphs

        return nfp_graphs(molecules)


@register_model("ecfp_mlp")
class ECFPMLP(_StandardisedOutput):
    """Args:
    radius: Morgan radius (2 = ECFP4). n_bits: fingerprint length (2048).
    hidden_channels: MLP widths. dropout: dropout before each hidden layer. out_channels: number of targets.
    """

    def __init__(self, radius: int = 2, n_bits: int = 2048, hidden_channels: Sequence[int] = (512, 128),
                 out_channels: int = 1, dropout: float = 0.2, target_names: Sequence[str] | None = None,
                 units: Sequence[str] | None = None):
        super().__init__()
        self.radius = radius
        self.n_bits = n_bits
        layers, size = [], n_bits
        for width in hidden_channels:
            layers += [nn.Dropout(dropout), nn.Linear(size, width), nn.ReLU()]
            size = width
        self.mlp = nn.Sequential(*layers, nn.Linear(size, out_channels))
        self._init_targets(out_channels, target_names, units)

    def forward_standardised(self, data) -> Tensor:
        fp = getattr(data, "fp", None)
        if fp is None or fp.size(-1) != self.n_bits:
            raise ValueError(f"ecfp_mlp expects {self.n_bits}-bit Morgan fingerprints in data.fp (got "
                             f"{None if fp is None else fp.size(-1)}); use featurizer 'ecfp' with "
                             f"fingerprint_bits={self.n_bits}, fingerprint_radius={self.radius}")
        return self.mlp(fp.view(-1, self.n_bits))

    def featurize(self, smiles: str) -> dict:
        from zoo.chem import morgan_fingerprint

        return {"fp": morgan_fingerprint(smiles, self.radius, self.n_bits).unsqueeze(0), "num_nodes": 1}
