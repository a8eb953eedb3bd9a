"""Torch-free inference: a model folder's fitted model as plain arrays and a few numpy lines.

`train` writes `inference.npz` and `inference.json` beside the torch weights (`pipeline.export`).
What a new molecule's scores need after the SMILES encoder (ONNX Runtime) is small, because the
support drugs and side effects never read a new molecule: in the graph a molecule only *receives*
(kNN edges from support drugs; no labels of its own). So the export holds the support's node vectors
at the input of every message-passing layer, the side effects' final vectors, the fitted offset
priors, and the weights of the few layers a molecule passes through:

    h_q^(0)   = LayerNorm(W_in x_q + b_in)
    h_q^(l+1) = LayerNorm_l(h_q^(l) + ReLU(sum_r W_l^r agg_r + b^r + W_root^r h_q^(l)))
        (SAGE; agg over relation r: the mean of the k nearest support drugs' h^(l) for `similar`,
        0 for `rev_has`, which a molecule without labels has no edge of)
    pair features and priors: label propagation over the same neighbours (`LabelPropagation`)
    decoder: the MLP and heads of `EdgeDecoder` on [h_q, h_se, h_q * h_se, pair features]

`PortableModel` has the interface `predict`, `screen`, `ask` and `serve` use (`cfg`, `support`,
`molecule_graph`, `score_graph`, `predict_molecules`, `explain`, `typical_rates`, `complete`); its
scores equal the torch `Pipeline`'s to float tolerance (tested on every benchmark drug). Importing
this module imports no torch, PyG or transformers (tested); `loading.load_predictor` picks this path
when a folder has the export and falls back to torch for older folders.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..config import Config
from ..data.structures import standard_smiles
from ..errors import UserError
from ..frequency import (
    MAX_CLASS,
    MIN_CLASS,
    centre,
    from_unit,
    has_class,
    scale_offset,
    to_unit,
    uncentre,
)
from ..graph.similarity import neighbour_reach, own_assoc_kernel, tanimoto_between, top_k_rows
from ..stages import Stages
from .explanation import Explanation, atc_share, similarity_channels
from .knowledge import similarity_of
from .model_folder import read_model_folder
from .portable_layers import QueryGraph, explanation, gelu, layer_norm, logit, relu, sigmoid
from .portable_prior import offset_prior, prior_votes
from .support import SupportData

HEADS = ("dsf", "dshf", "assoc")
ARRAYS, SPEC = "inference.npz", "inference.json"
FORMAT = 1  # bump when the arrays or their meaning change


class PortableModel:
    """A cold (or warm) model folder's inference without torch; see the module docstring."""

    def __init__(self, cfg: Config, support: SupportData, spec: dict, arrays: dict[str, np.ndarray], meta: dict):
        self.cfg, self.support, self.spec, self.a, self.meta = cfg, support, spec, arrays, meta
        self.folder: Path | None = None
        self.threads: int | None = None
        self.stages = Stages()
        self._encoder = None
        self._index = None  # FAISS support index ('faiss' neighbours), built on first use
        self._fast_decoder = None  # the int8 decoder of the fast path (`load(fast=True)`)
        R = support.R
        self._known = (R > 0).astype(np.float32)
        self._kc = has_class(R).astype(np.float32)
        self._Yc = (R * self._kc).astype(np.float32)

    @classmethod
    def load(cls, folder: str | Path, fast: bool = False, threads: int | None = None) -> PortableModel:
        """fast: the folder's distilled SMILES encoder and int8 decoder (`llmpredgraph distil`);
        threads: ONNX Runtime's (default: every CPU this process may use)."""
        folder = Path(folder)
        meta, cfg, sup, support = read_model_folder(folder)
        spec = json.loads((folder / SPEC).read_text())
        with np.load(folder / ARRAYS) as z:
            arrays = {k: z[k] for k in z.files}
        pipe = cls(cfg, support, spec, arrays, meta)
        pipe.folder, pipe.threads = folder, threads
        pipe._x_support = sup["x_drug"]
        pipe._typical = sup["typical_assoc"] if "typical_assoc" in sup else None
        if fast:
            pipe._use_fast_path()
        pipe.drug_encoder()  # refuse a mismatched or missing encoder at load, before any work
        return pipe

    def _use_fast_path(self) -> None:
        from ..encoders.student import StudentEncoder, has_student
        from .fast_decoder import DECODER_FILE, FastDecoder

        if not (has_student(self.folder) and (self.folder / DECODER_FILE).is_file()):
            raise UserError(
                f"{self.folder} has no fast path (distilled encoder and int8 decoder)",
                f"add it with `llmpredgraph distil --model {self.folder}`, or leave out --fast",
            )
        student = StudentEncoder(self.folder)
        self._check_encoder(student.teacher)  # a student of the encoder this model was trained on
        self._encoder = student
        self._fast_decoder = FastDecoder(self.folder / DECODER_FILE, self.threads)

    # --- what the workflows call -----------------------------------------------------------------
    def typical_rates(self) -> np.ndarray:
        if self._typical is None:
            raise UserError("this model folder holds no typical rates", "retrain it with `llmpredgraph train`")
        return self._typical

    def complete(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Warm models: the completion of every benchmark drug, computed at export."""
        if "complete_assoc" not in self.a:
            raise UserError("this cold model scores new molecules, not known drugs", "pass a warm model")
        rows = slice(None) if rows is None else np.asarray(rows, dtype=np.int64)
        return {h: self.a[f"complete_{h}"][rows] for h in HEADS}

    def drug_similarity(self, d: int) -> np.ndarray:
        """Warm models: benchmark drug d's similarity to every drug (saved at export)."""
        return self.a["S_drug"][d]

    def drug_encoder(self):
        if self._encoder is None:
            d = self.cfg.encoders.drug
            if d.kind == "lm":
                from ..encoders.portable_lm import PortableSmilesEncoder

                self._encoder = PortableSmilesEncoder(self.folder, self.threads)
            else:
                from ..encoders.factory import build_drug_encoder

                self._encoder = build_drug_encoder(self.cfg.encoders)
            self._check_encoder(self._encoder.identity)
        return self._encoder

    def _check_encoder(self, identity: str) -> None:
        trained = (self.meta.get("encoders") or {}).get("drug")
        if trained and identity != trained:
            raise UserError(
                f"this model was trained with encoder {trained} but this setup gives {identity}",
                "install the same encoder model, or retrain with `llmpredgraph train`",
            )

    def predict_molecules(
        self, smiles: list[str], knowledge=None, texts=None, neighbours: str = "exact", standardised: bool = False
    ) -> dict[str, np.ndarray]:
        """Scores [m, n_se] of new molecules (`Pipeline.predict_molecules`; neighbours 'exact' or
        'faiss', the support index, for molecules without knowledge)."""
        return self.score_graph(self.molecule_graph(smiles, knowledge, texts, standardised, neighbours))

    @property
    def _weights(self) -> tuple[float, ...]:
        """The structure fingerprints' weights in the mean Tanimoto (`encoders.drug.structure`)."""
        return self.cfg.encoders.drug.structure_weights

    def molecule_graph(
        self, smiles: list[str], knowledge=None, texts=None, standardised: bool = False, neighbours: str = "exact"
    ) -> QueryGraph:
        """Standardise, encode and link new molecules to the support drugs (`Pipeline.molecule_graph`)."""
        if not self.cfg.protocol.holds_out_drugs:
            raise UserError(
                "this is a warm completion model: it scores benchmark drugs from their known side effects",
                "score new molecules with a cold model (`llmpredgraph train --config configs/cold.yaml`)",
            )
        with self.stages("standardise"):
            canon = list(smiles) if standardised else [_standard(s, i) for i, s in enumerate(smiles)]
        d = self.cfg.encoders.drug
        with self.stages("encode"):
            enc, fp_new = self.drug_encoder(), None
            # the student's Morgan counts give the neighbour bits too, when Morgan alone is the structure
            shared = hasattr(enc, "encode_with_bits") and d.structure == ["morgan"]
            if shared and (enc.radius, enc.bits) == (d.fp_radius, d.fp_bits):
                raw, fp_new = enc.encode_with_bits(canon)
            else:
                raw = enc.encode(canon)
            x_new = self._tower(raw)
        with self.stages("neighbours"):
            g, n = self.cfg.graph, self.support.n_drugs
            if g.knn_similarity == "embedding":
                fp_new = None
            elif fp_new is None:
                from ..encoders.fixed import structure_encoder

                fp_new = structure_encoder(d).encode(canon)
            atc, proteins = knowledge if knowledge is not None else ([[]] * len(canon), [[]] * len(canon))
            if neighbours == "faiss":
                if knowledge is not None:
                    raise UserError("FAISS neighbours compare on structure only", "use neighbours='exact'")
                S_rows = self._indexed_rows(x_new, fp_new)
            else:
                S_rows = self._similarity_rows(x_new, fp_new, atc, proteins)
            nbr = nbr_sim = None
            if self.spec["knn"]:  # the kNN edges' selection (`edges.knn_edges` over support and query rows)
                nbr, nbr_sim = top_k_rows(S_rows, min(g.drug_knn.k, n - 1))
        return QueryGraph(canon, x_new, S_rows, nbr, nbr_sim, fp_new, list(atc), list(proteins), n)

    def score_graph(self, qg: QueryGraph) -> dict[str, np.ndarray]:
        """Scores [m, n_se]: 'dsf' (class), 'dshf' and 'assoc' (probabilities)."""
        out, _ = self._decode(qg)
        return {"dsf": out["dsf"], "dshf": sigmoid(out["dshf"]), "assoc": sigmoid(out["assoc"])}

    def explain(self, qg: QueryGraph, se_idx: list) -> list[list[Explanation]]:
        """Per molecule i, the explanations of side effects se_idx[i] (`pipeline.explain`)."""
        out, pair = self._decode(qg)
        P = self.spec["propagation"]
        L = prior_votes(P, qg, kernel=self._assoc_kernel()) if P and P["offsets"] else None
        result = []
        for i, idx in enumerate(se_idx):
            know = similarity_channels(
                self.cfg.graph, self.support, qg.fingerprints, qg.atc[i], qg.proteins[i], i, self._weights
            )
            share = atc_share(self.support, qg.atc[i])
            w = L[i] if L is not None else np.zeros(qg.n_support)
            result.append([explanation(self.support, qg, out, pair, i, int(s), w, know, share) for s in idx])
        return result

    # --- the numpy forward -----------------------------------------------------------------------
    def _tower(self, raw: np.ndarray) -> np.ndarray:
        a = self.a
        x = (np.asarray(raw, dtype=np.float32) - a["tower_mean"]) / a["tower_std"]
        if self.spec["tower"] == "projection":
            x = gelu(x @ a["tower_w1"].T + a["tower_b1"]) @ a["tower_w2"].T + a["tower_b2"]
        return x.astype(np.float32)

    def _indexed_rows(self, x_new: np.ndarray, fp_new: np.ndarray | None) -> np.ndarray:
        """[m, n] the molecules' similarity to their indexed support neighbours, -inf elsewhere
        (`molecules.indexed_similarity`: as many as the kNN edges and the prior read)."""
        if self._index is None:
            from ..graph.neighbours import SupportIndex

            g = self.cfg.graph
            if g.knn_similarity == "combined" and g.knn_weights.structure <= 0:
                raise UserError(
                    "this model's similarity gives structure no weight, so a new molecule has no neighbours",
                    "score with neighbours='exact' or retrain with graph.knn_weights.structure > 0",
                )
            kind = "fingerprint" if g.knn_similarity == "combined" else g.knn_similarity
            self._index = SupportIndex(kind, self._x_support, self.support.fingerprints, weights=self._weights)
        n, m = self.support.n_drugs, len(x_new)
        P = self.spec["propagation"]
        k = neighbour_reach(n, self.cfg.graph.drug_knn.k, *((P["k"], P.get("assoc_k")) if P else ()))
        S = np.full((m, n), -np.inf, dtype=np.float32)
        sim, idx = self._index.search(x_new, fp_new, k)
        S[np.arange(m)[:, None], idx] = sim
        return S

    def _similarity_rows(self, x_new: np.ndarray, fp_new: np.ndarray | None, atc, proteins) -> np.ndarray:
        """[m, n] the new rows of `similarity_of` over the support drugs and the molecules, computed
        alone (Tanimoto and Jaccard from exact counts: the same values as the whole matrix's rows)."""
        g, sup = self.cfg.graph, self.support
        T = tanimoto_between(fp_new, sup.fingerprints, self._weights) if fp_new is not None else None
        if g.knn_similarity == "combined":
            weights = g.knn_weights.model_dump()
            if all(not w for c, w in weights.items() if c != "structure"):
                return T
            if sup.knowledge is None:
                return similarity_of(g, None, T, None)  # its one-line error
            return sup.knowledge.similarity_rows(T, weights, atc, proteins)
        if g.knn_similarity == "fingerprint":
            return T
        unit = lambda x: x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)  # noqa: E731
        cos = (unit(x_new) @ unit(self._x_support).T).astype(np.float32)
        return cos if g.knn_similarity == "embedding" else (cos + T) / 2

    def _node_vectors(self, qg: QueryGraph) -> np.ndarray:
        """[m, hidden] the molecules' vectors after message passing (see the module docstring)."""
        a = self.a
        h = layer_norm(qg.x @ a["in_w"].T + a["in_b"], a["in_ln_w"], a["in_ln_b"])
        for layer in range(self.spec["layers"]):
            p = f"mp{layer}_"
            m = np.zeros_like(h)
            for rel in self.spec["drug_relations"]:  # every relation into drugs: SAGE with the root term
                agg = a[f"{p}h_support"][qg.nbr].mean(1) if rel == "similar" else 0.0
                m = m + (agg @ a[f"{p}{rel}_wl"].T if rel == "similar" else 0.0) + a[f"{p}{rel}_bl"]
                m = m + h @ a[f"{p}{rel}_wr"].T
            h = layer_norm(h + relu(m), a[f"{p}ln_w"], a[f"{p}ln_b"])
        return h.astype(np.float32)

    def _assoc_kernel(self) -> tuple[int | None, float] | None:
        """(k, power) of the association share's own kernel, as `LabelPropagation.assoc_kernel`; None:
        the shared one, no share, or an older folder (it has neither key)."""
        P = self.spec["propagation"]
        if not P or not P["assoc_share"]:
            return None
        return own_assoc_kernel(P["k"], P["power"], P.get("assoc_k"), P.get("assoc_power"))

    def _pair(self, qg: QueryGraph) -> dict[str, np.ndarray]:
        """Label propagation's pair features of every (molecule, side effect), each [m, n_se]:
        the named columns, then the priors (`LabelPropagation.forward` for rows without labels)."""
        P = self.spec["propagation"]
        known, kc, Yc = self._known, self._kc, self._Yc
        n_se = known.shape[1]
        m = len(qg.smiles)
        pop = known.sum(0) / max(qg.n_support, 1)
        se_mean = Yc.sum(0) / np.maximum(kc.sum(0), 1)
        if qg.nbr is not None:
            A = np.exp((qg.nbr_sim - qg.nbr_sim.max(1, keepdims=True)) / P["temperature"])
            A = A / A.sum(1, keepdims=True)  # softmax(sim / temperature) over the kNN edges
            has, has_c, cls = (np.einsum("mk,mks->ms", A, M[qg.nbr]) for M in (known, kc, Yc))
        else:
            has = has_c = cls = np.zeros((m, n_se), dtype=np.float32)
        nb_mean = np.where(has_c > 0, cls / np.maximum(has_c, 1e-6), se_mean)
        out = {"neighbour_share": has, "neighbour_class": centre(nb_mean)}
        prior, pop_col, high = np.broadcast_to(se_mean, (m, n_se)), np.broadcast_to(pop, (m, n_se)), None
        if P["offsets"]:
            L = prior_votes(P, qg)
            with_class = kc.sum(1) > 0
            Lf = L if L is None or with_class.all() else prior_votes(P, qg, with_class)
            prior, nb_off, res = offset_prior(self.a, "fit", Lf, m, kc, P["resid_shrink"])
            high, _, _ = offset_prior(self.a, "high", Lf, m, kc, P["resid_shrink"])
            out["neighbour_offset"] = np.broadcast_to(scale_offset(nb_off)[:, None], (m, n_se))
            out["neighbour_residual"] = scale_offset(res)
            high = np.clip(high, 0.0, 1.0)
            if P["assoc_share"] and L is not None:
                if (kernel := self._assoc_kernel()) is not None:
                    L = prior_votes(P, qg, kernel=kernel)
                voted = L.sum(1) > 0
                pop_col = np.where(voted[:, None], L @ known, pop)
            else:
                cnt = known.sum(1)
                mean_cnt = max(cnt.mean(), 1.0) if len(cnt) else 1.0
                deg = L @ cnt if L is not None else np.full(m, mean_cnt)
                pop_col = np.clip(pop * deg[:, None] / mean_cnt, 0.0, 1.0)
            prior = np.clip(prior, float(MIN_CLASS), float(MAX_CLASS))
        if high is not None:
            out["dshf_prior"] = high
        out["assoc_prior"], out["dsf_prior"] = pop_col, centre(prior)
        return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}

    def _decode(self, qg: QueryGraph, block_pairs: int = 8192) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """({'dsf' class, 'dshf' logit, 'assoc' logit} each [m, n_se], the pair features) of every
        (molecule, side effect): `EdgeDecoder.learned_rows` then `combine`."""
        a, spec = self.a, self.spec
        with self.stages("graph"):
            h = self._node_vectors(qg)
            pair = self._pair(qg) if spec["propagation"] else {}
        with self.stages("decode"):
            h_se, nd = a["h_se"], h.shape[1]
            W1 = a["dec_w1"]
            Wd, Ws, Wx, Wp = W1[:, :nd], W1[:, nd : 2 * nd], W1[:, 2 * nd : 3 * nd], W1[:, 3 * nd :]
            se_part = h_se @ Ws.T  # [n_se, hidden], once per call
            cols = [pair[c] for c in spec["pair_columns"]]
            P = np.stack(cols, axis=2) if cols else None  # [m, n_se, pair_dim]
            s = len(h_se)
            if self._fast_decoder is not None and P is not None:
                return self._combine(self._fast_decoder(h, P), pair), pair
            z = np.empty((len(h), s, 3), dtype=np.float32)
            block = max(1, block_pairs // s)  # molecules per block (pairs per block: block_pairs)
            for i in range(0, len(h), block):
                hd = h[i : i + block]
                pre = ((hd[:, None, :] * h_se[None]).reshape(-1, nd) @ Wx.T).reshape(len(hd), s, -1)  # one GEMM
                pre += (hd @ Wd.T + a["dec_b1"])[:, None, :] + se_part[None]
                if P is not None:
                    pre += P[i : i + block] @ Wp.T
                x = relu(relu(pre) @ a["dec_w2"].T + a["dec_b2"])
                z[i : i + block] = x @ a["dec_wh"].T + a["dec_bh"]
            return self._combine(z, pair), pair

    def _combine(self, z: np.ndarray, pair: dict) -> dict[str, np.ndarray]:
        """`EdgeDecoder.combine` on whole rows z [m, n_se, 3]."""
        a, spec = self.a, self.spec
        centre_, c = a["dec_centre"], a["dec_correction"]
        if centre_.any():
            z = z - centre_ * z.mean(1, keepdims=True)
        dsf_z, dshf_z, assoc_z = z[..., 0], z[..., 1], z[..., 2]
        if spec["prior"] and "dsf_prior" in pair:
            dsf_z = c[0] * dsf_z + logit(np.clip(to_unit(uncentre(pair["dsf_prior"])), 0.02, 0.98))
        if spec["high_prior"] and "dshf_prior" in pair:
            dshf_z = c[1] * dshf_z + logit(np.clip(pair["dshf_prior"], 0.02, 0.98))
        if spec["prior"] and "assoc_prior" in pair:
            assoc_z = c[2] * assoc_z + logit(np.clip(pair["assoc_prior"], 1e-3, 1 - 1e-3))
        return {"dsf": from_unit(sigmoid(dsf_z)), "dshf": dshf_z, "assoc": assoc_z}


def _standard(smiles: str, i: int) -> str:
    try:
        return standard_smiles(smiles)
    except ValueError as e:
        raise UserError(f"{e} for molecule {i + 1}", "check the SMILES string") from None
