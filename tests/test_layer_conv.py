"""The 1-D convolution and pooling (issue 13): the convolution's reverse pass, its flipped-kernel form shown equal
only where it holds, the zero padding of the numbers, the printing in CS231n's and Goodfellow's letters, and the
mistakes people make (the kernel not flipped, the stride ignored) caught against ground truth; pooling's
gradients accumulated where windows overlap (assigning instead fails), max routed to each window's largest."""

from __future__ import annotations

import dataclasses

import mpmath
import pytest
import sympy as sp

from derive.backward import array, derive_kind, equal_for_every_size, evaluate
from derive.kind_doc import backward_lines, closed_lines, forward_lines
from derive.kind_verification import check_trial, sizes_of, values_of, verify_kind
from derive.layer_inputs import GEOMETRY, draw
from derive.layers import kind
from derive.layers.conv import PAD, STRIDE
from derive.layers.graph import AXES, BOUND, adjoint_name, entry, total
from derive.truth_kinds import kind_truth

N, K, J = (AXES[a][0] for a in "nkj")
T, O, U = (AXES[a][0] for a in "tou")
SIZE_O = AXES["o"][1]
W = entry("W", "jku")


def dx_form(position):
    """Σ_j Σ_u dy[n, j, position(t, u)] W[j, k, u]: a candidate closed form of dx."""
    return total(total(sp.IndexedBase("dy")[N, J, position] * W, "u"), "j")


@pytest.fixture(scope="module")
def conv():
    return derive_kind(kind("conv1d"))


def _axes(g):
    return {n.name: n.axes for n in g.nodes} | {adjoint_name(n.name): n.axes for n in g.nodes}


def test_the_reverse_pass_gives_the_scatter_sum_the_correlation_and_the_sum(conv):
    x = conv.equation("x").rhs
    assert x.has(sp.KroneckerDelta)                      # dx: the windows covering t, any stride
    assert conv.equation("W").rhs.atoms(sp.Indexed) >= {sp.IndexedBase("x")[BOUND["n"], K,
                                                                           STRIDE * (BOUND["o"] - 1) + U - PAD]}
    assert conv.equation("b").rhs == sp.Sum(sp.IndexedBase("dy")[BOUND["n"], J, BOUND["o"]],
                                            (BOUND["n"], 1, AXES["n"][1]), (BOUND["o"], 1, SIZE_O))


# (the index of dy in Σ_j Σ_u dy[n, j, ·] W[j, k, u], the stride fixed, whether it is dx)
FORMS = [(T + PAD + 1 - U, 1, True),     # the full convolution with the kernel flipped
         (T - PAD - 1 + U, 1, False),    # the kernel not flipped
         (T + PAD - U, 1, False),        # off by one (0-based positions read as 1-based)
         (T - U + 1, 1, False),          # the padding ignored
         (T + PAD + 1 - U, None, False)]  # the stride-1 form claimed for any stride


@pytest.mark.parametrize("position, stride, equal", FORMS)
def test_the_flipped_kernel_form_is_shown_equal_only_where_it_holds(conv, position, stride, equal):
    g = conv.kind
    form = dataclasses.replace(g.compact[0], rhs=dx_form(position),
                               when={} if stride is None else {STRIDE: sp.Integer(stride)})
    assert equal_for_every_size(conv.expanded["x"], form.rhs, form, _axes(g)) is equal
    assert conv.closed[0].equal


def test_entries_outside_an_array_are_zero_padding():
    values = {"v": (mpmath.mpf(2), mpmath.mpf(3))}
    i = sp.Symbol("i", integer=True)
    at = {i: 1}
    v = sp.IndexedBase("v")
    assert [evaluate(v[i + s], values, at) for s in (-1, 0, 1, 2)] == [0, 2, 3, 0]  # never v[-1], Python's last
    assert evaluate(sp.KroneckerDelta(i, 2 - i), values, at) == 1
    assert evaluate(sp.KroneckerDelta(i + 1, 1), values, at) == 0
    # a sum of several limits: the last is the outermost, and an inner limit may depend on it
    j = sp.Symbol("j", integer=True)
    assert evaluate(sp.Sum(i * 10 + j, (j, 1, i), (i, 1, 2)), values, {}) == 11 + 21 + 22


