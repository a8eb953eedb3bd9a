import json

import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main

TINY = """
name: tiny
data: synthetic
encoders:
  drug: {kind: hash}
  side_effect: {kind: hash}
  hash_dim: 16
contrastive: {steps: 10, dim: 8, hidden: 16, batch_size: 8, plot: false}
graph: {drug_knn: {k: 3}, se_cooc: {k: 3}}
model: {hidden: 16, decoder_hidden: 16, layers: 1}
train: {epochs: 10, eval_every: 5, patience: 10}
protocol: {folds: 3}
"""


@pytest.fixture
def tiny_config(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY)
    return p


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_experiment_end_to_end_and_resume(tiny_config, tmp_path):
    out = tmp_path / "run"
    res = _run("experiment", "--config", str(tiny_config), "--out", str(out), "--quiet")
    assert res.exit_code == 0, res.output
    for f in (
        "config.yaml",
        "folds.json",
        "metrics.json",
        "metrics.csv",
        "summary.md",
        "roc_pr.png",
        "pred_vs_true.png",
        "per_fold.png",
    ):
        assert (out / f).is_file(), f
    metrics = json.loads((out / "metrics.json").read_text())
    assert sorted(metrics) == ["0", "1", "2"]
    assert set(metrics["0"]) == {"graph", "mlp", "se_mean", "knn_fp", "knn_offset"}
    summary = (out / "summary.md").read_text()
    assert "| graph |" in summary and "graph vs mlp" in summary

    # An existing run folder is refused without --resume / --overwrite.
    res = CliRunner().invoke(main, ["experiment", "--config", str(tiny_config), "--out", str(out), "--quiet"])
    assert res.exit_code == 2 and "already exists" in res.output

    # Resume recomputes only the unfinished fold and reproduces it exactly (same seed).
    before = (out / "folds" / "fold_1" / "metrics.json").read_text()
    untouched = (out / "folds" / "fold_0" / "metrics.json").stat().st_mtime_ns
    (out / "folds" / "fold_1" / "metrics.json").unlink()
    res = _run("experiment", "--config", str(tiny_config), "--out", str(out), "--resume", "--quiet")
    assert res.exit_code == 0, res.output
    assert (out / "folds" / "fold_1" / "metrics.json").read_text() == before
    assert (out / "folds" / "fold_0" / "metrics.json").stat().st_mtime_ns == untouched
    # every invocation records its code version and the folds it computed
    from llmpredgraph.provenance import code_version

    runs = json.loads((out / "provenance.json").read_text())["invocations"]
    assert [r["folds"] for r in runs] == [[0, 1, 2], [1]] and runs[0]["commit"] == code_version()["commit"]
    assert "Code: " in (out / "summary.md").read_text()

    # Resuming with a different config is refused.
    res = CliRunner().invoke(
        main, ["experiment", "--config", str(tiny_config), "--out", str(out), "--resume", "--set", "seed=3"]
    )
    assert res.exit_code == 2 and "different config" in res.output


def test_warm_experiment_end_to_end(tiny_config, tmp_path):
    out = tmp_path / "warm"
    res = _run(
        "experiment",
        "--config",
        str(tiny_config),
        "--set",
        "protocol.kind=warm",
        "--set",
        "baselines=[se_mean, bias, knn_fp]",
        "--set",
        "model.drug_embedding=true",
        "--out",
        str(out),
        "--quiet",
    )
    assert res.exit_code == 0, res.output
    assert "Warm-start experiment" in (out / "summary.md").read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["0"]) == {"graph", "mlp", "se_mean", "bias", "knn_fp"}
    folds = json.loads((out / "folds.json").read_text())
    assert folds["protocol"] == "warm" and "test_drugs" not in folds
    tested = [p for fold in folds["test_pairs"] for p in fold]
    assert len(tested) == len(set(tested)) == 250  # every known pair of the synthetic set, once
    # a cold run is not comparable with a warm one
    cold = tmp_path / "cold"
    assert _run("experiment", "--config", str(tiny_config), "--out", str(cold), "--quiet").exit_code == 0
    res = CliRunner().invoke(main, ["compare", str(out), str(cold)])
    assert res.exit_code != 0 and "different folds" in res.output


