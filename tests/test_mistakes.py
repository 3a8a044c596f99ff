"""Verification must reject the mistakes found in real notes: a check that cannot fail proves nothing.

Each case replaces one derived formula with a common wrong version; shape errors must be caught by the
shape check, the rest by the numbers.
"""

from __future__ import annotations

import dataclasses

import pytest
from sympy.matrices.expressions import HadamardProduct

from derive.algebra import Componentwise, Elementwise, ShapeMismatch, check_shapes
from derive.api import derive, verify
from derive.symbols import YHAT, L, Y, l


def _nielsen():
    return derive("nielsen", "bce", "sigmoid", "tanh")


def _mutations():
    d = _nielsen()
    lay = d.layer
    yield "missing sigma' in the recursion", d, "delta", lay.W(l + 1).T * lay.delta(l + 1)
    yield "extra sigma' on top of the BCE cancellation", d, "delta_out", HadamardProduct(
        Componentwise(YHAT - Y, {YHAT: lay.a(L), Y: lay.y(L)}), Elementwise("sigmoid", lay.z(L), 1))
    yield "delta wrt a used as delta wrt z", d, "delta", lay.W(l + 1).T * lay.delta(l + 1)
    dls = derive("dls", "bce", "sigmoid", "tanh")
    yield "missing 1/m in dW", dls, "grad_weight", dls.layer.delta(l) * dls.layer.a(l - 1).T
    cs = derive("cs231n", "cce", "softmax", "relu")
    yield "doubled 1/N", cs, "grad_weight", cs.grad_weight / cs.layer.batch
    d2 = _nielsen()
    yield "y - yhat sign", d2, "delta_out", Componentwise(Y - YHAT, {YHAT: d2.layer.a(L), Y: d2.layer.y(L)})


@pytest.mark.parametrize("what,deriv,field,wrong", list(_mutations()), ids=lambda x: x if isinstance(x, str) else "")
def test_numeric_mistakes_fail_verification(what, deriv, field, wrong):
    bad = dataclasses.replace(deriv, **{field: wrong})
    report = verify(bad, layers=3, trials=1, seed=1)
    assert not report.ok, f"{what} was judged to hold"


@pytest.mark.parametrize("what,build", [
    ("off-by-one weight layer", lambda lay: HadamardProduct(lay.W(l).T * lay.delta(l + 1),
                                                            Elementwise("tanh", lay.z(l), 1))),
    ("missing transpose", lambda lay: lay.W(l + 1) * lay.delta(l + 1)),
    ("sigma' at the wrong layer", lambda lay: HadamardProduct(lay.W(l + 1).T * lay.delta(l + 1),
                                                              Elementwise("tanh", lay.z(l + 1), 1))),
    ("weight gradient without transpose", lambda lay: lay.delta(l) * lay.a(l - 1)),
])
def test_shape_mistakes_are_named(what, build):
    with pytest.raises(ShapeMismatch, match="cannot (multiply|combine)"):
        check_shapes(build(_nielsen().layer))


def test_row_batch_missing_transpose_is_a_shape_error():
    lay = derive("cs231n", "mse", "identity", "tanh").layer
    with pytest.raises(ShapeMismatch):
        check_shapes(lay.a(l - 1) * lay.delta(l))