def test_a_draw_has_the_geometry_of_its_seed_and_a_position_no_window_reads():
    seen = [(draw("conv1d", 3, 2, seed).stride, draw("conv1d", 3, 2, seed).pad) for seed in range(3)]
    assert seen == list(GEOMETRY)
    inp = draw("conv1d", 3, 2, 2)  # stride 2, no padding: windows at 1-3 and 3-5 of 6 positions
    assert (inp.T, inp.U, inp.O) == (6, 3, 2)
    assert draw("conv1d", 3, 2, 0).O == 6 and draw("conv1d", 3, 2, 1).O == 3
    with pytest.raises(Exception, match="stride must be an integer >= 1"):
        draw("conv1d", 3, 2, 0, stride=0)
    with pytest.raises(Exception, match="no stride or padding"):
        draw("dense", 3, 2, 0, stride=2)


def test_every_formula_agrees_with_ground_truth_in_each_geometry():
    # (test_layer_kinds verifies every kind; the letters change the printing only, not what is verified)
    report = verify_kind(derive_kind(kind("conv1d")))
    assert report.ok, report.text()
    assert report.geometry == GEOMETRY
    assert ("closed form", "x") in report.errors  # checked on the stride-1 input


# a user's dx, as Σ_j Σ_u dy[n, j, ·] W[j, k, u] or as the scatter-sum with the stride dropped
MISTAKES = [("kernel not flipped", dx_form(T - PAD - 1 + U), 0),
            ("padding ignored", dx_form(T + 1 - U), 0),
            ("stride ignored in dx", total(total(total(sp.IndexedBase("dy")[N, J, O] * W
                                                       * sp.KroneckerDelta(T, O - 1 + U - PAD), "u"), "o"), "j"), 1)]


@pytest.mark.parametrize("name, dx, seed", MISTAKES)
def test_the_mistakes_fail_against_ground_truth(name, dx, seed):
    inp = draw("conv1d", 3, 2, seed)
    truth = kind_truth(inp)
    with mpmath.workdps(50):
        got = array(dx, "nkt", values_of(inp, truth), sizes_of(inp))
    flat_got = [v for n in got for k in n for v in k]
    flat_want = [v for n in truth["dx"] for k in n for v in k]
    assert max(abs(a - b) for a, b in zip(flat_got, flat_want)) > 1e-3, name


def test_stride_two_leaves_an_unread_position_with_no_gradient(conv):
    inp = draw("conv1d", 3, 2, 2)
    errors = check_trial(conv, inp)
    assert max(errors.values()) < 1e-40
    assert all(v == 0 for n in kind_truth(inp)["dx"] for k in n for v in k[5:])


def test_the_letters_of_cs231n_and_goodfellow():
    cs = derive_kind(kind("conv1d"), "cs231n")
    fwd = forward_lines(cs)[0]
    assert fwd[0] == r"\mathrm{out}_{nfi}"
    assert r"x_{n,c,\mathrm{stride} \left(i - 1\right) + u - \mathrm{pad}}" in fwd[1]
    assert fwd[1].startswith(r"\sum_{c=1}^{C} \sum_{u=1}^{\mathit{WW}} ")
    dx = next(b for b in backward_lines(cs) if b.lhs == "dx_{nct}")
    assert r"\left[t = \mathrm{stride} \left(i - 1\right) + u - \mathrm{pad}\right]" in dx.rhs
    assert closed_lines(cs)[0][1] == (r"\sum_{f=1}^{F} \sum_{u=1}^{\mathit{WW}} w_{fcu} "
                                      r"\mathrm{dout}_{n,f,t - u + \mathrm{pad} + 1}")
    assert closed_lines(cs)[0][5] == r"\mathrm{stride} = 1"
    gf = derive_kind(kind("conv1d"), "goodfellow")
    assert forward_lines(gf)[0] == ("Z_{ik}",
                                    r"\sum_{l=1}^{L} \sum_{m=1}^{M} K_{ilm} V_{l,s \left(k - 1\right) + m - p} + b_{i}")


