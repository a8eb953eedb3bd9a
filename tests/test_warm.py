"""Warm protocol: pair folds, held-out pairs invisible to everything but the metrics, bias baseline."""

import math

import numpy as np
import pytest
import torch

from llmpredgraph.baselines import additive_bias, bias
from llmpredgraph.config import Config, load_config
from llmpredgraph.errors import UserError
from llmpredgraph.frequency import LISTED
from llmpredgraph.graph.build import HAS, GraphBuilder
from llmpredgraph.graph.edges import hierarchy_edges
from llmpredgraph.graph.label_propagation import LabelPropagation
from llmpredgraph.metrics.functions import evaluate
from llmpredgraph.pipeline.features import Inputs
from llmpredgraph.protocols import Fold, WarmProtocol, run_fold
from llmpredgraph.protocols.fold import choose_baseline_knobs
from llmpredgraph.protocols.splits import carve_validation_pairs, hide_pairs, only_pairs, sample_unknown, warm_folds
from llmpredgraph.protocols.warm import warm_sampler, warm_targets

TINY = {
    "name": "tinywarm",
    "data": "synthetic",
    "encoders": {"drug": {"kind": "hash"}, "side_effect": {"kind": "hash"}, "hash_dim": 16},
    "contrastive": {"steps": 5, "dim": 8, "hidden": 16, "batch_size": 8, "plot": False},
    "graph": {"drug_knn": {"k": 3}, "se_cooc": {"k": 3}},
    "model": {"hidden": 16, "decoder_hidden": 16, "layers": 1, "drug_embedding": True},
    "train": {"epochs": 6, "eval_every": 3, "patience": 10},
    "protocol": {"kind": "warm", "folds": 3},
    "baselines": ["se_mean", "bias", "knn_fp"],
}


def _pairset(p):
    return {tuple(x) for x in p.tolist()}


def test_warm_folds_partition_known_pairs(bench):
    folds = warm_folds(bench.R, 5, 0)
    known = _pairset(np.argwhere(bench.R > 0))
    tested = [_pairset(te) for _, te in folds]
    assert set().union(*tested) == known and sum(map(len, tested)) == len(known)
    for tr, te in folds:
        assert not _pairset(tr) & _pairset(te) and _pairset(tr) | _pairset(te) == known
        fit, val = carve_validation_pairs(tr, 0.1, 0)
        assert _pairset(fit) | _pairset(val) == _pairset(tr) and not _pairset(fit) & _pairset(val)


