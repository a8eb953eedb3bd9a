"""`experiment`: all folds in one run folder, resumable, with metrics, summary and plots."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..atomic import atomic_path, write_json, write_text, write_with
from ..config import Config, from_dict
from ..data import load_benchmark
from ..data.atc import atc_level1_labels
from ..errors import UserError
from ..metrics.registry import names
from ..pipeline.features import load_inputs
from ..progress import bar as progress_bar
from ..protocols import PROTOCOLS, FoldResult, make_protocol, run_fold
from ..provenance import code_version, describe
from ..reporting import plots
from ..reporting.subgroups import subgroup_frame, subgroup_markdown
from ..reporting.summary import metrics_frame, summary_markdown
from ..runfolder import RunFolder
from ..runtime import seed_everything, set_threads
from .executor import LocalExecutor


def _without_run_folds(data: dict) -> dict:
    return {**data, "protocol": {**data["protocol"], "run_folds": None}}


def _fold_union(saved: list[int] | None, new: list[int] | None, n_folds: int) -> list[int] | None:
    """Folds a resumed folder covers: None (all) when either run covers all, or the union does."""
    if saved is None or new is None:
        return None
    union = sorted(set(saved) | set(new))
    return None if union == list(range(n_folds)) else union


def prepare_run_folder(out: Path, cfg: Config, resume: bool, overwrite: bool) -> None:
    data = cfg.dump()
    if out.exists() and any(out.iterdir()):
        if overwrite:
            shutil.rmtree(out)
        elif resume:
            saved_path = RunFolder(out).config
            if saved_path.is_file():
                # parsed, so a run saved before a new key (with its default) still resumes
                saved = from_dict(yaml.safe_load(saved_path.read_text()), str(saved_path)).dump()
                # run_folds only picks folds, so a folder may be extended to more folds
                if _without_run_folds(saved) != _without_run_folds(data):
                    raise UserError(
                        f"run folder {out} was started with a different config",
                        "resume with the same config, or use --overwrite or another --out",
                    )
                folds = _fold_union(
                    saved["protocol"]["run_folds"],
                    data["protocol"]["run_folds"],
                    cfg.protocol.folds * cfg.protocol.repeats,
                )
                data["protocol"]["run_folds"] = folds
        else:
            raise UserError(
                f"run folder {out} already exists",
                "pass --resume to continue it, --overwrite to replace it, or choose another --out",
            )
    out.mkdir(parents=True, exist_ok=True)
    write_text(RunFolder(out).config, yaml.safe_dump(data, sort_keys=False))


@dataclass
class Plan:
    """One experiment's run folder, protocol and the folds still to run."""

    cfg: Config
    out: Path
    protocol: Any
    folds: list
    todo: list[int]
    command: str | None = None
    inputs: Any = None
    seconds: float = 0.0


def plan_experiment(
    cfg: Config, out: str | Path, resume: bool = False, overwrite: bool = False, command: str | None = None
) -> Plan:
    """Prepare the run folder (config.yaml, folds.json) and list the unfinished folds."""
    out = Path(out)
    prepare_run_folder(out, cfg, resume, overwrite)
    seed_everything(cfg.seed)
    set_threads(cfg.threads)
    protocol = make_protocol(load_benchmark(cfg.data, labels=cfg.labels), cfg)
    folds = protocol.folds()
    write_json(RunFolder(out).folds_file, protocol.record(folds))
    wanted = cfg.protocol.run_folds if cfg.protocol.run_folds is not None else list(range(len(folds)))
    bad = [k for k in wanted if not 0 <= k < len(folds)]
    if bad:
        raise UserError(
            f"protocol.run_folds has fold(s) {bad} outside 0..{len(folds) - 1}", "list existing fold numbers"
        )
    todo = [k for k in wanted if not RunFolder(out).fold_done(k)]  # resume: finished folds stay
    record_invocation(out, todo)
    return Plan(cfg, out, protocol, folds, todo, command)


def record_invocation(out: Path, todo: list[int]) -> None:
    """Append this invocation's code version and the folds it is to compute to provenance.json, so a
    run folder whose folds came from several code versions says so."""
    path = RunFolder(out).provenance
    runs = json.loads(path.read_text())["invocations"] if path.is_file() else []
    runs.append({**code_version(), "folds": todo})
    write_json(path, {"invocations": runs})


def provenance_note(out: Path) -> list[str]:
    """Summary lines naming the code version(s) that computed the folds."""
    path = RunFolder(out).provenance
    if not path.is_file():
        return []
    runs = [r for r in json.loads(path.read_text())["invocations"] if r["folds"]]
    versions = list(dict.fromkeys(describe(r) for r in runs))
    if len(versions) == 1:
        return [f"Code: {versions[0]}, every fold."]
    return ["Code: the folds come from several code versions:"] + [f"- {describe(r)}: folds {r['folds']}" for r in runs]


def _fold_task(shared: list, item: tuple[int, int]) -> FoldResult:
    """One fold of one plan; the same function runs in this process or in a Ray worker."""
    i, k = item
    protocol, folds, inputs, progress, threads, out = shared[i]
    if RunFolder(out).fold_done(k):
        return None  # finished meanwhile by another process sharing the run folder: keep it
    set_threads(threads)
    return run_fold(protocol, folds[k], inputs, progress=progress)


