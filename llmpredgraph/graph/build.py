"""Assemble the PyG HeteroData for one set of support drugs (their labels are visible) and query drugs."""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import HeteroData

from ..config import GraphCfg
from .edges import cooc_edges, drug_se_edges, knn_edges
from .knowledge_edges import KnowledgeGraph, atc_relations, protein_relations

HAS = ("drug", "has", "side_effect")
REV = ("side_effect", "rev_has", "drug")
SIMILAR = ("drug", "similar", "drug")
HIER = ("side_effect", "hierarchy", "side_effect")
COOC = ("side_effect", "cooc", "side_effect")


def edge_types(cfg: GraphCfg) -> list[tuple[str, str, str]]:
    out = []
    if cfg.drug_se:
        out += [HAS, REV]
    if cfg.drug_knn.enabled:
        out.append(SIMILAR)
    if cfg.se_hierarchy:
        out.append(HIER)
    if cfg.se_cooc.enabled:
        out.append(COOC)
    if cfg.atc_nodes:
        out += atc_relations()
    if cfg.protein_nodes:
        out += protein_relations()
    return out


def extra_node_types(cfg: GraphCfg) -> list[str]:
    """Node types besides drug and side_effect (learned vectors, no input features)."""
    return [t for t, on in (("atc", cfg.atc_nodes), ("protein", cfg.protein_nodes)) if on]


class GraphBuilder:
    """Holds per-fold node features and similarities; `build` makes the graph for given support drugs.

    Only rows of R listed in `support` are ever read, so drugs outside it (query, validation, test)
    contribute no labels: they appear as nodes whose only incoming edges are kNN links from support.
    """

    def __init__(
        self,
        x_drug: np.ndarray,
        x_se: np.ndarray,
        R: np.ndarray,
        S_drug: np.ndarray,
        hier: torch.Tensor,
        cfg: GraphCfg,
        knowledge: KnowledgeGraph | None = None,
        cooc: tuple[np.ndarray, torch.Tensor] | None = None,
    ):
        """cooc: (support, its co-occurrence edges) computed before from these support drugs' rows of R,
        reused when a graph has exactly that support (new molecules: the same support every call)."""
        self.cooc = cooc
        # new molecules' graphs break similarity ties among prior voters by support order, so torch and
        # torch-free inference (`pipeline.portable`) pick the same voters
        self.stable_ties = False
        self.x_drug = torch.as_tensor(x_drug, dtype=torch.float32)
        self.x_se = torch.as_tensor(x_se, dtype=torch.float32)
        self.R, self.S, self.hier, self.cfg, self.knowledge = R, S_drug, hier, cfg, knowledge
        if (cfg.atc_nodes or cfg.protein_nodes) and knowledge is None:
            raise ValueError("graph.atc_nodes / protein_nodes need the drugs' knowledge (run `data prepare` again)")

    def _support_similarity(self, support: np.ndarray, query: np.ndarray) -> torch.Tensor:
        """[n_drug, n_drug] similarity of each support or query drug (row) to each support drug
        (column), -inf elsewhere and on the diagonal: the candidates of label propagation's prior."""
        n = len(self.S)
        out = np.full((n, n), -np.inf, dtype=np.float32)
        rows = np.concatenate([support, query])
        out[np.ix_(rows, support)] = self.S[np.ix_(rows, support)]
        out[support, support] = -np.inf  # never its own neighbour
        return torch.from_numpy(out)

    def build(self, support: np.ndarray, query: np.ndarray, R: np.ndarray | None = None) -> HeteroData:
        """R (optional) replaces the labels for this graph: the warm protocol passes a copy with the
        held-out pairs set to 0, so a drug's own hidden pairs never become edges."""
        R = self.R if R is None else R
        support = np.unique(np.asarray(support, dtype=np.int64))
        query = np.unique(np.asarray(query, dtype=np.int64))
        if len(np.intersect1d(support, query)):
            raise ValueError("query drugs must not be support drugs (their labels would be visible)")
        data = HeteroData()
        data["drug"].x = self.x_drug
        data["side_effect"].x = self.x_se
        data.support = torch.as_tensor(support)
        data.drug_sim = self._support_similarity(support, query)
        data.stable_ties = self.stable_ties
        cfg = self.cfg
        if cfg.drug_se:
            ei, w = drug_se_edges(R, support)
            data[HAS].edge_index, data[HAS].edge_weight = ei, w
            data[REV].edge_index, data[REV].edge_weight = ei.flip(0), torch.ones_like(w)  # no labels backwards
        if cfg.drug_knn.enabled and len(support) > 1:
            targets = np.concatenate([support, query])
            ei, sim = knn_edges(self.S, targets, support, cfg.drug_knn.k)
            data[SIMILAR].edge_index, data[SIMILAR].edge_weight = ei, sim
        if cfg.se_hierarchy and self.hier.shape[1]:
            data[HIER].edge_index, data[HIER].edge_weight = self.hier, torch.ones(self.hier.shape[1])
        if cfg.se_cooc.enabled:
            known = self.cooc is not None and R is self.R and np.array_equal(self.cooc[0], support)
            ei = self.cooc[1] if known else cooc_edges(R, support, cfg.se_cooc.k)
            data[COOC].edge_index, data[COOC].edge_weight = ei, torch.ones(ei.shape[1])
        if self.knowledge is not None:  # attributes of every drug, test drugs included: no labels
            self.knowledge.add_to(data, cfg.atc_nodes, cfg.protein_nodes)
        return data
