import json

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner

from llmpredgraph.cli import main

from .test_cli import TINY


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def _predict_json(model_dir, smiles: str, *extra: str) -> list[dict]:
    res = _invoke("predict", "--model", str(model_dir), "--smiles", smiles, "--format", "json", *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_predict_new_smiles_ranked(model_dir):
    rows = _predict_json(model_dir, "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "--top", "5", "--rank", "association")
    assert len(rows) == 5 and [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    probs = [r["association_prob"] for r in rows]
    assert probs == sorted(probs, reverse=True)
    for r in rows:
        assert (
            1 <= r["expected_class"] <= 5 and r["predicted_class"] in range(1, 6) and 0 <= r["high_frequency_prob"] <= 1
        )


def test_lift_ranking_by_hand():
    from llmpredgraph.workflows.tables import ranked_table

    base = np.array([0.8, 0.4, 0.4])  # typical probabilities: side effect 0 is common
    p = {"assoc": np.array([0.99, 0.6, 0.3]), "dsf": np.array([3.0, 2.0, 4.0]), "dshf": np.array([0.5, 0.1, 0.9])}
    t = ranked_table(["common", "specific", "unlikely"], p, None, base, "lift")
    # likely ones (>= 0.5) first, ordered by lift 0.6 / 0.4 = 1.5 over 0.99 / 0.8; then the rest
    assert t["side_effect"].tolist() == ["specific", "common", "unlikely"]
    assert t["lift"].tolist() == [1.5, round(0.99 / 0.8, 2), 0.75]
    a = ranked_table(["common", "specific", "unlikely"], p, 2, base, "association")
    assert a["side_effect"].tolist() == ["common", "specific"] and a["rank"].tolist() == [1, 2]


def test_predict_lift_ranking(model_dir):
    rows = _predict_json(model_dir, "CCOc1ccccc1", "--top", "0", "--rank", "lift")
    likely = [r for r in rows if r["association_prob"] >= 0.5]
    assert [r["lift"] for r in likely] == sorted((r["lift"] for r in likely), reverse=True)
    assert all(0 < r["typical_prob"] < 1 for r in rows)
    from llmpredgraph.pipeline.fitted import Pipeline

    pipe = Pipeline.load(model_dir)
    saved = pipe.typical_rates()  # read from the folder, equal to recomputing it
    pipe._typical = None
    np.testing.assert_allclose(saved, pipe.typical_rates(), atol=1e-6)


def test_predict_is_inductive_and_deterministic(model_dir):
    from llmpredgraph.pipeline.fitted import Pipeline

    p = Pipeline.load(model_dir)
    a = p.predict(smiles=["CCOc1ccccc1", "CCCCCCN"])
    b = p.predict(smiles=["CCCCCCN"])
    # a molecule's scores do not depend on which other new molecules arrive with it
    for k in a:
        assert abs(a[k][1] - b[k][0]).max() < 1e-5


def test_predict_bad_inputs_are_one_line_errors(model_dir, tmp_path):
    res = _invoke("predict", "--model", str(model_dir), "--smiles", "C1CC(")
    assert res.exit_code == 2 and "invalid SMILES" in res.output and res.output.strip().count("\n") == 0
    res = _invoke("predict", "--model", str(model_dir), "--smiles", " ")
    assert res.exit_code == 2 and "empty SMILES" in res.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    res = _invoke("predict", "--model", str(model_dir), "--input", str(empty))
    assert res.exit_code == 2 and "empty" in res.output
    res = _invoke("predict", "--model", str(tmp_path), "--smiles", "CCO")
    assert res.exit_code == 2 and "not a model folder" in res.output


def test_predict_csv_input_and_all_drugs(model_dir, tmp_path):
    inp = tmp_path / "in.csv"
    inp.write_text("name,smiles\nibuprofen,CC(C)Cc1ccc(cc1)C(C)C(=O)O\nhexylamine,CCCCCCN\n")
    out = tmp_path / "pred.csv"
    res = _invoke("predict", "--model", str(model_dir), "--input", str(inp), "--top", "3", "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert df["molecule"].tolist() == ["ibuprofen"] * 3 + ["hexylamine"] * 3
    # a cold model saw every benchmark drug: no in-sample scores for them
    res = _invoke("predict", "--model", str(model_dir), "--drugs", "all", "--out", str(tmp_path / "s.csv"))
    assert res.exit_code == 2 and "in-sample" in res.output and "--out-of-fold" in res.output


def test_out_of_fold_scores_come_from_the_folds(tmp_path):
    from llmpredgraph.workflows.oof import out_of_fold_scores

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY.replace("protocol: {folds: 3}", "protocol: {folds: 3, repeats: 2}"))
    run = tmp_path / "run"
    res = CliRunner().invoke(
        main, ["experiment", "--config", str(cfg), "--out", str(run), "--quiet"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    scores, count, bench = out_of_fold_scores(run, "graph")
    assert (count == 2).all()  # every drug tested once per repeat
    # a drug's out-of-fold scores are the mean of its two test folds' matrices
    d = 0
    mats = []
    for k in range(6):
        z = np.load(run / "folds" / f"fold_{k}" / "scores.npz")
        if d in z["rows"]:
            mats.append(z["graph__dsf"][list(z["rows"]).index(d)])
    np.testing.assert_allclose(scores["dsf"][d], np.mean(mats, axis=0), rtol=1e-6)
    out = tmp_path / "oof.csv"
    res = _invoke("predict", "--drugs", "all", "--out-of-fold", str(run), "--method", "knn_offset", "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == 20 * 30 and set(df["repeats"]) == {2}
    res = _invoke("predict", "--drugs", "all", "--out-of-fold", str(run), "--method", "nope", "--out", str(out))
    assert res.exit_code == 2 and "no method 'nope'" in res.output


def test_warm_model_completes_known_drugs(tmp_path):
    """A warm model trained with 40 known pairs removed ranks those pairs above the drugs' other
    unknown pairs: completion out of sample."""
    from llmpredgraph.data.synthetic import synthetic_benchmark
    from llmpredgraph.metrics.functions import rank_auroc

    bench = synthetic_benchmark()
    full = bench.R.copy()
    known = np.argwhere(full > 0)
    removed = known[np.random.default_rng(0).choice(len(known), 40, replace=False)]
    bench.R[removed[:, 0], removed[:, 1]] = 0
    bench.save(tmp_path / "processed")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY.replace("data: synthetic", f"data: {tmp_path / 'processed'}"))
    m = tmp_path / "warm"
    res = CliRunner().invoke(
        main, ["train", "--config", str(cfg), "--protocol", "warm", "--out", str(m), "--quiet"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    out = tmp_path / "complete.csv"
    res = _invoke("predict", "--model", str(m), "--drugs", "all", "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == 20 * 30 and (df["known_class"] > 0).sum() == 250 - 40
    unknown = df[df["known_class"] == 0]
    drug = unknown["drug"].str[4:].astype(int).to_numpy()
    se = unknown["side_effect"].str[7:].astype(int).to_numpy()
    hidden = full[drug, se] > 0  # the removed pairs among the model's unknowns
    assert hidden.sum() == 40
    assert rank_auroc(hidden, unknown["association_prob"].to_numpy()) > 0.7
    res = _invoke("predict", "--model", str(m), "--smiles", "CCO")
    assert res.exit_code == 2 and "warm completion model" in res.output


def test_model_with_another_encoder_is_refused(model_dir, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    meta = yaml.safe_load((other / "meta.yaml").read_text())
    meta["encoders"]["drug"] = "smiles-lm:some-other-model"
    (other / "meta.yaml").write_text(yaml.safe_dump(meta))
    res = _invoke("predict", "--model", str(other), "--smiles", "CCO")
    assert res.exit_code == 2 and "trained with encoder" in res.output
    meta["version"] = "99.0.0"
    (other / "meta.yaml").write_text(yaml.safe_dump(meta))
    res = _invoke("predict", "--model", str(other), "--smiles", "CCO")
    assert res.exit_code == 2 and "retrain" in res.output


def test_train_hold_out_leaves_drugs_and_their_twins_out(tmp_path, bench):
    bench.drugs.loc[[3, 4], "structure_group"] = bench.drugs.loc[3, "structure_group"]  # drug04 is drug03's twin
    smaller, held = bench.without(["DRUG03"])
    assert held == ["drug03", "drug04"] and smaller.n_drugs == bench.n_drugs - 2
    assert "drug03" not in smaller.drug_names and (smaller.R == np.delete(bench.R, [3, 4], axis=0)).all()
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    out = tmp_path / "held"
    res = _invoke("train", "--config", str(cfg), "--out", str(out), "--hold-out", "drug07", "--quiet")
    assert res.exit_code == 0, res.output
    assert "held out: drug07" in res.output
    meta = yaml.safe_load((out / "meta.yaml").read_text())
    names = json.loads((out / "names.json").read_text())["drugs"]
    assert meta["held_out"] == ["drug07"] and "drug07" not in names and len(names) == bench.n_drugs - 1
    bad = _invoke("train", "--config", str(cfg), "--out", str(tmp_path / "x"), "--hold-out", "nodrug")
    assert bad.exit_code != 0 and "unknown drug 'nodrug'" in bad.output
    warm = _invoke(
        "train", "--config", str(cfg), "--protocol", "warm", "--out", str(tmp_path / "w"), "--hold-out", "drug07"
    )
    assert warm.exit_code != 0 and "--hold-out leaves drugs out of a cold model" in warm.output


def test_new_molecules_score_as_the_pairwise_decoder_would(model_dir, monkeypatch):
    """predict_molecules decodes whole rows through the factorised first layer; swapping in the
    pairwise path (`predict_pairs`) gives the same scores to float tolerance."""
    from llmpredgraph.pipeline import molecules
    from llmpredgraph.pipeline.fitted import Pipeline

    pipe = Pipeline.load(model_dir)
    smiles = ["CC(C)Cc1ccc(cc1)C(C)C(=O)O", "CN1CCC[C@H]1c1cccnc1", "OC(=O)c1ccccc1O"]
    fast = pipe.predict_molecules(smiles)
    assert {"standardise", "encode", "neighbours", "graph", "decode"} <= set(pipe.stages.as_dict())

    def pairwise(pipe, support, query, rows, builder, chunk=200_000):
        n_se = pipe.support.n_side_effects
        d, s = np.repeat(rows, n_se), np.tile(np.arange(n_se), len(rows))
        return pipe.predict_pairs(support, query, d, s, builder=builder)

    monkeypatch.setattr(molecules, "decode_rows", pairwise)
    slow = pipe.predict_molecules(smiles)
    for k in ("assoc", "dsf", "dshf"):
        assert fast[k].shape == (3, pipe.support.n_side_effects)
        np.testing.assert_allclose(fast[k], slow[k], rtol=1e-5, atol=1e-6)


def test_whole_rows_score_as_the_pairwise_decoder_would(model_dir):
    """predict_matrix (validation and test rows of the folds) decodes through the factorised first
    layer; predict_pairs on the same pairs agrees, also with labels passed in (R), another model
    object and a decoder that centres its corrections per drug (the shift needs whole rows)."""
    import copy

    from llmpredgraph.pipeline.fitted import Pipeline

    pipe = Pipeline.load(model_dir)
    n, n_se = pipe.support.n_drugs, pipe.support.n_side_effects
    query = np.arange(0, n, 7)
    support = np.setdiff1d(np.arange(n), query)
    R = pipe.support.R.copy()
    R[support[:3]] = 0  # labels the graph shows differ from the pipeline's own
    model = copy.deepcopy(pipe.model)
    model.decoder.centre.fill_(1.0)
    d, s = np.repeat(query, n_se), np.tile(np.arange(n_se), len(query))
    for kw in ({}, {"R": R, "model": model}):
        rows = pipe.predict_matrix(support, query, **kw)
        pairs = pipe.predict_pairs(support, query, d, s, **kw)
        for k in ("assoc", "dsf", "dshf"):
            assert rows[k].shape == (len(query), n_se)
            np.testing.assert_allclose(rows[k].ravel(), pairs[k], rtol=1e-5, atol=1e-6)
    assert not np.allclose(
        pipe.predict_matrix(support, query, R=R, model=model)["dsf"], pipe.predict_matrix(support, query)["dsf"]
    )
