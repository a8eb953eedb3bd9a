import json

import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.workflows.tracking import flat_params

from .test_cli import TINY


def test_flat_params_by_hand():
    assert flat_params({"model": {"hidden": 16, "conv": "sage"}, "seed": 0, "baselines": ["a"]}) == {
        "model.hidden": "16",
        "model.conv": "sage",
        "seed": "0",
        "baselines": "['a']",
    }


def test_experiment_and_train_log_to_a_local_mlflow_store(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    out = tmp_path / "run"
    res = CliRunner().invoke(
        main,
        ["experiment", "--config", str(cfg), "--set", "protocol.run_folds=[0,2]", "--out", str(out)]
        + ["--quiet", "--track", "mlflow"],
    )
    assert res.exit_code == 0, res.output
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("tiny")
    (run,) = client.search_runs([exp.experiment_id])
    metrics = json.loads((out / "metrics.json").read_text())
    history = client.get_metric_history(run.info.run_id, "graph.dsf_scc")
    assert {h.step: h.value for h in history} == pytest.approx({k: metrics[str(k)]["graph"]["dsf_scc"] for k in (0, 2)})
    mean = (metrics["0"]["graph"]["dsf_scc"] + metrics["2"]["graph"]["dsf_scc"]) / 2
    assert run.data.metrics["graph.dsf_scc.mean"] == pytest.approx(mean)
    assert run.data.params["model.hidden"] == "16" and run.data.params["protocol.folds"] == "3"
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"summary.md", "config.yaml", "metrics.csv", "plots"} <= names

    res = CliRunner().invoke(
        main, ["train", "--config", str(cfg), "--out", str(tmp_path / "m"), "--quiet", "--track", "mlflow"]
    )
    assert res.exit_code == 0, res.output
    runs = client.search_runs([exp.experiment_id], filter_string="tags.kind = 'model'")
    assert len(runs) == 1
    files = {a.path for a in client.list_artifacts(runs[0].info.run_id, "model")}
    assert {"model/model.pt", "model/config.yaml"} <= files
