"""No test-drug label can reach pairs, edges, neighbours, features or statistics."""

import numpy as np
import torch

from llmpredgraph.config import Config, GraphCfg
from llmpredgraph.contrastive.pairs import build_pairs
from llmpredgraph.contrastive.stage import run_contrastive
from llmpredgraph.graph.build import HAS, SIMILAR, GraphBuilder
from llmpredgraph.graph.edges import hierarchy_edges, knn_edges
from llmpredgraph.graph.label_propagation import LabelPropagation
from llmpredgraph.pipeline.features import Inputs, fit_features
from llmpredgraph.protocols.splits import carve_validation, cold_folds

KINDS = ["drug_drug", "se_se", "drug_se"]


def _scrambled(R, rows, seed=1):
    """Same matrix with the given rows replaced by random labels."""
    R2 = R.copy()
    rng = np.random.default_rng(seed)
    R2[rows] = rng.integers(0, 6, size=(len(rows), R.shape[1]))
    return R2


def test_pairs_never_touch_test_rows(bench):
    train, test = cold_folds(bench.n_drugs, 4, 0)[0]
    a = build_pairs(bench.R, train, KINDS, 6, seed=3)
    b = build_pairs(_scrambled(bench.R, test), train, KINDS, 6, seed=3)
    for pa, pb in zip(a, b):
        for field in ("a", "b", "score", "positive"):
            np.testing.assert_array_equal(getattr(pa, field), getattr(pb, field))
    for ps in a:
        if ps.kind == "drug_drug":
            assert set(ps.a) | set(ps.b) <= set(train)
        if ps.kind == "drug_se":
            assert set(ps.a) <= set(train)


def test_contrastive_stage_is_blind_to_test_labels(bench):
    train, test = cold_folds(bench.n_drugs, 4, 0)[0]
    rng = np.random.default_rng(0)
    Xd, Xs = (
        rng.normal(size=(bench.n_drugs, 12)).astype(np.float32),
        rng.normal(size=(bench.n_side_effects, 10)).astype(np.float32),
    )
    cfg = Config().contrastive.model_copy(update={"steps": 15, "dim": 8, "hidden": 16, "batch_size": 8})
    r1 = run_contrastive(bench.R, train, Xd, Xs, cfg, seed=0, progress=False)
    r2 = run_contrastive(_scrambled(bench.R, test), train, Xd, Xs, cfg, seed=0, progress=False)
    np.testing.assert_allclose(r1.drug, r2.drug)
    np.testing.assert_allclose(r1.se, r2.se)


def test_fold_features_and_normalisation_blind_to_test_labels(bench):
    cfg = Config(contrastive={"enabled": False})
    train, test = cold_folds(bench.n_drugs, 4, 0)[1]
    fit, _ = carve_validation(train, 0.2, 0)
    rng = np.random.default_rng(0)
    Xd = rng.normal(size=(bench.n_drugs, 6)).astype(np.float32)
    inputs = Inputs(
        Xd,
        rng.normal(size=(bench.n_side_effects, 5)).astype(np.float32),
        np.zeros((bench.n_drugs, 8)),
        np.eye(bench.n_drugs, dtype=np.float32),
    )
    f1 = fit_features(inputs, bench.R, fit, cfg, bench.smiles, 0, progress=False)
    f2 = fit_features(inputs, _scrambled(bench.R, test), fit, cfg, bench.smiles, 0, progress=False)
    np.testing.assert_allclose(f1.x_drug, f2.x_drug)
    np.testing.assert_allclose(f1.x_se, f2.x_se)
    # standardisation statistics come from fit drugs only: their mean is zero, not the test drugs'
    np.testing.assert_allclose(f1.x_drug[fit].mean(0), 0, atol=1e-5)


def test_knn_links_test_drugs_only_to_training_drugs():
    S = np.random.default_rng(0).random((10, 10)).astype(np.float32)
    S[7, 8] = S[8, 7] = 99.0  # two test drugs most similar to each other
    support, query = np.arange(6), np.array([7, 8, 9])
    ei, _ = knn_edges(S, np.concatenate([support, query]), support, k=3)
    src, dst = ei.numpy()
    assert set(src) <= set(support)  # messages come only from training drugs
    assert not np.any(src == dst)  # no self loops
    assert np.bincount(dst, minlength=10)[query].tolist() == [3, 3, 3]


def test_graph_for_test_fold_has_no_test_labels(bench):
    train, test = cold_folds(bench.n_drugs, 4, 0)[0]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(bench.n_drugs, 4)).astype(np.float32)
    S = (x @ x.T).astype(np.float32)
    hier = hierarchy_edges(bench.side_effects, bench.hierarchy)
    cfg = GraphCfg()
    g1 = GraphBuilder(x, np.eye(bench.n_side_effects, dtype=np.float32), bench.R, S, hier, cfg).build(train, test)
    g2 = GraphBuilder(x, np.eye(bench.n_side_effects, dtype=np.float32), _scrambled(bench.R, test), S, hier, cfg).build(
        train, test
    )
    assert not set(g1[HAS].edge_index[0].tolist()) & set(test)
    assert not set(g1[SIMILAR].edge_index[0].tolist()) & set(test)
    for et in g1.edge_types:
        assert torch.equal(g1[et].edge_index, g2[et].edge_index), et
    d = torch.as_tensor(np.repeat(test, 3))
    s = torch.as_tensor(np.tile([0, 1, 2], len(test)))
    for lp in (LabelPropagation(), LabelPropagation(offsets=True)):
        assert torch.equal(lp(g1, d, s).matrix(), lp(g2, d, s).matrix())


