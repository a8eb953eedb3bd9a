"""Human-readable summary of the benchmark and its alignment report."""

from __future__ import annotations

from ..frequency import CLASS_NAMES, HIGH_FREQ_CLASS


def format_audit(a: dict) -> list[str]:
    """The structure audit: corrections applied, DrugBank matching and structure agreement."""
    lines = [f"structure corrections (table version {a['corrections_version']}): {len(a['corrections'])}"]
    lines += [f"  {c['drug']}: {c['reason']} -> {c['smiles']} ({c['source']})" for c in a["corrections"]]
    lines.append("DrugBank matches of the learnable drugs: " + ", ".join(f"{k} {v}" for k, v in a["drugbank_matches"].items()))
    lines.append(f"name and PubChem CID disagree (name trusted; STITCH flat ids merge stereoisomers): {', '.join(a['name_cid_conflicts'])}")
    lines.append("structure vs DrugBank (standardised): " + ", ".join(f"{k} {v}" for k, v in a["structure_agreement"].items()))
    lines.append(f"different skeleton than DrugBank, with verdicts: {len(a['structure_disagreements'])}")
    lines += [f"  {d['drug']} ({d['drugbank_id']}): {d['verdict']}" for d in a["structure_disagreements"]]
    lines.append(f"DrugBank has no structure (biologics, mixtures): {len(a['no_drugbank_structure'])}: {', '.join(a['no_drugbank_structure'])}")
    groups = a["structure_groups"]
    lines.append(f"structure groups kept together in cold folds: {len(groups)} groups, {sum(map(len, groups))} drugs")
    lines += [f"  {', '.join(g)}" for g in groups]
    lines.append(f"Bemis-Murcko scaffold groups (scaffold protocol): {a['scaffold_groups']}")
    return lines


def format_coverage(c: dict) -> list[str]:
    """How many learnable drugs each knowledge channel reaches (DrugBank CC BY-NC 4.0)."""
    return [
        f"drug knowledge of the {c['drugs']} learnable drugs: ATC {c['atc']} ({c['atc_from_drugbank']} from DrugBank), "
        f"targets {c['targets']} (any protein {c['any_protein']}), description {c['description']}, "
        f"categories {c['categories']}",
        f"drug text: {c['sentences_removed_by_guard']} description sentences naming an adverse effect removed (guard)",
        f"drugs with no knowledge channel (structure only): {len(c['no_knowledge'])}: {', '.join(c['no_knowledge'])}",
    ]


def format_sider(r: dict) -> list[str]:
    """SIDER 4.1 beside R: mentions, indications and the extra drugs (CC BY-NC-SA 4.0)."""
    e = r["extra_drugs"]
    why = ", ".join(f"{k} {v}" for k, v in e["without_structure"].items() if v)
    return [
        f"SIDER 4.1 label mentions on the benchmark's side effects: {r['benchmark_pairs_mentioned']} pairs "
        f"({r['mentioned_pairs_not_in_R']} with R = 0; R or mentioned {r['benchmark_pairs_R_or_mentioned']}); "
        f"R pairs SIDER does not list: {r['R_pairs_not_mentioned']}",
        f"R = 0 pairs whose label gives a frequency other than 'postmarketing': {r['R_zero_pairs_with_a_label_frequency']}",
        f"indications on the benchmark's side effects: {r['indication_pairs']} pairs, {r['indications_also_mentioned']} "
        f"also listed as side effects ({r['indications_also_in_R']} in R)",
        f"extra drugs (SIDER, outside the benchmark): {e['sider_drugs_outside_benchmark']}; with a DrugBank structure "
        f"{e['with_structure']}, kept with mentions {e['kept_with_mentions']} ({e['mentions']} mentions); twins of a "
        f"benchmark drug left out: {', '.join(e['benchmark_twins_left_out']) or 'none'}; no structure: {why}",
    ]


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
        if "structure_audit" in report:
            lines += format_audit(report["structure_audit"])
        if "knowledge_coverage" in report:
            lines += format_coverage(report["knowledge_coverage"])
        if "sider" in report:
            lines += format_sider(report["sider"])
    return "\n".join(lines)
