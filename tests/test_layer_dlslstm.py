"""deeplearning.ai's LSTM (course 5, week 1, "Building your Recurrent Neural Network - Step by Step"): the kind
lstm_concat, which `--layer lstm --convention dls` names. Each gate has its own W (n_a by n_a + n_x) over
concat = [a_prev; x_t], the examples are columns (x is n_x by m by T_x), a0 is given and c0 = 0 (lstm_forward's).

The notebook's backward equations (7)-(16), with the errata repaired that tests/corpora/recurrent/claims.toml
records (dl-02..dl-04's parentheses, dl-06's slice), are written here by hand and evaluated against ground truth;
the errata as written and sagarnildass's lstm_backward (sg-01: neither da nor dc carried back) fail. The truth row
itself is checked against the CS231n LSTM's (a different row of truth_kinds, itself checked by central
differences in test_truth_kinds) with the weights mapped, and against an explicit torch forward."""

from __future__ import annotations

import dataclasses

import mpmath
import pytest
import sympy as sp

from derive import check
from derive.backward import array, derive_kind
from derive.kind_verification import sizes_of, values_of
from derive.layer_inputs import BY_NOTATION, draw, kind_for
from derive.layers import kind
from derive.layers.graph import AXES, BOUND, entry, totals
from derive.truth_kinds import kind_truth

j, k, p, n, t = (AXES[a][0] for a in "jkpnt")
H = AXES["j"][1]
E = {name: entry(name, "jnt") for name in ("dy", "dc", "gf", "gu", "cc", "go", "c", "dzf")}
NEXT = {name: sp.IndexedBase(name)[j, n, t + 1] for name in ("dc", "gf", "dconcat")}
# lstm_cell_backward's inputs at step t: da_next = da[:, :, t] + da_prevt (the next step's da_prev), dc_next = the
# next step's dc_prev = dc(t + 1) Γ_f(t + 1) (zero after the last step: an entry outside its array is 0)
DA_NEXT = E["dy"] + NEXT["dconcat"]
DC_NEXT = NEXT["dc"] * NEXT["gf"]
TANH2 = 1 - sp.tanh(E["c"]) ** 2
CELL = DC_NEXT + E["go"] * TANH2 * DA_NEXT  # the parentheses every passing solution codes
C_PREV = sp.IndexedBase("c")[j, n, t - 1]

# (the notebook's quantity, derive's adjoint, the right side), each as the notebook writes it once repaired
REPAIRED = [
    ("eq. 7, dΓ_o", "zo", DA_NEXT * sp.tanh(E["c"]) * E["go"] * (1 - E["go"])),
    ("eq. 8, dc̃", "zc", CELL * E["gu"] * (1 - E["cc"] ** 2)),
    ("eq. 9, dΓ_u", "zu", CELL * E["cc"] * E["gu"] * (1 - E["gu"])),
    ("eq. 10, dΓ_f", "zf", CELL * C_PREV * E["gf"] * (1 - E["gf"])),
    ("eq. 16, the cell's total before dc_prev = it Γ_f", "c", CELL),
    ("dW_f = dΓ_f concatᵀ summed over the steps", "Wf",
     totals(sp.IndexedBase("dzf")[j, BOUND["n"], BOUND["t"]] * sp.IndexedBase("concat")[p, BOUND["n"], BOUND["t"]],
            "tn")),
    ("db_f = Σ over the examples and steps", "bf", totals(sp.IndexedBase("dzf")[j, BOUND["n"], BOUND["t"]], "tn")),
    # eqs. 15 and 17: da_prev = W_f[:, :n_a]ᵀ dΓ_f + ..., dxt = W_f[:, n_a:]ᵀ dΓ_f + ... (the columns: dl-06's fix)
    ("eq. 17, dx_t = W[:, n_a:]ᵀ dΓ summed over the gates", "x",
     sum((totals(sp.IndexedBase("W" + g)[BOUND["j"], H + k] * sp.IndexedBase("dz" + g)[BOUND["j"], n, t], "j")
          for g in "fuco"), sp.Integer(0))),
    ("lstm_backward: da0 = the first step's da_prev", "a0",
     sum((sp.Sum(sp.IndexedBase("W" + g)[BOUND["j"], j] * sp.IndexedBase("dz" + g)[BOUND["j"], n, 1],
                 (BOUND["j"], 1, H)) for g in "fuco"), sp.Integer(0))),
]
# the same equations as the errata and the sources with a mistake write them
WRONG = [
    ("dl-03 as written: σ' only on the da_next path", "zu",
     DC_NEXT * E["cc"] + E["go"] * TANH2 * E["cc"] * DA_NEXT * E["gu"] * (1 - E["gu"])),
    ("dl-02 as written: tanh' of c̃'s value, a stray c̃", "zc",
     DC_NEXT * E["gu"] + E["go"] * TANH2 * E["gu"] * DA_NEXT * E["cc"] * (1 - sp.tanh(E["cc"]) ** 2)),
    ("sg-01: only da[:, :, t] reaches a step, dc_prevt stays 0", "zo",
     E["dy"] * sp.tanh(E["c"]) * E["go"] * (1 - E["go"])),
    ("the cell state's gradient not carried across steps", "c", E["go"] * TANH2 * DA_NEXT),
    ("dx_t through the state's columns W[:, :n_a] (the slice of da_prev)", "x",
     sum((totals(sp.IndexedBase("W" + g)[BOUND["j"], k] * sp.IndexedBase("dz" + g)[BOUND["j"], n, t], "j")
          for g in "fuco"), sp.Integer(0))),
]


