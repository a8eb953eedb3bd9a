"""Experiment configuration: a strict schema (unknown keys and wrong types are errors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import UserError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DrugEncoderCfg(Strict):
    kind: Literal["lm", "fingerprint", "hash"] = "lm"
    model: str = "rxnfp-bert"  # folder, installed package alias, or hub id (DeepChem/ChemBERTa-77M-MLM)
    pooling: Literal["mean", "cls"] = "mean"
    max_length: int = Field(256, gt=8)
    batch_size: int = Field(32, gt=0)
    fp_bits: int = Field(2048, gt=0)
    fp_radius: int = Field(2, ge=1)
    # drugs compare on the weighted mean Tanimoto of these fingerprints: the first weight 1, the rest structure_others
    structure: list[Literal["morgan", "fcfp", "atom_pair"]] = Field(default_factory=lambda: ["morgan"], min_length=1)
    structure_others: float = Field(1.0, ge=0)
    add_text: bool = False  # concatenate the text encoder's embedding of the drug text
    # which drug text: guarded = name, DrugBank description without adverse-effect sentences,
    # categories, ATC path names; full = the same with nothing removed (ablation); short = "name. ATC: codes"
    text: Literal["guarded", "full", "short"] = "guarded"
    # what runs the frozen SMILES LM: torch, or its ONNX export under ONNX Runtime (same vectors within
    # 1e-5, about twice as fast on CPU); a model folder carries the export. A fine-tuned LM runs in torch.
    runtime: Literal["torch", "onnx"] = "torch"

    @property
    def structure_weights(self) -> tuple[float, ...]:
        """Each structure fingerprint's weight in the mean Tanimoto (`similarity.mix_blocks`)."""
        return (1.0,) + (float(self.structure_others),) * (len(self.structure) - 1)


class TextEncoderCfg(Strict):
    kind: Literal["text", "onehot", "hash"] = "text"
    model: str = "all-MiniLM-L6-v2"  # or princeton-nlp/sup-simcse-bert-base-uncased with internet
    batch_size: int = Field(64, gt=0)


class EncodersCfg(Strict):
    drug: DrugEncoderCfg = DrugEncoderCfg()
    side_effect: TextEncoderCfg = TextEncoderCfg()
    hash_dim: int = Field(64, gt=0)


class LossWeights(Strict):
    cosent: float = Field(1.0, ge=0)
    mnrl: float = Field(1.0, ge=0)
    angle: float = Field(1.0, ge=0)


class PairsCfg(Strict):
    drug_drug: bool = True
    se_se: bool = True
    drug_se: bool = True
    per_anchor: int = Field(32, gt=0)


class ContrastiveCfg(Strict):
    enabled: bool = True
    mode: Literal["projection", "lora", "full"] = "projection"
    dim: int = Field(128, gt=0)
    hidden: int = Field(256, gt=0)
    losses: LossWeights = LossWeights()
    pairs: PairsCfg = PairsCfg()
    steps: int = Field(300, ge=0)
    batch_size: int = Field(64, gt=1)
    lr: float = Field(1e-3, gt=0)
    lm_lr: float = Field(5e-5, gt=0)
    lm_steps: int = Field(40, ge=0)  # lora/full: joint fine-tuning steps through the language model (CPU-costly)
    lm_batch_size: int = Field(16, gt=1)  # lora/full: drugs per step, each SMILES through the LM once
    lm_eval_every: int = Field(10, gt=0)  # lora/full: steps between re-encoding every drug and validating
    aux_weight: float = Field(0.1, ge=0)  # lora/full: weight of the contrastive losses beside the task loss
    scale: float = Field(20.0, gt=0)
    lora_r: int = Field(8, gt=0)
    lora_alpha: int = Field(16, gt=0)
    plot: bool = True


class KnnCfg(Strict):
    enabled: bool = True
    k: int = Field(10, gt=0)


class SimilarityWeights(Strict):
    """Channel weights of the combined drug similarity (a pair is compared on the channels both have)."""

    structure: float = Field(1.0, ge=0)
    atc: float = Field(1.0, ge=0)
    target: float = Field(1.0, ge=0)


class GraphCfg(Strict):
    drug_se: bool = True
    drug_knn: KnnCfg = KnnCfg()
    # what drug-drug kNN edges rank by; combined = weighted mean of Tanimoto, ATC and target Jaccard
    knn_similarity: Literal["embedding", "fingerprint", "both", "combined"] = "fingerprint"
    knn_weights: SimilarityWeights = SimilarityWeights()  # graph.knn_similarity: combined
    se_hierarchy: bool = True
    se_cooc: KnnCfg = KnnCfg()
    atc_nodes: bool = False  # ATC-class nodes (levels 1-4): drug -in_class-> atc, atc -child_of-> atc
    protein_nodes: bool = False  # protein nodes: drug -target|enzyme|carrier|transporter-> protein


