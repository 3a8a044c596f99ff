"""The losses of issue 13's last bullet: huber, kl, focal, nll on log-softmax, cce with label smoothing, the binary
hinge. Each is checked as the others are (tests/test_registries.py, test_output_layer.py, test_truth.py and
test_chain.py loop over the registry); here, what is particular to them: the verdict at the output layer (a region,
a closed form that is not yhat - y), torch's own losses as a second opinion, the checker's judgement of a true and a
wrong formula per loss, networks that reach every piece of a piecewise loss, and the documents' words."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp

from derive.api import derive, document, verify
from derive.check import check
from derive.errors import DeriveError
from derive.losses import LOSSES, SMOOTHING, TARGETS, draw_targets, loss
from derive.network import forward, random_network
from derive.output_layer import WIDTH, YHAT, Y, analyse
from derive.problem import Problem
from derive.table import render
from derive.verification import draw_network, misses_a_piece

NEW = ("huber", "kl", "focal", "nll", "cce_smoothed", "hinge")
PAIR = {"huber": "identity", "kl": "softmax", "focal": "sigmoid", "nll": "logsoftmax", "cce_smoothed": "softmax",
        "hinge": "identity"}
ALPHA = sp.Rational(*SMOOTHING)


# ---------------------------------------------------------------- names people type

@pytest.mark.parametrize("typed,name", [
    ("huber_loss", "huber"), ("HuberLoss", "huber"), ("kl_div", "kl"), ("kldiv", "kl"), ("KLDivLoss", "kl"),
    ("KL-divergence", "kl"),
    ("focal_loss", "focal"), ("nll_loss", "nll"), ("NLLLoss", "nll"), ("label smoothing", "cce_smoothed"),
    ("hinge_loss", "hinge"), ("multiclass_hinge", "svm"), ("cs231n-svm", "svm"),
])
def test_aliases(typed, name):
    assert loss(typed).name == name


@pytest.mark.parametrize("typed", ["smooth_l1"])
def test_names_that_would_mislead_are_not_aliases(typed):
    # SmoothL1 equals Huber only at beta = delta = 1 (the multiclass hinge is svm, its own record: test_aliases)
    with pytest.raises(DeriveError, match="unknown loss"):
        loss(typed)


# ---------------------------------------------------------------- the output layer's verdict

def _same(a, b) -> bool:
    """Equal as functions of yhat, y (and n_L): exactly for a rational difference, else at points on every piece."""
    diff = sp.sympify(a - b)
    if not diff.has(sp.Piecewise):
        return sp.simplify(diff) == 0
    return all(diff.subs({YHAT: yh, Y: y}) == 0 for yh in (-3, sp.Rational(-1, 2), sp.Rational(1, 3), 3)
               for y in (-1, 0, 1, sp.Rational(5, 2)))


# (loss, output, canonical, form or None, condition, region): Huber 1964 / torch.nn.HuberLoss's clip; log-softmax's
# softmax(z) - y; Szegedy et al. 2016 sec. 7's q' = (1 - alpha) q + alpha / K; the hinge's subgradient -y [y yhat < 1]
VERDICTS = [
    ("huber", "identity", False, sp.Piecewise((YHAT - Y, sp.Abs(YHAT - Y) <= 1), (sp.sign(YHAT - Y), True)), None,
     sp.Abs(YHAT - Y) <= 1),
    ("huber", "sigmoid", False, None, None, None),
    ("kl", "softmax", True, YHAT - Y, "sum_k y_k = 1", None),
    ("focal", "sigmoid", False, None, None, None),
    ("nll", "logsoftmax", False, sp.exp(YHAT) - Y, "sum_k y_k = 1", None),
    ("cce_smoothed", "softmax", False, YHAT - (1 - ALPHA) * Y - ALPHA / WIDTH, "sum_k y_k = 1", None),
    ("hinge", "identity", False, sp.Piecewise((-Y, Y * YHAT < 1), (0, True)), None, None),
]


@pytest.mark.parametrize("name,out,canonical,form,condition,region", VERDICTS)
def test_the_verdict_at_the_output_layer(name, out, canonical, form, condition, region):
    row = analyse(name, out)
    assert row.canonical is canonical
    assert row.condition == condition
    if form is not None:
        assert _same(row.form, form), row.form
    if region is None:
        assert row.region is None
    else:
        points = [{YHAT: yh, Y: y} for yh in (-3, 0, sp.Rational(1, 2), 2) for y in (-1, 0, sp.Rational(5, 2))]
        assert [bool(row.region.subs(p)) for p in points] == [bool(region.subs(p)) for p in points]
    if not canonical:
        assert row.witness is not None and abs(row.witness[-1]) > 1e-6


def test_huber_is_yhat_minus_y_inside_its_region_and_the_witness_is_outside():
    row = analyse("huber", "identity")
    z, y, gap = row.witness  # identity: yhat = z
    assert abs(z - y) > 1 and not bool(row.region.subs({YHAT: z, Y: y}))
    for yh, t in [(sp.Rational(1, 2), 0), (-1, -sp.Rational(1, 4)), (2, sp.Rational(3, 2))]:  # |yhat - y| <= 1
        assert row.region.subs({YHAT: yh, Y: t}) and row.form.subs({YHAT: yh, Y: t}) == yh - t
    assert row.form.subs({YHAT: 3, Y: 0}) == 1 and row.form.subs({YHAT: -3, Y: 0}) == -1  # clipped outside


def test_log_softmax_is_not_yhat_minus_y_but_its_probabilities_minus_y():
    # the one-hot target's softmax(z) - y, at z = (0, ln 2, ln 5): softmax = (1, 2, 5)/8, log-softmax = ln of it
    row = analyse("nll", "logsoftmax")
    logp = [sp.log(sp.Rational(p, 8)) for p in (1, 2, 5)]
    y = (0, 1, 0)
    assert [row.form.subs({YHAT: a, Y: t}) for a, t in zip(logp, y)] == [sp.Rational(1, 8), -sp.Rational(3, 4),
                                                                         sp.Rational(5, 8)]
    assert any(sp.N(a - t - row.form.subs({YHAT: a, Y: t})) != 0 for a, t in zip(logp, y))  # not yhat - y


# ---------------------------------------------------------------- the registry's terms and targets

def test_label_smoothing_is_alpha_over_all_k_classes_not_over_the_k_minus_1_others():
    rec, k, y = LOSSES["cce_smoothed"], sp.Symbol("K", positive=True), sp.Symbol("y")
    assert sp.simplify(rec.target_map(y, k) - ((1 - ALPHA) * y + ALPHA / k)) == 0
    other = (1 - ALPHA) * y + ALPHA / (k - 1) * (1 - y)
    assert sp.simplify(rec.target_map(1, 4) - other.subs({y: 1, k: 4})) != 0  # 0.925, not 0.9
    # every other loss reads its targets as they are
    assert all(LOSSES[n].target_map(y, k) == y for n in LOSSES if n != "cce_smoothed")


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_every_target_kind_draws_valid_batches(kind):
    rng = random.Random(3)
    ys = draw_targets(kind, rng, 5, 4)
    assert len(ys) == 4 and all(len(y) == 5 for y in ys)
    if kind == "distribution":  # sums to 1 exactly, no zero entry (y ln y needs none)
        assert all(sum(y) == 1 and min(y) > 0 for y in ys)
    if kind == "outlier":  # every piece of huber's term, with an output near 0
        flat = [v for y in ys for v in y]
        assert min(flat) < -2.5 and max(flat) > 2.5 and any(0 <= v <= 0.5 for v in flat)


def test_an_unknown_target_kind_is_refused():
    with pytest.raises(DeriveError, match="no random targets"):
        draw_targets("pairs", random.Random(0), 2, 2)


@pytest.mark.parametrize("name,output", [
    ("mse", "logsoftmax"), ("cce", "logsoftmax"), ("nll", "softmax"), ("nll", "identity"), ("kl", "sigmoid"),
    ("cce_smoothed", "sigmoid"), ("hinge", "sigmoid"), ("hinge", "tanh"), ("focal", "exp"),
])
def test_pairs_outside_a_loss_range_are_refused(name, output):
    with pytest.raises(DeriveError, match=f"loss {name} is not defined for {output}"):
        Problem.make("nielsen", name, output, "tanh")


# ---------------------------------------------------------------- every piece of a piecewise loss is met

@pytest.mark.parametrize("name,out,conv", [("huber", "identity", "nielsen"), ("huber", "sigmoid", "cs231n"),
                                           ("hinge", "identity", "nielsen"), ("hinge", "relu", "dls")])
def test_drawn_networks_meet_every_piece(name, out, conv):
    problem = Problem.make(conv, name, out, "tanh")
    for seed in range(3):
        net, fwd = draw_network(problem, 3, seed)
        A, Y_ = fwd.A[net.output_label], net.Y
        pairs = [(A[i, j], Y_[i, j]) for i in range(A.rows) for j in range(A.cols)]
        assert all(any(piece(yh, y) for yh, y in pairs) for piece in LOSSES[name].pieces)


def test_a_network_that_misses_a_piece_is_told():
    net = random_network(Problem.make("cs231n", "huber", "identity", "tanh"), (2, 4, 3), 3, seed=0)
    fwd = forward(net)
    assert not misses_a_piece(net, fwd)
    for t in range(net.m):  # targets all at the outputs: |yhat - y| <= 1 everywhere, neither side of it met
        for k in range(net.Y.cols):
            net.Y[t, k] = fwd.A[net.output_label][t, k]
    assert misses_a_piece(net, forward(net))


# ---------------------------------------------------------------- verified against truth and torch

@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("conv", ["nielsen", "cs231n"])
def test_verified_against_truth_and_torch(name, conv):
    pytest.importorskip("torch")
    report = verify(derive(conv, name, PAIR[name], "tanh"), layers=3, trials=2, seed=5, torch=True)
    assert report.ok, report.text()
    assert any(key.endswith("(torch)") for key in report.errors)


# ---------------------------------------------------------------- the checker: a true and a wrong formula per loss

# (loss, output, formula, verdict): the wrong ones are what a reader carries over from mse + identity or cce + softmax
CLAIMS = [
    ("huber", "identity", r"\delta^L = \frac{\partial C}{\partial a^L}", "holds"),
    ("huber", "identity", r"\delta^L = a^L - y", "fails"),  # off outside |a - y| <= 1
    ("huber", "sigmoid", r"\delta^L = \frac{\partial C}{\partial a^L} \odot a^L \odot (1 - a^L)", "holds"),
    ("huber", "sigmoid", r"\delta^L = (a^L - y) \odot a^L \odot (1 - a^L)", "fails"),
    ("kl", "softmax", r"\delta^L = a^L - y", "holds"),
    ("kl", "softmax", r"\delta^L = (a^L - y) \odot a^L \odot (1 - a^L)", "fails"),
    ("focal", "sigmoid", r"\delta^L = \frac{\partial C}{\partial a^L} \odot a^L \odot (1 - a^L)", "holds"),
    ("focal", "sigmoid", r"\delta^L = a^L - y", "fails"),  # bce's result: the (1 - p_t)^2 weight is not in it
    ("nll", "logsoftmax", r"\delta^L = \exp(a^L) - y", "holds"),
    ("nll", "logsoftmax", r"\delta^L = \operatorname{softmax}(z^L) - y", "holds"),
    ("nll", "logsoftmax", r"\delta^L = a^L - y", "fails"),  # a^L is the log-probability
    ("cce_smoothed", "softmax", r"\delta^L = a^L - 0.9 y - 0.1/n_L", "holds"),
    ("cce_smoothed", "softmax", r"\delta^L = a^L - y", "fails"),
    # the other convention, alpha spread over the K - 1 other classes
    ("cce_smoothed", "softmax", r"\delta^L = a^L - 0.9 y - 0.1 (1 - y)/(n_L - 1)", "fails"),
    ("hinge", "identity", r"\delta^L = \frac{\partial C}{\partial a^L}", "holds"),
    ("hinge", "identity", r"\delta^L = -y", "fails"),  # 0 where y a^L > 1, which the drawn networks reach
]


@pytest.mark.parametrize("name,out,formula,verdict", CLAIMS)
def test_the_checker_judges_a_true_and_a_wrong_formula(name, out, formula, verdict):
    result = check(formula, "nielsen", name, out, "sigmoid", diagnose=False)
    assert result.verdict == verdict, result.reason
    if verdict == "holds" and out in ("softmax", "logsoftmax"):
        assert result.condition == r"\sum_k y_k = 1"


def test_log_softmax_derivative_is_not_read_as_an_entrywise_factor():
    result = check(r"\delta^L = (a^L - y) \odot \sigma'(z^L)", "nielsen", "nll", "logsoftmax", "sigmoid",
                   diagnose=False)
    assert result.verdict == "invalid" and "Jacobian" in result.reason


# ---------------------------------------------------------------- the table and the documents say it

def test_the_table_shows_each_new_row_with_its_verdict():
    md = render(derive("nielsen").problem.convention, "md")
    rows = {tuple(c.strip() for c in line.split("|")[1:3]): line for line in md.splitlines() if line.startswith("| ")}
    assert r"only where $\lvert a^{L}_{k} - y_{k} \rvert \leq 1$" in rows[("huber", "identity")]
    assert "| no |" in rows[("huber", "sigmoid")]
    assert "$e^{a^{L}} - y$ | no | $\\sum_{k} y_{k} = 1$" in rows[("nll", "logsoftmax")]
    assert r"$a^{L} - \frac{9 y}{10} - \frac{1}{10 n_{L}}$ | no |" in rows[("cce_smoothed", "softmax")]
    assert "| yes |" in rows[("kl", "softmax")]
    for fmt in ("text", "tex"):
        out = render(derive("nielsen").problem.convention, fmt)
        assert all(n.replace("_", r"\_" if fmt == "tex" else "_") in out for n in NEW)


@pytest.mark.parametrize("name,out,words", [
    ("huber", "identity", r"canonical only where $\lvert a^{L}_{j} - y_{j} \rvert \leq 1$"),
    ("nll", "logsoftmax", "the result is $e^{a^{L}} - y$, provided $\\sum_{k} y_{k} = 1$"),
    ("hinge", "identity", "with a linear output the result is the loss's own derivative"),
])
def test_the_document_says_what_the_pair_gives(name, out, words):
    md = document(derive("nielsen", name, out, "sigmoid"), layers=2)
    assert words in md
    if out == "logsoftmax":  # the steps use log-softmax's own Jacobian, never softmax's
        assert "[j = k] - e^{a^{L}_{j}}" in md and r"\mathrm{diag}(s)" not in md


def test_the_smoothed_cost_is_written_with_its_smoothed_targets():
    md = document(derive("nielsen", "cce_smoothed", "softmax", "sigmoid"), layers=2)
    assert r"C &= -\sum_{k} \left(\frac{1}{10 n_{L}} + \frac{9 y_{k}}{10}\right) \ln(a^{L}_{k})" in md  # aligned at =


def test_truth_reads_the_mapped_targets():
    # the smoothed loss of a softmax output at one example, from the forward pass: -sum_k y'_k ln yhat_k
    net = random_network(Problem.make("nielsen", "cce_smoothed", "softmax", "tanh"), (2, 3, 4), 1, seed=2)
    fwd = forward(net)
    a, y = fwd.A[net.output_label], net.Y
    want = -mpmath.fsum((mpmath.mpf(0.9) * y[k, 0] + mpmath.mpf(0.1) / 4) * mpmath.log(a[k, 0]) for k in range(4))
    assert abs(fwd.per_example_losses[0] - want) < 1e-14
