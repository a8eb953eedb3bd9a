"""`train`: fit one pipeline on every learnable drug and save it.

Cold (and scaffold) configs give a model for new molecules; a warm config gives a completion model
for benchmark drugs, trained on all known pairs, that scores their not-yet-known side effects."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..data import load_benchmark
from ..errors import UserError
from ..pipeline.features import load_inputs
from ..protocols import fit_on_split, make_protocol
from ..protocols.fold import choose_baseline_knobs
from ..protocols.selection import tuned_prior
from ..runtime import seed_everything, set_threads


def train_full(cfg: Config, out: str | Path, progress: bool = True, hold_out: tuple[str, ...] = ()) -> dict:
    """hold_out: benchmark drugs left out of training with their structure-group mates (cold models),
    so that `predict` scores them as the new molecules they then are."""
    seed_everything(cfg.seed)
    set_threads(cfg.threads)
    bench, held = load_benchmark(cfg.data, labels=cfg.labels), []
    if hold_out:
        if cfg.protocol.holds_out_pairs:
            raise UserError(
                "--hold-out leaves drugs out of a cold model; a warm model completes the drugs it was trained on",
                "drop --hold-out, or train a cold model (configs/cold.yaml)",
            )
        bench, held = bench.without(list(hold_out))
    inputs = load_inputs(bench, cfg, progress)
    protocol = make_protocol(bench, cfg)
    split = protocol.training_split()
    chosen: dict = {}
    tuner = cfg.model.prior.tuned_by
    if tuner:  # the neighbour prior's knobs, chosen on validation drugs as in every experiment fold
        cfg = tuned_prior(cfg, {tuner: choose_baseline_knobs(protocol, split, inputs, tuner, chosen)})
        protocol = make_protocol(bench, cfg)
    desc = f"train ({protocol.kind}, all drugs)"
    pipe = fit_on_split(protocol, split, inputs, cfg, progress=progress, desc=desc)
    pipe.serve_labels(split.R_train)  # the served model shows every training label, validation drugs' too
    info = {
        "protocol": protocol.kind,
        "best_epoch": pipe.history["best_epoch"],
        "best_val_score": pipe.history["best_val_score"],
        **({"held_out": held} if held else {}),
        **({"prior": cfg.model.prior.model_dump()} if tuner else {}),
    }
    pipe.save(out, info)
    return {"out": str(out), **info}


def export_folder(model_dir: str | Path) -> str:
    """`llmpredgraph export`: write the torch-free inference part into an existing model folder;
    returns what happened, in one line."""
    from ..pipeline.export import export_inference
    from ..pipeline.fitted import Pipeline

    pipe = Pipeline.load(model_dir)
    reason = export_inference(pipe, model_dir)
    if reason is not None:
        return f"{model_dir} keeps loading through torch: {reason}"
    return f"wrote the torch-free inference part into {model_dir}; predict, screen, ask and serve now run without torch"
