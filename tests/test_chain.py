"""The engine's formulas against forward-pass ground truth, for every convention and combination.

Every convention meets every valid loss/output pair (the hidden activation rotating through the registry)
and every hidden activation; each on several random networks with unequal widths.
"""

from __future__ import annotations

import pytest

from derive.activations import ACTIVATIONS
from derive.api import derive, verify
from derive.conventions import PRESETS
from derive.losses import LOSSES, accepts

HIDDEN = [a for a, rec in ACTIVATIONS.items() if rec.elementwise]
# every valid loss/output pair, in output_layer.table()'s order, named from the registries: table() analyses each
# pair symbolically (3-7 s), which every pytest worker paid while collecting this file
PAIRS = [(lo, a) for lo in LOSSES for a, rec in ACTIVATIONS.items() if accepts(LOSSES[lo], rec.range)]

CASES = [(c, lo, a, HIDDEN[i % len(HIDDEN)]) for c in PRESETS for i, (lo, a) in enumerate(PAIRS)]
CASES += [(c, "bce", "sigmoid", h) for c in PRESETS for h in HIDDEN]
CASES = list(dict.fromkeys(CASES))  # bce + sigmoid meets one hidden activation in both lists: run it once


@pytest.mark.parametrize("conv,loss,out,hidden", CASES)
def test_formulas_match_forward_pass(conv, loss, out, hidden):
    report = verify(derive(conv, loss, out, hidden), layers=3, trials=2, seed=7)
    assert report.ok, report.text()
    expected = {"delta", "grad_act", "delta_from_grad_act", "grad_weight"}
    assert expected <= set(report.errors)


@pytest.mark.parametrize("conv", sorted(PRESETS))
def test_deep_networks_verify(conv):
    report = verify(derive(conv, "cce", "softmax", "tanh"), layers=8, trials=1, seed=3)
    assert report.ok, report.text()


# one example (nielsen), and a batch with ng's bias unit: verify's exact truth end to end. Each preset's engine
# formulas meet the reverse-mode truth in test_formulas_match_forward_pass, and each preset's reverse-mode truth
# meets exact SymPy in tests/test_truth.py; dls's batch (10 s of SymPy here) was a third run of the same path.
@pytest.mark.parametrize("conv", ["nielsen", "ng"])
def test_exact_sympy_truth_agrees(conv):
    # small unequal widths keep exact SymPy quick (random widths up to 6 took 5-15 s per convention)
    report = verify(derive(conv, "bce", "sigmoid", "softplus"), layers=2, trials=1, truth="sympy", widths=[2, 3, 2])
    assert report.ok, report.text()
    assert report.trials[0].widths == [2, 3, 2]


@pytest.mark.parametrize("base", ["nielsen", "ng", "dls", "cs231n"])
def test_l2_regularisation_excludes_the_bias(base):
    # Ng ex4: D^(l) = Delta^(l)/m + (lambda/m) Theta^(l) for j >= 1 (the bias column is not penalised)
    from derive.conventions import from_dict
    conv = from_dict({"base": base, "name": f"{base}-l2", "l2": 0.3})
    report = verify(derive(conv, "bce", "sigmoid", "tanh"), layers=3, trials=2)
    assert report.ok, report.text()
    assert report.errors["grad_weight"] < 1e-20
