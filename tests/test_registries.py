"""The registries and the records built on them: activations, losses, reductions, conventions, Problem.

Every record of every table is checked automatically (the tests loop over the tables), so adding an
activation or a loss adds its checks with it. Derivatives are compared numerically with mpmath at 30 digits
against SymPy's own differentiation of the record's definition, at random points away from the kinks.
"""

from __future__ import annotations

import dataclasses

import mpmath
import pytest
import sympy as sp

from derive import activations as act_mod
from derive.activations import ACTIVATIONS, Activation, VectorActivation, activation
from derive.conventions import PRESETS, Convention, convention, from_dict, load_toml
from derive.errors import DeriveError, UnknownName
from derive.losses import LOSSES, REDUCTIONS, accepts, loss, reduction
from derive.problem import Problem

DPS = 30
TOL = mpmath.mpf(10) ** -20
N_POINTS = 20

ELEMENTWISE = sorted(n for n, a in ACTIVATIONS.items() if a.elementwise)
VECTOR = sorted(n for n, a in ACTIVATIONS.items() if not a.elementwise)
WITH_DF_OUT = sorted(n for n in ELEMENTWISE if ACTIVATIONS[n].df_out is not None)

z = sp.Symbol("z", real=True)
a_sym = sp.Symbol("a", real=True)


# ---------------------------------------------------------------- numerics at 30 digits

def num(expr, syms, values):
    """Evaluate a SymPy expression with mpmath at DPS digits."""
    with mpmath.workdps(DPS):
        return mpmath.mpf(sp.lambdify(syms, expr, modules="mpmath")(*values))


def close(x, y) -> bool:
    return abs(x - y) <= TOL * max(1, abs(y))


def points(rng, n=N_POINTS, low=-6.0, high=6.0, avoid=0.01):
    """n random reals in [low, high], none within `avoid` of 0 (where ReLU-type activations have a kink)."""
    out = []
    while len(out) < n:
        x = round(rng.uniform(low, high), 6)
        if abs(x) > avoid:
            out.append(mpmath.mpf(str(x)))
    return out


# What each declared output range means, for one output value or (simplex) the whole output vector.
RANGE_HOLDS = {
    act_mod.REAL: lambda v: mpmath.isfinite(v),
    act_mod.POSITIVE: lambda v: v > 0,
    act_mod.NONNEG: lambda v: v >= 0,
    act_mod.UNIT: lambda v: 0 < v < 1,
    act_mod.SIGNED_UNIT: lambda v: -1 < v < 1,
    act_mod.ABOVE_MINUS_ONE: lambda v: v > -1,
    act_mod.SIMPLEX: lambda vs: all(v > 0 for v in vs) and abs(sum(vs) - 1) <= TOL,
    # log-probabilities: each below 0, their exponentials a probability vector
    act_mod.LOG_SIMPLEX: lambda vs: all(v < 0 for v in vs) and abs(sum(mpmath.exp(v) for v in vs) - 1) <= TOL,
}


# ---------------------------------------------------------------- the activation table

@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_record_is_well_formed(name):
    rec = ACTIVATIONS[name]
    assert rec.name == name
    assert activation(name) is rec
    assert isinstance(rec, VectorActivation if not rec.elementwise else Activation)
    assert rec.latex and rec.summary
    assert rec.range in RANGE_HOLDS, f"{name}: range {rec.range!r} has no check in RANGE_HOLDS"


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_df_is_the_derivative_of_f(name, rng):
    rec = ACTIVATIONS[name]
    expected = sp.diff(rec.f(z), z)
    for x in points(rng):
        got, want = num(rec.df(z), [z], [x]), num(expected, [z], [x])
        assert close(got, want), f"{name}: df({x}) = {got}, d/dz f = {want}"


