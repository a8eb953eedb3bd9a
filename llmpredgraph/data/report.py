"""Human-readable summary of the benchmark and its alignment report."""

from __future__ import annotations

from ..units import CLASS_NAMES, HIGH_FREQ_CLASS


def format_report(stats: dict, report: dict) -> str:
    lines = [
        f"drugs (with SMILES, learnable): {stats['drugs']}",
        f"side effects: {stats['side_effects']}",
        f"known pairs: {stats['known_pairs']} (density {stats['density']:.4f})",
        "class histogram: " + ", ".join(f"{c} {CLASS_NAMES[int(c)]}={n}" for c, n in stats["class_histogram"].items()),
        f"high-frequency share (class >= {HIGH_FREQ_CLASS}): {stats['high_frequency_share']:.3f}",
    ]
    if report:
        lines.append(f"drugs without SMILES (excluded from learning): {len(report['drugs_without_smiles'])}: {', '.join(report['drugs_without_smiles'])}")
        lines.append(f"SMILES rows mis-named in drug_SMILES.xlsx (aligned by row order instead): {len(report['misnamed_smiles_rows'])}")
        lines += [f"  {m}" for m in report["misnamed_smiles_rows"]]
        groups = report["duplicate_structure_groups"]
        lines.append(f"duplicate-structure groups (kept): {len(groups)} groups, {sum(map(len, groups))} drugs")
        lines += [f"  {', '.join(g)}" for g in groups]
        lines.append(f"side effects without a MedDRA PT (text = name only): {len(report['side_effects_without_meddra_pt'])}")
        lines.append(f"Sup_1 rows agreeing with R: {report['sup1_rows_matching_R']} of {report['sup1_rows']}")
    return "\n".join(lines)
