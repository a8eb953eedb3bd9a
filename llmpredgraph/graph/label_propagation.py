"""Parameter-free 2-hop propagation drug <- similar drug -> side effect, read out per pair."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import softmax

from ..frequency import MAX_CLASS, MIN_CLASS, centre, from_fraction, has_class, is_high, scale_offset
from .build import HAS, SIMILAR
from .offsets import neighbour_offsets, ridge_bias
from .pair_features import PairFeatures
from .similarity import own_assoc_kernel


class LabelPropagation(nn.Module):
    """Pair features from support labels reached through the graph (a `PairFeatures`). Columns:

    - share of similar drugs with the side effect, their mean class on it (softmax(sim / temperature) weights);
    - offsets: the neighbours' mean drug offset (ridge drug bias) and their shrunk mean residual on
      this side effect. The neighbours vote with weights similarity ** power over the k most similar
      support drugs (k None: the graph's kNN edges; k 0: every support drug, from `data.drug_sim`);
    - own (warm protocol, where a drug's other pairs are in the graph): the drug's count of known
      pairs and its shrunk mean offset from the side-effect means;
    Priors (the decoder learns corrections to them):
    - assoc_prior: side-effect popularity (own / offsets: scaled by the drug's degree, its own or
      else its neighbours' mean, relative to the mean support drug); with offsets and
      assoc_share, the neighbours' weighted share with the side effect (popularity for a drug
      without neighbours), over its own kernel when assoc_k / assoc_power are set (the assoc_k most
      similar support drugs in `data.drug_sim`, 0: all, weights similarity ** assoc_power);
    - dshf_prior (offsets only): the offset model below fitted on the high-frequency indicator;
    - dsf_prior: the side-effect mean (+ own offset); with offsets mu + b_se + drug offset +
      neighbour residual, the drug offset being the drug's own if it has pairs, else its neighbours'.
    A drug without edges has no own terms.
    """

    def __init__(
        self,
        temperature: float = 0.1,
        own: bool = False,
        shrink: float = 5.0,
        offsets: bool = False,
        bias_shrink: float = 20.0,
        resid_shrink: float = 1.0,
        k: int | None = None,
        power: float = 1.0,
        assoc_share: bool = False,
        assoc_k: int | None = None,
        assoc_power: float | None = None,
    ):
        super().__init__()
        self.temperature, self.own, self.shrink = temperature, own, shrink
        self.offsets, self.bias_shrink, self.resid_shrink = offsets, bias_shrink, resid_shrink
        self.k, self.power, self.assoc_share = k, power, assoc_share
        self.assoc_k, self.assoc_power = assoc_k, assoc_power
        self.out_dim = 4 + 2 * own + 3 * offsets
        self.settings = {
            "temperature": temperature,
            "own": own,
            "shrink": shrink,
            "offsets": offsets,
            "bias_shrink": bias_shrink,
            "resid_shrink": resid_shrink,
            "k": k,
            "power": power,
            "assoc_share": assoc_share,
            "assoc_k": assoc_k,
            "assoc_power": assoc_power,
        }

    @property
    def column_names(self) -> list[str]:
        """Names of the `PairFeatures.columns` that forward returns, in order (offsets on the
        centred scale `frequency.scale_offset`)."""
        names = ["neighbour_share", "neighbour_class"]
        names += ["own_degree", "own_offset"] if self.own else []
        return names + (["neighbour_offset", "neighbour_residual"] if self.offsets else [])

    @property
    def assoc_kernel(self) -> tuple[int | None, float] | None:
        """(k, power) of the association share's own kernel; None: the shared one (or no share)."""
        return own_assoc_kernel(self.k, self.power, self.assoc_k, self.assoc_power) if self.assoc_share else None

    def votes(self, data, rows: torch.Tensor) -> torch.Tensor | None:
        """[len(rows), n_drug] the support drugs' row-normalised votes in the association prior of the
        drugs in `rows` (see `_prior_weights`): the same weights forward uses, association's own
        kernel where it has one; None without offsets or votes."""
        if not self.offsets:
            return None
        return self._prior_weights(data, data["drug"].num_nodes, rows, kernel=self.assoc_kernel)

    @staticmethod
    def _weights(data, n_drug: int, temperature: float | None) -> torch.Tensor | None:
        """[n_drug, n_drug] row-normalised neighbour weights (row = receiving drug): softmax or
        proportional to similarity; None without drug-drug edges."""
        if SIMILAR not in data.edge_types:
            return None
        ei, sim = data[SIMILAR].edge_index, data[SIMILAR].edge_weight
        if temperature is None:
            w = sim.clamp(min=1e-6)
            w = w / torch.zeros(n_drug, device=w.device).index_add_(0, ei[1], w)[ei[1]]
        else:
            w = softmax(sim / temperature, ei[1], num_nodes=n_drug)
        A = torch.zeros(n_drug, n_drug, device=sim.device)
        A[ei[1], ei[0]] = w
        return A

    def _prior_weights(
        self,
        data,
        n_drug: int,
        rows: torch.Tensor,
        voters: torch.Tensor | None = None,
        kernel: tuple[int | None, float] | None = None,
    ) -> torch.Tensor | None:
        """[len(rows), n_drug] row-normalised votes of support drugs (columns) for the drugs in `rows`:
        similarity ** power over the kNN edges (k None) or the k most similar support drugs in
        `data.drug_sim` (k 0: all of them); None when there is nothing to vote with. voters [n_drug]
        (bool): only these drugs may vote (the frequency priors: drugs with a known class). kernel:
        (k, power) instead of the module's (the association share's own kernel)."""
        k, power = kernel if kernel is not None else (self.k, self.power)
        if k is None:
            if SIMILAR not in data.edge_types:
                return None
            ei, sim = data[SIMILAR].edge_index, data[SIMILAR].edge_weight
            W = torch.zeros(n_drug, n_drug, device=sim.device)
            W[ei[1], ei[0]] = sim.clamp(min=1e-6) ** power
            W = W[rows] if voters is None else W[rows] * voters
        else:
            S = getattr(data, "drug_sim", None)
            if S is None:
                return None
            S = S[rows] if voters is None else torch.where(voters, S[rows], torch.full_like(S[rows], -torch.inf))
            ok = torch.isfinite(S)
            W = torch.where(ok, S.clamp(min=1e-6), torch.zeros_like(S)) ** power * ok
            if k and k < S.shape[1]:
                if getattr(
                    data, "stable_ties", False
                ):  # new molecules: ties to the lower index, as numpy's stable sort
                    idx = torch.sort(S, dim=1, descending=True, stable=True).indices[:, :k]
                else:  # benchmark folds keep topk, which their committed numbers were computed with
                    idx = S.topk(k, dim=1).indices
                W = torch.zeros_like(W).scatter_(1, idx, W.gather(1, idx))
        return W / W.sum(1, keepdim=True).clamp(min=1e-12)

    def _offset_prior(self, Y, known, L, rows, inv, se_idx):
        """Y, known: [n_drug, n_se]; L: [len(rows), n_drug] or None; rows: the drugs scored, inv [n]:
        each pair's position in rows, se_idx [n]. Returns three [n] tensors: the prior mu + b_se +
        drug offset (own, else neighbours') + neighbours' shrunk residual, the neighbours' offset
        and the residual."""
        if L is None:
            mu, bd, bs = ridge_bias(Y, known, self.bias_shrink)
            nb_off, res = torch.zeros(len(rows), device=Y.device), torch.zeros(len(inv), device=Y.device)
        else:
            mu, bd, bs, nb_off, res_all = neighbour_offsets(Y, known, L, self.bias_shrink, self.resid_shrink)
            res = res_all[inv, se_idx]
        off = torch.where(known[rows].sum(1) > 0, bd[rows], nb_off)
        return mu + bs[se_idx] + off[inv] + res, nb_off[inv], res

    def forward(self, data, drug_idx: torch.Tensor, se_idx: torch.Tensor) -> PairFeatures:
        """data: HeteroData; drug_idx, se_idx: [n] pair indices. Returns n rows of `PairFeatures`
        with `out_dim` values each. Neighbour sums are taken for the drugs in drug_idx only."""
        n_drug, n_se = data["drug"].num_nodes, data["side_effect"].num_nodes
        dev = data["drug"].x.device  # the graph's device (a GPU when cfg.device says so)
        rows, inv = torch.unique(drug_idx, return_inverse=True)
        Y = torch.zeros(n_drug, n_se, device=dev)
        if HAS in data.edge_types:
            ei = data[HAS].edge_index
            Y[ei[0], ei[1]] = from_fraction(data[HAS].edge_weight)
        Y = Y.round()  # the label codes (LISTED edges carry LISTED / 5)
        known = (Y > 0).float()  # association: every labelled pair
        kc = has_class(Y).float()  # frequency: pairs with a class (LISTED pairs have none)
        Y = Y * kc
        n_sup = max(len(data.support), 1)
        pop = known.sum(0) / n_sup
        se_mean = Y.sum(0) / kc.sum(0).clamp(min=1)
        A = self._weights(data, n_drug, self.temperature)
        A = A[rows] if A is not None else None
        has = (A @ known)[inv, se_idx] if A is not None else torch.zeros(len(drug_idx), device=dev)
        has_c = (A @ kc)[inv, se_idx] if A is not None else torch.zeros(len(drug_idx), device=dev)
        cls = (A @ Y)[inv, se_idx] if A is not None else torch.zeros(len(drug_idx), device=dev)
        nb_mean = torch.where(has_c > 0, cls / has_c.clamp(min=1e-6), se_mean[se_idx])
        cols, high = [has, centre(nb_mean)], None
        prior, pop_col = se_mean[se_idx], pop[se_idx]
        cnt = known.sum(1)
        if self.own:
            offset = (kc * (Y - se_mean)).sum(1) / (kc.sum(1) + self.shrink)  # ridge-shrunk drug bias
            cols += [
                torch.log1p(cnt[drug_idx]) / torch.log1p(torch.tensor(float(n_se), device=dev)),
                scale_offset(offset[drug_idx]),
            ]
            prior = prior + offset[drug_idx]
            # association prior: popularity scaled by the drug's degree relative to the mean drug
            rel = cnt / cnt[data.support].mean().clamp(min=1.0) if len(data.support) else torch.ones_like(cnt)
            pop_col = (pop_col * rel[drug_idx]).clamp(0.0, 1.0)
        if self.offsets:
            L = self._prior_weights(data, n_drug, rows)
            with_class = kc.sum(1) > 0
            # frequency votes come from drugs with known classes (drugs with label mentions only vote on association)
            Lf = (
                L
                if L is None or bool(with_class[data.support].all())
                else self._prior_weights(data, n_drug, rows, with_class)
            )
            prior, nb_off, nb_res = self._offset_prior(Y, kc, Lf, rows, inv, se_idx)
            high, _, _ = self._offset_prior(is_high(Y).float(), kc, Lf, rows, inv, se_idx)
            cols += [scale_offset(nb_off), scale_offset(nb_res)]
            high = high.clamp(0.0, 1.0)  # prior probability of class >= 4
            if self.assoc_share and L is not None and not self.own:
                # association: the neighbours' weighted share (popularity where a drug has no neighbours)
                if (kernel := self.assoc_kernel) is not None:
                    L = self._prior_weights(data, n_drug, rows, kernel=kernel)
                voted = L.sum(1)[inv] > 0
                pop_col = torch.where(voted, (L @ known)[inv, se_idx], pop[se_idx])
            else:
                # association: popularity scaled by the drug's degree (own, else its neighbours') relative to the mean
                mean_cnt = (
                    cnt[data.support].mean().clamp(min=1.0) if len(data.support) else torch.tensor(1.0, device=dev)
                )
                deg = torch.where(cnt[rows] > 0, cnt[rows], L @ cnt if L is not None else mean_cnt.expand(len(rows)))
                pop_col = (pop[se_idx] * deg[inv] / mean_cnt).clamp(0.0, 1.0)
        if self.own or self.offsets:
            prior = prior.clamp(float(MIN_CLASS), float(MAX_CLASS))
        return PairFeatures(torch.stack(cols, dim=1), dshf_prior=high, assoc_prior=pop_col, dsf_prior=centre(prior))
