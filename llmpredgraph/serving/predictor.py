"""Inductive prediction for new molecules: embed, link to the k nearest training drugs, pass messages, decode."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from .. import __version__
from ..config import from_dict
from ..contrastive.towers import ProjectionHead, Standardize
from ..data import load_benchmark
from ..data.smiles import require_valid
from ..encoders.factory import build_drug_encoder
from ..encoders.simple import MorganEncoder
from ..errors import UserError
from ..experiment.train import predict_matrix
from ..graph.build import GraphBuilder
from ..graph.edges import drug_similarity, hierarchy_edges, tanimoto_matrix
from ..graph.model import LinkModel
from .train_full import _r_digest

REQUIRED = ("config.yaml", "meta.yaml", "model.pt", "towers.pt", "features.npz")


class Predictor:
    """Loads a model folder once; `predict` then scores new SMILES (warm calls are fast)."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        missing = [f for f in REQUIRED if not (folder / f).is_file()]
        if missing:
            raise UserError(f"{folder} is not a model folder (missing {', '.join(missing)})", "create one with `llmpredgraph train --out DIR`")
        self.meta = yaml.safe_load((folder / "meta.yaml").read_text())
        if str(self.meta.get("version", "0")).split(".")[0] != __version__.split(".")[0]:
            raise UserError(f"model folder {folder} comes from llmpredgraph {self.meta.get('version')} (this is {__version__})", "retrain it with `llmpredgraph train`")
        self.cfg = from_dict(yaml.safe_load((folder / "config.yaml").read_text()), str(folder / "config.yaml"))
        self.bench = load_benchmark(self.cfg.data)
        if _r_digest(self.bench.R) != self.meta["benchmark_R_sha256"]:
            raise UserError(f"the processed benchmark differs from the one model {folder} was trained on", "run `llmpredgraph data prepare` again or retrain the model")
        self.encoder = build_drug_encoder(self.cfg.encoders)
        if self.encoder.identity != self.meta["encoders"]["drug"]:
            raise UserError(f"model {folder} was trained with encoder {self.meta['encoders']['drug']} but this setup gives {self.encoder.identity}",
                            "install the same encoder model, or retrain with `llmpredgraph train`")
        self.model, _ = LinkModel.load(folder / "model.pt")
        self.model.eval()
        feats = np.load(folder / "features.npz")
        self.x_drug, self.x_se, self.fps = feats["x_drug"], feats["x_se"], feats["fingerprints"]
        self.towers = torch.load(folder / "towers.pt", map_location="cpu", weights_only=False)
        self.hier = hierarchy_edges(self.bench.side_effects, self.bench.hierarchy)
        self._lm = None

    def _tune(self, raw: np.ndarray, smiles: list[str]) -> np.ndarray:
        t = self.towers
        if not self.cfg.contrastive.enabled:
            return ((raw - t["raw_mean"]) / np.maximum(t["raw_std"], 1e-6)).astype(np.float32)
        s = t["drug_head_settings"]
        head = ProjectionHead(Standardize(s["in_dim"]), **s)
        head.load_state_dict(t["drug_head"])
        head.eval()
        if t["lm_state"] is not None:
            raw = self._lm_encode(smiles)
        with torch.no_grad():
            return head(torch.as_tensor(raw, dtype=torch.float32)).numpy()

    def _lm_encode(self, smiles: list[str]) -> np.ndarray:
        if self._lm is None:
            model = copy.deepcopy(self.encoder.model)
            if self.cfg.contrastive.mode == "lora":
                from peft import LoraConfig, get_peft_model

                c = self.cfg.contrastive
                model = get_peft_model(model, LoraConfig(r=c.lora_r, lora_alpha=c.lora_alpha, target_modules=["query", "value"], lora_dropout=0.05))
            model.load_state_dict(self.towers["lm_state"])
            self._lm = model.eval()
        return self.encoder.encode(smiles, model=self._lm)

    def scores(self, smiles: list[str]) -> dict[str, np.ndarray]:
        """Score matrices (n_molecules x side effects) for molecules outside the training set."""
        canon = [require_valid(s, f"molecule {i + 1}") for i, s in enumerate(smiles)]
        raw = self.encoder.encode(canon)
        x_new = self._tune(raw, canon)
        n = len(self.x_drug)
        x_all = np.concatenate([self.x_drug, x_new]).astype(np.float32)
        fp = self.fps
        if self.cfg.graph.knn_similarity != "embedding":
            fp = np.concatenate([self.fps, MorganEncoder(self.cfg.encoders.drug.fp_radius, self.cfg.encoders.drug.fp_bits).encode(canon)])
        S = self.similarity(x_all, fp)
        R_all = np.concatenate([self.bench.R, np.zeros((len(canon), self.bench.R.shape[1]), dtype=self.bench.R.dtype)])
        builder = GraphBuilder(x_all, self.x_se, R_all, S, self.hier, self.cfg.graph)
        return predict_matrix(self.model, builder, np.arange(n), np.arange(n, n + len(canon)))

    def similarity(self, x: np.ndarray, fp: np.ndarray) -> np.ndarray:
        """Drug-drug similarity as the experiment used it (graph.knn_similarity)."""
        kind = self.cfg.graph.knn_similarity
        return drug_similarity(kind, x, tanimoto_matrix(fp) if kind != "embedding" else None)

    def rank(self, smiles: str, top: int | None = 20) -> pd.DataFrame:
        p = {k: v[0] for k, v in self.scores([smiles]).items()}
        return ranked_table(self.bench.se_names, p, top)


def ranked_table(se_names: list[str], p: dict[str, np.ndarray], top: int | None) -> pd.DataFrame:
    dsf = np.clip(p["dsf"], 1, 5)
    df = pd.DataFrame({
        "side_effect": se_names,
        "association_prob": p["assoc"].round(4),
        "expected_class": dsf.round(3),
        "predicted_class": np.rint(dsf).astype(int),
        "high_frequency_prob": p["dshf"].round(4),
    }).sort_values("association_prob", ascending=False, kind="stable")
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df.head(top) if top else df


def score_benchmark(folder: str | Path, groups: int = 10) -> pd.DataFrame:
    """Every benchmark drug x side effect. Each drug is scored with its own labels hidden
    (leave-group-out over `groups` groups), as a cold drug would be, from the full model."""
    pred = Predictor(folder)
    bench = pred.bench
    builder = GraphBuilder(pred.x_drug, pred.x_se, bench.R, pred.similarity(pred.x_drug, pred.fps), pred.hier, pred.cfg.graph)
    n = bench.n_drugs
    parts = np.array_split(np.random.default_rng(0).permutation(n), groups)
    rows = []
    for part in parts:
        part = np.sort(part)
        p = predict_matrix(pred.model, builder, np.setdiff1d(np.arange(n), part), part)
        for i, d in enumerate(part):
            rows.append(pd.DataFrame({"drug": bench.drug_names[d], "side_effect": bench.se_names, "known_class": bench.R[d],
                                      "association_prob": p["assoc"][i].round(4), "expected_class": np.clip(p["dsf"][i], 1, 5).round(3),
                                      "high_frequency_prob": p["dshf"][i].round(4)}))
    return pd.concat(rows, ignore_index=True).sort_values(["drug", "association_prob"], ascending=[True, False])