def run_plans(plans: list[Plan], executor=None, progress: bool = True) -> None:
    """Run every unfinished fold of every plan on the executor (local: in order), write each fold
    folder as its result arrives, then finalize each run folder."""
    executor = executor or LocalExecutor()
    for plan in plans:
        if plan.todo:
            plan.inputs = load_inputs(plan.protocol.bench, plan.cfg, progress)
    # a Ray task uses the threads it declared unless the config sets them
    threads = [p.cfg.threads or getattr(executor, "threads", None) for p in plans]
    items = [(i, k) for i, p in enumerate(plans) for k in p.todo]
    if hasattr(executor, "plan"):  # 'auto' workers: as many as the folds' torch threads leave cores for
        workers = executor.plan(max(threads) if all(threads) else None, len(items))
        if progress and workers > 1:
            print(f"{len(items)} folds, {workers} at a time in worker processes", file=sys.stderr, flush=True)
    inner = progress and executor.inner_progress
    shared = [(p.protocol, p.folds, p.inputs, inner, t, p.out) for p, t in zip(plans, threads)]
    last = time.perf_counter()
    with progress_bar(total=len(items), desc="folds", enabled=progress) as pbar:
        for (i, k), res in executor.map(_fold_task, shared, items):
            plan = plans[i]
            if res is not None:
                write_fold(RunFolder(plan.out).fold(k), res, plan.protocol.bench, plan.inputs, plan.cfg, k)
            now = time.perf_counter()
            plan.seconds, last = plan.seconds + now - last, now
            pbar.update(1)
    for plan in plans:
        finalize(plan.out, plan.cfg, plan.command, plan.seconds)


def run_experiment(
    cfg: Config,
    out: str | Path,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    command: str | None = None,
    executor=None,
) -> Path:
    plan = plan_experiment(cfg, out, resume, overwrite, command)
    run_plans([plan], executor, progress)
    return plan.out


def write_fold(folder: Path, res: FoldResult, bench, inputs, cfg: Config, k: int) -> None:
    """The whole fold folder appears at once; metrics.json inside marks it finished."""
    with atomic_path(folder, is_dir=True) as tmp:
        res.predictions.to_csv(tmp / "predictions.csv", index=False)
        (tmp / "info.json").write_text(json.dumps(res.info, indent=2, default=float))
        feats = res.features
        np.savez_compressed(tmp / "tuned_embeddings.npz", drug=feats.x_drug, side_effect=feats.x_se)
        # out-of-fold scores: every method's full matrices over this fold's test drugs (served by predict)
        scores = {f"{m}__{h}": v.astype(np.float32) for m, p in res.scores.items() for h, v in p.items()}
        np.savez_compressed(tmp / "scores.npz", rows=res.rows, **scores)
        if k == (cfg.protocol.run_folds or [0])[0] and cfg.contrastive.enabled and cfg.contrastive.plot:
            plots.embedding_map(
                inputs.X_drug, feats.x_drug, atc_level1_labels(bench), tmp / "embeddings_before_after.png", cfg.seed
            )
        (tmp / "metrics.json").write_text(json.dumps(res.metrics, indent=2))


def finalize(out: Path, cfg: Config, command: str | None, elapsed: float | None = None) -> None:
    run = RunFolder(out)
    fold_metrics = run.fold_metrics()
    if not fold_metrics:
        raise UserError(f"no finished folds in {out}", "run the experiment first")
    df = metrics_frame(fold_metrics)
    df.insert(1, "repeat", df["fold"] // cfg.protocol.folds)
    write_json(run.metrics_json, {str(k): v for k, v in fold_metrics.items()})
    write_with(run.metrics_csv, lambda p: df.to_csv(p, index=False))
    notes = [f"Wall time of this invocation: {elapsed / 60:.1f} min."] if elapsed is not None else []
    notes += provenance_note(out)
    preds = pd.concat(
        [pd.read_csv(run.predictions(k)).assign(fold=k) for k in fold_metrics],
        ignore_index=True,
    )
    methods = list(dict.fromkeys(df["method"]))
    notes += knowledge_section(out, cfg, preds, methods)
    title = PROTOCOLS[cfg.protocol.kind].title
    write_text(
        run.summary,
        summary_markdown(df, cfg.baselines, f"{title}: {cfg.name}", command, notes, cfg.protocol.folds),
    )
    plots.roc_pr(preds, methods, run.plot("roc_pr"))
    plots.pred_vs_true(preds, methods, run.plot("pred_vs_true"))
    plots.per_fold_bars(df, names("headline"), run.plot("per_fold"))


def knowledge_section(out: Path, cfg: Config, preds: pd.DataFrame, methods: list[str]) -> list[str]:
    """Cold/scaffold runs: metrics for test drugs with and without a DrugBank match (subgroups.csv)."""
    bench = load_benchmark(cfg.data, labels=cfg.labels)
    if cfg.protocol.holds_out_pairs or "drugbank_id" not in bench.drugs.columns:
        return []
    matched = bench.drugs["drugbank_id"].fillna("").astype(str) != ""
    group_of = dict(zip(bench.drug_names, np.where(matched, "DrugBank knowledge", "structure + ATC only")))
    frame = subgroup_frame(preds, group_of, methods)
    write_with(RunFolder(out).subgroups, lambda p: frame.to_csv(p, index=False))
    return ["", *subgroup_markdown(frame, "Test drugs with and without DrugBank knowledge (mean ± sd over folds)")]