@pytest.fixture(scope="module")
def numbers():
    inp = draw("lstm_concat", 3, 2, 4)  # m = 3, n_x = 2, n_a = 4, T_x = 4: no two sizes equal
    return inp, kind_truth(inp)


def _error(rhs, of: str, numbers) -> float:
    inp, truth = numbers
    with mpmath.workdps(50):
        got = array(rhs, kind("lstm_concat").node(of).axes, values_of(inp, truth), sizes_of(inp))
    want = truth["d" + of]
    return float(max(abs(a - b) for a, b in zip(_flat(got), _flat(want))) / max(abs(b) for b in _flat(want)))


def _flat(values):
    return [e for v in values for e in _flat(v)] if isinstance(values, tuple | list) else [values]


def test_lstm_in_dls_letters_is_the_concatenated_kind():
    assert BY_NOTATION == {("lstm", "dls"): "lstm_concat"}
    assert kind_for("lstm", "dls") == "lstm_concat" and kind_for("lstm", "cs231n") == "lstm"
    assert kind_for("lstm", None) == "lstm"
    inp = draw("lstm_concat", 3, 2, 4)
    assert (inp.m, inp.D, inp.H, inp.steps) == (3, 2, 4, 4)  # m, n_x, n_a all different, T ≥ 3
    assert (len(inp.x), len(inp.x[0]), len(inp.x[0][0])) == (2, 3, 4)  # x is n_x by m by T_x: examples as columns
    assert {len(dict(inp.named)[f"W{g}"][0]) for g in "fuco"} == {6}  # n_a + n_x columns


def test_the_reverse_pass_carries_da_and_dc_back_through_time():
    d = derive_kind(kind("lstm_concat"))
    eq = {e.of: e.rhs for e in d.equations}
    assert eq["a"] == E["dy"] + NEXT["dconcat"]  # lstm_backward's da[:, :, t] + da_prevt
    assert eq["c"].has(NEXT["dc"] * NEXT["gf"])   # dc_prevt: the next step's cell gradient through its Γ_f
    assert eq["a0"] == sp.IndexedBase("dconcat")[j, n, 1]
    assert eq["x"] == sp.IndexedBase("dconcat")[H + k, n, t]


@pytest.mark.parametrize("what, of, rhs", REPAIRED, ids=[r[0] for r in REPAIRED])
def test_the_notebooks_equations_repaired_hold(what, of, rhs, numbers):
    assert _error(rhs, of, numbers) < 1e-40, what


@pytest.mark.parametrize("what, of, rhs", WRONG, ids=[w[0] for w in WRONG])
def test_the_errata_and_the_mistakes_fail(what, of, rhs, numbers):
    assert _error(rhs, of, numbers) > 1e-3, what


