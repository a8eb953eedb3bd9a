"""Probe: which structure kernel should the association neighbour share vote with? Morgan Tanimoto
(today's) against other RDKit fingerprints, the SMILES-LM cosine, and means of them, on validation
drugs of repeat-0 cold folds (test drugs never read). A one-off probe kept beside its result.

    .venv/bin/python docs/results/learned_parts/fingerprint_probe.py smiles    # configs/cold_smiles.yaml
    .venv/bin/python docs/results/learned_parts/fingerprint_probe.py combined  # configs/cold.yaml
    .venv/bin/python docs/results/learned_parts/fingerprint_probe.py frequency # cold_smiles, DSF / DSHF

smiles: the kernel alone (the SMILES-only tier); combined: the kernel as the structure channel of the
combined similarity, ATC weight 1 and target weight 0.5 fixed (the knobs the runs choose most).
Share: sum_f w(q, f) K[f] / sum_f w(q, f), w = S(q, f) ** p over the k most similar fit drugs
(k 0 = all), K the fit drugs' mention labels. Each kernel is read at the (p, k) with the best mean
per-drug AUROC over the folds' validation drugs, the same rule for every kernel.
frequency: the SMILES-only tier's frequency priors (`knn_offset`'s DSF and DSHF over its knob grid
in configs/cold_smiles.yaml), Morgan against the best association kernel, read at the knobs with
the best mean DSF SCC over the folds' validation drugs.
"""

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
from rdkit import Chem, RDLogger  # noqa: E402
from rdkit.Chem import MACCSkeys  # noqa: E402
from rdkit.Chem import rdFingerprintGenerator as G  # noqa: E402

from llmpredgraph.config import load_config  # noqa: E402
from llmpredgraph.data import load_benchmark  # noqa: E402
from llmpredgraph.frequency import MAX_CLASS  # noqa: E402
from llmpredgraph.graph.similarity import cosine_matrix, tanimoto_matrix  # noqa: E402
from llmpredgraph.metrics.functions import ranking_metrics  # noqa: E402
from llmpredgraph.pipeline.features import load_inputs  # noqa: E402
from llmpredgraph.pipeline.knowledge import weighted_similarity  # noqa: E402
from llmpredgraph.protocols.cold import ColdProtocol  # noqa: E402

RDLogger.DisableLog("rdApp.*")
mode = sys.argv[1] if len(sys.argv) > 1 else "smiles"
cfg = load_config("configs/cold.yaml" if mode == "combined" else "configs/cold_smiles.yaml")
bench = load_benchmark(labels=cfg.labels)
inputs = load_inputs(bench, cfg, progress=False)
proto = ColdProtocol(bench, cfg)
folds = proto.folds()[:10]  # repeat 0
mols = [Chem.MolFromSmiles(s) if isinstance(s, str) else None for s in bench.smiles]
gens = {
    "fcfp4": G.GetMorganGenerator(radius=2, fpSize=2048, atomInvariantsGenerator=G.GetMorganFeatureAtomInvGen()),
    "atom pair": G.GetAtomPairGenerator(fpSize=2048),
    "torsion": G.GetTopologicalTorsionGenerator(fpSize=2048),
    "rdkit path 5": G.GetRDKitFPGenerator(fpSize=2048, maxPath=5),
}


def bits(fn, n):
    M = np.zeros((len(mols), n), np.float32)
    for i, m in enumerate(mols):
        if m is not None:
            M[i, list(fn(m).GetOnBits())] = 1
    return M


FP = {"morgan": (inputs.fingerprints > 0).astype(np.float32)}
FP.update({k: bits(g.GetFingerprint, 2048) for k, g in gens.items()})
FP["maccs"] = bits(MACCSkeys.GenMACCSKeys, 167)
print("mean bits set:", {k: round(float(v.sum(1).mean()), 1) for k, v in FP.items()}, flush=True)
S = {k: tanimoto_matrix(v) for k, v in FP.items()}
S["lm cosine"] = np.clip(cosine_matrix(inputs.X_drug), 0, 1)
for k in ("fcfp4", "atom pair", "torsion", "lm cosine"):
    S[f"mean(morgan, {k})"] = (S["morgan"] + S[k]) / 2
S["mean(morgan, atom pair, fcfp4)"] = (S["morgan"] + S["atom pair"] + S["fcfp4"]) / 3
S["concat(morgan, atom pair, fcfp4)"] = tanimoto_matrix(np.concatenate([FP["morgan"], FP["atom pair"], FP["fcfp4"]], 1))
powers = (2.0, 3.0, 4.0, 5.0)
if mode == "combined":
    keep = ("morgan", "mean(morgan, fcfp4)", "mean(morgan, atom pair)", "mean(morgan, atom pair, fcfp4)")
    w = {"structure": 1.0, "atc": 1.0, "target": 0.5}
    S = {k: weighted_similarity(S[k], inputs.knowledge, w) for k in keep}
    powers = (1.0, 2.0, 3.0)
