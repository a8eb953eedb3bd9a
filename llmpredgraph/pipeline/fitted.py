"""The fitted pipeline: drug tower, side-effect vectors, graph builder and link model in one object.

Cold folds, warm folds, `train`, `predict` and the candidate scorer all build one the same way:
`Pipeline(cfg, features, support)`, then `fit(sampler, validator)` with the protocol's sampler and
validator, then `predict(...)`. `save(folder)` writes a self-contained model folder and
`Pipeline.load(folder)` reads it from anywhere (chemprop's MPNN / load_from_file is the model).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import yaml

from .. import __version__
from ..atomic import atomic_path
from ..config import Config
from ..errors import UserError
from ..graph.build import GraphBuilder
from ..graph.decoder import drug_means
from ..graph.model import LinkModel, build_model
from ..graph.similarity import tanimoto_matrix
from ..stages import Stages
from .features import NodeFeatures
from .knowledge import DrugKnowledge, similarity_of
from .model_folder import read_model_folder
from .molecules import decode_rows, molecule_graph
from .portable import HEADS
from .support import SupportData
from .tower import DrugTower
from .training import Sampler, Validator, choose_correction, fit_model

FILES = ("config.yaml", "meta.yaml", "model.pt", "tower.pt", "support.npz", "names.json")


class Pipeline:
    """features: the fold's node vectors and drug tower; support: labels and side information the
    graph may show; model: a LinkModel (built from cfg when not given)."""

    def __init__(self, cfg: Config, features: NodeFeatures, support: SupportData, model: LinkModel | None = None):
        self.cfg, self.features, self.support = cfg, features, support
        g = cfg.graph
        self.kgraph = support.knowledge.graph() if support.knowledge and (g.atc_nodes or g.protein_nodes) else None
        self.builder = self.graph_builder(features.x_drug, features.S_drug, support.R)
        self.model = (
            model
            if model is not None
            else build_model(
                cfg,
                features.x_drug.shape[1],
                features.x_se.shape[1],
                support.n_side_effects,
                n_drug=support.n_drugs,
                extra=self.kgraph.sizes if self.kgraph else None,
            )
        )
        self.history: dict = {}
        self.meta: dict = {}
        self._encoder = None
        self.folder: Path | None = None  # the model folder it was loaded from (its ONNX encoder)
        self._index = None  # FAISS support index, built on first use
        self._cooc = self._support_tanimoto = None  # the support's parts of a new molecule's graph
        self._typical: np.ndarray | None = None
        self.stages = Stages()  # seconds per stage of new-molecule scoring (screen reports them)

    def graph_builder(self, x_drug: np.ndarray, S: np.ndarray, R: np.ndarray, kgraph=None, cooc=None) -> GraphBuilder:
        """A builder over these drug vectors, similarity and labels (new molecules appended to the
        support's); cooc: `molecules.support_cooc` when R's first rows are the support's labels."""
        kgraph = kgraph if kgraph is not None else self.kgraph
        hier = torch.as_tensor(np.asarray(self.support.hierarchy), dtype=torch.long)
        return GraphBuilder(x_drug, self.features.x_se, R, S, hier, self.cfg.graph, kgraph, cooc)

    def serve_labels(self, R: np.ndarray) -> None:
        """After fitting on the fit labels, show `R` (every training label, validation drugs' too)
        to prediction: the support labels and the graph builder follow it."""
        self.support = self.support.with_labels(R)
        self.builder = self.graph_builder(self.features.x_drug, self.features.S_drug, R)
        self._typical, self._index, self._cooc = None, None, None

    @property
    def uses_graph(self) -> bool:
        """False for the plain MLP: it needs no support labels at all."""
        return self.model.message_passing is not None or self.model.propagation is not None

    def fit(
        self,
        sampler: Sampler,
        validator: Validator,
        seed: int,
        progress: bool = True,
        desc: str = "train",
        labels: np.ndarray | None = None,
    ) -> dict:
        """Train the link model on `sampler`'s draws, keeping the epoch that `validator` scores best;
        with contrastive.mode lora/full, then fine-tune the SMILES LM with it end to end.
        labels: the labels training may read (the split's R_fit, validation rows hidden; default support.R)."""
        self.model, self.history = fit_model(self.model, sampler, validator, self.cfg, seed, progress, desc)
        if self.features.raw_drug is not None and self.cfg.contrastive.lm_steps > 0:
            from .joint import fine_tune

            R = self.support.R if labels is None else labels
            ft = fine_tune(self, sampler, validator, seed, progress, desc, R)
            self.history["fine_tune"], self.history["best_val_score"] = ft, ft["best_val_score"]
        m = self.cfg.model
        corr = choose_correction(self.model, validator, m.correction_scales, m.correction_centring)
        if corr:
            self.history["correction"], self.history["best_val_score"] = corr, corr["val_score"]
        return self.history

    # --- prediction ------------------------------------------------------------------------------
    def predict(
        self, support: np.ndarray | None = None, query: np.ndarray | None = None, *, smiles: list[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Score matrices [n, n_se] ('dsf' class, 'dshf' and 'assoc' probabilities).

        Either benchmark `query` drugs, their labels hidden and `support` drugs' labels shown
        (default support: every other drug), or new molecules (`smiles`) linked to all support drugs."""
        if smiles is not None:
            return self.predict_molecules(smiles)
        if query is None:
            raise ValueError("predict needs query drugs or smiles")
        query = np.asarray(query, dtype=np.int64)
        if support is None:
            support = np.setdiff1d(np.arange(self.support.n_drugs), query)
        return self.predict_matrix(support, query)

    @torch.no_grad()
    def predict_pairs(
        self,
        support: np.ndarray,
        query: np.ndarray,
        d: np.ndarray,
        s: np.ndarray,
        R: np.ndarray | None = None,
        chunk: int = 200_000,
        builder: GraphBuilder | None = None,
        model: LinkModel | None = None,
    ) -> dict[str, np.ndarray]:
        """Scores of the pairs (d[i], s[i]), each [n]. The graph shows labels of `support` drugs only
        (from R when given: the warm protocol passes a copy without its held-out pairs). A decoder that
        centres its corrections per drug needs whole rows (every side effect of each drug in d).
        model: the link model to score with (a validator's candidate); default the pipeline's."""
        model = self.model if model is None else model
        h, pair, d, s = self.graph_pass(support, query, d, s, R, builder, model)
        cut = lambda i: pair.rows(slice(i, i + chunk)) if pair is not None else None  # noqa: E731
        dec = model.decoder
        z = [
            dec.learned(h["drug"][d[i : i + chunk]], h["side_effect"][s[i : i + chunk]], cut(i))
            for i in range(0, len(d), chunk)
        ]
        return self.scores_from(torch.cat(z) if z else torch.zeros(0, 3, device=d.device), d, pair, chunk, model)

    def graph_pass(self, support, query, d, s, R=None, builder: GraphBuilder | None = None, model=None) -> tuple:
        """(node vectors, pair features, d, s as tensors) for the pairs (d[i], s[i]) on the graph that
        shows `support` drugs' labels: everything the decoder reads, on the model's device."""
        model = (self.model if model is None else model).eval()
        dev = next(model.parameters()).device  # where fit left it
        data = (builder or self.builder).build(support, query, R).to(dev)
        h = model.node_vectors(data)
        d, s = (torch.as_tensor(np.asarray(x, dtype=np.int64), device=dev) for x in (d, s))
        return h, model.pair_features(data, d, s), d, s  # pair features: graph-wide sums once, not per chunk

    def scores_from(self, z: torch.Tensor, d: torch.Tensor, pair, chunk: int, model=None) -> dict[str, np.ndarray]:
        """Decoder outputs z [n, 3] of the pairs with drugs d [n] -> each head's scores [n] (numpy)."""
        dec = (self.model if model is None else model).decoder
        shift = drug_means(z, d, self.support.n_side_effects) if dec.centre.any() else None
        outs = [
            dec.combine(
                z[i : i + chunk],
                pair.rows(slice(i, i + chunk)) if pair is not None else None,
                None if shift is None else shift[i : i + chunk],
            )
            for i in range(0, len(z), chunk)
        ]
        cat = {k: torch.cat([o[k] for o in outs]).cpu().numpy() if outs else np.zeros(0, np.float32) for k in HEADS}
        return {"dsf": cat["dsf"], "dshf": 1 / (1 + np.exp(-cat["dshf"])), "assoc": 1 / (1 + np.exp(-cat["assoc"]))}

    def predict_matrix(
        self,
        support: np.ndarray,
        query: np.ndarray,
        rows: np.ndarray | None = None,
        R: np.ndarray | None = None,
        builder: GraphBuilder | None = None,
        model: LinkModel | None = None,
    ) -> dict[str, np.ndarray]:
        """Scores [len(rows), n_se] for every (drug in `rows`, side effect); rows defaults to the query
        drugs; model as predict_pairs."""
        rows = np.asarray(query if rows is None else rows, dtype=np.int64)
        # whole rows: the decoder's first layer splits into drug and side-effect parts (`decode_rows`;
        # the pairwise `predict_pairs` gives the same scores to float tolerance, several times slower)
        p = decode_rows(self, support, query, rows, builder, R=R, model=model)
        return {k: v.reshape(len(rows), self.support.n_side_effects) for k, v in p.items()}

    def predict_molecules(
        self,
        smiles: list[str],
        knowledge: tuple[list[list[str]], list[list[str]]] | None = None,
        texts: list[str] | None = None,
        neighbours: str = "exact",
        standardised: bool = False,
    ) -> dict[str, np.ndarray]:
        """Scores [n_molecules, n_se] for molecules outside the benchmark: each is standardised
        (`data.structures.standard_smiles`; skipped when the caller has done it), embedded, mapped
        by the drug tower, linked to its nearest support drugs and decoded; none becomes a neighbour.
        neighbours: 'exact' (dense similarity to every support drug) or 'faiss' (the support index,
        for libraries; molecules without knowledge only).
        knowledge: per molecule its ATC classes and 'category:uniprot' entries (the combined similarity
        compares them with the support drugs'; without them a molecule is compared on structure).
        texts: per molecule its drug text, for models whose drug vectors include it (add_text)."""
        # new molecules take the factorised decoder (same scores to float tolerance, a fifth of the time);
        # benchmark folds keep the pairwise path their committed numbers were computed with
        return self.score_graph(molecule_graph(self, smiles, knowledge, texts, neighbours, standardised))

    def molecule_graph(self, smiles: list[str], knowledge=None, texts=None, standardised: bool = False):
        """New molecules standardised, encoded and linked to the support drugs (exact neighbours),
        before decoding: `score_graph` scores it, `pipeline.explain.explain_molecules` explains it."""
        return molecule_graph(self, smiles, knowledge, texts, "exact", standardised)

    def drug_similarity(self, d: int) -> np.ndarray:
        """[n_drug] benchmark drug d's similarity to every drug, as the model ranks neighbours."""
        return self.features.S_drug[d]

    def explain(self, mg, se_idx: list) -> list:
        """Per molecule i of a `molecule_graph`, the `Explanation`s of side effects se_idx[i]."""
        from .explain import explain_molecules

        return explain_molecules(self, mg, se_idx)

    def score_graph(self, mg) -> dict[str, np.ndarray]:
        """Scores [m, n_se] of the molecules of a `molecule_graph`, exactly as predict_molecules."""
        p = decode_rows(self, np.arange(mg.n_support), mg.query, mg.query, mg.builder)
        return {k: v.reshape(len(mg.query), -1) for k, v in p.items()}

    def support_index(self):
        """FAISS index over the support drugs (built once) for new molecules, which carry no knowledge:
        under 'combined' they are compared on structure alone, as the dense path does."""
        if self._index is None:
            from ..graph.neighbours import SupportIndex

            g = self.cfg.graph
            kind = "fingerprint" if g.knn_similarity == "combined" else g.knn_similarity
            if g.knn_similarity == "combined" and g.knn_weights.structure <= 0:
                raise UserError(
                    "this model's similarity gives structure no weight, so a new molecule has no neighbours",
                    "score with neighbours='exact' or retrain with graph.knn_weights.structure > 0",
                )
            self._index = SupportIndex(
                kind, self.features.x_drug, self.support.fingerprints, weights=self.cfg.encoders.drug.structure_weights
            )
        return self._index

    def typical_rates(self, chunks: int = 10) -> np.ndarray:
        """[n_se] the mean association probability of a benchmark drug scored like a new molecule
        (its labels hidden, the other drugs as support, in `chunks` groups): the reference a new
        molecule's probability is compared with (lift), on the same calibration. Saved with the model."""
        if self._typical is not None:
            return self._typical
        n = self.support.n_drugs
        total = np.zeros(self.support.n_side_effects)
        for query in np.array_split(np.arange(n), min(chunks, n)):
            total += self.predict_matrix(np.setdiff1d(np.arange(n), query), query)["assoc"].sum(0)
        self._typical = total / n
        return self._typical

    def complete(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Warm models: scores [len(rows), n_se] of benchmark drugs (default every one) with all their
        known pairs in the graph, i.e. what the model expects for the pairs that are not known yet."""
        n = self.support.n_drugs
        support = np.arange(n) if self.uses_graph else np.zeros(0, dtype=np.int64)
        rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
        return self.predict_matrix(support, np.zeros(0, dtype=np.int64), rows=rows, R=self.support.R)

    def similarity(
        self, x: np.ndarray, fp: np.ndarray, knowledge: DrugKnowledge | None = None, tanimoto: np.ndarray | None = None
    ) -> np.ndarray:
        """Drug-drug similarity as the fold used it (graph.knn_similarity); x [n, d], fp [n, bits];
        tanimoto: fp's Tanimoto matrix when the caller has it."""
        T = tanimoto if tanimoto is not None else _tanimoto(self.cfg, fp)
        return similarity_of(self.cfg.graph, x, T, knowledge)

    def text_encoder(self):
        """The text model the drug texts were embedded with (encoders.drug.add_text); refused when another."""
        from ..encoders.factory import drug_text_encoder

        return self._same_encoder(drug_text_encoder(self.cfg.encoders), "drug_text", "embedded drug texts with")

    def drug_encoder(self):
        """The configured drug encoder, built once; refused when it is not the one the model was trained with."""
        if self._encoder is None:
            from ..encoders.factory import build_drug_encoder
            from ..encoders.onnx_runtime import FOLDER_FILE, folder_identity

            ident = folder_identity(self.folder) if self.folder is not None else None
            onnx = (self.folder / FOLDER_FILE, ident) if ident else (None, None)
            enc = build_drug_encoder(self.cfg.encoders, "cpu", *onnx)
            self._encoder = self._same_encoder(enc, "drug", "was trained with encoder")
        return self._encoder

    def _same_encoder(self, enc, key: str, what: str):
        trained = self.features.identities.get(key)
        if trained and enc.identity != trained:
            raise UserError(
                f"this model {what} {trained} but this setup gives {enc.identity}",
                "install the same encoder model, or retrain with `llmpredgraph train`",
            )
        return enc

    # --- persistence -----------------------------------------------------------------------------
    def save(self, folder: str | Path, extra: dict | None = None) -> Path:
        """Write a self-contained model folder atomically: settings, weights, drug tower, support
        drugs' vectors, labels and fingerprints, side-effect edges and names."""
        folder = Path(folder)
        f, s = self.features, self.support
        self.meta = {
            "version": __version__,
            "encoders": f.identities,
            "n_drugs": s.n_drugs,
            "n_side_effects": s.n_side_effects,
            **(extra or {}),
        }
        with atomic_path(folder, is_dir=True) as tmp:
            (tmp / "config.yaml").write_text(yaml.safe_dump(self.cfg.dump(), sort_keys=False))
            (tmp / "meta.yaml").write_text(yaml.safe_dump(self.meta, sort_keys=False))
            self.model.save(tmp / "model.pt")
            f.tower.save(tmp / "tower.pt")
            np.savez_compressed(
                tmp / "support.npz",
                R=s.R.astype(np.uint8),
                x_drug=f.x_drug,
                x_se=f.x_se,
                fingerprints=s.fingerprints.astype(np.uint8),
                hierarchy=np.asarray(s.hierarchy),
                **({"typical_assoc": self.typical_rates()} if self.cfg.protocol.holds_out_drugs else {}),
            )
            names = {"drugs": s.drug_names, "smiles": s.drug_smiles, "side_effects": s.se_names}
            if s.knowledge is not None:
                names["knowledge"] = s.knowledge.dump()
            if s.se_soc is not None:
                names["side_effect_soc"] = s.se_soc
            if s.label_frequencies is not None:
                names["label_frequencies"] = s.label_frequencies
            (tmp / "names.json").write_text(json.dumps(names))
            d = self.cfg.encoders.drug
            if d.kind == "lm" and d.runtime == "onnx":  # the folder runs the very file it was trained with
                from ..encoders.onnx_runtime import copy_into

                enc = self.drug_encoder()
                copy_into(enc.onnx_path(), tmp, enc.identity)
            from .export import export_inference

            export_inference(self, tmp)  # the torch-free inference part (`pipeline.portable`)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Pipeline:
        """Read a model folder from any working directory (no processed benchmark needed)."""
        folder = Path(folder)
        missing = [name for name in FILES if not (folder / name).is_file()]
        if missing:
            raise UserError(
                f"{folder} is not a model folder (missing {', '.join(missing)})",
                "create one with `llmpredgraph train --out DIR`",
            )
        meta, cfg, arrays, support = read_model_folder(folder)
        model, _ = LinkModel.load(folder / "model.pt")
        x_drug = arrays["x_drug"]
        S = similarity_of(cfg.graph, x_drug, _tanimoto(cfg, support.fingerprints), support.knowledge)
        features = NodeFeatures(
            x_drug, arrays["x_se"], S, DrugTower.load(folder / "tower.pt"), None, dict(meta.get("encoders") or {})
        )
        pipe = cls(cfg, features, support, model=model.eval())
        pipe.meta, pipe.folder = meta, folder
        pipe._typical = arrays["typical_assoc"] if "typical_assoc" in arrays else None
        pipe.drug_encoder()  # refuse a mismatched encoder at load, before any work
        return pipe


def _tanimoto(cfg, fp: np.ndarray) -> np.ndarray | None:
    """fp's structure similarity (the weighted mean over `encoders.drug.structure`), None when unused."""
    return None if cfg.graph.knn_similarity == "embedding" else tanimoto_matrix(fp, cfg.encoders.drug.structure_weights)