def _as_cs231n(inp):
    """The same LSTM in CS231n's parameterisation: Wx (D by 4H), Wh (H by 4H), b (4H), gates stacked i, f, o, g
    (the notebook's u, f, o, c), rows the examples."""
    named, H_, D_ = dict(inp.named), inp.H, inp.D
    order = "ufoc"
    Wx = tuple(tuple(named["W" + order[q // H_]][q % H_][H_ + kk] for q in range(4 * H_)) for kk in range(D_))
    Wh = tuple(tuple(named["W" + order[q // H_]][q % H_][i] for q in range(4 * H_)) for i in range(H_))
    b = tuple(named["b" + order[q // H_]][q % H_] for q in range(4 * H_))

    def rows(a):  # (H, m, T) -> (m, T, H)
        return tuple(tuple(tuple(a[r][nn][tt] for r in range(len(a))) for tt in range(len(a[0][0])))
                     for nn in range(len(a[0])))
    h0 = tuple(tuple(named["a0"][i][nn] for i in range(H_)) for nn in range(inp.m))
    return dataclasses.replace(draw("lstm", inp.m, inp.D, 0), x=rows(inp.x), W=Wx, Wh=Wh, b=b, h0=h0,
                               c=rows(inp.c), d=rows(inp.d), H=H_), rows


def test_the_truth_is_the_cs231n_lstms_with_the_weights_mapped(numbers):
    inp, truth = numbers
    cs, rows = _as_cs231n(inp)
    other = kind_truth(cs)
    H_ = inp.H
    pairs = [("da", "dh"), ("dc", "dc"), ("dgf", "dfg"), ("dgu", "dig"), ("dcc", "dgg"), ("dgo", "dog"),
             ("dx", "dx"), ("y", "y")]
    for ours, theirs in pairs:
        assert max(abs(a - b) for a, b in zip(_flat(rows(truth[ours])), _flat(other[theirs]))) < 1e-40, ours
    for slot, g in enumerate("ufoc"):  # the pre-activations' gradients are the stacked da's slices
        dz = rows(truth["dz" + g])
        stacked = tuple(tuple(step[slot * H_:(slot + 1) * H_] for step in ex) for ex in other["da"])
        assert max(abs(a - b) for a, b in zip(_flat(dz), _flat(stacked))) < 1e-40, g
        dW = truth["dW" + g]  # its first n_a columns are dWh's, the rest dWx's (transposed)
        assert max(abs(dW[r][i] - other["dWh"][i][slot * H_ + r]) for r in range(H_) for i in range(H_)) < 1e-40
        assert max(abs(dW[r][H_ + kk] - other["dWx"][kk][slot * H_ + r])
                   for r in range(H_) for kk in range(inp.D)) < 1e-40
    assert max(abs(truth["da0"][i][nn] - other["dh0"][nn][i]) for i in range(H_) for nn in range(inp.m)) < 1e-40


def test_torch_agrees(numbers):
    pytest.importorskip("torch")
    from derive.torch_truth import kind_torch
    inp, truth = numbers
    got = kind_torch(inp)
    assert set(got) == {"dy", "dx", "da0", *(f"d{w}{g}" for w in "Wb" for g in "fuco")}
    for name, values in got.items():
        assert max(abs(a - b) for a, b in zip(_flat(values), _flat(truth[name]))) < 1e-10, name


@pytest.mark.parametrize("formula, verdict", [
    (r"dc_{jit} = dc_{j,i,t+1} \frac{\partial J}{\partial \Gamma_{f}}_{jit}", "invalid"),
    (r"dc_{jit} = \mathrm{da}_{jit}", "fails"),                       # the state's own path only, no Γ_o, no tanh'
    (r"\frac{\partial J}{\partial \tilde{c}_{jit}} = dc_{jit}", "fails"),  # Γ_u missing
    (r"\mathrm{dconcat}_{pit} = \mathrm{dconcat}_{pit}", "holds"),
    # d before a gate's letter is the notebook's gradient at the pre-activation; it is refused, never read as the
    # gradient at the gate's value (d\tilde{c} = ∂J/∂c̃ would hold without tanh')
    (r"d\tilde{c}_{jit} = \frac{\partial J}{\partial \tilde{c}_{jit}}", "invalid"),
])
def test_check_in_the_notebooks_letters(formula, verdict):
    assert check(formula, layer="lstm", convention="dls", diagnose=False).verdict == verdict


def test_the_document_and_the_list_name_it(capsys):
    from derive.api import layer
    from derive.cli import main
    from derive.kind_doc import document
    text = document(layer("lstm", "dls"), "md", trials=1)
    assert r"{d\Gamma_{o}}_{jit} = \frac{\partial J}{\partial {\Gamma_{o}}_{jit}}" in text
    assert r"n_{a} \times (n_{a} + n_{x})" in text and "deeplearning.ai" in text
    assert "--layer lstm_concat --convention dls" in text
    main(["list"])
    assert "lstm: cs231n, dls (that is lstm_concat)" in capsys.readouterr().out
