import json

import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.errors import UserError
from llmpredgraph.workflows.executor import LocalExecutor, make_executor

from .test_cli import TINY


def _square(shared, item):
    return shared * item * item


def test_local_executor_maps_in_order_and_refuses_bad_names():
    assert list(LocalExecutor().map(_square, 2, [1, 2, 3])) == [(1, 2), (2, 8), (3, 18)]
    with pytest.raises(UserError, match="unknown executor"):
        make_executor("dask")
    with pytest.raises(UserError, match="--ray-address needs --executor ray"):
        make_executor("local", "auto")


def test_ray_executor_reproduces_local_metrics(tmp_path):
    """The same tiny experiment (2 folds) and a 2-variant ablation give identical metrics under a
    local Ray instance and in this process."""
    ray = pytest.importorskip("ray")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    common = ["--config", str(cfg), "--set", "protocol.run_folds=[0,1]", "--set", "threads=1", "--quiet"]
    local = CliRunner().invoke(main, ["experiment", *common, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        res = CliRunner().invoke(main, ["experiment", *common, "--out", str(tmp_path / "ray"), "--executor", "ray"])
        assert res.exit_code == 0, res.output
        want = json.loads((tmp_path / "local" / "metrics.json").read_text())
        got = json.loads((tmp_path / "ray" / "metrics.json").read_text())
        assert sorted(got) == ["0", "1"] and got == want
        for k in (0, 1):  # predictions too, row for row
            a = (tmp_path / "local" / "folds" / f"fold_{k}" / "predictions.csv").read_text()
            assert (tmp_path / "ray" / "folds" / f"fold_{k}" / "predictions.csv").read_text() == a
        abl = tmp_path / "abl"
        res = CliRunner().invoke(
            main,
            ["ablate", *common, "--variant", "no_drug_knn", "--out", str(abl), "--executor", "ray"],
        )
        assert res.exit_code == 0, res.output
        base = json.loads((abl / "base" / "metrics.json").read_text())
        assert {k: v["graph"] for k, v in base.items()} == {k: v["graph"] for k, v in want.items()}
        assert (abl / "no_drug_knn" / "metrics.json").is_file() and (abl / "ablation.csv").is_file()
    finally:
        ray.shutdown()
