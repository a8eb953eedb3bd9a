"""ATC classes of benchmark drugs (the benchmark's own `atc/drug_atc.tsv` codes)."""

from __future__ import annotations

ATC_LEVEL1 = {"A": "A alimentary", "B": "B blood", "C": "C cardiovascular", "D": "D dermatological", "G": "G genito-urinary",
              "H": "H hormonal", "J": "J anti-infective", "L": "L antineoplastic", "M": "M musculo-skeletal", "N": "N nervous system",
              "P": "P antiparasitic", "R": "R respiratory", "S": "S sensory organs", "V": "V various"}


def atc_level1_labels(bench) -> list[str]:
    """ATC first level of each drug (its first code), e.g. for colouring embedding maps."""
    return [ATC_LEVEL1.get(a[:1], "unknown") if a else "unknown" for a in bench.drugs["atc"].fillna("")]
