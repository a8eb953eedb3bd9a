"""Each step does one measured piece of work and returns its timings; peak RSS is read by the caller."""

from __future__ import annotations

import tempfile
import time

import numpy as np

from ..config import load_config


def _setup(config: str | None, overrides: list[str]):
    from ..data import load_benchmark

    cfg = load_config(config, overrides)
    return cfg, load_benchmark(cfg.data, labels=cfg.labels)


def embed(config, overrides) -> dict:
    """Embedding all drugs and side effects with an empty cache, then with a warm one."""
    from ..encoders.cache import EmbeddingCache
    from ..encoders.factory import embed_benchmark

    cfg, bench = _setup(config, overrides)
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(tmp)
        t0 = time.perf_counter()
        embed_benchmark(bench, cfg.encoders, cache, progress=False)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        embed_benchmark(bench, cfg.encoders, EmbeddingCache(tmp), progress=False)
        warm = time.perf_counter() - t0
    return {"embed_cold_cache_s": cold, "embed_warm_cache_s": warm}


def contrastive(config, overrides) -> dict:
    """The contrastive stage on fold 0's fit drugs, for the configured mode."""
    from ..pipeline.features import contrastive_stage, load_inputs
    from ..protocols import ColdProtocol

    cfg, bench = _setup(config, overrides)
    inputs = load_inputs(bench, cfg, progress=False)
    protocol = ColdProtocol(bench, cfg)
    split = protocol.split(protocol.folds()[0])
    t0 = time.perf_counter()
    res = contrastive_stage(inputs, split.R_fit, split.fit, cfg, bench.smiles, split.fold.seed, progress=False)
    return {f"contrastive_{cfg.contrastive.mode}_s": time.perf_counter() - t0, "steps": res.info["steps"]}


def fold(config, overrides) -> dict:
    """One full cold fold (features, graph model, plain MLP, baselines), with per-part times."""
    from ..baselines import BASELINES, run_baseline
    from ..pipeline.features import load_inputs
    from ..protocols import ColdProtocol, run_fold

    cfg, bench = _setup(config, overrides)
    inputs = load_inputs(bench, cfg, progress=False)
    protocol = ColdProtocol(bench, cfg)
    fold = protocol.folds()[0]
    train, test = fold.train, fold.test
    t0 = time.perf_counter()
    res = run_fold(protocol, fold, inputs, progress=False)
    total = time.perf_counter() - t0
    out = {"fold_total_s": total, "features_s": res.info["features_seconds"]}
    for name in ("graph", "mlp"):
        if name in res.info:
            info = res.info[name]
            out[f"{name}_train_s"] = info["seconds"]
            out[f"{name}_epochs"] = info["history"][-1]["epoch"] if info["history"] else 0
            out[f"{name}_s_per_epoch"] = info["seconds"] / max(out[f"{name}_epochs"], 1)
    for name in BASELINES:
        t0 = time.perf_counter()
        run_baseline(name, bench.R, train, test, inputs)
        out[f"{name}_s"] = time.perf_counter() - t0
    return out


def predict_warm(model_dir: str, smiles: str, repeats: int = 5) -> dict:
    """Load a model once, then time repeated single-SMILES predictions."""
    from ..pipeline.fitted import Pipeline

    t0 = time.perf_counter()
    p = Pipeline.load(model_dir)
    p.predict(smiles=[smiles])  # first call loads the language model
    load = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        p.predict(smiles=[smiles])
        times.append(time.perf_counter() - t0)
    return {"predict_load_and_first_s": load, "predict_warm_s": float(np.median(times))}


STEPS = {"embed": embed, "contrastive": contrastive, "fold": fold}
