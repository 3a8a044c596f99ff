"""Property (issue 9, section 1): every part of a formula counts.

For every holding formula of the corpus and every single edit of its parsed tree (drop or change a
subscript, a layer superscript, a prime, a transpose, a factor, the numerator of a derivative, a number), the
checker must either refuse the edited formula or give it a different meaning. An edit that left the meaning
unchanged would be a part of the input the checker ignores, and an ignored part is how a wrong formula comes
to "hold". Edits whose meaning differs are then judged against forward-pass truth like any formula, so when
one still holds it is numerically equivalent (e.g. a transpose of a 1 x 1 factor); that is allowed.

Edits that are neutral by design are not made: the bracket style of a superscript (l, (l), [l]), the order
of commutative operands, and three reading rules whose two spellings mean the same thing:
- in a component formula every factor is a number, so ⊙ and juxtaposition are the same product;
- a derivative by a symbol written without a layer is at the output layer (Nielsen's nabla_a C), so dropping
  an L there changes nothing;
- where the convention's gradients are of one example's loss, the cost with and without its per-example
  subscript (Bishop's E_n, Nielsen's C_x) is the same function.
"""

from __future__ import annotations

import dataclasses

import pytest
from corpus import CORPUS

from derive.errors import DeriveError
from derive.formula import ast
from derive.formula.parse import parse
from derive.formula.read import compile_claim
from derive.formula.unparse import latex
from derive.problem import Problem

HOLDING = [row for row in CORPUS if row.verdict == "holds"]


def _node_edits(node, ctx: dict):
    """The single edits of one node (not of its children), as replacement nodes."""
    r = dataclasses.replace
    if isinstance(node, ast.Sym):
        if node.indices:
            if not (ctx["cost"] and ctx["per_example"]):
                yield r(node, indices=None)
            yield r(node, indices=(*node.indices, "1"))
            for n, index in enumerate(node.indices):
                other = "q" if index != "q" else "p"
                yield r(node, indices=node.indices[:n] + (other,) + node.indices[n + 1:])
        else:
            yield r(node, indices=("1",))
        if node.layer is not None:
            if not (ctx["wrt"] and node.layer == ast.Layer("L", 0, node.layer.style)):
                yield r(node, layer=None)
            yield r(node, layer=r(node.layer, offset=node.layer.offset + 1))
            if node.layer.symbol in ("l", "L"):
                yield r(node, layer=r(node.layer, symbol={"l": "L", "L": "l"}[node.layer.symbol]))
    elif isinstance(node, ast.Call):
        yield r(node, prime=1 - min(node.prime, 1))
        if node.layer is not None:
            yield r(node, layer=r(node.layer, offset=node.layer.offset + 1))
    elif isinstance(node, ast.Transpose | ast.Neg):
        yield node.arg
    elif isinstance(node, ast.Bin):
        yield node.left
        yield node.right
        swap = {"hadamard": "matmul", "matmul": "hadamard", "+": "-", "-": "+", "div": "matmul", "star": "+"}
        if not (ctx["component"] and node.op in ("hadamard", "matmul")):
            yield r(node, op=swap[node.op])
    elif isinstance(node, ast.Num):
        yield r(node, value="3" if node.value != "3" else "5")
    elif isinstance(node, ast.Partial | ast.Nabla):
        yield r(node, of=ast.Sym("Q"))
        yield r(node, of=ast.Sym("z", ast.Layer("l", 0)))
    elif isinstance(node, ast.Slice):
        yield r(node, start=node.start + 1)
    elif isinstance(node, ast.Sum):
        yield r(node, index="q" if node.index != "q" else "p")
    if isinstance(node, ast.Sym | ast.Call | ast.Bin):
        yield ast.Transpose(node)


def edits(tree, ctx: dict):
    """Every tree that differs from ``tree`` by one edit somewhere (layers are edited through their symbol)."""
    yield from _node_edits(tree, ctx)
    if dataclasses.is_dataclass(tree) and not isinstance(tree, ast.Layer):
        for f in dataclasses.fields(tree):
            child = getattr(tree, f.name)
            if dataclasses.is_dataclass(child):
                inner = {**ctx, "wrt": isinstance(tree, ast.Partial | ast.Nabla) and f.name == "wrt",
                         "cost": isinstance(tree, ast.Partial | ast.Nabla) and f.name == "of"}
                for new in edits(child, inner):
                    yield dataclasses.replace(tree, **{f.name: new})


def meaning_of(claim, problem):
    try:
        m = compile_claim(claim, problem)
    except DeriveError:
        return None  # refused, with a reason: the edit was not ignored
    return (m.quantity, m.layer, m.lhs, m.rhs, m.indices, m.depth)


@pytest.mark.parametrize("row", HOLDING, ids=[row.id for row in HOLDING])
def test_no_single_edit_is_ignored(row):
    problem = Problem.make(row.convention, row.loss, row.output, row.hidden)
    claim = parse(row.formula)
    original = meaning_of(claim, problem)
    assert original is not None, row.formula
    ignored, tried = [], 0
    conv = problem.convention
    ctx = {"component": bool(original[4]), "per_example": conv.delta_of == conv.grad_of == "example",
           "wrt": False, "cost": False}
    for edited in edits(claim, ctx):
        if edited == claim:
            continue
        tried += 1
        if meaning_of(edited, problem) == original:
            ignored.append(latex(edited))
    assert tried >= 5
    assert not ignored, f"{row.formula}: these edits were ignored: {ignored}"
