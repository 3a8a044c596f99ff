"""What a cold ``derive check`` loads and computes: only what its verdict needs (behaviour, not timing; the
timings are in BENCHMARKS.md, from ``python -m benchmarks.checker``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy as sp

from derive.activations import ACTIVATIONS
from derive.algebra import ShapeMismatch, check_shapes, same_size
from derive.losses import LOSSES, accepts
from derive.output_layer import analyse

P = "'"
HOLDS = r"\delta^L = (a^L - y) \odot \sigma" + P + "(z^L)"


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_derive_loads_neither_sympy_nor_the_document_machinery():
    loaded = modules_after("import derive")
    for name in ("sympy", "mpmath", "lark", "jinja2", "torch", "numpy"):
        assert name not in loaded, name


def test_a_holding_check_loads_no_document_diagnosis_or_index_form_machinery():
    loaded = modules_after(f"import derive\nr = derive.check({HOLDS!r}, 'nielsen', 'mse', 'sigmoid')\n"
                           "assert r.holds, r.reason")
    for name in ("jinja2", "torch", "derive.render", "derive.doc", "derive.gallery", "derive.translate",
                 "derive.steps", "derive.components", "derive.printing", "derive.formula.diagnose",
                 "derive.formula.unparse", "derive.lint", "derive.infer"):
        assert name not in loaded, name


def test_the_command_line_check_holds_and_loads_no_templates():
    loaded = modules_after("import sys\nfrom derive.cli import main\n"
                           f"assert main(['check', '--loss', 'mse', '--activation', 'sigmoid', {HOLDS!r}]) == 0")
    assert "jinja2" not in loaded and "derive.render" not in loaded


def test_a_failing_check_still_diagnoses():
    import derive
    result = derive.check(HOLDS, "nielsen", "bce", "sigmoid")
    assert result.verdict == "fails" and result.diagnosis["mistake"] == "extra sigma'"


@pytest.mark.parametrize("loss, output", [(lo, a) for lo in LOSSES for a, rec in ACTIVATIONS.items()
                                          if rec.elementwise and accepts(LOSSES[lo], rec.range)])
def test_an_elementwise_output_layer_holds_under_no_condition(loss, output):
    # check.py asks the output-layer analysis for a condition only for a vector-valued output (softmax)
    assert analyse(loss, output).condition is None


def test_softmax_cross_entropy_keeps_its_condition():
    import derive
    result = derive.check(r"\delta^L = a^L - y", "nielsen", "cce", "softmax")
    assert result.holds and result.condition == r"\sum_k y_k = 1"


n, l, L, m = sp.IndexedBase("n"), sp.Symbol("l", integer=True), sp.Symbol("L", integer=True), sp.Symbol("m")
SIZES = [n[l], n[l + 1], n[l - 1], n[l + 2], n[L], n[L - 1], n[l] + 1, n[l + 1] + 1, m, sp.Integer(1),
         sp.Integer(3), 2 * n[l], n[2 * (l + 1) / 2], n[l + 2 - 1], n[l] * m, n[l] - 1 + 2, sp.Max(n[l], 1)]


@pytest.mark.parametrize("a", SIZES, ids=str)
def test_same_size_decides_as_simplify(a):
    for b in SIZES:
        assert same_size(a, b) == (sp.simplify(a - b) == 0), (a, b)


def test_a_shape_mismatch_names_the_factors_when_read():
    W, d = sp.MatrixSymbol("W", n[l + 1], n[l]), sp.MatrixSymbol("d", n[l + 1], 1)
    with pytest.raises(ShapeMismatch, match=r"cannot multiply W \(n\[l \+ 1\] x n\[l\]\) by d") as caught:
        check_shapes(W * d)
    (a, sa), (b, sb) = caught.value.operands
    assert (a, b) == (W, d) and sa == (n[l + 1], n[l]) and sb == (n[l + 1], 1)