class LossWeightsHeads(Strict):
    dsf: float = Field(1.0, ge=0)
    dshf: float = Field(1.0, ge=0)
    assoc: float = Field(1.0, ge=0)


class PriorCfg(Strict):
    """The neighbour prior of label propagation (model.neighbour_offsets): which support drugs vote for
    a drug and how much. Weights: similarity ** power over the k most similar support drugs, normalised."""

    k: int | None = Field(None, ge=0)  # None: the graph's kNN edges; 0: every support drug
    power: float = Field(1.0, gt=0)
    bias_shrink: float = Field(20.0, ge=0)  # ridge shrinkage of the drug and side-effect biases
    resid_shrink: float = Field(1.0, gt=0)  # shrinkage of the neighbours' mean residual on a side effect
    # association prior: popularity x the neighbours' degree (degree), or the neighbours' weighted share (share)
    assoc: Literal["degree", "share"] = "degree"
    # the share's own kernel (assoc share only): the assoc_k most similar support drugs (0: all) with
    # weights similarity ** assoc_power; None: k and power, the frequency priors' kernel
    assoc_k: int | None = Field(None, ge=0)
    assoc_power: float | None = Field(None, gt=0)
    # a neighbour baseline whose knobs, chosen per fold on validation drugs, set k, power, bias_shrink (lam),
    # resid_shrink (shrink) and graph.knn_weights (w_atc, w_target): the prior is that baseline's prediction
    tuned_by: Literal["knn_offset", "knn_offset_combined"] | None = None


class ModelCfg(Strict):
    message_passing: bool = True
    conv: Literal["sage", "gat", "graph"] = "sage"
    layers: int = Field(2, ge=1, le=4)
    hidden: int = Field(128, gt=0)
    dropout: float = Field(0.2, ge=0, lt=1)
    decoder_hidden: int = Field(128, gt=0)
    se_embedding: bool = True  # a learnable vector per side effect (all are seen in training)
    drug_embedding: bool = False  # a learnable vector per drug: warm protocol only (cold test drugs are unseen)
    label_propagation: bool = True  # parameter-free 2-hop pair features (part of message passing)
    decoder_prior: bool = True  # heads correct the side effect's support popularity / mean class
    neighbour_offsets: bool = (
        True  # propagation adds similar drugs' ridge drug offsets and residuals (and the prior uses them)
    )
    prior: PriorCfg = PriorCfg()
    # the heads' corrections start at zero and the untrained model (its priors) is validated as epoch 0
    start_at_prior: bool = False
    # shares of the learned correction (logit scale) added to each head's prior; per head the one that
    # scores best on validation drugs is kept after training ([1.0]: the whole correction, no choice)
    correction_scales: list[float] = Field([1.0], min_length=1)
    # whether to remove the correction's drug-level mean (the drug's level is then the prior's), tried
    # with each scale on validation ([false]: never; [false, true]: chosen per head)
    correction_centring: list[bool] = Field([False], min_length=1)
    loss_weights: LossWeightsHeads = LossWeightsHeads()


class TrainCfg(Strict):
    # added to each fold's seed for the contrastive stage and the link model (initialisation, draws);
    # folds, validation drugs and test negatives do not move: rerun with 1, 2 for the spread over seeds
    seed: int = Field(0, ge=0)
    epochs: int = Field(200, gt=0)
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(1e-5, ge=0)
    patience: int = Field(60, gt=0)
    eval_every: int = Field(5, gt=0)
    query_fraction: float = Field(0.2, gt=0, lt=1)
    neg_ratio: float = Field(1.0, gt=0)


class ProtocolCfg(Strict):
    # cold: folds over drugs; scaffold: folds over Bemis-Murcko scaffolds; warm: folds over known pairs
    kind: Literal["cold", "scaffold", "warm"] = "cold"
    folds: int = Field(10, ge=2)
    repeats: int = Field(1, ge=1)  # repeated CV: `repeats` x `folds` folds, each repeat with its own seed
    grouping: Literal["structure", "none"] = "structure"  # cold: drugs of one standardised structure share a fold
    run_folds: list[int] | None = None  # a subset of folds (numbered across repeats), for smoke runs
    val_fraction: float = Field(0.1, gt=0, lt=0.5)
    with_graph: bool = True  # train the graph model; false with with_mlp false = baselines only
    with_mlp: bool = True  # also train the plain MLP (same parts, no message passing) on each fold

    # What each kind means for the code outside protocols/, so that it asks these, never the kind's name.
    @property
    def holds_out_pairs(self) -> bool:
        """warm: folds hold out known pairs; a test drug's other pairs stay in the graph."""
        return self.kind == "warm"

    @property
    def holds_out_drugs(self) -> bool:
        """cold / scaffold: folds hold out whole drugs, so a fitted model scores molecules it never saw."""
        return not self.holds_out_pairs


