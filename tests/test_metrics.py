import math

import numpy as np

from llmpredgraph.baselines import knn_fp, se_mean
from llmpredgraph.frequency import LISTED
from llmpredgraph.metrics.functions import (
    association_criterion,
    binary_metrics,
    dsf_metrics,
    evaluate,
    popularity_bins,
    ranking_metrics,
)
from llmpredgraph.reporting.statistics import corrected_ttest, paired
from llmpredgraph.reporting.summary import metrics_frame


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


def test_corrected_ttest_by_hand():
    from scipy.stats import t as student_t
    from scipy.stats import ttest_1samp

    d = np.array([0.1, 0.2, 0.3, 0.2])
    # without the correction it is the one-sample t-test of the differences
    t0, p0 = corrected_ttest(d, 0.0)
    ref = ttest_1samp(d, 0.0)
    assert math.isclose(t0, ref.statistic) and math.isclose(p0, ref.pvalue)
    # 10-fold: var * (1/4 + 1/9); mean 0.2, var 0.02 / 3
    t, p = corrected_ttest(d, 1 / 9)
    expect = 0.2 / math.sqrt((1 / 4 + 1 / 9) * 0.02 / 3)
    assert math.isclose(t, expect) and math.isclose(p, 2 * student_t.sf(expect, 3))
    assert p > p0  # the overlap of training sets widens the interval
    assert all(math.isnan(v) for v in corrected_ttest(np.array([0.1, 0.1]), 1 / 9))


def test_paired_reports_repeats_and_wins():
    fm = {f: {"graph": {"dsf_scc": 0.6 + 0.01 * f}, "mlp": {"dsf_scc": 0.6}} for f in range(6)}
    df = metrics_frame(fm)
    df.insert(1, "repeat", df["fold"] // 3)
    res = paired(df, "graph", "mlp", "dsf_scc", folds_per_repeat=3)
    assert res.wins == 5 and res.n == 6  # fold 0 ties
    np.testing.assert_allclose(res.per_repeat, [0.01, 0.04])  # (0 + .01 + .02) / 3, (.03 + .04 + .05) / 3
    assert math.isclose(res.p, corrected_ttest(np.arange(6) * 0.01, 1 / 2)[1])
    assert "by repeat +0.010 +0.040" in res.cell()


def test_ranking_metrics_by_hand():
    R = np.array([[1, 0, 0, 2], [0, 0, 3, 0]])
    s = np.array([[0.9, 0.1, 0.5, 0.4], [0.2, 0.3, 0.45, 0.1]])
    pop = np.array([0.9, 0.1, 0.5, 0.2])
    m = ranking_metrics(s, R, pop, k=2, bins=2)
    # drug 0: positives .9 .4 vs .1 .5 -> 3 of 4 pairs; drug 1: .45 above .2 .3 .1 -> 1
    assert math.isclose(m["assoc_auroc_per_drug"], (0.75 + 1.0) / 2)
    # top 2: drug 0 {.9 hit, .5}, drug 1 {.45 hit, .3}: precision 1/2 each; recall 1/2 and 1/1
    assert math.isclose(m["assoc_precision_at_2"], 0.5) and math.isclose(m["assoc_recall_at_2"], 0.75)
    # popularity bins: {1, 3} (least popular) and {2, 0}; bin 0: .4 above .1 .3 .1 -> 1;
    # bin 1: positives .9 .45 vs .5 .2 -> 3 of 4
    np.testing.assert_array_equal(popularity_bins(pop, 2), [1, 0, 1, 0])
    assert math.isclose(m["assoc_auroc_strat"], (1.0 + 0.75) / 2)
    # popularity itself has no signal within a bin of equal popularity
    flat = ranking_metrics(np.tile([0.5, 0.5, 0.5, 0.5], (2, 1)), R, np.zeros(4), bins=1)
    assert math.isclose(flat["assoc_auroc_strat"], 0.5)
    # ignored cells (warm training pairs) are neither positive nor negative: drug 0 loses its .5 negative
    ign = np.zeros_like(R, dtype=bool)
    ign[0, 2] = True
    assert math.isclose(ranking_metrics(s, R, pop, ignore=ign, k=2)["assoc_auroc_per_drug"], 1.0)


def test_association_criterion_by_hand():
    """Mean of per-drug and stratified AUROC, a listed cell (no class) counting as a side effect."""
    R = np.array([[1, 0, 0, LISTED], [0, LISTED, 3, 0]])
    s = np.array([[0.9, 0.1, 0.5, 0.4], [0.2, 0.3, 0.45, 0.1]])
    pop = np.array([0.9, 0.1, 0.5, 0.2])
    # per drug: drug 0 .9 .4 vs .1 .5 -> 3/4; drug 1 .45 .3 vs .2 .1 -> 1
    # 10 bins over 4 side effects: one each; pooled over the drugs: se 0 .9 vs .2 -> 1, se 1 .3 vs .1 -> 1,
    # se 2 .45 vs .5 -> 0, se 3 .4 vs .1 -> 1
    assert math.isclose(association_criterion(s, R, pop), ((0.75 + 1.0) / 2 + 3 / 4) / 2)


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
