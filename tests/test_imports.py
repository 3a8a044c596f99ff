"""The package's import graph, read from the source (nothing of derive is imported): acyclic, and truth blind.

Every import counts, at module level or inside a function (a lazy import is a dependency all the same), and
``from . import x`` names the module x. The rules (ARCHITECTURE.md, "Dependency order"):

- No cycle: each module imports only modules below it, so each can be read, tested and replaced from the bottom
  up. A record never carries a method that imports the pipeline above it (``derive.verify(d)`` and
  ``derive.document(d)`` live in ``api``, not on ``chain.Derivation``).
- Ground truth (``truth``, ``truth_kinds``, ``torch_truth``) reaches only the model it differentiates: the
  convention, the problem, the registries of activations and losses, the concrete network and its forward pass
  (``network``), one layer's concrete input (``layer_inputs``), and the helpers those use (errors, schema,
  files, ``_lazy``). Never the engine it judges (chain, layers, output_layer, algebra, components,
  index_diff), the formulas' printing, the verification, nor the checker.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"

# what ground truth may import, directly or through another module
MODEL = {"derive._lazy", "derive.errors", "derive.schema", "derive.files", "derive.conventions",
         "derive.activations", "derive.losses", "derive.problem", "derive.network",
         "derive.layer_inputs", "derive.architectures", "derive.limits"}
TRUTH = {"derive.truth", "derive.torch_truth", "derive.truth_kinds"}
ENGINE = {"derive.chain", "derive.layers", "derive.output_layer", "derive.algebra", "derive.components",
          "derive.index_diff", "derive.symbols", "derive.printing", "derive.verification", "derive.formula"}
ENGINE_PACKAGES = ("derive.formula.", "derive.layers.")  # and every module in them


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Module name -> file, for every .py under ``root`` (a package is named by its folder)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: dict) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:  # from .formula import ast names the module derive.formula.ast
                full = f"{target}.{a.name}"
                out.add(full if full in known else target)
    return {m for m in out if m in known and m != name}


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (a path that returns to its start), or None if the graph is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(edges.get(v, ())):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state:
                found = visit(w)
                if found:
                    return found
        path.pop()
        state[v] = 2
        return None

    for v in sorted(edges):
        if v not in state:
            found = visit(v)
            if found:
                return found
    return None


def reached(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for w in edges[todo.pop()] - seen:
            seen.add(w)
            todo.append(w)
    return seen


EDGES = graph()


def test_the_graph_is_read_from_every_module():
    # the reader sees module-level, function-level and package-relative imports: known edges of each kind
    assert len(EDGES) > 40 and "derive.formula.judge" in EDGES
    assert "derive.verification" in EDGES["derive.api"]        # inside verify(): a function-level import
    assert "derive.symbols" in EDGES["derive.chain"]           # module level
    assert "derive.formula.ast" in EDGES["derive.formula.meaning"]  # from . import ast


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle():
    found = cycle(EDGES)
    assert found is None, "import cycle: " + " -> ".join(found or [])


@pytest.mark.parametrize("truth", sorted(TRUTH))
def test_truth_reaches_only_the_model(truth):
    beyond = reached(EDGES, truth) - MODEL - TRUTH
    assert not beyond, f"{truth} imports {sorted(beyond)}: ground truth may use only {sorted(MODEL)}"
    assert not reached(EDGES, truth) & {m for m in EDGES if m in ENGINE or m.startswith(ENGINE_PACKAGES)}


def test_the_model_is_below_the_engine():
    # what truth may import must itself stay below the engine, or the rule above would only move the problem
    for model in MODEL:
        assert not reached(EDGES, model) - MODEL, model


def test_no_submodule_shadows_a_public_function():
    # importing derive.X sets the package's attribute X to the submodule: a module named like a public function
    # (a derive/verify.py) would turn derive.verify into a module the first time anything imported it
    import importlib

    import derive
    from derive import api
    for name in derive.__all__:
        assert f"derive.{name}" not in EDGES or name == "check", name  # check.py defines check itself
    for name in sorted(m for m in EDGES if m.count(".") == 1):
        importlib.import_module(name)
    assert derive.verify is api.verify and derive.document is api.document and derive.derive is api.derive


def test_relations_are_defined_once():
    # the grammar's REL token is filled from formula/relations.py: no relation is spelt out anywhere else
    import re

    grammar = (PACKAGE / "formula" / "grammar.lark").read_text()
    assert re.search(r"^REL\.\d+: /<<RELATION>>/$", grammar, re.M)
    spelt = re.compile(r"coloneqq|\\\\gets|≔")  # relations only relations.py spells out
    for name, path in modules().items():
        if name != "derive.formula.relations":
            assert not spelt.search(path.read_text()), name
