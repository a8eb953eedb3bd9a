"""LinkModel: input encoder -> (message passing) -> (label propagation) -> edge decoder.

Parts are built separately and handed in; their settings are saved with the weights (as chemprop does).
The plain-MLP model is the same class with message passing and propagation switched off.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .. import __version__
from ..atomic import write_with
from ..config import Config
from ..errors import UserError
from .build import edge_types, extra_node_types
from .decoder import EdgeDecoder
from .input_encoder import InputEncoder
from .label_propagation import LabelPropagation
from .message_passing import HeteroMessagePassing


class LinkModel(nn.Module):
    def __init__(
        self,
        encoder: InputEncoder,
        message_passing: HeteroMessagePassing | None,
        propagation: LabelPropagation | None,
        decoder: EdgeDecoder,
    ):
        super().__init__()
        self.encoder, self.message_passing, self.propagation, self.decoder = (
            encoder,
            message_passing,
            propagation,
            decoder,
        )

    def reset_parameters(self) -> None:
        """Re-initialise every learned part (label propagation has no parameters)."""
        for part in (self.encoder, self.message_passing, self.decoder):
            if part is not None:
                part.reset_parameters()

    def node_vectors(self, data) -> dict[str, torch.Tensor]:
        """{'drug': [n_drug, hidden], 'side_effect': [n_se, hidden]} after message passing."""
        h = self.encoder(data["drug"].x, data["side_effect"].x)
        return self.message_passing(h, data) if self.message_passing is not None else h

    def pair_features(self, data, drug_idx: torch.Tensor, se_idx: torch.Tensor):
        """Label-propagation features of the [n] pairs (None without propagation): parameter-free, so
        prediction computes them once for all pairs and decodes in chunks."""
        return self.propagation(data, drug_idx, se_idx) if self.propagation is not None else None

    def forward(
        self, data, drug_idx: torch.Tensor, se_idx: torch.Tensor, h: dict | None = None, pair=None
    ) -> dict[str, torch.Tensor]:
        """drug_idx, se_idx: [n] pairs -> {'dsf': [n] class, 'dshf': [n] logit, 'assoc': [n] logit};
        h: node vectors from `node_vectors`, pair: `pair_features` of these pairs (each computed when None)."""
        h = h if h is not None else self.node_vectors(data)
        pair = pair if pair is not None else self.pair_features(data, drug_idx, se_idx)
        return self.decoder(h["drug"][drug_idx], h["side_effect"][se_idx], pair)

    @property
    def settings(self) -> dict:
        return {
            "encoder": self.encoder.settings,
            "message_passing": self.message_passing.settings if self.message_passing is not None else None,
            "propagation": self.propagation.settings if self.propagation is not None else None,
            "decoder": self.decoder.settings,
        }

    @classmethod
    def from_settings(cls, s: dict) -> LinkModel:
        mp = s["message_passing"]
        return cls(
            InputEncoder(**s["encoder"]),
            HeteroMessagePassing([tuple(e) for e in mp.pop("edge_types")], **mp) if mp else None,
            LabelPropagation(**s["propagation"]) if s["propagation"] else None,
            EdgeDecoder(**s["decoder"]),
        )

    def save(self, path: str | Path, extra: dict | None = None) -> None:
        blob = {
            "version": __version__,
            "settings": self.settings,
            "state_dict": self.state_dict(),
            "extra": extra or {},
        }
        write_with(path, lambda p: torch.save(blob, p))

    @classmethod
    def load(cls, path: str | Path) -> tuple[LinkModel, dict]:
        try:
            blob = torch.load(path, map_location="cpu", weights_only=False)
        except (OSError, RuntimeError, EOFError) as exc:
            raise UserError(
                f"cannot read model weights {path} ({type(exc).__name__})", "retrain with `llmpredgraph train`"
            ) from None
        major = lambda v: str(v).split(".")[0]  # noqa: E731
        if major(blob.get("version", "0")) != major(__version__):
            raise UserError(
                f"model {path} was saved by llmpredgraph {blob.get('version')} (this is {__version__})",
                "retrain the model with this version",
            )
        model = cls.from_settings(blob["settings"])
        state = blob["state_dict"]
        state.setdefault("decoder.correction", torch.ones(3))  # saved before the correction buffers existed
        state.setdefault("decoder.centre", torch.zeros(3))
        model.load_state_dict(state)
        return model, blob.get("extra", {})


def build_model(
    cfg: Config, drug_dim: int, se_dim: int, n_se: int, n_drug: int = 0, extra: dict[str, int] | None = None
) -> LinkModel:
    """extra: number of nodes of each knowledge node type the graph has (graph.atc_nodes / protein_nodes)."""
    m = cfg.model
    warm = cfg.protocol.holds_out_pairs
    wanted = extra_node_types(cfg.graph) if m.message_passing else []
    enc = InputEncoder(
        drug_dim,
        se_dim,
        m.hidden,
        n_se,
        m.se_embedding,
        dropout=0.0,
        n_drug=n_drug,
        drug_embedding=m.drug_embedding,
        extra={t: n for t, n in (extra or {}).items() if t in wanted},
    )
    mp = (
        HeteroMessagePassing(edge_types(cfg.graph), m.conv, m.layers, m.hidden, m.dropout)
        if m.message_passing and edge_types(cfg.graph)
        else None
    )
    p = m.prior
    lp = (
        LabelPropagation(
            own=warm,
            offsets=m.neighbour_offsets,
            bias_shrink=p.bias_shrink,
            resid_shrink=p.resid_shrink,
            k=p.k,
            power=p.power,
            assoc_share=p.assoc == "share",
            assoc_k=p.assoc_k,
            assoc_power=p.assoc_power,
        )
        if m.label_propagation
        else None
    )
    dec = EdgeDecoder(
        m.hidden,
        lp.out_dim if lp else 0,
        m.decoder_hidden,
        m.dropout,
        prior=m.decoder_prior and lp is not None,
        high_prior=m.decoder_prior and lp is not None and lp.offsets,
        start_at_prior=m.start_at_prior,
    )
    return LinkModel(enc, mp, lp, dec)
