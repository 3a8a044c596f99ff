"""A corrected formula is printed from the parsed tree (formula/unparse.py): what it prints must read back as
the same tree, so the correction a user pastes says what derive checked."""

from __future__ import annotations

import dataclasses

import pytest
from corpus import CORPUS

from derive.formula import ast
from derive.formula.parse import FormulaError, parse
from derive.formula.unparse import latex

FUNCTIONS = [r"J = \ln(a^L_k)", r"J = \log(1 - a^L_k)", r"a^l = \tanh(z^l)", r"a^l = tanh(z^l)",
             r"a^l = \exp(z^l)", r"a^l = \sigma(z^l)", r"a^l = g(z^l)"]


def _readable(text: str) -> bool:
    try:
        parse(text)
    except FormulaError:
        return False
    return True


@pytest.mark.parametrize("text", FUNCTIONS + [row.formula for row in CORPUS if _readable(row.formula)])
def test_what_unparse_prints_reads_back_as_the_same_tree(text):
    claim = parse(text)
    for side in (claim.lhs, claim.rhs):
        printed = latex(side)
        assert _styleless(parse(f"x = {printed}").rhs) == _styleless(side), printed


def _styleless(node):
    """The tree with every layer's style set to one (Octave's Theta2 is printed \\Theta^{(2)}: the same layer)."""
    if isinstance(node, ast.Layer):
        return dataclasses.replace(node, style="paren")
    if dataclasses.is_dataclass(node):
        return dataclasses.replace(node, **{f.name: _styleless(getattr(node, f.name))
                                            for f in dataclasses.fields(node) if f.init})
    if isinstance(node, tuple):
        return tuple(_styleless(x) for x in node)
    return node


def test_latex_function_names_keep_their_backslash():
    assert latex(parse(r"a^l = \tanh(z^l)").rhs) == r"\tanh\left(z^{l}\right)"
    assert latex(parse(r"J = \ln(a^L_k)").rhs).startswith(r"\ln")