@pytest.mark.parametrize("name", WITH_DF_OUT)
def test_df_out_of_the_output_is_df(name, rng):
    # numerically, not by simplify: simplify cannot prove ELU's (a + 1 = e^z for z <= 0)
    rec = ACTIVATIONS[name]
    for x in points(rng):
        out = num(rec.f(z), [z], [x])
        got, want = num(rec.df_out(a_sym), [a_sym], [out]), num(rec.df(z), [z], [x])
        assert close(got, want), f"{name}: df_out(f({x})) = {got}, df({x}) = {want}"


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_range_holds(name, rng):
    rec = ACTIVATIONS[name]
    holds = RANGE_HOLDS[rec.range]
    for x in points(rng, low=-12, high=12) + [mpmath.mpf(-30), mpmath.mpf(30)]:
        v = num(rec.f(z), [z], [x])
        assert holds(v), f"{name}({x}) = {v} is outside its declared range {rec.range}"


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("name", VECTOR)
def test_vector_jacobian_is_sympys(name, n, rng):
    rec = ACTIVATIONS[name]
    zs = sp.symbols(f"z0:{n}", real=True)
    s = rec.f(list(zs))
    assert len(s) == n
    jac = sp.Matrix(s).jacobian(zs)
    for _ in range(5):
        xs = points(rng, n, avoid=0)
        for k in range(n):
            for j in range(n):
                got, want = num(rec.jac_out(s, k, j), zs, xs), num(jac[k, j], zs, xs)
                assert close(got, want), f"{name}: ds_{k}/dz_{j} at {xs}: {got} != {want}"


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("name", VECTOR)
def test_vector_range_holds(name, n, rng):
    rec = ACTIVATIONS[name]
    zs = sp.symbols(f"z0:{n}", real=True)
    s = rec.f(list(zs))
    for _ in range(10):
        xs = points(rng, n, low=-12, high=12, avoid=0)
        vs = [num(sk, zs, xs) for sk in s]
        assert RANGE_HOLDS[rec.range](vs), f"{name}({xs}) = {vs} is outside its declared range {rec.range}"


def test_unknown_activation_suggests_the_closest():
    with pytest.raises(UnknownName, match="sigmoid"):
        activation("sigmod")


# ---------------------------------------------------------------- the loss table

# Valid predictions for each output range a loss accepts (None: any real), and valid targets per kind.
PREDICTIONS = {
    None: lambda r: r.uniform(-3, 3),
    act_mod.REAL: lambda r: r.uniform(-3, 3),
    act_mod.UNIT: lambda r: r.uniform(0.01, 0.99),
    act_mod.SIMPLEX: lambda r: r.uniform(0.01, 0.99),
    act_mod.POSITIVE: lambda r: r.uniform(0.01, 10),
    act_mod.NONNEG: lambda r: r.uniform(0.01, 10),
    act_mod.ABOVE_MINUS_ONE: lambda r: r.uniform(-0.99, 3),
    act_mod.LOG_SIMPLEX: lambda r: r.uniform(-6, -0.01),
}
TARGETS = {
    "real": lambda r: r.uniform(-3, 3),
    "unit": lambda r: r.choice([0, 1, r.uniform(0, 1)]),
    "onehot": lambda r: r.choice([0, 1]),
    "count": lambda r: r.randint(0, 6),
    "distribution": lambda r: r.uniform(0.01, 1),
    "binary": lambda r: r.choice([0, 1]),
    "sign": lambda r: r.choice([-1, 1]),
    "outlier": lambda r: r.uniform(-4, 4),
}


def loss_points(rec, rng, n=N_POINTS):
    ranges = sorted(rec.accepts) if rec.accepts is not None else [None]
    return [(mpmath.mpf(str(round(PREDICTIONS[ranges[i % len(ranges)]](rng), 6))),
             mpmath.mpf(str(round(TARGETS[rec.target](rng), 6)))) for i in range(n)]


def test_every_target_kind_has_a_sampler_here_and_a_draw_there():
    from derive.losses import TARGETS as KINDS
    assert set(TARGETS) == set(KINDS)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_record_is_well_formed(name):
    rec = LOSSES[name]
    assert rec.name == name and loss(name) is rec
    assert rec.latex and rec.summary
    assert rec.target in TARGETS, f"{name}: target kind {rec.target!r} has no sampler in TARGETS"
    for r in rec.accepts or ():
        assert r in RANGE_HOLDS, f"{name} accepts an unknown range {r!r}"


# the losses written as a term per component (a VectorLoss of the whole vector, the SVM's, is checked in its own
# tests: tests/test_losses_svm.py)
TERMS = sorted(name for name, rec in LOSSES.items() if rec.elementwise)


@pytest.mark.parametrize("name", TERMS)
def test_dterm_is_the_derivative_of_term(name, rng):
    rec = LOSSES[name]
    yh, y = sp.symbols("yhat y", real=True)
    expected = sp.diff(rec.term(yh, y), yh)
    for p, t in loss_points(rec, rng):
        got, want = num(rec.dterm(yh, y), [yh, y], [p, t]), num(expected, [yh, y], [p, t])
        assert close(got, want), f"{name}: dterm({p}, {t}) = {got}, d/dyhat term = {want}"