def test_query_and_support_must_not_overlap(bench):
    import pytest

    x = np.zeros((bench.n_drugs, 2), dtype=np.float32)
    b = GraphBuilder(
        x, x[:1], bench.R, np.eye(bench.n_drugs, dtype=np.float32), torch.zeros((2, 0), dtype=torch.long), GraphCfg()
    )
    with pytest.raises(ValueError, match="must not be support"):
        b.build(np.array([0, 1, 2]), np.array([2, 3]))


def test_validation_drugs_come_from_training_drugs():
    for train, test in cold_folds(40, 5, 0):
        fit, val = carve_validation(train, 0.1, 0)
        assert set(fit) | set(val) == set(train) and not set(val) & set(fit) and not set(val) & set(test)
    allt = np.concatenate([te for _, te in cold_folds(40, 5, 0)])
    assert sorted(allt) == list(range(40))


def test_validation_keeps_the_protocols_groups():
    """Validation drugs are whole groups (structure or scaffold), as the outer folds are."""
    groups = np.repeat(np.arange(15), 3)[:40]
    for train, _ in cold_folds(40, 5, 0, groups):
        fit, val = carve_validation(train, 0.2, 3, groups)
        assert set(fit) | set(val) == set(train) and not set(fit) & set(val)
        assert not set(groups[fit]) & set(groups[val])  # no group on both sides
        assert 0.1 * len(train) <= len(val) <= 0.2 * len(train) + 3  # about the fraction, whole groups


def test_cold_and_scaffold_validation_follow_their_groups(bench):
    from llmpredgraph.protocols import ColdProtocol, ScaffoldProtocol

    bench.drugs["scaffold_group"] = np.arange(bench.n_drugs) // 4  # 5 scaffolds of 4 drugs
    cfg = Config.model_validate({"data": "synthetic", "protocol": {"folds": 4, "val_fraction": 0.2}})
    for cls, col in ((ColdProtocol, "structure_group"), (ScaffoldProtocol, "scaffold_group")):
        groups = bench.drugs[col].to_numpy()
        for fold in cls(bench, cfg).folds():
            split = cls(bench, cfg).split(fold)
            assert not set(groups[split.fit]) & set(groups[split.val])


def test_validation_rows_stay_out_of_what_fitting_reads(bench, monkeypatch):
    """A cold split's R_fit hides the validation drugs' rows, and fine-tuning's auxiliary pairs are
    built from it: no validation label reaches the contrastive pairs of the joint phase."""
    from llmpredgraph.pipeline import joint
    from llmpredgraph.pipeline.features import fit_features
    from llmpredgraph.protocols import ColdProtocol, fit_on_split

    cfg = Config.model_validate(
        {
            "data": "synthetic",
            "encoders": {"drug": {"kind": "fingerprint", "fp_bits": 64}},
            "contrastive": {"steps": 2, "dim": 4, "hidden": 8, "batch_size": 4, "plot": False, "lm_steps": 1},
            "model": {"hidden": 8, "decoder_hidden": 8, "layers": 1},
            "train": {"epochs": 2, "eval_every": 1},
            "protocol": {"folds": 4, "val_fraction": 0.25},
        }
    )
    protocol = ColdProtocol(bench, cfg)
    fold = protocol.folds()[0]
    split = protocol.split(fold)
    assert not split.R_fit[split.val].any() and not split.R_fit[fold.test].any()
    assert (split.R_fit[split.fit] == bench.R[split.fit]).all()
    seen = {}

    def spy(pipe, sampler, validate, seed, progress=True, desc="", labels=None):
        seen["aux"] = joint.AuxiliaryPairs(pipe.cfg.contrastive, labels, seed)
        return {"best_val_score": pipe.history["best_val_score"]}

    monkeypatch.setattr(joint, "fine_tune", spy)
    rng = np.random.default_rng(0)
    inputs = Inputs(
        rng.normal(size=(bench.n_drugs, 6)).astype(np.float32),
        rng.normal(size=(bench.n_side_effects, 5)).astype(np.float32),
        (rng.random((bench.n_drugs, 64)) > 0.5).astype(np.float32),
        np.eye(bench.n_drugs, dtype=np.float32),
    )
    features = fit_features(inputs, split.R_fit, split.fit, cfg, bench.smiles, 0, progress=False)
    features.raw_drug = inputs.X_drug  # as in lora/full mode, so fit enters the joint phase
    fit_on_split(protocol, split, inputs, cfg, features, progress=False)
    anchors = {int(a) for ps in seen["aux"].sets for a in ps.a}
    assert anchors and anchors <= set(split.fit)
    assert not {int(b) for ps in seen["aux"].sets if ps.kind == "drug_drug" for b in ps.b} & set(split.val)