def test_malformed_config_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  convv: gat\n")
    res = CliRunner().invoke(main, ["experiment", "--config", str(bad)])
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0
    assert "model.convv: unknown key" in res.output
    bad.write_text("train:\n  epochs: many\n")
    res = CliRunner().invoke(main, ["experiment", "--config", str(bad)])
    assert res.exit_code == 2 and "train.epochs" in res.output
    bad.write_text("train: [1\n")
    res = CliRunner().invoke(main, ["experiment", "--config", str(bad)])
    assert res.exit_code == 2 and "not valid YAML" in res.output


def _commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


def test_every_command_and_option_explains_itself():
    """--help explains: every command has a help text and every option (but --help) says what it does."""
    missing = []
    for path, cmd in _commands(main):
        if not (cmd.help or "").strip():
            missing.append(" ".join(path))
        for p in cmd.params:
            if p.param_type_name == "option" and not (p.help or "").strip():
                missing.append(f"{' '.join(path)} {p.opts[0]}")
    assert not missing, "undocumented: " + ", ".join(missing)


def test_contrastive_projection_and_embed_on_tiny(tiny_config, tmp_path):
    out = tmp_path / "ft"
    res = _run("contrastive", "--config", str(tiny_config), "--fold", "1", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "mode projection: 10 steps" in res.output
    # the old name still runs the same command, and --help does not list it
    old = _run("finetune", "--config", str(tiny_config), "--fold", "1", "--out", str(tmp_path / "old"))
    assert old.exit_code == 0 and "mode projection: 10 steps" in old.output
    assert "finetune" not in _run("--help").output
    import numpy as np

    emb = np.load(out / "tuned_embeddings.npz")
    assert emb["drug"].shape == (20, 8) and emb["side_effect"].shape == (30, 8)
    assert not set(emb["fit_drugs"]) & set(emb["test_drugs"])
    assert (out / "embeddings_before_after.png").is_file() and (out / "config.yaml").is_file()
    res = _run("embed", "--config", str(tiny_config))
    assert res.exit_code == 0 and "drugs: 20 x 16" in res.output
    res = _run("embed", "--config", str(tiny_config))
    assert "2 hit(s), 0 miss(es)" in res.output


def test_every_shipped_config_is_valid_and_the_headlines_share_their_folds():
    from pathlib import Path

    from llmpredgraph.config import load_config

    folder = Path(__file__).resolve().parents[1] / "configs"
    configs = {p.stem: load_config(p) for p in sorted(folder.glob("*.yaml"))}
    assert {"cold", "cold_smiles", "cold_quick", "warm", "scaffold"} <= set(configs)
    cold, smiles, quick = configs["cold"], configs["cold_smiles"], configs["cold_quick"]
    assert cold.graph.knn_similarity == "combined" and cold.model.prior.tuned_by == "knn_offset_combined"
    assert smiles.graph.knn_similarity == "fingerprint" and smiles.model.prior.tuned_by == "knn_offset"
    assert "knn_offset_combined" not in smiles.baselines and smiles.protocol.with_mlp  # structure alone
    # the headlines run at one thread (bit-identical reruns) on the same folds
    assert cold.threads == smiles.threads == 1
    key = lambda c: (c.seed, c.protocol.folds, c.protocol.repeats, c.protocol.grouping, c.protocol.val_fraction)  # noqa: E731
    assert key(cold) == key(smiles)
    assert cold.labels == smiles.labels and smiles.labels.association == "mentions"  # issue 31: same labels
    # cold_quick is cold.yaml with one repeat, nothing else
    a, b = cold.dump(), quick.dump()
    a["protocol"]["repeats"], a["name"] = 1, "cold_quick"
    assert a == b


def test_a_fold_finished_by_another_process_after_planning_is_kept(tiny_config, tmp_path):
    """Two processes may share a run folder's folds (e.g. one with run_folds reversed): a fold that
    appears after this run was planned is kept, not recomputed."""
    import shutil

    from llmpredgraph.config import load_config
    from llmpredgraph.workflows.experiment import plan_experiment, run_plans

    cfg = load_config(tiny_config, ["protocol.run_folds=[0,1]", "protocol.with_mlp=false"])
    other = tmp_path / "other"
    run_plans([plan_experiment(cfg, other)], progress=False)
    plan = plan_experiment(cfg, tmp_path / "run")
    assert plan.todo == [0, 1]
    shutil.copytree(other / "folds" / "fold_1", tmp_path / "run" / "folds" / "fold_1")
    (tmp_path / "run" / "folds" / "fold_1" / "marker").write_text("from the other process")
    run_plans([plan], progress=False)
    assert (tmp_path / "run" / "folds" / "fold_1" / "marker").is_file()
    assert json.loads((tmp_path / "run" / "metrics.json").read_text()) == json.loads(
        (other / "metrics.json").read_text()
    )


def test_device_option_is_recorded_and_a_missing_gpu_is_one_line(tiny_config, tmp_path):
    import torch
    import yaml

    res = _run("train", "--config", str(tiny_config), "--device", "cpu", "--out", str(tmp_path / "m"), "--quiet")
    assert res.exit_code == 0, res.output
    assert yaml.safe_load((tmp_path / "m" / "config.yaml").read_text())["device"] == "cpu"
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the cuda run is the GPU check script's job")
    res = CliRunner().invoke(
        main, ["train", "--config", str(tiny_config), "--device", "cuda", "--out", str(tmp_path / "g"), "--quiet"]
    )
    assert res.exit_code == 2 and "no CUDA GPU" in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "g").exists()


