import numpy as np
import pytest

from llmpredgraph.encoders.cache import EmbeddingCache
from llmpredgraph.encoders.fixed import HashEncoder, MorganEncoder, OneHotEncoder
from llmpredgraph.encoders.smiles_tokens import periodic_group, substitute_unknown_atoms
from llmpredgraph.errors import UserError


class CountingEncoder(HashEncoder):
    calls = 0

    def encode(self, inputs, progress=False):
        CountingEncoder.calls += 1
        return super().encode(inputs)


def test_hash_encoder_is_deterministic_unit_vectors():
    a = HashEncoder(8).encode(["x", "y", "x"])
    assert a.shape == (3, 8)
    np.testing.assert_allclose(a[0], a[2])
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1, rtol=1e-5)
    assert not np.allclose(a[0], a[1])


def test_morgan_and_onehot():
    fp = MorganEncoder(2, 256).encode(["CCO", "c1ccccc1"])
    assert fp.shape == (2, 256) and set(np.unique(fp)) <= {0.0, 1.0} and fp.sum() > 0
    np.testing.assert_array_equal(OneHotEncoder(["a", "b"]).encode(["b"]), [[0, 1]])


def test_cache_hit_miss_and_rebuild_when_corrupt(tmp_path):
    cache = EmbeddingCache(tmp_path)
    enc = CountingEncoder(4)
    CountingEncoder.calls = 0
    first = cache.embed(enc, ["a", "b"], progress=False)
    again = cache.embed(enc, ["a", "b"], progress=False)
    assert CountingEncoder.calls == 1 and cache.hits == 1 and cache.misses == 1
    np.testing.assert_array_equal(first, again)
    cache.embed(enc, ["a", "c"], progress=False)  # other inputs: another key
    assert CountingEncoder.calls == 2
    # truncate the stored array: detected by its checksum, rebuilt with a warning
    key = cache.key(enc, ["a", "b"])
    path = tmp_path / f"{key}.npy"
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.warns(UserWarning, match="corrupt"):
        rebuilt = cache.embed(enc, ["a", "b"], progress=False)
    np.testing.assert_array_equal(rebuilt, first)
    assert CountingEncoder.calls == 3


def test_unknown_bracket_atoms_use_same_group_element():
    assert [periodic_group(z) for z in (1, 2, 6, 11, 26, 35, 56, 57, 80, 88)] == [1, 18, 14, 1, 8, 17, 2, 3, 12, 2]
    vocab = {"[Ba]": 0, "[Hg]": 1, "C": 2, "[Na+]": 3}
    assert substitute_unknown_atoms("[Ra]", vocab) == "[Ba]"
    assert substitute_unknown_atoms("CC[Na+]", vocab) == "CC[Na+]"


def test_hub_id_offline_gives_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from llmpredgraph.encoders.smiles_lm import SmilesLMEncoder

    enc = SmilesLMEncoder("DeepChem/ChemBERTa-77M-MLM")
    with pytest.raises(UserError, match="rxnfp-bert"):
        enc.encode(["CCO"])


@pytest.mark.realmodel
def test_smiles_bert_zero_unk_on_benchmark_and_pretrained_weights(real_processed):
    pytest.importorskip("transformers")
    from llmpredgraph.encoders.resolve import _package_dir

    if _package_dir("rxnfp") is None:
        pytest.skip("rxnfp not installed")
    from llmpredgraph.encoders.smiles_lm import SmilesLMEncoder

    _, bench, _ = real_processed
    smiles = bench.learnable().smiles
    enc = SmilesLMEncoder("rxnfp-bert")
    assert enc.unk_count(smiles) == 0
    X = enc.encode(smiles[:16])
    assert X.shape == (16, 256) and np.isfinite(X).all()
    # pretrained, not random: two different molecules differ, the same molecule is reproduced
    np.testing.assert_allclose(enc.encode(smiles[:1]), X[:1], atol=1e-4)


@pytest.mark.realmodel
def test_text_encoder_real_model():
    from llmpredgraph.encoders.text import TextEncoder

    enc = TextEncoder("all-MiniLM-L6-v2")
    X = enc.encode(
        [
            "nausea. SOC: Gastrointestinal disorders",
            "vomiting. SOC: Gastrointestinal disorders",
            "alopecia. SOC: Skin disorders",
        ]
    )
    assert X.shape == (3, 384)
    cos = X @ X.T / np.outer(np.linalg.norm(X, axis=1), np.linalg.norm(X, axis=1))
    assert cos[0, 1] > cos[0, 2]  # a real sentence model puts nausea nearer vomiting than alopecia


def test_text_hub_id_offline_gives_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from llmpredgraph.encoders.text import TextEncoder

    with pytest.raises(UserError, match="all-MiniLM-L6-v2"):
        TextEncoder("princeton-nlp/sup-simcse-bert-base-uncased").encode(["nausea"])
