"""The graph model's neighbour prior: kernel weights, the baseline it reproduces, the per-fold tuning,
and how much of the learned correction validation keeps."""

import math

import numpy as np
import pytest
import torch

from llmpredgraph.baselines import knn_offset, neighbour_weights
from llmpredgraph.config import Config, load_config
from llmpredgraph.graph.build import GraphBuilder
from llmpredgraph.graph.decoder import EdgeDecoder
from llmpredgraph.graph.label_propagation import LabelPropagation
from llmpredgraph.graph.pair_features import PairFeatures
from llmpredgraph.pipeline.fitted import drug_means
from llmpredgraph.pipeline.training import choose_correction
from llmpredgraph.protocols.selection import tuned_prior


def test_neighbour_weights_by_hand():
    S = np.array([[1.0, 0.8, 0.4, 0.2], [0.8, 1.0, 0.1, 0.5], [0.4, 0.1, 1.0, 0.3], [0.2, 0.5, 0.3, 1.0]])
    train, query = np.array([0, 1, 2]), np.array([3])
    # k = 0: every training drug, weights similarity ** 2 = .04 .25 .09, normalised
    np.testing.assert_allclose(neighbour_weights(S, train, query, 0, 2.0), [[0.04, 0.25, 0.09]] / np.float64(0.38))
    # k = 2: the two most similar (drugs 1 and 2), power 1
    np.testing.assert_allclose(neighbour_weights(S, train, query, 2, 1.0), [[0.0, 0.5 / 0.8, 0.3 / 0.8]])
    # a query that is also a training drug never votes for itself
    assert neighbour_weights(S, train, np.array([0]), 0, 1.0)[0, 0] == 0


def test_knn_offset_association_is_the_weighted_share():
    R = np.array([[3, 0, 2], [0, 4, 0], [5, 5, 0], [0, 0, 0]])
    S = np.eye(4)
    S[3, :3] = [0.5, 0.5, 1.0]
    out = knn_offset(R, np.arange(3), np.array([3]), similarity=S, k=0, power=2.0)
    w = np.array([0.25, 0.25, 1.0]) / 1.5
    np.testing.assert_allclose(out["assoc"], [[w[0] + w[2], w[1] + w[2], w[0]]])


def test_association_kernel_of_its_own_moves_the_share_only():
    """assoc_k / assoc_power: association votes with every drug at power 2 (the share above), while
    DSF and DSHF keep the nearest drug alone."""
    R = np.array([[3, 0, 2], [0, 4, 0], [5, 5, 0], [0, 0, 0]])
    S = np.eye(4)
    S[3, :3] = [0.5, 0.5, 1.0]
    one = knn_offset(R, np.arange(3), np.array([3]), similarity=S, k=1, power=1.0)
    own = knn_offset(R, np.arange(3), np.array([3]), similarity=S, k=1, power=1.0, assoc_k=0, assoc_power=2.0)
    np.testing.assert_allclose(one["assoc"], [[1.0, 1.0, 0.0]])  # drug 2 alone
    w = np.array([0.25, 0.25, 1.0]) / 1.5
    np.testing.assert_allclose(own["assoc"], [[w[0] + w[2], w[1] + w[2], w[0]]])
    assert np.array_equal(own["dsf"], one["dsf"]) and np.array_equal(own["dshf"], one["dshf"])
    # only k given: power stays the frequency kernel's
    k0 = knn_offset(R, np.arange(3), np.array([3]), similarity=S, k=1, power=1.0, assoc_k=0)
    np.testing.assert_allclose(k0["assoc"], [[0.25 + 0.5, 0.25 + 0.5, 0.25]])  # weights .25 .25 .5


def test_assoc_kernel_and_the_neighbours_a_new_molecule_indexes():
    from llmpredgraph.graph.similarity import neighbour_reach, own_assoc_kernel

    assert own_assoc_kernel(4, 1.0) is None  # no kernel of its own: the frequency priors' votes
    assert own_assoc_kernel(4, 1.0, assoc_k=0) == (0, 1.0) and own_assoc_kernel(None, 2.0, None, 3.0) == (None, 3.0)
    # the kNN edges' 10, the prior's 40, association's 160: the widest wins, capped at the support
    assert neighbour_reach(100, 10) == 10 and neighbour_reach(100, 10, None, None) == 10
    assert neighbour_reach(100, 10, 40, None) == 40 and neighbour_reach(100, 10, 40, 160) == 100
    assert neighbour_reach(100, 10, 4, 0) == 100  # 0: every support drug


