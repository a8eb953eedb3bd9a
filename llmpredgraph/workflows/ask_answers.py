"""The answers of `ask` (see `ask`): labels, completion and prediction rows with their evidence, and
their plain-language rendering. Prediction rows are `predict`'s own table rows (same rounding)."""

from __future__ import annotations

import numpy as np

from ..errors import UserError
from ..frequency import LISTED, class_text, label_rank
from ..paths import raw_dir
from ..pipeline.loading import load_predictor
from .ask import Answer, Drug, Knowledge, class_name, parse
from .molecules import attach_drugbank, knowledge_of, molecule, molecule_texts
from .tables import ranked_table

EVIDENCE = 3  # evidence drugs per answer row


def answer(question: str, model_dir: str, warm_dir: str | None = None, top: int = 10) -> Answer:
    kn = Knowledge(load_predictor(model_dir), load_predictor(warm_dir) if warm_dir else None)
    if kn.warm is not None and kn.warm.cfg.protocol.holds_out_drugs:
        raise UserError(f"{warm_dir} is a cold model", "pass a warm completion model as --warm-model")
    return answer_from(kn, question, top)


def answer_from(kn: Knowledge, question: str, top: int = 10) -> Answer:
    """`answer` with the models and names already loaded (`serve` keeps one `Knowledge`)."""
    kind, drug_phrase, se_phrase = parse(question)
    if kind == "which_drugs":
        return _which_drugs(question, kn, *kn.side_effect(se_phrase), top)
    drug = kn.drug(drug_phrase)
    subject = {"drug": drug.name, "recognised_as": drug.how}
    if kind == "how_often":
        j, how = kn.side_effect(se_phrase)
        ans = Answer(question, kind, subject | {"side_effect": kn.se_names[j], "side_effect_match": how})
        idx = [j]
    else:
        ans, idx = Answer(question, kind, subject), None
    known = kn.R[drug.label_row] if drug.label_row is not None else None
    if known is not None:  # a benchmark drug: its label first
        on_label = [j for j in (idx if idx is not None else _by_class(known)) if known[j] > 0][:top]
        ans.rows += [_label_row(kn, j, int(known[j]), kn.frequency(drug.label_row, j)) for j in on_label]
        if kind == "side_effects":
            listed = int((known == LISTED).sum())
            ans.notes.append(
                f"{int((known > 0).sum())} side effects on its label ({listed} listed by SIDER 4.1 without a "
                f"benchmark class); the {len(on_label)} most frequent shown"
            )
    unanswered = [j for j in idx if known is None or known[j] == 0] if idx is not None else None
    if drug.support_row is None and drug.smiles is None:
        ans.notes.append(f"{drug.name} has no structure in the benchmark, so the models cannot score it")
    elif drug.support_row is None:  # the cold model never saw this molecule: its prediction, label or not
        ans.rows += _predicted(kn, drug, idx, top if idx is None else None)
        if known is not None:
            ans.notes.append(f"{drug.name} was held out of the cold model: its predictions are out of sample")
    elif kn.warm is not None and (unanswered is None or unanswered):
        ans.rows += _completed(kn, drug, unanswered, min(5, top) if idx is None else None)
    elif unanswered:
        ans.notes.append("not on its label; pass --warm-model (a warm completion model) for the model's estimate")
    return ans


def _by_class(row: np.ndarray) -> list[int]:
    return list(np.lexsort((np.arange(len(row)), -label_rank(row))))  # class desc, listed, then index


def _label_row(kn: Knowledge, j: int, c: int, frequency: str = "") -> dict:
    """A pair on the drug's label: its benchmark class, or LISTED (SIDER 4.1 lists it without one),
    with the frequency texts the label prints where SIDER has them."""
    row = {"side_effect": kn.se_names[j], "source": "label", "label_frequency": frequency}
    if c == LISTED:
        return row | {"known_class": None, "class_name": "frequency class not given", "label_source": "SIDER 4.1"}
    return row | {"known_class": c, "class_name": class_name(c), "label_source": "benchmark (Galeano et al. 2020)"}


def _predicted(kn: Knowledge, drug: Drug, idx: list[int] | None, top: int | None) -> list[dict]:
    """The cold model's rows for a molecule it never saw: `predict`'s table for it (same lookups and
    rounding), side effects `idx` or its `top` ranked ones, each with its voters as evidence."""
    pipe = kn.cold
    try:
        m = molecule(drug.name, drug.smiles)
    except ValueError as e:
        raise UserError(f"{e} for {drug.name}", "ask with a valid SMILES") from None
    m = attach_drugbank([m], raw_dir() / "drugbank")[0]  # as `predict --name` does
    texts = None
    if pipe.cfg.encoders.drug.add_text:
        texts = molecule_texts([m], pipe.support.se_names, raw_dir() / "atc/who_atc_ddd_2026-04-25.csv")
    mg = pipe.molecule_graph([m.smiles], knowledge_of([m]), texts, standardised=True)
    scores = pipe.score_graph(mg)
    table = ranked_table(pipe.support.se_names, {k: v[0] for k, v in scores.items()}, None, pipe.typical_rates())
    table = table.set_index("side_effect")
    names = [pipe.support.se_names[j] for j in idx] if idx is not None else list(table.index[:top])
    (expls,) = pipe.explain(mg, [[pipe.support.se_names.index(n) for n in names]])
    rows = []
    for n, x in zip(names, expls):
        r = table.loc[n]
        rows.append(
            {
                "side_effect": n,
                "source": "prediction",
                "association_prob": float(r["association_prob"]),
                "expected_class": float(r["expected_class"]),
                "class_name": class_name(r["expected_class"]),
                "high_frequency_prob": float(r["high_frequency_prob"]),
                "prior": round(x.assoc_prior, 4),
                "knowledge": m.source or "none",
                "evidence": [
                    {
                        "drug": e.drug,
                        "known_class": e.known_class,
                        "similarity": round(e.similarity, 3),
                        "channel": e.channel,
                    }
                    for e in x.evidence[:EVIDENCE]
                ],
            }
        )
    return rows


