"""`screen --fast`'s path built into a model folder, and run on a cold fold's test drugs.

`add_fast_path` writes a distilled SMILES encoder (`pretraining.student.Distilled`) and the int8
decoder into a model folder; `llmpredgraph distil` calls it for a trained model, and an experiment
with `fast_path.enabled` calls `fold_fast_scores` on every fold, so that the fast path's quality is
measured on the same folds and targets as the float model (method graph_fast):

    fold model, support = the fold's training drugs  ->  model folder (the one `train` would save)
    + student + int8 decoder (calibrated on corpus molecules)  ->  PortableModel(fast=True)
    test drugs scored as new molecules, with their ATC classes and targets (what `predict` passes)

The same folder's float path, fed the drugs' own LM vectors, must give the torch fold's scores
under the folder's rule for prior voters tied in similarity (support order; the fold's own scores
keep topk's pick): the plumbing check `fold_fast_scores` reports. The fast path differs from it
only by the student's vectors and the int8 decoder.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..encoders.student import StudentEncoder, save_student
from .fast_decoder import DECODER_FILE, quantise_decoder
from .knowledge import DrugKnowledge
from .portable import HEADS, PortableModel

CALIBRATION = 600  # student-training molecules whose decoder inputs calibrate the int8 scales


class FixedVectors:
    """An encoder that returns given vectors, in order (a drug's own LM vectors; the mean vector)."""

    def __init__(self, vectors: np.ndarray):
        self.vectors = vectors

    def encode(self, smiles: list[str], progress: bool = False) -> np.ndarray:
        return self.vectors[: len(smiles)]


def add_fast_path(folder: str | Path, distilled, threads: int | None = None) -> None:
    """Save `distilled`'s student into the model folder and quantise its decoder, calibrated on the
    decoder inputs the fast path gives the first CALIBRATION training molecules."""
    folder = Path(folder)
    save_student(folder, distilled.weights, distilled.spec)
    pipe = PortableModel.load(folder, threads=threads)
    pipe._encoder = StudentEncoder(folder)  # the float decoder's inputs as the fast path will feed them
    qg = pipe.molecule_graph(distilled.train[:CALIBRATION], standardised=True, neighbours="faiss")
    pair = pipe._pair(qg)
    P = np.stack([pair[c] for c in pipe.spec["pair_columns"]], axis=2)
    quantise_decoder(pipe.a, pipe._node_vectors(qg), P, folder / DECODER_FILE)


def support_only(pipe, rows: np.ndarray, R: np.ndarray):
    """The fitted `pipe` with support drugs `rows` only, labelled R[rows]: what a cold fold's
    training drugs would save as a model folder, so that its test drugs (left out here) are scored
    as new molecules. The weights are shared, not copied."""
    from .fitted import Pipeline

    rows = np.asarray(rows, dtype=np.int64)
    f, s = pipe.features, pipe.support
    feats = replace(f, x_drug=f.x_drug[rows], S_drug=f.S_drug[np.ix_(rows, rows)], raw_drug=None)
    names = [s.drug_names[i] for i in rows]
    kept = set(names)
    k = s.knowledge
    sup = replace(
        s,
        R=R[rows],
        fingerprints=s.fingerprints[rows],
        drug_names=names,
        drug_smiles=[s.drug_smiles[i] for i in rows],
        knowledge=DrugKnowledge([k.atc[i] for i in rows], [k.proteins[i] for i in rows]) if k else None,
        label_frequencies=[r for r in s.label_frequencies if r[0] in kept] if s.label_frequencies else None,
    )
    view = Pipeline(pipe.cfg, feats, sup, model=pipe.model)
    view.history, view.meta = pipe.history, dict(pipe.meta)
    return view


def fold_fast_scores(
    pipe,
    support: np.ndarray,
    R: np.ndarray,
    smiles: list[str],
    knowledge,
    distilled,
    raw: np.ndarray,
    reference: dict[str, np.ndarray],
    threads: int | None = 1,
) -> tuple[dict[str, np.ndarray], dict]:
    """The fast path's scores [len(smiles), n_se] of a fold's test drugs, and a record: the largest
    difference between this folder's float path (fed `raw`, the drugs' own LM vectors) and `reference`
    (the torch fold's scores, ties among prior voters broken by support order), which must be float
    noise, and the fast path's own difference from it.
    support, R: the fold's training drugs and the labels test time shows; knowledge: the test drugs'
    (ATC classes, 'category:uniprot' entries) or None."""
    view = support_only(pipe, support, R)
    with tempfile.TemporaryDirectory(prefix="fastpath-") as tmp:
        folder = Path(tmp) / "model"
        view.save(folder)
        add_fast_path(folder, distilled, threads)
        exact = PortableModel.load(folder, threads=threads)
        exact._encoder = FixedVectors(raw)
        ref = exact.predict_molecules(smiles, knowledge, standardised=True)
        fast = PortableModel.load(folder, fast=True, threads=threads)
        got = fast.predict_molecules(smiles, knowledge, standardised=True)
    record = {
        "portable_vs_torch_max_abs": {h: float(np.abs(ref[h] - reference[h]).max()) for h in HEADS},
        "fast_vs_float_max_abs": {h: float(np.abs(got[h] - ref[h]).max()) for h in HEADS},
    }
    return got, record
