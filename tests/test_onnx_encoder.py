"""The SMILES LM under ONNX Runtime (encoders.drug.runtime: onnx): torch's vectors, batch-independent,
exported once, and carried by the model folder so every command runs the same file."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.encoders import onnx_runtime
from llmpredgraph.encoders.smiles_lm import SmilesLMEncoder
from llmpredgraph.paths import cache_dir
from llmpredgraph.pipeline.fitted import Pipeline

from .conftest import make_tiny_bert, train_tiny_model

pytest.importorskip("onnxruntime")

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CCCCC1Cl", "c1ccc2[nH]ccc2c1", "N"]


@pytest.fixture
def bert(tmp_path):
    return make_tiny_bert(tmp_path / "tiny_bert")


def test_onnx_runtime_gives_torch_vectors_in_any_batch(bert, monkeypatch):
    torch_enc = SmilesLMEncoder(str(bert), max_length=32, batch_size=4)
    onnx_enc = SmilesLMEncoder(str(bert), max_length=32, batch_size=4, runtime="onnx")
    want, got = torch_enc.encode(SMILES), onnx_enc.encode(SMILES)
    assert got.shape == want.shape == (len(SMILES), 16)
    np.testing.assert_allclose(got, want, atol=1e-5)
    alone = np.stack([onnx_enc.encode([s])[0] for s in SMILES])  # a molecule's vector ignores its batch
    np.testing.assert_allclose(alone, got, atol=1e-5)
    assert onnx_enc.encode([]).shape == (0, 16)
    # another identity (the cache keeps the two apart), one exported file, reused without re-exporting
    assert onnx_enc.identity.startswith(torch_enc.identity + ":onnx=")
    assert len(list((cache_dir() / "onnx").glob("*.onnx"))) == 1

    def no_export(*a, **k):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_runtime, "export", no_export)
    again = SmilesLMEncoder(str(bert), max_length=32, batch_size=4, runtime="onnx")
    np.testing.assert_array_equal(again.encode(SMILES), got)
    assert again._loaded is None  # the ONNX path needs the tokenizer only, not the torch weights


TINY_ONNX = """
name: tiny_onnx
data: synthetic
encoders:
  drug: {{kind: lm, model: {bert}, max_length: 32, batch_size: 4, runtime: onnx}}
  side_effect: {{kind: hash}}
  hash_dim: 16
contrastive: {{steps: 10, dim: 8, hidden: 16, batch_size: 8, plot: false}}
graph: {{drug_knn: {{k: 3}}, se_cooc: {{k: 3}}}}
model: {{hidden: 16, decoder_hidden: 16, layers: 1}}
train: {{epochs: 10, eval_every: 5, patience: 10}}
protocol: {{folds: 3}}
"""


def test_model_folder_carries_its_onnx_encoder_to_predict_and_screen(bert, tmp_path):
    folder = train_tiny_model(tmp_path, TINY_ONNX.format(bert=bert))
    assert (folder / onnx_runtime.FOLDER_FILE).is_file()
    trained = yaml.safe_load((folder / "meta.yaml").read_text())["encoders"]["drug"]
    assert onnx_runtime.folder_identity(folder) == trained
    for f in (cache_dir() / "onnx").glob("*.onnx"):
        f.unlink()  # the folder loads anywhere: it does not need the cache's export
    enc = Pipeline.load(folder).drug_encoder()
    assert enc.onnx_file == folder / onnx_runtime.FOLDER_FILE and enc.identity == trained
    assert not list((cache_dir() / "onnx").glob("*.onnx"))

    smiles = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
    (tmp_path / "lib.smi").write_text(f"{smiles} ibuprofen\nc1ccccc1O phenol\n")
    res = CliRunner().invoke(
        main,
        ["screen", "--model", str(folder), "--input", str(tmp_path / "lib.smi"), "--out", str(tmp_path / "s")]
        + ["--top", "5", "--quiet"],
    )
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(
        main, ["predict", "--model", str(folder), "--smiles", smiles, "--top", "5", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    want = pd.DataFrame(json.loads(res.output))
    table = pd.read_parquet(tmp_path / "s" / "parts")
    got = table[table["molecule"] == "ibuprofen"]
    assert got["side_effect"].tolist() == want["side_effect"].tolist()
    np.testing.assert_allclose(
        got["association_prob"], want["association_prob"], atol=1e-4
    )  # predict prints 4 decimals
