"""Stacked HeteroConv layers (SAGE, GAT or GraphConv) with residual connections and LayerNorm."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GATConv, GraphConv, HeteroConv, SAGEConv


def _conv(kind: str, hidden: int) -> nn.Module:
    if kind == "sage":
        return SAGEConv((hidden, hidden), hidden)
    if kind == "gat":
        return GATConv((hidden, hidden), hidden, heads=1, add_self_loops=False, edge_dim=1)
    if kind == "graph":
        return GraphConv((hidden, hidden), hidden, aggr="mean")
    raise ValueError(f"unknown conv {kind!r}")


class HeteroMessagePassing(nn.Module):
    r"""{node type: [n_t, hidden]} -> {node type: [n_t, hidden]} through `layers` HeteroConv layers
    over the edge types present in the graph. Layer l updates node i of type t as

    .. math::
        m_i = \sum_{r = (s, \cdot, t)} \mathrm{conv}_r^{(l)}(h^{(l)}_{s}, h^{(l)}_i)

        h^{(l+1)}_i = \mathrm{LayerNorm}_t\big(h^{(l)}_i + \mathrm{Dropout}(\mathrm{ReLU}(m_i))\big)

    where conv_r is one relation's convolution (PyG): 'sage' W_1 h_i + W_2 mean_{j in N_r(i)} h_j;
    'graph' W_1 h_i + W_2 mean_{j in N_r(i)} e_ji h_j with the edge weight e_ji; 'gat' attention
    over N_r(i) with the edge weight as edge feature. A node type that receives no message keeps
    its vectors unchanged.

    Shapes: x {type: [n_t, hidden]}; data a HeteroData with edge_index [2, E_r] and edge_weight [E_r]
    per relation r."""

    def __init__(
        self,
        edge_types: list[tuple[str, str, str]],
        conv: str = "sage",
        layers: int = 2,
        hidden: int = 128,
        dropout: float = 0.2,
    ):
        super().__init__()
        node_types = sorted({t for e in edge_types for t in (e[0], e[2])} | {"drug", "side_effect"})
        self.settings = {
            "edge_types": [list(e) for e in edge_types],
            "conv": conv,
            "layers": layers,
            "hidden": hidden,
            "dropout": dropout,
        }
        self.conv_kind = conv
        self.edge_types = [tuple(e) for e in edge_types]
        self.layers = nn.ModuleList(
            HeteroConv({et: _conv(conv, hidden) for et in self.edge_types}, aggr="sum") for _ in range(layers)
        )
        self.norms = nn.ModuleList(nn.ModuleDict({t: nn.LayerNorm(hidden) for t in node_types}) for _ in range(layers))
        self.dropout = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        for conv in self.layers:
            conv.reset_parameters()
        for norms in self.norms:
            for norm in norms.values():
                norm.reset_parameters()

    def forward(self, x: dict[str, torch.Tensor], data) -> dict[str, torch.Tensor]:
        return self.states(x, data)[-1]

    def states(self, x: dict[str, torch.Tensor], data) -> list[dict[str, torch.Tensor]]:
        """The node vectors before each layer and after the last ([layers + 1] dicts like x):
        torch-free inference keeps the support's (`pipeline.export`)."""
        present = [et for et in self.edge_types if et in data.edge_types]
        ei = {et: data[et].edge_index for et in present}
        kwargs = {}
        if self.conv_kind == "graph":
            kwargs["edge_weight_dict"] = {et: data[et].edge_weight for et in present}
        elif self.conv_kind == "gat":
            kwargs["edge_attr_dict"] = {et: data[et].edge_weight.unsqueeze(-1) for et in present}
        out_states = [x]
        for conv, norm in zip(self.layers, self.norms):
            out = conv(x, ei, **kwargs) if present else {}
            # Node types that received no message keep their vectors (residual).
            x = {t: norm[t](h + self.dropout(torch.relu(out[t]))) if t in out else h for t, h in x.items()}
            out_states.append(x)
        return out_states