def test_the_checker_judges_a_convolution():
    """(tests/test_check_computed.py has the computed indices and the mistakes.)"""
    from derive import check
    r = check(r"db_{f} = \sum_{n=1}^{N} \sum_{i=1}^{W'} \mathrm{dout}_{nfi}", "cs231n", layer="conv1d")
    assert r.verdict == "holds", r.text()
    r = check(r"db_{f} = \sum_{n=1}^{N} \mathrm{dout}_{nf1}", "cs231n", layer="conv1d")
    assert r.verdict == "fails", r.text()


# ---------------------------------------------------------------- pooling

def _loops(inp, largest: bool, accumulate: bool):
    """dx as a user's loops over the windows write it: each window's dy to its argmax (max) or spread over it
    (average), added (+=) or, the mistake, assigned (=), which keeps only the last window's share."""
    truth = kind_truth(inp)
    dx = [[[mpmath.mpf(0)] * inp.T for _ in range(inp.D)] for _ in range(inp.m)]
    for n in range(inp.m):
        for k in range(inp.D):
            for o in range(inp.O):
                taps = range(inp.stride * o, inp.stride * o + inp.U)
                share = {t: truth["dy"][n][k][o] / inp.U for t in taps}
                if largest:
                    top = max(taps, key=lambda t: inp.x[n][k][t])
                    share = {top: truth["dy"][n][k][o]}
                for t, g in share.items():
                    dx[n][k][t] = dx[n][k][t] + g if accumulate else g
    return dx, truth["dx"]


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pooling_accumulates_where_windows_overlap(largest, seed):
    inp = draw("maxpool1d" if largest else "avgpool1d", 3, 2, seed)
    with mpmath.workdps(50):  # the truth's digits
        right, truth = _loops(inp, largest, accumulate=True)
        wrong, _ = _loops(inp, largest, accumulate=False)
    flat = lambda a: [v for n in a for k in n for v in k]  # noqa: E731
    assert max(abs(a - b) for a, b in zip(flat(right), flat(truth))) < 1e-40
    gap = max(abs(a - b) for a, b in zip(flat(wrong), flat(truth)))
    # assigning loses a share where a position gets two: any position of two windows for the average, a position
    # that is two windows' largest for max; with stride 3 the windows of 3 are apart and assigning is harmless
    windows = [range(inp.stride * o, inp.stride * o + inp.U) for o in range(inp.O)]
    tops = [max(w, key=lambda t, n=n, k=k: inp.x[n][k][t]) for n in range(inp.m) for k in range(inp.D)
            for w in windows] if largest else [t for w in windows for t in w]
    shared = len(tops) > len(set(tops)) if not largest else any(
        tops[i] == tops[i + 1] for i in range(len(tops) - 1) if (i + 1) % inp.O)
    assert gap > 1e-3 if shared else gap < 1e-40, (inp.stride, gap)
    assert shared is (inp.stride < inp.U) or largest


@pytest.mark.parametrize("name", ["maxpool1d", "avgpool1d"])
def test_pooling_routes_max_to_the_largest_over_three_geometries(name):
    # verified against the truth in test_layer_kinds; here the draws' geometries and the printed routing
    assert [(draw(name, 3, 2, s).stride, draw(name, 3, 2, s).pad) for s in range(3)] == [(2, 0), (1, 0), (3, 0)]
    d = derive_kind(kind(name))
    rhs = backward_lines(d)[0].rhs
    assert (r"\left[x_{nct} = \mathrm{out}_{nci}\right]" in rhs) is (name == "maxpool1d")
    assert forward_lines(d)[0][1].startswith(r"\max_{u=1}^{\mathit{PW}}" if name == "maxpool1d" else r"\frac{1}")
