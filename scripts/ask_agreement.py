"""Measure that `ask` answers held-out benchmark drugs with the model's own numbers: for each drug
left out of a cold model (`train --hold-out`), ask "how often does DRUG cause SE" for its top side
effects by `predict` and compare the prediction row with predict's row for the same molecule (name,
benchmark SMILES, DrugBank lookup), to the digit. Writes docs/results/ask_agreement.md.

    llmpredgraph train --config configs/cold.yaml --out models/held8 --hold-out morphine --hold-out ...
    python scripts/ask_agreement.py --model models/held8 --top 10
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from llmpredgraph.atomic import write_text
from llmpredgraph.data import load_benchmark
from llmpredgraph.provenance import code_version, describe
from llmpredgraph.workflows.ask_answers import answer
from llmpredgraph.workflows.predict import predict_command


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/held8")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--out", default="docs/results/ask_agreement.md")
    a = ap.parse_args()
    meta = yaml.safe_load((Path(a.model) / "meta.yaml").read_text())
    held = meta.get("held_out") or []
    if not held:
        raise SystemExit(f"{a.model} holds no drug out: train it with --hold-out")
    bench = load_benchmark(None)
    rows, same, total = [], 0, 0
    for drug in held:
        smiles = bench.smiles[bench.drug_index(drug)]
        text, _ = predict_command(a.model, smiles, None, None, a.top, "json", None, name=drug)
        for want in json.loads(text):
            ans = answer(f"how often does {drug} cause {want['side_effect']}", a.model)
            got = next(r for r in ans.rows if r["source"] == "prediction")
            keys = ("association_prob", "expected_class", "high_frequency_prob")
            ok = all(got[k] == want[k] for k in keys)
            label = next((r["known_class"] for r in ans.rows if r["source"] == "label"), 0)
            same, total = same + ok, total + 1
            rows.append((drug, want["side_effect"], want["association_prob"], got["association_prob"], label, ok))
    lines = [
        "# `ask` agrees with `predict` on held-out benchmark drugs",
        "",
        f"Model `{a.model}`: `configs/cold.yaml` trained with {len(held)} benchmark drugs held out "
        f"({', '.join(held)}; their structure twins with them). For each, its top {a.top} side effects by "
        '`predict --smiles SMILES --name DRUG`, then `ask "how often does DRUG cause SE"` '
        "(`scripts/ask_agreement.py`). A row agrees when the association probability, expected class "
        "and high-frequency probability of ask's prediction equal predict's to the printed digit.",
        "",
        f"**{same} of {total} answers agree.** Code: {describe(code_version())}.",
        "",
        "| drug | side effect | predict | ask | known class (label) | equal |",
        "|---|---|---|---|---|---|",
        *[f"| {d} | {s} | {p:.4f} | {q:.4f} | {c or '-'} | {'yes' if ok else 'NO'} |" for d, s, p, q, c, ok in rows],
    ]
    write_text(a.out, "\n".join(lines) + "\n")
    print(f"{same}/{total} agree; wrote {a.out}")


if __name__ == "__main__":
    main()
