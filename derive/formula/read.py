"""Which reading a claim gets: the one entry point from a parsed claim to its Meaning.

A derivative of a forward quantity (d z / d w) is a local derivative (``meaning._compile_local``); an entry of an
expression on the left, or a left side about the forward pass (z^l = ..., sigma'(z) = ..., the cost), is a claim
about the forward pass (``forward``); anything else names a backprop quantity (``meaning.quantity_of``). Above
both ``meaning`` and ``forward``, so that ``forward`` may use the compiler without ``meaning`` importing it back.
"""

from __future__ import annotations

import dataclasses

from ..algebra import ExampleSum, ExampleSumEntry, LayerEntry
from ..problem import Problem
from . import ast
from .forward import about_forward, compile_entry, compile_forward
from .meaning import (
    Compiler,
    Meaning,
    MeaningError,
    _compile_local,
    _layer_letters,
    _mentions,
    _one_example_only,
    _stated_shape,
    _vector_rhs,
    _with_bias_unit,
    component,
    index_expr,
    quantity_of,
    unparse_sym,
    written_layers,
)


def compile_claim(claim: ast.Claim, problem: Problem) -> Meaning:
    """Give a parsed claim its meaning under ``problem``'s convention (vector or component form)."""
    meaning = _compile(claim, problem)
    if claim.shape is not None:
        _stated_shape(claim.shape, meaning, problem)
    if claim.condition:  # \forall i \neq k, ...: judged only at the values of the free indices where it holds
        from .conditions import for_claim
        where = for_claim(claim, meaning.indices, units_counted=problem.convention.bias == "unit")
        if where is not None and where.valued():
            where = where.with_values(lambda v: _value(v.quantity, meaning, problem))
        meaning.where = where
    return meaning


def _value(text: str, meaning: Meaning, problem: Problem):
    """The meaning of a value a condition compares (a^{l} in "for a^{l} > 0"), in the claim's form: a matrix beside a
    vector claim, a component (its indices the claim's) beside a component claim. Read for forward claims only: a
    gradient's formula restricted by a value would need that value at every entry of the truth's quantity."""
    from .conditions import ConditionError
    from .parse import FormulaError, parse_expr
    if meaning.quantity != "forward":
        raise ConditionError(f"the condition on {text} is on a value: derive reads it for a claim about the forward "
                             "pass (\\sigma'(z^l) = 1 \\text{ for } a^l > 0), not for a gradient's formula")
    try:
        node = parse_expr(text)
    except FormulaError as exc:
        raise ConditionError(f"the condition's {text} is not a quantity derive reads: {exc}") from None
    c = Compiler(problem)
    c.about_depth(meaning.depth)
    if not about_forward(node, c) or not isinstance(node, ast.Sym) or c.kind(node) not in ("z", "a", "out"):
        raise ConditionError(f"the condition's {text} is not a forward quantity (a pre-activation or an activation)")
    if meaning.indices:  # a vector read in components (sigma'(z^l) = 1, entry j): the value at the same entry
        if not node.indices and len(meaning.indices) == 1:
            node = dataclasses.replace(node, indices=(str(meaning.indices[0]),))
        return component(c, node)
    if node.indices:
        raise ConditionError(f"the condition's {text} has indices the vector formula does not write")
    return c.vector(node).matrix()


def _increment(claim: ast.Claim, c: Compiler):
    """What an accumulation adds to a convention's accumulator (Ng's Delta := Delta + delta (a)^T, or += X), or None
    for any other claim. Setting the accumulator to its start (Delta := 0) claims nothing about the total."""
    lhs = claim.lhs
    if not isinstance(lhs, ast.Sym) or c.letters.get(lhs.base) != "accumulated":
        return None
    if claim.op == "+=":
        return claim.rhs
    rhs = claim.rhs
    if isinstance(rhs, ast.Bin) and rhs.op == "+" and lhs in (rhs.left, rhs.right):
        return rhs.right if rhs.left == lhs else rhs.left
    if isinstance(rhs, ast.Num) and rhs.value.strip("0.") == "":
        raise MeaningError(f"this sets {unparse_sym(lhs)} to 0, where the sum over the examples starts: it claims "
                           "nothing about the sum (write the accumulation, or the total)")
    return None


def _compile(claim: ast.Claim, problem: Problem) -> Meaning:
    letters = _layer_letters(claim)
    if len(letters) > 1:  # each would be read as the generic layer l: b^k and delta^l as the same layer
        raise MeaningError(f"two layer letters, {' and '.join(sorted(letters))}: derive reads one generic layer "
                           "per formula (write the other layer as an offset of it, such as l+1, or as a number)")
    c = Compiler(problem)
    _one_example_only(claim, c)
    written = written_layers(claim, c)
    if written and not c.conv.notation.unit_letters:  # a formula about one network: its highest layer is L
        c.about_depth(max(2, max(written) - c.conv.input_layer))
    increment = _increment(claim, c)
    if increment is not None:  # Delta := Delta + X over the examples: Delta is the sum of every example's X
        claim = ast.Claim(claim.lhs, increment, "=", claim.condition, claim.annotation, claim.shape, claim.excluded)
        c.batch_written("an accumulation over the examples")
        c.notes.append(f"read as {unparse_sym(claim.lhs)} = the sum over the examples of what each example adds "
                       f"(from {unparse_sym(claim.lhs)} = 0)")
    if claim.op == "+=" or _mentions(claim.rhs, claim.lhs):
        raise MeaningError("this is an update that accumulates (X := X + ... or +=), not an equation; derive "
                           "checks the accumulated total, e.g. the gradient as a sum over the examples")
    if isinstance(claim.lhs, ast.Partial | ast.Nabla) and c.is_forward(claim.lhs.of):
        return _compile_local(claim, c)
    if isinstance(claim.lhs, ast.Entry):  # [(W^{l+1})^T delta^{l+1}]_j = sum_k w_{kj} delta_k: an identity
        return compile_entry(claim, c)
    if about_forward(claim.lhs, c):  # z^l = W^l a^{l-1} + b^l, sigma'(z) = a (1 - a), C = sum_k ...
        return compile_forward(claim, c)
    quantity, at, symbol, indices, factor = quantity_of(claim.lhs, c)
    if indices:
        base = 1 if c.conv.bias == "unit" else 0
        free = tuple(index_expr(i) for i in indices)
        want = 1 if 1 in symbol.shape else 2
        if len(free) != want:
            raise MeaningError(f"the left side has {len(free)} index(es) but is a "
                               f"{'vector: one index' if want == 1 else 'matrix: two indices'}")
        rhs = component(c, claim.rhs)
        if increment is not None:
            rhs = ExampleSumEntry(rhs, c.lay.batch)
        lhs = c.weight_entry(symbol, list(free), base) if len(free) > 1 else \
            LayerEntry(symbol, 0, free[0]) if symbol.shape[0] == 1 else LayerEntry(symbol, free[0] - base, 0)
        return Meaning(quantity, at, lhs, rhs, free, c.notes, c.depth, tuple(c.hidden), factor)
    rhs = _vector_rhs(c, claim, symbol)
    if increment is not None:
        rhs = ExampleSum(rhs, c.lay.batch)
    if c.conv.bias == "unit" and quantity in ("grad_weight", "accumulated"):
        rhs = _with_bias_unit(rhs, symbol, c)
    return Meaning(quantity, at, symbol, rhs, (), c.notes, c.depth, tuple(c.hidden), factor)
