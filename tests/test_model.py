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


def test_decoder_heads_shapes_and_range():
    dec = EdgeDecoder(4, pair_dim=2, hidden=8)
    out = dec(torch.randn(5, 4), torch.randn(5, 4), PairFeatures(torch.randn(5, 2)))
    assert set(out) == {"dsf", "dshf", "assoc"} and all(v.shape == (5,) for v in out.values())
    assert torch.all((out["dsf"] >= 1) & (out["dsf"] <= 5))


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


def test_every_conv_type_runs(bench):
    for conv in ("sage", "gat", "graph"):
        cfg = Config(model={"conv": conv, "hidden": 16, "layers": 1})
        builder = _builder(bench, cfg)
        model = build_model(cfg, 8, 8, bench.n_side_effects)
        out = model(builder.build(np.arange(12), np.arange(12, 20)), torch.arange(12, 20), torch.arange(8))
        assert out["dsf"].shape == (8,)


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
