"""New molecules: standardised, embedded, linked to the support drugs (densely or through the FAISS
index) and decoded row by row through the factorised decoder. `predict` and `screen` both come here.
Each function takes the fitted `Pipeline` as `pipe` (not imported here: the pipeline imports this)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..data.structures import standard_smiles
from ..errors import UserError
from ..graph.build import GraphBuilder
from ..graph.edges import cooc_edges
from ..graph.similarity import neighbour_reach, tanimoto_between, tanimoto_matrix


@dataclass
class MoleculeGraph:
    """New molecules appended after the n support drugs: what scoring and explaining both read.
    smiles: [m] standardised; S: [n + m, n + m] the similarity the builder links by (the new rows
    hold their similarity to the support drugs); fingerprints: [m, bits] or None (embedding
    similarity); atc / proteins: per molecule its knowledge ([] = none)."""

    smiles: list[str]
    builder: GraphBuilder
    S: np.ndarray
    fingerprints: np.ndarray | None
    atc: list[list[str]]
    proteins: list[list[str]]
    n_support: int

    @property
    def query(self) -> np.ndarray:
        return np.arange(self.n_support, self.n_support + len(self.smiles))


def molecule_graph(
    pipe,
    smiles: list[str],
    knowledge: tuple[list[list[str]], list[list[str]]] | None = None,
    texts: list[str] | None = None,
    neighbours: str = "exact",
    standardised: bool = False,
) -> MoleculeGraph:
    """Standardise, encode and link new molecules to the support drugs (arguments as
    `Pipeline.predict_molecules`); each step timed in `pipe.stages`."""
    if not pipe.cfg.protocol.holds_out_drugs:
        raise UserError(
            "this is a warm completion model: it scores benchmark drugs from their known side effects",
            "score new molecules with a cold model (`llmpredgraph train --config configs/cold.yaml`)",
        )
    lm = pipe.features.tower.kind == "lm"
    if pipe.cfg.encoders.drug.add_text and (texts is None or lm):
        raise UserError(
            "this model's drug vectors include drug text (encoders.drug.add_text)"
            + (" and a tuned LM, which cannot take it for a new molecule" if lm else ", which was not given"),
            "pass the molecule's name, --description and --atc (predict builds its text)"
            if not lm
            else "score new molecules with a model trained with add_text: false",
        )
    with pipe.stages("standardise"):
        canon = list(smiles) if standardised else [_standard(s, i) for i, s in enumerate(smiles)]
    with pipe.stages("encode"):
        enc = pipe.drug_encoder()
        raw = None if lm else enc.encode(canon)
        if pipe.cfg.encoders.drug.add_text:
            raw = np.concatenate([raw, pipe.text_encoder().encode(list(texts))], axis=1)
        x_new = pipe.features.tower.transform(raw, canon, enc)
    with pipe.stages("neighbours"):  # fingerprints, similarity to the support drugs, the graph builder
        n, sup = pipe.support.n_drugs, pipe.support
        x_all = np.concatenate([pipe.features.x_drug, x_new]).astype(np.float32)
        fp_new = None
        if pipe.cfg.graph.knn_similarity != "embedding":
            from ..encoders.fixed import structure_encoder

            fp_new = structure_encoder(pipe.cfg.encoders.drug).encode(canon)
        atc, proteins = knowledge if knowledge is not None else ([[]] * len(canon), [[]] * len(canon))
        if neighbours == "faiss":
            if knowledge is not None:
                raise UserError("FAISS neighbours compare on structure only", "use neighbours='exact' with knowledge")
            S = indexed_similarity(pipe, x_new, fp_new)
        else:
            fp = sup.fingerprints if fp_new is None else np.concatenate([sup.fingerprints, fp_new])
            know = sup.knowledge.extend(atc, proteins) if sup.knowledge else None
            S = pipe.similarity(x_all, fp, know, None if fp_new is None else molecule_tanimoto(pipe, fp_new))
        R_all = np.concatenate([sup.R, np.zeros((len(canon), sup.n_side_effects), dtype=sup.R.dtype)])
        kg = pipe.kgraph.extend(atc, proteins) if pipe.kgraph else None
        builder = pipe.graph_builder(x_all, S, R_all, kg, support_cooc(pipe))  # R_all[:n] is the support's R
        builder.stable_ties = True
    return MoleculeGraph(canon, builder, S, fp_new, list(atc), list(proteins), n)


def support_cooc(pipe) -> tuple[np.ndarray, torch.Tensor] | None:
    """(every support drug, their side-effect co-occurrence edges), computed once per loaded model:
    the part of a new molecule's graph that does not depend on the molecule."""
    if not pipe.cfg.graph.se_cooc.enabled:
        return None
    if pipe._cooc is None:
        support = np.arange(pipe.support.n_drugs)
        pipe._cooc = (support, cooc_edges(pipe.support.R, support, pipe.cfg.graph.se_cooc.k))
    return pipe._cooc