def _graph(R, S, support, query):
    n, m = R.shape
    cfg = Config().graph
    return GraphBuilder(
        np.zeros((n, 2), np.float32), np.zeros((m, 2), np.float32), R, S, torch.zeros(2, 0, dtype=torch.long), cfg
    ).build(support, query)


@pytest.mark.parametrize(
    "k,power,assoc_k,assoc_power", [(0, 2.0, None, None), (3, 1.0, None, None), (2, 2.0, None, None), (2, 1.0, 0, 3.0)]
)
def test_propagation_prior_is_the_tuned_baseline(k, power, assoc_k, assoc_power):
    """With the baseline's knobs, the graph's priors are knn_offset's predictions for the query drugs:
    an untrained graph model (zero corrections) predicts exactly what its neighbour baseline does."""
    rng = np.random.default_rng(1)
    n, m = 12, 9
    R = (rng.integers(1, 6, size=(n, m)) * (rng.random((n, m)) < 0.5)).astype(np.uint8)
    S = rng.random((n, n)).astype(np.float32)
    S = (S + S.T) / 2
    support, query = np.arange(8), np.arange(8, 12)
    data = _graph(R, S, support, query)
    d, s = torch.as_tensor(np.repeat(query, m)), torch.as_tensor(np.tile(np.arange(m), len(query)))
    own = {"assoc_k": assoc_k, "assoc_power": assoc_power}  # association's own kernel, or None: k and power
    lp = LabelPropagation(offsets=True, k=k, power=power, bias_shrink=5.0, resid_shrink=2.0, assoc_share=True, **own)
    pf = lp(data, d, s)
    base = knn_offset(R, support, query, similarity=S, k=k, lam=5.0, shrink=2.0, power=power, **own)
    np.testing.assert_allclose(pf.assoc_prior.numpy().reshape(4, m), base["assoc"], atol=1e-5)
    dsf = (pf.dsf_prior.numpy() * 2 + 3).reshape(4, m)  # uncentre
    np.testing.assert_allclose(dsf, np.clip(base["dsf"], 1, 5), atol=1e-4)
    np.testing.assert_allclose(pf.dshf_prior.numpy().reshape(4, m), base["dshf"], atol=1e-5)
    dec = EdgeDecoder(4, pair_dim=pf.dim, hidden=8, prior=True, high_prior=True, start_at_prior=True).eval()
    out = dec(torch.randn(len(d), 4), torch.randn(len(d), 4), pf)  # zero-initialised heads: the priors
    expect = pf.assoc_prior.clamp(1e-3, 1 - 1e-3)
    np.testing.assert_allclose(torch.sigmoid(out["assoc"]).detach().numpy(), expect, atol=1e-5)


def test_tuned_prior_takes_the_baselines_choice():
    cfg = load_config("configs/cold.yaml")
    chosen = {"knn_offset_combined": {"k": 0, "power": 2.0, "lam": 5.0, "shrink": 1.0, "w_atc": 2.0, "w_target": 0.5}}
    t = tuned_prior(cfg, chosen)
    assert (t.model.prior.k, t.model.prior.power, t.model.prior.bias_shrink, t.model.prior.resid_shrink) == (
        0,
        2.0,
        5.0,
        1.0,
    )
    assert (t.graph.knn_weights.atc, t.graph.knn_weights.target, t.graph.knn_weights.structure) == (2.0, 0.5, 1.0)
    assert (t.model.prior.assoc_k, t.model.prior.assoc_power) == (None, None)  # one kernel unless chosen
    both = tuned_prior(
        cfg, {"knn_offset_combined": {**chosen["knn_offset_combined"], "assoc_k": 160, "assoc_power": 3.0}}
    )
    assert (both.model.prior.k, both.model.prior.assoc_k, both.model.prior.assoc_power) == (0, 160, 3.0)
    assert tuned_prior(cfg, {}) is cfg
    with pytest.raises(Exception, match="not in baselines"):
        load_config("configs/cold.yaml", ["baselines=[se_mean]", "selection.baselines={}"])
    with pytest.raises(Exception, match="assoc: share"):  # the degree prior has no share to give a kernel
        load_config(
            "configs/cold.yaml", ["model.prior.assoc=degree", "selection.baselines.knn_offset_combined.assoc_k=[0]"]
        )
    with pytest.raises(Exception, match="correction_centring"):
        load_config("configs/warm.yaml", ["model.correction_centring=[false, true]"])


