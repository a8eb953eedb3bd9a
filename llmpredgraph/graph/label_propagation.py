"""Parameter-free 2-hop propagation drug <- similar drug -> side effect, read out per pair."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import softmax

from .build import HAS, SIMILAR


class LabelPropagation(nn.Module):
    """Pair features from support labels reached through the graph:

    [share of similar drugs with the side effect, their mean class on it, side-effect popularity,
    side-effect mean class]. Similar-drug weights are a softmax of similarity / temperature.
    """

    out_dim = 4

    def __init__(self, temperature: float = 0.1):
        super().__init__()
        self.temperature = temperature
        self.settings = {"temperature": temperature}

    def forward(self, data, drug_idx: torch.Tensor, se_idx: torch.Tensor) -> torch.Tensor:
        n_drug, n_se = data["drug"].num_nodes, data["side_effect"].num_nodes
        Y = torch.zeros(n_drug, n_se)
        if HAS in data.edge_types:
            ei = data[HAS].edge_index
            Y[ei[0], ei[1]] = data[HAS].edge_weight * 5.0
        known = (Y > 0).float()
        n_sup = max(len(data.support), 1)
        pop = known.sum(0) / n_sup
        se_mean = Y.sum(0) / known.sum(0).clamp(min=1)
        if SIMILAR in data.edge_types:
            ei, sim = data[SIMILAR].edge_index, data[SIMILAR].edge_weight
            w = softmax(sim / self.temperature, ei[1], num_nodes=n_drug)
            A = torch.zeros(n_drug, n_drug)
            A[ei[1], ei[0]] = w  # row = receiving drug
            has = (A @ known)[drug_idx, se_idx]
            cls = (A @ Y)[drug_idx, se_idx]
        else:
            has = torch.zeros(len(drug_idx))
            cls = torch.zeros(len(drug_idx))
        nb_mean = torch.where(has > 0, cls / has.clamp(min=1e-6), se_mean[se_idx])
        return torch.stack([has, (nb_mean - 3.0) / 2.0, pop[se_idx], (se_mean[se_idx] - 3.0) / 2.0], dim=1)