def _voter(e) -> dict:
    return {"drug": e.drug, "known_class": e.known_class, "similarity": round(e.similarity, 3), "channel": e.channel}


def _completed(kn: Knowledge, drug: Drug, idx: list[int] | None, top: int | None) -> list[dict]:
    """The warm model's scores of a benchmark drug's pairs not on its label, with the most similar
    benchmark drugs (the model's drug similarity) that carry them."""
    w = kn.warm
    d = w.support.drug_names.index(drug.name)
    p = w.complete(np.array([d]))
    R = w.support.R
    if idx is None:
        unknown = np.flatnonzero(R[d] == 0)
        idx = list(unknown[np.argsort(-p["assoc"][0, unknown], kind="stable")][:top])
    sim = np.array(w.drug_similarity(d), dtype=np.float32)
    sim[d] = -np.inf
    near = np.argsort(-sim, kind="stable")[:10]
    rows = []
    for j in idx:
        ev = [i for i in near if R[i, j] > 0][:EVIDENCE]
        rows.append(
            {
                "side_effect": w.support.se_names[j],
                "source": "completion",
                "association_prob": round(float(p["assoc"][0, j]), 4),
                "expected_class": round(float(np.clip(p["dsf"][0, j], 1, 5)), 3),
                "class_name": class_name(p["dsf"][0, j]),
                "evidence": [
                    {
                        "drug": w.support.drug_names[i],
                        "known_class": class_text(R[i, j]),
                        "similarity": round(float(sim[i]), 3),
                    }
                    for i in ev
                ],
                "neighbours_with_it": f"{sum(R[i, j] > 0 for i in near)} of its 10 most similar drugs",
            }
        )
    return rows


def _which_drugs(question: str, kn: Knowledge, j: int, how: str, top: int) -> Answer:
    ans = Answer(question, "which_drugs", {"side_effect": kn.se_names[j], "side_effect_match": how})
    col = kn.R[:, j]
    order = [i for i in np.lexsort((np.array(kn.names), -label_rank(col))) if col[i] > 0][:top]  # class, then name
    ans.rows = [{**_label_row(kn, j, int(col[i]), kn.frequency(i, j)), "drug": kn.names[i]} for i in order]
    ans.notes.append(f"{int((col > 0).sum())} of {len(col)} drugs have it on their label")
    if kn.warm is not None:
        w = kn.warm
        p = w.complete()
        free = np.flatnonzero(w.support.R[:, j] == 0)
        best = free[np.argsort(-p["assoc"][free, j], kind="stable")][: min(5, top)]
        ans.rows += [
            {
                "drug": w.support.drug_names[i],
                "source": "completion",
                "association_prob": round(float(p["assoc"][i, j]), 4),
                "expected_class": round(float(np.clip(p["dsf"][i, j], 1, 5)), 3),
            }
            for i in best
        ]
    return ans


def render(ans: Answer) -> str:
    """The answer in plain language, one line per row: numbers, source and evidence."""
    s = ans.subject
    head = {
        "side_effects": f"Side effects of {s.get('drug')} ({s.get('recognised_as')}):",
        "how_often": f"How often {s.get('drug')} ({s.get('recognised_as')}) causes {s.get('side_effect')}"
        f" (matched by {s.get('side_effect_match')}):",
        "which_drugs": f"Drugs that cause {s.get('side_effect')} most often (matched by {s.get('side_effect_match')}):",
    }[ans.kind]
    lines = [head]
    for r in ans.rows:
        who = r.get("drug") or r["side_effect"]
        if r["source"] == "label":
            freq = f"; the label gives {r['label_frequency']}" if r.get("label_frequency") else ""
            if r["known_class"] is None:
                lines.append(f"- {who}: listed on the SIDER 4.1 label, frequency class not given{freq}")
            else:
                lines.append(f"- {who}: class {r['known_class']} ({r['class_name']}), from the benchmark label{freq}")
            continue
        what = "predicted by the cold model" if r["source"] == "prediction" else "estimated by the completion model"
        ev = "; ".join(
            f"{e['drug']} ({_cls(e['known_class'])}, similarity {e['similarity']:.2f}"
            + (f", {e['channel']})" if "channel" in e else ")")
            for e in r.get("evidence", [])
        )
        line = f"- {who}: association {r['association_prob']:.2f}, expected class {r['expected_class']:.1f}"
        line += f" ({class_name(r['expected_class'])}), {what}" if "expected_class" in r else f", {what}"
        if "prior" in r:
            line += f"; its neighbours' share {r['prior']:.2f}"
        lines.append(line + (f"; evidence: {ev}" if ev else ""))
    if not ans.rows:
        lines.append("- no answer from the labels or the models")
    return "\n".join(lines + [f"({n})" for n in ans.notes])


def _cls(c) -> str:
    return c if isinstance(c, str) else class_text(c)