@pytest.mark.parametrize("name", TERMS)
def test_term_is_finite_on_valid_points(name, rng):
    rec = LOSSES[name]
    yh, y = sp.symbols("yhat y", real=True)
    for p, t in loss_points(rec, rng):
        assert mpmath.isfinite(num(rec.term(yh, y), [yh, y], [p, t]))


def test_unknown_loss_suggests_the_closest():
    with pytest.raises(UnknownName, match="bce"):
        loss("bec")


# ---------------------------------------------------------------- reductions

# cost = scale(m, K) * (sum over the m examples of the per-example loss, itself a sum over K components);
# what each reduction must then equal, from the per-element terms T (m x K):
REDUCED = {
    "sum": lambda T: sum(map(sum, T)),
    "mean": lambda T: sum(map(sum, T)) / len(T),
    "elementwise_mean": lambda T: sum(map(sum, T)) / (len(T) * len(T[0])),
}


def test_every_reduction_is_documented_here():
    assert set(REDUCTIONS) == set(REDUCED)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("m,K", [(1, 1), (3, 2), (5, 4), (2, 7)])
def test_reduction_scales_as_documented(name, m, K, rng):
    rec = reduction(name)
    assert rec.name == name and rec.summary
    T = [[sp.Rational(rng.randint(-50, 50), rng.randint(1, 9)) for _ in range(K)] for _ in range(m)]
    per_example = [sum(row) for row in T]
    cost = rec.scale(sp.Integer(m), sp.Integer(K)) * sum(per_example)
    assert cost == REDUCED[name](T)  # exact with SymPy integers


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_scale_is_exact_with_symbols(name):
    m, K = sp.symbols("m K", positive=True, integer=True)
    scale = sp.sympify(reduction(name).scale(m, K))
    assert not scale.atoms(sp.Float), f"{name}: scale {scale} is not exact"


# ---------------------------------------------------------------- conventions

@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_passes_validation(name):
    conv = PRESETS[name]
    assert conv.name == name and conv.source
    assert convention(name) is conv
    assert dataclasses.replace(conv) == conv  # __post_init__ validates again
    reduction(conv.reduction)
    assert conv.sup("l") and conv.weight_index(2) == 2 + conv.weight_offset


def test_unknown_preset_suggests_the_closest():
    with pytest.raises(UnknownName, match="nielsen"):
        convention("nielson")


def test_from_dict_starts_from_base():
    conv = from_dict({"base": "ng", "name": "mine", "l2": 0.5})
    ng = PRESETS["ng"]
    assert conv.name == "mine" and conv.l2 == 0.5
    assert (conv.weight_offset, conv.bias, conv.grad_of) == (ng.weight_offset, ng.bias, ng.grad_of)
    assert conv.notation == ng.notation


def test_from_dict_notation_overrides_keep_the_rest():
    conv = from_dict({"base": "ng", "notation": {"hadamard": r"\circ", "layer": "bracket"}})
    assert conv.notation.hadamard == r"\circ" and conv.sup("l") == "{[l]}"
    assert conv.notation.weight == r"\Theta" and conv.notation.cost == "J"


def test_from_dict_without_base():
    conv = from_dict({"name": "plain", "source": "me", "reduction": "sum"})
    assert conv == Convention("plain", "me", reduction="sum")


@pytest.mark.parametrize("data,missing", [
    ({"colour": "blue"}, "colour"),
    ({"base": "nielsen", "notation": {"wieght": "V"}}, "notation.wieght"),
    ({"layers": 3, "notation": {"hat": "^"}}, "layers"),
])
def test_from_dict_unknown_keys_raise(data, missing):
    with pytest.raises(DeriveError, match=missing.replace(".", r"\.")):
        from_dict(data)


@pytest.mark.parametrize("data,what", [
    ({"layout": "diagonal"}, "layout"),
    ({"bias": "sometimes"}, "bias"),
    ({"delta_wrt": "w"}, "delta_wrt"),
    ({"notation": {"layer": "curly"}}, "notation.layer"),
    ({"reduction": "median"}, "reduction"),
    ({"base": "ng", "layout": "row_batch"}, "bias unit"),
    ({"base": "nielsn"}, "nielsen"),
])
def test_from_dict_bad_values_raise(data, what):
    with pytest.raises(DeriveError, match=what):
        from_dict(data)


GOOD_TOML = """\
base = "nielsen"
source = "my lecture notes"
reduction = "sum"

[notation]
weight = "V"
hadamard = '\\circ'
"""


