"""Parentheses sized only where needed (issue 12): \\sigma'(z^l) as books print it, \\left( \\right) only around
something taller than a line (a fraction, a sum, a matrix); and a matrix's own brackets need no parentheses."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from derive.algebra import Elementwise, WithBiasUnit
from derive.api import derive
from derive.printing import NotationPrinter

OUTPUT = Path(__file__).resolve().parent.parent / "output"


def _tex(conv: str):
    d = derive(conv, "bce", "sigmoid", "sigmoid")
    return d, NotationPrinter(d.problem.convention).doprint


@pytest.mark.parametrize("inner,want", [
    ("z^{l}", "(z^{l})"), (r"a^{l}_{j} - y_{j}", r"(a^{l}_{j} - y_{j})"),
    (r"\frac{1}{m} z", r"\left(\frac{1}{m} z\right)"), (r"\sum_{k} w_{kj}", r"\left(\sum_{k} w_{kj}\right)"),
    (r"\begin{bmatrix} 1 \\ a \end{bmatrix}", r"\left(\begin{bmatrix} 1 \\ a \end{bmatrix}\right)"),
])
def test_parentheses_fit_what_they_hold(inner, want):
    d, _ = _tex("nielsen")
    assert NotationPrinter(d.problem.convention)._paren(inner) == want


def test_an_activation_and_a_log_take_plain_parentheses():
    d, tex = _tex("nielsen")
    z = d.layer.z(sp.Symbol("l", integer=True))
    assert tex(Elementwise("sigmoid", z, 1)) == r"\sigma'(z^{l})"
    assert tex(sp.log(sp.Symbol("x"))) == r"\ln(x)"


def test_a_transposed_matrix_keeps_its_own_brackets():
    d, tex = _tex("ng")
    a = d.layer.a(sp.Symbol("l", integer=True))
    assert tex(sp.Transpose(WithBiasUnit(a))) == r"\begin{bmatrix} 1 \\ a^{(l)} \end{bmatrix}^{T}"


@pytest.mark.parametrize("path", sorted(str(p.relative_to(OUTPUT)) for p in OUTPUT.glob("*/*.md")))
def test_no_gallery_document_sizes_an_activation_s_or_a_log_s_parentheses(path):
    text = (OUTPUT / path).read_text()
    assert r"'\left(" not in text and r"\ln{\left(" not in text and r"\sigma\left(" not in text


# a fraction followed by a subscript: \frac{\partial J}{\partial \tilde{c}}_{jit}, the indices hanging off the fraction
HANGING = r"\\frac\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\{[^{}]*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}[^{}]*)*\}_"


def test_no_subscript_hangs_off_a_fraction_in_the_gallery():
    """Issue 12: an entry of a gradient written as a fraction carries its indices on the quantity below
    (\\frac{\\partial J}{\\partial \\tilde{c}_{jit}}), as books write it."""
    import re
    bad = [(str(p.relative_to(OUTPUT)), m.group(0)) for p in sorted(OUTPUT.rglob("*")) if p.suffix in (".md", ".tex")
           for m in re.finditer(HANGING, p.read_text(encoding="utf-8"))]
    assert not bad, bad[:5]
    assert re.search(HANGING, r"\frac{\partial J}{\partial \tilde{c}}_{jit}")  # the pattern finds what it is for
    assert not re.search(HANGING, r"\frac{\partial J}{\partial \tilde{c}_{jit}}")