BASELINE_KNOBS = {
    "knn_fp": ("k", "w_fp"),
    "knn_offset": ("k", "lam", "shrink", "power", "w_fp", "assoc_k", "assoc_power"),
    "knn_offset_combined": ("k", "lam", "shrink", "power", "w_atc", "w_target", "w_fp", "assoc_k", "assoc_power"),
    "bias": ("lam",),
    "galeano": ("k", "alpha"),
}


class SelectionCfg(Strict):
    """Nested selection, per outer fold, on validation labels carved from that fold's training part."""

    # name -> dotted overrides of the model config (graph model and plain MLP); empty = no selection
    candidates: dict[str, dict[str, Any]] = {}
    # baseline -> knob -> values to try, e.g. {knn_offset: {k: [5, 10, 20], lam: [5.0, 20.0]}}; the knobs of
    # association's own kernel (assoc_k, assoc_power) are chosen after the rest, holding them, on the
    # association criterion (mean of per-drug and stratified AUROC on validation drugs)
    baselines: dict[str, dict[str, list[int | float]]] = {}


class LabelsCfg(Strict):
    """Which labels train and score association. benchmark: R > 0 only (Galeano's matrix, as in the
    literature); mentions: R > 0 or listed on the drug's SIDER 4.1 label (the frequency heads still
    learn from R's classes only). extra_drugs: SIDER drugs outside the benchmark with a DrugBank
    structure join every fold as training and neighbour drugs (mentions only)."""

    association: Literal["benchmark", "mentions"] = "benchmark"
    extra_drugs: bool = False


class FastPathCfg(Strict):
    """Also score each cold fold's test drugs through `screen --fast`'s path (method graph_fast): the
    fold's model folder gets a student SMILES encoder, distilled from the frozen SMILES LM on unlabelled
    corpus molecules (fitted once per run and cached; `llmpredgraph distil` fits the same), and an
    int8 decoder calibrated on corpus molecules. No benchmark label reaches the student."""

    enabled: bool = False
    corpora: list[str] = Field(["moses"], min_length=1)  # moses, chembl-drugs or a file of SMILES
    n: int = Field(40_000, gt=1)  # training molecules taken from each corpus
    check: int = Field(1000, gt=0)  # the first corpus's first molecules, never trained on (distil's check set)
    hidden: int = Field(1024, gt=0)
    epochs: int = Field(30, gt=0)
    seed: int = Field(0, ge=0)


