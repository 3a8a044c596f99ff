"""One derivation document's content: every formula as LaTeX, computed and verified before it is printed.

``build`` derives, verifies (a failed verification raises: no document is written), runs the step
derivations of ``steps``, checks the index-form result of those steps against forward-pass truth, and
collects what the templates lay out. Templates receive strings only; all mathematics happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import sympy as sp

from .activations import Activation
from .algebra import Elementwise, LayerEntry, LayerSymbol, sym
from .chain import Derivation
from .components import component
from .errors import DeriveError
from .losses import Components, VectorLoss
from .picture import Picture, layer_picture, tikz
from .printing import EXAMPLE, NotationPrinter, activation_letters, layer_text, symbol_text
from .steps import Line, entry, hidden_steps, one_based, output_steps, targets_sum, weight_steps
from .symbols import WIDTH, L, k, l


@dataclass
class Document:
    """Everything a template needs, as strings."""

    title: str
    convention: str
    source: str
    loss: str
    output: str
    hidden: str
    notation: list            # rows (symbol, meaning, shape)
    forward: list             # (lhs, rhs)
    output_steps: list        # Step
    canonical: bool
    condition: str | None
    extra: str | None         # the factor that does not cancel (non-canonical pairs)
    hidden_steps: list
    activation_form: tuple[str, str] | None  # sigma'(z) written with the output, vectorized: (lhs, rhs)
    grad_act: list            # (lhs, rhs)
    weight_steps: list
    gradients: list           # (lhs, rhs)
    depends: list             # (quantity, [what it needs])
    algorithm: list           # (text, [equation, ...])
    others: list              # (convention, weight feeding l+1, delta recursion, weight gradient, this one)
    verification: dict
    snippet: list = field(default_factory=list)  # (lhs, rhs) for tex-snippet
    directive: str | None = None  # the derive: directive that names this document's problem (a preset's)
    region: str | None = None  # where a piecewise loss's result is the output minus the target (huber: |a - y| <= 1)
    witness: str | None = None  # a point outside that region, where the two differ
    closed: str | None = None  # a vector-valued output's closed form that is not the output minus the target
    linear: str | None = None  # a linear output's non-canonical result: the loss's own derivative
    picture: Picture | None = None  # the layer's computational graph (picture.svg for Markdown)
    tikz: str = ""  # the same picture as a tikzpicture, for LaTeX
    picture_names: tuple[str, str] = ("", "")  # z^l and the weight gradient in Unicode, for the picture's alt text


@dataclass(frozen=True)
class Step:
    """One numbered step: why it holds, and its equations as rows (left side, right side), a row with no left side
    continuing the one above (a chain aligned at its "=": the product substituted, then cancelled)."""

    why: str
    rows: list


def _chained(lines: list[Line]) -> list[Step]:
    """Steps from lines: a line with no left side continues the step before, whose reason says what it does next."""
    steps: list[Step] = []
    for line in lines:
        if line.lhs or not steps:
            steps.append(Step(line.why, [(line.lhs, line.rhs)]))
        else:
            steps[-1] = Step(f"{steps[-1].why}; then {line.why}", [*steps[-1].rows, ("", line.rhs)])
    return steps


def _names(expr, tex) -> list[str]:
    """The layer quantities a formula reads, in a stable order."""
    seen = sorted(expr.atoms(LayerSymbol), key=lambda s: (s.kind, str(s.layer)))
    return [tex(s) for s in seen]


def _check_index_result(d: Derivation, result) -> float:
    """Evaluate the index-form delta reached by the steps against forward-pass truth; return the max error."""
    from .components import J, K, evaluate_at, evaluate_entries
    from .truth import ground_truth
    from .verification import draw_network, engine_values, make_env, relative_error

    tt = sp.Symbol("t", integer=True, nonnegative=True)  # the example; the unit is j (components.J)
    with mpmath.workdps(50):
        net, fwd = draw_network(d.problem, 3, seed=11)
        truth, env = ground_truth(net), make_env(d.layer, net, fwd)
        for (q, layer), value in engine_values(d, net, fwd).items():
            if q == "delta":  # delta^{l+1} as the recursion would have it
                env.tensors[("delta", layer)] = value
        worst, per_example = 0.0, d.layer.rows == 1
        for hid in range(net.input_label + 1, net.output_label):
            env.layer_symbols = {l: hid, L: net.output_label}
            want = truth[("delta", hid)]

            def value_at(row, col):
                unit, example = (row, col) if d.layer.layout.class_axis == 0 else (col, row)
                return evaluate_at(result, env, {J: unit, K: 0, tt: example})

            got = evaluate_entries(value_at, want.rows, want.cols, env, per_example)
            worst = max(worst, relative_error(got, want))
    return worst


L2 = 0.37  # the penalty the regularised batch gradient is verified with (any lambda > 0 would do)


def directive(d: Derivation) -> str | None:
    """``convention=... loss=... output=... hidden=...`` for a derive: directive naming the document's problem,
    so that derive lint reads the document as written; None for a convention that is not a shipped preset."""
    from .conventions import PRESETS
    conv, prob = d.problem.convention, d.problem
    if PRESETS.get(conv.name) != conv:
        return None
    return f"convention={conv.name} loss={prob.loss.name} output={prob.output.name} hidden={prob.hidden.name}"


def _batch_step(d: Derivation, tex, gW) -> tuple[str, list[str], str | None]:
    """The gradient of a batch's cost with L2 regularisation: derived and verified before it is printed, with
    the directive that names that variant of the convention for derive lint."""
    import dataclasses

    from .chain import derive
    from .problem import Problem
    from .verification import verify
    conv, prob = d.problem.convention, d.problem
    nt = conv.notation
    whole = nt.cost.partition("_")[0]  # the batch's cost: Bishop's E, not one example's E_n
    notation = dataclasses.replace(nt, grad_weight=nt.grad_weight.replace(nt.cost, whole))
    batch = dataclasses.replace(conv, name=f"{conv.name} (batch, L2)", grad_of="cost", l2=L2, notation=notation)
    d2 = derive(Problem(batch, prob.loss, prob.output, prob.hidden))
    report = verify(d2, layers=3, trials=1, seed=5, components=False)
    if not report.ok:
        raise DeriveError(f"the regularised batch gradient failed verification:\n{report.text()}")
    scale = sym(prob.reduction.scale(d.layer.batch, d.layer.n(L)))
    cost = "the sum of their losses" if scale == 1 else f"${tex(scale)}$ times the sum of their losses"
    text = (f"for a batch of ${tex(d.layer.batch)}$ examples (the cost is {cost}) with L2 regularisation "
            "$\\lambda$, biases excluded")
    btex = NotationPrinter(batch, letters=activation_letters(prob)).doprint
    named = None if directive(d) is None else f"grad_of=cost l2={L2}"
    return text, [f"{btex(gW)} = {btex(d2.grad_weight)}"], named


def examples_named(expr, batch):
    """A component form whose sums over the examples (0..m-1 in a batch layout's matrix product) use the letter
    every other section of the document gives the example (printing.EXAMPLE), not the next free summation
    index: dW_{jk} = \\sum_t dZ_{tk} A_{tj}, as Z_{tk} in the index-form steps."""
    t = sp.Symbol(EXAMPLE, integer=True)
    return expr.xreplace({v: t for s in expr.atoms(sp.Sum) for v, lo, hi in s.limits if lo == 0 and hi == batch - 1})


def listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""


def power_of_ten(x: float) -> str:
    """1e-09 as a reader writes it: 10^{-9}; 2.5e-07 as 2.5 \\times 10^{-7}."""
    mantissa, exponent = f"{x:e}".split("e")
    digits = mantissa.rstrip("0").rstrip(".")
    return ("" if digits == "1" else digits + r" \times ") + f"10^{{{int(exponent)}}}"


NOISE = 1e-20  # below this a relative error is noise (the SymPy cache mixes Float precisions): printed "< 1e-20"


def shown_error(err: float) -> str:
    """A relative error as a document prints it: its value, or "< 1e-20" below the truth's own noise, whose
    digits depend on rounding (and would make the same document differ from run to run)."""
    return f"< {NOISE:.0e}" if err < NOISE else f"{err:.1e}"


def build(d: Derivation, report, others: dict, translations: dict) -> Document:
    """Assemble a document for a verified derivation.

    ``others`` maps each convention to its own verified Derivation; ``translations`` to this document's
    recursion translated into that convention (``derive translate``, checked there).
    """
    if not report.ok:
        raise DeriveError(f"verification failed, no document written:\n{report.text()}")
    conv, lay, prob = d.problem.convention, d.layer, d.problem
    letters = activation_letters(prob)  # one letter per function: sigma is not both tanh and sigmoid
    tex = NotationPrinter(conv, letters=letters).doprint
    nt = conv.notation
    h_steps, result = hidden_steps(d, tex)
    err = _check_index_result(d, result)
    if err > 1e-9:
        raise DeriveError(f"the index-form derivation does not match the forward pass (error {err:.1e})")

    W = lay.W(l - conv.weight_offset)  # the weight the source names W^l (Ng's Theta^(l) feeds layer l+1)
    of = conv.objective(conv.delta_of)  # dls's dZ is of the examples' losses, not of J (which has the 1/m)
    fed = layer_text(l - conv.weight_offset)
    side = lambda n: f"({tex(n)})" if n.is_Add else tex(n)  # noqa: E731  (s_{l+1} x (1 + s_l), not x 1 + s_l)
    shape = lambda s: rf"{side(s.shape[0])} \times {side(s.shape[1])}"  # noqa: E731
    rows = [(tex(W), f"weights into layer ${fed}$ from layer ${layer_text(l - conv.weight_offset - 1)}$"
             + (" (column 0 multiplies the bias unit)" if conv.bias == "unit" else ""), shape(W))]
    if lay.bias_rule.has_vector:
        b = lay.b(l - conv.bias_offset)  # the bias the source names b^l (UFLDL's b^(l) feeds layer l+1)
        rows.append((tex(b), f"biases into layer ${layer_text(l - conv.bias_offset)}$", shape(b)))
    rows += [(tex(lay.z(l)), "pre-activation of layer $l$", shape(lay.z(l))),
             (tex(lay.a(l)), "activation of layer $l$" + (f"; ${tex(lay.a(conv.input_layer))} = {nt.input}$"
                                                          f" is the input"), shape(lay.a(l))),
             (tex(lay.a(L)), "the network's output", shape(lay.a(L))),
             (tex(lay.y(L)), "the targets", shape(lay.y(L))),
             (tex(lay.delta(l)), f"$\\partial {of} / \\partial {tex(lay.z(l))}$", shape(lay.delta(l))),
             (tex(lay.grad_act(l)), f"$\\partial {of} / \\partial {tex(lay.a(l))}$", shape(lay.grad_act(l)))]

    which = "" if prob.hidden.latex == nt.sigma else f": {prob.hidden.name}"  # what the letter stands for
    # the output's own letter, where it is not the hidden one's, is stated too (sigma beside Ng's g for a relu)
    spelled = letters.get(prob.output.name) in (None, rf"\operatorname{{{prob.output.name}}}")
    named = prob.output.name.replace("_", r"\_")  # leaky_relu: an underscore is math in LaTeX and KaTeX alike
    output_is = "" if spelled else rf"\quad\text{{(output layer: {named})}}"
    forward = [(tex(lay.z(l)), tex(lay.pre_activation(l))),
               (tex(lay.a(l)), tex(Elementwise(prob.hidden.name, lay.z(l))) + rf"\quad\text{{(hidden layers{which})}}"),
               (tex(lay.a(L)), tex(Elementwise(prob.output.name, lay.z(L))) + output_is),
               *_cost(d, tex)]

    od = d.output
    extra = tex(od.extra.xreplace({sp.Symbol("yhat"): entry(lay, lay.a(L), sp.Symbol("j", integer=True,
                                   nonnegative=True)), WIDTH: lay.n(L)})) \
        if (od.extra is not None and not od.canonical) else None
    act_form = None
    if prob.hidden.df_out is not None:
        from .algebra import Componentwise
        s_ = sp.Symbol("s")
        act_form = (tex(Elementwise(prob.hidden.name, lay.z(l), 1)),
                    tex(Componentwise(prob.hidden.df_out(s_), {s_: lay.a(l)})))

    gW = LayerSymbol("grad_weight", l, *d.grad_weight.shape)
    from .components import J, K
    gW_jk, gW_rhs = (LayerEntry(gW, J, K), examples_named(component(d.grad_weight), lay.batch))
    if conv.bias == "unit":
        gW_jk, gW_rhs = one_based([gW_jk, gW_rhs])
    gradients = [(tex(gW), tex(d.grad_weight)), (tex(gW_jk), tex(gW_rhs))]
    if d.grad_bias is not None:  # named as the source names the bias: UFLDL's grad_{b^(l)} J = delta^(l+1)
        bias_fed = {l: l - conv.bias_offset}
        gb, gb_rhs = LayerSymbol("grad_bias", bias_fed[l], *d.grad_bias.shape), d.grad_bias.xreplace(bias_fed)
        gradients.append((tex(gb), tex(gb_rhs)))
    # the delta the weight gradient reads (Ng's D^(l) reads delta^(l+1)), so that the diagram's arrows hold
    used = {l: l - conv.weight_offset}
    depends = [(tex(gW), _names(d.grad_weight, tex)), (tex(lay.delta(used[l])), _names(d.delta.xreplace(used), tex))]
    picture = layer_picture(d, tex, of)

    eq = lambda lhs, rhs: f"{lhs} = {rhs}"  # noqa: E731
    gradient_eqs = [eq(tex(gW), tex(d.grad_weight))]
    if d.grad_bias is not None:
        gradient_eqs.append(eq(tex(gb), tex(gb_rhs)))
    algorithm: list = [
        ("forward pass, for every layer", [eq(tex(lay.z(l)), tex(lay.pre_activation(l)))]),
        ("output layer", [eq(tex(lay.delta(L)), tex(d.delta_out))]),
        ("backward, from the last hidden layer down", [eq(tex(lay.delta(l)), tex(d.delta))]),
        ("gradients, for every layer", gradient_eqs),
    ]
    algorithm = [(text, eqs, None) for text, eqs in algorithm] + [_batch_step(d, tex, gW)]

    other_rows = []
    for name, od_ in others.items():
        otex = NotationPrinter(od_.problem.convention).doprint
        oW = LayerSymbol("grad_weight", l, *od_.grad_weight.shape)
        other_rows.append((name, otex(od_.layer.W(l + 1)), translations[name],
                           f"{otex(oW)} = {otex(od_.grad_weight)}", name == conv.name))

    from .verification import counted, label, truth_label
    partial = lambda x: rf"$\partial {of}/\partial {tex(x)}$"  # noqa: E731
    names = {"delta": f"${tex(lay.delta(l))}$, every layer",
             "grad_act": f"{partial(lay.a(l))} by its own recursion, every layer",
             "delta_from_grad_act": f"${tex(lay.delta(l))}$ from {partial(lay.a(l))}", "grad_weight": f"${tex(gW)}$"}
    if d.grad_bias is not None:
        names["grad_bias"] = f"${tex(gb)}$"
    trials = report.trials
    verification = {"networks": counted(len(trials), "random network"), "depth": report.depth,
                    "widths": listed(["(" + ", ".join(map(str, t.widths)) + ")" for t in trials]),
                    "seeds": ("seed " if len(trials) == 1 else "seeds ") + listed([str(t.seed) for t in trials]),
                    "examples": counted(trials[0].m, "example"), "truth": truth_label(report.truth),
                    "tolerance": report.tolerance, "tolerance_shown": power_of_ten(report.tolerance),
                    "errors": dict(report.errors), "steps_error": err,
                    "rows": [(label(q, names), shown_error(e)) for q, e in report.errors.items()],
                    "steps_shown": shown_error(err)}
    snippet = [(tex(lay.delta(L)), tex(d.delta_out)), (tex(lay.delta(l)), tex(d.delta)),
               (tex(lay.grad_act(l)), tex(d.grad_act_from_delta))] + gradients[:1] + gradients[2:]

    return Document(
        title=f"Backpropagation for {prob.loss.name} + {prob.output.name} ({conv.name})",
        convention=conv.name, source=conv.source, loss=prob.loss.name, output=prob.output.name,
        hidden=prob.hidden.name, notation=rows, forward=forward,
        output_steps=_chained(output_steps(d, tex)), canonical=od.canonical,
        condition=targets_sum(lay, tex) if od.condition else None, **_verdict(d, tex),
        extra=extra, hidden_steps=_chained(h_steps), activation_form=act_form,
        grad_act=[(tex(lay.grad_act(L)), tex(d.grad_act_out)), (tex(lay.grad_act(l)), tex(d.grad_act)),
                  (tex(lay.grad_act(l)), tex(d.grad_act_from_delta)), (tex(lay.delta(l)), tex(d.delta_from_grad_act))],
        weight_steps=_chained(weight_steps(d, tex)), gradients=gradients, depends=depends, algorithm=algorithm,
        others=other_rows, verification=verification, snippet=snippet, directive=directive(d),
        picture=picture, tikz=tikz(picture),
        picture_names=(symbol_text(picture.node("z").tex), symbol_text(picture.node("grad_weight").tex)))


def _verdict(d: Derivation, tex) -> dict:
    """What the prose after the output layer's steps says where a pair is not canonical: the region of a piecewise
    loss where it is (with the witness outside), a vector-valued output's closed form, a linear output's result."""
    od, lay, out = d.output, d.layer, dict[str, str]()
    if od.canonical:
        return out
    unit = sp.Symbol("j", integer=True, nonnegative=True)
    yh, yt = entry(lay, lay.a(L), unit), entry(lay, lay.y(L), unit)
    if od.region is not None:
        out["region"] = tex(od.region.xreplace({sp.Symbol("yhat"): yh, sp.Symbol("y"): yt}))
        if od.witness is not None:
            z, y, value = od.witness
            # in words, not as equations: derive lint would read z = -13/10 as a claim about the forward pass
            out["witness"] = (f"{tex(entry(lay, lay.z(L), unit))}$ at ${tex(z)}$ and ${tex(yt)}$ at ${tex(y)}$ the two "
                              f"differ by ${tex(sp.Float(value, 3))}")
    elif od.vector and od.form is not None:
        out["closed"] = tex(d.delta_out)
    elif isinstance(act := d.problem.output, Activation) and sp.sympify(act.df(sp.Symbol("z"))) == 1:
        out["linear"] = tex(d.delta_out)
    return out


def _cost(d: Derivation, tex) -> list[tuple[str, str]]:
    """The cost as the convention defines it: one example's loss where its formulas are per example, else the
    reduced cost of the batch (1/m times the sum over the examples), in the convention's own symbols; and the
    sum of the examples' losses where the convention's dZ is of that sum (dls's \\mathcal{L})."""
    from .network import default_m
    lay, prob, conv = d.layer, d.problem, d.problem.convention
    t = sp.Symbol("t", integer=True, nonnegative=True)
    yk, tk = entry(lay, lay.a(L), k), entry(lay, lay.y(L), k)
    # as the sources write it: -sum_k [y ln yhat + (1 - y) ln(1 - yhat)], the minus in front of every sum
    rec = prob.loss
    negated = rec.negated
    sign = "-" if negated else ""
    if isinstance(rec, VectorLoss):  # the whole vector's: sum_j (1 - y_j) max(0, a_j - sum_k y_k a_k + 1), the SVM's
        loss = rec.value(Components(lay.n(L), ("k", "j")), lambda u: entry(lay, lay.a(L), u),
                         lambda u: entry(lay, lay.y(L), u))
    else:
        target = rec.target_map(tk, lay.n(L))  # the target the term reads: label smoothing's y'_k
        loss = sp.Sum(negated(yk, target) if negated else rec.term(yk, target), (k, 0, lay.n(L) - 1))
    outputs = sym(prob.loss.scale(lay.n(L)))  # 1/n_L in front where the loss is a mean over the outputs
    mean = "" if outputs == 1 else tex(outputs) + " "
    if default_m(conv) == 1:
        return [(conv.notation.cost, sign + mean + tex(loss) + r"\quad\text{(one example)}")]
    scale = sym(prob.reduction.scale(lay.batch, lay.n(L))) * outputs
    if lay.rows == 1:  # one example per column vector: the sum over the examples, t = 1..m
        from .algebra import ExampleSumEntry
        losses = tex(ExampleSumEntry(loss, lay.batch))
    else:  # the sum over the examples outside the one over the units: two sums (SymPy would merge them into one
        losses = rf"\sum_{{{tex(t)}}} {tex(loss)}"  # Sum with two limits, printed with its first only)
    rows = [(conv.notation.cost.partition("_")[0], f"{sign}{tex(scale)} {losses}" + r"\quad\text{(the batch)}")]
    if conv.objective(conv.delta_of) != conv.notation.cost:
        rows.append((conv.notation.loss, sign + mean + losses + r"\quad\text{(the sum of the examples' losses)}"))
    return rows
