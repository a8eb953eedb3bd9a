"""The package's import graph: layers only import downwards, and no module cycles (AST walk,
imports inside functions included)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "llmpredgraph"

# Lowest first. A module may import its own package or a package of a strictly lower layer;
# packages that share a layer stay independent of each other.
LAYERS = [
    {"__init__", "errors", "paths", "atomic", "frequency", "runtime", "progress", "stages"},
    {"config", "devices", "provenance", "runfolder", "serving"},
    {"data"},
    {"encoders", "metrics", "decomposition"},
    {"contrastive", "graph", "reporting", "pretraining"},  # pretraining: label-free, encoders and corpora only
    {"pipeline", "baselines"},
    {"protocols"},
    {"workflows"},
    {"cli", "speed"},
    {"__main__"},  # `python -m llmpredgraph`: calls the CLI
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(module: str, is_pkg: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level else []
    return ".".join(base + ([target] if target else [])) if level else (target or "")


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (a `from X import name` that names a submodule
    counts as importing that submodule)."""
    mods = _modules()
    graph = {}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                src = _resolve(name, is_pkg, node.level, node.module)
                targets = [f"{src}.{a.name}" if f"{src}.{a.name}" in mods else src for a in node.names]
            else:
                continue
            deps |= {t for t in targets if t.split(".")[0] == "llmpredgraph"}
        graph[name] = {d for d in deps if d != name}
    return graph


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_top_level_part_has_a_layer():
    tops = {_top(m) for m in _modules()}
    assert tops <= set(RANK), f"assign a layer in this test to: {sorted(tops - set(RANK))}"


def test_no_upward_or_sideways_import():
    bad = []
    for mod, deps in import_graph().items():
        for dep in deps:
            a, b = _top(mod), _top(dep)
            if a != b and not RANK[b] < RANK[a]:
                bad.append(f"{mod} -> {dep}")
    assert not bad, "imports that go up or sideways a layer:\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    graph = import_graph()
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d) :] + [d])
            elif d in graph and not state.get(d):
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_walk_sees_function_level_and_relative_imports():
    graph = import_graph()
    # workflows.train imports protocols at module level, the data loader imports synthetic data
    assert "llmpredgraph.protocols" in graph["llmpredgraph.workflows.train"]
    assert "llmpredgraph.data.synthetic" in graph["llmpredgraph.data.load"]
    # a lazy import inside a function body counts too (pipeline -> encoders.factory)
    assert "llmpredgraph.encoders.factory" in graph["llmpredgraph.pipeline.fitted"]


@pytest.mark.parametrize("folder", ["llmpredgraph", "tests", "scripts"])
def test_no_file_over_400_lines(folder):
    root = ROOT.parent / folder
    long = {
        str(p.relative_to(root.parent)): n for p in root.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long, f"split these files: {long}"


def test_protocol_kind_names_stay_in_protocols_and_config():
    """Outside protocols/ and config.py the code asks what a protocol does (`holds_out_pairs`,
    `holds_out_drugs`), never compares its kind with a name."""
    import re

    pattern = re.compile(r"""(==|!=|\bin)\s*\(?\s*["'](cold|warm|scaffold)["']""")
    found = [
        f"{f.relative_to(ROOT.parent)}:{i}"
        for f in ROOT.rglob("*.py")
        if "protocols" not in f.parts and f.name != "config.py"
        for i, line in enumerate(f.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "protocol kind compared by name:\n" + "\n".join(found)