def test_resume_may_extend_a_run_folder_to_more_folds(tiny_config, tmp_path):
    """run_folds only picks folds: a 1-fold folder resumes with other folds, config.yaml records the
    union (null once every fold is covered), and any other change is still refused."""
    import yaml

    from llmpredgraph.config import load_config
    from llmpredgraph.errors import UserError
    from llmpredgraph.workflows.experiment import prepare_run_folder

    out = tmp_path / "run"
    n = load_config(tiny_config, []).protocol.folds
    assert n >= 3
    prepare_run_folder(out, load_config(tiny_config, ["protocol.run_folds=[0]"]), resume=False, overwrite=False)
    prepare_run_folder(out, load_config(tiny_config, [f"protocol.run_folds=[{n - 1}]"]), resume=True, overwrite=False)
    assert yaml.safe_load((out / "config.yaml").read_text())["protocol"]["run_folds"] == [0, n - 1]
    rest = ",".join(str(k) for k in range(1, n - 1))
    prepare_run_folder(out, load_config(tiny_config, [f"protocol.run_folds=[{rest}]"]), resume=True, overwrite=False)
    assert yaml.safe_load((out / "config.yaml").read_text())["protocol"]["run_folds"] is None
    with pytest.raises(UserError, match="different config"):
        prepare_run_folder(out, load_config(tiny_config, ["seed=3"]), resume=True, overwrite=False)


def test_python_dash_m_runs_the_cli():
    """`python -m llmpredgraph` (the GPU check runs the package from PYTHONPATH, without the console script)."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "llmpredgraph", "predict", "--model", "no/such/model", "--smiles", "CCO"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    # the CLI's error handling, not a traceback: exit code 2 and one line naming the problem
    assert res.returncode == 2 and "no/such/model" in res.stderr + res.stdout, res.stderr
    assert len((res.stderr + res.stdout).strip().splitlines()) == 1 and "Traceback" not in res.stderr


def _readme_invocations(text: str) -> list[list[str]]:
    """Every `llmpredgraph ...` invocation in the text: its tokens up to the end of the code span or line."""
    import re
    import shlex

    found = []
    for m in re.finditer(r"llmpredgraph((?: [^`|\n#&;]*)?)", text):
        try:
            found.append(shlex.split(m.group(1).replace("\\", " ")))
        except ValueError:  # an unbalanced quote inside a table cell: the plain split is enough
            found.append(m.group(1).split())
    return found


def test_every_command_and_option_named_in_the_readme_exists():
    """The README names only commands and options that the CLI has, and its default ranking is --help's."""
    from pathlib import Path

    import click

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    checked, bad = 0, []
    for tokens in _readme_invocations(text):
        cmd, path = main, []
        for t in tokens:
            if isinstance(cmd, click.Group) and t in cmd.commands:
                cmd, path = cmd.commands[t], [*path, t]
            elif not t.startswith("-"):
                break
        if not path:
            continue
        opts = {o for p in cmd.params for o in p.opts + p.secondary_opts}
        for t in tokens[len(path) :]:
            if t.startswith("--") and t.split("=")[0] not in opts:
                bad.append(f"llmpredgraph {' '.join(path)} {t}")
        checked += 1
    assert checked >= 10 and not bad, f"not in the CLI: {bad}"
    rank = next(p for p in main.commands["predict"].params if p.name == "rank")
    assert f"default ranking (`--rank {rank.default}`)" in text
