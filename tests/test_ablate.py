import pandas as pd
from click.testing import CliRunner

from llmpredgraph.cli import main

from .test_cli import TINY


def test_ablate_and_compare(tmp_path):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    out = tmp_path / "abl"
    r = CliRunner().invoke(
        main,
        [
            "ablate",
            "--config",
            str(cfg),
            "--variant",
            "no_message_passing",
            "--variant",
            "no_drug_knn",
            "--out",
            str(out),
            "--quiet",
        ],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "ablation.csv")
    assert table["variant"].tolist() == ["base", "no_message_passing", "no_drug_knn"]
    base = table.set_index("variant").loc["base"]
    assert base["dsf_scc_delta"] == 0.0
    row = table.set_index("variant").loc["no_message_passing"]
    assert abs(row["dsf_scc_delta"] - (row["dsf_scc_mean"] - base["dsf_scc_mean"])) < 1e-9
    assert (out / "ablation.md").is_file() and (out / "ablation_forest.png").is_file()

    r = CliRunner().invoke(main, ["compare", str(out / "base"), str(out / "no_drug_knn")])
    assert r.exit_code == 0 and "base:graph" in r.output and "no_drug_knn:graph" in r.output
    # paired rows against a chosen reference; the difference is the ablation table's delta (variant - base)
    md = tmp_path / "cmp.md"
    r = CliRunner().invoke(
        main, ["compare", str(out / "base"), str(out / "no_drug_knn"), "--reference", "no_drug_knn:graph", "--out", md]
    )
    assert r.exit_code == 0, r.output
    delta = table.set_index("variant").loc["no_drug_knn", "dsf_scc_delta"]
    row = next(line for line in md.read_text().splitlines() if line.startswith("| no_drug_knn:graph vs base:graph"))
    assert row.split("|")[2].strip().startswith(f"{delta:+.3f}, p=")
    r = CliRunner().invoke(main, ["compare", str(out / "base"), str(out / "no_drug_knn"), "--reference", "x:graph"])
    assert r.exit_code == 2 and "is not a run:method" in r.output

    other = tmp_path / "other"
    r = CliRunner().invoke(
        main,
        [
            "experiment",
            "--config",
            str(cfg),
            "--set",
            "seed=5",
            "--set",
            "protocol.with_mlp=false",
            "--out",
            str(other),
            "--quiet",
        ],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["compare", str(out / "base"), str(other)])
    assert r.exit_code == 2 and "different folds" in r.output


def test_unknown_variant_is_refused(tmp_path):
    r = CliRunner().invoke(main, ["ablate", "--variant", "no_such_thing"])
    assert r.exit_code == 2 and "unknown ablation variant" in r.output


def test_knowledge_variant_set_builds_valid_configs():
    """Every knowledge variant is a valid config on the default base (graph model only)."""
    from llmpredgraph.config import Config
    from llmpredgraph.workflows.ablation import KNOWLEDGE, resolve_variants, variant_config

    chosen = resolve_variants(["knowledge"], None)
    assert list(chosen) == ["base", *KNOWLEDGE]
    cfgs = {n: variant_config(Config(), ov) for n, ov in chosen.items()}
    assert cfgs["knn_combined"].graph.knn_similarity == "combined"
    assert cfgs["drug_text_unguarded"].encoders.drug.text == "full" and cfgs["knowledge_nodes"].graph.protein_nodes
    from llmpredgraph.config import load_config

    full = load_config("configs/cold_knowledge_full.yaml")
    off = {n: variant_config(full, ov) for n, ov in resolve_variants(["knowledge_off"], None).items()}
    assert (
        off["base"].graph.atc_nodes and not off["no_atc"].graph.atc_nodes and off["no_atc"].graph.knn_weights.atc == 0
    )
    assert not off["no_text"].encoders.drug.add_text and off["no_targets"].graph.knn_weights.target == 0


def test_a_grid_alone_runs_only_its_variants_and_nothing_named_runs_the_required_set(tmp_path):
    from llmpredgraph.workflows.ablation import REQUIRED, resolve_variants

    grid = tmp_path / "g.yaml"
    grid.write_text("variants:\n  fp: {encoders.drug.kind: fingerprint}\n")
    assert resolve_variants([], str(grid)) == {"base": {}, "fp": {"encoders.drug.kind": "fingerprint"}}
    assert list(resolve_variants([], None)) == ["base", *REQUIRED]
    assert set(resolve_variants(["no_contrastive"], str(grid))) == {"base", "fp", "no_contrastive"}


def test_a_variant_of_the_headline_keeps_only_the_baseline_its_prior_is_tuned_by():
    """The shipped cold config tunes the prior by knn_offset_combined: every variant keeps that baseline
    and its knob grid (else the config is refused), and drops the other baselines and the plain MLP."""
    from llmpredgraph.config import load_config
    from llmpredgraph.workflows.ablation import variant_config

    cold = load_config("configs/cold.yaml")
    assert len(cold.baselines) > 1
    v = variant_config(cold, {"model.message_passing": False})
    assert v.baselines == ["knn_offset_combined"] and not v.model.message_passing and not v.protocol.with_mlp
    assert set(v.selection.baselines) == {"knn_offset_combined"}
    assert v.selection.baselines["knn_offset_combined"] == cold.selection.baselines["knn_offset_combined"]
    untuned = variant_config(cold, {"model.prior.tuned_by": None})
    assert untuned.baselines == [] and untuned.selection.baselines == {}
    explicit = variant_config(cold, {"baselines": ["knn_offset_combined", "se_mean"]})
    assert explicit.baselines == ["knn_offset_combined", "se_mean"]
