import numpy as np
import pytest
import torch
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.config import Config
from llmpredgraph.contrastive.stage import run_contrastive
from llmpredgraph.contrastive.towers import Standardize
from llmpredgraph.errors import UserError
from llmpredgraph.pipeline.features import NodeFeatures
from llmpredgraph.pipeline.fitted import Pipeline
from llmpredgraph.pipeline.support import SupportData
from llmpredgraph.pipeline.tower import DrugTower
from llmpredgraph.protocols.cold import cold_sampler, cold_validator
from llmpredgraph.workflows import experiment as runner

from .test_cli import TINY


def test_ctrl_c_mid_fold_keeps_finished_folds_and_resume_completes(tmp_path, monkeypatch):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    out = tmp_path / "run"
    real = runner.run_fold
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "run_fold", interrupted)
    res = CliRunner().invoke(main, ["experiment", "--config", str(cfg), "--out", str(out), "--quiet"])
    assert res.exit_code == 130 and "--resume" in res.output
    assert (out / "folds" / "fold_0" / "metrics.json").is_file()
    assert not (out / "folds" / "fold_1").exists()  # nothing half-written
    assert not (out / "summary.md").exists()
    monkeypatch.setattr(runner, "run_fold", real)
    res = CliRunner().invoke(
        main, ["experiment", "--config", str(cfg), "--out", str(out), "--resume", "--quiet"], catch_exceptions=False
    )
    assert res.exit_code == 0
    assert all((out / "folds" / f"fold_{k}" / "metrics.json").is_file() for k in range(3))
    assert (out / "summary.md").is_file()


def test_nan_loss_stops_with_the_step(bench):
    cfg = Config(model={"hidden": 8}, train={"epochs": 3})
    x = np.full((bench.n_drugs, 4), np.nan, dtype=np.float32)
    xs = np.ones((bench.n_side_effects, 4), dtype=np.float32)
    feats = NodeFeatures(x, xs, np.eye(bench.n_drugs, dtype=np.float32), DrugTower("standardize", Standardize(4)))
    pipe = Pipeline(cfg, feats, SupportData.from_benchmark(bench, np.zeros((bench.n_drugs, 8))))
    fit, val = np.arange(14), np.arange(14, 17)
    sampler = cold_sampler(pipe.builder, bench.R, fit, cfg.train, pipe.uses_graph)
    with pytest.raises(UserError, match="NaN/inf at epoch 1"):
        pipe.fit(sampler, cold_validator(pipe, bench.R, fit, val), seed=0, progress=False)


def test_nan_in_contrastive_stage_names_the_step(bench):
    X = np.full((bench.n_drugs, 4), np.nan, dtype=np.float32)
    cfg = Config().contrastive.model_copy(update={"steps": 2, "dim": 4, "hidden": 8})
    with pytest.raises(UserError, match="at step 0"):
        run_contrastive(bench.R, np.arange(15), X, np.ones((bench.n_side_effects, 4), np.float32), cfg, progress=False)


def test_data_commands_without_mirror_or_files(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMPREDGRAPH_DATA_MIRROR", str(tmp_path / "missing"))
    res = CliRunner().invoke(main, ["data", "fetch"])
    assert res.exit_code == 2 and "does not exist" in res.output and res.output.count("\n") == 1
    res = CliRunner().invoke(main, ["data", "prepare"])
    assert res.exit_code == 2 and "data fetch" in res.output
    res = CliRunner().invoke(main, ["data", "stats"])
    assert res.exit_code == 2 and "data prepare" in res.output


def test_wrong_override_types():
    from llmpredgraph.config import load_config

    with pytest.raises(UserError, match="model.layers"):
        load_config(None, ["model.layers=deep"])
    with pytest.raises(UserError, match="has no '='"):
        load_config(None, ["model.layers"])
    assert load_config(None, ["model.conv=gat"]).model.conv == "gat"


def test_threads_setting_is_applied():
    from llmpredgraph.runtime import set_threads

    before = torch.get_num_threads()
    set_threads(Config(threads=1).threads)
    assert torch.get_num_threads() == 1
    torch.set_num_threads(before)


def test_train_rejects_a_bad_protocol_before_any_work(tmp_path):
    res = CliRunner().invoke(main, ["train", "--protocol", "hot", "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "hot" in res.output and not (tmp_path / "m").exists()


def test_progress_off_a_terminal_writes_whole_lines():
    """A pipe or log gets plain lines (no carriage-return frames); a terminal would get the live bar."""
    import io

    from llmpredgraph.progress import bar

    out = io.StringIO()  # not a TTY
    assert sum(bar(range(500), desc="work", stream=out)) == sum(range(500))
    text = out.getvalue()
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert 1 <= len(lines) <= 3 and lines[-1].startswith("work: 100%") and "500/500" in lines[-1]
    chatty = io.StringIO()  # a loop that sets its postfix every step still gets periodic lines only
    with bar(total=300, desc="train", stream=chatty) as b:
        for i in range(300):
            b.set_postfix(loss=f"{i:.3f}")
            b.update()
    lines = chatty.getvalue().splitlines()
    assert 1 <= len(lines) <= 3 and "300/300" in lines[-1] and "loss=299.000" in lines[-1]
    quiet = io.StringIO()
    list(bar(range(5), desc="x", enabled=False, stream=quiet))
    assert quiet.getvalue() == ""
