import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.errors import UserError
from llmpredgraph.workflows.executor import WORKER_GIB, LocalExecutor, auto_workers, make_executor

from .test_cli import TINY


def _square(shared, item):
    return shared * item * item


def test_local_executor_maps_in_order_and_refuses_bad_names():
    assert list(LocalExecutor().map(_square, 2, [1, 2, 3])) == [(1, 2), (2, 8), (3, 18)]
    with pytest.raises(UserError, match="unknown executor"):
        make_executor("dask")
    with pytest.raises(UserError, match="--ray-address needs --executor ray"):
        make_executor("local", "auto")


def _refuse_three(shared, item):
    if item == 3:
        raise UserError(f"item {item} is bad", "drop it")
    return item


def test_auto_workers_one_per_threads_cores_within_items_and_memory():
    assert auto_workers(None, 30, cores=16, mem_gib=100) == 1  # torch takes every core itself
    assert auto_workers(1, 30, cores=2, mem_gib=24) == 2  # the headline: 1 thread on 2 cores
    assert auto_workers(2, 30, cores=2, mem_gib=24) == 1
    assert auto_workers(4, 30, cores=16, mem_gib=100) == 4
    assert auto_workers(1, 3, cores=16, mem_gib=100) == 3  # never more workers than folds
    assert auto_workers(1, 1, cores=16, mem_gib=100) == 1
    assert auto_workers(1, 30, cores=16, mem_gib=3.5 * WORKER_GIB) == 3  # memory for 3
    assert auto_workers(1, 30, cores=16, mem_gib=WORKER_GIB / 2) == 1  # never fewer than one


def test_local_workers_give_every_result_and_pass_a_task_error_on_intact():
    ex = LocalExecutor(workers=2)
    assert not ex.inner_progress
    assert sorted(ex.map(_square, 3, [1, 2, 3, 4])) == [(1, 3), (2, 12), (3, 27), (4, 48)]
    with pytest.raises(UserError) as err:
        list(LocalExecutor(workers=2).map(_refuse_three, None, [1, 2, 3, 4]))
    assert str(err.value) == "item 3 is bad. Fix: drop it." and err.value.fix == "drop it"
    auto = LocalExecutor("auto")
    assert auto.plan(None, 30) == 1 and auto.workers == 1 and auto.inner_progress
    for bad in (0, -1, "two", 1.5):
        with pytest.raises(UserError, match="--workers must be a positive number"):
            LocalExecutor(bad)
    with pytest.raises(UserError, match="--workers is for --executor local"):
        make_executor("ray", workers=2)


def test_experiment_in_worker_processes_reproduces_one_at_a_time(tmp_path):
    """Two folds of the tiny experiment, one torch thread each: two worker processes give the
    metrics and predictions of one process running them in turn, cell for cell."""
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    common = ["--config", str(cfg), "--set", "protocol.run_folds=[0,1]", "--set", "threads=1"]
    for n in ("1", "2"):
        res = CliRunner().invoke(main, ["experiment", *common, "--out", str(tmp_path / n), "--workers", n])
        assert res.exit_code == 0, res.output
    assert "2 folds, 2 at a time in worker processes" in res.output
    want = json.loads((tmp_path / "1" / "metrics.json").read_text())
    assert sorted(want) == ["0", "1"] and json.loads((tmp_path / "2" / "metrics.json").read_text()) == want
    for k in (0, 1):
        a = (tmp_path / "1" / "folds" / f"fold_{k}" / "predictions.csv").read_text()
        assert (tmp_path / "2" / "folds" / f"fold_{k}" / "predictions.csv").read_text() == a


def test_bad_workers_option_is_one_line():
    for value in ("0", "many"):
        res = CliRunner().invoke(main, ["experiment", "--workers", value])
        assert res.exit_code == 2 and "is not a positive number or 'auto'" in res.output
    cold = str(Path(__file__).parents[1] / "configs" / "cold.yaml")
    res = CliRunner().invoke(main, ["experiment", "--config", cold, "--workers", "2", "--executor", "ray"])
    assert res.exit_code != 0 and "--workers is for --executor local" in res.output


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
