"""`ask "QUESTION"`: grounded answers in plain language. Three question forms are understood:

    side effects of X              how often does X cause Y              which drugs cause Y most often

X is a drug name (benchmark name, DrugBank name or synonym) or a SMILES; Y a MedDRA side-effect name,
matched exactly, by spelling, or by meaning through the side-effect text model. Each answer names its
source: the benchmark **label** (a known pair), the warm **completion** model (a benchmark drug's
pair not on its label) or the cold model's **prediction** (a molecule the model never saw, held-out
benchmark drugs included), with its numbers and evidence. Numbers are computed exactly as `predict`
computes them (same standardisation, knowledge lookup, graph and decoder), never phrased by a
language model."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np

from ..data.drugbank import norm_name
from ..errors import UserError
from ..frequency import CLASS_NAMES
from ..paths import raw_dir

_VERB = r"(?:cause|causes|give|gives|lead to|produce|have)"
FORMS = (
    ("side_effects", re.compile(r"^(?:what are (?:the )?|list (?:the )?)?side[- ]?effects? (?:of|for) (?P<drug>.+)$")),
    (
        "how_often",
        re.compile(
            r"^how (?:often|frequently|likely) (?:does|do|can|will|is) (?P<drug>.+?) " + _VERB + r" (?P<se>.+)$"
        ),
    ),
    (
        "which_drugs",
        re.compile(r"^which drugs? " + _VERB + r" (?P<se>.+?)(?: (?:the )?most (?:often|frequently))?$"),
    ),
)
HELP = 'ask "side effects of X", "how often does X cause Y" or "which drugs cause Y most often"'
# a match by meaning: its cosine, and its lead over the next term. Set on lay phrases: "stomach ache" ->
# abdominal pain (0.81, lead 0.04) passes; "low blood pressure" -> hypertension (0.64) and "feeling sick"
# -> nausea (0.76, lead 0.01) do not, and get the closest terms to choose from instead.
MEANING_MIN, MEANING_MARGIN = 0.75, 0.03


@dataclass
class Drug:
    name: str
    smiles: str | None  # None: a benchmark drug the models know by its row
    label_row: int | None  # row in the labels (benchmark drugs)
    support_row: int | None  # row in the cold model's support (None: the cold model never saw it)
    how: str  # how the name was recognised


@dataclass
class Answer:
    question: str
    kind: str
    subject: dict
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse(question: str) -> tuple[str, str | None, str | None]:
    """(kind, drug phrase, side-effect phrase) of a supported question; a one-line error otherwise."""
    q = " ".join(question.strip().rstrip("?. ").split())
    for kind, rx in FORMS:
        m = rx.match(q.lower())
        if m:  # keep the user's spelling (a SMILES is case-sensitive): cut the same spans from q
            drug, se = (q[m.start(g) : m.end(g)] if g in rx.groupindex else None for g in ("drug", "se"))
            return kind, drug, se
    raise UserError(f"question not understood: {question!r}", HELP)


class Knowledge:
    """What names resolve against: the labels (benchmark), the cold and warm models, DrugBank."""

    def __init__(self, cold, warm=None):
        from ..data import load_benchmark

        self.cold, self.warm = cold, warm
        try:  # the benchmark the model was trained on: labels of held-out drugs too
            bench = load_benchmark(cold.cfg.data, labels=cold.cfg.labels)
            self.names, self.R, self.smiles = list(bench.drug_names), bench.R, list(bench.smiles)
            self.db_ids = list(bench.drugs["drugbank_id"].fillna("")) if "drugbank_id" in bench.drugs else []
            self.frequency = bench.label_frequency  # (row, side effect) -> SIDER's frequency texts
        except UserError:  # no processed benchmark here: the model folder's own labels
            s = cold.support
            self.names, self.R, self.smiles, self.db_ids = list(s.drug_names), s.R, list(s.drug_smiles), []
            self.frequency = s.label_frequency  # the folder's own copy of the label frequencies
        self.se_names = list(cold.support.se_names)
        self._by_name = {norm_name(n): i for i, n in enumerate(self.names)}
        self._support = {norm_name(n): i for i, n in enumerate(cold.support.drug_names)}
        self._db = None

    def drugbank(self):
        if self._db is None and (raw_dir() / "drugbank" / "drugbank.tsv").is_file():
            from ..data.drugbank import DrugBank

            self._db = DrugBank.read(raw_dir() / "drugbank")
        return self._db

    def drug(self, phrase: str) -> Drug:
        key = norm_name(phrase)
        if key in self._by_name:
            i = self._by_name[key]
            return Drug(self.names[i], self.smiles[i] or None, i, self._support.get(key), "benchmark name")
        db = self.drugbank()
        hits = []
        if db is not None:
            by_name = {norm_name(n): d for d, n in zip(db.drugs["drugbank_id"], db.drugs["name"])}
            hits = [by_name[key]] if key in by_name else sorted(set(db.by_alias.get(key, [])))
        if len(hits) == 1:
            entry = db.drugs.loc[hits[0]]
            if hits[0] in self.db_ids:  # a synonym of a benchmark drug
                d = self.drug(self.names[self.db_ids.index(hits[0])])
                d.how = f"DrugBank synonym of {d.name}"
                return d
            smiles = _inchi_smiles(entry["inchi"])
            if smiles is None:
                raise UserError(f"{entry['name']} ({hits[0]}) has no structure in DrugBank", "ask with its SMILES")
            return Drug(entry["name"], smiles, None, None, f"DrugBank {hits[0]}")
        if " " not in phrase.strip() and _is_smiles(phrase.strip()):
            return Drug(phrase.strip(), phrase.strip(), None, None, "SMILES")
        pool = self.names + (list(db.drugs["name"]) if db is not None else [])
        close = difflib.get_close_matches(phrase, pool, n=3, cutoff=0.6)
        what = "several DrugBank entries" if len(hits) > 1 else "no drug"
        raise UserError(
            f"{what} named {phrase!r}" + (f"; closest: {', '.join(close)}" if close else ""),
            "ask with a benchmark or DrugBank name, or a SMILES",
        )

    def side_effect(self, phrase: str) -> tuple[int, str]:
        """(index, how it matched): exact, by spelling, or by meaning (the side-effect text model)."""
        lower = {n.lower(): j for j, n in enumerate(self.se_names)}
        if phrase.lower() in lower:
            return lower[phrase.lower()], "its MedDRA name"
        spelled = difflib.get_close_matches(phrase.lower(), list(lower), n=2, cutoff=0.88)
        if len(spelled) == 1 or (spelled and difflib.SequenceMatcher(None, phrase.lower(), spelled[0]).ratio() >= 0.95):
            return lower[spelled[0]], "spelling"
        cos = self._meaning(phrase)
        if cos is not None:
            order = np.argsort(-cos)
            best, second = float(cos[order[0]]), float(cos[order[1]])
            if best >= MEANING_MIN and best - second >= MEANING_MARGIN:
                return int(order[0]), f"meaning, cosine {best:.2f}"
            close = [self.se_names[j] for j in order[:3]]
        else:
            close = difflib.get_close_matches(phrase.lower(), list(lower), n=3, cutoff=0.5)
        raise UserError(
            f"side effect {phrase!r} is ambiguous or unknown" + (f"; closest: {', '.join(close)}" if close else ""),
            "ask with a MedDRA preferred term",
        )

    def _meaning(self, phrase: str) -> np.ndarray | None:
        """Cosine of the phrase to every side-effect name under the cold model's text model (None
        when its side-effect encoder is no text model)."""
        enc_cfg = self.cold.cfg.encoders
        if enc_cfg.side_effect.kind != "text":
            return None
        from ..encoders.cache import EmbeddingCache
        from ..encoders.factory import build_text_encoder

        enc = build_text_encoder(enc_cfg)
        names = EmbeddingCache().embed(enc, self.se_names, progress=False)
        q = enc.encode([phrase])[0]
        unit = lambda x: x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)  # noqa: E731
        return unit(names) @ unit(q)


def _is_smiles(text: str) -> bool:
    from rdkit import Chem

    return Chem.MolFromSmiles(text) is not None


def _inchi_smiles(inchi: str) -> str | None:
    from rdkit import Chem

    mol = Chem.MolFromInchi(inchi) if inchi else None
    return Chem.MolToSmiles(mol) if mol is not None else None


def class_name(c: float) -> str:
    return CLASS_NAMES.get(int(np.clip(np.rint(c), 1, 5)), "")