class Config(Strict):
    name: str = "cold"
    seed: int = 0
    data: str | None = None  # processed benchmark folder; None = data/processed; "synthetic"
    threads: int | None = None
    # where torch work runs: auto = a CUDA GPU when torch sees one, else CPU (CI and 2-core machines)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    labels: LabelsCfg = LabelsCfg()
    encoders: EncodersCfg = EncodersCfg()
    contrastive: ContrastiveCfg = ContrastiveCfg()
    graph: GraphCfg = GraphCfg()
    model: ModelCfg = ModelCfg()
    train: TrainCfg = TrainCfg()
    protocol: ProtocolCfg = ProtocolCfg()
    baselines: list[Literal["se_mean", "knn_fp", "knn_offset", "knn_offset_combined", "bias", "galeano"]] = [
        "se_mean",
        "knn_fp",
        "knn_offset",
    ]
    selection: SelectionCfg = SelectionCfg()
    fast_path: FastPathCfg = FastPathCfg()

    @model_validator(mode="after")
    def _warm_only(self) -> Config:
        if self.protocol.holds_out_drugs:
            for name, what in (("bias", "drug + side-effect bias"), ("galeano", "Galeano matrix decomposition")):
                if name in self.baselines:
                    raise ValueError(
                        f"the {what} baseline is warm-only (a cold test drug has no known pairs); "
                        f"drop '{name}' from baselines or set protocol.kind: warm"
                    )
            if self.model.drug_embedding:
                raise ValueError(
                    "model.drug_embedding needs the warm protocol (cold test drugs would keep untrained vectors); "
                    "set model.drug_embedding: false or protocol.kind: warm"
                )
        if self.fast_path.enabled and not (self.protocol.holds_out_drugs and self.protocol.with_graph):
            raise ValueError(
                "fast_path scores held-out drugs as new molecules with the graph model, so it needs a cold or "
                "scaffold protocol with the graph; set protocol.with_graph: true and a cold or scaffold "
                "protocol.kind, or fast_path.enabled: false"
            )
        if not (self.protocol.with_graph or self.protocol.with_mlp or self.baselines):
            raise ValueError(
                "nothing to run: protocol.with_graph and protocol.with_mlp are false and baselines is empty"
            )
        if self.labels.extra_drugs and self.labels.association != "mentions":
            raise ValueError(
                "labels.extra_drugs adds drugs that have label mentions only, which association: benchmark "
                "ignores; set labels.association: mentions or labels.extra_drugs: false"
            )
        tuner = self.model.prior.tuned_by
        if tuner is not None and tuner not in self.baselines:
            raise ValueError(
                f"model.prior.tuned_by names {tuner!r}, which is not in baselines; add it to baselines "
                "(its knobs are chosen there) or set model.prior.tuned_by: null"
            )
        p, tuned = self.model.prior, self.selection.baselines.get(tuner or "", {})
        if p.assoc != "share" and (
            p.assoc_k is not None or p.assoc_power is not None or "assoc_k" in tuned or "assoc_power" in tuned
        ):
            raise ValueError(
                "model.prior.assoc_k / assoc_power (or their selection grid) set the association share's own "
                "kernel, which the degree prior does not use; set model.prior.assoc: share or drop them"
            )
        if self.protocol.holds_out_pairs and any(self.model.correction_centring):
            raise ValueError(
                "model.correction_centring removes a drug's mean correction over all its side effects, which "
                "warm validation does not score; set model.correction_centring: [false] for the warm protocol"
            )
        if any(a < 0 for a in self.model.correction_scales):
            raise ValueError("model.correction_scales must be shares >= 0; e.g. [1.0, 0.5, 0.0]")
        if len(set(self.encoders.drug.structure)) < len(self.encoders.drug.structure):
            raise ValueError("encoders.drug.structure lists a fingerprint twice; list each once")
        for name, grid in self.selection.baselines.items():
            if "w_fp" in grid and len(self.encoders.drug.structure) < 2:
                raise ValueError(f"selection.baselines.{name} tunes w_fp; list several encoders.drug.structure")
            allowed = BASELINE_KNOBS.get(name, ())
            bad = [k for k in grid if k not in allowed]
            if name not in self.baselines or bad:
                what = f"knob {bad[0]!r}" if bad else "a baseline that is not in baselines"
                raise ValueError(
                    f"selection.baselines.{name} names {what}; tune knobs {BASELINE_KNOBS} of listed baselines"
                )
        return self

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _one_line(exc: ValidationError, where: str) -> UserError:
    errs = exc.errors()
    first = errs[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    if first["type"] == "value_error":  # a cross-key rule; its message names the fix
        problem, _, fix = str(first["ctx"]["error"]).partition("; ")
        return UserError(f"invalid config {where}: {problem}", fix or "see configs/cold.yaml and configs/warm.yaml")
    more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
    return UserError(
        f"invalid config {where}: {loc}: {msg}{more}",
        "fix that key; see configs/cold.yaml for every key and its default",
    )


def from_dict(data: dict[str, Any], where: str = "") -> Config:
    if not isinstance(data, dict):
        raise UserError(
            f"invalid config {where}: the top level must be a mapping", "write key: value pairs as in configs/cold.yaml"
        )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise _one_line(exc, where) from None


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set a dotted key in a nested dict (for overrides like model.conv=gat)."""
    node = data
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise UserError(f"override {dotted}: {p} is not a section", "override a leaf key")
    node[parts[-1]] = value


def load_config(path: str | Path | None = None, overrides: list[str] | dict[str, Any] | None = None) -> Config:
    """Load YAML (or defaults), then apply overrides ('a.b=value' strings parsed as YAML)."""
    data: dict[str, Any] = {}
    where = str(path) if path else "(defaults)"
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise UserError(f"config file {p} not found", "pass an existing YAML file, e.g. configs/cold.yaml")
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}" if mark else ""
            raise UserError(f"config {p} is not valid YAML{at}", "fix the YAML syntax") from None
    items = overrides.items() if isinstance(overrides, dict) else [_split(o) for o in overrides or []]
    for key, value in items:
        set_path(data, key, value)
    return from_dict(data, where)


def _split(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise UserError(f"override {text!r} has no '='", "write overrides as key.path=value")
    key, raw = text.split("=", 1)
    return key.strip(), yaml.safe_load(raw)
