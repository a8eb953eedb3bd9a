import os
from pathlib import Path

import pytest

from llmpredgraph.data.synthetic import synthetic_benchmark


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """Every test gets its own working area; nothing touches the repository's data/."""
    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def bench():
    return synthetic_benchmark()


@pytest.fixture(scope="session")
def mirror():
    """The real benchmark mirror; real-data tests skip only when no mirror is configured."""
    value = os.environ.get("LLMPREDGRAPH_DATA_MIRROR")
    if not value:
        pytest.skip("LLMPREDGRAPH_DATA_MIRROR is not set (CI sets it to ../shared/data)")
    path = Path(value)
    assert path.is_dir(), f"LLMPREDGRAPH_DATA_MIRROR={value} is not a folder"
    return path


@pytest.fixture(scope="session")
def real_processed(mirror, tmp_path_factory):
    """Fetch from the mirror and prepare once per session."""
    from llmpredgraph.data.fetch import fetch_raw
    from llmpredgraph.data.prepare import prepare

    root = tmp_path_factory.mktemp("real")
    fetch_raw(mirror=mirror, dest=root / "raw", progress=False)
    bench, report = prepare(root / "raw", root / "processed")
    return root, bench, report


SMILES_TOKENS = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "C",
    "c",
    "O",
    "N",
    "(",
    ")",
    "=",
    "1",
    "2",
    "[nH]",
    "Cl",
]


def make_tiny_bert(folder):
    """A 1-layer BERT over a SMILES regex vocabulary, in rxnfp's layout (no model_type, vocab.txt)."""
    import json

    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=len(SMILES_TOKENS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    BertForMaskedLM(cfg).save_pretrained(folder)
    c = json.loads((folder / "config.json").read_text())
    c.pop("model_type")
    (folder / "config.json").write_text(json.dumps(c))
    (folder / "vocab.txt").write_text("\n".join(SMILES_TOKENS) + "\n")
    return folder


def scrambled_benchmark(bench, rows, seed: int = 1):
    """A copy of `bench` whose `rows` (test drugs) carry random labels: classes 0..5, and LISTED
    cells when the labels have mentions: what no fitted part may read."""
    import numpy as np

    from llmpredgraph.frequency import LISTED, MAX_CLASS

    R = bench.R.copy()
    top = LISTED if (R == LISTED).any() else MAX_CLASS
    R[rows] = np.random.default_rng(seed).integers(0, top + 1, size=(len(rows), bench.n_side_effects))
    return bench.__class__(**{**bench.__dict__, "R": R})


def random_inputs(bench, bits: int = 32, seed: int = 0):
    """Inputs with random encoder vectors and random fingerprints (tests that need no real model)."""
    import numpy as np

    from llmpredgraph.graph.similarity import tanimoto_matrix
    from llmpredgraph.pipeline.features import Inputs

    rng = np.random.default_rng(seed)
    fp = (rng.random((bench.n_drugs, bits)) > 0.6).astype(np.float32)
    X_drug = rng.normal(size=(bench.n_drugs, 6)).astype(np.float32)
    return Inputs(X_drug, rng.normal(size=(bench.n_side_effects, 5)).astype(np.float32), fp, tanimoto_matrix(fp))


def train_tiny_model(root, config_text: str, extra: tuple[str, ...] = ()):
    """Train a tiny model with the CLI into root/m (its data folder under root; `extra`: more train
    options, e.g. --hold-out NAME); returns the folder."""
    from click.testing import CliRunner

    from llmpredgraph.cli import main

    cfg = root / "tiny.yaml"
    cfg.write_text(config_text)
    res = CliRunner().invoke(main, ["train", "--config", str(cfg), "--out", str(root / "m"), "--quiet", *extra])
    assert res.exit_code == 0, res.output
    return root / "m"


def tiny_model_in(tmp_path_factory, config_text: str, name: str = "model", extra: tuple[str, ...] = ()):
    """Generator for a module fixture: a tiny model trained with its own data folder, kept for the module."""
    root = tmp_path_factory.mktemp(name)
    mp = pytest.MonkeyPatch()
    mp.setenv("LLMPREDGRAPH_DATA_DIR", str(root / "data"))
    yield train_tiny_model(root, config_text, extra)
    mp.undo()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A tiny cold model trained once per test module (tests/test_cli.TINY)."""
    from .test_cli import TINY

    yield from tiny_model_in(tmp_path_factory, TINY)
