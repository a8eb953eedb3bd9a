import numpy as np
import pytest
import torch

from llmpredgraph.config import Config
from llmpredgraph.graph.build import GraphBuilder
from llmpredgraph.graph.decoder import EdgeDecoder
from llmpredgraph.graph.edges import hierarchy_edges
from llmpredgraph.graph.model import LinkModel, build_model
from llmpredgraph.graph.pair_features import PairFeatures


def _builder(bench, cfg, dim=8):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(bench.n_drugs, dim)).astype(np.float32)
    xs = rng.normal(size=(bench.n_side_effects, dim)).astype(np.float32)
    return GraphBuilder(
        x, xs, bench.R, (x @ x.T).astype(np.float32), hierarchy_edges(bench.side_effects, bench.hierarchy), cfg.graph
    )


def test_plain_mlp_uses_the_same_decoder_class():
    cfg = Config()
    graph = build_model(cfg, 8, 6, 30)
    mlp = build_model(
        cfg.model_copy(
            update={"model": cfg.model.model_copy(update={"message_passing": False, "label_propagation": False})}
        ),
        8,
        6,
        30,
    )
    assert type(graph.decoder) is type(mlp.decoder) is EdgeDecoder
    assert graph.message_passing is not None and mlp.message_passing is None and mlp.propagation is None
    assert type(graph.encoder) is type(mlp.encoder)


def test_decoder_heads_by_hand():
    """Heads = correction * learned part + logit(prior); DSF mapped through 1 + 4 sigmoid."""
    dec = EdgeDecoder(2, pair_dim=3, hidden=4, prior=True, high_prior=True, start_at_prior=True)
    pair = PairFeatures(
        torch.zeros(2, 0),
        dshf_prior=torch.tensor([0.2, 0.5]),
        assoc_prior=torch.tensor([0.75, 0.1]),
        dsf_prior=torch.tensor([0.0, 0.5]),  # centred: classes 3 and 4
    )
    h = torch.randn(2, 2)
    out = dec(h, h, pair)  # corrections start at zero: the priors exactly
    torch.testing.assert_close(out["dsf"], torch.tensor([3.0, 4.0]))
    torch.testing.assert_close(out["dshf"], torch.logit(torch.tensor([0.2, 0.5])))
    torch.testing.assert_close(out["assoc"], torch.log(torch.tensor([3.0, 1 / 9])))
    with torch.no_grad():
        dec.heads.bias.copy_(torch.tensor([1.0, -1.0, 2.0]))  # a learned part of (1, -1, 2) on every pair
    dec.correction.copy_(torch.tensor([0.5, 1.0, 0.25]))
    out = dec(h, h, pair)
    # DSF: logit(to_unit(3)) = 0, + 0.5 * 1 -> 1 + 4 sigmoid(0.5); logit(to_unit(4)) = log 3
    want_dsf = 1 + 4 * torch.sigmoid(torch.tensor([0.5, np.log(3.0) + 0.5]))
    torch.testing.assert_close(out["dsf"], want_dsf.float())
    torch.testing.assert_close(out["dshf"], torch.logit(torch.tensor([0.2, 0.5])) - 1.0)
    torch.testing.assert_close(out["assoc"], torch.log(torch.tensor([3.0, 1 / 9])) + 0.5)


