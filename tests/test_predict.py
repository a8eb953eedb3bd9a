import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from llmpredgraph.cli import main

from .test_cli import TINY


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("model")
    mp = pytest.MonkeyPatch()
    mp.setenv("LLMPREDGRAPH_DATA_DIR", str(root / "data"))
    cfg = root / "tiny.yaml"
    cfg.write_text(TINY)
    res = CliRunner().invoke(
        main, ["train", "--config", str(cfg), "--out", str(root / "m"), "--quiet"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    yield root / "m"
    mp.undo()


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_predict_new_smiles_ranked(model_dir):
    res = _invoke(
        "predict", "--model", str(model_dir), "--smiles", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "--top", "5", "--format", "json"
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert len(rows) == 5 and [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    probs = [r["association_prob"] for r in rows]
    assert probs == sorted(probs, reverse=True)
    for r in rows:
        assert (
            1 <= r["expected_class"] <= 5 and r["predicted_class"] in range(1, 6) and 0 <= r["high_frequency_prob"] <= 1
        )


def test_predict_is_inductive_and_deterministic(model_dir):
    from llmpredgraph.pipeline.pipeline import Pipeline

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
    scores = tmp_path / "scores.csv"
    res = _invoke("predict", "--model", str(model_dir), "--drugs", "all", "--out", str(scores))
    assert res.exit_code == 0, res.output
    full = pd.read_csv(scores)
    assert len(full) == 20 * 30 and full["drug"].nunique() == 20


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
