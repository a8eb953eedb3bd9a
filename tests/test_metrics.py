import math

import numpy as np

from llmpredgraph.baselines import knn_fp, se_mean
from llmpredgraph.metrics.functions import binary_metrics, dsf_metrics, evaluate
from llmpredgraph.reporting.summary import metrics_frame, paired_wilcoxon


def test_dsf_metrics_by_hand():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 6.0, 3.0])  # 6 is clipped to 5
    m = dsf_metrics(y, p)
    assert math.isclose(m["mae"], (0.5 + 0 + 2 + 1) / 4)
    assert math.isclose(m["rmse"], math.sqrt((0.25 + 0 + 4 + 1) / 4))
    # ranks of clipped p: [1, 2, 4, 3] vs [1, 2, 3, 4]: rho = 1 - 6*2/(4*15) = 0.8
    assert math.isclose(m["scc"], 0.8)


def test_binary_metrics_by_hand():
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.6, 0.4, 0.8])
    m = binary_metrics(y, s)
    assert math.isclose(m["auroc"], 0.75)  # 3 of 4 positive-negative pairs ordered
    assert math.isclose(m["acc"], 0.5)  # predictions 0,1,0,1
    assert math.isclose(m["f1"], 0.5)  # tp=1 fp=1 fn=1
    assert math.isclose(m["auprc"], (1 + 2 / 3) / 2)


def test_evaluate_uses_known_pairs_and_sampled_negatives():
    R = np.array([[5, 0, 1], [0, 4, 0]])
    pred = {
        "dsf": np.array([[4.0, 0, 2.0], [0, 5.0, 0]]),
        "dshf": np.array([[0.9, 0, 0.1], [0, 0.8, 0]]),
        "assoc": np.array([[0.9, 0.2, 0.7], [0.3, 0.8, 0.1]]),
    }
    m = evaluate(pred, R, np.array([0]), np.array([1]))
    assert math.isclose(m["dshf_auroc"], 1.0) and math.isclose(m["assoc_auroc"], 1.0)
    # all unknown pairs: positives .9 .7 .8 vs negatives .2 .3 .1 -> perfect
    assert math.isclose(m["assoc_auroc_all"], 1.0)
    assert math.isclose(m["dsf_mae"], (1 + 1 + 1) / 3)


def test_se_mean_and_knn_baselines_by_hand():
    R = np.array([[5, 0], [3, 2], [0, 4], [1, 1]])
    out = se_mean(R, np.array([0, 1, 2]), np.array([3]))
    np.testing.assert_allclose(out["dsf"], [[4.0, 3.0]])
    np.testing.assert_allclose(out["dshf"], [[0.5, 0.5]])
    np.testing.assert_allclose(out["assoc"], [[2 / 3, 2 / 3]])
    tan = np.eye(4)
    tan[3, 0] = 1.0
    tan[3, 1] = 0.5
    k = knn_fp(R, np.array([0, 1, 2]), np.array([3]), similarity=tan, k=2)
    # neighbours 0 (w=1) and 1 (w=.5): side effect 0 class (5*1 + 3*.5)/1.5; side effect 1 only drug 1 -> 2
    np.testing.assert_allclose(k["dsf"], [[(5 + 1.5) / 1.5, 2.0]])
    np.testing.assert_allclose(k["assoc"], [[1.0, 0.5 / 1.5]])


def test_paired_wilcoxon():
    fm = {f: {"graph": {"dsf_scc": 0.6 + 0.01 * f}, "mlp": {"dsf_scc": 0.5 + 0.001 * f}} for f in range(6)}
    df = metrics_frame(fm)
    p = paired_wilcoxon(df, "graph", "mlp", "dsf_scc")
    assert math.isclose(p, 2 / 64)  # all 6 differences positive: exact two-sided p = 2 / 2^6


def test_knn_offset_baseline_by_hand():
    from llmpredgraph.baselines import knn_offset

    # training drugs 0, 1 share side effect 0; drug 0 sits one class above drug 1 everywhere
    R = np.array([[5, 4, 0], [3, 0, 2], [0, 0, 0]])
    tan = np.eye(3)
    tan[2, 0], tan[2, 1] = 0.9, 0.1
    out = knn_offset(R, np.array([0, 1]), np.array([2]), similarity=tan, k=2, lam=0.0, shrink=1.0)
    from llmpredgraph.baselines import additive_bias

    mu, bd, bs = additive_bias(R[:2].astype(float), R[:2] > 0, lam=0.0)
    off = 0.9 * bd[0] + 0.1 * bd[1]
    resid = np.where(R[:2] > 0, R[:2] - mu - bd[:, None] - bs[None, :], 0)
    has = 0.9 * (R[0] > 0) + 0.1 * (R[1] > 0)
    expect = mu + bs + off + (0.9 * resid[0] + 0.1 * resid[1]) / (has + 1.0)
    np.testing.assert_allclose(out["dsf"], [expect])
    assert bd[0] > bd[1] and out["dsf"][0, 0] > mu + bs[0]  # the near neighbour's high offset carries over