def test_tiny_graph_is_overfit(bench):
    """All labels visible as support, all drugs supervised: the model must memorise them."""
    torch.manual_seed(0)
    cfg = Config(model={"hidden": 32, "dropout": 0.0, "layers": 2}, graph={"drug_knn": {"k": 3}})
    builder = _builder(bench, cfg)
    model = build_model(cfg, 8, 8, bench.n_side_effects)
    support = np.arange(10)
    query = np.arange(10, bench.n_drugs)
    data = builder.build(support, query)
    r, c = np.nonzero(bench.R[query])
    d, s = torch.as_tensor(query[r]), torch.as_tensor(c)
    y = torch.as_tensor(bench.R[query[r], c], dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        loss = torch.nn.functional.mse_loss(model(data, d, s)["dsf"], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.05, float(loss.detach())


def test_model_save_load_roundtrip(tmp_path, bench):
    cfg = Config(model={"hidden": 16})
    builder = _builder(bench, cfg)
    model = build_model(cfg, 8, 8, bench.n_side_effects).eval()
    data = builder.build(np.arange(12), np.arange(12, 20))
    d, s = torch.arange(12, 20), torch.arange(8)
    model.save(tmp_path / "m.pt", {"note": 1})
    again, extra = LinkModel.load(tmp_path / "m.pt")
    again.eval()
    assert extra == {"note": 1}
    for k, v in model(data, d, s).items():
        assert torch.allclose(v, again(data, d, s)[k])


def test_every_conv_type_passes_messages_from_neighbours(bench):
    """A query drug's prediction moves when a drug it is linked to changes its input vector, for
    every conv type; the plain MLP (no message passing) does not see the neighbour at all."""
    for conv in ("sage", "gat", "graph", None):
        cfg = Config(model={"conv": conv or "sage", "hidden": 16, "layers": 1, "message_passing": conv is not None})
        torch.manual_seed(0)
        builder = _builder(bench, cfg)
        model = build_model(cfg, 8, 8, bench.n_side_effects).eval()
        data = builder.build(np.arange(12), np.arange(12, 20))
        src, dst = data["drug", "similar", "drug"].edge_index
        q = int(dst[np.isin(dst.numpy(), np.arange(12, 20))][0])  # a query drug with a neighbour
        nb = int(src[dst == q][0])
        d, s = torch.full((5,), q), torch.arange(5)
        before = model(data, d, s)["dsf"]
        data["drug"].x[nb] += 3.0
        after = model(data, d, s)["dsf"]
        moved = not torch.allclose(before, after)
        assert moved == (conv is not None), conv


def test_factorised_rows_equal_the_pairwise_decoder():
    """learned_rows (first layer split into drug, side-effect, product and pair parts) gives the
    pairwise decoder's outputs on every (drug, side effect) pair, with and without pair features."""
    torch.manual_seed(0)
    m, s, nd, pd = 3, 5, 4, 2
    h_d, h_s = torch.randn(m, nd), torch.randn(s, nd)
    d, j = torch.arange(m).repeat_interleave(s), torch.arange(s).repeat(m)
    pair = PairFeatures(torch.randn(m * s, pd - 1), assoc_prior=torch.rand(m * s))
    for dec, p in ((EdgeDecoder(nd, pd, hidden=6, prior=True), pair), (EdgeDecoder(nd, 0, hidden=6), None)):
        dec.eval()
        want = dec.learned(h_d[d], h_s[j], p)
        got = dec.learned_rows(h_d, h_s, p)
        assert got.shape == (m * s, 3)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="15 rows"):  # a short pair block is refused, not broadcast
        EdgeDecoder(nd, pd, hidden=6).learned_rows(h_d, h_s, pair.rows(slice(0, s)))


def test_reset_parameters_forgets_training(bench):
    """reset_parameters re-draws every learned weight: a perturbed model and a fresh one, reset under
    the same seed, are identical (a part left out would keep its perturbation)."""
    import copy

    cfg = Config(model={"hidden": 16, "layers": 2, "se_embedding": True})
    fresh = build_model(cfg, 8, 8, bench.n_side_effects)
    trained = copy.deepcopy(fresh)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(1.0)
    trained.decoder.correction.fill_(0.3)
    for m in (fresh, trained):
        torch.manual_seed(7)
        m.reset_parameters()
    a, b = fresh.state_dict(), trained.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], msg=k)
    assert any(k.startswith("message_passing.") for k in a) and any(k.startswith("encoder.se_emb") for k in a)