def test_load_toml_good_file(tmp_path):
    path = tmp_path / "lecture.toml"
    path.write_text(GOOD_TOML, encoding="utf-8")
    conv = load_toml(path)
    assert conv.name == "lecture" and conv.source == "my lecture notes" and conv.reduction == "sum"
    assert conv.notation.weight == "V" and conv.notation.hadamard == r"\circ"
    assert conv.notation.bias == PRESETS["nielsen"].notation.bias
    assert convention(str(path)) == conv


def test_load_toml_names_default_to_the_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('base = "dls"\n', encoding="utf-8")
    conv = load_toml(path)
    assert (conv.name, conv.source, conv.layout) == ("mine", str(path), "column_batch")


@pytest.mark.parametrize("text,match", [
    ("base = nielsen\n", "not valid TOML"),
    ("[notation\nweight = 'V'\n", "not valid TOML"),
    ('base = "nielsen"\ncolour = "blue"\n', "colour"),
    ('base = "nielsen"\nnotation = 5\n', "bad.toml"),
])
def test_load_toml_bad_file_is_one_line(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeriveError, match=match) as info:
        load_toml(path)
    assert "\n" not in str(info.value)


def test_load_toml_missing_file_is_one_line(tmp_path):
    path = tmp_path / "absent.toml"
    with pytest.raises(DeriveError, match="absent.toml") as info:
        convention(str(path))
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- Problem

def test_problem_defaults():
    p = Problem.make()
    assert (p.convention.name, p.loss.name, p.output.name, p.hidden.name) == ("nielsen", "mse", "sigmoid",
                                                                              "sigmoid")
    assert p.reduction is REDUCTIONS[p.convention.reduction]
    assert p.label()


@pytest.mark.parametrize("output", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_problem_accepts_exactly_the_compatible_outputs(loss_name, output):
    ok = accepts(LOSSES[loss_name], ACTIVATIONS[output].range)
    if ok:
        assert Problem.make("nielsen", loss_name, output, "tanh").output.name == output
    else:
        with pytest.raises(DeriveError, match=loss_name) as info:
            Problem.make("nielsen", loss_name, output, "tanh")
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
def test_problem_hidden_must_be_elementwise(hidden):
    if ACTIVATIONS[hidden].elementwise:
        assert Problem.make("nielsen", "mse", "identity", hidden).hidden.name == hidden
    else:
        with pytest.raises(DeriveError, match="hidden"):
            Problem.make("nielsen", "mse", "identity", hidden)


@pytest.mark.parametrize("loss_name,output,hidden", [
    ("cce", "softmax", "softmax"),
    ("cce", "relu", "sigmoid"),
    ("bce", "tanh", "sigmoid"),
    ("poisson", "identity", "sigmoid"),
])
def test_problem_refuses_impossible_combinations(loss_name, output, hidden):
    with pytest.raises(DeriveError):
        Problem.make("nielsen", loss_name, output, hidden)


@pytest.mark.parametrize("kwargs,suggestion", [
    ({"output": "sigmod"}, "sigmoid"),
    ({"hidden": "tahn"}, "tanh"),
    ({"loss": "bec"}, "bce"),
    ({"convention": "nielson"}, "nielsen"),
])
def test_problem_unknown_names_suggest_the_closest(kwargs, suggestion):
    with pytest.raises(UnknownName, match=f"did you mean '{suggestion}'") as info:
        Problem.make(**kwargs)
    assert "\n" not in str(info.value)


def test_problem_takes_a_convention_record():
    conv = from_dict({"base": "cs231n", "name": "rows"})
    assert Problem.make(conv, "cce", "softmax", "relu").convention is conv


@pytest.mark.parametrize("base, changed, gradient, want", [
    ("nielsen", {"weight": "W"}, "grad_weight", r"\frac{\partial C}{\partial W^@}"),
    ("dls", {"weight": "V"}, "grad_weight", "dV^@"),
    ("goodfellow", {"act": "q"}, "grad_act", r"\nabla_{q^@} J"),
    ("ng", {"weight": "V"}, "grad_weight", "D^@"),                     # Ng's D names no weight letter
    ("nielsen", {"weight": "W", "grad_weight": r"\nabla_{W^@} C"}, "grad_weight", r"\nabla_{W^@} C"),  # stated
])
def test_a_gradient_symbol_follows_the_letter_a_convention_file_changes(base, changed, gradient, want):
    """A custom convention that writes W where its base writes w writes dC/dW^l too (issue 12: the weight letter
    was ignored in the gradient's symbol)."""
    from derive.conventions import from_dict
    conv = from_dict({"base": base, "notation": changed})
    assert getattr(conv.notation, gradient) == want
