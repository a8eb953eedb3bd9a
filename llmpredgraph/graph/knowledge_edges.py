"""ATC-class and protein nodes: drug -in_class-> atc, atc -child_of-> atc, drug -target|enzyme|
carrier|transporter-> protein, each with a reverse relation. They come from drug attributes, never
labels, so a test drug keeps its edges and no side-effect label travels through them."""

from __future__ import annotations

from dataclasses import dataclass

PROTEIN_CATEGORIES = ("target", "enzyme", "carrier", "transporter")
IN_CLASS = ("drug", "in_class", "atc")
CLASS_OF = ("atc", "class_of", "drug")
CHILD_OF = ("atc", "child_of", "atc")
PARENT_OF = ("atc", "parent_of", "atc")


def protein_relations() -> list[tuple[str, str, str]]:
    """drug -category-> protein and protein -rev_category-> drug for every DrugBank category."""
    return [r for c in PROTEIN_CATEGORIES for r in (("drug", c, "protein"), ("protein", f"rev_{c}", "drug"))]


def atc_relations() -> list[tuple[str, str, str]]:
    return [IN_CLASS, CLASS_OF, CHILD_OF, PARENT_OF]


def _parent(code: str) -> str | None:
    """ATC level above: N02AA -> N02A -> N02 -> N (levels are 1, 3, 4, 5 characters long)."""
    return {5: code[:4], 4: code[:3], 3: code[:1]}.get(len(code))


@dataclass
class KnowledgeGraph:
    """Vocabularies of ATC classes and proteins, and per drug its classes and 'category:uniprot' entries.

    atc[i]: drug i's ATC classes at levels 1-4; proteins[i]: its 'category:uniprot' entries."""

    atc: list[list[str]]
    proteins: list[list[str]]

    def __post_init__(self):
        classes = {c for cs in self.atc for c in cs}
        classes |= {p for c in list(classes) for p in [_parent(c)] if p}
        self.atc_vocab = sorted(classes)
        self.protein_vocab = sorted({p.split(":", 1)[1] for ps in self.proteins for p in ps})
        self._atc_id = {c: i for i, c in enumerate(self.atc_vocab)}
        self._protein_id = {p: i for i, p in enumerate(self.protein_vocab)}

    @property
    def sizes(self) -> dict[str, int]:
        return {"atc": len(self.atc_vocab), "protein": len(self.protein_vocab)}

    def extend(self, atc: list[list[str]], proteins: list[list[str]]) -> KnowledgeGraph:
        """These drugs followed by new ones, on the *same* vocabularies (unknown classes and proteins
        of a new molecule are dropped: the model has no vector for them)."""
        g = KnowledgeGraph(
            self.atc + [[c for c in cs if c in self._atc_id] for cs in atc],
            self.proteins + [[p for p in ps if p.split(":", 1)[1] in self._protein_id] for ps in proteins],
        )
        g.atc_vocab, g.protein_vocab, g._atc_id, g._protein_id = (
            self.atc_vocab,
            self.protein_vocab,
            self._atc_id,
            self._protein_id,
        )
        return g

    def add_to(self, data, atc: bool, proteins: bool) -> None:
        """Put the node types and edges into a HeteroData (nodes of all drugs; edges [2, E])."""
        if atc and self.atc_vocab:
            data["atc"].num_nodes = len(self.atc_vocab)
            pairs = [(i, self._atc_id[c]) for i, cs in enumerate(self.atc) for c in cs if c in self._atc_id]
            _both(data, IN_CLASS, CLASS_OF, pairs)
            tree = [(self._atc_id[c], self._atc_id[p]) for c in self.atc_vocab for p in [_parent(c)] if p]
            _both(data, CHILD_OF, PARENT_OF, tree)
        if proteins and self.protein_vocab:
            data["protein"].num_nodes = len(self.protein_vocab)
            for cat in PROTEIN_CATEGORIES:
                pairs = [
                    (i, self._protein_id[p.split(":", 1)[1]])
                    for i, ps in enumerate(self.proteins)
                    for p in ps
                    if p.startswith(cat + ":") and p.split(":", 1)[1] in self._protein_id
                ]
                _both(data, ("drug", cat, "protein"), ("protein", f"rev_{cat}", "drug"), pairs)


def _both(data, fwd, rev, pairs: list[tuple[int, int]]) -> None:
    import torch  # here, not at the top: the vocabularies serve torch-free inference too

    ei = torch.as_tensor(pairs, dtype=torch.long).reshape(-1, 2).T.contiguous()
    data[fwd].edge_index, data[fwd].edge_weight = ei, torch.ones(ei.shape[1])
    data[rev].edge_index, data[rev].edge_weight = ei.flip(0), torch.ones(ei.shape[1])
