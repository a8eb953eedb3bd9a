"""The structure kernel: several fingerprints side by side, compared on the weighted mean of their
Tanimoto similarities, with the weight of those after the first a per-fold knob (w_fp)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.config import Config
from llmpredgraph.encoders.fixed import MorganEncoder, StructureEncoder, structure_encoder
from llmpredgraph.graph.neighbours import SupportIndex
from llmpredgraph.graph.similarity import mix_blocks, tanimoto_between, tanimoto_matrix
from llmpredgraph.pipeline.features import Inputs, structure_blocks

from .test_cli import TINY

# two fingerprints of 4 bits each, side by side: [block 1 | block 2]
A = np.array([[1, 1, 0, 0, 1, 0, 0, 0], [1, 0, 1, 0, 1, 1, 1, 0]], dtype=np.float32)
B = np.array([[1, 0, 0, 0, 1, 1, 0, 0]], dtype=np.float32)


def test_block_tanimoto_by_hand():
    # block 1: a0 & b = {0}: 1 / 2 ; a1 & b = {0}: 1 / 2.  block 2: a0 & b = {4}: 1 / 2 ; a1 & b = {4,5}: 2 / 3
    one = tanimoto_between(A[:, :4], B[:, :4])
    two = tanimoto_between(A[:, 4:], B[:, 4:])
    np.testing.assert_allclose(one[:, 0], [1 / 2, 1 / 2])
    np.testing.assert_allclose(two[:, 0], [1 / 2, 2 / 3])
    np.testing.assert_allclose(tanimoto_between(A, B, (1.0, 1.0))[:, 0], [1 / 2, (1 / 2 + 2 / 3) / 2], rtol=1e-6)
    np.testing.assert_allclose(tanimoto_between(A, B, (1.0, 3.0))[:, 0], [1 / 2, (1 / 2 + 3 * 2 / 3) / 4], rtol=1e-6)
    # not the Tanimoto of the concatenation: a1 & b share 3 bits of 5 set there
    assert tanimoto_between(A, B)[1, 0] == pytest.approx(3 / 5)
    # a zero weight is the first fingerprint alone, exactly
    np.testing.assert_array_equal(tanimoto_between(A, B, (1.0, 0.0)), one)
    np.testing.assert_array_equal(tanimoto_matrix(A, (1.0, 0.0)), tanimoto_matrix(A[:, :4]))
    with pytest.raises(ValueError, match="blocks"):
        tanimoto_between(A[:, :7], A[:, :7], (1.0, 1.0))


def test_mix_blocks_is_the_weighted_mean():
    parts = [np.full((2, 2), 0.2, np.float32), np.full((2, 2), 0.8, np.float32), np.zeros((2, 2), np.float32)]
    np.testing.assert_allclose(mix_blocks(parts, (1.0, 1.0, 1.0)), 1.0 / 3, rtol=1e-6)
    np.testing.assert_allclose(mix_blocks(parts, (1.0, 0.5, 0.5)), (0.2 + 0.4) / 2, rtol=1e-6)
    np.testing.assert_array_equal(mix_blocks(parts, (1.0, 0.0, 0.0)), parts[0])


SMILES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CC", "c1ccncc1", "OC(=O)CCC(=O)O"]


def test_structure_encoder_blocks_and_identity():
    enc = StructureEncoder(["morgan", "atom_pair", "fcfp"], 2, 256)
    fp = enc.encode(SMILES)
    assert fp.shape == (len(SMILES), 3 * 256)
    # the first block is exactly the Morgan fingerprint; the others differ from it
    np.testing.assert_array_equal(fp[:, :256] > 0, MorganEncoder(2, 256).encode(SMILES) > 0)
    assert not np.array_equal(fp[:, 256:512] > 0, fp[:, :256] > 0)
    assert enc.identity == "structure:morgan+atom_pair+fcfp:r2:b256"
    with pytest.raises(ValueError, match="unknown fingerprint"):
        StructureEncoder(["morgan", "maccs"])
    # Morgan alone keeps MorganEncoder (and so its cached identity)
    d = Config.model_validate({}).encoders.drug
    assert isinstance(structure_encoder(d), MorganEncoder)


def test_inputs_recombine_blocks_per_weight():
    fp = StructureEncoder(["morgan", "atom_pair", "fcfp"], 2, 256).encode(SMILES)
    blocks = structure_blocks(fp, 3)
    inputs = Inputs(None, None, fp, mix_blocks(blocks, (1.0, 1.0, 1.0)), {}, None, None, blocks)
    np.testing.assert_array_equal(inputs.structure(0.0), tanimoto_matrix(fp[:, :256]))
    np.testing.assert_array_equal(inputs.structure(1.0), tanimoto_matrix(fp, (1.0, 1.0, 1.0)))
    np.testing.assert_array_equal(inputs.structure(0.5), tanimoto_matrix(fp, (1.0, 0.5, 0.5)))
    assert structure_blocks(fp[:, :256], 1) is None


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0), (1.0, 0.0, 0.0), (1.0, 0.3, 0.3)])
def test_support_index_ranks_by_the_exact_mean(weights):
    fp = StructureEncoder(["morgan", "atom_pair", "fcfp"], 2, 256).encode(SMILES)
    support, query = fp[2:], fp[:2]
    index = SupportIndex("fingerprint", None, support, candidates=len(support), weights=weights)
    sim, idx = index.search(None, query, 3)
    dense = tanimoto_between(query, support, weights)
    np.testing.assert_allclose(sim, np.take_along_axis(dense, idx, 1), atol=1e-7)
    np.testing.assert_allclose(sim, -np.sort(-dense, 1)[:, :3], atol=1e-7)


def test_w_fp_needs_several_fingerprints():
    with pytest.raises(ValueError, match="list several"):
        Config.model_validate({"baselines": ["knn_fp"], "selection": {"baselines": {"knn_fp": {"w_fp": [0.0, 1.0]}}}})
    with pytest.raises(ValueError, match="twice"):
        Config.model_validate({"encoders": {"drug": {"structure": ["morgan", "morgan"]}}})
    cfg = Config.model_validate(
        {
            "baselines": ["knn_fp"],
            "encoders": {"drug": {"structure": ["morgan", "fcfp"], "structure_others": 0.5}},
            "selection": {"baselines": {"knn_fp": {"w_fp": [0.0, 1.0]}}},
        }
    )
    assert cfg.encoders.drug.structure_weights == (1.0, 0.5)


def test_run_baseline_reads_w_fp():
    from llmpredgraph.baselines import run_baseline

    fp = StructureEncoder(["morgan", "atom_pair", "fcfp"], 2, 256).encode(SMILES)
    blocks = structure_blocks(fp, 3)
    inputs = Inputs(None, None, fp, mix_blocks(blocks, (1.0, 1.0, 1.0)), {}, None, None, blocks)
    R = np.zeros((len(SMILES), 3))
    R[2:, 0] = [5, 1, 1, 1]
    R[2:, 1] = [1, 5, 5, 5]
    tr, q = np.arange(2, 6), np.arange(2)
    # knn_fp with k = 1 copies the nearest drug, which the kernel decides; the knob reaches it
    for w in (0.0, 1.0):
        S = inputs.structure(w)
        nearest = tr[np.argmax(S[np.ix_(q, tr)], 1)]
        out = run_baseline("knn_fp", R, tr, q, inputs, k=1, w_fp=w)
        np.testing.assert_allclose(out["dsf"][:, 0], R[nearest, 0])


def test_experiment_chooses_w_fp_per_fold_and_model_keeps_it(tmp_path, monkeypatch):
    """End to end on the synthetic benchmark: the fold's validation drugs pick w_fp, the choice is
    recorded, and a trained model folder with several fingerprints predicts a new molecule with the
    same similarity it was built on."""
    from llmpredgraph.pipeline.fitted import Pipeline

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(
        TINY + "baselines: [knn_fp, se_mean]\n" + "selection: {baselines: {knn_fp: {k: [3], w_fp: [0.0, 1.0]}}}\n"
    )
    drug = ["--set", "encoders.drug.structure=[morgan,atom_pair,fcfp]"]
    out = tmp_path / "run"
    res = CliRunner().invoke(
        main, ["experiment", "--config", str(cfg), "--out", str(out), "--quiet"] + drug, catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    found = []
    for f in sorted((out / "folds").glob("fold_*/info.json")):
        info = json.loads(f.read_text())
        chosen = info["baseline_selection"]["knn_fp"]["chosen"]
        assert chosen["w_fp"] in (0.0, 1.0)
        found.append(chosen["w_fp"])
    assert len(found) == 3

    res = CliRunner().invoke(
        main,
        ["train", "--config", str(cfg), "--out", str(tmp_path / "m"), "--quiet"]
        + drug
        + ["--set", "encoders.drug.structure_others=0.5"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    pipe = Pipeline.load(tmp_path / "m")
    fp = pipe.support.fingerprints
    assert fp.shape[1] == 3 * pipe.cfg.encoders.drug.fp_bits
    np.testing.assert_allclose(pipe.features.S_drug, tanimoto_matrix(fp, (1.0, 0.5, 0.5)), atol=1e-6)
    pred = pipe.predict(smiles=["CCOc1ccccc1"])
    assert pred["dsf"].shape == (1, pipe.support.n_side_effects)


def test_the_priors_w_fp_sets_the_graphs_structure_weight():
    from llmpredgraph.protocols.selection import tuned_prior

    cfg = Config.model_validate(
        {
            "baselines": ["knn_offset"],
            "encoders": {"drug": {"structure": ["morgan", "atom_pair", "fcfp"]}},
            "model": {"prior": {"tuned_by": "knn_offset"}},
            "selection": {"baselines": {"knn_offset": {"w_fp": [0.0, 1.0]}}},
        }
    )
    assert cfg.encoders.drug.structure_weights == (1.0, 1.0, 1.0)
    tuned = tuned_prior(cfg, {"knn_offset": {"w_fp": 0.0, "k": 20}})
    assert tuned.encoders.drug.structure_weights == (1.0, 0.0, 0.0) and tuned.model.prior.k == 20