def molecule_tanimoto(pipe, fp_new: np.ndarray) -> np.ndarray:
    """[n + m, n + m] Tanimoto of the support drugs and m new fingerprints [m, bits]: the support
    block computed once per loaded model, the new rows now; equal to `tanimoto_matrix` of the stacked
    fingerprints (bit counts are exact in float32, so the order of the products does not matter)."""
    weights = pipe.cfg.encoders.drug.structure_weights
    if pipe._support_tanimoto is None:
        pipe._support_tanimoto = tanimoto_matrix(pipe.support.fingerprints, weights)
    n, m = pipe.support.n_drugs, len(fp_new)
    rows = tanimoto_between(fp_new, np.concatenate([pipe.support.fingerprints, fp_new]), weights)
    T = np.empty((n + m, n + m), dtype=np.float32)
    T[:n, :n], T[n:], T[:n, n:] = pipe._support_tanimoto, rows, rows[:, :n].T
    return T


def _standard(smiles: str, i: int) -> str:
    try:
        return standard_smiles(smiles)
    except ValueError as e:
        raise UserError(f"{e} for molecule {i + 1}", "check the SMILES string") from None


def indexed_similarity(pipe, x_new: np.ndarray, fp_new: np.ndarray | None) -> np.ndarray:
    """[n + m, n + m]: the support block as trained, each new molecule's row holding only its
    indexed neighbours (-inf elsewhere): the kNN edges' k, or more when label propagation's prior
    reads more (model.prior.k and assoc_k; 0 = every support drug), which is all the graph reads."""
    n, m = pipe.support.n_drugs, len(x_new)
    lp = pipe.model.propagation
    k = neighbour_reach(n, pipe.cfg.graph.drug_knn.k, *((lp.k, lp.assoc_k) if lp is not None else ()))
    S = np.full((n + m, n + m), -np.inf, dtype=np.float32)
    S[:n, :n] = pipe.features.S_drug
    sim, idx = pipe.support_index().search(x_new, fp_new, k)
    S[n + np.arange(m)[:, None], idx] = sim
    return S


@torch.no_grad()
def decode_rows(
    pipe,
    support: np.ndarray,
    query: np.ndarray,
    rows: np.ndarray,
    builder: GraphBuilder | None = None,
    chunk: int = 200_000,
    R: np.ndarray | None = None,
    model=None,
) -> dict[str, np.ndarray]:
    """`predict_pairs` of whole rows through the decoder's factorised first layer (`learned_rows`):
    the same scores to float tolerance, without building each pair's input vector. R, model: as
    `predict_pairs` (the labels the graph shows; the link model, default the pipeline's)."""
    n_se, model = pipe.support.n_side_effects, pipe.model if model is None else model
    with pipe.stages("graph"):
        d, s = np.repeat(rows, n_se), np.tile(np.arange(n_se), len(rows))
        h, pair, d, _ = pipe.graph_pass(support, query, d, s, R, builder, model)
    r = d[::n_se]  # the rows' drugs, as a tensor on the model's device
    step = max(1, 8192 // n_se)  # drugs per decoded block: small blocks stay in cache (5x faster than 200k pairs)
    with pipe.stages("decode"):
        z = [
            model.decoder.learned_rows(
                h["drug"][r[i : i + step]],
                h["side_effect"],
                pair.rows(slice(i * n_se, (i + step) * n_se)) if pair is not None else None,
            )
            for i in range(0, len(r), step)
        ]
        return pipe.scores_from(torch.cat(z) if z else torch.zeros(0, 3, device=d.device), d, pair, chunk, model)
