"""`distil`: add a fast screening path to a cold model folder, and measure what it costs.

1. Corpus molecules (MOSES by default; no labels) are encoded by the folder's SMILES LM, the teacher.
2. A student MLP learns those vectors from Morgan counts (`pretraining.student`), and is saved.
3. The decoder is quantised to int8, calibrated on corpus molecules' decoder inputs (`fast_decoder`).
4. Fidelity, on `check` corpus molecules the student never saw (MOSES's first 1,000, issue 33's
   check set): per molecule, the Spearman correlation of the fast path's scores with the float path's
   over every side effect; the same for the student alone and for the mean LM vector (what any
   encoder must beat to have a say); and how much of the LM's own contribution (its score minus the
   mean vector's) the student reproduces. Written to `fast_path.json` in the folder.
"""

from __future__ import annotations

import numpy as np

from ..atomic import write_json
from ..encoders.student import STUDENT_SPEC
from ..errors import UserError
from ..paths import students_dir
from ..pipeline.fast_path import FixedVectors, add_fast_path
from ..pipeline.portable import PortableModel

REPORT = "fast_path.json"


def _row_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, the Spearman correlation of a[i] and b[i] (average ranks for ties)."""
    from scipy.stats import rankdata

    ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
    ra, rb = ra - ra.mean(1, keepdims=True), rb - rb.mean(1, keepdims=True)
    den = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    return np.where(den > 0, (ra * rb).sum(1) / np.maximum(den, 1e-12), 1.0)


def _summary(rho: np.ndarray) -> dict:
    return {
        "mean": round(float(rho.mean()), 5),
        "p5": round(float(np.percentile(rho, 5)), 5),
        "min": round(float(rho.min()), 5),
    }


def distil_model(
    model_dir,
    corpora: tuple[str, ...] = ("moses",),
    n: int = 40_000,
    check: int = 1000,
    hidden: int = 1024,
    epochs: int = 30,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Fit and save the student and the int8 decoder into `model_dir`; returns the fidelity report.
    The check set is the first `check` molecules of corpora[0]; the student trains on the next `n`
    of it and on up to `n` of every other corpus, never on a check molecule. A student fitted before
    with the same teacher, settings and molecules (by `distil` or an experiment's fast_path) is
    reused from the cache."""
    from ..pretraining.student import distil_corpus

    pipe = PortableModel.load(model_dir)
    folder = pipe.folder
    if not pipe.cfg.protocol.holds_out_drugs:
        raise UserError("a warm model scores no new molecules, so it has nothing to screen", "distil a cold model")
    if not pipe.spec.get("pair_columns"):
        raise UserError("this model's decoder reads no pair features; its fast path is not built", "retrain it")
    teacher, d = pipe.drug_encoder(), pipe.cfg.encoders.drug
    # the model's own fingerprint, so the student's counts double as its neighbour bits
    identity = (pipe.meta.get("encoders") or {}).get("drug") or teacher.identity
    distilled = distil_corpus(
        teacher, identity, d.fp_radius, d.fp_bits, corpora, n, check, hidden, epochs, seed, progress, students_dir()
    )
    add_fast_path(folder, distilled)
    fid = fidelity(folder, distilled.check, distilled.teacher_check, distilled.teacher_mean)
    report = {"settings": distilled.spec, "fidelity": fid}
    write_json(folder / STUDENT_SPEC, distilled.spec | {"fidelity": fid})
    write_json(folder / REPORT, report)
    return report


def fidelity(folder, smiles: list[str], Y_teacher: np.ndarray, mean_vector: np.ndarray) -> dict:
    """The fast path against the float path on `smiles` (see the module docstring)."""
    exact, fast = PortableModel.load(folder), PortableModel.load(folder, fast=True)

    def scores(p, encoder=None):
        if encoder is not None:
            p._encoder = encoder
        return p.predict_molecules(smiles, neighbours="faiss", standardised=True)

    ref, got = scores(exact), scores(fast)
    student = fast.drug_encoder()  # the fast path's StudentEncoder
    student_only = scores(PortableModel.load(folder), student)
    mean_only = scores(PortableModel.load(folder), FixedVectors(np.broadcast_to(mean_vector, Y_teacher.shape)))
    S = student.encode(smiles)
    cos = (S * Y_teacher).sum(1) / np.maximum(np.linalg.norm(S, axis=1) * np.linalg.norm(Y_teacher, axis=1), 1e-12)
    r2 = 1 - ((S - Y_teacher) ** 2).sum() / ((Y_teacher - Y_teacher.mean(0)) ** 2).sum()
    out = {"molecules": len(smiles), "student_vector_cosine": _summary(cos), "student_vector_r2": round(float(r2), 4)}
    for head in ("assoc", "dsf"):
        out[head] = {
            "fast_path_spearman": _summary(_row_spearman(got[head], ref[head])),
            "student_only_spearman": _summary(_row_spearman(student_only[head], ref[head])),
            "mean_vector_spearman": _summary(_row_spearman(mean_only[head], ref[head])),
            "lm_contribution_spearman": _summary(
                _row_spearman(student_only[head] - mean_only[head], ref[head] - mean_only[head])
            ),
            "fast_path_max_abs_difference": round(float(np.abs(got[head] - ref[head]).max()), 5),
        }
    return out
