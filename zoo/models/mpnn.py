"""MPNN "enn-s2s": edge network messages, a GRU update with weights tied over T steps, a set2set readout.

Gilmer, Schoenholz, Riley, Vinyals & Dahl, "Neural Message Passing for Quantum Chemistry", ICML 2017
(https://arxiv.org/abs/1704.01212). For T steps, with node states :math:`h_v^0` = a linear embedding of the
atom features,

    m_v^{t+1} = sum_{w in N(v)} A(e_vw) h_w^t              (edge network, zoo.nn.EdgeNetworkConv)
    h_v^{t+1} = GRU(h_v^t, m_v^{t+1})                       (one GRU cell shared by all steps)
    y_hat     = MLP(set2set({h_v^T}))                       (Vinyals et al. 2016, M processing steps)

Edges (Gilmer section 8): with ``complete_graph=True`` every pair of atoms in a molecule is connected and
``e_vw`` = [bond type one-hot (zeros for non-bonded pairs), distance in angstrom]; with ``False`` only the
chemical bonds are edges. Hydrogens are explicit nodes (``zoo.chem`` MPNN featurization).
PyG's ``examples/qm9_nn_conv.py`` is the same model with mean aggregation and a root weight.

The module outputs physical units: it holds the training set's target mean and standard deviation as buffers
(``target_mean``, ``target_std``) and un-standardises its output; the training system fits the standardised
output. ``predict_smiles`` featurizes with RDKit and embeds a conformer (ETKDG + MMFF), since the model needs 3D
geometry: those predictions use an RDKit geometry, not the DFT geometry the QM9 labels were computed on.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch_geometric.nn.aggr import Set2Set

from zoo.chem import MPNN_ATOM_DIM, MPNN_BOND_DIM, clamp_non_negative
from zoo.nn.edge_network_conv import EdgeNetworkConv
from zoo.registry import register_model


def complete_edges(edge_index: Tensor, edge_attr: Tensor, batch: Tensor) -> tuple[Tensor, Tensor]:
    """All ordered pairs of distinct atoms of each molecule; bonded pairs keep ``edge_attr``, others get 0.

    Works on any device and needs no torch-cluster. ``batch`` must be sorted (as PyG batches are).
    """
    num_nodes = batch.numel()
    counts = torch.bincount(batch)
    start = torch.cumsum(counts, 0) - counts  # first node of each graph
    per_node = counts[batch]  # each node is a source for every node of its graph
    src = torch.repeat_interleave(torch.arange(num_nodes, device=batch.device), per_node)
    first_slot = torch.repeat_interleave(torch.cumsum(per_node, 0) - per_node, per_node)
    dst = start[batch[src]] + torch.arange(src.numel(), device=batch.device) - first_slot
    keep = src != dst
    src, dst = src[keep], dst[keep]
    attr = edge_attr.new_zeros(src.numel(), edge_attr.size(-1))
    if edge_index.numel():
        keys = src * num_nodes + dst  # sorted: src ascending, then dst ascending
        slot = torch.searchsorted(keys, edge_index[0] * num_nodes + edge_index[1])
        attr[slot] = edge_attr
    return torch.stack([src, dst]), attr


@register_model("mpnn")
class MPNN(nn.Module):
    """Args:
    in_channels: atom feature size (16, ``zoo.chem.MPNN_ATOM_DIM``).
    edge_channels: bond feature size (4), before the distance is appended.
    out_channels: number of targets.
    hidden_channels: node state size d (paper up to 200; PyG example 64).
    edge_hidden: hidden width of the edge network A.
    num_steps: message passing steps T (paper 3-8; PyG example 3).
    set2set_steps: set2set processing steps M (paper 6-12; PyG example 3).
    complete_graph: connect all atom pairs (paper's best QM9 setting) instead of the chemical bonds only.
    use_distance: append the interatomic distance to the edge features (needs 3D positions).
    aggr: message aggregation, "add" (paper) or "mean" (PyG example).
    root_weight: add a learned self term to the message (off in the paper, on in PyG's NNConv).
    target_names / units: names and units of the outputs (documentation, shown by ``zoo predict``).
    """

    def __init__(self, in_channels: int = MPNN_ATOM_DIM, edge_channels: int = MPNN_BOND_DIM,
                 out_channels: int = 1, hidden_channels: int = 64, edge_hidden: int = 128, num_steps: int = 3,
                 set2set_steps: int = 3, complete_graph: bool = True, use_distance: bool = True,
                 aggr: str = "add", root_weight: bool = False, target_names: Sequence[str] | None = None,
                 units: Sequence[str] | None = None):
        super().__init__()
        self.num_steps = num_steps
        self.complete_graph = complete_graph
        self.use_distance = use_distance
        self.target_names = list(target_names or [f"target_{i}" for i in range(out_channels)])
        self.units = list(units or [""] * out_channels)
        self.embed = nn.Linear(in_channels, hidden_channels)
        self.conv = EdgeNetworkConv(hidden_channels, hidden_channels, edge_channels + int(use_distance),
                                    edge_hidden=edge_hidden, aggr=aggr, root_weight=root_weight)
        self.gru = nn.GRU(hidden_channels, hidden_channels)
        self.readout = Set2Set(hidden_channels, processing_steps=set2set_steps)
        self.head = nn.Sequential(nn.Linear(2 * hidden_channels, hidden_channels), nn.ReLU(),
                                  nn.Linear(hidden_channels, out_channels))
        self.register_buffer("target_mean", torch.zeros(out_channels))
        self.register_buffer("target_std", torch.ones(out_channels))

    def edges(self, data) -> tuple[Tensor, Tensor]:
        edge_index, edge_attr = data.edge_index, data.edge_attr
        batch = data.batch if getattr(data, "batch", None) is not None else \
            torch.zeros(data.x.size(0), dtype=torch.long, device=data.x.device)
        if self.complete_graph:
            edge_index, edge_attr = complete_edges(edge_index, edge_attr, batch)
        if self.use_distance:
            distance = (data.pos[edge_index[0]] - data.pos[edge_index[1]]).norm(dim=-1, keepdim=True)
            edge_attr = torch.cat([edge_attr, distance], dim=-1)
        return edge_index, edge_attr

    def forward_standardised(self, data) -> Tensor:
        """The network's output before un-standardisation: ``(num_molecules, out_channels)``."""
        if getattr(data, "x", None) is None or data.x.size(-1) != self.embed.in_features or (
                self.use_distance and getattr(data, "pos", None) is None):
            raise ValueError(f"mpnn expects {self.embed.in_features} atom features in data.x"
                             f"{' and 3D positions in data.pos' if self.use_distance else ''}; use featurizer "
                             "'mpnn' (zoo.chem, explicit hydrogens)")
        edge_index, edge_attr = self.edges(data)
        batch = data.batch if getattr(data, "batch", None) is not None else \
            torch.zeros(data.x.size(0), dtype=torch.long, device=data.x.device)
        h = torch.relu(self.embed(data.x))
        hidden = h.unsqueeze(0)
        matrices = self.conv.edge_matrices(edge_attr)  # A(e_vw): computed once, the weights are tied over steps
        for _ in range(self.num_steps):  # the same conv and GRU cell at every step (tied weights)
            m = torch.relu(self.conv(h, edge_index, edge_matrices=matrices))
            h, hidden = self.gru(m.unsqueeze(0), hidden)
            h = h.squeeze(0)
        return self.head(self.readout(h, batch, dim_size=int(batch.max()) + 1 if batch.numel() else 0))

    def forward(self, data) -> Tensor:
        """Predictions in physical units for a PyG ``Batch`` of molecules (x, pos, edge_index, edge_attr);
        a quantity that cannot be negative (the dipole moment's magnitude) is clamped at 0
        (:func:`zoo.chem.clamp_non_negative`)."""
        return clamp_non_negative(self.forward_standardised(data) * self.target_std + self.target_mean,
                                  self.target_names)

    @staticmethod
    def featurize(smiles, seed: int = 0) -> dict:
        """The fields of one molecule's graph (a SMILES or an RDKit molecule) with an RDKit conformer, for
        ``torch_geometric.data.Data(**fields)``: what :meth:`predict_smiles` builds for each molecule."""
        from zoo.chem import graph_from_smiles, graph_to_data

        return graph_to_data(graph_from_smiles(smiles, seed=seed)).to_dict()

    @torch.no_grad()
    def predict_smiles(self, smiles: list[str], seed: int = 0) -> Tensor:
        """Predict from SMILES; 3D geometry from an RDKit conformer (ETKDG + MMFF94), not DFT."""
        from torch_geometric.data import Batch

        from zoo.chem import MoleculeError, graph_from_smiles, graph_to_data

        graphs = []
        for i, s in enumerate(smiles):
            try:
                graphs.append(graph_to_data(graph_from_smiles(s, seed=seed)))
            except MoleculeError as err:
                raise MoleculeError(f"SMILES #{i} ({s!r}): {err}") from err
        device = self.target_mean.device
        return self.eval()(Batch.from_data_list(graphs).to(device)).cpu()