def test_choose_correction_picks_per_head_on_validation():
    """Each head keeps the share (and centring) its own validation metric scores best."""

    class Model:
        decoder = EdgeDecoder(4, pair_dim=3, hidden=8, prior=True, high_prior=True)

    model = Model()

    def validate(_):
        a, c = float(model.decoder.correction[0]), bool(model.decoder.centre[0])
        # dsf best at 0.5 without centring, dshf best at 1.0 centred, assoc best at 0 (the prior)
        return {
            "dsf_scc": -abs(a - 0.5) - 0.1 * c,
            "dshf_auroc": a + 0.2 * c,
            "assoc_auroc_all": -a,
        }

    rec = choose_correction(model, validate, [1.0, 0.5, 0.0], [False, True])
    assert rec["chosen"] == {
        "dsf": {"scale": 0.5, "centre": False},
        "dshf": {"scale": 1.0, "centre": True},
        "assoc": {"scale": 0.0, "centre": False},
    }
    assert model.decoder.correction.tolist() == [0.5, 1.0, 0.0] and model.decoder.centre.tolist() == [0, 1, 0]
    assert len(rec["validation"]) == 6
    assert choose_correction(model, validate, [1.0], [False]) == {}  # nothing to choose


def test_centring_removes_each_drugs_mean_correction():
    z = torch.tensor([[1.0, 0.0, 2.0], [3.0, 0.0, 4.0], [-1.0, 1.0, 0.0], [1.0, 3.0, 0.0]])
    d = torch.tensor([0, 0, 5, 5])
    np.testing.assert_allclose(drug_means(z, d, 2), [[2, 0, 3], [2, 0, 3], [0, 2, 0], [0, 2, 0]])
    with pytest.raises(ValueError, match="whole rows"):
        drug_means(z, torch.tensor([0, 0, 0, 5]), 2)
    dec = EdgeDecoder(2, pair_dim=1, hidden=4, prior=True)
    pair = PairFeatures(torch.zeros(4, 0), assoc_prior=torch.full((4,), 0.5), dsf_prior=torch.zeros(4))
    dec.centre.fill_(1.0)
    out = dec.combine(z, pair, drug_means(z, d, 2))
    # centred assoc corrections: -1, +1 for drug 0; 0, 0 for drug 5 (prior logit 0)
    np.testing.assert_allclose(out["assoc"].detach().numpy(), [-1.0, 1.0, 0.0, 0.0], atol=1e-6)
    with pytest.raises(ValueError, match="pass shift"):
        dec.combine(z, pair)
    # dsf: drug 5's corrections -1, +1 keep their spread around the prior class 3 (logit 0)
    assert math.isclose(float(out["dsf"][2]), 1 + 4 / (1 + math.e), abs_tol=1e-5)


def test_knob_grid_cache_gives_the_same_numbers_and_is_filled_once_per_lam():
    """A grid sharing one cache (bias fits per lam, the labels of the fit rows) returns exactly what
    fresh calls return, in any order of the grid."""
    rng = np.random.default_rng(0)
    R = rng.integers(0, 6, size=(12, 7)) * (rng.random((12, 7)) < 0.5)
    S = rng.random((12, 12))
    S = (S + S.T) / 2
    train, query = np.arange(9), np.arange(9, 12)
    grid = [
        dict(k=k, lam=lam, shrink=sh, power=p)
        for lam in (1.0, 5.0)
        for k in (2, 0)
        for sh in (1.0, 3.0)
        for p in (1, 2)
    ]
    cache: dict = {}
    for g in grid[::-1] + grid:
        got = knn_offset(R, train, query, S, cache=cache, **g)
        want = knn_offset(R, train, query, S, **g)
        assert all(np.array_equal(got[h], want[h]) for h in ("dsf", "dshf", "assoc")), g
    fits = sorted(k for k in cache if k != "rows" and k[0] not in ("neighbours", "share"))
    assert fits == [("dsf", 1.0), ("dsf", 5.0), ("dshf", 1.0), ("dshf", 5.0)]
    # one neighbourhood per (k, power), whatever lam and shrink; another similarity gets its own
    assert sorted({k[2:] for k in cache if k[0] in ("neighbours", "share")}) == [(0, 1), (0, 2), (2, 1), (2, 2)]
    other = S**2
    got = knn_offset(R, train, query, other, cache=cache, **grid[0])
    want = knn_offset(R, train, query, other, **grid[0])
    assert all(np.array_equal(got[h], want[h]) for h in ("dsf", "dshf", "assoc"))
    got["assoc"][:] = -1  # a caller's edit does not reach the cache
    assert np.array_equal(knn_offset(R, train, query, other, cache=cache, **grid[0])["assoc"], want["assoc"])
