"""The compiled index form (components._compiled) against SymPy's own evaluation of it (components._concrete).

The compiled closures are what verify and the documents evaluate; ``_concrete`` puts the numbers into the
SymPy nodes and lets SymPy add and multiply them. Both must give the same value, entry by entry, for every
formula of a derivation: every preset, the loss/output pairs, every elementwise hidden activation, and an
L2-regularised batch gradient (lambda, 1/m, the bias column's Piecewise).
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from derive.activations import ACTIVATIONS
from derive.api import derive
from derive.components import J, K, _concrete, component, evaluate_component
from derive.conventions import PRESETS, from_dict
from derive.errors import DeriveError
from derive.symbols import L, l
from derive.verification import draw_network, make_env

HIDDEN = [a for a, rec in ACTIVATIONS.items() if rec.elementwise]
PAIRS = [("bce", "sigmoid"), ("cce", "softmax"), ("mse", "identity"), ("poisson", "exp")]
CASES = [(c, lo, a, HIDDEN[i % len(HIDDEN)]) for c in PRESETS for i, (lo, a) in enumerate(PAIRS)]
CASES += [("nielsen", "mse", "sigmoid", h) for h in HIDDEN]
FORMULAS = ("delta_out", "grad_act_out", "delta", "grad_act", "grad_act_from_delta", "delta_from_grad_act",
            "grad_weight", "grad_bias")


def _compare(d, layers=3, seed=4):
    """Every entry of every formula at every layer where it is defined, both ways; returns the count."""
    with mpmath.workdps(50):
        net, fwd = draw_network(d.problem, layers, seed)
        env = make_env(d.layer, net, fwd)
        # the gradients a recursion reads (delta^{l+1}, grad_act^{l+1}): any values do, both routes read the same
        for k in range(net.input_label + 1, net.output_label + 1):
            z = fwd.Z[k]
            for kind in ("delta", "grad_act"):
                env.tensors[(kind, k)] = mpmath.matrix([[mpmath.sin(3 * i + j + k) for j in range(z.cols)]
                                                        for i in range(z.rows)])
        count = 0
        for name in FORMULAS:
            expr = getattr(d, name)
            if expr is None:
                continue
            entry = component(expr)
            for k in range(net.input_label + 1, net.output_label + 1):
                env.layer_symbols = {L: net.output_label, l: k}
                for j in range(max(net.widths) + 1):
                    for c in range(max(net.widths + (net.m,)) + 1):
                        try:
                            want = mpmath.mpf(sp.N(_concrete(entry, env, {J: j, K: c}), 50))
                        except (DeriveError, IndexError) as e:  # the same refusal both ways
                            with pytest.raises(type(e)):
                                evaluate_component(entry, env, j, c)
                            continue
                        got = evaluate_component(entry, env, j, c)
                        assert abs(got - want) <= mpmath.mpf(10) ** -40 * max(1, abs(want)), (name, k, j, c)
                        count += 1
    return count


@pytest.mark.parametrize("conv,loss,out,hidden", CASES)
def test_compiled_entries_match_sympy(conv, loss, out, hidden):
    assert _compare(derive(conv, loss, out, hidden)) > 0


@pytest.mark.parametrize("base", ["ng", "dls", "cs231n"])
def test_compiled_regularised_batch_gradient_matches_sympy(base):
    conv = from_dict({"base": base, "name": f"{base}-l2", "l2": 0.3, "grad_of": "cost"})
    assert _compare(derive(conv, "bce", "sigmoid", "tanh")) > 0