if mode == "frequency":
    import itertools

    from llmpredgraph.baselines import knn_offset
    from llmpredgraph.metrics.functions import selection_metrics

    S = {k: S[k] for k in ("morgan", "mean(morgan, atom pair, fcfp4)")}
    grid = list(itertools.product((10, 20, 40, 0), (1.0, 2.0), (5.0, 20.0), (1.0, 5.0)))  # k, power, lam, shrink
    out = {}
    for fi, fold in enumerate(folds):
        sp = proto.split(fold)
        for name, Sm in S.items():
            cache = {}
            for k, p, lam, shrink in grid:
                pred = knn_offset(sp.R_fit, sp.fit, sp.val, Sm, k=k, power=p, lam=lam, shrink=shrink, cache=cache)
                m = selection_metrics(pred, sp.R_train[sp.val])
                out.setdefault((name, k, p, lam, shrink), []).append([m["dsf_scc"], m["dshf_auroc"]])
        print(f"fold {fi} done", flush=True)
    best = {n: max((key for key in out if key[0] == n), key=lambda key: np.mean(out[key], 0)[0]) for n in S}
    base = np.array(out[best["morgan"]])
    print("\n### frequency (SMILES only; 10 folds' validation drugs; Δ vs morgan)\n")
    print("| kernel | k, power, lam, shrink | DSF SCC | HF-AUROC | Δ SCC | folds ahead | Δ HF-AUROC |")
    print("|---|---|---|---|---|---|---|")
    for n, key in best.items():
        a = np.array(out[key])
        d = a - base
        knobs = ", ".join(f"{x:g}" for x in key[1:])
        ahead = f"{int((d[:, 0] > 0).sum())}/10"
        row = [f"{a[:, 0].mean():.4f}", f"{a[:, 1].mean():.4f}", f"{d[:, 0].mean():+.4f}", ahead]
        print(f"| {n} | {knobs} | " + " | ".join([*row, f"{d[:, 1].mean():+.4f}"]) + " |")
    sys.exit(0)


def share(Sm, q, f, K_f, power, k):
    W = np.clip(Sm[np.ix_(q, f)], 1e-6, None) ** power
    if k:
        W = np.where(W >= -np.partition(-W, k - 1, axis=1)[:, k - 1 : k], W, 0)
    return W @ K_f / W.sum(1, keepdims=True)


res = {}
for fi, fold in enumerate(folds):
    sp = proto.split(fold)
    fit, val = sp.fit, sp.val
    Kf = (sp.R_fit[fit] > 0).astype(np.float32)  # mention labels; validation and test rows hidden
    pop = Kf.mean(0)
    Rv = sp.R_train[val]  # the validation drugs are training drugs: their rows are seen here
    truths = {"R > 0": np.where(Rv <= MAX_CLASS, Rv, 0), "mentions": Rv}
    for name, Sm in S.items():
        for p in powers:
            for k in (0, 80, 160):
                P = share(Sm, val, fit, Kf, p, k)
                for tn, T in truths.items():
                    m = ranking_metrics(P, T, pop)
                    row = [m["assoc_auroc_per_drug"], m["assoc_auroc_strat"], m["assoc_precision_at_10"]]
                    res.setdefault((name, p, k, tn), []).append(row)
    print(f"fold {fi} done", flush=True)

for tn in ("R > 0", "mentions"):
    best = {}
    for (name, p, k, t), v in res.items():
        if t == tn and (name not in best or np.mean(v, 0)[0] > np.mean(res[(name, *best[name], t)], 0)[0]):
            best[name] = (p, k)
    base = np.array(res[("morgan", *best["morgan"], tn)])
    print(f"\n### {mode}, truth {tn} (10 folds' validation drugs; Δ vs morgan, folds ahead on per drug)\n")
    print("| kernel | p, k | per drug | stratified | P@10 | Δ per drug | folds ahead | Δ stratified | Δ P@10 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (p, k) in sorted(best.items(), key=lambda kv: -np.mean(res[(kv[0], *kv[1], tn)], 0)[0]):
        a = np.array(res[(name, p, k, tn)])
        m, d = a.mean(0), (a - base).mean(0)
        up = int(((a - base)[:, 0] > 0).sum())
        cells = [f"{p:g}, {k}", *(f"{x:.4f}" for x in m), f"{d[0]:+.4f}", f"{up}/10", f"{d[1]:+.4f}", f"{d[2]:+.4f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
