"""Formulas in each source's own notation: the strings a reader compares with the book."""

from __future__ import annotations

import pytest

from derive.api import derive
from derive.output_layer import analyse
from derive.printing import latex, text

CASES = [
    # Nielsen NNDL eq. (BP2): delta^l = ((w^{l+1})^T delta^{l+1}) o sigma'(z^l)
    ("nielsen", "delta", r"((w^{l+1})^{T} \delta^{l+1}) \odot \sigma'(z^{l})"),
    # Nielsen NNDL eq. (BP4) in matrix form: dC/dw^l = delta^l (a^{l-1})^T
    ("nielsen", "grad_weight", r"\delta^{l} (a^{l-1})^{T}"),
    # Ng ML lecture 9: delta^(l) = (Theta^(l))^T delta^(l+1) .* g'(z^(l)), the bias component dropped
    ("ng", "delta",
     r"\left[(\Theta^{(l)})^{T} \delta^{(l+1)}\right]_{2:\mathrm{end}} \mathbin{.*} g'(z^{(l)})"),
    # Ng ex4: D^(l) = (1/m) Delta^(l), Delta^(l) = sum_t delta^(l+1) (a^(l))^T with the bias unit
    ("ng", "grad_weight",
     r"\frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)(t)} \begin{bmatrix} 1 \\ a^{(l)(t)} \end{bmatrix}^{T}"),
    # deeplearning.ai C1W4: dW^[l] = (1/m) dZ^[l] A^[l-1]T
    ("dls", "grad_weight", r"\frac{1}{m} dZ^{[l]} (A^{[l-1]})^{T}"),
    # CS231n: dW = A^T dZ, db = column sums of dZ, with the 1/N already inside dZ
    ("cs231n", "grad_weight", r"(A^{(l-1)})^{T} dZ^{(l)}"),
    ("cs231n", "grad_bias", r"\mathbf{1}^{T} dZ^{(l)}"),
    ("cs231n", "delta_out", r"\frac{1}{N} (P - Y)"),
    # Goodfellow alg. 6.4: g <- g o f'(a^(k)); the gradient wrt a^(k) (pre-activation)
    ("goodfellow", "delta_from_grad_act", r"\nabla_{h^{(l)}} J \odot f'(a^{(l)})"),
]


@pytest.mark.parametrize("conv,field,expected", CASES)
def test_latex_in_source_notation(conv, field, expected):
    d = derive(conv, "cce", "softmax", "tanh")
    assert latex(getattr(d, field), d.problem.convention) == expected


def test_non_canonical_output_reads_as_textbook():
    d = derive("nielsen", "mse", "sigmoid", "tanh")
    assert latex(d.delta_out, d.problem.convention) == (
        r"(a^{L} - y) \odot a^{L} \odot (1 - a^{L})")
    assert text(analyse("mse", "sigmoid").form) == "(ŷ - y)·ŷ·(1 - ŷ)"


@pytest.mark.parametrize("conv,field,expected", [
    # Nielsen NNDL eq. (BP2) in components: delta^l_j = sum_k w^{l+1}_{kj} delta^{l+1}_k sigma'(z^l_j)
    ("nielsen", "delta", r"\left(\sum_{i} w^{l+1}_{ij} \delta^{l+1}_{i}\right) \sigma'(z^{l}_{j})"),
    # Nielsen NNDL eq. (BP4): dC/dw^l_{jk} = a^{l-1}_k delta^l_j
    ("nielsen", "grad_weight", r"\delta^{l}_{j} a^{l-1}_{k}"),
    # Bishop PRML eq. 5.56: delta_j = h'(a_j) sum_k w_kj delta_k
    ("bishop", "delta", r"\left(\sum_{i} w^{(l+1)}_{ij} \delta^{(l+1)}_{i}\right) h'(a^{(l)}_{j})"),
    # Ng: column 0 of Theta multiplies the bias unit, so unit j of layer l meets column j+1
    ("ng", "delta", r"\left(\sum_{i} \Theta^{(l)}_{i,j+1} \delta^{(l+1)}_{i}\right) g'(z^{(l)}_{j})"),
])
def test_component_form_in_source_notation(conv, field, expected):
    from derive.components import component
    d = derive(conv, "mse", "sigmoid", "tanh")
    assert latex(component(getattr(d, field)), d.problem.convention) == expected


def test_a_merged_multiple_sum_prints_every_summation_sign():
    import sympy as sp

    from derive.conventions import PRESETS
    from derive.printing import NotationPrinter
    j, k, n = sp.Symbol("j", integer=True), sp.Symbol("k", integer=True), sp.Symbol("n", positive=True)
    printed = NotationPrinter(PRESETS["nielsen"]).doprint(sp.Sum(sp.Function("f")(j, k), (j, 0, n - 1), (k, 0, n - 1)))
    assert printed.count(r"\sum") == 2 and r"\sum_{j}" in printed and r"\sum_{k}" in printed
