"""The drug text channel: name, DrugBank description, categories and ATC path names, with the
circularity guard.

Guard rule (default on): a description sentence is removed when it mentions an adverse effect
(one of ADVERSE_CUES) or the name of any benchmark side effect as a whole word, singular or plural
("infection" and "infections"), because such a sentence puts part of the answer into the input.
Category names and ATC class names pass the same check one by one ("drugs for constipation" and
"Agents causing hyperkalemia" are dropped), so no side-effect name reaches the text through them.
"""

from __future__ import annotations

import html
import re

ADVERSE_CUES = (
    "adverse",
    "side effect",
    "side-effect",
    "undesirable effect",
    "toxicity",
    "toxic ",
    "may cause",
    "can cause",
    "may lead to",
    "may result in",
    "associated with",
    "overdos",
    "contraindicat",
    "black box",
    "warning",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a description (split after . ! ? before a capital, digit or bracket)."""
    return [s.strip() for s in _SENTENCE.split(html.unescape(str(text)).strip()) if s.strip()]


def se_name_pattern(se_names: list[str]) -> re.Pattern:
    """One case-insensitive whole-word pattern over all side-effect names (longest first), each also
    in its plural ('-s', '-es'; '-y' -> '-ies')."""
    names = sorted({n.strip().lower() for n in se_names if n.strip()}, key=len, reverse=True)
    forms = [re.escape(n[:-1]) + r"(?:y|ies)" if n.endswith("y") else re.escape(n) + r"(?:e?s)?" for n in names]
    return re.compile(r"\b(?:" + "|".join(forms) + r")\b", re.IGNORECASE)


def mentions_adverse(sentence: str, pattern: re.Pattern | None) -> bool:
    low = sentence.lower()
    return any(cue in low for cue in ADVERSE_CUES) or bool(pattern is not None and pattern.search(sentence))


def guard(description: str, pattern: re.Pattern | None) -> tuple[str, int]:
    """The description without its adverse-effect sentences, and how many were removed."""
    sentences = split_sentences(description)
    kept = [s for s in sentences if not mentions_adverse(s, pattern)]
    return " ".join(kept), len(sentences) - len(kept)


def atc_path(code: str, names: dict[str, str], pattern: re.Pattern | None = None) -> str:
    """'N02AA01' -> 'nervous system > analgesics > opioids > natural opium alkaloids' (levels 1-4
    that the WHO index names; the substance level is left out: it is the drug's own name). With the
    guard's pattern, a level whose name mentions an adverse effect is left out too."""
    parts = [names.get(code[:n], "").lower() for n in (1, 3, 4, 5) if len(code) >= n]
    return " > ".join(p for p in parts if p and not mentions_adverse(p, pattern))


def drug_text(
    name: str, description: str, categories: str, atc_paths: list[str], pattern: re.Pattern | None
) -> tuple[str, int]:
    """(text, sentences removed by the guard). pattern=None keeps every sentence: the full-text ablation."""
    desc, removed = guard(description, pattern) if pattern is not None else (" ".join(split_sentences(description)), 0)
    parts = [str(name).strip() + "."]
    if desc:
        parts.append(desc)
    cats = [c for c in str(categories).split("|") if c and (pattern is None or not mentions_adverse(c, pattern))]
    if cats:
        parts.append("Categories: " + "; ".join(cats) + ".")
    paths = list(dict.fromkeys(p for p in atc_paths if p))  # one path per class, in order
    if paths:
        parts.append("ATC: " + "; ".join(paths) + ".")
    return " ".join(parts), removed
