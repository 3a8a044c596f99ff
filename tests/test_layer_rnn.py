"""The recurrent layer (issue 13): backpropagation through time derived by the one reverse pass (a read one step
back, ``Local.own``), its equations as Goodfellow et al. §10.2.2 and CS231n's rnn_backward write them, verified
end to end for T = 4 steps, and the mistakes people make (the path through the next step forgotten, tanh' taken
at the step before, the initial state's term dropped from dWh) caught against ground truth."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from derive.backward import array, derive_kind
from derive.kind_doc import backward_lines
from derive.kind_verification import sizes_of, values_of, verify_kind
from derive.layer_inputs import STEPS, draw
from derive.layers import kind
from derive.layers.graph import AXES, BOUND, entry, total
from derive.truth_kinds import kind_truth

n, t, k, j, i = (AXES[a][0] for a in "ntkji")
dy, da, dh, h = (entry(name, "ntj") for name in ("dy", "da", "dh", "h"))
Wh, h0 = entry("Wh", "ij"), entry("h0", "ni")


@pytest.fixture(scope="module")
def rnn():
    return derive_kind(kind("rnn"))


def test_the_reverse_pass_is_backpropagation_through_time(rnn):
    # ∂ℓ/∂h(t) = ∂ℓ/∂y(t) + Σ_i Wh[j, i] ∂ℓ/∂a(t + 1)[i]: both paths, the next step's read from the recursion
    nxt = sp.IndexedBase("da")[n, t + 1, BOUND["j"]]
    assert rnn.equation("h").rhs == dy + sp.Sum(Wh.xreplace({i: j, j: BOUND["j"]}) * nxt, (BOUND["j"], 1, AXES["j"][1]))
    assert rnn.equation("a").rhs == dh * (1 - h ** 2)
    first = sp.IndexedBase("da")[BOUND["n"], 1, j]  # the initial state's term, at step 1 only
    assert rnn.equation("Wh").rhs.has(first * h0.xreplace({n: BOUND["n"]}))
    assert rnn.equation("h0").rhs.has(sp.IndexedBase("da")[n, 1, BOUND["j"]])


def test_every_formula_agrees_with_ground_truth_end_to_end():
    report = verify_kind(derive_kind(kind("rnn")))
    assert report.ok, report.text()
    assert {q for _, q in report.errors} == {"h", "a", "b", "Wh", "Wx", "h0", "x"}
    assert draw("rnn", 3, 2, 0).steps == STEPS >= 3


def test_the_documents_equations_read_as_the_sources_write_them():
    gf = {b.lhs: b.rhs for b in backward_lines(derive_kind(kind("rnn"), "goodfellow"))}
    assert gf[r"\frac{\partial L}{\partial h_{tj}}"] == (r"\frac{\partial L}{\partial y_{tj}} + \sum_{j'=1}^{H} "
                                                         r"W_{j,j'} \frac{\partial L}{\partial a_{t + 1,j'}}")
    cs = {b.lhs: b.rhs for b in backward_lines(derive_kind(kind("rnn"), "cs231n"))}
    assert cs["{dh_{0}}_{ni}"] == r"\sum_{j=1}^{H} {W_{h}}_{ij} da_{n1j}"


def _wrong(name: str):
    """(the quantity, its right side) as a mistake writes it."""
    jb = BOUND["j"]
    if name == "the next step's path forgotten":
        return "h", dy
    if name == "tanh' at the step before":
        return "a", dh * (1 - sp.IndexedBase("h")[n, t - 1, j] ** 2)
    if name == "the initial state left out of dWh":
        return "Wh", total(total(da * sp.IndexedBase("h")[n, t - 1, i], "n"), "t")
    assert name == "the next step read through Wh untransposed"
    nxt = sp.IndexedBase("da")[n, t + 1, jb]
    return "h", dy + sp.Sum(entry("Wh", "ij").xreplace({i: jb}) * nxt, (jb, 1, AXES["j"][1]))


@pytest.mark.parametrize("mistake", ["the next step's path forgotten", "tanh' at the step before",
                                     "the initial state left out of dWh",
                                     "the next step read through Wh untransposed"])
def test_the_mistakes_fail_against_ground_truth(mistake):
    of, rhs = _wrong(mistake)
    inp = draw("rnn", 3, 2, 1)
    truth = kind_truth(inp)
    axes = kind("rnn").node(of).axes
    with mpmath.workdps(50):
        got = array(rhs, axes, values_of(inp, truth), sizes_of(inp))
    assert max(abs(a - b) for a, b in zip(_flat(got), _flat(truth["d" + of]))) > 1e-3, mistake


def _flat(values):
    if isinstance(values, tuple):
        for v in values:
            yield from _flat(v)
    else:
        yield values


# ---------------------------------------------------------------- the LSTM

def test_the_lstm_carries_dh_and_dc_back_and_stacks_the_gates():
    d = derive_kind(kind("lstm"))
    c_next = d.equation("c").rhs
    assert c_next.has(sp.IndexedBase("dc")[n, t + 1, j] * sp.IndexedBase("fg")[n, t + 1, j])  # through f(t + 1)
    da = d.equation("a").rhs  # the four gates' slices of the stacked pre-activations, as np.hstack((di, df, do, dg))
    H = AXES["j"][1]
    q = AXES["q"][0]
    for gate, shift in (("dig", 0), ("dfg", H), ("dog", 2 * H), ("dgg", 3 * H)):
        assert da.has(sp.IndexedBase(gate)[n, t, q - shift]), gate


def test_the_lstm_derives_every_adjoint():
    # verified end to end against the truth in test_layer_kinds
    assert {e.of for e in derive_kind(kind("lstm")).equations} == {"h", "c", "ig", "fg", "og", "gg", "a", "b", "Wh",
                                                                  "Wx", "h0", "x"}


@pytest.mark.parametrize("mistake", ["dc without the next step's forget gate", "tanh' of c forgotten"])
def test_the_lstms_mistakes_fail(mistake):
    dc, fg_next = sp.IndexedBase("dc")[n, t + 1, j], sp.IndexedBase("fg")[n, t + 1, j]
    og, c = entry("og", "ntj"), entry("c", "ntj")
    rhs = (dh * og * (1 - sp.tanh(c) ** 2) if mistake.startswith("dc without") else dh * og + dc * fg_next)
    inp = draw("lstm", 3, 2, 2)
    truth = kind_truth(inp)
    with mpmath.workdps(50):
        got = array(rhs, "ntj", values_of(inp, truth), sizes_of(inp))
    assert max(abs(a - b) for a, b in zip(_flat(got), _flat(truth["dc"]))) > 1e-3, mistake


# ---------------------------------------------------------------- the GRU

def test_the_gru_is_pytorchs_and_agrees_with_ground_truth():
    d = derive_kind(kind("gru"))
    dh_ = d.equation("h").rhs  # the state's three paths: the upstream, the next step's z, the next step's gates
    assert dh_.has(sp.IndexedBase("dh")[n, t + 1, j] * sp.IndexedBase("zg")[n, t + 1, j])
    assert dh_.has(sp.IndexedBase("dah")[n, t + 1, BOUND["g"]])  # verified against the truth in test_layer_kinds