def test_hide_and_only_pairs_by_hand():
    R = np.array([[5, 0, 2], [3, 1, 0]])
    pairs = np.array([[0, 2], [1, 0]])
    np.testing.assert_array_equal(hide_pairs(R, pairs), [[5, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(only_pairs(R, pairs), [[0, 0, 2], [3, 0, 0]])
    assert R[0, 2] == 2  # the input is not modified


def test_sampler_hides_its_positives_from_the_graph(bench):
    R = bench.R
    x = np.random.default_rng(0).normal(size=(bench.n_drugs, 4)).astype(np.float32)
    builder = GraphBuilder(
        x,
        np.eye(bench.n_side_effects, dtype=np.float32),
        R,
        (x @ x.T).astype(np.float32),
        hierarchy_edges(bench.side_effects, bench.hierarchy),
        Config().graph,
    )
    draw = warm_sampler(builder, R, R == 0, Config().train, support=np.arange(bench.n_drugs))
    data, d, s, cls = draw(np.random.default_rng(0))
    pos = set(zip(d[: len(cls)].tolist(), s[: len(cls)].tolist()))
    edges = set(zip(*data[HAS].edge_index.tolist()))
    assert pos and not pos & edges  # a supervised pair is never its own edge
    assert pos | edges == _pairset(np.argwhere(R > 0))  # every other known pair stays visible
    assert all(R[a, b] == 0 for a, b in zip(d[len(cls) :], s[len(cls) :]))  # negatives are unknown pairs
    np.testing.assert_array_equal(cls, [R[a, b] for a, b in zip(d[: len(cls)], s[: len(cls)])])


def _tiny_inputs(bench):
    rng = np.random.default_rng(0)
    return Inputs(
        rng.normal(size=(bench.n_drugs, 6)).astype(np.float32),
        rng.normal(size=(bench.n_side_effects, 5)).astype(np.float32),
        np.zeros((bench.n_drugs, 8)),
        np.eye(bench.n_drugs, dtype=np.float32),
    )


def test_warm_association_kernel_is_chosen_on_validation_pairs_and_blind_to_held_out_ones(bench):
    """The warm protocol chooses association's own kernel on its validation pairs (training drugs'
    other pairs visible), after the other knobs; emptying the held-out pairs changes no choice."""
    grid = {"k": [2, 5], "assoc_k": [1, 0], "assoc_power": [1.0, 3.0]}
    cfg = Config.model_validate(
        {**TINY, "baselines": ["se_mean", "knn_offset"], "selection": {"baselines": {"knn_offset": grid}}}
    )
    rng = np.random.default_rng(2)
    S = rng.random((bench.n_drugs, bench.n_drugs)).astype(np.float32)
    base = _tiny_inputs(bench)
    inputs = Inputs(base.X_drug, base.X_se, base.fingerprints, (S + S.T) / 2)
    train, test = warm_folds(bench.R, 3, 0)[0]
    fold = Fold(0, cfg.seed, train, test)
    info: dict = {}
    proto = WarmProtocol(bench, cfg)
    knobs = choose_baseline_knobs(proto, proto.split(fold), inputs, "knn_offset", info)
    scores = info["baseline_selection"]["knn_offset"]["association_scores"]
    assert len(scores) == 4 and all(0.0 <= v <= 1.0 for _, v in scores)
    assert {k: knobs[k] for k in ("assoc_k", "assoc_power")} == max(scores, key=lambda t: t[1])[0]
    hidden = bench.R.copy()
    hidden[test[:, 0], test[:, 1]] = 0
    other = WarmProtocol(bench.__class__(**{**bench.__dict__, "R": hidden}), cfg)
    again: dict = {}
    assert choose_baseline_knobs(other, other.split(fold), inputs, "knn_offset", again) == knobs
    assert again == info


def test_warm_fold_is_blind_to_held_out_classes(bench):
    """Changing the classes of the held-out pairs changes the metrics, never a prediction."""
    cfg = Config.model_validate(TINY)
    train, test = warm_folds(bench.R, 3, 0)[0]
    inputs = _tiny_inputs(bench)
    fold = Fold(0, cfg.seed, train, test)
    a = run_fold(WarmProtocol(bench, cfg), fold, inputs, progress=False)
    changed = bench.R.copy()
    changed[test[:, 0], test[:, 1]] = 6 - changed[test[:, 0], test[:, 1]]  # 1<->5, 2<->4, still known
    b = run_fold(WarmProtocol(bench.__class__(**{**bench.__dict__, "R": changed}), cfg), fold, inputs, progress=False)
    score_cols = [c for c in a.predictions.columns if c.endswith(("_dsf", "_dshf", "_assoc"))]
    assert set(a.metrics) == {"graph", "mlp", "se_mean", "bias", "knn_fp"}
    np.testing.assert_array_equal(a.predictions[score_cols].to_numpy(), b.predictions[score_cols].to_numpy())
    assert a.metrics["bias"]["dsf_scc"] != b.metrics["bias"]["dsf_scc"]
    # only held-out pairs and sampled unknown pairs are scored
    held = {(bench.drug_names[d], bench.se_names[s]) for d, s in test}
    p = a.predictions
    assert {(d, s) for d, s, c in zip(p["drug"], p["side_effect"], p["true_class"]) if c > 0} == held


def test_warm_fold_is_blind_to_which_held_out_pairs_exist(bench):
    """Removing held-out pairs (they become unknown) and adding new held-out pairs (unknown cells made
    known) changes which pairs are scored, never a prediction: nothing fitted learns where the
    held-out pairs lie, e.g. by keeping them out of its sampled negatives."""
    cfg = Config.model_validate(TINY)
    train, test = warm_folds(bench.R, 3, 0)[0]
    inputs = _tiny_inputs(bench)
    a = run_fold(WarmProtocol(bench, cfg), Fold(0, cfg.seed, train, test), inputs, progress=False)
    rng = np.random.default_rng(1)
    gone = rng.random(len(test)) < 0.3
    unknown = np.argwhere(bench.R == 0)
    added = unknown[rng.choice(len(unknown), 25, replace=False)]
    changed = bench.R.copy()
    changed[test[gone, 0], test[gone, 1]] = 0
    changed[added[:, 0], added[:, 1]] = 3
    test2 = np.concatenate([test[~gone], added])
    bench2 = bench.__class__(**{**bench.__dict__, "R": changed})
    b = run_fold(WarmProtocol(bench2, cfg), Fold(0, cfg.seed, train, test2), inputs, progress=False)
    assert set(a.scores) == set(b.scores) == {"graph", "mlp", "se_mean", "bias", "knn_fp"}
    common = np.intersect1d(a.rows, b.rows)
    assert len(common) >= bench.n_drugs // 2
    pos_a, pos_b = {int(r): i for i, r in enumerate(a.rows)}, {int(r): i for i, r in enumerate(b.rows)}
    ia, ib = [pos_a[int(r)] for r in common], [pos_b[int(r)] for r in common]
    for method in a.scores:
        for head in ("dsf", "dshf", "assoc"):
            np.testing.assert_array_equal(a.scores[method][head][ia], b.scores[method][head][ib], f"{method} {head}")
    assert a.metrics["graph"] != b.metrics["graph"]  # the change reached the targets


def test_additive_bias_by_hand():
    Y = np.array([[2.0, 4.0]])
    mu, bd, bs = additive_bias(Y, Y > 0, lam=0.0, iters=1)
    # mu = 3; side effects -1, +1; the drug's residual is then 0
    assert mu == 3.0 and np.allclose(bs, [-1, 1]) and np.allclose(bd, [0])
    # exactly additive data is recovered exactly without shrinkage
    Y = 2.5 + np.array([0.0, 1.0, -1.0])[:, None] + np.array([0.5, -0.5])[None, :]
    mu, bd, bs = additive_bias(Y, np.ones_like(Y, bool), lam=0.0, iters=50)
    np.testing.assert_allclose(mu + bd[:, None] + bs[None, :], Y, atol=1e-6)


def test_bias_baseline_by_hand():
    R = np.array([[4, 2, 0], [5, 0, 1]])
    out = bias(R, np.array([0, 1]), np.array([1]), lam=0.0)
    assert out["dsf"].shape == (1, 3)
    # association: drug 1 has 2 of 3 side effects; side-effect shares 2/2, 1/2, 1/2
    np.testing.assert_allclose(out["assoc"], [[2 / 3 * 1.0, 2 / 3 * 0.5, 2 / 3 * 0.5]])
    assert 0.0 <= out["dshf"].min() and out["dshf"].max() <= 1.0
    # the drug with the higher classes gets the higher prediction on a shared side effect
    both = bias(R, np.array([0, 1]), np.array([0, 1]), lam=0.0)
    assert both["dsf"][1, 0] > both["dsf"][0, 0]


def test_evaluate_ignores_training_pairs_in_all_unknowns_auroc():
    R_test = np.array([[4, 0, 0]])
    pred = {"dsf": np.full((1, 3), 4.0), "dshf": np.full((1, 3), 0.6), "assoc": np.array([[0.5, 0.9, 0.1]])}
    # cell 1 is a training pair with a high score: counted as unknown it halves the AUROC
    assert math.isclose(evaluate(pred, R_test, np.array([0]), np.array([2]))["assoc_auroc_all"], 0.5)
    m = evaluate(pred, R_test, np.array([0]), np.array([2]), ignore=np.array([[False, True, False]]))
    assert math.isclose(m["assoc_auroc_all"], 1.0)


def test_own_drug_features_by_hand():
    from torch_geometric.data import HeteroData

    data = HeteroData()
    data["drug"].x, data["side_effect"].x = torch.zeros(2, 1), torch.zeros(2, 1)
    data[HAS].edge_index = torch.tensor([[0, 0, 1], [0, 1, 0]])
    data[HAS].edge_weight = torch.tensor([5.0, 3.0, 1.0]) / 5
    data.support = torch.tensor([0, 1])
    f = LabelPropagation(own=True, shrink=0.0)(data, torch.tensor([0, 1]), torch.tensor([1, 1]))
    # se means: [3, 3]; drug 0 offset ((5-3)+(3-3))/2 = 1, drug 1 offset (1-3)/1 = -2
    np.testing.assert_allclose(f.columns[:, 3].numpy(), [0.5, -1.0])
    # prior class se mean + offset = [4, 1] -> scaled (c-3)/2
    np.testing.assert_allclose(f.dsf_prior.numpy(), [0.5, -1.0])
    # popularity of se 1 (1/2) times degree relative to the mean drug (2/1.5, 1/1.5)
    np.testing.assert_allclose(f.assoc_prior.numpy(), [0.5 * 2 / 1.5, 0.5 * 1 / 1.5], rtol=1e-6)
    assert f.dshf_prior is None and f.dim == 6
    assert LabelPropagation().out_dim == 4 and LabelPropagation(own=True).out_dim == 6


def test_warm_only_keys_are_refused_for_cold():
    with pytest.raises(UserError, match="warm-only"):
        load_config(None, ["baselines=[se_mean, bias]"])
    with pytest.raises(UserError, match="drug_embedding"):
        load_config(None, ["model.drug_embedding=true"])
    assert load_config("configs/warm.yaml").protocol.kind == "warm"


def test_ridge_bias_matches_the_bias_baseline():
    from llmpredgraph.graph.offsets import ridge_bias

    rng = np.random.default_rng(0)
    Y = rng.integers(0, 6, size=(7, 5)).astype(float)
    mu, bd, bs = additive_bias(Y, Y > 0, lam=3.0)
    tmu, tbd, tbs = ridge_bias(
        torch.as_tensor(Y, dtype=torch.float32), torch.as_tensor(Y > 0, dtype=torch.float32), 3.0
    )
    np.testing.assert_allclose([float(tmu)], [mu], rtol=1e-5)
    np.testing.assert_allclose(tbd.numpy(), bd, atol=1e-5)
    np.testing.assert_allclose(tbs.numpy(), bs, atol=1e-5)


def test_neighbour_offsets_give_a_query_drug_its_neighbours_offset():
    from torch_geometric.data import HeteroData

    from llmpredgraph.graph.build import SIMILAR

    data = HeteroData()
    data["drug"].x, data["side_effect"].x = torch.zeros(3, 1), torch.zeros(2, 1)
    data[HAS].edge_index = torch.tensor([[0, 0, 1, 1], [0, 1, 0, 1]])
    data[HAS].edge_weight = torch.tensor([5.0, 4.0, 3.0, 2.0]) / 5
    data[SIMILAR].edge_index = torch.tensor([[0, 1], [2, 2]])  # drug 2 (query) hears drugs 0, 1
    data[SIMILAR].edge_weight = torch.tensor([0.75, 0.25])
    data.support = torch.tensor([0, 1])
    lp = LabelPropagation(offsets=True, bias_shrink=0.0, resid_shrink=1.0)
    f = lp(data, torch.tensor([2, 2]), torch.tensor([0, 1]))
    # exact additive data: mu 3.5, drug offsets +1 / -1, se offsets +.5 / -.5, residuals 0
    np.testing.assert_allclose(f.columns[:, 2].numpy(), [(0.75 - 0.25) / 2] * 2, atol=1e-5)
    np.testing.assert_allclose(f.columns[:, 3].numpy(), [0, 0], atol=1e-5)
    # prior class: 3.5 + se offset + 0.5 neighbour offset -> 4.5 and 3.5
    np.testing.assert_allclose(f.dsf_prior.numpy(), [(4.5 - 3) / 2, (3.5 - 3) / 2], atol=1e-5)
    assert lp.out_dim == f.dim == f.matrix().shape[1] == 7
    # high-frequency prior: drug 0 (classes 5, 4) is high everywhere, drug 1 (3, 2) nowhere, so
    # mu .5, offsets +.5 / -.5 and the query gets .5 + (.75 * .5 - .25 * .5) = .75
    np.testing.assert_allclose(f.dshf_prior.numpy(), [0.75, 0.75], atol=1e-5)


def test_neighbour_offsets_scale_popularity_by_neighbour_degree():
    from torch_geometric.data import HeteroData

    from llmpredgraph.graph.build import SIMILAR

    data = HeteroData()
    data["drug"].x, data["side_effect"].x = torch.zeros(3, 1), torch.zeros(3, 1)
    data[HAS].edge_index = torch.tensor([[0, 0, 0, 1], [0, 1, 2, 0]])  # degrees 3 and 1, mean 2
    data[HAS].edge_weight = torch.full((4,), 0.6)
    data[SIMILAR].edge_index = torch.tensor([[0], [2]])  # the query hears drug 0 only
    data[SIMILAR].edge_weight = torch.tensor([0.9])
    data.support = torch.tensor([0, 1])
    f = LabelPropagation(offsets=True)(data, torch.tensor([2, 2, 1]), torch.tensor([0, 1, 1]))
    # popularity [1, .5, .5] x degree / 2: query (neighbour degree 3) -> 1.5 (clipped 1), .75; drug 1 (own 1) -> .25
    np.testing.assert_allclose(f.assoc_prior.numpy(), [1.0, 0.75, 0.25], atol=1e-6)


def _mention_cfg():
    return Config.model_validate({**TINY, "labels": {"association": "mentions", "extra_drugs": True}})


def test_warm_folds_on_mentions_hold_out_benchmark_pairs_and_keep_the_old_folds(bench):
    """With mentions, folds split every known benchmark pair (classes and LISTED cells); the extra
    drugs' pairs train in every fold and are never validated or tested. With R alone the folds,
    the validation pairs and the 1:1 negatives are the ones before mentions existed."""
    full = bench.with_labels("mentions", extra_drugs=True)
    core, extra = ~full.is_extra, full.is_extra
    known = np.argwhere(full.R > 0)
    extra_pairs = _pairset(known[extra[known[:, 0]]])
    assert extra_pairs and (full.R[: bench.n_drugs] == LISTED).any()
    protocol = WarmProtocol(full, _mention_cfg())
    for f in protocol.folds()[:3]:
        assert core[f.test[:, 0]].all() and extra_pairs <= _pairset(f.train)
        split = protocol.split(f)
        assert core[split.val[:, 0]].all() and extra_pairs <= _pairset(split.fit)
        assert (split.R_train[f.test[:, 0], f.test[:, 1]] == 0).all()
        assert (split.R_fit[split.val[:, 0], split.val[:, 1]] == 0).all()
    tested = set().union(*(_pairset(f.test) for f in protocol.folds()[:3]))
    assert tested == _pairset(known[core[known[:, 0]]])  # repeat 0 tests every benchmark pair once
    cfg = Config.model_validate(TINY)
    old = warm_folds(bench.R, 3, cfg.seed)[0]
    f0 = WarmProtocol(bench, cfg).folds()[0]
    np.testing.assert_array_equal(f0.train, old[0])
    t = WarmProtocol(bench, cfg).targets(WarmProtocol(bench, cfg).split(f0))
    assert t.mentions is None
    rows = np.unique(old[1][:, 0])
    counts = (only_pairs(bench.R, old[1])[rows] > 0).sum(1)
    nr, nc = sample_unknown(bench.R[rows] == 0, np.arange(len(rows)), counts, np.random.default_rng(f0.seed))
    np.testing.assert_array_equal(t.neg_rows, nr)
    np.testing.assert_array_equal(t.neg_cols, nc)


def test_warm_targets_by_hand():
    """R truth: held-out classes against cells without a class that fitting cannot see; mentions
    truth: every held-out pair against unlisted cells; training pairs are ignored by both."""
    L = LISTED
    R = np.array([[4, L, 0, 2, L, 0]], dtype=np.uint8)
    visible = np.array([[0, 0, 0, 2, L, 0]], dtype=np.uint8)  # pairs (0,3) and (0,4) train
    t = warm_targets(R, visible, np.array([[0, 0], [0, 1]]), seed=0)
    np.testing.assert_array_equal(t.R_test, [[4, L, 0, 0, 0, 0]])
    assert len(t.neg_cols) == 1 and t.neg_cols[0] in (1, 2, 5)  # the held-out LISTED cell has no class
    np.testing.assert_array_equal(t.ignore, [[False, False, False, True, True, False]])
    assert len(t.mentions.neg_cols) == 2 and set(t.mentions.neg_cols) == {2, 5}
    np.testing.assert_allclose(t.popularity, [0, 0, 0, 1, 0, 0])
    np.testing.assert_allclose(t.mentions.popularity, [0, 0, 0, 1, 1, 0])


def test_warm_mentions_fold_is_blind_to_held_out_pairs_in_every_source(bench):
    """Scrambling the held-out pairs' cells (a class, LISTED, or nothing) changes no prediction of
    any method, and every association metric is scored against both truths."""
    full = bench.with_labels("mentions", extra_drugs=True)
    cfg = _mention_cfg()
    protocol = WarmProtocol(full, cfg)
    fold = protocol.folds()[0]
    inputs = _tiny_inputs(full)
    a = run_fold(protocol, fold, inputs, progress=False)
    changed = full.R.copy()
    held = fold.test
    changed[held[:, 0], held[:, 1]] = np.random.default_rng(3).integers(1, LISTED + 1, size=len(held))
    assert (changed[held[:, 0], held[:, 1]] != full.R[held[:, 0], held[:, 1]]).any()
    b = run_fold(WarmProtocol(full.__class__(**{**full.__dict__, "R": changed}), cfg), fold, inputs, progress=False)
    for method, heads in a.scores.items():
        for head, values in heads.items():
            np.testing.assert_array_equal(values, b.scores[method][head], err_msg=f"{method} {head}")
    m = a.metrics["graph"]
    assert {"assoc_auroc_all", "assoc_auroc_mentions", "assoc_auroc_per_drug_mentions"} <= set(m)


def test_decomposition_by_hand():
    from llmpredgraph.decomposition import decompose

    # one pair, one factor: W = 0.1 u * 4 / (0.1 u) = 4, H stays 1; the second update moves nothing
    W, H, it = decompose(np.array([[4]]), k=1)
    np.testing.assert_allclose(W @ H, [[4.0]])
    assert it == 2
    # an unobserved pair gets score 0 from an H entry whose numerator is 0; the observed one is exact
    W, H, _ = decompose(np.array([[4, 0]]), k=1)
    np.testing.assert_allclose(W @ H, [[4.0, 0.0]], atol=1e-9)
    # rank one: with the fourth cell LISTED (out of the objective) the fit is exact, with it unobserved
    # the zero pulls that cell's score below 4
    listed = decompose(np.array([[4, 4], [4, LISTED]]), k=1, max_iter=5000, tol=1e-9)
    unobserved = decompose(np.array([[4, 4], [4, 0]]), k=1, max_iter=5000, tol=1e-9)
    np.testing.assert_allclose(listed[0] @ listed[1], np.full((2, 2), 4.0), rtol=1e-3)
    assert (unobserved[0] @ unobserved[1])[1, 1] < 3.9


def test_galeano_baseline_ranks_held_out_pairs_and_is_warm_only(bench):
    from llmpredgraph.decomposition import HIGH_BOUNDARY, galeano

    R = bench.R
    out = galeano(R, np.arange(bench.n_drugs), np.arange(5), k=3)
    assert out["dsf"].shape == (5, bench.n_side_effects) and (out["dsf"] >= 0).all()
    np.testing.assert_array_equal(out["dsf"] > HIGH_BOUNDARY, out["dshf"] > 0.5)
    fit = galeano(R, np.arange(bench.n_drugs), np.arange(bench.n_drugs), k=3)["assoc"]
    assert evaluate_auroc(R > 0, fit) > 0.8  # the training pairs score above the unobserved ones
    with pytest.raises(ValueError, match="training drugs only"):
        galeano(R, np.arange(5), np.array([6]))
    with pytest.raises(UserError, match="warm-only"):
        load_config(None, ["baselines=[se_mean, galeano]"])
    cfg = load_config("configs/warm.yaml")
    assert "galeano" in cfg.baselines and cfg.labels.association == "mentions"


def evaluate_auroc(y, s):
    from llmpredgraph.metrics.functions import rank_auroc

    return rank_auroc(np.asarray(y).ravel(), np.asarray(s).ravel())
